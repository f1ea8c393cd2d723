import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Holds re-checked per deletion batch (ADR 0043, amended 2026-12-04): chain_prune keeps the chain
 * hash of the last deleted event, where a prune stopped by a new hold signs its anchor. A prune that
 * finished already has it in its anchor checkpoint; one still running leaves it null (its next batch
 * writes it).
 */
export class PruneDeletedChainHash1796500000100 implements MigrationInterface {
  name = 'PruneDeletedChainHash1796500000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "chain_prune" ADD COLUMN "deleted_chain_hash" varchar(64)`);
    await q.query(
      `UPDATE "chain_prune" SET "deleted_chain_hash" = (SELECT c."chain_hash" FROM "checkpoint" c WHERE c."id" = "chain_prune"."anchor_checkpoint_id") WHERE "deleted_through" = "pruned_through" AND "pruned_through" > 0`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "chain_prune" DROP COLUMN "deleted_chain_hash"`);
  }
}
