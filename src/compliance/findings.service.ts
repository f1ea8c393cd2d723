import { Classification, Severity } from '../audit/audit-event.model';
import type { ChainHeads } from '../chain/chain-head';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { IngestService } from '../ingest/ingest.service';
import { type AssessmentQueries, type MeasureScope, durationMs } from './assessment-query';
import { evaluateRule } from './assessment';
import { periodOfLabel } from './periods';
import type { Attester, ComplianceService } from './compliance.service';
import type { EventRule } from '../plugin-api';
import type { Assessment } from './compliance.service';
import {
  type DeviationKey,
  type DerivedFinding,
  type FindingTransition,
  FINDING_RESOURCE,
  FINDING_TRANSITIONED_ACTION,
  FINDING_TRANSITIONS,
  FindingState,
  allowed,
  deriveFinding,
  findingId,
  recordedBy,
  recordedFindings,
  triggerOf,
} from './findings';

export { FINDING_RESOURCE, FINDING_TRANSITIONED_ACTION } from './findings';
const MAX_RISK_ACCEPTANCE_DAYS = 366;

export interface TransitionFindingInput {
  frameworkId: string;
  controlId: string;
  ruleId: string;
  /** Sequence of the event that triggered the deviation (every rule kind but AT_LEAST). */
  eventSequence?: number | null;
  /** AT_LEAST: the label of the period short of events. */
  period?: string | null;
  to: FindingState;
  note: string;
  owner?: string | null;
  dueDate?: string | null;
  approver?: string | null;
  expiresAt?: string | null;
}

/** Which finding: a violation rule of a control and the event (or, AT_LEAST, the period) that names the deviation. */
export type FindingRef = DeviationKey & {
  frameworkId: string;
  controlId: string;
  ruleId: string;
};

/** A finding as given: the event sequence, the period, or (wrongly) both or neither. */
export type FindingRefGiven = Omit<FindingRef, 'eventSequence' | 'period'> & { eventSequence?: number | null; period?: string | null };

/** A finding as of an instant: its identity, derived state and the transitions recorded by then. */
export type FindingView = DerivedFinding &
  FindingRef & {
    id: string;
    /** What the violation rule finds, in words. */
    ruleDescription: string;
    asOf: string;
    history: FindingTransition[];
  };

const kindNames: Record<EventRule['kind'], string> = {
  MATCH: 'a matching event',
  AT_LEAST: 'a period short of events',
  NOT_FOLLOWED_BY: 'a trigger not followed in time',
  FOLLOWED_BY: 'a trigger followed by the deviation',
  NOT_PRECEDED_BY: 'a trigger not preceded in time',
  BURST: 'an event that completes a burst',
  MAX_GAP: 'the event that ends a stretch too long',
  RATIO: 'a share below its threshold, which names no event',
  RECENT: 'a lapsed recency window, which names no event',
};

const invalid = (path: string, message: string) =>
  new AppError(ErrorCode.INVALID_ARGUMENT, `${path} ${message}.`, { problems: [{ path, message }] });

const text = (path: string, value: string | null | undefined, what: string, max: number): string => {
  const trimmed = (value ?? '').trim();
  if (!trimmed) throw invalid(path, `must say ${what}`);
  if (trimmed.length > max) throw invalid(path, `must be at most ${max} characters`);
  return trimmed;
};

/**
 * The findings lifecycle (POA&M, ADR 0036): transitions are datapunk.finding.transitioned events
 * in the tenant's chain, and a finding's state at an instant is replayed from those recorded by it.
 */
export class FindingsService {
  constructor(
    private readonly deps: { compliance: ComplianceService; queries: AssessmentQueries; ingest: IngestService; heads: ChainHeads },
  ) {}

  /**
   * Checks that the finding names a violation rule of a loaded control and an event of the chain
   * that is a deviation of that rule as of `now` (the listing's own statement, for that one event),
   * or for an AT_LEAST rule a period it finds short as of `now`; returns its id and key.
   */
  private async identify(tenantId: string, given: FindingRefGiven, now: Date): Promise<{ id: string; rule: EventRule; ref: FindingRef }> {
    const { frameworkId, controlId, ruleId } = given;
    const head = await this.deps.heads.head(tenantId);
    // The rule as the tenant's parameters in force now make it.
    const parameters = await this.deps.compliance.parametersAt(tenantId, this.deps.compliance.framework(frameworkId), head.sequence, now);
    const control = this.deps.compliance.controlWith(frameworkId, controlId, parameters);
    const rule = control.violations.find((r) => r.id === ruleId);
    if (!rule) {
      throw new AppError(ErrorCode.NOT_FOUND, `Control "${controlId}" has no violation rule "${ruleId}".`, {
        frameworkId,
        controlId,
        ruleId,
      });
    }
    if (rule.kind === 'AT_LEAST') {
      const ref = { frameworkId, controlId: control.id, ruleId, ...(await this.shortPeriod(tenantId, rule, given, head.sequence, now)) };
      return { id: findingId(tenantId, frameworkId, control.id, ruleId, triggerOf(ref)), rule, ref };
    }
    if (given.period !== undefined && given.period !== null) {
      throw invalid('period', `names a period, and rule "${ruleId}" (${rule.kind}) names its deviations by event: give eventSequence`);
    }
    const eventSequence = given.eventSequence ?? NaN;
    if (!Number.isSafeInteger(eventSequence) || eventSequence < 1) throw invalid('eventSequence', 'must be a positive integer');
    const occurredAt = eventSequence <= head.sequence ? await this.deps.queries.occurredAt(tenantId, eventSequence) : null;
    if (!occurredAt) throw new AppError(ErrorCode.NOT_FOUND, `Your chain has no event with sequence ${eventSequence}.`, { eventSequence });
    const at = occurredAt.getTime();
    // The range holds the event, and for a burst the window before it; a stretch is ended by it.
    const from = rule.kind === 'BURST' ? at - durationMs(rule.within) : rule.kind === 'MAX_GAP' ? 0 : at;
    const scope = this.scope(tenantId, new Date(from), new Date(at + 1), now);
    // A burst finding is named by the first event completing a window in the assessed range, which
    // depends on where the range starts: any event that completes one can name it.
    const [hit] = await this.deps.queries.deviations(rule, scope, head.sequence, { limit: 1, only: [eventSequence], anyWindow: true });
    if (hit !== eventSequence) {
      throw new AppError(
        ErrorCode.NOT_FOUND,
        `Event ${eventSequence} is not a deviation of rule "${ruleId}" of ${controlId} (${kindNames[rule.kind]}); list a control's findings to see which are.`,
        { frameworkId, controlId, ruleId, eventSequence },
      );
    }
    const ref: FindingRef = { frameworkId, controlId: control.id, ruleId, eventSequence, period: null };
    return { id: findingId(tenantId, frameworkId, control.id, ruleId, triggerOf(ref)), rule, ref };
  }

  /**
   * An AT_LEAST finding's key: the period given, checked to be one the rule finds short as of
   * `now` — the rule measured over that period alone, as an assessment of it would.
   */
  private async shortPeriod(
    tenantId: string,
    rule: EventRule & { kind: 'AT_LEAST' },
    given: FindingRefGiven,
    head: number,
    now: Date,
  ): Promise<DeviationKey> {
    if (given.eventSequence !== undefined && given.eventSequence !== null) {
      throw invalid('eventSequence', `names an event, and rule "${rule.id}" (AT_LEAST) names its deviations by period: give period`);
    }
    const span = periodOfLabel(rule.period, given.period ?? '');
    if (!span) throw invalid('period', `must be the label of one ${rule.period.toLowerCase()} (as RuleAssessment.shortPeriods gives them)`);
    const scope = this.scope(tenantId, span.start, span.end, now);
    const { snapshot, measures } = await this.deps.queries.measure([{ controlId: given.controlId, role: 'VIOLATION', rule }], scope);
    const range = {
      from: span.start,
      end: span.end < now ? span.end : now,
      firstEvent: snapshot.firstDay ? new Date(`${snapshot.firstDay}T00:00:00.000Z`) : null,
    };
    const outcome = snapshot.headSequence <= head ? evaluateRule(rule, 'VIOLATION', measures.get(rule)!, range) : null;
    if (!outcome?.shortPeriods?.includes(span.label)) {
      throw new AppError(
        ErrorCode.NOT_FOUND,
        `Period ${span.label} is not short of events for rule "${rule.id}" of ${given.controlId}; list a control's findings to see which are.`,
        { frameworkId: given.frameworkId, controlId: given.controlId, ruleId: rule.id, period: span.label },
      );
    }
    return { eventSequence: null, period: span.label };
  }

  private scope(tenantId: string, from: Date, to: Date | null, now: Date): MeasureScope {
    return { tenantId, from, to, now, recordedBy: null, lag: this.deps.compliance.recordingLag };
  }

  /** The framework's findings with recorded transitions (one finding's with `id`), up to `head`. */
  private async recorded(tenantId: string, frameworkId: string, head: number, id = '') {
    const rows = await this.deps.queries.serverEvents(
      tenantId,
      FINDING_TRANSITIONED_ACTION,
      FINDING_RESOURCE,
      `${frameworkId}:${id}`,
      head,
    );
    return recordedFindings(tenantId, frameworkId, rows);
  }

  /** One finding as of `asOf` (default now): transitions recorded after it do not apply. */
  async finding(tenantId: string, given: FindingRefGiven, asOf: Date = new Date()): Promise<FindingView> {
    const { id, rule, ref } = await this.identify(tenantId, given, asOf);
    const head = await this.deps.heads.head(tenantId);
    const all = (await this.recorded(tenantId, ref.frameworkId, head.sequence, id)).get(id)?.transitions ?? [];
    const history = recordedBy(all, asOf);
    return { id, ...ref, ruleDescription: rule.description, asOf: asOf.toISOString(), history, ...deriveFinding(history, asOf) };
  }

  /**
   * A control's findings in an assessment: for each violation rule with a finding, the events that
   * name its deviations (newest first, at most `limit` per rule), each with its state as of the
   * assessment's as-of instant. Read with the assessment's own range, as-of and chain head, so the
   * list agrees with its counts and a closed period lists the same findings tomorrow.
   */
  async forControl(tenantId: string, assessment: Assessment, controlId: string, limit: number): Promise<FindingView[]> {
    const result = assessment.controls.find((c) => c.controlId === controlId);
    if (!result) return [];
    const control = this.deps.compliance.controlWith(assessment.frameworkId, controlId, assessment.parameters ?? []);
    const asOf = new Date(assessment.asOf);
    const scope = this.scope(tenantId, new Date(assessment.from), assessment.to ? new Date(assessment.to) : null, asOf);
    const flagged = result.rules.filter((o) => o.role === 'VIOLATION' && (o.verdict === 'FINDING' || (o.dismissed ?? 0) > 0));
    if (!flagged.length) return [];
    const recorded = await this.recorded(tenantId, assessment.frameworkId, assessment.headSequence);
    const lists = await Promise.all(
      flagged.map(async (outcome) => {
        const rule = control.violations.find((r) => r.id === outcome.ruleId)!;
        // AT_LEAST deviations are the periods the assessment found short, newest first.
        const keys: DeviationKey[] =
          rule.kind === 'AT_LEAST'
            ? [...(outcome.shortPeriods ?? [])]
                .reverse()
                .slice(0, limit)
                .map((period) => ({ eventSequence: null, period }))
            : (await this.deps.queries.deviations(rule, scope, assessment.headSequence, { limit })).map((eventSequence) => ({
                eventSequence,
                period: null,
              }));
        return keys.map((key): FindingView => {
          const id = findingId(tenantId, assessment.frameworkId, control.id, rule.id, triggerOf(key));
          const history = recordedBy(recorded.get(id)?.transitions ?? [], asOf);
          return {
            id,
            frameworkId: assessment.frameworkId,
            controlId: control.id,
            ruleId: rule.id,
            ruleDescription: rule.description,
            ...key,
            asOf: assessment.asOf,
            history,
            ...deriveFinding(history, asOf),
          };
        });
      }),
    );
    return lists.flat();
  }

  /**
   * Moves a finding to another state if the transition table allows it from its current state,
   * recording the transition in the chain. Refused input records nothing.
   */
  async transition(by: Attester, input: TransitionFindingInput, now = new Date()): Promise<FindingView> {
    const note = text('input.note', input.note, 'why the finding moves', 2000);
    let owner: string | null = null;
    let dueDate: string | null = null;
    let approver: string | null = null;
    let expiresAt: string | null = null;
    if (input.to === FindingState.REMEDIATION_PLANNED) {
      owner = text('input.owner', input.owner, 'who owns the remediation', 256);
      const due = Date.parse(input.dueDate ?? '');
      if (!Number.isFinite(due)) throw invalid('input.dueDate', 'must be the date the remediation is due');
      dueDate = new Date(due).toISOString();
    }
    if (input.to === FindingState.RISK_ACCEPTED) {
      approver = text('input.approver', input.approver, 'who accepted the risk', 256);
      const expires = Date.parse(input.expiresAt ?? '');
      if (!(expires > now.getTime())) throw invalid('input.expiresAt', 'must be in the future');
      if (expires > now.getTime() + MAX_RISK_ACCEPTANCE_DAYS * 86_400_000) {
        throw invalid('input.expiresAt', `must be within ${MAX_RISK_ACCEPTANCE_DAYS} days (accept again instead)`);
      }
      expiresAt = new Date(expires).toISOString();
    }
    const given: FindingRefGiven = {
      frameworkId: input.frameworkId,
      controlId: input.controlId,
      ruleId: input.ruleId,
      eventSequence: input.eventSequence,
      period: input.period,
    };
    const current = await this.finding(by.tenantId, given, now);
    const ref: FindingRef = current;
    if (!allowed(current.state, input.to)) {
      const next = FINDING_TRANSITIONS[current.state];
      throw new AppError(
        ErrorCode.INVALID_TRANSITION,
        `A finding in state ${current.state} cannot move to ${input.to}; allowed: ${next.join(', ') || 'none'}.`,
        { findingId: current.id, from: current.state, to: input.to, allowed: [...next] },
      );
    }
    await this.deps.ingest.recordServerEvent(by.tenantId, {
      occurredAt: now.toISOString(),
      keyId: by.keyId,
      requestId: by.requestId,
      action: FINDING_TRANSITIONED_ACTION,
      resource: { type: FINDING_RESOURCE, id: `${input.frameworkId}:${current.id}` },
      severity: Severity.NOTICE,
      classification: Classification.INTERNAL,
      metadata: {
        frameworkId: input.frameworkId,
        controlId: ref.controlId,
        ruleId: ref.ruleId,
        ...(ref.period !== null ? { period: ref.period } : { eventSequence: ref.eventSequence }),
        from: current.state,
        to: input.to,
        note,
        ...(owner ? { owner, dueDate } : {}),
        ...(approver ? { approver, expiresAt } : {}),
      },
    });
    return this.finding(by.tenantId, given, now);
  }
}
