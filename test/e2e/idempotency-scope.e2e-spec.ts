import type { MigrationInterface } from 'typeorm';
import { IdempotencyScope1796155051585 } from '../../migrations/mysql/1796155051585-IdempotencyScope';
import { IdempotencyScope1796155051451 } from '../../migrations/sqlite/1796155051451-IdempotencyScope';
import { Role } from '../../src/access/role';
import { createTestEnvironment, eventInput, RECORD, type TestEnvironment } from '../helpers/test-environment';

/**
 * The IdempotencyScope migration (ADR 0016) on a database that holds keyed events from before it:
 * they go to the tenant's only key able to record when there is exactly one, and to nobody otherwise.
 */
describe('idempotency scope migration', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env.close());

  it('attributes earlier keyed events to a tenant’s only recording key, and otherwise to no key', async () => {
    const { apiKeys } = env.app.services;
    // solo: one INGEST key (VIEWER and AUDITOR keys cannot record, so they do not count).
    const solo = await apiKeys.create('solo', Role.INGEST, 'solo writer');
    await apiKeys.create('solo', Role.VIEWER, 'solo reader');
    await apiKeys.create('solo', Role.AUDITOR, 'solo auditor');
    // duo: two keys that can record, so who wrote an event cannot be known.
    const duo = await apiKeys.create('duo', Role.INGEST, 'duo writer');
    await apiKeys.create('duo', Role.ADMIN, 'duo admin');
    const occurredAt = new Date(Date.now() - 60_000).toISOString();
    const keyed = (tenant: string) =>
      eventInput({ occurredAt, action: `legacy.${tenant}`, idempotencyKey: `legacy-${tenant}`, metadata: null });
    const originals: Record<string, { id: string }> = {};
    for (const [tenant, key] of [
      ['solo', solo],
      ['duo', duo],
    ] as const) {
      const res = await env.gql(RECORD, { input: { events: [keyed(tenant), eventInput({ action: 'legacy.unkeyed' })] } }, key.secret);
      expect(res.body.errors).toBeUndefined();
      originals[tenant] = res.body.data!.recordAuditEvents.receipts[0];
    }

    // Back to the schema before the migration (as an upgraded database has it), then forward again.
    const migration: MigrationInterface =
      env.dialect === 'sqlite' ? new IdempotencyScope1796155051451() : new IdempotencyScope1796155051585();
    const runner = env.app.dataSource.createQueryRunner();
    try {
      await migration.down(runner);
      expect((await env.sql('SELECT * FROM audit_event LIMIT 1'))[0]).not.toHaveProperty('idempotency_scope');
      await migration.up(runner);
    } finally {
      await runner.release();
    }

    const scopes = await env.sql<{ tenant_id: string; idempotency_key: string | null; idempotency_scope: string }>(
      "SELECT tenant_id, idempotency_key, idempotency_scope FROM audit_event WHERE tenant_id IN ('solo', 'duo') ORDER BY tenant_id, sequence",
    );
    expect(scopes).toEqual([
      { tenant_id: 'duo', idempotency_key: 'legacy-duo', idempotency_scope: '' },
      { tenant_id: 'duo', idempotency_key: null, idempotency_scope: '' },
      { tenant_id: 'solo', idempotency_key: 'legacy-solo', idempotency_scope: solo.key.id },
      { tenant_id: 'solo', idempotency_key: null, idempotency_scope: '' },
    ]);

    // The known writer still gets its replay; where the writer is unknown, a retry is a new event.
    const soloRetry = await env.gql(RECORD, { input: { events: [keyed('solo')] } }, solo.secret);
    expect(soloRetry.body.data!.recordAuditEvents).toMatchObject({
      recordedCount: 0,
      receipts: [{ id: originals.solo.id, replayed: true }],
    });
    const duoRetry = await env.gql(RECORD, { input: { events: [keyed('duo')] } }, duo.secret);
    expect(duoRetry.body.data!.recordAuditEvents).toMatchObject({ recordedCount: 1, receipts: [{ replayed: false }] });
    expect(duoRetry.body.data!.recordAuditEvents.receipts[0].id).not.toBe(originals.duo.id);
    // …and from then on that key's own event answers its retries.
    const duoAgain = await env.gql(RECORD, { input: { events: [keyed('duo')] } }, duo.secret);
    expect(duoAgain.body.data!.recordAuditEvents).toMatchObject({ recordedCount: 0, receipts: [{ replayed: true }] });
  });
});
