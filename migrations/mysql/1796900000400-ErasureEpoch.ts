import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tenant's erasure epoch on its chain head (ADR 0042, amended 2026-12-07): bumped by every
 * erasure in the transaction that destroys the key, compared under the head lock by every append of
 * sealed events, so that a node may keep live subjects between batches.
 */
export class ErasureEpoch1796900000400 implements MigrationInterface {
  name = 'ErasureEpoch1796900000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE \`chain_head\` ADD \`erasure_epoch\` int NOT NULL DEFAULT '0'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE \`chain_head\` DROP COLUMN \`erasure_epoch\``);
  }
}
