import type { MigrationInterface, QueryRunner } from 'typeorm';
import { backfillMerkleTrees } from '../merkle-backfill';

/**
 * RFC 9162 trees (ADR 0047): chain_head.merkle_frontier (an ADD COLUMN, written by hand: the
 * generator would copy the table; `npm run migration:check` confirms it matches the entity), the
 * merkle_node table, and every existing chain's tree built from its events' hashes.
 */
export class MerkleTree1796500000500 implements MigrationInterface {
  name = 'MerkleTree1796500000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "chain_head" ADD COLUMN "merkle_frontier" text`);
    await q.query(
      `CREATE TABLE "merkle_node" ("tenant_id" varchar(64) NOT NULL, "node_level" integer NOT NULL, "node_index" bigint NOT NULL, "hash" varchar(64) NOT NULL, PRIMARY KEY ("tenant_id", "node_level", "node_index"))`,
    );
    await backfillMerkleTrees(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "merkle_node"`);
    await q.query(`ALTER TABLE "chain_head" DROP COLUMN "merkle_frontier"`);
  }
}
