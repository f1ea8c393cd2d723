import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

// A rollup changed in the database must not give a quietly different assessment (ADR 0037): every
// computed assessment checks that the rollup's rows add up to the chain head, or the answer is
// ROLLUP_INCONSISTENT. A cached answer was computed before the change, from the rollup as written.

const ASSESS = `query Assess($input: AssessComplianceInput!) {
  assessCompliance(input: $input) { cached headSequence counts { compliant nonCompliant total } controls { controlId status } }
}`;

describe('assessment over a tampered rollup', () => {
  let env: TestEnvironment;
  const TENANT = 'rollup-tamper';
  let ingest: string;
  let auditor: string;
  const now = new Date();
  const day = (n: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1 + n, 12)).toISOString();
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString();
  // Each request names a range end of its own, so none is answered from the cache: each computes.
  let calls = 0;
  const fresh = () => ({ frameworkId: 'soc2', from, to: new Date(now.getTime() + 86_400_000 + ++calls).toISOString() });
  const assess = async (input: Record<string, unknown> = fresh()) => (await env.gql(ASSESS, { input }, auditor)).body;
  let cachedInput: Record<string, unknown>;
  let baseline: unknown;
  let original: Record<string, unknown>[];

  beforeAll(async () => {
    env = await createTestEnvironment();
    ingest = await env.createKey('INGEST', TENANT);
    auditor = await env.createKey('AUDITOR', TENANT);
    const events = [
      eventInput({ occurredAt: day(0), action: 'auth.login' }),
      eventInput({ occurredAt: day(1), action: 'auth.login' }),
      eventInput({ occurredAt: day(2), action: 'access.review.completed', resource: { type: 'access_review', id: 'r-1' } }),
    ];
    const recorded = (await env.gql(RECORD, { input: { events } }, ingest)).body;
    expect(recorded.errors).toBeUndefined();
    cachedInput = fresh();
    const first = await assess(cachedInput);
    expect(first.errors).toBeUndefined();
    expect(first.data!.assessCompliance.cached).toBe(false);
    baseline = first.data!.assessCompliance.controls;
    original = await env.sql('SELECT * FROM audit_event_rollup WHERE tenant_id = ?', [TENANT]);
  });
  afterAll(() => env?.close());

  /** Puts the rollup back as the server wrote it, and checks the assessment is as before. */
  afterEach(async () => {
    await env.sql('DELETE FROM audit_event_rollup WHERE tenant_id = ?', [TENANT]);
    for (const row of original) {
      const columns = Object.keys(row);
      await env.sql(
        `INSERT INTO audit_event_rollup (${columns.join(',')}) VALUES (${columns.map(() => '?').join(',')})`,
        columns.map((c) => row[c]),
      );
    }
    const again = await assess();
    expect(again.errors).toBeUndefined();
    expect(again.data!.assessCompliance.controls).toEqual(baseline);
  });

  const refused = async () => {
    const res = await assess();
    expect(res.data?.assessCompliance ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions?.code).toBe('ROLLUP_INCONSISTENT');
    expect(res.errors?.[0]?.extensions).toMatchObject({ headSequence: 3 });
  };

  it('refuses an inserted row; an answer cached before the change stays the untampered one', async () => {
    await env.sql(
      "INSERT INTO audit_event_rollup (tenant_id, day, action, outcome_status, severity, classification, resource_type, actor_type, categories_key, categories, event_count, min_sequence, max_sequence) SELECT tenant_id, day, 'change.approved', outcome_status, severity, classification, resource_type, actor_type, categories_key, categories, 1, min_sequence, max_sequence FROM audit_event_rollup WHERE tenant_id = ? AND action = 'auth.login'",
      [TENANT],
    );
    await refused();
    const cached = await assess(cachedInput);
    expect(cached.data!.assessCompliance.cached).toBe(true);
    expect(cached.data!.assessCompliance.controls).toEqual(baseline);
  });

  it('refuses a row whose count was raised', async () => {
    await env.sql(
      "UPDATE audit_event_rollup SET event_count = event_count + 5 WHERE tenant_id = ? AND action = 'access.review.completed'",
      [TENANT],
    );
    await refused();
  });

  it('refuses counts moved between rows although the total still matches', async () => {
    const rows = await env.sql<{ day: unknown }>(
      "SELECT day FROM audit_event_rollup WHERE tenant_id = ? AND action = 'auth.login' ORDER BY day",
      [TENANT],
    );
    expect(rows.length).toBe(2);
    await env.sql("UPDATE audit_event_rollup SET event_count = 0 WHERE tenant_id = ? AND action = 'auth.login' AND day = ?", [
      TENANT,
      rows[0].day,
    ]);
    await env.sql(
      "UPDATE audit_event_rollup SET event_count = event_count + 1 WHERE tenant_id = ? AND action = 'access.review.completed'",
      [TENANT],
    );
    await refused();
  });

  it('refuses a deleted row', async () => {
    await env.sql("DELETE FROM audit_event_rollup WHERE tenant_id = ? AND action = 'access.review.completed'", [TENANT]);
    await refused();
  });
});
