import { AssessmentQueries, type MeasureScope } from '../../src/compliance/assessment-query';
import type { RuleMeasure } from '../../src/compliance/assessment';
import type { EventRule } from '../../src/plugin-api';
import { eventInput, type TestEnvironment } from '../helpers/test-environment';
import { seededWithStatementLog } from '../helpers/statement-log';

/**
 * ADR 0045, amended 2026-12-04: a FOLLOWED_BY or NOT_FOLLOWED_BY rule with few triggers probes
 * forward from each trigger (followProbeSql) instead of one window over every candidate follow-up
 * (notFollowedBySql). Both must give the same counts, samples and deviations; which one runs is
 * decided by the number of triggers in range (probeTriggers) and of candidate follow-ups per trigger
 * (probeRatio).
 */
type FollowRule = EventRule & { kind: 'NOT_FOLLOWED_BY' | 'FOLLOWED_BY' };

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** A whole hour four days ago: every event is in the past, none too old to record. */
const BASE = Math.floor((Date.now() - 4 * 24 * HOUR) / HOUR) * HOUR;
const at = (offsetMs: number) => new Date(BASE + offsetMs).toISOString();

const shared = { action: [{ equals: 'doc.shared' }] };
const follow = (id: string, over: Partial<FollowRule> = {}): FollowRule => ({
  id,
  kind: 'NOT_FOLLOWED_BY',
  description: id,
  trigger: shared,
  followUp: { action: [{ equals: 'doc.revoked' }], outcome: ['SUCCESS'] },
  within: { hours: 1 },
  correlation: 'RESOURCE',
  ...over,
});
/** Processing on consent after a share: a follow-up named by no action, only by outcome and metadata. */
const processed = { outcome: ['SUCCESS' as const], metadata: [{ path: 'basis', equals: 'consent' }] };
const RULES: FollowRule[] = [
  follow('revoked'),
  follow('revoked-2h', { within: { hours: 2 } }),
  follow('processed-after', { kind: 'FOLLOWED_BY', followUp: processed }),
  follow('processed-missing', { followUp: processed }),
  // Every event of a `doc` resource follows up, triggers included: never the trigger itself.
  follow('any-doc-event', { followUp: { resourceType: [{ equals: 'doc' }] } }),
  follow('by-actor', { correlation: 'ACTOR' }),
  follow('by-ip', { correlation: 'IP' }),
  follow('tenant', { correlation: 'TENANT' }),
];

const ev = (action: string, id: string, offsetMs: number, more: Record<string, unknown> = {}) =>
  eventInput({
    action,
    occurredAt: at(offsetMs),
    resource: { type: 'doc', id },
    actor: { id: `u-${id.length % 3}`, type: 'USER', ...(id.startsWith('noip') ? {} : { ip: `198.51.100.${id.length % 4}` }) },
    ...more,
  });
const consent = { metadata: { basis: 'consent' } };
const EVENTS = [
  ev('doc.shared', 'exact', 0),
  ev('doc.revoked', 'exact', HOUR), // at the deadline: answers
  ev('doc.shared', 'late', 0),
  ev('doc.revoked', 'late', HOUR + 1), // a millisecond late
  ev('doc.revoked', 'before', -MINUTE),
  ev('doc.shared', 'before', 0),
  ev('doc.revoked', 'peer', 10 * MINUTE), // recorded first, same instant: answers
  ev('doc.shared', 'peer', 10 * MINUTE),
  ev('doc.shared', 'failed', 0),
  ev('doc.revoked', 'failed', 5 * MINUTE, { outcome: { status: 'FAILURE' } }),
  ev('doc.shared', 'key-a', 0),
  ev('doc.revoked', 'key-b', 5 * MINUTE),
  ev('doc.shared', 'many', -40 * MINUTE),
  ev('doc.shared', 'many', 0),
  ev('doc.shared', 'many', 0), // two triggers at one instant answer each other under any-doc-event
  ev('doc.shared', 'many', 20 * MINUTE),
  ev('doc.revoked', 'many', 30 * MINUTE),
  ev('doc.shared', 'after-to', 2 * HOUR - 10 * MINUTE),
  ev('doc.revoked', 'after-to', 2 * HOUR + 20 * MINUTE), // after `to`, within the window
  ev('doc.shared', 'outside', -HOUR - 1),
  ev('doc.shared', 'outside', 2 * HOUR),
  ev('doc.shared', 'pending', HOUR + 30 * MINUTE),
  ev('doc.shared', 'noip-1', 0),
  ev('doc.revoked', 'noip-2', 5 * MINUTE),
  // Processing on consent: of the same subject in time, too late, on another basis, or failed.
  ev('doc.shared', 'subject-1', 0),
  ev('record.updated', 'subject-1', 30 * MINUTE, consent),
  ev('doc.shared', 'subject-2', 0),
  ev('record.updated', 'subject-2', 2 * HOUR, consent),
  ev('doc.shared', 'subject-3', 0),
  ev('record.updated', 'subject-3', 30 * MINUTE, { metadata: { basis: 'contract' } }),
  ev('doc.shared', 'subject-4', 0),
  ev('record.updated', 'subject-4', 30 * MINUTE, { ...consent, outcome: { status: 'ERROR' } }),
  ev('doc.shared', 'subject-5', 0),
  ev('record.updated', 'subject-5', 0, consent), // the same instant, recorded after the trigger
];
/** From an hour before the first trigger to two hours after it, judged a day later. */
const RANGE = { from: new Date(BASE - HOUR), to: new Date(BASE + 2 * HOUR), now: new Date(BASE + 24 * HOUR) };
const TRIGGERS_IN_RANGE = EVENTS.filter((e) => e.action === 'doc.shared').length - 2;

describe('FOLLOWED_BY and NOT_FOLLOWED_BY: the probe per trigger and the window agree', () => {
  let env: TestEnvironment;
  let statements: string[];

  /** RANGE, with no recording lag that matters. */
  const scope = (over: Partial<MeasureScope> = {}): MeasureScope => ({
    tenantId: 'default',
    recordedBy: null,
    lag: { days: 36_500 },
    ...RANGE,
    ...over,
  });
  const scopes: [string, MeasureScope][] = [
    ['closed', scope()],
    ['open, one trigger pending', scope({ now: new Date(BASE + 2 * HOUR) })],
    // Recorded now, days after they occurred: no follow-up is timely, the answers are backfilled.
    ['late evidence', scope({ lag: { minutes: 1 } })],
    ['no end', scope({ to: null })],
  ];
  const queries = (options: { probeTriggers?: number; probeRatio?: number }) =>
    new AssessmentQueries(env.app.dataSource, undefined, options);
  const planned = (rules: readonly EventRule[]) => rules.map((rule) => ({ controlId: 'c', role: 'VIOLATION' as const, rule }));
  /** The measures of RULES and the deviations of each, with which statements answered them. */
  async function run(q: AssessmentQueries, judged: MeasureScope) {
    statements.length = 0;
    const { measures } = await q.measure(planned(RULES), judged);
    const listed = await Promise.all(RULES.map((rule) => q.deviations(rule, judged, 1e9, { limit: 100 })));
    const probes = statements.filter((s) => s.includes('SELECT MIN(f.occurred_at)')).length;
    const windows = statements.filter((s) => s.includes(') OVER (')).length;
    return { measures: RULES.map((rule) => measures.get(rule)), listed, probes, windows };
  }

  beforeAll(async () => {
    ({ env, statements } = await seededWithStatementLog(EVENTS));
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await env?.close();
  });

  it.each(scopes)('gives the same counts, samples and deviations both ways (%s)', async (_name, judged) => {
    const window = await run(queries({ probeTriggers: 0 }), judged);
    expect(window).toMatchObject({ probes: 0 });
    expect(window.windows).toBeGreaterThan(0);
    const probe = await run(queries({ probeTriggers: 1_000_000, probeRatio: 0 }), judged);
    expect(probe).toMatchObject({ windows: 0 });
    expect(probe.probes).toBeGreaterThan(0);
    expect(probe.measures).toEqual(window.measures);
    expect(probe.listed).toEqual(window.listed);
    // Restricted to some sequences, the probe lists exactly those that are deviations.
    for (const [i, rule] of RULES.entries()) {
      const some = window.listed[i].slice(1, 3);
      expect(
        await queries({ probeTriggers: 1_000_000, probeRatio: 0 }).deviations(rule, judged, 1e9, { limit: 100, only: [...some, 1] }),
      ).toEqual(await queries({ probeTriggers: 0 }).deviations(rule, judged, 1e9, { limit: 100, only: [...some, 1] }));
    }
  });

  it('counts what each rule means, whichever statement answers', async () => {
    const [closed, open, late] = scopes.map(([, judged]) => judged);
    const byId = async (judged: MeasureScope) => {
      const { measures } = await queries({ probeTriggers: 1_000_000, probeRatio: 0 }).measure(planned(RULES), judged);
      return new Map(RULES.map((rule) => [rule.id, measures.get(rule) as RuleMeasure & { triggers: number }]));
    };
    const m = await byId(closed);
    // Followed: exact, peer, many ×3 (not the one 70 minutes before), after-to.
    expect(m.get('revoked')).toMatchObject({ kind: 'NOT_FOLLOWED_BY', triggers: TRIGGERS_IN_RANGE, followed: 6, pending: 0 });
    // Two hours: late (1 h 1 ms) and the first of many (70 min) too.
    expect(m.get('revoked-2h')).toMatchObject({ followed: 8 });
    // subject-1 and subject-5 (the same instant) were processed on consent in time.
    expect(m.get('processed-after')).toMatchObject({ kind: 'FOLLOWED_BY', triggers: TRIGGERS_IN_RANGE, followed: 2 });
    expect(m.get('processed-missing')).toMatchObject({ followed: 2, overdue: TRIGGERS_IN_RANGE - 2 });
    expect((await byId(open)).get('revoked')).toMatchObject({ followed: 6, pending: 1, nextDeadline: at(2 * HOUR + 30 * MINUTE) });
    expect((await byId(late)).get('revoked')).toMatchObject({ followed: 0, backfilled: 6 });
  });

  it('probes when the triggers are at most probeTriggers and the window above it, with the same answer', async () => {
    const closed = scope();
    const atThreshold = await run(queries({ probeTriggers: TRIGGERS_IN_RANGE, probeRatio: 0 }), closed);
    const above = await run(queries({ probeTriggers: TRIGGERS_IN_RANGE - 1, probeRatio: 0 }), closed);
    // Every rule has the same triggers: all probe at the threshold, none one below it.
    expect(atThreshold).toMatchObject({ windows: 0 });
    expect(atThreshold.probes).toBeGreaterThan(0);
    expect(above).toMatchObject({ probes: 0 });
    expect(atThreshold.measures).toEqual(above.measures);
    expect(atThreshold.listed).toEqual(above.listed);
  });

  it('keeps the window when the follow-ups named by action are few per trigger, but probes a follow-up named by none', async () => {
    const closed = scope();
    const sparse = await run(queries({ probeTriggers: 1_000_000, probeRatio: 1_000 }), closed);
    // Only the follow-ups named by no action (processed-after, processed-missing, any-doc-event) are
    // probed: one statement each for the measure and one for the deviations.
    const byNoAction = RULES.filter((rule) => !rule.followUp.action).length;
    expect(byNoAction).toBe(3);
    expect(sparse.probes).toBe(byNoAction * 2);
    expect(sparse.windows).toBeGreaterThan(0);
    const dense = await run(queries({ probeTriggers: 1_000_000, probeRatio: 1 }), closed);
    expect(sparse.measures).toEqual(dense.measures);
  });

  it('reads a probe through the action index, or the resource index with the time for a follow-up named by no action', async () => {
    const closed = scope();
    const q = queries({});
    for (const [rule, index] of [
      [RULES[0], 'ix_audit_event_action_resource'],
      [RULES[2], 'ix_audit_event_resource_time'],
    ] as const) {
      const text = q.followProbeSql([rule], closed, 1e9);
      if (env.dialect === 'sqlite') {
        const plan = (await env.sql<{ detail: string }>(`EXPLAIN QUERY PLAN ${text.text}`, text.params)).map((r) => r.detail).join('\n');
        expect(plan).toMatch(/CORRELATED SCALAR SUBQUERY/);
        expect(plan).toMatch(new RegExp(`SEARCH f USING (COVERING )?INDEX ${index}`));
      } else {
        const plan = await env.sql<{ select_type: string; table: string; key: string | null }>(`EXPLAIN ${text.text}`, text.params);
        const keys = plan.filter((r) => r.select_type === 'DEPENDENT SUBQUERY').map((r) => r.key);
        expect(keys.length).toBeGreaterThan(0);
        expect(new Set(keys)).toEqual(new Set([index]));
      }
    }
  });
});
