import type { MigrationInterface, QueryRunner } from 'typeorm';

/** C2SP checkpoints (ADR 0048): checkpoint.note, the signed note over the Merkle root. Earlier checkpoints keep null. */
export class CheckpointNote1796500000800 implements MigrationInterface {
  name = 'CheckpointNote1796500000800';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE \`checkpoint\` ADD \`note\` text NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE \`checkpoint\` DROP COLUMN \`note\``);
  }
}
