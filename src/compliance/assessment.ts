import type { Control, EventRule } from '../plugin-api';
import { periodOfDay, periodsBetween } from './periods';
import { ratioPercent, ratioRequired, sharePercent } from './ratio';

/** How a control stands after an assessment. */
export enum ControlStatus {
  COMPLIANT = 'COMPLIANT',
  PARTIALLY_COMPLIANT = 'PARTIALLY_COMPLIANT',
  NON_COMPLIANT = 'NON_COMPLIANT',
  /** Events show the activity, but no duty of the control is shown over the period: weaker than COMPLIANT, not scored as it. */
  OBSERVED = 'OBSERVED',
  NOT_ASSESSED = 'NOT_ASSESSED',
  NOT_APPLICABLE = 'NOT_APPLICABLE',
  /**
   * Attested: the tenant documented why the specification as written is not reasonable and
   * appropriate and implemented an equivalent alternative measure (HIPAA 164.306(d)(3)(ii)(B)).
   * Applies, not NOT_APPLICABLE; scored as shown, like COMPLIANT (ADR 0040).
   */
  ADDRESSED_BY_ALTERNATIVE = 'ADDRESSED_BY_ALTERNATIVE',
}

/** Each status as a report names it to a reader. */
export const STATUS_LABELS: Readonly<Record<ControlStatus, string>> = {
  COMPLIANT: 'Compliant',
  PARTIALLY_COMPLIANT: 'Partially compliant',
  NON_COMPLIANT: 'Non-compliant',
  OBSERVED: 'Activity observed, duty not shown',
  NOT_ASSESSED: 'Not assessed',
  NOT_APPLICABLE: 'Not applicable',
  ADDRESSED_BY_ALTERNATIVE: 'Addressed by an alternative measure',
};

/** The framework's posture in one word, from its score. */
export enum ComplianceLevel {
  /** Score of at least 0.9. */
  HIGH = 'HIGH',
  /** At least 0.7. */
  MODERATE = 'MODERATE',
  /** At least 0.4. */
  LOW = 'LOW',
  /** Below 0.4. */
  CRITICAL = 'CRITICAL',
  /** No control could be assessed: no score. */
  NOT_ASSESSED = 'NOT_ASSESSED',
}

export type RuleRole = 'EVIDENCE' | 'VIOLATION';

/** What the database measured for one rule over the assessed range (see assessment-query.ts). */
export type RuleMeasure =
  | { kind: 'MATCH'; count: number; samples: number[] }
  | { kind: 'AT_LEAST'; byDay: ReadonlyMap<string, number>; samples: number[] }
  | {
      kind: 'NOT_FOLLOWED_BY';
      triggers: number;
      followed: number;
      overdue: number;
      /** Overdue triggers a follow-up recorded later than the recording lag would have answered (ADR 0034). */
      backfilled: number;
      pending: number;
      nextDeadline: string | null;
      samples: { followed: number[]; overdue: number[] };
    }
  | {
      kind: 'FOLLOWED_BY';
      triggers: number;
      followed: number;
      /** Triggers whose window closed without a follow-up. */
      cleared: number;
      pending: number;
      nextDeadline: string | null;
      samples: { followed: number[] };
    }
  | {
      kind: 'NOT_PRECEDED_BY';
      triggers: number;
      preceded: number;
      notPreceded: number;
      /** Triggers not preceded that an event recorded later than the recording lag would have preceded (ADR 0034). */
      backfilled: number;
      samples: { preceded: number[]; notPreceded: number[] };
    }
  | {
      kind: 'BURST';
      keys: number;
      windows: number;
      samples: number[];
      /** With a `response`: the bursts (streaks) and how they were answered. */
      response?: {
        bursts: number;
        answered: number;
        /** Bursts whose response deadline passed without a timely response. */
        unanswered: number;
        /** Unanswered bursts a response recorded later than the recording lag would have answered (ADR 0034). */
        backfilled: number;
        /** Bursts not answered yet whose deadline is after the as-of instant. */
        pending: number;
        nextDeadline: string | null;
        samples: { answered: number[]; unanswered: number[] };
      };
    }
  | {
      kind: 'MAX_GAP';
      /** Matching events in the range. */
      events: number;
      /** Stretches judged (closed, or open and already too long) and those longer than the gap. */
      tested: number;
      longGaps: number;
      /** 1 when the stretch open at the as-of instant is not too long yet, else 0. */
      pending: number;
      /** When that open stretch becomes too long. */
      nextDeadline: string | null;
      /** The first few over-long stretches, oldest first. */
      gaps: { from: string; to: string }[];
      samples: { events: number[]; gaps: number[] };
    }
  | {
      kind: 'RATIO';
      /** Population events in the range, and those of them that qualify. */
      population: number;
      qualifying: number;
      samples: { qualifying: number[]; short: number[] };
    }
  | {
      kind: 'RECENT';
      /** Matching events in the window `[windowStart, end)`. */
      events: number;
      windowStart: string;
      end: string;
      /** The tenant's trail began by `windowStart`, so fewer than `count` events there is a lapse. */
      covered: boolean;
      /** When the window, moving with an open range's end, would hold fewer than `count` events; null if it does not hold enough. */
      lapsesAt: string | null;
      samples: number[];
    };

/**
 * One rule's verdict. Evidence rules are MET, PARTIAL (some periods) or NONE; violation rules are
 * FINDING or CLEAR.
 */
export interface RuleOutcome {
  ruleId: string;
  kind: EventRule['kind'];
  role: RuleRole;
  description: string;
  verdict: 'MET' | 'PARTIAL' | 'NONE' | 'FINDING' | 'CLEAR';
  /** Evidence: matching events (MATCH, AT_LEAST), triggers followed or preceded in time, correlation keys with a burst, qualifying events (RATIO). Violation: findings (RATIO: the population events that do not qualify). */
  count: number;
  /** AT_LEAST: periods checked and periods that had enough events. */
  periodsChecked: number | null;
  periodsMet: number | null;
  /** AT_LEAST: the labels of the checked periods short of events, oldest first; each names a finding of a violation rule (ADR 0036). */
  shortPeriods: string[] | null;
  /** NOT_FOLLOWED_BY, FOLLOWED_BY: triggers whose window has not closed yet; NOT_PRECEDED_BY: 0; MAX_GAP: 1 while the open stretch is not too long yet. */
  pending: number | null;
  /**
   * The rule tests a duty: a recurrence (AT_LEAST as evidence) or a population (NOT_FOLLOWED_BY,
   * NOT_PRECEDED_BY, FOLLOWED_BY as a violation: every trigger judged), every stretch between
   * occurrences (MAX_GAP) or the share of a population that qualifies (RATIO). Other rules show
   * activity (evidence) or find deviations (violations).
   */
  duty: boolean;
  /** A duty's tested population: the periods checked, the triggers judged, the RATIO population. Null for other rules. */
  tested: number | null;
  /** Sequences of events behind the verdict, newest first (a few). */
  samples: number[];
  /** The verdict in words. */
  detail: string;
  /** A violation rule: its deviations investigated and found not to be one (ADR 0036), taken out of `count`. Null for evidence rules. */
  dismissed: number | null;
  /**
   * NOT_FOLLOWED_BY, NOT_PRECEDED_BY: triggers judged unanswered that an event recorded later than
   * the recording lag would have answered — backfilled evidence, flagged and not timely (ADR 0034).
   * Null for other kinds.
   */
  backfilled: number | null;
}

/** An attestation in force for the assessed range. */
export interface Attestation {
  frameworkId: string;
  controlId: string;
  status: ControlStatus;
  note: string;
  attestedAt: string;
  expiresAt: string;
  attestedBy: string;
  /** Sequence of the `datapunk.control.attested` event. */
  sequence: number;
  /** ADDRESSED_BY_ALTERNATIVE: the equivalent measure implemented instead (the note says why); null for other statuses. */
  alternativeMeasure?: string | null;
}

export interface ControlResult {
  controlId: string;
  status: ControlStatus;
  evidenceCount: number;
  violationCount: number;
  reason: string;
  rules: RuleOutcome[];
  samples: number[];
  attestation: Attestation | null;
  /** Counted in the score: controls without children (a parent's status rolls its children up). */
  leaf: boolean;
}

export interface AssessmentSummary {
  /** (compliant + ½ partially compliant) / applicable controls. */
  score: number | null;
  /** (compliant + ½ partially compliant) / assessed controls. */
  assessedScore: number | null;
  level: ComplianceLevel;
  /** Assessable controls over applicable ones: how much of the framework the evidence covers. */
  coverage: number | null;
  counts: Record<ControlStatus, number>;
  total: number;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const MAX_SAMPLES = 5;
const newest = (sequences: number[]) => [...new Set(sequences)].sort((a, b) => b - a).slice(0, MAX_SAMPLES);

/**
 * The range an assessment looks at; `end` is min(to, now): time not yet passed proves nothing.
 * `firstEvent` is the start of the day of the tenant's earliest event (null without events):
 * periods before the trail began are not judged.
 */
export interface AssessedRange {
  from: Date;
  end: Date;
  firstEvent: Date | null;
}

function atLeast(
  rule: EventRule & { kind: 'AT_LEAST' },
  byDay: ReadonlyMap<string, number>,
  range: AssessedRange,
): { checked: number; met: number; missed: string[] } {
  const byPeriod = new Map<string, number>();
  for (const [day, n] of byDay) {
    const label = periodOfDay(rule.period, day);
    byPeriod.set(label, (byPeriod.get(label) ?? 0) + n);
  }
  let checked = 0;
  let met = 0;
  const missed: string[] = [];
  // Whole periods are checked; a partial one at either edge counts only when it already has enough.
  if (!range.firstEvent) return { checked, met, missed };
  const start = range.firstEvent > range.from ? range.firstEvent : range.from;
  for (const span of periodsBetween(rule.period, start, range.end)) {
    const enough = (byPeriod.get(span.label) ?? 0) >= rule.count;
    if (!span.whole && !enough) continue;
    checked++;
    if (enough) met++;
    else missed.push(span.label);
  }
  return { checked, met, missed };
}

const within = (rule: { within: Record<string, number> }) => {
  const [unit, n] = Object.entries(rule.within)[0];
  return `${n} ${n === 1 ? unit.replace(/s$/, '') : unit}`;
};

/** Turns a rule's measure into its verdict and a sentence an auditor can read. */
export function evaluateRule(rule: EventRule, role: RuleRole, measure: RuleMeasure, range: AssessedRange): RuleOutcome {
  const base = {
    ruleId: rule.id,
    kind: rule.kind,
    role,
    description: rule.description,
    periodsChecked: null,
    periodsMet: null,
    shortPeriods: null,
    pending: null,
    duty: false,
    tested: null,
    dismissed: role === 'VIOLATION' ? 0 : null,
    backfilled: null,
  };
  const backfill = (n: number, by: string) =>
    n ? ` ${n} of them answered only by ${by} recorded later than the recording lag (backfilled, not timely).` : '';
  const evidence = role === 'EVIDENCE';
  if (rule.kind === 'MATCH' && measure.kind === 'MATCH') {
    const n = measure.count;
    return {
      ...base,
      verdict: evidence ? (n > 0 ? 'MET' : 'NONE') : n > 0 ? 'FINDING' : 'CLEAR',
      count: n,
      samples: newest(measure.samples),
      detail: `${plural(n, 'matching event')}.`,
    };
  }
  if (rule.kind === 'AT_LEAST' && measure.kind === 'AT_LEAST') {
    const { checked, met, missed } = atLeast(rule, measure.byDay, range);
    const events = [...measure.byDay.values()].reduce((a, b) => a + b, 0);
    const per = `${rule.count}${rule.distinct ? ` distinct ${rule.distinct === 'IP' ? 'IP address' : rule.distinct.toLowerCase()}s` : ''} per ${rule.period.toLowerCase()}`;
    const gaps = missed.length ? `; short in ${missed.slice(0, 6).join(', ')}${missed.length > 6 ? ', …' : ''}` : '';
    const detail =
      checked === 0
        ? `No whole ${rule.period.toLowerCase()} in the range to check (${plural(events, 'matching event')}).`
        : `${met} of ${plural(checked, rule.period.toLowerCase())} had at least ${per}${gaps}.`;
    return {
      ...base,
      duty: evidence,
      tested: evidence ? checked : null,
      periodsChecked: checked,
      periodsMet: met,
      shortPeriods: missed,
      verdict: evidence ? (checked === 0 || met === 0 ? 'NONE' : met === checked ? 'MET' : 'PARTIAL') : missed.length ? 'FINDING' : 'CLEAR',
      count: evidence ? events : missed.length,
      samples: newest(measure.samples),
      detail,
    };
  }
  if (rule.kind === 'NOT_FOLLOWED_BY' && measure.kind === 'NOT_FOLLOWED_BY') {
    const { triggers, followed, overdue, pending } = measure;
    const detail =
      `${plural(triggers, 'trigger')}: ${followed} followed within ${within(rule)}, ${overdue} not` +
      (pending ? `, ${pending} still within the deadline` : '') +
      '.' +
      backfill(measure.backfilled, 'a follow-up');
    // A population test: every trigger whose deadline has passed is judged. As evidence, all of
    // them followed shows the duty; as a violation, none overdue among at least one judged does.
    const judged = followed + overdue;
    return {
      ...base,
      pending,
      backfilled: measure.backfilled,
      duty: true,
      tested: judged,
      verdict: evidence ? (followed === 0 ? 'NONE' : overdue === 0 ? 'MET' : 'PARTIAL') : overdue > 0 ? 'FINDING' : 'CLEAR',
      count: evidence ? followed : overdue,
      samples: newest(evidence ? measure.samples.followed : measure.samples.overdue),
      detail,
    };
  }
  if (rule.kind === 'FOLLOWED_BY' && measure.kind === 'FOLLOWED_BY') {
    const { triggers, followed, cleared, pending } = measure;
    const detail =
      `${plural(triggers, 'trigger')}: ${followed} followed within ${within(rule)} (a deviation), ${cleared} not` +
      (pending ? `, ${pending} still within the window` : '') +
      '.';
    // A population test of the deviation: every trigger followed, or whose window has closed, is
    // judged. Catalogs cannot list it as evidence (manifest.schema.ts); as one it would only show activity.
    return {
      ...base,
      pending,
      duty: !evidence,
      tested: evidence ? null : followed + cleared,
      verdict: evidence ? (followed > 0 ? 'MET' : 'NONE') : followed > 0 ? 'FINDING' : 'CLEAR',
      count: followed,
      samples: newest(measure.samples.followed),
      detail,
    };
  }
  if (rule.kind === 'NOT_PRECEDED_BY' && measure.kind === 'NOT_PRECEDED_BY') {
    const { triggers, preceded, notPreceded } = measure;
    const by = rule.correlation === 'TENANT' ? 'in the tenant' : `for the same ${rule.correlation.toLowerCase()}`;
    // A population test with nothing pending: every trigger in range is judged when it happens.
    return {
      ...base,
      pending: 0,
      backfilled: measure.backfilled,
      duty: true,
      tested: triggers,
      verdict: evidence ? (preceded === 0 ? 'NONE' : notPreceded === 0 ? 'MET' : 'PARTIAL') : notPreceded > 0 ? 'FINDING' : 'CLEAR',
      count: evidence ? preceded : notPreceded,
      samples: newest(evidence ? measure.samples.preceded : measure.samples.notPreceded),
      detail: `${plural(triggers, 'trigger')}: ${preceded} preceded ${by} within ${within(rule)} before, ${notPreceded} not.${backfill(measure.backfilled, 'an earlier event')}`,
    };
  }
  if (rule.kind === 'BURST' && measure.kind === 'BURST' && rule.response && measure.response) {
    const { bursts, answered, unanswered, pending } = measure.response;
    const by = rule.correlation === 'TENANT' ? 'tenant-wide' : `by the same ${rule.correlation.toLowerCase()}`;
    const detail =
      `${plural(bursts, 'burst')} of ${rule.count} matching events within ${within(rule)} ${by}: ${answered} answered within ${within(rule.response)}, ${unanswered} not` +
      (pending ? `, ${pending} still within the deadline` : '') +
      '.' +
      backfill(measure.response.backfilled, 'a response');
    // A population duty like NOT_FOLLOWED_BY: every burst whose deadline has passed is judged.
    return {
      ...base,
      pending,
      backfilled: measure.response.backfilled,
      duty: true,
      tested: answered + unanswered,
      verdict: evidence ? (answered === 0 ? 'NONE' : unanswered === 0 ? 'MET' : 'PARTIAL') : unanswered > 0 ? 'FINDING' : 'CLEAR',
      count: evidence ? answered : unanswered,
      samples: newest(evidence ? measure.response.samples.answered : measure.response.samples.unanswered),
      detail,
    };
  }
  if (rule.kind === 'BURST' && measure.kind === 'BURST') {
    const { keys, windows } = measure;
    const by = rule.correlation === 'TENANT' ? 'tenant-wide' : `by the same ${rule.correlation.toLowerCase()}`;
    return {
      ...base,
      verdict: evidence ? (keys > 0 ? 'MET' : 'NONE') : keys > 0 ? 'FINDING' : 'CLEAR',
      count: keys,
      samples: newest(measure.samples),
      detail: keys
        ? `${plural(keys, rule.correlation === 'TENANT' ? 'tenant' : rule.correlation.toLowerCase())} reached ${rule.count} matching events within ${within(rule)} ${by} (${plural(windows, 'window')}).`
        : `No ${rule.count} matching events within ${within(rule)} ${by}.`,
    };
  }
  if (rule.kind === 'MAX_GAP' && measure.kind === 'MAX_GAP') {
    const { events, tested, longGaps, pending, gaps } = measure;
    const gap = within({ within: rule.maxGap });
    const listed = gaps.map((g) => `${g.from} to ${g.to}`).join(', ');
    const detail =
      (tested === 0
        ? `No stretch of the range to judge yet (${plural(events, 'matching event')})`
        : `${plural(tested, 'stretch', 'stretches')} between matching events judged: ${longGaps} longer than ${gap}` +
          (longGaps ? ` (${listed}${longGaps > gaps.length ? ', …' : ''})` : '')) +
      (pending ? `; the stretch open since the last one becomes too long at ${measure.nextDeadline}` : '') +
      '.';
    // A recurrence duty judged on every stretch of the range, as evidence or as a violation.
    return {
      ...base,
      pending,
      duty: true,
      tested,
      verdict: evidence
        ? tested === 0 || longGaps === tested
          ? 'NONE'
          : longGaps === 0
            ? 'MET'
            : 'PARTIAL'
        : longGaps > 0
          ? 'FINDING'
          : 'CLEAR',
      count: evidence ? events : longGaps,
      samples: newest(evidence ? measure.samples.events : measure.samples.gaps),
      detail,
    };
  }
  if (rule.kind === 'RECENT' && measure.kind === 'RECENT') {
    const { events, covered } = measure;
    const met = events >= rule.count;
    // Judged once: met, or lapsed over a window the trail covers; otherwise the trail cannot tell.
    const judged = met || covered;
    const detail =
      `${plural(events, 'matching event')} within ${within(rule)} before ${measure.end} (${rule.count} needed)` +
      (judged ? '.' : `; the trail begins after ${measure.windowStart}, so the window cannot be judged.`);
    return {
      ...base,
      duty: true,
      tested: judged ? 1 : 0,
      verdict: evidence ? (met ? 'MET' : 'NONE') : judged && !met ? 'FINDING' : 'CLEAR',
      count: evidence ? events : judged && !met ? 1 : 0,
      samples: newest(measure.samples),
      detail,
    };
  }
  if (rule.kind === 'RATIO' && measure.kind === 'RATIO') {
    const { population, qualifying } = measure;
    const required = ratioRequired(rule.atLeast, population);
    const holds = population > 0 && qualifying >= required;
    // With `distinct`, the population is keys, each qualifying when all its population events do.
    const unit = rule.distinct ? (rule.distinct === 'IP' ? 'IP address' : rule.distinct.toLowerCase()) : 'population event';
    const all = rule.distinct ? ` (all of ${qualifying === 1 ? 'its' : 'their'} population events)` : '';
    const detail = population
      ? `${qualifying} of ${plural(population, unit)} (${sharePercent(qualifying, population)}) ${qualifying === 1 ? 'qualifies' : 'qualify'}${all}; at least ${ratioPercent(rule.atLeast)} required (${required}).`
      : `No ${rule.distinct ? `${unit} with a population event` : 'population event'} in the range (at least ${ratioPercent(rule.atLeast)} required to qualify).`;
    // A population duty in both roles, judged on the share: exact whole numbers, never a float (ratio.ts).
    return {
      ...base,
      duty: true,
      tested: population,
      verdict: evidence
        ? population === 0 || (!holds && qualifying === 0)
          ? 'NONE'
          : holds
            ? 'MET'
            : 'PARTIAL'
        : population > 0 && !holds
          ? 'FINDING'
          : 'CLEAR',
      count: evidence ? qualifying : holds ? 0 : population - qualifying,
      samples: newest(evidence ? measure.samples.qualifying : measure.samples.short),
      detail,
    };
  }
  throw new Error(`measure ${measure.kind} does not fit rule ${rule.id} (${rule.kind})`);
}

/**
 * A violation outcome once `n` of its deviations were investigated and found not to be one (ADR
 * 0036): they leave the count, and with none left the rule is CLEAR. They stay in the detail.
 */
export function dismiss(outcome: RuleOutcome, n: number): RuleOutcome {
  const count = Math.max(0, outcome.count - n);
  return {
    ...outcome,
    count,
    dismissed: n,
    verdict: count > 0 ? 'FINDING' : 'CLEAR',
    detail: `${outcome.detail} ${plural(n, 'finding')} investigated and found not to be a deviation${count ? `; ${count} still stand` : ''}.`,
  };
}

/** The rule shows its duty over the period: a tested population or recurrence with no exception. */
export const demonstrates = (o: RuleOutcome): boolean => o.duty && (o.tested ?? 0) > 0 && (o.verdict === 'MET' || o.verdict === 'CLEAR');

/**
 * A control's own status from its rules (ADR 0033). A control is COMPLIANT only when a duty is
 * shown over the whole period and no deviation stands: a recurrence held in every period checked
 * (AT_LEAST), or a population tested with no exception (NOT_FOLLOWED_BY, as evidence or as a
 * violation with at least one trigger judged). So: any finding, or a recurrence with no event in
 * any period checked → NON_COMPLIANT; duties tested and all shown → COMPLIANT; some tested, not
 * all shown → PARTIALLY_COMPLIANT; none tested but events show the activity (a MATCH, a burst, a
 * recurrence over too short a range) → OBSERVED, which is not COMPLIANT and does not raise the
 * score; nothing at all → NOT_ASSESSED (a missing event proves nothing). An attestation then
 * decides what events could not: NOT_APPLICABLE always applies; other statuses apply unless a
 * finding stands.
 */
export function evaluateControl(control: Control, outcomes: RuleOutcome[], attestation: Attestation | null, leaf: boolean): ControlResult {
  const evidence = outcomes.filter((o) => o.role === 'EVIDENCE');
  const findings = outcomes.filter((o) => o.verdict === 'FINDING');
  const violationCount = findings.reduce((n, o) => n + o.count, 0);
  const evidenceCount = evidence.reduce((n, o) => n + o.count, 0);
  const tested = outcomes.filter((o) => o.duty && (o.tested ?? 0) > 0);
  const shownDuties = tested.filter(demonstrates);
  const unmetDuties = tested.filter((o) => !demonstrates(o));
  // A recurrence with nothing in any period checked, or a recency window that lapsed.
  const missedDuties = tested.filter(
    (o) => (o.kind === 'AT_LEAST' && o.periodsMet === 0) || (o.kind === 'RECENT' && o.role === 'EVIDENCE' && o.verdict === 'NONE'),
  );
  const activity = evidence.filter((o) => o.count > 0 && !tested.includes(o));
  const said = (list: RuleOutcome[]) => list.map((o) => `${o.description} — ${o.detail}`).join(' ');
  // A violation rule shows its duty by finding no case in the population it tested.
  const shown = (list: RuleOutcome[]) =>
    list.map((o) => `${o.role === 'VIOLATION' ? 'No case of: ' : ''}${o.description} — ${o.detail}`).join(' ');

  let status: ControlStatus;
  let reason: string;
  if (findings.length) {
    status = ControlStatus.NON_COMPLIANT;
    reason = `Findings: ${said(findings)}`;
  } else if (missedDuties.length) {
    // A duty checked over whole periods of the trail with nothing in any of them is a gap, not an
    // absence of evidence: doing none of it must not score better than doing most of it.
    status = ControlStatus.NON_COMPLIANT;
    reason = `A recurring duty shows no event in any period checked: ${said(missedDuties)}`;
  } else if (!tested.length && activity.length) {
    status = ControlStatus.OBSERVED;
    reason = `Activity observed, but no duty of the control is shown over the period (a recurrence or a tested population): ${said(activity)}`;
  } else if (!tested.length) {
    status = ControlStatus.NOT_ASSESSED;
    reason = evidence.length
      ? 'No event in the range shows this control operating; attest it if it is met by other means.'
      : 'No event can show this control; it needs an attestation.';
  } else if (!unmetDuties.length) {
    status = ControlStatus.COMPLIANT;
    reason = `Duty shown by: ${shown(shownDuties)}${activity.length ? ` Also observed: ${said(activity)}` : ''}`;
  } else {
    status = ControlStatus.PARTIALLY_COMPLIANT;
    reason = `Duty not shown in full: ${said(unmetDuties)}${shownDuties.length ? ` Shown by: ${shown(shownDuties)}` : ''}`;
  }

  if (attestation) {
    const alternative = attestation.alternativeMeasure ? ` Alternative measure: ${attestation.alternativeMeasure}` : '';
    const by = `Attested ${attestation.status} by ${attestation.attestedBy} on ${attestation.attestedAt.slice(0, 10)} (expires ${attestation.expiresAt.slice(0, 10)}): ${attestation.note}${alternative}`;
    if (attestation.status === ControlStatus.NOT_APPLICABLE || !findings.length) {
      status = attestation.status;
      reason = `${by} Events: ${reason}`;
    } else {
      reason = `${reason} The attestation (${by}) does not override findings in the events.`;
    }
  }

  const samples = newest(
    outcomes.filter((o) => o.verdict === 'FINDING' || o.verdict === 'MET' || o.verdict === 'PARTIAL').flatMap((o) => o.samples),
  );
  return { controlId: control.id, status, evidenceCount, violationCount, reason, rules: outcomes, samples, attestation, leaf };
}

/**
 * A parent (a HIPAA standard, a GDPR article) combines its own status with its children's: any NON_COMPLIANT →
 * NON_COMPLIANT; all COMPLIANT → COMPLIANT; nothing assessed → NOT_ASSESSED; only OBSERVED and
 * NOT_ASSESSED → OBSERVED; otherwise partial.
 * Children that do not apply are left out.
 */
export function rollUp(own: ControlResult, children: readonly ControlResult[]): ControlResult {
  if (own.status === ControlStatus.NOT_APPLICABLE) return own;
  const applicable = children.filter((c) => c.status !== ControlStatus.NOT_APPLICABLE);
  if (!applicable.length) return own;
  // A specification addressed by an alternative measure meets its standard as a compliant one does (164.306(d)(3)(ii)(B)).
  const met = (x: ControlStatus) => (x === ControlStatus.ADDRESSED_BY_ALTERNATIVE ? ControlStatus.COMPLIANT : x);
  const statuses = [...(own.status === ControlStatus.NOT_ASSESSED ? [] : [own.status]), ...applicable.map((c) => c.status)].map(met);
  const all = (s: ControlStatus) => statuses.every((x) => x === s);
  const weak = (x: ControlStatus) => x === ControlStatus.OBSERVED || x === ControlStatus.NOT_ASSESSED;
  const status = statuses.includes(ControlStatus.NON_COMPLIANT)
    ? ControlStatus.NON_COMPLIANT
    : all(ControlStatus.COMPLIANT)
      ? ControlStatus.COMPLIANT
      : all(ControlStatus.NOT_ASSESSED)
        ? ControlStatus.NOT_ASSESSED
        : statuses.every(weak)
          ? ControlStatus.OBSERVED
          : ControlStatus.PARTIALLY_COMPLIANT;
  const tally = Object.values(ControlStatus)
    .map((s) => [s, applicable.filter((c) => c.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  return {
    ...own,
    status,
    reason: `Child controls: ${tally}. Own rules: ${own.status} — ${own.reason}`,
    evidenceCount: own.evidenceCount + applicable.reduce((n, c) => n + c.evidenceCount, 0),
    violationCount: own.violationCount + applicable.reduce((n, c) => n + c.violationCount, 0),
  };
}

/**
 * The score and level, over the controls without children (ADR 0033; ADDRESSED_BY_ALTERNATIVE
 * counts as COMPLIANT, ADR 0040). `score` is the share of the
 * applicable framework shown compliant: (compliant + ½ partially compliant) / applicable, so
 * controls no event or attestation decides (OBSERVED, NOT_ASSESSED) count as not shown and a
 * score cannot read HIGH while most of the framework is unassessed. `assessedScore` is the same
 * over the assessed controls only, `coverage` the assessed share of the applicable ones. The level
 * follows from `score`; with no control assessed or observed there is no score.
 */
export function summarise(results: readonly ControlResult[]): AssessmentSummary {
  const counts = Object.fromEntries(Object.values(ControlStatus).map((s) => [s, 0])) as Record<ControlStatus, number>;
  for (const r of results) if (r.leaf) counts[r.status]++;
  // An alternative measure meets an addressable specification (164.306(d)(3)(ii)(B)): shown, as COMPLIANT (ADR 0040).
  const compliant = counts.COMPLIANT + counts.ADDRESSED_BY_ALTERNATIVE;
  const shown = compliant + counts.PARTIALLY_COMPLIANT / 2;
  const assessable = compliant + counts.PARTIALLY_COMPLIANT + counts.NON_COMPLIANT;
  const applicable = assessable + counts.OBSERVED + counts.NOT_ASSESSED;
  const score = assessable + counts.OBSERVED > 0 ? shown / applicable : null;
  return {
    score,
    assessedScore: assessable ? shown / assessable : null,
    level: levelOf(score),
    coverage: applicable ? assessable / applicable : null,
    counts,
    total: results.filter((r) => r.leaf).length,
  };
}

/** The level a score reads as. */
export function levelOf(score: number | null): ComplianceLevel {
  if (score === null) return ComplianceLevel.NOT_ASSESSED;
  if (score >= 0.9) return ComplianceLevel.HIGH;
  if (score >= 0.7) return ComplianceLevel.MODERATE;
  if (score >= 0.4) return ComplianceLevel.LOW;
  return ComplianceLevel.CRITICAL;
}
