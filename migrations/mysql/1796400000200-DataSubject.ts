import type { MigrationInterface, QueryRunner } from 'typeorm';
import { binaryCollation } from './collation';

/**
 * Crypto-shredding (ADR 0042): the `sealed` column of audit_event and the data_subject table.
 * Existing events keep `sealed` null and hash as before (v1).
 */
export class DataSubject1796400000200 implements MigrationInterface {
  name = 'DataSubject1796400000200';

  async up(q: QueryRunner): Promise<void> {
    const collation = await binaryCollation(q);
    await q.query(`ALTER TABLE \`audit_event\` ADD \`sealed\` text NULL`);
    await q.query(
      `CREATE TABLE \`data_subject\` (\`tenant_id\` varchar(64) NOT NULL, \`ref\` varchar(32) NOT NULL, \`lookup\` varchar(64) NULL, \`wrapped_key\` varchar(128) NULL, \`sealed_id\` text NULL, \`created_at\` datetime(3) NOT NULL, \`erased_at\` datetime(3) NULL, UNIQUE INDEX \`uq_data_subject_lookup\` (\`tenant_id\`, \`lookup\`), PRIMARY KEY (\`tenant_id\`, \`ref\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${collation}`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE \`data_subject\``);
    await q.query(`ALTER TABLE \`audit_event\` DROP COLUMN \`sealed\``);
  }
}
