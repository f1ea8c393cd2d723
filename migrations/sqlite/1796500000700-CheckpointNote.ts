import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * C2SP checkpoints (ADR 0048): checkpoint.note, the signed note over the Merkle root (an ADD
 * COLUMN, written by hand: the generator would copy the table). Earlier checkpoints keep null.
 */
export class CheckpointNote1796500000700 implements MigrationInterface {
  name = 'CheckpointNote1796500000700';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "checkpoint" ADD COLUMN "note" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "checkpoint" DROP COLUMN "note"`);
  }
}
