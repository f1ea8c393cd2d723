import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { ActorType, Classification, Severity } from '../audit/audit-event.model';
import { ERASED } from '../audit/personal-data';
import type { ChainVerifier } from '../chain/chain-verifier';
import type { Checkpoint } from '../chain/checkpoint.repository';
import { linkHash } from '../chain/hashing';
import type { CheckpointService } from '../chain/checkpoint.service';
import { PRUNED_ACTION, PRUNED_RESOURCE, type PruneState, readPruneState } from '../chain/pruned-prefix';
import { fromSqlDateTime, toNumber, toSqlDateTime } from '../database/sql-format';
import { AppError, type Problem } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { IngestService } from '../ingest/ingest.service';
import { type BatchGuard, deleteBatch } from './prune-batch';
import {
  heldCondition,
  keptBecause,
  keptCondition,
  type LegalHold,
  MAX_ACTIVE_HOLDS,
  MAX_RETENTION_DAYS,
  MAX_RULES,
  type RetentionRule,
  RetentionSelector,
} from './retention-policy';
import { RetentionRepository } from './retention.repository';

/** Sequences the plan scans per statement: one indexed range each, yielding between them. */
export const PLAN_PAGE = 5000;
/** How long a node's prune lease lasts without a batch renewing it. */
export const LEASE_MS = 5 * 60_000;

export const RULE_ADDED_ACTION = 'datapunk.retention.rule.added';
export const RULE_REMOVED_ACTION = 'datapunk.retention.rule.removed';
export const HOLD_PLACED_ACTION = 'datapunk.retention.hold.placed';
export const HOLD_RELEASED_ACTION = 'datapunk.retention.hold.released';

/** Who asks: the tenant's API key and the request (null key: the scheduler or the CLI). */
export interface RetentionActor {
  tenantId: string;
  keyId: string | null;
  requestId: string;
}

export interface RuleInput {
  selector: RetentionSelector;
  value: string;
  minDays?: number | null;
  maxDays?: number | null;
  note?: string | null;
}

export interface HoldInput {
  subject?: string | null;
  actionPrefix?: string | null;
  occurredFrom?: string | null;
  occurredTo?: string | null;
  reason: string;
}

/** What a prune would delete or deleted. */
export interface PrunePlan {
  tenantId: string;
  /** The instant ages were judged at. */
  asOf: string;
  /** Already pruned through this sequence (0: never). */
  alreadyPrunedThrough: number;
  /** First and last sequence that go; null when nothing may. */
  fromSequence: number | null;
  throughSequence: number | null;
  eventCount: number;
  /** The newest occurredAt among them. */
  occurredBefore: string | null;
  /** The first event that must be kept (it stops the prefix), and why. */
  keptSequence: number | null;
  keptReason: string | null;
}

export interface PruneResult extends PrunePlan {
  dryRun: boolean;
  /** Events deleted by this call (a resumed earlier prune included). */
  deleted: number;
  anchor: Checkpoint | null;
  /** Sequence of the datapunk.retention.pruned event. */
  eventSequence: number | null;
  /**
   * True when a batch found an event that must now be kept (a hold placed, or a rule changed, while
   * the prune ran): the prune ended before it, at `throughSequence`, with an anchor signed there;
   * `keptSequence` and `keptReason` name that event and why.
   */
  stopped: boolean;
  /** Where the plan meant to prune through (null: nothing planned). */
  plannedThroughSequence: number | null;
}

export interface PruneOptions {
  /** The instant ages are judged at (default now). */
  now?: Date;
  dryRun?: boolean;
  /**
   * Awaited after each deletion batch that deleted events, with the sequence deleted through: a
   * test's hook to place a hold between batches (the deletion does not depend on it).
   */
  betweenBatches?: (progress: { tenantId: string; deletedThrough: number }) => Promise<void>;
}

/** What a run of deletion batches did, and where it stopped when a batch found an event to keep. */
interface Deletion {
  deleted: number;
  newestOccurred: string | null;
  lastRecorded: string | null;
  stop: { at: number; deletedThrough: number; reason: string } | null;
}

/** Batches in a row that may find the holds or rules changed under them before the prune gives up. */
const MAX_STALE_BATCHES = 50;

export interface RetentionDeps {
  dataSource: DataSource;
  checkpoints: CheckpointService;
  verifier: ChainVerifier;
  ingest: Pick<IngestService, 'recordServerEvent'>;
  /** Ids of the loaded frameworks (FRAMEWORK rules must name one). */
  frameworks: () => string[];
  /**
   * The data-subject vault (ADR 0042): a hold by subject stores the subject's reference, never its id
   * (ADR 0043, amended 2026-12-04). Without it (the CLI without the privacy key) no hold by subject
   * can be placed or matched, and a prune of a tenant that has one is refused.
   */
  subjects?: HoldSubjects;
}

/** What retention needs of the subject vault for holds by subject. */
export interface HoldSubjects {
  /** The live reference of `id`, created (new reference, new key) when there is none. */
  refFor(tenantId: string, id: string): Promise<string>;
  /** The live references of `ids`. */
  refsOf(tenantId: string, ids: readonly string[]): Promise<Map<string, string>>;
  /** The ids behind the live references among `refs`, opened with each subject's key. */
  idsOf(tenantId: string, refs: readonly string[]): Promise<Map<string, string>>;
  /** A keyed pseudonym of `id` (`h_…`), for a released hold whose subject is no longer live. */
  holdPseudonymOf(tenantId: string, id: string): string;
}

type Row = Record<string, unknown>;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const isoOrNull = (v: unknown) => (v === null || v === undefined ? null : fromSqlDateTime(v));

/**
 * Retention (ADR 0043): a tenant's rules and legal holds, the plan of what may go, and the prune
 * that deletes it — a prefix of the chain, after a signed anchor and a chain event, in batches.
 */
export class RetentionService {
  readonly repository: RetentionRepository;

  constructor(private readonly deps: RetentionDeps) {
    this.repository = new RetentionRepository(deps.dataSource);
  }

  rules(tenantId: string): Promise<RetentionRule[]> {
    return this.repository.rules(tenantId);
  }

  /** A tenant's holds, each by-subject one with its subject id opened (`[erased]` once the subject's key is gone). */
  async holds(tenantId: string, includeReleased = false): Promise<LegalHold[]> {
    await this.sealLegacyHolds(tenantId);
    return this.opened(tenantId, await this.repository.holds(tenantId, includeReleased), false);
  }

  /** The active holds, each subject with what its events store it as (`storedAs`). */
  private async activeHolds(tenantId: string): Promise<LegalHold[]> {
    await this.sealLegacyHolds(tenantId);
    return this.opened(tenantId, await this.repository.holds(tenantId, false), true);
  }

  /**
   * Opens the subject of each hold by subject through the vault: `subject` (for reads) and
   * `storedAs` (for matching: the reference, and the id while the subject is live, which events that
   * are not sealed store). `needed`: a hold by subject that cannot be opened here refuses the caller.
   */
  private async opened(tenantId: string, holds: LegalHold[], needed: boolean): Promise<LegalHold[]> {
    const refs = [...new Set(holds.flatMap((h) => (h.subjectRef === null ? [] : [h.subjectRef])))];
    if (!this.deps.subjects) {
      if (!needed || (!refs.length && !(await this.repository.legacyHolds(tenantId)).length)) return holds;
      throw new AppError(
        ErrorCode.PRUNE_REFUSED,
        'A legal hold names a data subject, which only the privacy key can match (DATAPUNK_PRIVACY_KEY or DATAPUNK_PRIVACY_KEY_FILE); this process has none. Nothing was deleted.',
      );
    }
    if (!refs.length) return holds;
    const ids = await this.deps.subjects.idsOf(tenantId, refs);
    return holds.map((h) => {
      if (h.subjectRef === null) return h;
      const id = ids.get(h.subjectRef);
      return { ...h, subject: id ?? ERASED, storedAs: id === undefined ? [h.subjectRef] : [h.subjectRef, id] };
    });
  }

  /**
   * Converts holds stored with the subject id in clear (before 2026-12-04) to the subject's
   * reference — of an active hold, created if the subject has none yet, so its later events still
   * match; of a released one, the live reference or else a keyed pseudonym — and empties the clear
   * column. Run at start for every tenant and before holds are read or matched; a migration cannot
   * (it has no privacy key). Idempotent and safe on several nodes. The number converted.
   */
  async sealLegacyHolds(tenantId?: string): Promise<number> {
    const subjects = this.deps.subjects;
    if (!subjects) return 0;
    const legacy = await this.repository.legacyHolds(tenantId);
    for (const h of legacy) {
      const ref = h.released
        ? ((await subjects.refsOf(h.tenantId, [h.subject])).get(h.subject) ?? subjects.holdPseudonymOf(h.tenantId, h.subject))
        : await subjects.refFor(h.tenantId, h.subject);
      await this.repository.sealLegacyHold(h.tenantId, h.id, ref);
    }
    return legacy.length;
  }

  /**
   * The active holds that forbid erasing the subject stored as `ref` (GDPR Art. 17(3)(e)): a hold by
   * that subject, and a hold by action prefix or period that matches one of the subject's events
   * (erasing would destroy what the hold preserves). Ids in order of placement.
   */
  async holdsOnSubject(tenantId: string, ref: string, subjectId: string): Promise<string[]> {
    const holds = await this.activeHolds(tenantId);
    const held = new Set(holds.filter((h) => h.subjectRef === ref || (h.subject !== null && h.subject === subjectId)).map((h) => h.id));
    // One pass over the subject's events answers every other hold (at most MAX_ACTIVE_HOLDS columns).
    const others = holds.filter((h) => h.subjectRef === null);
    if (others.length) {
      const tests = others.map((h) => heldCondition([h]));
      const columns = tests.map((t, i) => `MAX(CASE WHEN ${t.text} THEN 1 ELSE 0 END) AS h${i}`).join(', ');
      const [row]: Row[] = await this.deps.dataSource.query(
        `SELECT ${columns} FROM audit_event e WHERE e.tenant_id = ? AND (e.actor_id = ? OR e.resource_id = ?)`,
        [...tests.flatMap((t) => t.params), tenantId, ref, ref],
      );
      others.forEach((h, i) => {
        if (Number(row?.[`h${i}`] ?? 0) === 1) held.add(h.id);
      });
    }
    return holds.filter((h) => held.has(h.id)).map((h) => h.id);
  }

  async addRule(by: RetentionActor, input: RuleInput, now = new Date()): Promise<RetentionRule> {
    const problems: Problem[] = [];
    const days = (field: 'minDays' | 'maxDays') => {
      const n = input[field];
      if (n === undefined || n === null) return null;
      if (!Number.isInteger(n) || n < 1 || n > MAX_RETENTION_DAYS)
        problems.push({ path: `input.${field}`, message: `must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}` });
      return n;
    };
    const minDays = days('minDays');
    const maxDays = days('maxDays');
    if (minDays === null && maxDays === null) problems.push({ path: 'input', message: 'needs minDays, maxDays or both' });
    if (minDays !== null && maxDays !== null && maxDays < minDays)
      problems.push({ path: 'input.maxDays', message: 'must not be below minDays' });
    const value = input.value.trim();
    if (!value || value.length > 128) problems.push({ path: 'input.value', message: 'must be 1 to 128 characters' });
    if (input.selector === RetentionSelector.CLASSIFICATION && !Object.values(Classification).includes(value as Classification)) {
      problems.push({ path: 'input.value', message: `must be one of ${Object.values(Classification).join(', ')}` });
    }
    if (input.selector === RetentionSelector.FRAMEWORK && !this.deps.frameworks().includes(value)) {
      problems.push({ path: 'input.value', message: `must be a loaded framework id (${this.deps.frameworks().join(', ')})` });
    }
    if ((input.note?.length ?? 0) > 500) problems.push({ path: 'input.note', message: 'must be at most 500 characters' });
    if ((await this.repository.rules(by.tenantId)).length >= MAX_RULES) {
      problems.push({ path: 'input', message: `your tenant has ${MAX_RULES} rules, the most it may have; remove one first` });
    }
    if (problems.length)
      throw new AppError(ErrorCode.INVALID_ARGUMENT, 'The retention rule is not valid; nothing was stored.', { problems });
    const rule: RetentionRule = {
      id: uuidv7(),
      tenantId: by.tenantId,
      selector: input.selector,
      value,
      minDays,
      maxDays,
      note: input.note ?? null,
      createdAt: now.toISOString(),
      createdBy: by.keyId,
    };
    await this.repository.insertRule(rule);
    await this.record(by, RULE_ADDED_ACTION, 'retention_rule', rule.id, { selector: rule.selector, value: rule.value, minDays, maxDays });
    return rule;
  }

  async removeRule(by: RetentionActor, id: string): Promise<void> {
    if (!(await this.repository.deleteRule(by.tenantId, id)))
      throw new AppError(ErrorCode.NOT_FOUND, `No retention rule ${id} in your tenant.`);
    await this.record(by, RULE_REMOVED_ACTION, 'retention_rule', id, {});
  }

  async placeHold(by: RetentionActor, input: HoldInput, now = new Date()): Promise<LegalHold> {
    const problems: Problem[] = [];
    const text = (field: 'subject' | 'actionPrefix', max: number) => {
      const v = input[field];
      if (v === undefined || v === null) return null;
      if (!v.length || v.length > max) problems.push({ path: `input.${field}`, message: `must be 1 to ${max} characters` });
      return v;
    };
    const subject = text('subject', 256);
    const actionPrefix = text('actionPrefix', 128);
    const from = input.occurredFrom ?? null;
    const to = input.occurredTo ?? null;
    if (from !== null && to !== null && Date.parse(to) <= Date.parse(from))
      problems.push({ path: 'input.occurredTo', message: 'must be after occurredFrom' });
    if (subject === null && actionPrefix === null && from === null && to === null) {
      problems.push({ path: 'input', message: 'needs a subject, an actionPrefix or a period (a hold on everything: give occurredFrom)' });
    }
    const reason = input.reason.trim();
    if (!reason || reason.length > 500) problems.push({ path: 'input.reason', message: 'must be 1 to 500 characters' });
    if ((await this.repository.holds(by.tenantId, false)).length >= MAX_ACTIVE_HOLDS) {
      problems.push({
        path: 'input',
        message: `your tenant has ${MAX_ACTIVE_HOLDS} active holds, the most it may have; release one first`,
      });
    }
    if (problems.length) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'The legal hold is not valid; nothing was stored.', { problems });
    if (subject !== null && !this.deps.subjects) throw new Error('a legal hold by subject needs the subject vault');
    // The subject's reference, never its id, is stored (created when the subject has no events yet).
    const subjectRef = subject === null ? null : await this.deps.subjects!.refFor(by.tenantId, subject);
    const hold: LegalHold = {
      id: uuidv7(),
      tenantId: by.tenantId,
      subjectRef,
      subject,
      actionPrefix,
      occurredFrom: from && new Date(from).toISOString(),
      occurredTo: to && new Date(to).toISOString(),
      reason,
      createdAt: now.toISOString(),
      createdBy: by.keyId,
      releasedAt: null,
      releasedBy: null,
    };
    await this.repository.insertHold(hold);
    // PII-free: the hold's id and which kinds of match it has, never the subject.
    await this.record(by, HOLD_PLACED_ACTION, 'legal_hold', hold.id, {
      bySubject: subject !== null,
      actionPrefix,
      occurredFrom: hold.occurredFrom,
      occurredTo: hold.occurredTo,
    });
    return hold;
  }

  async releaseHold(by: RetentionActor, id: string, now = new Date()): Promise<LegalHold> {
    const hold = await this.repository.hold(by.tenantId, id);
    if (!hold) throw new AppError(ErrorCode.NOT_FOUND, `No legal hold ${id} in your tenant.`);
    if (hold.releasedAt !== null) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `Legal hold ${id} was already released at ${hold.releasedAt}.`, {
        problems: [{ path: 'id', message: 'names a released hold' }],
      });
    }
    await this.repository.releaseHold(by.tenantId, id, now.toISOString(), by.keyId);
    await this.record(by, HOLD_RELEASED_ACTION, 'legal_hold', id, {});
    const [released] = await this.opened(by.tenantId, [(await this.repository.hold(by.tenantId, id))!], false);
    return released;
  }

  /**
   * What a prune as of `now` would delete: the longest prefix after the pruned one whose every
   * event may go. Scans PLAN_PAGE sequences per statement and yields between them.
   */
  async plan(tenantId: string, now = new Date()): Promise<PrunePlan> {
    const ds = this.deps.dataSource;
    const state = await readPruneState(ds, tenantId);
    const already = state?.prunedThrough ?? 0;
    const rules = await this.repository.rules(tenantId);
    const holds = await this.activeHolds(tenantId);
    const [head] = await ds.query<{ sequence: unknown }[]>('SELECT sequence FROM chain_head WHERE tenant_id = ?', [tenantId]);
    const headSequence = head ? toNumber(head.sequence) : 0;
    const empty: PrunePlan = {
      tenantId,
      asOf: now.toISOString(),
      alreadyPrunedThrough: already,
      fromSequence: null,
      throughSequence: null,
      eventCount: 0,
      occurredBefore: null,
      keptSequence: null,
      keptReason: null,
    };
    if (headSequence <= already) return empty;
    if (!rules.some((r) => r.maxDays !== null)) {
      return { ...empty, keptSequence: already + 1, keptReason: 'no rule with a maximum applies to it' };
    }
    const kept = keptCondition(rules, holds, now);
    let through = already;
    let newest: string | null = null;
    let keptSequence: number | null = null;
    for (let lo = already + 1; lo <= headSequence; lo += PLAN_PAGE) {
      const hi = Math.min(headSequence, lo + PLAN_PAGE - 1);
      const [row] = await ds.query<Row[]>(
        `SELECT MIN(CASE WHEN ${kept.text} THEN e.sequence END) AS kept, MAX(e.occurred_at) AS newest FROM audit_event e WHERE e.tenant_id = ? AND e.sequence >= ? AND e.sequence <= ?`,
        [...kept.params, tenantId, lo, hi],
      );
      if (row?.kept !== null && row?.kept !== undefined) {
        keptSequence = toNumber(row.kept);
        through = keptSequence - 1;
        if (through >= lo) {
          const [part] = await ds.query<Row[]>(
            'SELECT MAX(e.occurred_at) AS newest FROM audit_event e WHERE e.tenant_id = ? AND e.sequence >= ? AND e.sequence <= ?',
            [tenantId, lo, through],
          );
          newest = later(newest, isoOrNull(part?.newest));
        }
        break;
      }
      through = hi;
      newest = later(newest, isoOrNull(row?.newest));
      await yieldToLoop();
    }
    const keptReason = keptSequence === null ? null : await this.keptReasonAt(tenantId, keptSequence, rules, holds, now);
    const count = through - already;
    return {
      ...empty,
      fromSequence: count > 0 ? already + 1 : null,
      throughSequence: count > 0 ? through : null,
      eventCount: count,
      occurredBefore: count > 0 ? newest : null,
      keptSequence,
      keptReason,
    };
  }

  /** Why the event at `sequence` is kept: a hold's id, a rule and its days, or no maximum. */
  private async keptReasonAt(
    tenantId: string,
    sequence: number,
    rules: readonly RetentionRule[],
    holds: readonly LegalHold[],
    now: Date,
  ): Promise<string> {
    const ds = this.deps.dataSource;
    const [e] = await ds.query<Row[]>(
      'SELECT e.recorded_at, e.occurred_at, e.action, e.actor_id, e.resource_id, e.classification FROM audit_event e WHERE e.tenant_id = ? AND e.sequence = ?',
      [tenantId, sequence],
    );
    const labels = await ds.query<{ value: string }[]>(
      "SELECT value FROM audit_event_label WHERE tenant_id = ? AND sequence = ? AND kind = 'category'",
      [tenantId, sequence],
    );
    return e
      ? keptBecause(
          {
            recordedAt: fromSqlDateTime(e.recorded_at),
            occurredAt: fromSqlDateTime(e.occurred_at),
            action: String(e.action),
            actorId: String(e.actor_id),
            resourceId: String(e.resource_id),
            classification: toNumber(e.classification),
            categories: labels.map((l) => l.value),
          },
          rules,
          holds,
          now,
        )
      : 'the event is missing';
  }

  /**
   * Prunes a tenant (ADR 0043): takes its lease, finishes a prune left unfinished, plans, verifies
   * the prefix, signs the anchor, records the datapunk.retention.pruned event and chain_prune, then
   * deletes in batches, each re-checking the holds and rules under its lock. A batch that finds an
   * event that must now be kept ends the prune before it, at a new signed anchor (`stopped`).
   * `dryRun`: the plan only. PRUNE_IN_PROGRESS when another node holds the lease.
   */
  async prune(by: RetentionActor, options: PruneOptions = {}): Promise<PruneResult> {
    const now = options.now ?? new Date();
    const { tenantId } = by;
    const unstopped = { stopped: false, plannedThroughSequence: null };
    if (options.dryRun) {
      const plan = await this.plan(tenantId, now);
      return {
        ...plan,
        dryRun: true,
        deleted: 0,
        anchor: null,
        eventSequence: null,
        ...unstopped,
        plannedThroughSequence: plan.throughSequence,
      };
    }
    if (!this.deps.checkpoints.canSign) {
      throw new AppError(ErrorCode.PRUNE_REFUSED, 'Pruning needs the server’s signing key to sign the anchor; none is configured.');
    }
    const owner = uuidv7();
    await this.takeLease(tenantId, owner);
    try {
      const left = await readPruneState(this.deps.dataSource, tenantId);
      const resumed = await this.deleteRecorded(tenantId, owner, now, options.betweenBatches);
      if (resumed.stop) {
        // A prune a crash left unfinished, stopped by a hold placed since: it ends where it stopped.
        const ended = await this.endStopped(by, owner, now, resumed, null, left);
        const through = resumed.stop.deletedThrough;
        return {
          tenantId,
          asOf: now.toISOString(),
          alreadyPrunedThrough: through,
          fromSequence: null,
          throughSequence: through,
          eventCount: 0,
          occurredBefore: null,
          keptSequence: resumed.stop.at,
          keptReason: resumed.stop.reason,
          dryRun: false,
          deleted: resumed.deleted,
          ...ended,
          stopped: true,
          plannedThroughSequence: left?.prunedThrough ?? null,
        };
      }
      let deleted = resumed.deleted;
      const plan = await this.plan(tenantId, now);
      if (plan.throughSequence === null) return { ...plan, dryRun: false, deleted, anchor: null, eventSequence: null, ...unstopped };
      const through = plan.throughSequence;
      const check = await this.deps.verifier.verify(tenantId, plan.fromSequence, through);
      if (!check.valid) {
        const f = check.firstFailure!;
        throw new AppError(
          ErrorCode.PRUNE_REFUSED,
          `The prefix to prune does not verify (${f.reason} at sequence ${f.sequence}); nothing was deleted. Investigate with verifyAuditChain first.`,
          { failure: f.reason, sequence: f.sequence },
        );
      }
      const anchor = await this.deps.checkpoints.issueAt(tenantId, through);
      if (!anchor) throw new AppError(ErrorCode.PRUNE_REFUSED, `Event ${through} is missing; nothing was deleted.`);
      const [last] = await this.deps.dataSource.query<Row[]>('SELECT recorded_at FROM audit_event WHERE tenant_id = ? AND sequence = ?', [
        tenantId,
        through,
      ]);
      const recordedBefore = isoOrNull(last?.recorded_at);
      const eventSequence = await this.recordPrune(by, now, through, {
        fromSequence: plan.fromSequence,
        throughSequence: through,
        eventCount: plan.eventCount,
        occurredBefore: plan.occurredBefore,
        recordedBefore,
        anchorCheckpointId: anchor.id,
        anchorChainHash: anchor.chainHash,
        anchorKeyId: anchor.keyId,
      });
      const previous = await readPruneState(this.deps.dataSource, tenantId);
      await this.setPruned(tenantId, owner, {
        through,
        anchorId: anchor.id,
        eventSequence,
        occurredBefore: later(previous?.occurredBefore ?? null, plan.occurredBefore),
        recordedBefore,
      });
      const run = await this.deleteRecorded(tenantId, owner, now, options.betweenBatches);
      deleted += run.deleted;
      if (!run.stop) return { ...plan, dryRun: false, deleted, anchor, eventSequence, ...unstopped, plannedThroughSequence: through };
      const ended = await this.endStopped(by, owner, now, run, plan.fromSequence, previous);
      const stoppedThrough = run.stop.deletedThrough;
      const count = Math.max(0, stoppedThrough - plan.alreadyPrunedThrough);
      return {
        ...plan,
        fromSequence: count > 0 ? plan.fromSequence : null,
        throughSequence: stoppedThrough,
        eventCount: count,
        occurredBefore: count > 0 ? run.newestOccurred : null,
        keptSequence: run.stop.at,
        keptReason: run.stop.reason,
        dryRun: false,
        deleted,
        ...ended,
        stopped: true,
        plannedThroughSequence: through,
      };
    } finally {
      await this.deps.dataSource
        .query('UPDATE chain_prune SET lease_owner = NULL, lease_until = NULL WHERE tenant_id = ? AND lease_owner = ?', [tenantId, owner])
        .catch(() => undefined);
    }
  }

  /**
   * Ends a prune that a batch stopped (ADR 0043, amended 2026-12-04): the events through
   * `stop.deletedThrough` are gone and the next one must be kept, so the pruned prefix ends there.
   * Signs an anchor at that sequence with the chain hash its batch recorded — after checking that the
   * first kept event links to it — records a datapunk.retention.pruned event naming the stop, and
   * moves chain_prune to it. Until that last statement the chain stays anchored where the prune was
   * planned to end (the kept events past the stop are simply not yet verified from there), so it
   * verifies at every step. Stopped before anything was ever deleted: chain_prune is reset.
   */
  private async endStopped(
    by: RetentionActor,
    owner: string,
    now: Date,
    run: Deletion,
    fromSequence: number | null,
    before: PruneState | null,
  ): Promise<{ anchor: Checkpoint | null; eventSequence: number }> {
    const ds = this.deps.dataSource;
    const { tenantId } = by;
    const stop = run.stop!;
    const through = stop.deletedThrough;
    const [state] = await ds.query<Row[]>(
      'SELECT pruned_through, deleted_chain_hash, event_sequence FROM chain_prune WHERE tenant_id = ? AND lease_owner = ?',
      [tenantId, owner],
    );
    if (!state) throw new AppError(ErrorCode.PRUNE_IN_PROGRESS, 'Another node took over pruning this tenant; this one stopped.');
    let anchor: Checkpoint | null = null;
    if (through > 0) {
      const candidate = state.deleted_chain_hash === null ? null : String(state.deleted_chain_hash);
      const [next] = await ds.query<Row[]>('SELECT hash, chain_hash FROM audit_event WHERE tenant_id = ? AND sequence = ?', [
        tenantId,
        through + 1,
      ]);
      if (candidate === null || !next || linkHash(candidate, String(next.hash)) !== String(next.chain_hash)) {
        throw new AppError(
          ErrorCode.PRUNE_REFUSED,
          `The prune stopped before event ${stop.at} (${stop.reason}), but the chain hash at ${through} cannot be confirmed, so no anchor was signed there; the chain stays anchored at ${toNumber(state.pruned_through)} and nothing more was deleted. Investigate with verifyAuditChain.`,
          { sequence: through },
        );
      }
      anchor = await this.deps.checkpoints.issueAnchor(tenantId, through, candidate);
    }
    const occurredBefore = later(before?.occurredBefore ?? null, run.newestOccurred);
    const recordedBefore = run.lastRecorded ?? before?.recordedBefore ?? null;
    const eventSequence = await this.recordPrune(by, now, through, {
      fromSequence,
      throughSequence: through,
      eventCount: fromSequence === null ? null : Math.max(0, through - fromSequence + 1),
      occurredBefore,
      recordedBefore,
      anchorCheckpointId: anchor?.id ?? null,
      anchorChainHash: anchor?.chainHash ?? null,
      anchorKeyId: anchor?.keyId ?? null,
      // PII-free: a hold's id or a rule, never what the hold names.
      stopped: true,
      plannedThroughSequence: toNumber(state.pruned_through),
      stoppedAtSequence: stop.at,
      stoppedBecause: stop.reason,
      supersedesEventSequence: state.event_sequence === null ? null : toNumber(state.event_sequence),
    });
    await this.setPruned(tenantId, owner, anchor && { through, anchorId: anchor.id, eventSequence, occurredBefore, recordedBefore });
    return { anchor, eventSequence };
  }

  /** Prunes every tenant with a rule that has a maximum (RETENTION_SCHEDULE); a tenant another node prunes is skipped. */
  async pruneDue(
    requestId: string,
    now = new Date(),
    stopped: () => boolean = () => false,
    onError: (tenantId: string, error: unknown) => void = () => undefined,
  ): Promise<PruneResult[]> {
    const results: PruneResult[] = [];
    for (const tenantId of await this.repository.tenantsWithMaximum()) {
      if (stopped()) break;
      try {
        results.push(await this.prune({ tenantId, keyId: null, requestId }, { now }));
      } catch (error) {
        // One tenant's refusal (a chain that does not verify) does not stop the others.
        if (!(error instanceof AppError && error.code === ErrorCode.PRUNE_IN_PROGRESS)) onError(tenantId, error);
      }
    }
    return results;
  }

  /** Appends the PII-free datapunk.retention.pruned event of a prune through `through`; its sequence. */
  private async recordPrune(by: RetentionActor, now: Date, through: number, metadata: Record<string, unknown>): Promise<number> {
    const rules = await this.repository.rules(by.tenantId);
    const receipt = await this.deps.ingest.recordServerEvent(by.tenantId, {
      // When it happened; `asOf` (a test's or a plan's instant) is what ages were judged at.
      occurredAt: new Date().toISOString(),
      keyId: by.keyId ?? 'retention',
      actorType: by.keyId ? ActorType.API_KEY : ActorType.SYSTEM,
      requestId: by.requestId,
      action: PRUNED_ACTION,
      resource: { type: PRUNED_RESOURCE, id: `prune:${through}` },
      severity: Severity.NOTICE,
      classification: Classification.INTERNAL,
      metadata: { ...metadata, asOf: now.toISOString(), ruleIds: rules.map((r) => r.id) },
    });
    return receipt.sequence;
  }

  /** Records in chain_prune (still under this node's lease) what the chain is pruned through; null: not pruned at all. */
  private async setPruned(
    tenantId: string,
    owner: string,
    p: { through: number; anchorId: string; eventSequence: number; occurredBefore: string | null; recordedBefore: string | null } | null,
  ): Promise<void> {
    await this.deps.dataSource.query(
      'UPDATE chain_prune SET pruned_through = ?, anchor_checkpoint_id = ?, event_sequence = ?, occurred_before = ?, recorded_before = ?, pruned_at = ? WHERE tenant_id = ? AND lease_owner = ?',
      p
        ? [
            p.through,
            p.anchorId,
            p.eventSequence,
            p.occurredBefore && toSqlDateTime(p.occurredBefore),
            p.recordedBefore && toSqlDateTime(p.recordedBefore),
            toSqlDateTime(new Date().toISOString()),
            tenantId,
            owner,
          ]
        : [0, null, null, null, null, null, tenantId, owner],
    );
  }

  /** What each deletion batch re-checks under its lock: the kept condition over the rules and active holds of now. */
  private async guard(tenantId: string, now: Date): Promise<{ batch: BatchGuard; rules: RetentionRule[]; holds: LegalHold[] }> {
    const rules = await this.repository.rules(tenantId);
    const holds = await this.activeHolds(tenantId);
    return {
      batch: {
        kept: keptCondition(rules, holds, now),
        holdIds: new Set(holds.map((h) => h.id)),
        ruleIds: rules.map((r) => r.id).sort(),
      },
      rules,
      holds,
    };
  }

  /**
   * Deletes what chain_prune records as pruned but is still stored (this prune's, or one a crash
   * left), batch by batch, each re-checking holds and rules as of `now`; stops at the first event a
   * batch finds must be kept.
   */
  private async deleteRecorded(tenantId: string, owner: string, now: Date, between?: PruneOptions['betweenBatches']): Promise<Deletion> {
    const out: Deletion = { deleted: 0, newestOccurred: null, lastRecorded: null, stop: null };
    let guard = await this.guard(tenantId, now);
    let stale = 0;
    for (;;) {
      const leaseUntil = toSqlDateTime(new Date(Date.now() + LEASE_MS).toISOString());
      const batch = await deleteBatch(this.deps.dataSource, tenantId, owner, leaseUntil, guard.batch);
      out.deleted += batch.deleted;
      out.newestOccurred = later(out.newestOccurred, batch.newestOccurred);
      out.lastRecorded = batch.lastRecorded ?? out.lastRecorded;
      if (batch.lost) throw new AppError(ErrorCode.PRUNE_IN_PROGRESS, 'Another node took over pruning this tenant; this one stopped.');
      if (batch.stale) {
        // A hold was placed or a rule changed since the guard was built: build it again.
        if (++stale > MAX_STALE_BATCHES) {
          throw new AppError(
            ErrorCode.PRUNE_REFUSED,
            `Legal holds or retention rules changed ${MAX_STALE_BATCHES} times in a row while pruning; stopped without deleting more. Retry later.`,
          );
        }
        guard = await this.guard(tenantId, now);
        continue;
      }
      stale = 0;
      if (batch.stoppedAt !== null) {
        const reason = await this.keptReasonAt(tenantId, batch.stoppedAt, guard.rules, guard.holds, now);
        out.stop = { at: batch.stoppedAt, deletedThrough: batch.deletedThrough, reason };
        return out;
      }
      if (batch.done) return out;
      if (between) await between({ tenantId, deletedThrough: batch.deletedThrough });
      await yieldToLoop();
    }
  }

  /** One conditional UPDATE: the lease is ours when nobody holds it or it lapsed. */
  private async takeLease(tenantId: string, owner: string): Promise<void> {
    const ds = this.deps.dataSource;
    const ignore = ds.options.type === 'better-sqlite3' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
    await ds.query(`${ignore} INTO chain_prune (tenant_id, pruned_through, deleted_through) VALUES (?, 0, 0)`, [tenantId]);
    const nowSql = toSqlDateTime(new Date().toISOString());
    await ds.query(
      'UPDATE chain_prune SET lease_owner = ?, lease_until = ? WHERE tenant_id = ? AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until < ?)',
      [owner, toSqlDateTime(new Date(Date.now() + LEASE_MS).toISOString()), tenantId, nowSql],
    );
    const [row] = await ds.query<{ lease_owner: unknown }[]>('SELECT lease_owner FROM chain_prune WHERE tenant_id = ?', [tenantId]);
    if (String(row?.lease_owner) !== owner) {
      throw new AppError(ErrorCode.PRUNE_IN_PROGRESS, `Another node is pruning tenant "${tenantId}" now; retry when it is done.`);
    }
  }

  private async record(by: RetentionActor, action: string, resourceType: string, id: string, metadata: Record<string, unknown>) {
    await this.deps.ingest.recordServerEvent(by.tenantId, {
      keyId: by.keyId ?? 'retention',
      actorType: by.keyId ? ActorType.API_KEY : ActorType.SYSTEM,
      requestId: by.requestId,
      action,
      resource: { type: resourceType, id },
      severity: Severity.NOTICE,
      classification: Classification.INTERNAL,
      metadata,
    });
  }
}

const later = (a: string | null, b: string | null): string | null => (a === null ? b : b === null ? a : a > b ? a : b);
