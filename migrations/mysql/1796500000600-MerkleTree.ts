import type { MigrationInterface, QueryRunner } from 'typeorm';
import { binaryCollation } from './collation';
import { backfillMerkleTrees } from '../merkle-backfill';

/** RFC 9162 trees (ADR 0047): chain_head.merkle_frontier, the merkle_node table, and every existing chain's tree. */
export class MerkleTree1796500000600 implements MigrationInterface {
  name = 'MerkleTree1796500000600';

  async up(q: QueryRunner): Promise<void> {
    const collation = await binaryCollation(q);
    await q.query(`ALTER TABLE \`chain_head\` ADD \`merkle_frontier\` text NULL`);
    await q.query(
      `CREATE TABLE \`merkle_node\` (\`tenant_id\` varchar(64) NOT NULL, \`node_level\` int NOT NULL, \`node_index\` bigint NOT NULL, \`hash\` varchar(64) NOT NULL, PRIMARY KEY (\`tenant_id\`, \`node_level\`, \`node_index\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${collation}`,
    );
    await backfillMerkleTrees(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE \`merkle_node\``);
    await q.query(`ALTER TABLE \`chain_head\` DROP COLUMN \`merkle_frontier\``);
  }
}
