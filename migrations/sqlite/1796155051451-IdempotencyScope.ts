import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency keys scoped to the API key that wrote them (ADR 0016). Written by hand as an ADD
 * COLUMN (the generator would copy the whole table); `npm run migration:check` confirms it matches
 * the entity. Existing keyed events go to the tenant's only key able to record, when it has had
 * exactly one (keys are revoked, never deleted, and AUDITOR/VIEWER keys cannot record): that key
 * wrote them. Otherwise the writer cannot be known, the scope stays '' and no key replays them.
 */
export class IdempotencyScope1796155051451 implements MigrationInterface {
  name = 'IdempotencyScope1796155051451';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_event" ADD COLUMN "idempotency_scope" varchar(36) NOT NULL DEFAULT ('')`);
    await q.query(`UPDATE "audit_event" SET "idempotency_scope" = (SELECT k.id FROM api_key k WHERE k.tenant_id = audit_event.tenant_id AND k.role IN ('ADMIN', 'INGEST'))
      WHERE "idempotency_key" IS NOT NULL AND (SELECT COUNT(*) FROM api_key k WHERE k.tenant_id = audit_event.tenant_id AND k.role IN ('ADMIN', 'INGEST')) = 1`);
    await q.query(`DROP INDEX "uq_audit_event_tenant_idempotency"`);
    await q.query(`CREATE UNIQUE INDEX "uq_audit_event_tenant_idempotency_scope" ON "audit_event" ("tenant_id", "idempotency_scope", "idempotency_key") `);
  }

  async down(q: QueryRunner): Promise<void> {
    // Fails if two keys have since used the same idempotency key: the old index cannot hold both.
    await q.query(`DROP INDEX "uq_audit_event_tenant_idempotency_scope"`);
    await q.query(`CREATE UNIQUE INDEX "uq_audit_event_tenant_idempotency" ON "audit_event" ("tenant_id", "idempotency_key") `);
    await q.query(`ALTER TABLE "audit_event" DROP COLUMN "idempotency_scope"`);
  }
}
