import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { rebuildRollup } from '../../src/chain/rollup-rebuild';
import { RECORD, REPO_ROOT, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

/**
 * audit_event_rollup is what assessments count from, so it must equal a fresh aggregation of the
 * events after anything ingest can do: batches, categories in any order, idempotent replays,
 * refused batches.
 */
describe('compliance rollup', () => {
  let env: TestEnvironment;
  const TENANT = 'rollup';
  let ingest: string;

  beforeAll(async () => {
    env = await createTestEnvironment();
    ingest = await env.createKey('INGEST', TENANT);
  });
  afterAll(() => env?.close());

  const day = (n: number, hours = 12) => new Date(Date.UTC(2026, 0, 10 + n, hours)).toISOString();
  const record = (events: Record<string, unknown>[], key = ingest) =>
    env.gql(RECORD, { input: { events: events.map((e) => eventInput(e)) } }, key);

  /** The rollup as a fresh GROUP BY of the stored events would give it. */
  async function aggregated(): Promise<string[]> {
    const events = await env.sql<Record<string, unknown>>(
      'SELECT sequence, occurred_at, action, outcome_status, severity, classification, resource_type, actor_type FROM audit_event WHERE tenant_id = ?',
      [TENANT],
    );
    const labels = await env.sql<{ sequence: unknown; value: string }>(
      "SELECT sequence, value FROM audit_event_label WHERE tenant_id = ? AND kind = 'category'",
      [TENANT],
    );
    const groups = new Map<string, { n: number; lo: number; hi: number }>();
    for (const e of events) {
      const seq = Number(e.sequence);
      const csv = labels
        .filter((l) => Number(l.sequence) === seq)
        .map((l) => l.value)
        .sort()
        .join(',');
      const occurred = e.occurred_at instanceof Date ? e.occurred_at.toISOString() : String(e.occurred_at);
      const key = [
        occurred.slice(0, 10),
        e.action,
        e.outcome_status,
        Number(e.severity),
        Number(e.classification),
        e.resource_type,
        e.actor_type,
        csv,
      ].join('|');
      const g = groups.get(key) ?? { n: 0, lo: seq, hi: seq };
      groups.set(key, { n: g.n + 1, lo: Math.min(g.lo, seq), hi: Math.max(g.hi, seq) });
    }
    return [...groups].map(([key, g]) => `${key}|${g.n}|${g.lo}|${g.hi}`).sort();
  }

  async function stored(): Promise<string[]> {
    const rows = await env.sql<Record<string, unknown>>('SELECT * FROM audit_event_rollup WHERE tenant_id = ?', [TENANT]);
    for (const r of rows) {
      const csv = String(r.categories);
      expect(r.categories_key).toBe(csv ? createHash('sha256').update(csv).digest('hex') : '');
    }
    return rows
      .map((r) =>
        [
          r.day,
          r.action,
          r.outcome_status,
          Number(r.severity),
          Number(r.classification),
          r.resource_type,
          r.actor_type,
          r.categories,
          Number(r.event_count),
          Number(r.min_sequence),
          Number(r.max_sequence),
        ].join('|'),
      )
      .sort();
  }

  it('equals a fresh aggregation of the events after batches, replays and refused batches', async () => {
    const first = await record([
      { occurredAt: day(0), action: 'auth.login', idempotencyKey: 'k1' },
      { occurredAt: day(0, 23), action: 'auth.login', idempotencyKey: 'k2' },
      { occurredAt: day(1, 0), action: 'auth.login', outcome: { status: 'FAILURE' } },
      { occurredAt: day(1), action: 'patient_record.read', resource: { type: 'patient_record', id: 'p1' }, categories: ['PII', 'PHI'] },
      { occurredAt: day(1), action: 'patient_record.read', resource: { type: 'patient_record', id: 'p2' }, categories: ['PHI', 'PII'] },
      { occurredAt: day(1), action: 'patient_record.read', resource: { type: 'patient_record', id: 'p3' }, categories: ['PHI'] },
      { occurredAt: day(2), action: 'auth.login', severity: 'WARNING' },
    ]);
    expect(first.body.errors).toBeUndefined();
    // A replay adds nothing; a batch refused for a conflicting key adds nothing.
    const replay = await record([
      { occurredAt: day(0), action: 'auth.login', idempotencyKey: 'k1' },
      { occurredAt: day(3), action: 'auth.login' },
    ]);
    expect(replay.body.data!.recordAuditEvents.recordedCount).toBe(1);
    const refused = await record([
      { occurredAt: day(4), action: 'auth.login' },
      { occurredAt: day(0), action: 'auth.logout', idempotencyKey: 'k2' },
    ]);
    expect(refused.body.errors?.[0].extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
    const invalid = await record([{ occurredAt: day(4), action: 'not valid!' }]);
    expect(invalid.body.errors?.[0].extensions?.code).toBe('INVALID_EVENT');

    const expected = await aggregated();
    expect(expected).toHaveLength(6);
    expect(await stored()).toEqual(expected);
    const phi = expected.find((row) => row.includes('|PHI,PII|'))!;
    expect(phi.split('|').slice(-3)[0]).toBe('2');
  });

  /** Every tenant's rollup rows, as text. */
  const everything = async () =>
    (await env.sql<Record<string, unknown>>('SELECT * FROM audit_event_rollup'))
      .map((r) => JSON.stringify(Object.values(r).map(String)))
      .sort();

  it('is rebuilt identically from the events, idempotently, leaving other tenants alone', async () => {
    await record([{ occurredAt: day(5), action: 'auth.login' }], await env.createKey('INGEST', 'rollup-other'));
    const before = await everything();
    expect(before.length).toBeGreaterThan(6);
    await env.sql('DELETE FROM audit_event_rollup WHERE tenant_id = ?', [TENANT]);
    await env.sql('UPDATE audit_event_rollup SET event_count = 99'); // the other tenant: must stay as it is now
    const tampered = await everything();
    const runner = env.app.dataSource.createQueryRunner();
    try {
      const dialect = env.dialect === 'sqlite' ? 'sqlite' : 'mysql';
      expect(await rebuildRollup(runner, dialect, { tenants: [TENANT], lock: true })).toBe(8);
      expect(await rebuildRollup(runner, dialect, { tenants: [TENANT], lock: true })).toBe(8);
    } finally {
      await runner.release();
    }
    const after = await everything();
    expect(after.filter((r) => r.includes('"rollup"'))).toEqual(before.filter((r) => r.includes('"rollup"')));
    expect(after.filter((r) => !r.includes('"rollup"'))).toEqual(tampered.filter((r) => !r.includes('"rollup"')));
  });

  it('is rebuilt for every tenant by `datapunk-audit rebuild-rollup`, repairing tampered counts', async () => {
    const before = await stored();
    await env.sql('UPDATE audit_event_rollup SET event_count = event_count + 5 WHERE tenant_id = ?', [TENANT]);
    expect(await stored()).not.toEqual(before);
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'dist/src/cli.js'), 'rebuild-rollup'], {
      env: { ...process.env, ...env.env, LOG_LEVEL: 'silent' },
    });
    expect(stdout).toMatch(/^rebuilt the rollup of every tenant from \d+ events/);
    expect(await stored()).toEqual(before);
  });

  it('counts the partial days at the edges of a range from the events themselves', async () => {
    const auditor = await env.createKey('AUDITOR', TENANT);
    const query = `query($input: AssessComplianceInput!) { assessCompliance(input: $input) { controls { controlId rules { ruleId count } } } }`;
    const logins = async (from: string, to: string) => {
      const res = await env.gql(query, { input: { frameworkId: 'soc2', from, to } }, auditor);
      expect(res.body.errors).toBeUndefined();
      const cc61 = res.body.data!.assessCompliance.controls.find((c: { controlId: string }) => c.controlId === 'CC6.1');
      return cc61.rules.find((r: { ruleId: string }) => r.ruleId === 'successful-logins').count as number;
    };
    // Successful logins: day 0 12:00 and 23:00, day 3 12:00 (day 2's was a WARNING, still a success).
    expect(await logins(day(0, 0), day(5, 0))).toBe(4);
    expect(await logins(day(0, 13), day(5, 0))).toBe(3); // from inside day 0
    expect(await logins(day(0, 0), day(3, 11))).toBe(3); // to inside day 3
    expect(await logins(day(0, 12), day(0, 23))).toBe(1); // within one day, end exclusive
    expect(await logins(day(0, 13), day(3, 13))).toBe(3); // both edges partial
  });
});
