import { Classification, Severity } from '../audit/audit-event.model';
import type { ChainHeads } from '../chain/chain-head';
import { fromSqlDateTime, toNumber } from '../database/sql-format';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { IngestService } from '../ingest/ingest.service';
import type { AssessmentQueries } from './assessment-query';
import type { Attester, ComplianceService } from './compliance.service';
import {
  type DerivedFinding,
  type FindingTransition,
  FINDING_TRANSITIONS,
  FindingState,
  allowed,
  deriveFinding,
  findingId,
} from './findings';

/** The action of the event a finding transition is recorded as. */
export const FINDING_TRANSITIONED_ACTION = 'datapunk.finding.transitioned';
export const FINDING_RESOURCE = 'compliance_finding';
const MAX_RISK_ACCEPTANCE_DAYS = 366;

export interface TransitionFindingInput {
  frameworkId: string;
  controlId: string;
  ruleId: string;
  /** Sequence of the event that triggered the deviation. */
  eventSequence: number;
  to: FindingState;
  note: string;
  owner?: string | null;
  dueDate?: string | null;
  approver?: string | null;
  expiresAt?: string | null;
}

/** A finding as of an instant: its identity, derived state and the transitions recorded by then. */
export interface FindingView extends DerivedFinding {
  id: string;
  frameworkId: string;
  controlId: string;
  ruleId: string;
  eventSequence: number;
  asOf: string;
  history: FindingTransition[];
}

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

  /** Checks that the finding names a violation rule of a loaded control and an event in the chain; returns its id. */
  private async identify(tenantId: string, frameworkId: string, controlId: string, ruleId: string, eventSequence: number): Promise<string> {
    const control = this.deps.compliance.control(frameworkId, controlId);
    if (!control.violations.some((r) => r.id === ruleId)) {
      throw new AppError(ErrorCode.NOT_FOUND, `Control "${controlId}" has no violation rule "${ruleId}".`, {
        frameworkId,
        controlId,
        ruleId,
      });
    }
    if (!Number.isSafeInteger(eventSequence) || eventSequence < 1) throw invalid('eventSequence', 'must be a positive integer');
    const head = await this.deps.heads.head(tenantId);
    if (eventSequence > head.sequence) {
      throw new AppError(ErrorCode.NOT_FOUND, `Your chain has no event with sequence ${eventSequence}.`, { eventSequence });
    }
    return findingId(tenantId, frameworkId, control.id, ruleId, String(eventSequence));
  }

  /** Every transition of one finding, in chain order. */
  private async transitions(tenantId: string, frameworkId: string, id: string): Promise<FindingTransition[]> {
    const head = await this.deps.heads.head(tenantId);
    const rows = await this.deps.queries.serverEvents(
      tenantId,
      FINDING_TRANSITIONED_ACTION,
      FINDING_RESOURCE,
      `${frameworkId}:${id}`,
      head.sequence,
    );
    const out: FindingTransition[] = [];
    for (const row of rows) {
      if (row.resource_id !== `${frameworkId}:${id}`) continue;
      const meta = JSON.parse(String(row.metadata ?? '{}')) as Record<string, unknown>;
      const str = (k: string) => (typeof meta[k] === 'string' ? meta[k] : null);
      const from = str('from');
      const to = str('to');
      if (!from || !to || !(from in FINDING_TRANSITIONS) || !(to in FINDING_TRANSITIONS)) continue;
      out.push({
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

  /** One finding as of `asOf` (default now): transitions recorded after it do not apply. */
  async finding(
    tenantId: string,
    ref: { frameworkId: string; controlId: string; ruleId: string; eventSequence: number },
    asOf: Date = new Date(),
  ): Promise<FindingView> {
    const id = await this.identify(tenantId, ref.frameworkId, ref.controlId, ref.ruleId, ref.eventSequence);
    const all = await this.transitions(tenantId, ref.frameworkId, id);
    const history = all.filter((t) => Date.parse(t.transitionedAt) <= asOf.getTime());
    return { id, ...ref, asOf: asOf.toISOString(), history, ...deriveFinding(history, asOf) };
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
    const ref = { frameworkId: input.frameworkId, controlId: input.controlId, ruleId: input.ruleId, eventSequence: input.eventSequence };
    const current = await this.finding(by.tenantId, ref, now);
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
        eventSequence: ref.eventSequence,
        from: current.state,
        to: input.to,
        note,
        ...(owner ? { owner, dueDate } : {}),
        ...(approver ? { approver, expiresAt } : {}),
      },
    });
    return this.finding(by.tenantId, ref, now);
  }
}
