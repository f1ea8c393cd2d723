import { v7 as uuidv7 } from 'uuid';
import { ActorType, Classification, Severity } from '../audit/audit-event.model';
import type { ChainHeads } from '../chain/chain-head';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { IngestService } from '../ingest/ingest.service';
import type { ControlStatus } from './assessment';
import type { AssessmentQueries } from './assessment-query';
import {
  ASSESSMENT_RECORDED_ACTION,
  ASSESSMENT_RUN_RESOURCE,
  type AssessmentRun,
  AssessmentTrigger,
  type Bucket,
  HistoryGranularity,
  type NonComplianceTime,
  type StatusChange,
  buckets,
  nonComplianceTime,
  runDigest,
  settled,
  statusChanges,
  statusOf,
} from './assessment-history';
import { type AssessmentRunRepository, isDuplicateKey } from './assessment-run.repository';
import type { ComplianceService } from './compliance.service';
import { periodStart } from './periods';

/** Buckets (days or weeks) one history or trend covers at most. */
export const MAX_HISTORY_BUCKETS = 366;
/** Stored runs one query reads at most; a longer stretch is asked for in parts. */
export const MAX_RUNS_READ = 5000;
/** The last instant a DATETIME column holds on both dialects. */
const LAST_INSTANT = new Date('9999-12-31T23:59:59.999Z');
/** The scheduler's own actor id in the chain (actor type SYSTEM). */
export const SCHEDULER_ACTOR = 'datapunk-assessment-scheduler';

export interface RecordAssessmentInput {
  frameworkId: string;
  from: string;
  to: string;
  asOf?: string | null;
}

/** Who records: an API key (ON_DEMAND) or the scheduler (keyId null). */
export interface RunRecorder {
  tenantId: string;
  keyId: string | null;
  requestId: string;
}

export interface HistoryPoint {
  label: string;
  start: string;
  end: string;
  run: AssessmentRun | null;
  status: ControlStatus | null;
  settled: boolean | null;
}

export interface TrendPoint {
  /** Start of the day or week. */
  date: string;
  label: string;
  runId: string | null;
  /** Controls by status in the bucket's last run; null without a run. */
  counts: Record<ControlStatus, number> | null;
}

const invalid = (path: string, message: string) =>
  new AppError(ErrorCode.INVALID_ARGUMENT, `${path} ${message}.`, { problems: [{ path, message }] });

const instant = (path: string, value: string | null | undefined): Date => {
  const ms = Date.parse(value ?? '');
  if (!Number.isFinite(ms)) throw invalid(path, 'must be a date-time');
  return new Date(ms);
};

const tampered = (runId: string, why: string) =>
  new AppError(
    ErrorCode.ASSESSMENT_RUN_TAMPERED,
    `Stored assessment run ${runId} ${why}; it was changed or removed outside the server. Run verifyAuditChain and restore the run from a backup.`,
    { runId },
  );

/**
 * How long a scheduled window's stored run may lack its chain event before the scheduler takes it
 * for the remains of a crash and records the window again (ADR 0039, amended 2026-12-03).
 */
export const ABANDONED_RUN_MS = 15 * 60_000;

/**
 * Stored assessment runs and what they say over time (ADR 0039). A run is a row plus a
 * `datapunk.assessment.recorded` event carrying its digest; every read checks each run against its
 * event, and every event in the range against its run.
 */
export class AssessmentHistoryService {
  constructor(
    private readonly deps: {
      compliance: ComplianceService;
      queries: AssessmentQueries;
      ingest: IngestService;
      heads: ChainHeads;
      runs: AssessmentRunRepository;
    },
  ) {}

  /**
   * Assesses the framework over [from, to), stores the run and records its digest in the chain.
   * With `window` (the scheduler), a window stored already is returned as it is and nothing is written.
   */
  async record(
    by: RunRecorder,
    input: RecordAssessmentInput,
    now = new Date(),
    window: string | null = null,
  ): Promise<{ run: AssessmentRun; created: boolean }> {
    const from = instant('input.from', input.from);
    const to = instant('input.to', input.to);
    if (input.asOf !== undefined && input.asOf !== null) instant('input.asOf', input.asOf);
    if (window) {
      const stored = await this.deps.runs.byWindow(by.tenantId, input.frameworkId, window);
      if (stored && !(await this.abandoned(by.tenantId, stored, now))) return { run: stored, created: false };
      // Left by a crash between the row and its event: removed by id (never a row another node
      // stored since), and the window is recorded afresh.
      if (stored) await this.deps.runs.delete(stored.id);
    }
    const a = await this.deps.compliance.assess(
      by.tenantId,
      { frameworkId: input.frameworkId, from: from.toISOString(), to: to.toISOString(), asOf: input.asOf ?? null },
      now,
    );
    const content = {
      id: uuidv7(),
      tenantId: by.tenantId,
      frameworkId: a.frameworkId,
      frameworkVersion: a.frameworkVersion,
      pluginVersion: a.pluginVersion,
      from: a.from,
      to: a.to ?? to.toISOString(),
      asOf: a.asOf,
      recordedBy: a.recordedBy,
      headSequence: a.headSequence,
      headChainHash: a.headChainHash,
      parameters: a.parameters ?? [],
      scope: a.scope ?? [],
      summary: a.summary,
      statuses: a.controls.map((c): [string, ControlStatus] => [c.controlId, c.status]),
      trigger: window ? AssessmentTrigger.SCHEDULED : AssessmentTrigger.ON_DEMAND,
      scheduleWindow: window,
      createdBy: by.keyId,
      createdAt: now.toISOString(),
    };
    const run: AssessmentRun = { ...content, digest: runDigest(content) };
    // The row first: the unique window key settles a race between nodes before anything reaches the
    // chain. A row whose event is not (yet) recorded is not part of the history.
    try {
      await this.deps.runs.insert(run);
    } catch (error) {
      if (window && isDuplicateKey(error)) {
        const stored = await this.deps.runs.byWindow(by.tenantId, input.frameworkId, window);
        if (stored) return { run: stored, created: false };
      }
      throw error;
    }
    try {
      await this.deps.ingest.recordServerEvent(by.tenantId, {
        occurredAt: now.toISOString(),
        keyId: by.keyId ?? SCHEDULER_ACTOR,
        actorType: by.keyId ? ActorType.API_KEY : ActorType.SYSTEM,
        requestId: by.requestId,
        action: ASSESSMENT_RECORDED_ACTION,
        resource: { type: ASSESSMENT_RUN_RESOURCE, id: `${run.frameworkId}:${run.id}` },
        severity: Severity.INFO,
        classification: Classification.INTERNAL,
        metadata: {
          runId: run.id,
          digest: run.digest,
          frameworkId: run.frameworkId,
          frameworkVersion: run.frameworkVersion,
          from: run.from,
          to: run.to,
          asOf: run.asOf,
          headSequence: run.headSequence,
          trigger: run.trigger,
          ...(window ? { scheduleWindow: window } : {}),
        },
      });
    } catch (error) {
      await this.deps.runs.delete(run.id).catch(() => undefined);
      throw error;
    }
    return { run, created: true };
  }

  /**
   * A stored run with no event in the chain ABANDONED_RUN_MS after it was stored: the row of a
   * record that crashed between its two statements (ADR 0039). A record under way appends its event
   * right after the row, so a younger row may still get one and is left alone.
   */
  private async abandoned(tenantId: string, run: AssessmentRun, now: Date): Promise<boolean> {
    if (now.getTime() - Date.parse(run.createdAt) < ABANDONED_RUN_MS) return false;
    const resourceId = `${run.frameworkId}:${run.id}`;
    const head = await this.deps.heads.head(tenantId);
    const rows = await this.deps.queries.serverEvents(
      tenantId,
      ASSESSMENT_RECORDED_ACTION,
      ASSESSMENT_RUN_RESOURCE,
      resourceId,
      head.sequence,
    );
    return !rows.some((row) => String(row.resource_id) === resourceId);
  }

  /** The digests the chain holds for the framework's runs, by run id, with the range end each event states. */
  private async recordedDigests(tenantId: string, frameworkId: string): Promise<Map<string, { digest: string; to: string }>> {
    const head = await this.deps.heads.head(tenantId);
    const rows = await this.deps.queries.serverEvents(
      tenantId,
      ASSESSMENT_RECORDED_ACTION,
      ASSESSMENT_RUN_RESOURCE,
      `${frameworkId}:`,
      head.sequence,
    );
    const out = new Map<string, { digest: string; to: string }>();
    for (const row of rows) {
      const meta = JSON.parse(String(row.metadata ?? '{}')) as Record<string, unknown>;
      const runId = typeof meta.runId === 'string' ? meta.runId : '';
      if (!runId || String(row.resource_id) !== `${frameworkId}:${runId}`) continue;
      if (typeof meta.digest === 'string' && typeof meta.to === 'string') out.set(runId, { digest: meta.digest, to: meta.to });
    }
    return out;
  }

  /**
   * The runs whose range ends in (after, atMost], each checked: its row must match its own digest and
   * the one its event recorded, and every recorded run of the stretch must still be stored. Rows
   * without an event (a record under way) are left out.
   */
  private async checkedRuns(tenantId: string, frameworkId: string, after: Date, atMost: Date): Promise<AssessmentRun[]> {
    const rows = await this.deps.runs.endingIn(tenantId, frameworkId, after, atMost, MAX_RUNS_READ + 1);
    if (rows.length > MAX_RUNS_READ) {
      throw invalid('to', `spans more than ${MAX_RUNS_READ} stored runs; ask for a shorter stretch`);
    }
    const recorded = await this.recordedDigests(tenantId, frameworkId);
    const runs: AssessmentRun[] = [];
    const seen = new Set<string>();
    for (const row of rows) {
      const event = recorded.get(row.id);
      if (!event) continue;
      const { digest, ...content } = row;
      if (runDigest(content) !== digest || event.digest !== digest)
        throw tampered(row.id, 'does not match the digest recorded in the chain');
      seen.add(row.id);
      runs.push(row);
    }
    for (const [runId, event] of recorded) {
      const end = Date.parse(event.to);
      if (end > after.getTime() && end <= atMost.getTime() && !seen.has(runId))
        throw tampered(runId, 'is recorded in the chain but not stored');
    }
    return runs;
  }

  /** One run by id, checked against its event; null if there is none (or it is not recorded yet). */
  async run(tenantId: string, runId: string): Promise<AssessmentRun | null> {
    const row = await this.deps.runs.byId(tenantId, runId);
    if (!row) return null;
    const event = (await this.recordedDigests(tenantId, row.frameworkId)).get(row.id);
    if (!event) return null;
    const { digest, ...content } = row;
    if (runDigest(content) !== digest || event.digest !== digest) throw tampered(row.id, 'does not match the digest recorded in the chain');
    return row;
  }

  private range(granularity: HistoryGranularity, fromText: string, toText: string): { from: Date; to: Date } {
    const from = instant('from', fromText);
    const to = instant('to', toText);
    if (to <= from) throw invalid('to', 'must be after from');
    const first = periodStart(granularity, from).getTime();
    const days = granularity === HistoryGranularity.DAY ? 1 : 7;
    if (Math.ceil((to.getTime() - first) / (days * 86_400_000)) > MAX_HISTORY_BUCKETS) {
      throw invalid('to', `must be within ${MAX_HISTORY_BUCKETS} ${granularity === HistoryGranularity.DAY ? 'days' : 'weeks'} of from`);
    }
    return { from, to };
  }

  private async bucketed(tenantId: string, frameworkId: string, granularity: HistoryGranularity, from: Date, to: Date): Promise<Bucket[]> {
    this.deps.compliance.framework(frameworkId);
    const first = periodStart(granularity, from);
    const spans = buckets(granularity, from, to, [], MAX_HISTORY_BUCKETS);
    const last = spans[spans.length - 1].end;
    const runs = await this.checkedRuns(tenantId, frameworkId, first, last);
    return buckets(granularity, from, to, runs, MAX_HISTORY_BUCKETS);
  }

  /** A control's status per day or week of [from, to): the status in the last run of each bucket. */
  async controlHistory(
    tenantId: string,
    frameworkId: string,
    controlId: string,
    fromText: string,
    toText: string,
    granularity: HistoryGranularity,
  ): Promise<HistoryPoint[]> {
    const { from, to } = this.range(granularity, fromText, toText);
    this.deps.compliance.control(frameworkId, controlId);
    return (await this.bucketed(tenantId, frameworkId, granularity, from, to)).map((b) => ({
      label: b.label,
      start: b.start.toISOString(),
      end: b.end.toISOString(),
      run: b.run,
      status: b.run ? statusOf(b.run, controlId) : null,
      settled: b.run ? settled(b.run) : null,
    }));
  }

  /** How long a control was NON_COMPLIANT over [from, to), by day, from the stored runs. */
  async timeInNonCompliance(
    tenantId: string,
    frameworkId: string,
    controlId: string,
    fromText: string,
    toText: string,
  ): Promise<NonComplianceTime> {
    const { from, to } = this.range(HistoryGranularity.DAY, fromText, toText);
    this.deps.compliance.control(frameworkId, controlId);
    return nonComplianceTime(controlId, from, to, await this.bucketed(tenantId, frameworkId, HistoryGranularity.DAY, from, to));
  }

  /**
   * Every control status change between consecutive runs whose later run's range ends at or after
   * `since` (up to `until`, default now), oldest first; the first is measured from the last run before.
   */
  async changes(tenantId: string, frameworkId: string, sinceText: string, until = new Date()): Promise<StatusChange[]> {
    const since = instant('since', sinceText);
    if (since > until) throw invalid('since', 'must not be in the future');
    this.deps.compliance.framework(frameworkId);
    const baseline = await this.deps.runs.lastEndingBy(tenantId, frameworkId, new Date(since.getTime() - 1));
    const after = baseline ? new Date(Date.parse(baseline.to) - 1) : new Date(since.getTime() - 1);
    // Every later run, one of a range still open (ending in the future) included.
    const runs = await this.checkedRuns(tenantId, frameworkId, after, LAST_INSTANT);
    const ends = new Map(runs.map((r) => [r.id, Date.parse(r.to)]));
    return statusChanges(runs).filter((c) => ends.get(c.runId)! >= since.getTime());
  }

  /**
   * The framework's status trend for a report: per day or week of [from, to), the controls by
   * status in the bucket's last run (null counts without a run).
   */
  async statusTrend(
    tenantId: string,
    frameworkId: string,
    fromText: string,
    toText: string,
    granularity: HistoryGranularity,
  ): Promise<TrendPoint[]> {
    const { from, to } = this.range(granularity, fromText, toText);
    return (await this.bucketed(tenantId, frameworkId, granularity, from, to)).map((b) => ({
      date: b.start.toISOString(),
      label: b.label,
      runId: b.run?.id ?? null,
      counts: b.run ? { ...b.run.summary.counts } : null,
    }));
  }
}
