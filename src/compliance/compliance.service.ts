import { Classification, Severity } from '../audit/audit-event.model';
import { type AuditEventRepository, excludingActions, type StoredEvent } from '../audit/audit-event.repository';
import type { ControlEvidence } from '../audit/audit-event.resolver';
import type { ChainHeads } from '../chain/chain-head';
import type { IngestService } from '../ingest/ingest.service';
import type { Cache } from '../cache/cache';
import type { Sql } from '../database/sql';
import { fromSqlDateTime, toNumber } from '../database/sql-format';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { Control, Duration, EventRule, FrameworkParameter } from '../plugin-api';
import { type ParameterInForce, type ParameterValue, resolveControls } from './framework-parameters';
import { PARAMETERS_SET_ACTION, PROFILE_RESOURCE, inForceUnder, profileAsOf, profileId } from './framework-profile';
import {
  type DimensionInForce,
  SCOPE_SET_ACTION,
  outOfScope,
  scopeAsOf,
  scopeInForce,
  scopeProfileId,
  selectionProblems,
} from './framework-profile-scope';
import {
  type AssessedRange,
  type AssessmentSummary,
  type Attestation,
  type ControlResult,
  type RuleMeasure,
  ControlStatus,
  dismiss,
  evaluateControl,
  evaluateRule,
  rollUp,
  summarise,
} from './assessment';
import type { AssessmentQueries, MeasureScope, PlannedRule } from './assessment-query';
import type { ComplianceCatalog, LoadedFramework } from './catalog';
import { FINDING_RESOURCE, FINDING_TRANSITIONED_ACTION, FindingState, deriveFinding, recordedBy, recordedFindings } from './findings';
import { nextPeriodStart, periodStart } from './periods';

/** The action of the event an attestation is recorded as. */
export const ATTESTED_ACTION = 'datapunk.control.attested';
export const ATTESTED_RESOURCE = 'compliance_control';
const MAX_ATTESTATION_DAYS = 3 * 366;
/** A burst rule with more correlation keys in range than this keeps its findings whatever was dismissed. */
const MAX_DISMISSED_BURST_KEYS = 10_000;

export interface AssessInput {
  frameworkId: string;
  from: string;
  to?: string | null;
  /** The instant deadlines are judged at and events must be recorded by (plus the lag); default: the period's end, or now. */
  asOf?: string | null;
}

/** An assessment, as computed and as cached. */
export interface Assessment {
  frameworkId: string;
  frameworkVersion: string;
  pluginVersion: string;
  from: string;
  to: string | null;
  /** Deadlines are judged at this instant; attestations made by it apply. */
  asOf: string;
  /** Only events recorded by this instant count (asOf plus the recording lag). */
  recordedBy: string;
  /** The organisation-defined parameters the rules were resolved with: the tenant's profile in force at asOf, else the defaults (ADR 0038). */
  parameters: ParameterInForce[];
  /** The scope the controls were judged under: the tenant's in force at asOf, else the defaults (ADR 0040). */
  scope: DimensionInForce[];
  assessedAt: string;
  /** The chain head the numbers describe: events after it are not counted. */
  headSequence: number;
  headChainHash: string | null;
  summary: AssessmentSummary;
  controls: ControlResult[];
  /** The instant a deadline or period passes and the same events would give another answer. */
  validUntil: string | null;
  cached: boolean;
  /**
   * Set when retention pruned events that occurred in the range (ADR 0043): their counts are gone
   * from the numbers. Null when the range starts after the newest pruned event.
   */
  pruned?: PrunedPeriod | null;
}

/** What retention pruned, as an assessment over the period names it. */
export interface PrunedPeriod {
  /** Events 1 to this sequence were deleted. */
  throughSequence: number;
  /** The newest occurredAt among them: periods before it are incomplete. */
  occurredBefore: string;
  prunedAt: string | null;
}

export interface AttestInput {
  frameworkId: string;
  controlId: string;
  status: ControlStatus;
  note: string;
  expiresAt: string;
  /** ADDRESSED_BY_ALTERNATIVE only: the equivalent measure implemented (ADR 0040). */
  alternativeMeasure?: string | null;
}

export interface Attester {
  tenantId: string;
  keyId: string;
  requestId: string;
}

const invalid = (path: string, message: string) =>
  new AppError(ErrorCode.INVALID_ARGUMENT, `${path} ${message}.`, { problems: [{ path, message }] });

/**
 * Assessments, attestations and control evidence. An assessment is computed by SQL aggregation
 * (AssessmentQueries) and cached under the chain head, so a repeat costs one cache read and any new
 * event (an attestation included) makes the next one fresh.
 */
export class ComplianceService implements ControlEvidence {
  readonly queries: AssessmentQueries;

  constructor(
    private readonly deps: {
      queries: AssessmentQueries;
      catalog: ComplianceCatalog;
      cache: Cache;
      ingest: IngestService;
      events: AuditEventRepository;
      /** The chain module's heads: an assessment is cached under the tenant's head. */
      heads: ChainHeads;
      /** EVIDENCE_RECORDING_LAG_MINUTES (ADR 0034). */
      recordingLagMinutes: number;
      /** Why a value cannot stand for a parameter (the plugin host's validation); empty when it can. */
      parameterProblems: (parameter: FrameworkParameter, value: unknown) => string[];
    },
  ) {
    this.queries = deps.queries;
  }

  /** EVIDENCE_RECORDING_LAG_MINUTES: evidence recorded later than this after it occurred is not timely (ADR 0034). */
  get recordingLag(): Duration {
    return { minutes: this.deps.recordingLagMinutes };
  }

  framework(id: string): LoadedFramework {
    const found = this.deps.catalog.framework(id);
    if (!found) {
      const known = this.deps.catalog
        .frameworks()
        .map((f) => f.framework.id)
        .join(', ');
      throw new AppError(ErrorCode.NOT_FOUND, `No framework "${id}" is loaded (loaded: ${known || 'none'}).`, { frameworkId: id });
    }
    return found;
  }

  control(frameworkId: string, controlId: string): Control {
    const control = this.deps.catalog.control(this.framework(frameworkId).framework.id, controlId);
    if (!control) {
      throw new AppError(ErrorCode.NOT_FOUND, `Framework "${frameworkId}" has no control "${controlId}".`, { frameworkId, controlId });
    }
    return control;
  }

  async assess(tenantId: string, input: AssessInput, now = new Date()): Promise<Assessment> {
    const loaded = this.framework(input.frameworkId);
    const from = new Date(input.from);
    const to = input.to ? new Date(input.to) : null;
    if (to && to <= from) throw invalid('input.to', 'must be after input.from');
    if (from > now) throw invalid('input.from', 'must not be in the future');
    // Point in time (ADR 0034): a closed period is judged as it stood at its end, unless asked later.
    const asOf = input.asOf ? new Date(input.asOf) : to && to < now ? to : now;
    if (asOf < from) throw invalid('input.asOf', 'must not be before input.from');
    if (asOf > now) throw invalid('input.asOf', 'must not be in the future');
    const lag = this.deps.recordingLagMinutes;
    const recordedBy = new Date(Math.min(asOf.getTime() + lag * 60_000, 8.64e15));

    const head = await this.deps.heads.head(tenantId);
    const keyOf = (sequence: number, chainHash: string | null) =>
      [
        'assessment',
        tenantId,
        `${loaded.framework.id}:${loaded.plugin.id}@${loaded.plugin.version}:${loaded.fingerprint}`,
        from.toISOString(),
        to?.toISOString() ?? 'open',
        input.asOf ? asOf.toISOString() : 'period-end',
        sequence,
        chainHash ?? '-',
      ].join(':');
    const [hit] = await this.deps.cache.getMany<Assessment>([keyOf(head.sequence, head.chainHash)]);
    // A cached answer was computed, and its rollup checked, before any later change to the rollup:
    // it is not wrong, and the next computation (a new head, range or as-of) checks again (ADR 0037).
    if (hit && (hit.validUntil === null || Date.parse(hit.validUntil) > now.getTime())) return { ...hit, cached: true };

    // The computation reads its own snapshot of the head; events may have arrived since the look-up.
    const scope: MeasureScope = {
      tenantId,
      from,
      to,
      now: asOf,
      recordedBy: recordedBy < now ? recordedBy : null,
      lag: { minutes: lag },
    };
    const result = await this.compute(tenantId, loaded, scope, now, recordedBy);
    await this.deps.cache.setMany([{ key: keyOf(result.headSequence, result.headChainHash), value: result }]);
    return result;
  }

  private async compute(tenantId: string, loaded: LoadedFramework, scope: MeasureScope, now: Date, recordedBy: Date): Promise<Assessment> {
    const { framework } = loaded;
    // The profile is read up to a head before the rules are measured; should the measured snapshot
    // hold a later profile in force at asOf, the rules are resolved and measured again under it, so
    // the values and the numbers describe one chain state.
    let profileHead = (await this.deps.heads.head(tenantId)).sequence;
    let parameters = await this.parametersAt(tenantId, loaded, profileHead, scope.now);
    let inScope = await this.scopeAt(tenantId, loaded, profileHead, scope.now);
    let controls: readonly Control[];
    let excluded: Map<string, string>;
    let measured: Awaited<ReturnType<AssessmentQueries['measure']>>;
    for (;;) {
      controls = this.resolved(loaded, parameters);
      // Out-of-scope controls are not measured: their rules match nothing (ADR 0040).
      excluded = outOfScope(framework, loaded.plugin.catalog.scoping ?? [], inScope, controls);
      const planned: PlannedRule[] = controls
        .filter((c) => !excluded.has(c.id))
        .flatMap((c) => [
          ...c.evidence.map((rule) => ({ controlId: c.id, role: 'EVIDENCE' as const, rule })),
          ...c.violations.map((rule) => ({ controlId: c.id, role: 'VIOLATION' as const, rule })),
        ]);
      measured = await this.queries.measure(planned, scope);
      if (measured.snapshot.headSequence <= profileHead) break;
      profileHead = measured.snapshot.headSequence;
      const again = await this.parametersAt(tenantId, loaded, profileHead, scope.now);
      const scopeAgain = await this.scopeAt(tenantId, loaded, profileHead, scope.now);
      if (JSON.stringify([again, scopeAgain]) === JSON.stringify([parameters, inScope])) break;
      parameters = again;
      inScope = scopeAgain;
    }
    const { snapshot, measures } = measured;
    const range: AssessedRange = {
      from: scope.from,
      end: scope.to && scope.to < scope.now ? scope.to : scope.now,
      firstEvent: snapshot.firstDay ? new Date(`${snapshot.firstDay}T00:00:00.000Z`) : null,
    };
    const attestations = await this.attestations(tenantId, framework.id, range.end, snapshot.headSequence, scope.now);

    const measuredControls = controls.filter((c) => !excluded.has(c.id));
    const dismissed = await this.dismissed(tenantId, loaded, measuredControls, scope, snapshot.headSequence, measures, range);

    const hasChildren = new Set(controls.filter((c) => c.parentId).map((c) => c.parentId));
    const own = new Map<string, ControlResult>();
    for (const control of controls) {
      const reason = excluded.get(control.id);
      if (reason !== undefined) {
        own.set(control.id, {
          ...evaluateControl(control, [], null, !hasChildren.has(control.id)),
          status: ControlStatus.NOT_APPLICABLE,
          reason,
          attestation: attestations.get(control.id) ?? null,
        });
        continue;
      }
      const outcomes = [
        ...control.evidence.map((rule) => evaluateRule(rule, 'EVIDENCE', measures.get(rule)!, range)),
        ...control.violations.map((rule) => {
          const outcome = evaluateRule(rule, 'VIOLATION', measures.get(rule)!, range);
          const n = dismissed.get(rule);
          return n ? dismiss(outcome, n) : outcome;
        }),
      ];
      own.set(control.id, evaluateControl(control, outcomes, attestations.get(control.id) ?? null, !hasChildren.has(control.id)));
    }
    // Top-down, so that a parent attested NOT_APPLICABLE takes its children out of scope too; each
    // parent then rolls up its children (a HIPAA standard and its implementation specifications).
    const final = new Map<string, ControlResult>();
    const resolve = (control: Control, outOfScopeBy: ControlResult | null): ControlResult => {
      let result = own.get(control.id)!;
      if (outOfScopeBy && result.status !== ControlStatus.NOT_APPLICABLE) {
        result = {
          ...result,
          status: ControlStatus.NOT_APPLICABLE,
          reason: `Out of scope: ${outOfScopeBy.controlId} was attested NOT_APPLICABLE. Events: ${result.reason}`,
        };
      }
      const scope = result.status === ControlStatus.NOT_APPLICABLE ? (outOfScopeBy ?? result) : null;
      const children = this.deps.catalog.children(framework.id, control.id).map((child) => resolve(child, scope));
      if (children.length) result = rollUp(result, children);
      final.set(control.id, result);
      return result;
    };
    const known = new Set(controls.map((c) => c.id));
    for (const root of controls.filter((c) => !c.parentId || !known.has(c.parentId))) resolve(root, null);
    const results = controls.map((c) => final.get(c.id)!);

    return {
      frameworkId: framework.id,
      frameworkVersion: framework.version,
      pluginVersion: loaded.plugin.version,
      from: scope.from.toISOString(),
      to: scope.to?.toISOString() ?? null,
      asOf: scope.now.toISOString(),
      recordedBy: recordedBy.toISOString(),
      parameters,
      scope: inScope,
      assessedAt: now.toISOString(),
      headSequence: snapshot.headSequence,
      headChainHash: snapshot.headChainHash,
      summary: summarise(results),
      controls: results,
      validUntil: this.validUntil(measuredControls, scope, now, recordedBy, measures, attestations),
      cached: false,
      pruned:
        snapshot.pruned?.occurredBefore && scope.from.toISOString() <= snapshot.pruned.occurredBefore
          ? {
              throughSequence: snapshot.pruned.prunedThrough,
              occurredBefore: snapshot.pruned.occurredBefore,
              prunedAt: snapshot.pruned.prunedAt,
            }
          : null,
    };
  }

  /**
   * Per violation rule, how many of its deviations in the range were investigated and found not to
   * be one, as of the as-of instant (ADR 0036): findings whose transitions recorded by then leave
   * them INVESTIGATED_NOT_A_DEVIATION, counted only if the range's own listing statement confirms
   * each is a deviation of the rule in this range. A burst counts once per correlation key, named
   * by the event that first completed it in the range, so its listing is intersected whole. An
   * AT_LEAST finding counts when its period is one the assessment finds short.
   */
  private async dismissed(
    tenantId: string,
    loaded: LoadedFramework,
    controls: readonly Control[],
    scope: MeasureScope,
    head: number,
    measures: Map<EventRule, RuleMeasure>,
    range: AssessedRange,
  ): Promise<Map<EventRule, number>> {
    const rows = await this.queries.serverEvents(tenantId, FINDING_TRANSITIONED_ACTION, FINDING_RESOURCE, `${loaded.framework.id}:`, head);
    const candidates = new Map<EventRule, number[]>();
    const out = new Map<EventRule, number>();
    for (const found of recordedFindings(tenantId, loaded.framework.id, rows).values()) {
      const { state } = deriveFinding(recordedBy(found.transitions, scope.now), scope.now);
      if (state !== FindingState.INVESTIGATED_NOT_A_DEVIATION) continue;
      const rule = controls.find((c) => c.id === found.controlId)?.violations.find((r) => r.id === found.ruleId);
      const outcome = rule && evaluateRule(rule, 'VIOLATION', measures.get(rule)!, range);
      if (!rule || outcome?.verdict !== 'FINDING') continue;
      // An AT_LEAST finding is a period: dismissed when the assessment finds that period short.
      if (found.period !== null) {
        if (outcome.shortPeriods?.includes(found.period)) out.set(rule, (out.get(rule) ?? 0) + 1);
      } else candidates.set(rule, [...(candidates.get(rule) ?? []), found.eventSequence]);
    }
    await Promise.all(
      [...candidates].map(async ([rule, sequences]) => {
        const confirmed =
          rule.kind === 'BURST'
            ? (await this.queries.deviations(rule, scope, head, { limit: MAX_DISMISSED_BURST_KEYS })).filter((s) => sequences.includes(s))
            : await this.queries.deviations(rule, scope, head, { limit: sequences.length, only: sequences });
        if (confirmed.length) out.set(rule, confirmed.length);
      }),
    );
    return out;
  }

  /**
   * When the same events would give another answer. Judged as of a past instant, only events still
   * to be recorded within the lag can change it: the answer holds from `recordedBy` on, for good.
   * Judged as of now: the next deadline of a pending trigger, the end of the period in progress for
   * recurring rules, the end of the range, the expiry of an attestation in force.
   */
  private validUntil(
    controls: readonly Control[],
    scope: MeasureScope,
    now: Date,
    recordedBy: Date,
    measures: Map<unknown, RuleMeasure>,
    attestations: Map<string, Attestation>,
  ): string | null {
    if (scope.now < now) return recordedBy > now ? recordedBy.toISOString() : null;
    const times: number[] = [];
    if (scope.to) times.push(scope.to.getTime());
    for (const m of measures.values())
      if ((m.kind === 'NOT_FOLLOWED_BY' || m.kind === 'FOLLOWED_BY' || m.kind === 'MAX_GAP') && m.nextDeadline)
        times.push(Date.parse(m.nextDeadline));
      else if (m.kind === 'RECENT' && m.lapsesAt) times.push(Date.parse(m.lapsesAt));
    for (const c of controls) {
      for (const rule of [...c.evidence, ...c.violations]) {
        if (rule.kind === 'AT_LEAST') times.push(nextPeriodStart(rule.period, periodStart(rule.period, scope.now)).getTime());
      }
    }
    for (const a of attestations.values()) times.push(Date.parse(a.expiresAt));
    const future = times.filter((t) => t > scope.now.getTime());
    return future.length ? new Date(Math.min(...future)).toISOString() : null;
  }

  /** The framework's controls with the parameters in force: the loaded ones when every value is the default. */
  private resolved(loaded: LoadedFramework, parameters: readonly ParameterInForce[]): readonly Control[] {
    return parameters.some((p) => p.source === 'TENANT') ? resolveControls(loaded.plugin.catalog, parameters) : loaded.controls;
  }

  /**
   * The parameters in force for the tenant at `asOf`: its latest profile recorded by then (ADR
   * 0038), events up to `head`; the defaults without one.
   */
  async parametersAt(tenantId: string, loaded: LoadedFramework, head: number, asOf: Date): Promise<ParameterInForce[]> {
    if (!loaded.parameters.length) return [];
    const rows = await this.queries.serverEvents(tenantId, PARAMETERS_SET_ACTION, PROFILE_RESOURCE, profileId(loaded.framework.id), head);
    return inForceUnder(loaded.parameters, profileAsOf(loaded.framework.id, rows, asOf), this.deps.parameterProblems);
  }

  /**
   * The scope in force for the tenant at `asOf`: its latest scope recorded by then (ADR 0040),
   * events up to `head`; the plugin's defaults without one.
   */
  async scopeAt(tenantId: string, loaded: LoadedFramework, head: number, asOf: Date): Promise<DimensionInForce[]> {
    const dimensions = loaded.plugin.catalog.scoping ?? [];
    if (!dimensions.length) return [];
    const rows = await this.queries.serverEvents(tenantId, SCOPE_SET_ACTION, PROFILE_RESOURCE, scopeProfileId(loaded.framework.id), head);
    return scopeInForce(dimensions, scopeAsOf(loaded.framework.id, rows, asOf));
  }

  /**
   * Records the tenant's scope of a framework as an event in its chain, replacing the previous
   * one: dimensions not named return to their defaults. Every selection is checked against the
   * declared dimensions first; a bad one fails with INVALID_ARGUMENT and records nothing.
   */
  async setScope(
    by: Attester,
    input: { frameworkId: string; selections: readonly { dimensionId: string; options: readonly string[] }[]; note: string },
    now = new Date(),
  ): Promise<DimensionInForce[]> {
    const loaded = this.framework(input.frameworkId);
    const dimensions = loaded.plugin.catalog.scoping ?? [];
    const note = input.note.trim();
    const problems: { path: string; message: string }[] = [];
    if (!dimensions.length) problems.push({ path: 'input.frameworkId', message: `${loaded.framework.id} declares no scope to select` });
    if (!note) problems.push({ path: 'input.note', message: 'must say why (the engagement or system description the scope comes from)' });
    if (note.length > 2000) problems.push({ path: 'input.note', message: 'must be at most 2000 characters' });
    const selections: Record<string, string[]> = {};
    input.selections.forEach(({ dimensionId, options }, i) => {
      const declared = dimensions.find((d) => d.id === dimensionId);
      const path = `input.selections[${i}]`;
      if (!declared) {
        const known = dimensions.map((d) => d.id).join(', ') || 'none';
        problems.push({
          path: `${path}.dimensionId`,
          message: `is not a scope dimension of ${loaded.framework.id} (its dimensions: ${known})`,
        });
      } else if (Object.prototype.hasOwnProperty.call(selections, dimensionId))
        problems.push({ path: `${path}.dimensionId`, message: `"${dimensionId}" is given twice` });
      else {
        const wrong = selectionProblems(declared, options);
        if (wrong.length) problems.push(...wrong.map((message) => ({ path: `${path}.options`, message })));
        else selections[dimensionId] = [...options];
      }
    });
    if (problems.length) throw new AppError(ErrorCode.INVALID_ARGUMENT, `${problems[0].path} ${problems[0].message}.`, { problems });
    await this.deps.ingest.recordServerEvent(by.tenantId, {
      occurredAt: now.toISOString(),
      keyId: by.keyId,
      requestId: by.requestId,
      action: SCOPE_SET_ACTION,
      resource: { type: PROFILE_RESOURCE, id: scopeProfileId(loaded.framework.id) },
      severity: Severity.NOTICE,
      classification: Classification.INTERNAL,
      metadata: { frameworkId: loaded.framework.id, selections, note },
    });
    const head = await this.deps.heads.head(by.tenantId);
    return this.scopeAt(by.tenantId, loaded, head.sequence, now);
  }

  /** One control with its rules resolved under `parameters` (an assessment's). */
  controlWith(frameworkId: string, controlId: string, parameters: readonly ParameterInForce[]): Control {
    const control = this.control(frameworkId, controlId);
    return this.resolved(this.framework(frameworkId), parameters).find((c) => c.id === control.id) ?? control;
  }

  /**
   * Records the tenant's values of a framework's parameters (its profile) as an event in its
   * chain, replacing the previous profile: parameters not named return to their defaults. Every
   * value is checked against its declaration first; a bad one fails with INVALID_ARGUMENT and
   * records nothing. Returns the parameters in force from now on.
   */
  async setParameters(
    by: Attester,
    input: { frameworkId: string; values: readonly { id: string; value: unknown }[]; note: string },
    now = new Date(),
  ): Promise<ParameterInForce[]> {
    const loaded = this.framework(input.frameworkId);
    const note = input.note.trim();
    const problems: { path: string; message: string }[] = [];
    if (!note) problems.push({ path: 'input.note', message: 'must say why (the policy the values come from)' });
    if (note.length > 2000) problems.push({ path: 'input.note', message: 'must be at most 2000 characters' });
    const values: Record<string, ParameterValue> = {};
    input.values.forEach(({ id, value }, i) => {
      const declared = loaded.parameters.find((p) => p.id === id);
      const path = `input.values[${i}]`;
      if (!declared) {
        const known = loaded.parameters.map((p) => p.id).join(', ') || 'none';
        problems.push({ path: `${path}.id`, message: `is not a parameter of ${loaded.framework.id} (its parameters: ${known})` });
      } else if (Object.prototype.hasOwnProperty.call(values, id)) problems.push({ path: `${path}.id`, message: `"${id}" is given twice` });
      else {
        const wrong = this.deps.parameterProblems(declared, value);
        if (wrong.length) problems.push(...wrong.map((message) => ({ path: `${path}.value`, message: `${message} (${declared.type})` })));
        else values[id] = value as ParameterValue;
      }
    });
    if (problems.length) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `${problems[0].path} ${problems[0].message}.`, { problems });
    }
    await this.deps.ingest.recordServerEvent(by.tenantId, {
      occurredAt: now.toISOString(),
      keyId: by.keyId,
      requestId: by.requestId,
      action: PARAMETERS_SET_ACTION,
      resource: { type: PROFILE_RESOURCE, id: profileId(loaded.framework.id) },
      severity: Severity.NOTICE,
      classification: Classification.INTERNAL,
      metadata: { frameworkId: loaded.framework.id, values, note },
    });
    const head = await this.deps.heads.head(by.tenantId);
    return this.parametersAt(by.tenantId, loaded, head.sequence, now);
  }

  /**
   * The latest attestation of each control made by `madeBy` (the end of the range, or a later as-of
   * instant: fieldwork after the period), if it has not expired by `end`.
   */
  async attestations(
    tenantId: string,
    frameworkId: string,
    end: Date,
    headSequence: number,
    madeBy: Date = end,
  ): Promise<Map<string, Attestation>> {
    const rows = await this.queries.serverEvents(tenantId, ATTESTED_ACTION, ATTESTED_RESOURCE, `${frameworkId}:`, headSequence);
    const latest = new Map<string, Attestation>();
    for (const row of rows) {
      const attestedAt = fromSqlDateTime(row.occurred_at);
      if (Date.parse(attestedAt) > Math.max(end.getTime(), madeBy.getTime())) continue;
      const meta = JSON.parse(String(row.metadata ?? '{}')) as Partial<Attestation>;
      if (typeof meta.controlId !== 'string' || typeof meta.status !== 'string' || typeof meta.expiresAt !== 'string') continue;
      latest.set(meta.controlId, {
        frameworkId,
        controlId: meta.controlId,
        status: meta.status,
        note: String(meta.note ?? ''),
        attestedAt,
        expiresAt: meta.expiresAt,
        attestedBy: String(row.actor_display_name ?? row.actor_id),
        sequence: toNumber(row.sequence),
        alternativeMeasure: typeof meta.alternativeMeasure === 'string' ? meta.alternativeMeasure : null,
      });
    }
    for (const [id, a] of latest) if (Date.parse(a.expiresAt) <= end.getTime()) latest.delete(id);
    return latest;
  }

  /**
   * Records an auditor's verdict on a control as an event in the tenant's chain (so it is
   * tamper-evident like any other), and returns it with the event's sequence.
   */
  async attest(by: Attester, input: AttestInput, now = new Date()): Promise<Attestation> {
    const control = this.control(input.frameworkId, input.controlId);
    if (input.status === ControlStatus.NOT_ASSESSED)
      throw invalid('input.status', 'must be a verdict; NOT_ASSESSED is what no attestation means');
    if (input.status === ControlStatus.OBSERVED) throw invalid('input.status', 'must be a verdict; OBSERVED is what events alone can say');
    const note = input.note.trim();
    if (!note) throw invalid('input.note', 'must say what the attestation rests on');
    if (note.length > 2000) throw invalid('input.note', 'must be at most 2000 characters');
    const alternativeMeasure = this.alternativeMeasureOf(input, control);
    const expires = Date.parse(input.expiresAt);
    if (!(expires > now.getTime())) throw invalid('input.expiresAt', 'must be in the future');
    if (expires > now.getTime() + MAX_ATTESTATION_DAYS * 86_400_000) {
      throw invalid('input.expiresAt', `must be within ${MAX_ATTESTATION_DAYS} days (re-attest instead)`);
    }
    const attestedAt = now.toISOString();
    const expiresAt = new Date(expires).toISOString();
    const receipt = await this.deps.ingest.recordServerEvent(by.tenantId, {
      occurredAt: attestedAt,
      keyId: by.keyId,
      requestId: by.requestId,
      action: ATTESTED_ACTION,
      resource: { type: ATTESTED_RESOURCE, id: `${input.frameworkId}:${control.id}`, name: control.title.slice(0, 1024) },
      severity: Severity.NOTICE,
      classification: Classification.INTERNAL,
      metadata: {
        frameworkId: input.frameworkId,
        controlId: control.id,
        status: input.status,
        note,
        expiresAt,
        ...(alternativeMeasure ? { alternativeMeasure } : {}),
      },
    });
    return {
      frameworkId: input.frameworkId,
      controlId: control.id,
      status: input.status,
      note,
      attestedAt,
      expiresAt,
      attestedBy: by.keyId,
      sequence: receipt.sequence,
      alternativeMeasure,
    };
  }

  /**
   * The alternative measure of an ADDRESSED_BY_ALTERNATIVE attestation (ADR 0040): only for a
   * control carrying the tag its framework declares in `alternativeMeasures` (HIPAA: addressable
   * specifications), and then required; refused with any other status.
   */
  private alternativeMeasureOf(input: AttestInput, control: Control): string | null {
    const measure = input.alternativeMeasure?.trim() ?? '';
    if (input.status !== ControlStatus.ADDRESSED_BY_ALTERNATIVE) {
      if (input.alternativeMeasure != null) throw invalid('input.alternativeMeasure', 'is given only with status ADDRESSED_BY_ALTERNATIVE');
      return null;
    }
    const declared = this.framework(input.frameworkId).plugin.catalog.alternativeMeasures;
    if (!declared) throw invalid('input.status', `cannot be ADDRESSED_BY_ALTERNATIVE: ${input.frameworkId} allows no alternative measure`);
    if (!(control.tags ?? []).includes(declared.tag)) {
      throw invalid(
        'input.status',
        `cannot be ADDRESSED_BY_ALTERNATIVE: ${control.id} is not tagged ${declared.tag} (${declared.citation} allows an alternative measure only for those)`,
      );
    }
    if (!measure) throw invalid('input.alternativeMeasure', 'must describe the equivalent alternative measure implemented');
    if (measure.length > 2000) throw invalid('input.alternativeMeasure', 'must be at most 2000 characters');
    return measure;
  }

  /** A control's evidence condition: what the auditEvents `control` filter selects. */
  evidenceCondition(frameworkId: string, controlId: string): Sql | null {
    return this.queries.evidenceCondition(this.control(frameworkId, controlId));
  }

  /** Events matching any of a control's evidence rules, newest first, none of `hidden` actions (a VIEWER's read records). */
  async evidence(
    tenantId: string,
    frameworkId: string,
    controlId: string,
    first: number,
    after: string | null,
    hidden: readonly string[] = [],
  ): Promise<{ events: StoredEvent[]; hasNextPage: boolean }> {
    const condition = this.evidenceCondition(frameworkId, controlId);
    if (!condition) return { events: [], hasNextPage: false };
    return this.deps.events.findPageWhere(tenantId, excludingActions(condition, hidden), first, after);
  }

  async evidenceCount(tenantId: string, frameworkId: string, controlId: string, hidden: readonly string[] = []): Promise<number> {
    const condition = this.evidenceCondition(frameworkId, controlId);
    return condition ? this.deps.events.countWhere(tenantId, excludingActions(condition, hidden)) : 0;
  }
}
