import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * legal_hold.subject is no longer stored in clear (ADR 0043, amended 2026-12-04): the column becomes
 * `legacy_subject` and `subject_ref` holds the subject's reference. A migration has no privacy key
 * to find or make a reference, so existing rows keep their clear value in `legacy_subject` until the
 * server's start converts them (RetentionService.sealLegacyHolds) and empties it.
 */
export class LegalHoldSubjectRef1796500000400 implements MigrationInterface {
  name = 'LegalHoldSubjectRef1796500000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE \`legal_hold\` CHANGE \`subject\` \`legacy_subject\` varchar(256) NULL`);
    await q.query(`ALTER TABLE \`legal_hold\` ADD \`subject_ref\` varchar(64) NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE \`legal_hold\` DROP COLUMN \`subject_ref\``);
    await q.query(`ALTER TABLE \`legal_hold\` CHANGE \`legacy_subject\` \`subject\` varchar(256) NULL`);
  }
}
