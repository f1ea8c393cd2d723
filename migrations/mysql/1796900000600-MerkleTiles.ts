import type { MigrationInterface, QueryRunner } from 'typeorm';
import { backfillMerkleTiles } from '../merkle-tiles-backfill';

/** The level-4 subtrees of every existing tree (ADR 0047, amended 2026-12-07): rows only, no schema change. */
export class MerkleTiles1796900000600 implements MigrationInterface {
  name = 'MerkleTiles1796900000600';

  async up(q: QueryRunner): Promise<void> {
    await backfillMerkleTiles(q, 'INSERT IGNORE');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DELETE FROM `merkle_node` WHERE `node_level` = 4');
  }
}
