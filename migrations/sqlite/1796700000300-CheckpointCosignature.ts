import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Witness cosignatures of checkpoint notes (ADR 0050): one row per checkpoint and witness. */
export class CheckpointCosignature1796700000300 implements MigrationInterface {
  name = 'CheckpointCosignature1796700000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "checkpoint_cosignature" ("checkpoint_id" varchar(36) NOT NULL, "witness_name" varchar(200) NOT NULL, "line" text NOT NULL, "cosigned_at" datetime(3) NOT NULL, "received_at" datetime(3) NOT NULL, PRIMARY KEY ("checkpoint_id", "witness_name"))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "checkpoint_cosignature"`);
  }
}
