import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * legal_hold.subject is no longer stored in clear (ADR 0043, amended 2026-12-04): the column becomes
 * `legacy_subject` and `subject_ref` holds the subject's reference. A migration has no privacy key
 * to find or make a reference, so existing rows keep their clear value in `legacy_subject` until the
 * server's start converts them (RetentionService.sealLegacyHolds) and empties it.
 */
export class LegalHoldSubjectRef1796500000300 implements MigrationInterface {
  name = 'LegalHoldSubjectRef1796500000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "legal_hold" RENAME COLUMN "subject" TO "legacy_subject"`);
    await q.query(`ALTER TABLE "legal_hold" ADD COLUMN "subject_ref" varchar(64)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "legal_hold" DROP COLUMN "subject_ref"`);
    await q.query(`ALTER TABLE "legal_hold" RENAME COLUMN "legacy_subject" TO "subject"`);
  }
}
