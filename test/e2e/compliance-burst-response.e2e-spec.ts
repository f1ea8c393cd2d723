import { AssessmentQueries, type MeasureScope } from '../../src/compliance/assessment-query';
import { evaluateRule, type RuleMeasure } from '../../src/compliance/assessment';
import type { EventRule } from '../../src/plugin-api';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

type BurstRule = EventRule & { kind: 'BURST' };
type Measured = Extract<RuleMeasure, { kind: 'BURST' }>;

const HOUR = 3_600_000;
const MINUTE = 60_000;
const SECOND = 1_000;
/** A whole hour three days ago: every event is in the past, none too old to record. */
const BASE = Math.floor((Date.now() - 3 * 24 * HOUR) / HOUR) * HOUR;
const t = (offsetMs: number) => new Date(BASE + offsetMs).toISOString();

/** Three failed logins of one actor within ten minutes, not answered by a lockout within five minutes. */
const RULE: BurstRule = {
  id: 'brute-force-unanswered',
  kind: 'BURST',
  description: 'Failed logins not answered by a lockout',
  match: { action: [{ equals: 'auth.login.failed' }], outcome: ['FAILURE'] },
  count: 3,
  within: { minutes: 10 },
  correlation: 'ACTOR',
  response: { match: { action: [{ equals: 'auth.lockout' }] }, within: { minutes: 5 } },
};

const failed = (actor: string, offsetMs: number) =>
  eventInput({ action: 'auth.login.failed', outcome: { status: 'FAILURE' }, occurredAt: t(offsetMs), actor: { id: actor, type: 'USER' } });
const lockout = (actor: string, offsetMs: number) =>
  eventInput({ action: 'auth.lockout', occurredAt: t(offsetMs), actor: { id: actor, type: 'USER' } });
const three = (actor: string) => [failed(actor, 0), failed(actor, MINUTE), failed(actor, 2 * MINUTE)];

/** Each actor is one case; the comment says how its bursts are judged. The range is [BASE − 1 h, BASE + 2 h). */
const EVENTS = [
  // exact: a lockout exactly five minutes after the completing event answers.
  ...three('exact'),
  lockout('exact', 7 * MINUTE), // answered
  // late: one second more does not.
  ...three('late'),
  lockout('late', 7 * MINUTE + SECOND), // unanswered
  // none: no lockout at all.
  ...three('none'), // unanswered
  // inside: a lockout after the burst's first event, before its completing one, answers.
  failed('inside', 0),
  failed('inside', MINUTE),
  lockout('inside', 90 * SECOND),
  failed('inside', 2 * MINUTE), // answered
  // before: a lockout before the burst's first event does not.
  lockout('before', -MINUTE),
  ...three('before'), // unanswered
  // streak: ten failures a minute apart are one burst, not eight.
  ...Array.from({ length: 10 }, (_, i) => failed('streak', i * MINUTE)), // one burst, unanswered
  // reset: answered at the third failure; the count starts again after the lockout, so the sixth
  // failure completes a second burst, which no lockout answers.
  ...three('reset'),
  lockout('reset', 2 * MINUTE),
  failed('reset', 3 * MINUTE),
  failed('reset', 4 * MINUTE),
  failed('reset', 5 * MINUTE), // answered, then unanswered
  // other: a lockout of another actor answers nothing.
  ...three('other'),
  lockout('someone-else', 3 * MINUTE), // unanswered
  // split: three failures of two actors are no burst.
  failed('split-a', 0),
  failed('split-b', MINUTE),
  failed('split-a', 2 * MINUTE),
  // outside: a burst completed at the range's end is not in it.
  failed('outside', 2 * HOUR - 2 * MINUTE),
  failed('outside', 2 * HOUR - MINUTE),
  failed('outside', 2 * HOUR),
];

describe('BURST with a response, evaluated set-based', () => {
  let env: TestEnvironment;
  let queries: AssessmentQueries;
  let seq: number[];

  const scope: MeasureScope = {
    tenantId: 'default',
    from: new Date(BASE - HOUR),
    to: new Date(BASE + 2 * HOUR),
    now: new Date(BASE + 24 * HOUR),
    recordedBy: null,
    lag: { days: 36_500 },
  };
  const measure = async (rule: BurstRule, over: Partial<MeasureScope> = {}): Promise<Measured> => {
    const { measures } = await queries.measure([{ controlId: 'c', role: 'VIOLATION', rule }], { ...scope, ...over });
    return measures.get(rule) as Measured;
  };
  /** Sequence of the nth failed login of this actor. */
  const failure = (actor: string, nth: number) =>
    seq[
      EVENTS.map((e, i) => ({ e, i })).filter(({ e }) => e.action === 'auth.login.failed' && (e.actor as { id: string }).id === actor)[nth]
        .i
    ];

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

  it('judges each burst once, answered from its first event until the response window closes', async () => {
    const m = await measure(RULE);
    // exact, late, none, inside, before, streak, reset ×2, other = 9 bursts; exact, inside, reset's first answered.
    expect(m.response).toMatchObject({ bursts: 9, answered: 3, unanswered: 6, pending: 0, backfilled: 0 });
    expect(m.response!.samples.answered.sort((a, b) => a - b)).toEqual([failure('exact', 2), failure('reset', 2)]);
    expect(m.response!.samples.unanswered.sort((a, b) => a - b)).toEqual([failure('late', 2), failure('other', 2)]);
    const outcome = evaluateRule(RULE, 'VIOLATION', m, { from: scope.from, end: scope.to!, firstEvent: scope.from });
    expect(outcome).toMatchObject({ verdict: 'FINDING', count: 6, duty: true, tested: 9, backfilled: 0 });
    const evidence = evaluateRule(RULE, 'EVIDENCE', m, { from: scope.from, end: scope.to!, firstEvent: scope.from });
    expect(evidence).toMatchObject({ verdict: 'PARTIAL', count: 3, tested: 9 });
  });

  it('lists the completing event of each unanswered burst, newest first (ADR 0036)', async () => {
    const listed = await queries.deviations(RULE, scope, 1e9, { limit: 100 });
    expect(listed).toEqual(
      [failure('late', 2), failure('none', 2), failure('before', 2), failure('streak', 2), failure('reset', 5), failure('other', 2)].sort(
        (a, b) => b - a,
      ),
    );
    // A later failure of the streak continues the burst its third one completed: it names none.
    expect(await queries.deviations(RULE, scope, 1e9, { limit: 100, only: [failure('streak', 5), failure('none', 2)] })).toEqual([
      failure('none', 2),
    ]);
  });

  it('lets any unanswered completing event name its burst when asked for one event (findings, ADR 0036)', async () => {
    const one = (sequence: number) => queries.deviations(RULE, scope, 1e9, { limit: 1, only: [sequence], anyWindow: true });
    // Where the range starts decides which failure of a streak starts it: any completing one can.
    expect(await one(failure('streak', 5))).toEqual([failure('streak', 5)]);
    // One that completes no window, or a burst that was answered, names nothing.
    expect(await one(failure('streak', 1))).toEqual([]);
    expect(await one(failure('exact', 2))).toEqual([]);
  });

  it('keeps a burst whose response window is still open pending, not a finding', async () => {
    // As of three minutes in, the bursts completed at two minutes have until seven to be answered.
    const m = await measure(RULE, { now: new Date(BASE + 3 * MINUTE), to: null });
    // Answered already: inside (at 1.5 min) and reset's first (at 2 min); the lockouts after now
    // are recorded but the deadline has not passed, so exact and late are answered or waiting.
    expect(m.response).toMatchObject({ unanswered: 0 });
    expect(m.response!.pending).toBeGreaterThan(0);
    expect(m.response!.nextDeadline).toBe(new Date(BASE + 7 * MINUTE).toISOString());
    const outcome = evaluateRule(RULE, 'VIOLATION', m, { from: scope.from, end: new Date(BASE + 3 * MINUTE), firstEvent: scope.from });
    expect(outcome.verdict).toBe('CLEAR');
  });

  it('does not count a lockout recorded later than the recording lag after it occurred (ADR 0034)', async () => {
    // Every event here was recorded now, three days after it claims to have happened.
    const m = await measure(RULE, { lag: { minutes: 60 } });
    // A late lockout neither answers nor starts the count again: reset's six failures are one
    // streak. The three bursts a lockout would have answered, had it been recorded on time, are flagged.
    expect(m.response).toMatchObject({ bursts: 8, answered: 0, unanswered: 8, backfilled: 3 });
  });

  it('never correlates a null key: the actors here have no address, so by IP there is no burst', async () => {
    const m = await measure({ ...RULE, correlation: 'IP' });
    expect(m.response).toMatchObject({ bursts: 0, answered: 0, unanswered: 0 });
  });
});
