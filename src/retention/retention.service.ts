import { v7 as uuidv7 } from 'uuid';
import { ActorType, Classification, Severity } from '../audit/audit-event.model';
import { ERASED } from '../audit/personal-data';
import { readPruneState } from '../chain/pruned-prefix';
import { fromSqlDateTime, toNumber } from '../database/sql-format';
import { AppError, type Problem } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
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
import {
  type PruneOptions,
  type PrunePlan,
  type PruneResult,
  type PrunerDeps,
  RetentionPruner,
  type RetentionActor,
} from './retention-pruner';
import { RetentionRepository } from './retention.repository';

export { type PruneOptions, type PrunePlan, type PruneResult, type RetentionActor } from './retention-pruner';

/** Sequences the plan scans per statement: one indexed range each, yielding between them. */
export const PLAN_PAGE = 5000;

export const RULE_ADDED_ACTION = 'datapunk.retention.rule.added';
export const RULE_REMOVED_ACTION = 'datapunk.retention.rule.removed';
export const HOLD_PLACED_ACTION = 'datapunk.retention.hold.placed';
export const HOLD_RELEASED_ACTION = 'datapunk.retention.hold.released';

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

export interface RetentionDeps extends PrunerDeps {
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
  private readonly pruner: RetentionPruner;

  constructor(private readonly deps: RetentionDeps) {
    this.repository = new RetentionRepository(deps.dataSource);
    this.pruner = new RetentionPruner(deps, {
      plan: (tenantId, now) => this.plan(tenantId, now),
      conditions: (tenantId) => this.conditions(tenantId),
      keptReasonAt: (tenantId, sequence, rules, holds, now) => this.keptReasonAt(tenantId, sequence, rules, holds, now),
    });
  }

  rules(tenantId: string): Promise<RetentionRule[]> {
    return this.repository.rules(tenantId);
  }

  /** A tenant's holds, each by-subject one with its subject id opened (`[erased]` once the subject's key is gone). */
  async holds(tenantId: string, includeReleased = false): Promise<LegalHold[]> {
    await this.sealLegacyHolds(tenantId);
    return this.opened(tenantId, await this.repository.holds(tenantId, includeReleased), false);
  }

  /** The tenant's rules and active holds (subjects opened), as the pruner's batches re-check them. */
  private async conditions(tenantId: string): Promise<{ rules: RetentionRule[]; holds: LegalHold[] }> {
    return { rules: await this.repository.rules(tenantId), holds: await this.activeHolds(tenantId) };
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
      const params = tests.flatMap((t) => t.params);
      // Two index searches, by actor and by resource id: SQLite reads `actor_id = ? OR resource_id = ?`
      // as a scan of the tenant, so the two halves are asked apart and their answers combined.
      const [row]: Row[] = await this.deps.dataSource.query(
        `SELECT ${tests.map((_, i) => `MAX(h${i}) AS h${i}`).join(', ')} FROM (` +
          `SELECT ${columns} FROM audit_event e WHERE e.tenant_id = ? AND e.actor_id = ? UNION ALL ` +
          `SELECT ${columns} FROM audit_event e WHERE e.tenant_id = ? AND e.resource_id = ?) s`,
        [...params, tenantId, ref, ...params, tenantId, ref],
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

  /** Prunes a tenant, or plans it (`dryRun`): RetentionPruner.prune. */
  prune(by: RetentionActor, options: PruneOptions = {}): Promise<PruneResult> {
    return this.pruner.prune(by, options);
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
