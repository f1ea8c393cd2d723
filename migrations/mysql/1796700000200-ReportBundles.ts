import type { MigrationInterface, QueryRunner } from 'typeorm';
import { binaryCollation } from './collation';

/** Proof bundle files of reports (ADR 0049): report_bundle_chunk, in pieces like report_chunk. */
export class ReportBundles1796700000200 implements MigrationInterface {
  name = 'ReportBundles1796700000200';

  async up(q: QueryRunner): Promise<void> {
    const collation = await binaryCollation(q);
    await q.query(
      `CREATE TABLE \`report_bundle_chunk\` (\`report_id\` varchar(36) NOT NULL, \`part\` int NOT NULL, \`data\` blob NOT NULL, PRIMARY KEY (\`report_id\`, \`part\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${collation}`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE \`report_bundle_chunk\``);
  }
}
