import { createHash } from 'node:crypto';

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
