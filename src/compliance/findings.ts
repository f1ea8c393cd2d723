import { createHash } from 'node:crypto';
import { fromSqlDateTime, toNumber } from '../database/sql-format';

/** The action of the event a finding transition is recorded as. */
export const FINDING_TRANSITIONED_ACTION = 'datapunk.finding.transitioned';
export const FINDING_RESOURCE = 'compliance_finding';

/** Where a finding stands in its lifecycle (ADR 0036). */
export enum FindingState {
  OPEN = 'OPEN',
  INVESTIGATED_NOT_A_DEVIATION = 'INVESTIGATED_NOT_A_DEVIATION',
  INVESTIGATED_CONFIRMED = 'INVESTIGATED_CONFIRMED',
  REMEDIATION_PLANNED = 'REMEDIATION_PLANNED',
  REMEDIATED = 'REMEDIATED',
  RISK_ACCEPTED = 'RISK_ACCEPTED',
}

/** The states each state may move to; anything else is refused with INVALID_TRANSITION. */
export const FINDING_TRANSITIONS: Readonly<Record<FindingState, readonly FindingState[]>> = {
  [FindingState.OPEN]: [FindingState.INVESTIGATED_NOT_A_DEVIATION, FindingState.INVESTIGATED_CONFIRMED, FindingState.RISK_ACCEPTED],
  [FindingState.INVESTIGATED_NOT_A_DEVIATION]: [FindingState.OPEN],
  [FindingState.INVESTIGATED_CONFIRMED]: [FindingState.REMEDIATION_PLANNED, FindingState.RISK_ACCEPTED],
  [FindingState.REMEDIATION_PLANNED]: [FindingState.REMEDIATION_PLANNED, FindingState.REMEDIATED, FindingState.RISK_ACCEPTED],
  [FindingState.REMEDIATED]: [FindingState.INVESTIGATED_CONFIRMED],
  [FindingState.RISK_ACCEPTED]: [FindingState.REMEDIATION_PLANNED],
};

/** Human labels, for reports. */
export const FINDING_STATE_LABELS: Readonly<Record<FindingState, string>> = {
  [FindingState.OPEN]: 'Open',
  [FindingState.INVESTIGATED_NOT_A_DEVIATION]: 'Investigated: not a deviation',
  [FindingState.INVESTIGATED_CONFIRMED]: 'Investigated: confirmed',
  [FindingState.REMEDIATION_PLANNED]: 'Remediation planned',
  [FindingState.REMEDIATED]: 'Remediated',
  [FindingState.RISK_ACCEPTED]: 'Risk accepted',
};

/** One recorded transition, as read back from its chain event. */
export interface FindingTransition {
  findingId: string;
  from: FindingState;
  to: FindingState;
  note: string;
  owner: string | null;
  dueDate: string | null;
  approver: string | null;
  expiresAt: string | null;
  transitionedAt: string;
  transitionedBy: string;
  sequence: number;
}

/** What the transitions recorded by an instant make of a finding. */
export interface DerivedFinding {
  state: FindingState;
  /** The transition that set the state (null while OPEN with no history, or after a risk acceptance lapsed). */
  last: FindingTransition | null;
}

/**
 * A finding's stable id: the same deviation (tenant, framework, control, rule and its trigger —
 * the triggering event's sequence, or a period key for rules without one) gives the same id in
 * every assessment.
 */
export function findingId(tenantId: string, frameworkId: string, controlId: string, ruleId: string, trigger: string): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([tenantId, frameworkId, controlId, ruleId, trigger]))
    .digest('hex');
  return `f_${digest.slice(0, 32)}`;
}

export function allowed(from: FindingState, to: FindingState): boolean {
  return FINDING_TRANSITIONS[from].includes(to);
}

/**
 * Replays transitions (in chain order) recorded by `asOf`. A risk acceptance whose expiry has
 * passed returns the finding to the state it had before; a recorded transition that the table
 * does not allow from the replayed state is ignored (the service never records one).
 */
export function deriveFinding(transitions: readonly FindingTransition[], asOf: Date): DerivedFinding {
  const at = asOf.getTime();
  let state = FindingState.OPEN;
  let last: FindingTransition | null = null;
  const before: DerivedFinding[] = [];
  const lapse = (instant: number) => {
    if (state === FindingState.RISK_ACCEPTED && last?.expiresAt && Date.parse(last.expiresAt) <= instant) {
      ({ state, last } = before.pop() ?? { state: FindingState.OPEN, last: null });
    }
  };
  for (const t of [...transitions].sort((a, b) => a.sequence - b.sequence)) {
    const when = Date.parse(t.transitionedAt);
    if (when > at) break;
    lapse(when);
    if (!allowed(state, t.to)) continue;
    if (t.to === FindingState.RISK_ACCEPTED) before.push({ state, last });
    state = t.to;
    last = t;
  }
  lapse(at);
  return { state, last };
}

/**
 * What names a deviation: the sequence of the event behind it, or, for an AT_LEAST rule, the label
 * of the period short of events (exactly one of the two).
 */
export type DeviationKey = { eventSequence: number; period: null } | { eventSequence: null; period: string };

/** The trigger text a deviation key gives `findingId`: the sequence, or `period:` and the label. */
export const triggerOf = (key: DeviationKey): string => (key.period !== null ? `period:${key.period}` : String(key.eventSequence));

/** A finding named by recorded transitions: which deviation, and the transitions in chain order. */
export type RecordedFinding = DeviationKey & {
  id: string;
  controlId: string;
  ruleId: string;
  transitions: FindingTransition[];
};

/**
 * The findings a framework's datapunk.finding.transitioned events name (rows as
 * AssessmentQueries.serverEvents returns them, in chain order), by finding id. Rows whose metadata
 * does not hold a transition, or whose resource id is not the id of the deviation the metadata
 * names, are left out.
 */
export function recordedFindings(
  tenantId: string,
  frameworkId: string,
  rows: readonly Record<string, unknown>[],
): Map<string, RecordedFinding> {
  const out = new Map<string, RecordedFinding>();
  for (const row of rows) {
    const meta = JSON.parse(String(row.metadata ?? '{}')) as Record<string, unknown>;
    const str = (k: string) => (typeof meta[k] === 'string' ? meta[k] : null);
    const from = str('from');
    const to = str('to');
    const controlId = str('controlId');
    const ruleId = str('ruleId');
    const sequence = meta.eventSequence;
    const period = str('period');
    if (!from || !to || !(from in FINDING_TRANSITIONS) || !(to in FINDING_TRANSITIONS)) continue;
    const key: DeviationKey | null =
      typeof sequence === 'number' && Number.isSafeInteger(sequence) && period === null
        ? { eventSequence: sequence, period: null }
        : period !== null && sequence === undefined
          ? { eventSequence: null, period }
          : null;
    if (!controlId || !ruleId || !key) continue;
    const id = findingId(tenantId, frameworkId, controlId, ruleId, triggerOf(key));
    if (row.resource_id !== `${frameworkId}:${id}`) continue;
    if (!out.has(id)) out.set(id, { id, controlId, ruleId, ...key, transitions: [] });
    out.get(id)!.transitions.push({
      findingId: id,
      from: from as FindingState,
      to: to as FindingState,
      note: str('note') ?? '',
      owner: str('owner'),
      dueDate: str('dueDate'),
      approver: str('approver'),
      expiresAt: str('expiresAt'),
      transitionedAt: fromSqlDateTime(row.occurred_at),
      transitionedBy: String(row.actor_display_name ?? row.actor_id),
      sequence: toNumber(row.sequence),
    });
  }
  return out;
}

/** The transitions recorded by `asOf`. */
export const recordedBy = (transitions: readonly FindingTransition[], asOf: Date): FindingTransition[] =>
  transitions.filter((t) => Date.parse(t.transitionedAt) <= asOf.getTime());
