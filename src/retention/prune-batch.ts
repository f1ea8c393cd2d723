import type { DataSource } from 'typeorm';
import { ROLLUP_KEY_COLUMNS } from '../chain/chain-append';
import { sha256Hex } from '../chain/hashing';
import { fromSqlDateTime, toNumber } from '../database/sql-format';
import type { Sql } from '../database/sql';
import { retryPolicyOf, retryTransient } from '../database/transient-retry';

/**
 * Events deleted by a prune's first transaction (ADR 0043). Each later batch is sized from the one
 * before (ADR 0043, amended 2026-12-06): the events it would take at that batch's pace to fill
 * {@link PRUNE_BATCH_TARGET_MS}, at most twice as many as the batch before, at least these, at most
 * {@link PRUNE_BATCH_MAX_EVENTS}.
 */
export const PRUNE_BATCH_EVENTS = { sqlite: 200, mysql: 250 } as const;
/**
 * The most events one deletion batch takes. MariaDB: larger batches saved no measurable time and
 * held appends up for longer (rollup rows of the same day). SQLite: a batch runs on its own
 * connection in a worker thread (ADR 0043, amended 2026-12-07), so only the write lock it holds —
 * paced to {@link PRUNE_BATCH_TARGET_MS} — limits it.
 */
export const PRUNE_BATCH_MAX_EVENTS = { sqlite: 4000, mysql: 1000 } as const;
/**
 * How long a deletion batch should hold its locks (the SQLite write lock, the MariaDB rows): well
 * under the issue's 100 ms an append may be held up at most.
 */
export const PRUNE_BATCH_TARGET_MS = 40;

/** The size of the batch after a full one of `size` events that took `ms`, between `min` and `max`. */
export function nextBatchSize(size: number, ms: number, min: number, max: number): number {
  const paced = ms > 0 ? Math.floor((size * PRUNE_BATCH_TARGET_MS) / ms) : 2 * size;
  return Math.max(min, Math.min(max, 2 * size, paced));
}

/**
 * What a batch re-checks before it deletes (ADR 0043, amended 2026-12-04): the condition "event `e`
 * must be kept" over the tenant's rules and active holds, and which holds and rules it was built
 * from. The batch reads the ids again under its lock; when a hold it does not know is active, or the
 * rules are not these, it deletes nothing and answers `stale`, so the caller builds the guard again.
 */
export interface BatchGuard {
  kept: Sql;
  holdIds: ReadonlySet<string>;
  /** The rule ids, sorted. */
  ruleIds: readonly string[];
}

/**
 * What one batch did: the last sequence now deleted, the events deleted; `lost`: another node holds
 * the lease; `stale`: the guard is out of date (nothing deleted); `stoppedAt`: the first event of
 * the batch that must now be kept (the batch deleted only the events before it).
 */
export interface BatchResult {
  deletedThrough: number;
  deleted: number;
  done: boolean;
  lost: boolean;
  stale: boolean;
  stoppedAt: number | null;
  /** Newest occurredAt and the last recordedAt among the events this batch deleted. */
  newestOccurred: string | null;
  lastRecorded: string | null;
  /** How long the batch's transaction held its locks, in ms (what the next batch is sized by). */
  ms: number;
}

/** Deletes a tenant's recorded prune batch by batch; `close` when the prune is done with it. */
export interface PruneDeleter {
  batch(tenantId: string, owner: string, leaseUntil: string, guard: BatchGuard, size: number): Promise<BatchResult>;
  close(): Promise<void>;
}

type Row = Record<string, unknown>;
type Dialect = 'sqlite' | 'mysql';

/**
 * Every statement of a batch (ADR 0043, amended 2026-12-07), by primary-key ranges of
 * (tenant_id, sequence) and with no per-event work in JavaScript: the first event that must be kept
 * is one MIN over the range, the rollup counts one aggregate (an event's categories as the rollup
 * stores them: sorted, comma-joined; UPPER_SNAKE_CASE, so byte order is JavaScript's), the labels
 * one DELETE joined to the range. Placeholders: `stop` (tenant, lo, hi, then the kept condition's);
 * `last`, `groups`, `deleteLabels`, `deleteEvents` (tenant, lo, hi) — except `last` (tenant, hi).
 */
export interface BatchStatements {
  state: string;
  holdIds: string;
  ruleIds: string;
  stop: string;
  last: string;
  groups: string;
  deleteLabels: string;
  /** MariaDB: the range's event ids (tenant, lo, hi), for `labelsByIds`. */
  eventIds: string;
  deleteEvents: string;
  /** (count, hi, hi + 1, then the rollup key columns). */
  rollupUpdate: string;
  /** (tenant, first day, last day). */
  rollupDeleteEmpty: string;
  /** (hi, its chain hash, lease until, tenant). */
  advance: string;
}

const RANGE = 'e.tenant_id = ? AND e.sequence >= ? AND e.sequence <= ?';

export function batchStatements(dialect: Dialect, kept: Sql): BatchStatements {
  const day = dialect === 'sqlite' ? 'substr(e.occurred_at, 1, 10)' : "DATE_FORMAT(e.occurred_at, '%Y-%m-%d')";
  const joined =
    dialect === 'sqlite' ? "group_concat(l.value, ',' ORDER BY l.value)" : "GROUP_CONCAT(l.value ORDER BY l.value SEPARATOR ',')";
  const categories = `COALESCE((SELECT ${joined} FROM audit_event_label l WHERE l.event_id = e.id AND l.kind = 'category'), '')`;
  return {
    state: `SELECT pruned_through, deleted_through, lease_owner FROM chain_prune WHERE tenant_id = ?${dialect === 'mysql' ? ' FOR UPDATE' : ''}`,
    holdIds: 'SELECT id FROM legal_hold WHERE tenant_id = ? AND released_at IS NULL',
    ruleIds: 'SELECT id FROM retention_rule WHERE tenant_id = ?',
    stop: `SELECT MIN(e.sequence) AS s FROM audit_event e WHERE ${RANGE} AND (${kept.text})`,
    last: 'SELECT chain_hash, recorded_at FROM audit_event WHERE tenant_id = ? AND sequence = ?',
    groups:
      `SELECT ${day} AS day, e.action, e.outcome_status, e.severity, e.classification, e.resource_type, e.actor_type, ${categories} AS categories, ` +
      `COUNT(*) AS n, MAX(e.occurred_at) AS newest FROM audit_event e WHERE ${RANGE} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`,
    // SQLite looks the subquery's ids up in the labels' primary key. MariaDB 10.11 would run it as a
    // dependent subquery over every label row (and its multi-table DELETE was slower still, against
    // appends' label inserts): there the batch reads the ids and deletes by list (`labelsByIds`).
    deleteLabels: `DELETE FROM audit_event_label WHERE event_id IN (SELECT e.id FROM audit_event e WHERE ${RANGE})`,
    eventIds: `SELECT e.id FROM audit_event e WHERE ${RANGE}`,
    deleteEvents: 'DELETE FROM audit_event WHERE tenant_id = ? AND sequence >= ? AND sequence <= ?',
    rollupUpdate: `UPDATE audit_event_rollup SET event_count = event_count - ?, min_sequence = CASE WHEN min_sequence <= ? THEN ? ELSE min_sequence END WHERE ${ROLLUP_KEY_COLUMNS.map((c) => `${c} = ?`).join(' AND ')}`,
    rollupDeleteEmpty: 'DELETE FROM audit_event_rollup WHERE tenant_id = ? AND day >= ? AND day <= ? AND event_count <= 0',
    advance: 'UPDATE chain_prune SET deleted_through = ?, deleted_chain_hash = ?, lease_until = ? WHERE tenant_id = ?',
  };
}

/** The rollup key (ROLLUP_KEY_COLUMNS) of an aggregate row of `groups`. */
export const groupKey = (tenantId: string, g: Row, categoriesKey: string): unknown[] => [
  tenantId,
  String(g.day),
  String(g.action),
  String(g.outcome_status),
  toNumber(g.severity),
  toNumber(g.classification),
  String(g.resource_type),
  String(g.actor_type),
  categoriesKey,
];

/** DELETE statements for the labels of these events, at most 1,000 ids each. */
export function labelsByIds(ids: readonly string[]): Sql[] {
  const out: Sql[] = [];
  for (let i = 0; i < ids.length; i += 1000) {
    const part = ids.slice(i, i + 1000);
    out.push({ text: `DELETE FROM audit_event_label WHERE event_id IN (${part.map(() => '?').join(',')})`, params: part });
  }
  return out;
}

/** The range the next batch deletes, from chain_prune as read under the batch's lock. */
function nextRange(state: Row | undefined, owner: string, size: number): { lo: number; hi: number } | 'done' | 'lost' {
  if (!state || String(state.lease_owner) !== owner) return 'lost';
  const deleted = toNumber(state.deleted_through);
  const through = toNumber(state.pruned_through);
  if (deleted >= through) return 'done';
  return { lo: deleted + 1, hi: Math.min(through, deleted + size) };
}

const idsOf = (rows: Row[]) => rows.map((r) => String(r.id)).sort();

/** Whether the holds and rules read under the lock are the ones the guard was built from. */
const guardHolds = (guard: BatchGuard, holdIds: string[], ruleIds: string[]) =>
  holdIds.every((id) => guard.holdIds.has(id)) &&
  ruleIds.length === guard.ruleIds.length &&
  ruleIds.every((id, i) => id === guard.ruleIds[i]);

const idle = (state: Row | undefined, lost: boolean, stale: boolean, ms: number): BatchResult => ({
  deletedThrough: toNumber(state?.deleted_through ?? 0),
  deleted: 0,
  done: !lost && !stale,
  lost,
  stale,
  stoppedAt: null,
  newestOccurred: null,
  lastRecorded: null,
  ms,
});

/**
 * MariaDB/MySQL: each batch one READ COMMITTED transaction on a pooled connection, the chain_prune
 * row locked FOR UPDATE first, so two nodes never delete (nor subtract from the rollup) the same
 * events. Under the same lock it re-checks the active holds and the rules (`guard`): placing a hold
 * or changing a rule takes that lock too (RetentionRepository.underPruneLock), so a hold placed
 * while a prune runs is seen by the next batch or waits for it, and no event it matches is deleted.
 */
export class MysqlPruneDeleter implements PruneDeleter {
  constructor(private readonly dataSource: DataSource) {}

  /** Redone whole after a deadlock or a Galera certification failure (appends of the tenant through another node; ADR 0054). */
  batch(tenantId: string, owner: string, leaseUntil: string, guard: BatchGuard, size: number): Promise<BatchResult> {
    return retryTransient(retryPolicyOf(this.dataSource), () => this.batchOnce(tenantId, owner, leaseUntil, guard, size));
  }

  private async batchOnce(tenantId: string, owner: string, leaseUntil: string, guard: BatchGuard, size: number): Promise<BatchResult> {
    const sql = batchStatements('mysql', guard.kept);
    const runner = this.dataSource.createQueryRunner('master');
    try {
      await runner.connect();
      const started = performance.now();
      const elapsed = () => performance.now() - started;
      await runner.startTransaction('READ COMMITTED');
      const q = (text: string, params: unknown[]) => runner.query(text, params) as Promise<Row[]>;
      const [state] = await q(sql.state, [tenantId]);
      const range = nextRange(state, owner, size);
      if (range === 'lost' || range === 'done') {
        await runner.commitTransaction();
        return idle(state, range === 'lost', false, elapsed());
      }
      // Read after the lock: a hold placed under it is committed by now (READ COMMITTED sees it).
      const holdIds = idsOf(await q(sql.holdIds, [tenantId]));
      const ruleIds = idsOf(await q(sql.ruleIds, [tenantId]));
      if (!guardHolds(guard, holdIds, ruleIds)) {
        await runner.commitTransaction();
        return idle(state, false, true, elapsed());
      }
      const [stop] = await q(sql.stop, [tenantId, range.lo, range.hi, ...guard.kept.params]);
      const stoppedAt = stop?.s === null || stop?.s === undefined ? null : toNumber(stop.s);
      const hi = stoppedAt === null ? range.hi : stoppedAt - 1;
      const none = { deletedThrough: range.lo - 1, deleted: 0, done: false, lost: false, stale: false, stoppedAt };
      if (hi < range.lo) {
        await runner.commitTransaction();
        return { ...none, newestOccurred: null, lastRecorded: null, ms: elapsed() };
      }
      const span = [tenantId, range.lo, hi];
      const [last] = await q(sql.last, [tenantId, hi]);
      const groups = await q(sql.groups, span);
      const ids = (await q(sql.eventIds, span)).map((r) => String(r.id));
      for (const d of labelsByIds(ids)) await q(d.text, d.params);
      await q(sql.deleteEvents, span);
      for (const g of groups) {
        const categories = String(g.categories);
        await q(sql.rollupUpdate, [toNumber(g.n), hi, hi + 1, ...groupKey(tenantId, g, categories ? sha256Hex(categories) : '')]);
      }
      const days = groups.map((g) => String(g.day)).sort();
      if (days.length) await q(sql.rollupDeleteEmpty, [tenantId, days[0], days[days.length - 1]]);
      // The chain hash of the last deleted event: what a prune stopped here by a new hold anchors at.
      await q(sql.advance, [hi, last ? String(last.chain_hash) : null, leaseUntil, tenantId]);
      await runner.commitTransaction();
      return {
        ...none,
        deletedThrough: hi,
        deleted: groups.reduce((n, g) => n + toNumber(g.n), 0),
        newestOccurred: groups.reduce<string | null>((m, g) => {
          const d = fromSqlDateTime(g.newest);
          return m === null || d > m ? d : m;
        }, null),
        lastRecorded: last ? fromSqlDateTime(last.recorded_at) : null,
        ms: elapsed(),
      };
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  async close(): Promise<void> {}
}
