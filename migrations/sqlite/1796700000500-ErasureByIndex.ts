import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Erasure by index (ADR 0042, amended 2026-12-06): the actor index gains the time and the action, the
 * resource id index the actor, the time and the action, so an erasure's scope and its legal-hold pass
 * read a subject's events from the indexes alone; `data_subject.sealed_fields` records which fields
 * were sealed under each key (null for subjects made before: their erasure reads the events, as before).
 */
export class ErasureByIndex1796700000500 implements MigrationInterface {
  name = 'ErasureByIndex1796700000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "ix_audit_event_actor"`);
    await q.query(`DROP INDEX "ix_audit_event_resource_id"`);
    await q.query(`ALTER TABLE "data_subject" ADD COLUMN "sealed_fields" integer`);
    await q.query(`CREATE INDEX "ix_audit_event_actor" ON "audit_event" ("tenant_id", "actor_id", "occurred_at", "action") `);
    await q.query(
      `CREATE INDEX "ix_audit_event_resource_id" ON "audit_event" ("tenant_id", "resource_id", "actor_id", "occurred_at", "action") `,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "ix_audit_event_resource_id"`);
    await q.query(`DROP INDEX "ix_audit_event_actor"`);
    await q.query(`ALTER TABLE "data_subject" DROP COLUMN "sealed_fields"`);
    await q.query(`CREATE INDEX "ix_audit_event_resource_id" ON "audit_event" ("tenant_id", "resource_id") `);
    await q.query(`CREATE INDEX "ix_audit_event_actor" ON "audit_event" ("tenant_id", "actor_id") `);
  }
}
