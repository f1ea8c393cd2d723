import { AssessmentQueries, type MeasureScope } from '../../src/compliance/assessment-query';
import type { RuleMeasure } from '../../src/compliance/assessment';
import type { EventRule } from '../../src/plugin-api';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

type PrecedeRule = EventRule & { kind: 'NOT_PRECEDED_BY' };
type Measured = Extract<RuleMeasure, { kind: 'NOT_PRECEDED_BY' }>;

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** A whole hour three days ago: every event is in the past, none too old to record. */
const BASE = Math.floor((Date.now() - 3 * 24 * HOUR) / HOUR) * HOUR;
const t = (offsetMs: number) => new Date(BASE + offsetMs).toISOString();

const rule = (id: string, over: Partial<PrecedeRule> = {}): PrecedeRule => ({
  id,
  kind: 'NOT_PRECEDED_BY',
  description: id,
  trigger: { action: [{ equals: 'change.deployed' }] },
  precededBy: { action: [{ equals: 'change.approved' }] },
  within: { hours: 1 },
  correlation: 'RESOURCE',
  ...over,
});
const RESOURCE_RULE = rule('resource');
/** Trigger and preceding event overlap: every `change.deployed` also precedes (a `change` resource). */
const SELF_RULE = rule('self', { precededBy: { resourceType: [{ equals: 'change' }] } });
const IP_RULE = rule('ip', {
  trigger: { action: [{ equals: 'ip.deployed' }] },
  precededBy: { action: [{ equals: 'ip.approved' }] },
  correlation: 'IP',
});

const ev = (action: string, resourceId: string, offsetMs: number, ip: string | null = '203.0.113.7') =>
  eventInput({
    action,
    occurredAt: t(offsetMs),
    resource: { type: 'change', id: resourceId },
    actor: { id: 'u-1', type: 'USER', ...(ip ? { ip } : {}) },
  });

/**
 * The events, in recording order (so in sequence order). The range is [BASE, BASE + 2 h); the
 * expected verdict of each trigger under RESOURCE_RULE is in the comment.
 */
const EVENTS = [
  // exact: an approval exactly `within` before counts.
  ev('change.approved', 'exact', 10 * MINUTE - HOUR),
  ev('change.deployed', 'exact', 10 * MINUTE), // preceded
  // early: one millisecond more does not.
  ev('change.approved', 'early', 10 * MINUTE - HOUR - 1),
  ev('change.deployed', 'early', 10 * MINUTE), // not preceded
  // after: an approval after the deployment does not precede it.
  ev('change.deployed', 'after', 0), // not preceded
  ev('change.approved', 'after', MINUTE),
  // same instant, approval recorded after (higher sequence): at the trigger's instant, so it counts.
  ev('change.deployed', 'same-instant', 10 * MINUTE), // preceded
  ev('change.approved', 'same-instant', 10 * MINUTE),
  // another key: an approval of another resource does not precede.
  ev('change.approved', 'key-b', 5 * MINUTE),
  ev('change.deployed', 'key-a', 10 * MINUTE), // not preceded
  // before-from: an approval before the range still precedes a trigger in it.
  ev('change.approved', 'before-from', -30 * MINUTE),
  ev('change.deployed', 'before-from', 10 * MINUTE), // preceded
  // twice: two deployments, no approval; the first precedes the second only under SELF_RULE.
  ev('change.deployed', 'twice', 20 * MINUTE), // not preceded
  ev('change.deployed', 'twice', 40 * MINUTE), // not preceded
  // out of range: triggers before `from` or at `to` are not counted.
  ev('change.deployed', 'outside', -1),
  ev('change.deployed', 'outside', 2 * HOUR),
  // IP correlation: null addresses correlate with nothing, equal addresses do.
  ev('ip.approved', 'ip-2', 5 * MINUTE, null),
  ev('ip.deployed', 'ip-1', 10 * MINUTE, null), // not preceded (no address)
  ev('ip.approved', 'ip-4', 5 * MINUTE, '198.51.100.9'),
  ev('ip.deployed', 'ip-3', 10 * MINUTE, '198.51.100.9'), // preceded (same address, other resource)
];

describe('NOT_PRECEDED_BY rules, evaluated set-based', () => {
  let env: TestEnvironment;
  let queries: AssessmentQueries;
  let seq: number[];

  const scope: MeasureScope = {
    tenantId: 'default',
    from: new Date(BASE),
    to: new Date(BASE + 2 * HOUR),
    now: new Date(BASE + 24 * HOUR),
    recordedBy: null,
    lag: { days: 36_500 },
  };
  async function measure(rules: PrecedeRule[]): Promise<Measured[]> {
    const { measures } = await queries.measure(
      rules.map((r) => ({ controlId: 'c', role: 'VIOLATION' as const, rule: r })),
      scope,
    );
    return rules.map((r) => measures.get(r) as Measured);
  }
  /** Sequence of the nth event of EVENTS with this action and resource. */
  const seqOf = (action: string, resourceId: string, nth = 0) =>
    seq[EVENTS.map((e, i) => ({ e, i })).filter(({ e }) => e.action === action && (e.resource as { id: string }).id === resourceId)[nth].i];

  beforeAll(async () => {
    env = await createTestEnvironment();
    queries = new AssessmentQueries(env.app.dataSource);
    const res = await env.gql(RECORD, { input: { events: EVENTS } });
    expect(res.body.errors).toBeUndefined();
    seq = (res.body.data!.recordAuditEvents.receipts as { sequence: number }[]).map((r) => r.sequence);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('counts each boundary case as the rule means it', async () => {
    const [m] = await measure([RESOURCE_RULE]);
    // In range: exact, early, after, same-instant, key-a, before-from, twice ×2 = 8.
    expect(m).toMatchObject({ triggers: 8, preceded: 3, notPreceded: 5, backfilled: 0 });
    expect(m.samples.preceded.sort((a, b) => a - b)).toEqual([seqOf('change.deployed', 'exact'), seqOf('change.deployed', 'before-from')]);
    expect(m.samples.notPreceded.sort((a, b) => a - b)).toEqual([seqOf('change.deployed', 'early'), seqOf('change.deployed', 'twice', 1)]);
  });

  it('lists the triggers not preceded, the deviations it counts, newest first (ADR 0036)', async () => {
    for (const r of [RESOURCE_RULE, SELF_RULE, IP_RULE]) {
      const [m] = await measure([r]);
      const listed = await queries.deviations(r, scope, 1e9, { limit: 100 });
      expect(listed).toHaveLength(m.notPreceded);
      expect(listed).toEqual([...listed].sort((a, b) => b - a));
      expect(listed).toEqual(expect.arrayContaining(m.samples.notPreceded));
    }
    const listed = await queries.deviations(RESOURCE_RULE, scope, 1e9, { limit: 100 });
    const preceded = seqOf('change.deployed', 'exact');
    expect(await queries.deviations(RESOURCE_RULE, scope, 1e9, { limit: 100, only: [preceded, listed[2]] })).toEqual([listed[2]]);
  });

  it('does not count an approval recorded later than the recording lag after it occurred (ADR 0034)', async () => {
    // Every event here was recorded now, three days after it claims to have happened.
    const { measures } = await queries.measure([{ controlId: 'c', role: 'VIOLATION', rule: RESOURCE_RULE }], {
      ...scope,
      lag: { minutes: 60 },
    });
    // The three an approval would have preceded, had it been recorded on time, are flagged.
    expect(measures.get(RESOURCE_RULE)).toMatchObject({ triggers: 8, preceded: 0, notPreceded: 8, backfilled: 3 });
  });

  it('keeps the counts of rules that differ only in their window, measured together', async () => {
    const [one, two] = await measure([RESOURCE_RULE, rule('resource-2h', { within: { hours: 2 } })]);
    expect(one).toMatchObject({ triggers: 8, preceded: 3, notPreceded: 5 });
    // Two hours: the early approval (1 h 1 ms before) now counts.
    expect(two).toMatchObject({ triggers: 8, preceded: 4, notPreceded: 4 });
  });

  it('never lets a trigger precede itself, but lets an earlier trigger precede it', async () => {
    const [m] = await measure([SELF_RULE]);
    // Every event of a `change` resource precedes: the second `twice` deployment is preceded by the
    // first, which has nothing before it; key-a and after stay alone before their trigger.
    expect(m).toMatchObject({ triggers: 8, preceded: 4, notPreceded: 4 });
    expect(m.samples.preceded).toContain(seqOf('change.deployed', 'twice', 1));
    expect(m.samples.notPreceded.sort((a, b) => a - b)).toEqual([seqOf('change.deployed', 'early'), seqOf('change.deployed', 'twice')]);
  });

  it('never correlates a null key, even with another null', async () => {
    const [m] = await measure([IP_RULE]);
    expect(m).toMatchObject({ triggers: 2, preceded: 1, notPreceded: 1 });
    expect(m.samples.notPreceded).toEqual([seqOf('ip.deployed', 'ip-1'), seqOf('ip.deployed', 'ip-1')]);
  });

  it('correlates every event of the tenant under TENANT', async () => {
    const [m] = await measure([rule('tenant', { correlation: 'TENANT' })]);
    // Any approval of the tenant within the hour before counts: before-from's (-30 min) precedes
    // `after` at +0, key-b's (+5 min) the rest.
    expect(m).toMatchObject({ triggers: 8, preceded: 8, notPreceded: 0 });
  });

  it('runs as one set-based statement on the action index, without a correlated subquery', async () => {
    for (let b = 0; b < 3; b += 1) {
      const res = await env.gql(RECORD, {
        input: { events: Array.from({ length: 1000 }, (_, i) => ev(i % 2 ? 'auth.login' : 'record.read', `r-${b}-${i}`, -2 * HOUR - i)) },
      });
      expect(res.body.errors).toBeUndefined();
    }
    const text = queries.notPrecededBySql([RESOURCE_RULE], scope, 1e9);
    if (env.dialect === 'sqlite') {
      const plan = (await env.sql<{ detail: string }>(`EXPLAIN QUERY PLAN ${text.text}`, text.params)).map((r) => r.detail);
      expect(plan.join('\n')).not.toMatch(/CORRELATED/);
      expect(plan.join('\n')).toMatch(/ix_audit_event_action_resource/);
    } else {
      await env.sql('ANALYZE TABLE audit_event');
      const plan = await env.sql<{ select_type: string; key: string | null }>(`EXPLAIN ${text.text}`, text.params);
      expect(plan.map((r) => r.select_type)).not.toContain('DEPENDENT SUBQUERY');
      expect(plan.map((r) => r.key)).toContain('ix_audit_event_action_resource');
    }
  });
});
