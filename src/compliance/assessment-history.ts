import { createHash } from 'node:crypto';
import { canonicalJson } from '../chain/canonical-json';
import { ControlStatus, type AssessmentSummary } from './assessment';
import type { ParameterInForce } from './framework-parameters';
import type { DimensionInForce } from './framework-profile-scope';
import { periodStart, periodsBetween } from './periods';

/** The action of the event a stored assessment run is recorded as, and its resource type. */
export const ASSESSMENT_RECORDED_ACTION = 'datapunk.assessment.recorded';
export const ASSESSMENT_RUN_RESOURCE = 'assessment_run';

export enum AssessmentTrigger {
  ON_DEMAND = 'ON_DEMAND',
  SCHEDULED = 'SCHEDULED',
}

export enum HistoryGranularity {
  DAY = 'DAY',
  WEEK = 'WEEK',
}

/** ASSESSMENT_SCHEDULE: which closed windows the scheduler records. */
export type AssessmentSchedule = 'off' | 'daily' | 'weekly';

/** A stored run as the history reads it: everything its digest covers, plus the digest. */
export interface AssessmentRun {
  id: string;
  tenantId: string;
  frameworkId: string;
  frameworkVersion: string;
  pluginVersion: string;
  from: string;
  to: string;
  asOf: string;
  recordedBy: string;
  headSequence: number;
  headChainHash: string | null;
  parameters: ParameterInForce[];
  scope: DimensionInForce[];
  summary: AssessmentSummary;
  /** [controlId, status] in catalog order. */
  statuses: [string, ControlStatus][];
  trigger: AssessmentTrigger;
  scheduleWindow: string | null;
  createdBy: string | null;
  createdAt: string;
  digest: string;
}

export type RunContent = Omit<AssessmentRun, 'digest'>;

/** SHA-256 (hex) of the RFC 8785 canonical JSON of everything a run states but its digest. */
export function runDigest(run: RunContent): string {
  const { id, tenantId, frameworkId, frameworkVersion, pluginVersion, from, to, asOf, recordedBy, headSequence, headChainHash } = run;
  const content = {
    id,
    tenantId,
    frameworkId,
    frameworkVersion,
    pluginVersion,
    from,
    to,
    asOf,
    recordedBy,
    headSequence,
    headChainHash,
    parameters: run.parameters,
    scope: run.scope,
    summary: run.summary,
    statuses: run.statuses,
    trigger: run.trigger,
    scheduleWindow: run.scheduleWindow,
    createdBy: run.createdBy,
    createdAt: run.createdAt,
  };
  // JSON round trip first: the digest is of what the row holds, without undefined members.
  return createHash('sha256')
    .update(canonicalJson(JSON.parse(JSON.stringify(content))))
    .digest('hex');
}

/**
 * Settled: the run was judged at or after the end of its range, so its verdict no longer changes
 * with time (ADR 0034); a run judged mid-period may still change as deadlines pass.
 */
export const settled = (run: Pick<AssessmentRun, 'asOf' | 'to'>): boolean => Date.parse(run.asOf) >= Date.parse(run.to);

/** The UTC day or ISO week a run falls in: the one holding the last instant of its range. */
export const bucketStartOf = (granularity: HistoryGranularity, run: Pick<AssessmentRun, 'to'>): Date =>
  periodStart(granularity, new Date(Date.parse(run.to) - 1));

/** Runs in the order the history reads them: by range end, then as-of, then when they were stored. */
export const runOrder = (a: AssessmentRun, b: AssessmentRun): number =>
  a.to.localeCompare(b.to) || a.asOf.localeCompare(b.asOf) || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);

export interface Bucket {
  label: string;
  start: Date;
  end: Date;
  /** The last run of the bucket (in {@link runOrder}), if any. */
  run: AssessmentRun | null;
}

/** The day or week buckets of [from, to) (at most `limit`), each with its last run. */
export function buckets(granularity: HistoryGranularity, from: Date, to: Date, runs: AssessmentRun[], limit: number): Bucket[] {
  const spans = periodsBetween(granularity, periodStart(granularity, from), to, limit);
  const last = new Map<number, AssessmentRun>();
  for (const run of [...runs].sort(runOrder)) last.set(bucketStartOf(granularity, run).getTime(), run);
  return spans.map((s) => ({ label: s.label, start: s.start, end: s.end, run: last.get(s.start.getTime()) ?? null }));
}

export const statusOf = (run: AssessmentRun, controlId: string): ControlStatus | null =>
  run.statuses.find(([id]) => id === controlId)?.[1] ?? null;

/** One control's status changing from one run to the next. */
export interface StatusChange {
  controlId: string;
  /** null: the control was not in the previous run (a new catalog version). */
  from: ControlStatus | null;
  /** null: the control is not in this run. */
  to: ControlStatus | null;
  /** The as-of instant of the run that shows the new status. */
  at: string;
  previousRunId: string;
  runId: string;
}

/** Every status change between consecutive runs (in {@link runOrder}), oldest first, by catalog order within a run. */
export function statusChanges(runs: AssessmentRun[]): StatusChange[] {
  const ordered = [...runs].sort(runOrder);
  const changes: StatusChange[] = [];
  for (let i = 1; i < ordered.length; i += 1) {
    const before = new Map(ordered[i - 1].statuses);
    const after = new Map(ordered[i].statuses);
    const ids = [...ordered[i].statuses.map(([id]) => id), ...[...before.keys()].filter((id) => !after.has(id))];
    for (const controlId of ids) {
      const from = before.get(controlId) ?? null;
      const to = after.get(controlId) ?? null;
      if (from !== to) changes.push({ controlId, from, to, at: ordered[i].asOf, previousRunId: ordered[i - 1].id, runId: ordered[i].id });
    }
  }
  return changes;
}

export interface NonComplianceTime {
  /** Days of [from, to). */
  days: number;
  /** Days with a stored run. */
  assessedDays: number;
  /** Days whose last run shows the control NON_COMPLIANT. */
  nonCompliantDays: number;
  /** nonCompliantDays as seconds, each day clipped to [from, to). */
  nonCompliantSeconds: number;
  /** Start of the first non-compliant day, if any. */
  firstNonCompliantAt: string | null;
  /** End of the last non-compliant day, if any. */
  lastNonCompliantAt: string | null;
}

/** Time in non-compliance over the day buckets of [from, to): a day counts when its last run shows NON_COMPLIANT. */
export function nonComplianceTime(controlId: string, from: Date, to: Date, days: Bucket[]): NonComplianceTime {
  let assessedDays = 0;
  let nonCompliantMs = 0;
  const bad: Bucket[] = [];
  for (const day of days) {
    if (!day.run) continue;
    assessedDays += 1;
    if (statusOf(day.run, controlId) !== ControlStatus.NON_COMPLIANT) continue;
    bad.push(day);
    nonCompliantMs += Math.min(day.end.getTime(), to.getTime()) - Math.max(day.start.getTime(), from.getTime());
  }
  return {
    days: days.length,
    assessedDays,
    nonCompliantDays: bad.length,
    nonCompliantSeconds: Math.round(nonCompliantMs / 1000),
    firstNonCompliantAt: bad[0]?.start.toISOString() ?? null,
    lastNonCompliantAt: bad[bad.length - 1]?.end.toISOString() ?? null,
  };
}

/** The last closed window of a schedule as of `now`, whose end plus `lagMs` has passed; null if off. */
export function lastClosedWindow(
  schedule: AssessmentSchedule,
  now: Date,
  lagMs: number,
): { from: Date; to: Date; key: string; granularity: HistoryGranularity } | null {
  if (schedule === 'off') return null;
  const granularity = schedule === 'daily' ? HistoryGranularity.DAY : HistoryGranularity.WEEK;
  // The window must have ended `lagMs` ago, so every event of it that may count has been recorded.
  const to = periodStart(granularity, new Date(now.getTime() - lagMs));
  const from = periodStart(granularity, new Date(to.getTime() - 1));
  const [span] = periodsBetween(granularity, from, to, 1);
  return { from, to, key: `${granularity}:${span.label}`, granularity };
}
