import { createTestEnvironment, eventInput, RECORD, type TestEnvironment } from '../helpers/test-environment';

// Deletion batches (ADR 0043, amended 2026-12-06): a batch reads its range once, with whether each
// event must be kept, and a prune sizes its batches by time unless told a size. These tests fix the
// size, so where a batch begins and ends is known: a hold placed after the first batch on the first
// or the last event of a later batch, and batches larger than one 500-id statement.

const DAY = 86_400_000;
const VERIFY = `query Verify { verifyAuditChain { valid fromSequence firstFailure { sequence reason } prunedPrefix { throughSequence } } }`;
const PLACE_HOLD = `mutation Hold($input: LegalHoldInput!) { placeLegalHold(input: $input) { id } }`;

describe('retention: deletion batches of a fixed size', () => {
  let env: TestEnvironment;
  const later = () => new Date(Date.now() + 31 * DAY);

  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env?.close());

  /** `events` auth.login events in tenant `tenant`, the one at `held` (1-based) by person `u-held`; keys and a rule deleting them. */
  async function seed(tenant: string, events: number, held: number | null, extra: Record<string, unknown> = {}) {
    const admin = await env.createKey('ADMIN', tenant);
    const auditor = await env.createKey('AUDITOR', tenant);
    const ingest = await env.createKey('INGEST', tenant);
    for (let from = 0; from < events; from += 500) {
      const batch = Array.from({ length: Math.min(500, events - from) }, (_, j) => {
        const i = from + j;
        return eventInput({ action: 'auth.login', actor: { id: i + 1 === held ? 'u-held' : `u-${i % 5}`, type: 'USER' }, ...extra });
      });
      expect((await env.gql(RECORD, { input: { events: batch } }, ingest)).body.errors).toBeUndefined();
    }
    const actor = { tenantId: tenant, keyId: null, requestId: `batches-${tenant}` };
    await env.app.services.retention.addRule(actor, { selector: 'ACTION_PREFIX' as never, value: 'auth.', maxDays: 30 });
    return { admin, auditor, actor };
  }

  const rollupMatches = async (tenant: string, deletedThrough: number) => {
    const [head] = await env.sql<{ sequence: unknown }>('SELECT sequence FROM chain_head WHERE tenant_id = ?', [tenant]);
    const [rollup] = await env.sql<{ n: unknown; lo: unknown }>(
      'SELECT SUM(event_count) AS n, MIN(min_sequence) AS lo FROM audit_event_rollup WHERE tenant_id = ?',
      [tenant],
    );
    expect(Number(rollup.n)).toBe(Number(head.sequence) - deletedThrough);
    expect(Number(rollup.lo)).toBeGreaterThan(deletedThrough);
  };

  it.each([
    ['the first event of a batch: that batch deletes nothing, and the prune ends where the one before it did', 'edge-first', 21, 20],
    ['the last event of a batch: the batch deletes the events before it', 'edge-last', 30, 29],
  ])('a hold placed after batch 1 on %s', async (_name, tenant, held, through) => {
    const { admin, auditor, actor } = await seed(tenant, 40, held);
    const seen: number[] = [];
    let holdId: string | null = null;
    const result = await env.app.services.retention.prune(actor, {
      now: later(),
      batchEvents: 10,
      betweenBatches: async ({ deletedThrough }) => {
        seen.push(deletedThrough);
        if (holdId !== null) return;
        const hold = (await env.gql(PLACE_HOLD, { input: { subject: 'u-held', reason: 'matter' } }, admin)).body;
        expect(hold.errors).toBeUndefined();
        holdId = hold.data!.placeLegalHold.id;
      },
    });
    // Batches of exactly ten: the hook saw 10, then every batch that deleted before the stop.
    expect(seen).toEqual(Array.from({ length: Math.floor(through / 10) }, (_, i) => (i + 1) * 10));
    expect(result).toMatchObject({
      stopped: true,
      plannedThroughSequence: 40,
      throughSequence: through,
      deleted: through,
      keptSequence: held,
      keptReason: `legal hold ${holdId}`,
      anchor: { sequence: through },
    });
    const left = await env.sql<{ n: unknown; lo: unknown }>(
      'SELECT COUNT(*) AS n, MIN(sequence) AS lo FROM audit_event WHERE tenant_id = ? AND sequence <= 40',
      [tenant],
    );
    expect({ n: Number(left[0].n), lo: Number(left[0].lo) }).toEqual({ n: 40 - through, lo: through + 1 });
    await rollupMatches(tenant, through);
    expect((await env.gql(VERIFY, {}, auditor)).body.data!.verifyAuditChain).toMatchObject({
      valid: true,
      fromSequence: through + 1,
      prunedPrefix: { throughSequence: through },
    });
  });

  it('deletes every event and label once in batches larger than one statement of 500 ids', async () => {
    const tenant = 'large-batches';
    const { auditor, actor } = await seed(tenant, 1300, null, { categories: ['PII'], tags: ['a', 'b'] });
    const [labels] = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM audit_event_label WHERE tenant_id = ? AND sequence <= 1300', [
      tenant,
    ]);
    expect(Number(labels.n)).toBeGreaterThanOrEqual(1300 * 2);
    const seen: number[] = [];
    const result = await env.app.services.retention.prune(actor, {
      now: later(),
      batchEvents: 1200,
      betweenBatches: async ({ deletedThrough }) => {
        seen.push(deletedThrough);
      },
    });
    expect(seen).toEqual([1200, 1300]);
    expect(result).toMatchObject({ stopped: false, fromSequence: 1, throughSequence: 1300, deleted: 1300 });
    const [after] = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM audit_event_label WHERE tenant_id = ? AND sequence <= 1300', [
      tenant,
    ]);
    expect(Number(after.n)).toBe(0);
    await rollupMatches(tenant, 1300);
    expect((await env.gql(VERIFY, {}, auditor)).body.data!.verifyAuditChain).toMatchObject({ valid: true, fromSequence: 1301 });
    // SQLite batches commit without waiting for the disk; appends must still wait (synchronous = FULL, 2).
    if (env.dialect === 'sqlite') expect(await env.sql('PRAGMA synchronous')).toEqual([{ synchronous: 2 }]);
  });

  it('refuses a batch size that is not a positive whole number, deleting nothing', async () => {
    const tenant = 'bad-size';
    const { actor } = await seed(tenant, 5, null);
    await expect(env.app.services.retention.prune(actor, { now: later(), batchEvents: 0 })).rejects.toThrow(RangeError);
    const [left] = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = ? AND sequence <= 5', [tenant]);
    expect(Number(left.n)).toBe(5);
  });
});
