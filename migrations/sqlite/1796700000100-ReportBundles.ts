import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Proof bundle files of reports (ADR 0049): report_bundle_chunk, in pieces like report_chunk. */
export class ReportBundles1796700000100 implements MigrationInterface {
  name = 'ReportBundles1796700000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "report_bundle_chunk" ("report_id" varchar(36) NOT NULL, "part" integer NOT NULL, "data" blob NOT NULL, PRIMARY KEY ("report_id", "part"))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "report_bundle_chunk"`);
  }
}
