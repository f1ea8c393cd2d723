import { AssessmentQueries, type MeasureScope } from '../../src/compliance/assessment-query';
import type { RuleMeasure } from '../../src/compliance/assessment';
import type { EventRule } from '../../src/plugin-api';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

type FollowRule = EventRule & { kind: 'NOT_FOLLOWED_BY' };
type Measured = Extract<RuleMeasure, { kind: 'NOT_FOLLOWED_BY' }>;

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** A whole hour three days ago: every event is in the past, none too old to record. */
const BASE = Math.floor((Date.now() - 3 * 24 * HOUR) / HOUR) * HOUR;
const t = (offsetMs: number) => new Date(BASE + offsetMs).toISOString();

const rule = (id: string, over: Partial<FollowRule> = {}): FollowRule => ({
  id,
  kind: 'NOT_FOLLOWED_BY',
  description: id,
  trigger: { action: [{ equals: 'case.opened' }] },
  followUp: { action: [{ equals: 'case.closed' }] },
  within: { hours: 1 },
  correlation: 'RESOURCE',
  ...over,
});
const RESOURCE_RULE = rule('resource');
/** Trigger and follow-up overlap: every `case.opened` is also a follow-up (of a `case` resource). */
const SELF_RULE = rule('self', { followUp: { resourceType: [{ equals: 'case' }] } });
const IP_RULE = rule('ip', {
  trigger: { action: [{ equals: 'ip.opened' }] },
  followUp: { action: [{ equals: 'ip.closed' }] },
  correlation: 'IP',
});

const ev = (action: string, resourceId: string, offsetMs: number, ip: string | null = '203.0.113.7') =>
  eventInput({
    action,
    occurredAt: t(offsetMs),
    resource: { type: 'case', id: resourceId },
    actor: { id: 'u-1', type: 'USER', ...(ip ? { ip } : {}) },
  });

/**
 * The events, in recording order (so in sequence order). Each resource is one case of the rule
 * semantics; the expected verdict of each trigger under RESOURCE_RULE is in the comment.
 */
const EVENTS = [
  // exact: a follow-up exactly at the deadline answers.
  ev('case.opened', 'exact', 0), // followed
  ev('case.closed', 'exact', HOUR),
  // late: one millisecond past the deadline does not.
  ev('case.opened', 'late', 0), // overdue
  ev('case.closed', 'late', HOUR + 1),
  // before: a follow-up before the trigger does not.
  ev('case.closed', 'before', -MINUTE),
  ev('case.opened', 'before', 0), // overdue
  // same instant, follow-up recorded first (lower sequence): at or after the trigger, so it answers.
  ev('case.closed', 'same-instant', 10 * MINUTE),
  ev('case.opened', 'same-instant', 10 * MINUTE), // followed
  // another key: a follow-up of another resource does not answer.
  ev('case.opened', 'key-a', 0), // overdue
  ev('case.closed', 'key-b', 5 * MINUTE),
  // shared: three triggers answered by one follow-up; a fourth too long before it is not.
  ev('case.opened', 'shared', -40 * MINUTE), // overdue (70 min before the follow-up)
  ev('case.opened', 'shared', 0), // followed
  ev('case.opened', 'shared', 10 * MINUTE), // followed
  ev('case.opened', 'shared', 20 * MINUTE), // followed
  ev('case.closed', 'shared', 30 * MINUTE),
  // after-to: the range ends at +2 h; a follow-up after it, within the window, still answers.
  ev('case.opened', 'after-to', 2 * HOUR - 10 * MINUTE), // followed
  ev('case.closed', 'after-to', 2 * HOUR + 20 * MINUTE),
  // out of range: triggers before `from` (-1 h) or at/after `to` (+2 h) are not counted.
  ev('case.opened', 'outside', -HOUR - 1),
  ev('case.opened', 'outside', 2 * HOUR),
  // pending: no follow-up yet, deadline after `now` in the second scope below.
  ev('case.opened', 'pending', HOUR + 30 * MINUTE), // overdue at now = +1 day, pending at now = +2 h
  // IP correlation: null addresses correlate with nothing, equal addresses do.
  ev('ip.opened', 'ip-1', 0, null), // overdue (no address)
  ev('ip.closed', 'ip-2', 5 * MINUTE, null),
  ev('ip.opened', 'ip-3', 0, '198.51.100.9'), // followed (same address, other resource)
  ev('ip.closed', 'ip-4', 5 * MINUTE, '198.51.100.9'),
];

describe('NOT_FOLLOWED_BY rules, evaluated set-based', () => {
  let env: TestEnvironment;
  let queries: AssessmentQueries;
  let seq: number[];

  const scope = (now: number): MeasureScope => ({
    tenantId: 'default',
    from: new Date(BASE - HOUR),
    to: new Date(BASE + 2 * HOUR),
    now: new Date(BASE + now),
    recordedBy: null,
    lag: { days: 36_500 },
  });
  async function measure(rules: FollowRule[], now = 24 * HOUR): Promise<Measured[]> {
    const { measures } = await queries.measure(
      rules.map((r) => ({ controlId: 'c', role: 'VIOLATION' as const, rule: r })),
      scope(now),
    );
    return rules.map((r) => measures.get(r) as Measured);
  }
  /** Sequence of the i-th event of EVENTS whose action and resource are given (in order). */
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

  it('counts each tricky case as the rule means it', async () => {
    const [m] = await measure([RESOURCE_RULE]);
    // In range: exact, late, before, same-instant, key-a, shared ×4, after-to, pending = 11.
    expect(m).toMatchObject({ triggers: 11, followed: 6, overdue: 5, backfilled: 0, pending: 0, nextDeadline: null });
    expect(m.samples.followed.sort((a, b) => a - b)).toEqual([seqOf('case.opened', 'exact'), seqOf('case.opened', 'after-to')]);
    expect(m.samples.overdue.sort((a, b) => a - b)).toEqual([seqOf('case.opened', 'late'), seqOf('case.opened', 'pending')]);
  });

  it('lists the deviations the counts count, newest first, and each one alone (ADR 0036)', async () => {
    const deviation: EventRule = { ...RESOURCE_RULE, id: 'deviation', kind: 'FOLLOWED_BY' };
    for (const [r, now] of [
      [RESOURCE_RULE, 24 * HOUR],
      [RESOURCE_RULE, 2 * HOUR],
      [deviation, 2 * HOUR],
      [SELF_RULE, 24 * HOUR],
    ] as const) {
      const { measures } = await queries.measure([{ controlId: 'c', role: 'VIOLATION', rule: r }], scope(now));
      const m = measures.get(r)!;
      const count = m.kind === 'NOT_FOLLOWED_BY' ? m.overdue : m.kind === 'FOLLOWED_BY' ? m.followed : -1;
      const listed = await queries.deviations(r, scope(now), 1e9, { limit: 100 });
      expect(listed).toHaveLength(count);
      expect(listed).toEqual([...listed].sort((a, b) => b - a));
      const samples = m.kind === 'NOT_FOLLOWED_BY' ? m.samples.overdue : m.kind === 'FOLLOWED_BY' ? m.samples.followed : [];
      expect(listed).toEqual(expect.arrayContaining(samples));
      expect(await queries.deviations(r, scope(now), 1e9, { limit: 2 })).toEqual(listed.slice(0, 2));
      // Restricted to some sequences: just those that are deviations, whatever else the key holds.
      const others = seq.filter((x) => !listed.includes(x));
      expect(await queries.deviations(r, scope(now), 1e9, { limit: 100, only: [listed[1], ...others] })).toEqual([listed[1]]);
    }
  });

  it('keeps the counts of rules that differ only in their window, measured together', async () => {
    const twoHours = rule('resource-2h', { within: { hours: 2 } });
    const [one, two, again] = await measure([RESOURCE_RULE, twoHours, { ...RESOURCE_RULE, id: 'same-again' }]);
    expect(one).toMatchObject({ triggers: 11, followed: 6, overdue: 5 });
    // Two hours: the late follow-up (1 h 1 ms) and the first shared trigger (70 min) now answer.
    expect(two).toMatchObject({ triggers: 11, followed: 8, overdue: 3 });
    expect(again).toEqual(one);
  });

  it('judges deadlines against now: a trigger whose deadline has not come is pending', async () => {
    const [m] = await measure([RESOURCE_RULE], 2 * HOUR);
    expect(m).toMatchObject({ triggers: 11, followed: 6, overdue: 4, pending: 1, nextDeadline: t(2 * HOUR + 30 * MINUTE) });
  });

  it('never lets a trigger answer itself, but lets another trigger answer it', async () => {
    const [m] = await measure([SELF_RULE]);
    // Every event of a `case` resource is a follow-up, so a trigger is answered by any other event
    // of its resource at or after it within the hour (the first shared trigger by the second), never
    // by itself: key-a and pending, alone on their resource after their trigger, stay overdue.
    expect(m).toMatchObject({ triggers: 11, followed: 7, overdue: 4 });
    expect(m.samples.overdue.sort((a, b) => a - b)).toEqual([seqOf('case.opened', 'late'), seqOf('case.opened', 'pending')]);
  });

  it('never correlates a null key, even with another null', async () => {
    const [m] = await measure([IP_RULE]);
    expect(m).toMatchObject({ triggers: 2, followed: 1, overdue: 1 });
    expect(m.samples).toEqual({
      followed: [seqOf('ip.opened', 'ip-3'), seqOf('ip.opened', 'ip-3')],
      overdue: [seqOf('ip.opened', 'ip-1'), seqOf('ip.opened', 'ip-1')],
    });
  });

  it('measures FOLLOWED_BY with the same statement: a followed trigger is the deviation, a closed window clears', async () => {
    const deviation: EventRule = { ...RESOURCE_RULE, id: 'deviation', kind: 'FOLLOWED_BY' };
    const { measures } = await queries.measure(
      [RESOURCE_RULE, deviation].map((r) => ({ controlId: 'c', role: 'VIOLATION' as const, rule: r })),
      scope(2 * HOUR),
    );
    // The boundaries are NOT_FOLLOWED_BY's: exactly at the deadline follows, 1 ms later does not,
    // before the trigger or another resource never does. The pending trigger (window open at now) is
    // neither a finding nor cleared.
    expect(measures.get(deviation)).toMatchObject({
      kind: 'FOLLOWED_BY',
      triggers: 11,
      followed: 6,
      cleared: 4,
      pending: 1,
      nextDeadline: t(2 * HOUR + 30 * MINUTE),
    });
    expect(measures.get(RESOURCE_RULE)).toMatchObject({ kind: 'NOT_FOLLOWED_BY', followed: 6, overdue: 4, pending: 1 });
    const followed = (measures.get(deviation) as Extract<RuleMeasure, { kind: 'FOLLOWED_BY' }>).samples.followed;
    expect(followed.sort((a, b) => a - b)).toEqual([seqOf('case.opened', 'exact'), seqOf('case.opened', 'after-to')]);
  });

  it('counts a follow-up recorded later than the lag as not timely, but a late FOLLOWED_BY deviation still as one (ADR 0034)', async () => {
    // These events were recorded now, hours or days after they claim to have happened.
    const deviation: EventRule = { ...RESOURCE_RULE, id: 'deviation', kind: 'FOLLOWED_BY' };
    const { measures } = await queries.measure(
      [RESOURCE_RULE, deviation].map((r) => ({ controlId: 'c', role: 'VIOLATION' as const, rule: r })),
      { ...scope(2 * HOUR), lag: { minutes: 1 } },
    );
    // The five overdue triggers a follow-up would have answered, had it been recorded on time, are flagged.
    expect(measures.get(RESOURCE_RULE)).toMatchObject({
      kind: 'NOT_FOLLOWED_BY',
      triggers: 11,
      followed: 0,
      overdue: 9,
      backfilled: 5,
      pending: 2,
    });
    expect(measures.get(deviation)).toMatchObject({ kind: 'FOLLOWED_BY', followed: 6, cleared: 4, pending: 1 });
  });

  it('never lets a FOLLOWED_BY trigger follow itself, nor a null key correlate', async () => {
    const self: EventRule = { ...SELF_RULE, kind: 'FOLLOWED_BY' };
    const ip: EventRule = { ...IP_RULE, kind: 'FOLLOWED_BY' };
    const { measures } = await queries.measure(
      [self, ip].map((r) => ({ controlId: 'c', role: 'VIOLATION' as const, rule: r })),
      scope(24 * HOUR),
    );
    expect(measures.get(self)).toMatchObject({ triggers: 11, followed: 7, cleared: 4, pending: 0 });
    expect(measures.get(ip)).toMatchObject({ triggers: 2, followed: 1, cleared: 1 });
  });

  it('correlates every event of the tenant under TENANT', async () => {
    const [m] = await measure([rule('tenant', { correlation: 'TENANT' })]);
    // Any case.closed of the tenant within the hour answers: key-b's answers key-a, late and before;
    // before's (-1 min) the first shared trigger; after-to's (+2 h 20 min) the pending one.
    expect(m).toMatchObject({ triggers: 11, followed: 11, overdue: 0 });
  });

  it('runs as one set-based statement on the action index, without a correlated subquery', async () => {
    // Enough other events that an index is worth it to the planner.
    for (let b = 0; b < 3; b += 1) {
      const res = await env.gql(RECORD, {
        input: { events: Array.from({ length: 1000 }, (_, i) => ev(i % 2 ? 'auth.login' : 'record.read', `r-${b}-${i}`, -2 * HOUR - i)) },
      });
      expect(res.body.errors).toBeUndefined();
    }
    const text = queries.notFollowedBySql([RESOURCE_RULE], scope(24 * HOUR), 1e9);
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

  it('reads BURST rules from the outcome index, without a correlated subquery', async () => {
    const burst: EventRule & { kind: 'BURST' } = {
      id: 'failed-logins',
      kind: 'BURST',
      description: 'failed logins',
      match: { action: [{ equals: 'auth.login' }], outcome: ['FAILURE'] },
      count: 5,
      within: { minutes: 10 },
      correlation: 'ACTOR',
    };
    const text = queries.burstSql(burst, scope(24 * HOUR), 1e9);
    if (env.dialect === 'sqlite') {
      const plan = (await env.sql<{ detail: string }>(`EXPLAIN QUERY PLAN ${text.text}`, text.params)).map((r) => r.detail);
      expect(plan.join('\n')).not.toMatch(/CORRELATED/);
      expect(plan.join('\n')).toMatch(/ix_audit_event_outcome_actor/);
    } else {
      const plan = await env.sql<{ select_type: string; key: string | null }>(`EXPLAIN ${text.text}`, text.params);
      expect(plan.map((r) => r.select_type)).not.toContain('DEPENDENT SUBQUERY');
      expect(plan.map((r) => r.key)).toContain('ix_audit_event_outcome_actor');
    }
  });
});
