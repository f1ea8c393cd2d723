import type { MigrationInterface, QueryRunner } from 'typeorm';
import { binaryCollation } from './collation';

/** Witness cosignatures of checkpoint notes (ADR 0050): one row per checkpoint and witness. */
export class CheckpointCosignature1796700000400 implements MigrationInterface {
  name = 'CheckpointCosignature1796700000400';

  async up(q: QueryRunner): Promise<void> {
    const collation = await binaryCollation(q);
    await q.query(
      `CREATE TABLE \`checkpoint_cosignature\` (\`checkpoint_id\` varchar(36) NOT NULL, \`witness_name\` varchar(200) NOT NULL, \`line\` text NOT NULL, \`cosigned_at\` datetime(3) NOT NULL, \`received_at\` datetime(3) NOT NULL, PRIMARY KEY (\`checkpoint_id\`, \`witness_name\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${collation}`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE \`checkpoint_cosignature\``);
  }
}
