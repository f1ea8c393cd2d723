import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Erasure (ADR 0042, amended 2026-12-04): an index on (tenant_id, resource_id), so that finding a data
 * subject's events by its reference (`actor_id = ? OR resource_id = ?`), whatever the resource
 * type, reads the index instead of every event of the tenant.
 */
export class ResourceIdIndex1796600000200 implements MigrationInterface {
  name = 'ResourceIdIndex1796600000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX \`ix_audit_event_resource_id\` ON \`audit_event\` (\`tenant_id\`, \`resource_id\`)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX \`ix_audit_event_resource_id\` ON \`audit_event\``);
  }
}
