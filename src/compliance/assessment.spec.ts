import type { Control, EventRule } from '../plugin-api';
import {
  type AssessedRange,
  type Attestation,
  type ControlResult,
  type RuleOutcome,
  ComplianceLevel,
  ControlStatus,
  evaluateControl,
  evaluateRule,
  rollUp,
  summarise,
} from './assessment';

/** A range over a trail that began long before it (every period can be judged). */
const range = (from: string, end: string, firstEvent: string | null = '2000-01-01T00:00:00.000Z'): AssessedRange => ({
  from: new Date(from),
  end: new Date(end),
  firstEvent: firstEvent === null ? null : new Date(firstEvent),
});
/** January, February and March 2026: three whole months. */
const Q1 = range('2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z');

const matchRule: EventRule = { id: 'logins', kind: 'MATCH', description: 'Logins', match: { action: [{ equals: 'auth.login' }] } };
const monthly = (count = 1): EventRule => ({
  id: 'monthly-review',
  kind: 'AT_LEAST',
  description: 'Monthly review',
  match: { action: [{ equals: 'audit.log.reviewed' }] },
  count,
  period: 'MONTH',
});
const followRule: EventRule = {
  id: 'breach-notified',
  kind: 'NOT_FOLLOWED_BY',
  description: 'Breach notified',
  trigger: { action: [{ equals: 'breach.detected' }] },
  followUp: { action: [{ equals: 'breach.notified.authority' }] },
  within: { hours: 72 },
  correlation: 'RESOURCE',
};
const deviationRule: EventRule = {
  id: 'active-after-disable',
  kind: 'FOLLOWED_BY',
  description: 'Activity after the account was disabled',
  trigger: { action: [{ equals: 'user.disabled' }] },
  followUp: { actorType: ['USER'] },
  within: { days: 30 },
  correlation: 'ACTOR',
};
const precedeRule: EventRule = {
  id: 'change-approved',
  kind: 'NOT_PRECEDED_BY',
  description: 'Deployments approved',
  trigger: { action: [{ equals: 'change.deployed' }] },
  precededBy: { action: [{ equals: 'change.approved' }] },
  within: { days: 30 },
  correlation: 'RESOURCE',
};
const burstRule: EventRule = {
  id: 'failed-logins',
  kind: 'BURST',
  description: 'Failed logins',
  match: { action: [{ equals: 'auth.login' }], outcome: ['FAILURE'] },
  count: 5,
  within: { minutes: 10 },
  correlation: 'ACTOR',
};

const days = (entries: Record<string, number>) => new Map(Object.entries(entries));

describe('evaluateRule', () => {
  describe('MATCH', () => {
    it('is MET evidence when events match, NONE when none do', () => {
      expect(evaluateRule(matchRule, 'EVIDENCE', { kind: 'MATCH', count: 3, samples: [4, 9] }, Q1)).toMatchObject({
        ruleId: 'logins',
        kind: 'MATCH',
        role: 'EVIDENCE',
        verdict: 'MET',
        count: 3,
        samples: [9, 4],
        periodsChecked: null,
        periodsMet: null,
        pending: null,
      });
      expect(evaluateRule(matchRule, 'EVIDENCE', { kind: 'MATCH', count: 0, samples: [] }, Q1)).toMatchObject({
        verdict: 'NONE',
        count: 0,
      });
    });

    it('is a FINDING as a violation when events match, CLEAR when none do', () => {
      expect(evaluateRule(matchRule, 'VIOLATION', { kind: 'MATCH', count: 2, samples: [7, 7] }, Q1)).toMatchObject({
        role: 'VIOLATION',
        verdict: 'FINDING',
        count: 2,
        samples: [7],
      });
      expect(evaluateRule(matchRule, 'VIOLATION', { kind: 'MATCH', count: 0, samples: [] }, Q1)).toMatchObject({
        verdict: 'CLEAR',
        count: 0,
      });
    });

    it('keeps at most five samples, newest first', () => {
      const outcome = evaluateRule(matchRule, 'EVIDENCE', { kind: 'MATCH', count: 8, samples: [3, 1, 8, 2, 7, 5, 6, 4] }, Q1);
      expect(outcome.samples).toEqual([8, 7, 6, 5, 4]);
    });
  });

  describe('AT_LEAST', () => {
    it('is MET when every whole period had enough', () => {
      const outcome = evaluateRule(
        monthly(),
        'EVIDENCE',
        { kind: 'AT_LEAST', byDay: days({ '2026-01-10': 1, '2026-02-03': 2, '2026-03-31': 1 }), samples: [1, 4] },
        Q1,
      );
      expect(outcome).toMatchObject({ verdict: 'MET', periodsChecked: 3, periodsMet: 3, count: 4, samples: [4, 1] });
    });

    it('is PARTIAL evidence, and a FINDING per short period as a violation, when some whole periods fall short', () => {
      const measure = { kind: 'AT_LEAST' as const, byDay: days({ '2026-01-10': 1, '2026-01-11': 1, '2026-03-05': 2 }), samples: [] };
      expect(evaluateRule(monthly(2), 'EVIDENCE', measure, Q1)).toMatchObject({
        verdict: 'PARTIAL',
        periodsChecked: 3,
        periodsMet: 2,
        count: 4,
      });
      const violation = evaluateRule(monthly(2), 'VIOLATION', measure, Q1);
      expect(violation).toMatchObject({ verdict: 'FINDING', periodsChecked: 3, periodsMet: 2, count: 1, shortPeriods: ['2026-02'] });
      expect(violation.detail).toContain('2026-02');
    });

    it('adds up the days of a period before comparing with the count', () => {
      const outcome = evaluateRule(
        monthly(3),
        'EVIDENCE',
        { kind: 'AT_LEAST', byDay: days({ '2026-01-01': 1, '2026-01-15': 1, '2026-01-31': 1 }), samples: [] },
        range('2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'),
      );
      expect(outcome).toMatchObject({ verdict: 'MET', periodsChecked: 1, periodsMet: 1 });
    });

    it('is NONE when whole periods were checked and none had enough', () => {
      expect(evaluateRule(monthly(), 'EVIDENCE', { kind: 'AT_LEAST', byDay: days({}), samples: [] }, Q1)).toMatchObject({
        verdict: 'NONE',
        periodsChecked: 3,
        periodsMet: 0,
        count: 0,
      });
      expect(evaluateRule(monthly(), 'VIOLATION', { kind: 'AT_LEAST', byDay: days({}), samples: [] }, Q1)).toMatchObject({
        verdict: 'FINDING',
        count: 3,
      });
    });

    it('counts a partial edge period only when it already has enough', () => {
      // 15 January to 10 April: January and April are partial, February and March whole.
      const edges = range('2026-01-15T00:00:00.000Z', '2026-04-10T00:00:00.000Z');
      const enoughInJanuary = days({ '2026-01-20': 1, '2026-02-02': 1, '2026-03-02': 1 });
      expect(evaluateRule(monthly(), 'EVIDENCE', { kind: 'AT_LEAST', byDay: enoughInJanuary, samples: [] }, edges)).toMatchObject({
        verdict: 'MET',
        periodsChecked: 3,
        periodsMet: 3,
      });
      // April has nothing yet: it is neither checked nor a gap.
      const quietEdges = days({ '2026-02-02': 1, '2026-03-02': 1 });
      expect(evaluateRule(monthly(), 'EVIDENCE', { kind: 'AT_LEAST', byDay: quietEdges, samples: [] }, edges)).toMatchObject({
        verdict: 'MET',
        periodsChecked: 2,
        periodsMet: 2,
      });
      expect(evaluateRule(monthly(), 'VIOLATION', { kind: 'AT_LEAST', byDay: quietEdges, samples: [] }, edges)).toMatchObject({
        verdict: 'CLEAR',
        count: 0,
      });
      // A partial edge short of the count is skipped; whole months short of it leave nothing met.
      const short = days({ '2026-01-20': 1, '2026-02-02': 1, '2026-03-02': 1 });
      expect(evaluateRule(monthly(2), 'EVIDENCE', { kind: 'AT_LEAST', byDay: short, samples: [] }, edges)).toMatchObject({
        verdict: 'NONE',
        periodsChecked: 2,
        periodsMet: 0,
      });
    });

    it('is NONE, not a finding, when the range holds no whole period', () => {
      const within = range('2026-01-05T00:00:00.000Z', '2026-01-20T00:00:00.000Z');
      const outcome = evaluateRule(monthly(), 'EVIDENCE', { kind: 'AT_LEAST', byDay: days({}), samples: [] }, within);
      expect(outcome).toMatchObject({ verdict: 'NONE', periodsChecked: 0, periodsMet: 0, count: 0 });
      expect(evaluateRule(monthly(), 'VIOLATION', { kind: 'AT_LEAST', byDay: days({}), samples: [] }, within)).toMatchObject({
        verdict: 'CLEAR',
        count: 0,
      });
      // A partial period that already has enough does count.
      expect(
        evaluateRule(monthly(), 'EVIDENCE', { kind: 'AT_LEAST', byDay: days({ '2026-01-06': 1 }), samples: [] }, within),
      ).toMatchObject({ verdict: 'MET', periodsChecked: 1, periodsMet: 1 });
    });
  });

  describe('NOT_FOLLOWED_BY', () => {
    const measure = (followed: number, overdue: number, pending: number, backfilled = 0) => ({
      kind: 'NOT_FOLLOWED_BY' as const,
      triggers: followed + overdue + pending,
      followed,
      overdue,
      backfilled,
      pending,
      nextDeadline: pending ? '2026-04-02T00:00:00.000Z' : null,
      samples: { followed: followed ? [10, 11] : [], overdue: overdue ? [20, 21] : [] },
    });

    it('tests the population as evidence: MET only when every judged trigger was followed in time', () => {
      expect(evaluateRule(followRule, 'EVIDENCE', measure(2, 0, 1), Q1)).toMatchObject({
        verdict: 'MET',
        count: 2,
        pending: 1,
        duty: true,
        tested: 2,
        samples: [11, 10],
      });
      expect(evaluateRule(followRule, 'EVIDENCE', measure(2, 1, 1), Q1)).toMatchObject({ verdict: 'PARTIAL', count: 2, tested: 3 });
      expect(evaluateRule(followRule, 'EVIDENCE', measure(0, 1, 0), Q1)).toMatchObject({
        verdict: 'NONE',
        count: 0,
        pending: 0,
        tested: 1,
      });
      // Only pending triggers: nothing judged yet.
      expect(evaluateRule(followRule, 'EVIDENCE', measure(0, 0, 2), Q1)).toMatchObject({ verdict: 'NONE', tested: 0 });
    });

    it('flags overdue triggers that only a follow-up recorded too late answered (ADR 0034)', () => {
      const late = evaluateRule(followRule, 'VIOLATION', measure(2, 3, 0, 2), Q1);
      expect(late).toMatchObject({ verdict: 'FINDING', count: 3, backfilled: 2 });
      expect(late.detail).toContain(
        '2 of them answered only by a follow-up recorded later than the recording lag (backfilled, not timely)',
      );
      expect(evaluateRule(followRule, 'VIOLATION', measure(2, 3, 0), Q1)).toMatchObject({ backfilled: 0 });
      expect(evaluateRule(followRule, 'VIOLATION', measure(2, 3, 0), Q1).detail).not.toContain('backfilled');
    });

    it('makes overdue triggers findings, and leaves pending ones out', () => {
      expect(evaluateRule(followRule, 'VIOLATION', measure(2, 1, 1), Q1)).toMatchObject({
        verdict: 'FINDING',
        count: 1,
        pending: 1,
        samples: [21, 20],
      });
      expect(evaluateRule(followRule, 'VIOLATION', measure(0, 0, 3), Q1)).toMatchObject({
        verdict: 'CLEAR',
        count: 0,
        pending: 3,
        samples: [],
      });
      expect(evaluateRule(followRule, 'VIOLATION', measure(4, 0, 0), Q1)).toMatchObject({
        verdict: 'CLEAR',
        count: 0,
        pending: 0,
        duty: true,
        tested: 4,
      });
    });
  });

  describe('FOLLOWED_BY', () => {
    const measure = (followed: number, cleared: number, pending: number) => ({
      kind: 'FOLLOWED_BY' as const,
      triggers: followed + cleared + pending,
      followed,
      cleared,
      pending,
      nextDeadline: pending ? '2026-04-02T00:00:00.000Z' : null,
      samples: { followed: followed ? [30, 31] : [] },
    });

    it('makes each followed trigger a finding over the triggers judged, leaving open windows pending', () => {
      expect(evaluateRule(deviationRule, 'VIOLATION', measure(1, 2, 1), Q1)).toMatchObject({
        verdict: 'FINDING',
        count: 1,
        pending: 1,
        duty: true,
        tested: 3,
        samples: [31, 30],
        detail: '4 triggers: 1 followed within 30 days (a deviation), 2 not, 1 still within the window.',
      });
      expect(evaluateRule(deviationRule, 'VIOLATION', measure(0, 3, 0), Q1)).toMatchObject({ verdict: 'CLEAR', count: 0, tested: 3 });
      // Only open windows: nothing judged yet, so no population shown.
      expect(evaluateRule(deviationRule, 'VIOLATION', measure(0, 0, 2), Q1)).toMatchObject({ verdict: 'CLEAR', tested: 0, pending: 2 });
    });
  });

  describe('NOT_PRECEDED_BY', () => {
    const measure = (preceded: number, notPreceded: number, backfilled = 0) => ({
      kind: 'NOT_PRECEDED_BY' as const,
      triggers: preceded + notPreceded,
      preceded,
      notPreceded,
      backfilled,
      samples: { preceded: preceded ? [10, 11] : [], notPreceded: notPreceded ? [20, 21] : [] },
    });

    it('tests the population as evidence: MET only when every trigger was preceded', () => {
      expect(evaluateRule(precedeRule, 'EVIDENCE', measure(3, 0), Q1)).toMatchObject({
        verdict: 'MET',
        count: 3,
        pending: 0,
        duty: true,
        tested: 3,
        samples: [11, 10],
        detail: '3 triggers: 3 preceded for the same resource within 30 days before, 0 not.',
      });
      expect(evaluateRule(precedeRule, 'EVIDENCE', measure(2, 1), Q1)).toMatchObject({ verdict: 'PARTIAL', count: 2, tested: 3 });
      expect(evaluateRule(precedeRule, 'EVIDENCE', measure(0, 2), Q1)).toMatchObject({ verdict: 'NONE', count: 0, tested: 2 });
      expect(evaluateRule(precedeRule, 'EVIDENCE', measure(0, 0), Q1)).toMatchObject({ verdict: 'NONE', tested: 0 });
    });

    it('makes each trigger not preceded a finding', () => {
      expect(evaluateRule(precedeRule, 'VIOLATION', measure(2, 1), Q1)).toMatchObject({
        verdict: 'FINDING',
        count: 1,
        duty: true,
        tested: 3,
        samples: [21, 20],
      });
      expect(evaluateRule(precedeRule, 'VIOLATION', measure(4, 0), Q1)).toMatchObject({
        verdict: 'CLEAR',
        count: 0,
        tested: 4,
        samples: [],
      });
    });
  });

  describe('MAX_GAP', () => {
    const gapRule = {
      id: 'logs-reviewed-daily',
      kind: 'MAX_GAP' as const,
      description: 'Logs reviewed daily',
      match: { action: [{ equals: 'audit.log.reviewed' }] },
      maxGap: { hours: 24 },
    };
    const measure = (tested: number, longGaps: number, pending = 0) => ({
      kind: 'MAX_GAP' as const,
      events: 4,
      tested,
      longGaps,
      pending,
      nextDeadline: pending ? '2026-03-02T09:00:00.000Z' : null,
      gaps: longGaps ? [{ from: '2026-02-10T09:00:00.000Z', to: '2026-02-12T08:00:00.000Z' }] : [],
      samples: { events: [40, 10], gaps: longGaps ? [30] : [] },
    });

    it('is a recurrence duty as evidence: MET with no stretch too long, PARTIAL with some, NONE with all or none judged', () => {
      expect(evaluateRule(gapRule, 'EVIDENCE', measure(5, 0), Q1)).toMatchObject({
        verdict: 'MET',
        count: 4,
        duty: true,
        tested: 5,
        pending: 0,
        samples: [40, 10],
        detail: '5 stretches between matching events judged: 0 longer than 24 hours.',
      });
      expect(evaluateRule(gapRule, 'EVIDENCE', measure(5, 1), Q1)).toMatchObject({ verdict: 'PARTIAL', tested: 5 });
      expect(evaluateRule(gapRule, 'EVIDENCE', measure(1, 1), Q1)).toMatchObject({ verdict: 'NONE', tested: 1 });
      expect(evaluateRule(gapRule, 'EVIDENCE', measure(0, 0, 1), Q1)).toMatchObject({ verdict: 'NONE', tested: 0, pending: 1 });
    });

    it('makes each stretch too long a finding, naming its start and end, and says when an open one runs out', () => {
      const found = evaluateRule(gapRule, 'VIOLATION', measure(5, 1), Q1);
      expect(found).toMatchObject({ verdict: 'FINDING', count: 1, duty: true, tested: 5, samples: [30] });
      expect(found.detail).toBe(
        '5 stretches between matching events judged: 1 longer than 24 hours (2026-02-10T09:00:00.000Z to 2026-02-12T08:00:00.000Z).',
      );
      const open = evaluateRule(gapRule, 'VIOLATION', measure(3, 0, 1), Q1);
      expect(open).toMatchObject({ verdict: 'CLEAR', count: 0, pending: 1 });
      expect(open.detail).toContain('becomes too long at 2026-03-02T09:00:00.000Z');
    });
  });

  describe('RATIO', () => {
    const mfa = {
      id: 'mfa-coverage',
      kind: 'RATIO' as const,
      description: 'Successful logins use MFA',
      population: { action: [{ equals: 'auth.login.succeeded' }] },
      qualifying: { metadata: [{ path: 'mfa', equals: true }] },
      atLeast: 0.95,
    };
    const measure = (population: number, qualifying: number) => ({
      kind: 'RATIO' as const,
      population,
      qualifying,
      samples: { qualifying: qualifying ? [50, 2] : [], short: qualifying < population ? [49, 7] : [] },
    });

    it('is a population duty as evidence: MET exactly at the threshold, PARTIAL one below, NONE without population or qualifying event', () => {
      // 0.95 · 20 = 19 exactly, though the double 0.95 is just below it.
      expect(evaluateRule(mfa, 'EVIDENCE', measure(20, 19), Q1)).toMatchObject({
        verdict: 'MET',
        count: 19,
        duty: true,
        tested: 20,
        samples: [50, 2],
        detail: '19 of 20 population events (95.0 %) qualify; at least 95 % required (19).',
      });
      expect(evaluateRule(mfa, 'EVIDENCE', measure(20, 18), Q1)).toMatchObject({ verdict: 'PARTIAL', count: 18, tested: 20 });
      expect(evaluateRule(mfa, 'EVIDENCE', measure(430, 412), Q1)).toMatchObject({
        verdict: 'MET',
        detail: '412 of 430 population events (95.8 %) qualify; at least 95 % required (409).',
      });
      expect(evaluateRule({ ...mfa, atLeast: 0.5 }, 'EVIDENCE', measure(1, 1), Q1).detail).toBe(
        '1 of 1 population event (100.0 %) qualifies; at least 50 % required (1).',
      );
      expect(evaluateRule(mfa, 'EVIDENCE', measure(0, 0), Q1)).toMatchObject({ verdict: 'NONE', count: 0, duty: true, tested: 0 });
      expect(evaluateRule(mfa, 'EVIDENCE', measure(0, 0), Q1).detail).toBe(
        'No population event in the range (at least 95 % required to qualify).',
      );
      expect(evaluateRule(mfa, 'EVIDENCE', measure(5, 0), Q1)).toMatchObject({ verdict: 'NONE', tested: 5 });
    });

    it('reads the thresholds 0 and 1 as written: 0 is met by any population, 1 only by all of it', () => {
      expect(evaluateRule({ ...mfa, atLeast: 0 }, 'EVIDENCE', measure(5, 0), Q1)).toMatchObject({ verdict: 'MET' });
      expect(evaluateRule({ ...mfa, atLeast: 1 }, 'EVIDENCE', measure(5, 5), Q1)).toMatchObject({ verdict: 'MET' });
      expect(evaluateRule({ ...mfa, atLeast: 1 }, 'EVIDENCE', measure(5, 4), Q1)).toMatchObject({ verdict: 'PARTIAL' });
      expect(evaluateRule({ ...mfa, atLeast: 0.999 }, 'EVIDENCE', measure(1000, 999), Q1).detail).toContain(
        'at least 99.9 % required (999)',
      );
      // A share shown rounded down: 94.99 % is not printed as 95.0 % beside a shortfall.
      expect(evaluateRule(mfa, 'EVIDENCE', measure(10_000, 9_499), Q1)).toMatchObject({ verdict: 'PARTIAL' });
      expect(evaluateRule(mfa, 'EVIDENCE', measure(10_000, 9_499), Q1).detail).toContain('(94.9 %)');
    });

    it('makes a share short of the threshold one finding counting the events that do not qualify, and is CLEAR otherwise', () => {
      expect(evaluateRule(mfa, 'VIOLATION', measure(20, 18), Q1)).toMatchObject({
        verdict: 'FINDING',
        count: 2,
        duty: true,
        tested: 20,
        samples: [49, 7],
      });
      expect(evaluateRule(mfa, 'VIOLATION', measure(20, 0), Q1)).toMatchObject({ verdict: 'FINDING', count: 20 });
      expect(evaluateRule(mfa, 'VIOLATION', measure(20, 19), Q1)).toMatchObject({ verdict: 'CLEAR', count: 0, tested: 20 });
      expect(evaluateRule(mfa, 'VIOLATION', measure(0, 0), Q1)).toMatchObject({ verdict: 'CLEAR', count: 0, tested: 0 });
    });
  });

  describe('BURST', () => {
    it('counts correlation keys that reached the count, not windows', () => {
      const measure = { kind: 'BURST' as const, keys: 2, windows: 5, samples: [30, 12] };
      expect(evaluateRule(burstRule, 'VIOLATION', measure, Q1)).toMatchObject({ verdict: 'FINDING', count: 2, samples: [30, 12] });
      expect(evaluateRule(burstRule, 'EVIDENCE', measure, Q1)).toMatchObject({ verdict: 'MET', count: 2 });
    });

    it('is CLEAR, or NONE as evidence, without a key', () => {
      const measure = { kind: 'BURST' as const, keys: 0, windows: 0, samples: [] };
      expect(evaluateRule(burstRule, 'VIOLATION', measure, Q1)).toMatchObject({ verdict: 'CLEAR', count: 0 });
      expect(evaluateRule(burstRule, 'EVIDENCE', measure, Q1)).toMatchObject({ verdict: 'NONE', count: 0 });
    });
  });

  it('refuses a measure of another kind than the rule', () => {
    expect(() => evaluateRule(matchRule, 'EVIDENCE', { kind: 'BURST', keys: 1, windows: 1, samples: [] }, Q1)).toThrow();
  });
});

const CONTROL: Control = { id: 'X.1', title: 'X', description: 'X', evidence: [], violations: [] };

const outcome = (overrides: Partial<RuleOutcome>): RuleOutcome => ({
  ruleId: 'rule',
  kind: 'MATCH',
  role: 'EVIDENCE',
  description: 'A rule',
  verdict: 'NONE',
  count: 0,
  periodsChecked: null,
  periodsMet: null,
  shortPeriods: null,
  pending: null,
  duty: false,
  tested: null,
  samples: [],
  detail: 'details',
  dismissed: null,
  backfilled: null,
  ...overrides,
});
const met = (count = 1, samples: number[] = []) => outcome({ ruleId: `met-${count}`, verdict: 'MET', count, samples });
const none = () => outcome({ ruleId: 'none' });
const finding = (count = 1, samples: number[] = []) =>
  outcome({ ruleId: 'finding', role: 'VIOLATION', verdict: 'FINDING', count, samples });
const clear = () => outcome({ ruleId: 'clear', role: 'VIOLATION', verdict: 'CLEAR' });
/** A population test as a violation rule: `judged` triggers, `overdue` of them not answered. */
const population = (judged: number, overdue = 0) =>
  outcome({
    ruleId: `population-${judged}-${overdue}`,
    kind: 'NOT_FOLLOWED_BY',
    role: 'VIOLATION',
    verdict: overdue ? 'FINDING' : 'CLEAR',
    count: overdue,
    duty: true,
    tested: judged,
  });

const attestation = (status: ControlStatus): Attestation => ({
  frameworkId: 'soc2',
  controlId: 'X.1',
  status,
  note: 'Checked the runbook.',
  attestedAt: '2026-03-01T00:00:00.000Z',
  expiresAt: '2027-03-01T00:00:00.000Z',
  attestedBy: 'key-1',
  sequence: 42,
});

describe('evaluateControl', () => {
  it('is NON_COMPLIANT on any finding, even with evidence met', () => {
    const result = evaluateControl(CONTROL, [met(5, [3]), finding(2, [9])], null, true);
    expect(result).toMatchObject({
      controlId: 'X.1',
      status: ControlStatus.NON_COMPLIANT,
      evidenceCount: 5,
      violationCount: 2,
      leaf: true,
    });
    expect(result.samples).toEqual([9, 3]);
  });

  it('is NOT_ASSESSED when nothing shows the control, whether or not it has evidence rules', () => {
    expect(evaluateControl(CONTROL, [none(), clear()], null, true).status).toBe(ControlStatus.NOT_ASSESSED);
    expect(evaluateControl(CONTROL, [clear()], null, true).status).toBe(ControlStatus.NOT_ASSESSED);
    expect(evaluateControl(CONTROL, [], null, false)).toMatchObject({ status: ControlStatus.NOT_ASSESSED, leaf: false, samples: [] });
  });

  it('is OBSERVED, not COMPLIANT, when only activity is shown: a MATCH met, a violation rule with nothing to test', () => {
    const result = evaluateControl(CONTROL, [none(), met(3, [7]), none(), clear()], null, true);
    expect(result).toMatchObject({ status: ControlStatus.OBSERVED, evidenceCount: 3, violationCount: 0, samples: [7] });
    expect(result.reason).toMatch(/^Activity observed, but no duty of the control is shown/);
    // A single event is activity, never the duty.
    expect(evaluateControl(CONTROL, [met(1)], null, true).status).toBe(ControlStatus.OBSERVED);
  });

  it('is COMPLIANT when a population tested as a violation rule has no exception', () => {
    expect(evaluateControl(CONTROL, [population(3)], null, true).status).toBe(ControlStatus.COMPLIANT);
    expect(evaluateControl(CONTROL, [met(2), population(1)], null, true)).toMatchObject({ status: ControlStatus.COMPLIANT });
    // No trigger judged: nothing tested, so the activity alone is only OBSERVED.
    expect(evaluateControl(CONTROL, [met(2), population(0)], null, true).status).toBe(ControlStatus.OBSERVED);
    expect(evaluateControl(CONTROL, [population(0)], null, true).status).toBe(ControlStatus.NOT_ASSESSED);
    expect(evaluateControl(CONTROL, [population(3, 1)], null, true).status).toBe(ControlStatus.NON_COMPLIANT);
  });

  it('is PARTIALLY_COMPLIANT when a population tested as evidence has exceptions, COMPLIANT when it has none', () => {
    const measure = (followed: number, overdue: number) => ({
      kind: 'NOT_FOLLOWED_BY' as const,
      triggers: followed + overdue,
      followed,
      overdue,
      backfilled: 0,
      pending: 0,
      nextDeadline: null,
      samples: { followed: [], overdue: [] },
    });
    const all = evaluateRule(followRule, 'EVIDENCE', measure(3, 0), Q1);
    const some = evaluateRule(followRule, 'EVIDENCE', measure(2, 1), Q1);
    expect(evaluateControl(CONTROL, [all], null, true).status).toBe(ControlStatus.COMPLIANT);
    expect(evaluateControl(CONTROL, [some], null, true).status).toBe(ControlStatus.PARTIALLY_COMPLIANT);
  });

  it('is PARTIALLY_COMPLIANT when a recurring duty held in 2 of 3 months', () => {
    const duty = evaluateRule(
      monthly(),
      'EVIDENCE',
      { kind: 'AT_LEAST', byDay: days({ '2026-01-05': 1, '2026-03-05': 1 }), samples: [1, 2] },
      Q1,
    );
    expect(duty.verdict).toBe('PARTIAL');
    expect(evaluateControl(CONTROL, [duty], null, true).status).toBe(ControlStatus.PARTIALLY_COMPLIANT);
    expect(evaluateControl(CONTROL, [met(4), duty], null, true).status).toBe(ControlStatus.PARTIALLY_COMPLIANT);
  });

  it('is COMPLIANT when the recurring duty held in every month checked', () => {
    const duty = evaluateRule(
      monthly(),
      'EVIDENCE',
      { kind: 'AT_LEAST', byDay: days({ '2026-01-05': 1, '2026-02-05': 1, '2026-03-05': 1 }), samples: [] },
      Q1,
    );
    expect(evaluateControl(CONTROL, [met(1), duty], null, true).status).toBe(ControlStatus.COMPLIANT);
  });

  it('is NON_COMPLIANT when a recurring duty has no event in any month checked: doing none must not score better than doing most', () => {
    const skipped = evaluateRule(monthly(), 'EVIDENCE', { kind: 'AT_LEAST', byDay: days({}), samples: [] }, Q1);
    expect(skipped).toMatchObject({ verdict: 'NONE', periodsChecked: 3, periodsMet: 0 });
    const alone = evaluateControl(CONTROL, [skipped], null, true);
    expect(alone.status).toBe(ControlStatus.NON_COMPLIANT);
    expect(alone.reason).toMatch(/^A recurring duty shows no event in any period checked: Monthly review — 0 of 3 months/);
    expect(evaluateControl(CONTROL, [met(9), skipped], null, true).status).toBe(ControlStatus.NON_COMPLIANT);
    const mostly = evaluateRule(
      monthly(),
      'EVIDENCE',
      { kind: 'AT_LEAST', byDay: days({ '2026-01-05': 1, '2026-02-05': 1 }), samples: [] },
      Q1,
    );
    const other = evaluateControl({ ...CONTROL, id: 'X.2' }, [met(1)], null, true);
    const score = (control: ReturnType<typeof evaluateControl>) => summarise([other, control]).score!;
    expect(score(evaluateControl(CONTROL, [mostly], null, true))).toBeGreaterThan(score(alone));
  });

  it('lets a recurring rule with no whole period to check not hold the control back', () => {
    const unchecked = evaluateRule(
      monthly(),
      'EVIDENCE',
      { kind: 'AT_LEAST', byDay: days({}), samples: [] },
      range('2026-01-05T00:00:00.000Z', '2026-01-20T00:00:00.000Z'),
    );
    expect(evaluateControl(CONTROL, [met(1), unchecked], null, true).status).toBe(ControlStatus.OBSERVED);
  });

  it('takes an attested COMPLIANT over NOT_ASSESSED', () => {
    const result = evaluateControl(CONTROL, [none()], attestation(ControlStatus.COMPLIANT), true);
    expect(result.status).toBe(ControlStatus.COMPLIANT);
    expect(result.attestation).toMatchObject({ status: ControlStatus.COMPLIANT, sequence: 42 });
    expect(result.reason).toContain('Checked the runbook.');
  });

  it('lets an attested NOT_APPLICABLE apply always, findings included', () => {
    expect(evaluateControl(CONTROL, [finding()], attestation(ControlStatus.NOT_APPLICABLE), true).status).toBe(
      ControlStatus.NOT_APPLICABLE,
    );
    expect(evaluateControl(CONTROL, [met()], attestation(ControlStatus.NOT_APPLICABLE), true).status).toBe(ControlStatus.NOT_APPLICABLE);
  });

  it('never lets an attestation override a finding', () => {
    for (const status of [ControlStatus.COMPLIANT, ControlStatus.PARTIALLY_COMPLIANT]) {
      const result = evaluateControl(CONTROL, [met(), finding()], attestation(status), true);
      expect(result.status).toBe(ControlStatus.NON_COMPLIANT);
      expect(result.attestation?.status).toBe(status);
      expect(result.reason).toContain('Checked the runbook.');
    }
  });

  it('lets an attested NON_COMPLIANT apply over events that show the control', () => {
    expect(evaluateControl(CONTROL, [met()], attestation(ControlStatus.NON_COMPLIANT), true).status).toBe(ControlStatus.NON_COMPLIANT);
  });
});

const result = (status: ControlStatus, overrides: Partial<ControlResult> = {}): ControlResult => ({
  controlId: `c-${status}`,
  status,
  evidenceCount: 0,
  violationCount: 0,
  reason: status,
  rules: [],
  samples: [],
  attestation: null,
  leaf: true,
  ...overrides,
});
const { COMPLIANT, PARTIALLY_COMPLIANT, NON_COMPLIANT, OBSERVED, NOT_ASSESSED, NOT_APPLICABLE } = ControlStatus;

describe('rollUp', () => {
  const parent = (status: ControlStatus) => result(status, { controlId: 'P', leaf: false, evidenceCount: 1, violationCount: 1 });

  it('is NON_COMPLIANT when any child is', () => {
    expect(rollUp(parent(COMPLIANT), [result(COMPLIANT), result(NON_COMPLIANT), result(PARTIALLY_COMPLIANT)]).status).toBe(NON_COMPLIANT);
    expect(rollUp(parent(NOT_ASSESSED), [result(NOT_ASSESSED), result(NON_COMPLIANT)]).status).toBe(NON_COMPLIANT);
  });

  it('is COMPLIANT when the parent and every child are', () => {
    expect(rollUp(parent(COMPLIANT), [result(COMPLIANT), result(COMPLIANT)]).status).toBe(COMPLIANT);
    // A parent without evidence of its own takes its children's status.
    expect(rollUp(parent(NOT_ASSESSED), [result(COMPLIANT), result(COMPLIANT)]).status).toBe(COMPLIANT);
  });

  it('is partial for a mix, OBSERVED when only activity was shown, NOT_ASSESSED when nothing was', () => {
    expect(rollUp(parent(COMPLIANT), [result(COMPLIANT), result(NOT_ASSESSED)]).status).toBe(PARTIALLY_COMPLIANT);
    expect(rollUp(parent(OBSERVED), [result(COMPLIANT)]).status).toBe(PARTIALLY_COMPLIANT);
    expect(rollUp(parent(NOT_ASSESSED), [result(OBSERVED), result(NOT_ASSESSED)]).status).toBe(OBSERVED);
    expect(rollUp(parent(NOT_ASSESSED), [result(NOT_ASSESSED), result(NOT_ASSESSED)]).status).toBe(NOT_ASSESSED);
  });

  it('leaves out children that do not apply', () => {
    expect(rollUp(parent(NOT_ASSESSED), [result(COMPLIANT), result(NOT_APPLICABLE)]).status).toBe(COMPLIANT);
    expect(rollUp(parent(COMPLIANT), [result(NOT_APPLICABLE), result(NOT_APPLICABLE)])).toEqual(parent(COMPLIANT));
  });

  it('keeps a parent attested NOT_APPLICABLE as it is', () => {
    expect(rollUp(parent(NOT_APPLICABLE), [result(NON_COMPLIANT)]).status).toBe(NOT_APPLICABLE);
  });

  it('rolls a child addressed by an alternative measure up as a compliant one', () => {
    expect(rollUp(parent(NOT_ASSESSED), [result(COMPLIANT), result(ControlStatus.ADDRESSED_BY_ALTERNATIVE)]).status).toBe(COMPLIANT);
    expect(rollUp(parent(NOT_ASSESSED), [result(NON_COMPLIANT), result(ControlStatus.ADDRESSED_BY_ALTERNATIVE)]).status).toBe(
      NON_COMPLIANT,
    );
  });

  it('adds the applicable children’s counts to the parent’s and keeps the parent’s identity', () => {
    const rolled = rollUp(parent(COMPLIANT), [
      result(COMPLIANT, { evidenceCount: 3 }),
      result(NON_COMPLIANT, { evidenceCount: 1, violationCount: 2 }),
      result(NOT_APPLICABLE, { evidenceCount: 100, violationCount: 100 }),
    ]);
    expect(rolled).toMatchObject({ controlId: 'P', leaf: false, evidenceCount: 5, violationCount: 3 });
  });
});

describe('summarise', () => {
  const many = (status: ControlStatus, n: number) => Array.from({ length: n }, () => result(status));

  it('scores (C + P/2) over applicable leaf controls, and over assessed ones apart', () => {
    const summary = summarise([
      ...many(COMPLIANT, 2),
      result(PARTIALLY_COMPLIANT),
      result(NON_COMPLIANT),
      result(NOT_ASSESSED),
      result(NOT_APPLICABLE),
      result(NON_COMPLIANT, { leaf: false }),
      result(COMPLIANT, { leaf: false }),
    ]);
    expect(summary.score).toBeCloseTo(2.5 / 5, 10);
    expect(summary.assessedScore).toBeCloseTo(2.5 / 4, 10);
    expect(summary.level).toBe(ComplianceLevel.LOW);
    expect(summary.counts).toEqual({
      COMPLIANT: 2,
      PARTIALLY_COMPLIANT: 1,
      NON_COMPLIANT: 1,
      OBSERVED: 0,
      NOT_ASSESSED: 1,
      NOT_APPLICABLE: 1,
      ADDRESSED_BY_ALTERNATIVE: 0,
    });
    expect(summary.total).toBe(6);
    // Assessable over applicable: NOT_APPLICABLE is out of both.
    expect(summary.coverage).toBeCloseTo(4 / 5, 10);
  });

  it.each<[string, ControlResult[], number, ComplianceLevel]>([
    ['all compliant', many(COMPLIANT, 3), 1, ComplianceLevel.HIGH],
    ['exactly 0.9', [...many(COMPLIANT, 9), result(NON_COMPLIANT)], 0.9, ComplianceLevel.HIGH],
    ['0.9 with halves', [...many(COMPLIANT, 8), ...many(PARTIALLY_COMPLIANT, 2)], 0.9, ComplianceLevel.HIGH],
    ['just below 0.9', [...many(COMPLIANT, 8), result(PARTIALLY_COMPLIANT), result(NON_COMPLIANT)], 0.85, ComplianceLevel.MODERATE],
    ['exactly 0.7', [...many(COMPLIANT, 7), ...many(NON_COMPLIANT, 3)], 0.7, ComplianceLevel.MODERATE],
    ['just below 0.7', [...many(COMPLIANT, 6), result(PARTIALLY_COMPLIANT), ...many(NON_COMPLIANT, 3)], 0.65, ComplianceLevel.LOW],
    ['exactly 0.4', [...many(COMPLIANT, 2), ...many(NON_COMPLIANT, 3)], 0.4, ComplianceLevel.LOW],
    ['all partial', many(PARTIALLY_COMPLIANT, 4), 0.5, ComplianceLevel.LOW],
    ['below 0.4', [result(COMPLIANT), ...many(NON_COMPLIANT, 2)], 1 / 3, ComplianceLevel.CRITICAL],
    ['all non-compliant', many(NON_COMPLIANT, 2), 0, ComplianceLevel.CRITICAL],
  ])('%s → score %d, level %s', (_name, results, score, level) => {
    const summary = summarise(results);
    expect(summary.score).toBeCloseTo(score, 10);
    expect(summary.level).toBe(level);
  });

  it('scores a specification addressed by an alternative measure as compliant, and assessed (ADR 0040)', () => {
    const summary = summarise([
      result(ControlStatus.ADDRESSED_BY_ALTERNATIVE),
      result(COMPLIANT),
      result(NON_COMPLIANT),
      result(NOT_APPLICABLE),
    ]);
    expect(summary.score).toBeCloseTo(2 / 3, 10);
    expect(summary.coverage).toBe(1);
    expect(summary.counts.ADDRESSED_BY_ALTERNATIVE).toBe(1);
    // Unlike NOT_APPLICABLE, it stays in the denominator.
    expect(summarise([result(ControlStatus.ADDRESSED_BY_ALTERNATIVE), result(NON_COMPLIANT)]).score).toBeCloseTo(1 / 2, 10);
    expect(summarise([result(NOT_APPLICABLE), result(NON_COMPLIANT)]).score).toBe(0);
  });

  it('cannot read HIGH while most of the framework is unassessed or only observed', () => {
    // What the README's example used to print: 1.0 / HIGH at 3.6 % coverage.
    const thin = summarise([...many(COMPLIANT, 2), ...many(OBSERVED, 20), ...many(NOT_ASSESSED, 34)]);
    expect(thin).toMatchObject({ assessedScore: 1, level: ComplianceLevel.CRITICAL });
    expect(thin.score).toBeCloseTo(2 / 56, 10);
    expect(thin.coverage).toBeCloseTo(2 / 56, 10);
    // Activity alone everywhere: a score of 0, not "nothing assessed".
    expect(summarise(many(OBSERVED, 3))).toMatchObject({ score: 0, assessedScore: null, level: ComplianceLevel.CRITICAL, coverage: 0 });
  });

  it('has no score and the NOT_ASSESSED level when nothing was assessed', () => {
    expect(summarise([...many(NOT_ASSESSED, 3), result(NOT_APPLICABLE)])).toMatchObject({
      score: null,
      level: ComplianceLevel.NOT_ASSESSED,
      coverage: 0,
      total: 4,
    });
    expect(summarise(many(NOT_APPLICABLE, 2))).toMatchObject({
      score: null,
      level: ComplianceLevel.NOT_ASSESSED,
      coverage: null,
      total: 2,
    });
    expect(summarise([])).toMatchObject({ score: null, level: ComplianceLevel.NOT_ASSESSED, coverage: null, total: 0 });
  });
});
