import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Holds re-checked per deletion batch (ADR 0043, amended 2026-12-04): chain_prune keeps the chain
 * hash of the last deleted event, where a prune stopped by a new hold signs its anchor. A prune that
 * finished already has it in its anchor checkpoint; one still running leaves it null (its next batch
 * writes it).
 */
export class PruneDeletedChainHash1796500000200 implements MigrationInterface {
  name = 'PruneDeletedChainHash1796500000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE \`chain_prune\` ADD \`deleted_chain_hash\` varchar(64) NULL`);
    await q.query(
      `UPDATE \`chain_prune\` p JOIN \`checkpoint\` c ON c.\`id\` = p.\`anchor_checkpoint_id\` SET p.\`deleted_chain_hash\` = c.\`chain_hash\` WHERE p.\`deleted_through\` = p.\`pruned_through\` AND p.\`pruned_through\` > 0`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE \`chain_prune\` DROP COLUMN \`deleted_chain_hash\``);
  }
}
