import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { ActorType, Classification, Severity } from '../audit/audit-event.model';
import type { ChainVerifier } from '../chain/chain-verifier';
import type { Checkpoint } from '../chain/checkpoint.repository';
import type { CheckpointService } from '../chain/checkpoint.service';
import { linkHash } from '../chain/hashing';
import { PRUNED_ACTION, PRUNED_RESOURCE, type PruneState, readPruneState } from '../chain/pruned-prefix';
import { fromSqlDateTime, toNumber, toSqlDateTime } from '../database/sql-format';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { IngestService } from '../ingest/ingest.service';
import {
  type BatchGuard,
  MysqlPruneDeleter,
  nextBatchSize,
  PRUNE_BATCH_EVENTS,
  PRUNE_BATCH_MAX_EVENTS,
  type PruneDeleter,
} from './prune-batch';
import { keptCondition, type LegalHold, type RetentionRule } from './retention-policy';
import { SqlitePruneDeleter } from './sqlite-prune-deleter';

/**
 * How the verifier a prune checks its prefix with walks the chain (ADR 0043, amended 2026-12-06):
 * slices of up to 20 ms between turns of the event loop (a request's verification: 8 ms) and pages
 * of 500 events, so a prune of a million events is not spent mostly waiting for its turn (40 ms and
 * 1,000 held MariaDB appends up for longer, ADR 0043 amended 2026-12-06).
 */
export const PRUNE_VERIFY_PACE = { sliceMs: 20, pageEvents: 500 } as const;

/** How long a node's prune lease lasts without a batch renewing it. */
export const LEASE_MS = 5 * 60_000;

/** Who asks: the tenant's API key and the request (null key: the scheduler or the CLI). */
export interface RetentionActor {
  tenantId: string;
  keyId: string | null;
  requestId: string;
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
  /** Every deletion batch takes this many events (a test's fixed boundary); default: sized by time (PRUNE_BATCH_TARGET_MS). */
  batchEvents?: number;
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

/** What the pruner needs of the server. */
export interface PrunerDeps {
  dataSource: DataSource;
  checkpoints: CheckpointService;
  verifier: ChainVerifier;
  ingest: Pick<IngestService, 'recordServerEvent'>;
  /**
   * Keeps the Merkle subtrees left of the first kept event before events up to `through` are
   * deleted (ADR 0047), so inclusion and consistency proofs still answer for what the prune keeps.
   */
  keepProofNodes?: (tenantId: string, through: number) => Promise<void>;
}

/** What the pruner asks the retention service: the plan, the rules and holds now, and why an event is kept. */
export interface PruneConditions {
  plan(tenantId: string, now: Date): Promise<PrunePlan>;
  conditions(tenantId: string): Promise<{ rules: RetentionRule[]; holds: LegalHold[] }>;
  keptReasonAt(
    tenantId: string,
    sequence: number,
    rules: readonly RetentionRule[],
    holds: readonly LegalHold[],
    now: Date,
  ): Promise<string>;
}

type Row = Record<string, unknown>;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const isoOrNull = (v: unknown) => (v === null || v === undefined ? null : fromSqlDateTime(v));
const later = (a: string | null, b: string | null): string | null => (a === null ? b : b === null ? a : a > b ? a : b);

/**
 * The deleter of a prune (ADR 0043): on SQLite a worker thread with its own connection to the file
 * (ADR 0043, amended 2026-12-07), so a batch holds the write lock but not the event loop; on
 * MariaDB/MySQL transactions on the pool.
 */
const openPruneDeleter = (dataSource: DataSource): PruneDeleter =>
  dataSource.options.type === 'better-sqlite3' ? SqlitePruneDeleter.open(dataSource) : new MysqlPruneDeleter(dataSource);

/**
 * The prune of a tenant's chain (ADR 0043): lease, plan, verified prefix, signed anchor, chain event,
 * then deletion in batches that re-check the holds and rules under their lock, ending at a new
 * anchor when one finds an event that must now be kept.
 */
export class RetentionPruner {
  constructor(
    private readonly deps: PrunerDeps,
    private readonly service: PruneConditions,
  ) {}

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
      const plan = await this.service.plan(tenantId, now);
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
      const resumed = await this.deleteRecorded(tenantId, owner, now, options);
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
      const plan = await this.service.plan(tenantId, now);
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
      await this.deps.keepProofNodes?.(tenantId, through);
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
      const run = await this.deleteRecorded(tenantId, owner, now, options);
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

  /** Appends the PII-free datapunk.retention.pruned event of a prune through `through`; its sequence. */
  private async recordPrune(by: RetentionActor, now: Date, through: number, metadata: Record<string, unknown>): Promise<number> {
    const { rules } = await this.service.conditions(by.tenantId);
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
    const { rules, holds } = await this.service.conditions(tenantId);
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
  private async deleteRecorded(tenantId: string, owner: string, now: Date, options: PruneOptions): Promise<Deletion> {
    const between = options.betweenBatches;
    const out: Deletion = { deleted: 0, newestOccurred: null, lastRecorded: null, stop: null };
    let guard = await this.guard(tenantId, now);
    let stale = 0;
    const dialect = this.deps.dataSource.options.type === 'better-sqlite3' ? 'sqlite' : 'mysql';
    const fixed = options.batchEvents;
    if (fixed !== undefined && (!Number.isInteger(fixed) || fixed < 1)) throw new RangeError('batchEvents must be a positive whole number');
    let size = fixed ?? PRUNE_BATCH_EVENTS[dialect];
    const deleter = openPruneDeleter(this.deps.dataSource);
    try {
      for (;;) {
        const leaseUntil = toSqlDateTime(new Date(Date.now() + LEASE_MS).toISOString());
        const batch = await deleter.batch(tenantId, owner, leaseUntil, guard.batch, size);
        // A full batch that held its locks briefly is followed by a larger one, a slow one by a smaller one (ADR 0043, amended 2026-12-06).
        if (fixed === undefined && batch.deleted === size) {
          size = nextBatchSize(size, batch.ms, PRUNE_BATCH_EVENTS[dialect], PRUNE_BATCH_MAX_EVENTS[dialect]);
        }
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
          const reason = await this.service.keptReasonAt(tenantId, batch.stoppedAt, guard.rules, guard.holds, now);
          out.stop = { at: batch.stoppedAt, deletedThrough: batch.deletedThrough, reason };
          return out;
        }
        if (batch.done) return out;
        if (between) await between({ tenantId, deletedThrough: batch.deletedThrough });
        await yieldToLoop();
      }
    } finally {
      await deleter.close();
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
}
