import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Crypto-shredding (ADR 0042): the `sealed` column of audit_event (an ADD COLUMN, written by hand:
 * the generator would copy the whole table; `npm run migration:check` confirms it matches the
 * entity) and the data_subject table. Existing events keep `sealed` null and hash as before (v1).
 */
export class DataSubject1796400000100 implements MigrationInterface {
  name = 'DataSubject1796400000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_event" ADD COLUMN "sealed" text`);
    await q.query(
      `CREATE TABLE "data_subject" ("tenant_id" varchar(64) NOT NULL, "ref" varchar(32) NOT NULL, "lookup" varchar(64), "wrapped_key" varchar(128), "sealed_id" text, "created_at" datetime(3) NOT NULL, "erased_at" datetime(3), PRIMARY KEY ("tenant_id", "ref"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "uq_data_subject_lookup" ON "data_subject" ("tenant_id", "lookup") `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "uq_data_subject_lookup"`);
    await q.query(`DROP TABLE "data_subject"`);
    await q.query(`ALTER TABLE "audit_event" DROP COLUMN "sealed"`);
  }
}
