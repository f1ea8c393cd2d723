import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { rollupGroups, rollupKeyOf, ROLLUP_KEY_COLUMNS } from '../chain/chain-append';
import { fromSqlDateTime, toNumber } from '../database/sql-format';
import type { Sql } from '../database/sql';

/**
 * Events deleted by a prune's first transaction (ADR 0043). Each later batch is sized from the one
 * before (ADR 0043, amended 2026-12-06): the events it would take at that batch's pace to fill
 * {@link PRUNE_BATCH_TARGET_MS}, at most twice as many as the batch before, at least these, at most
 * {@link PRUNE_BATCH_MAX_EVENTS}. SQLite batches are synchronous and hold the event loop.
 */
export const PRUNE_BATCH_EVENTS = { sqlite: 200, mysql: 250 } as const;
/**
 * The most events one deletion batch takes: larger batches saved no measurable time, and held
 * MariaDB appends (rollup rows of the same day) and the SQLite event loop up for longer.
 */
export const PRUNE_BATCH_MAX_EVENTS = { sqlite: 1000, mysql: 1000 } as const;
/**
 * How long a deletion batch should hold its locks (and, on SQLite, the event loop and the write
 * lock): well under the 100 ms an append may be held up at most.
 */
export const PRUNE_BATCH_TARGET_MS = 40;

/** The size of the batch after a full one of `size` events that took `ms`, between `min` and `max`. */
export function nextBatchSize(size: number, ms: number, min: number, max: number): number {
  const paced = ms > 0 ? Math.floor((size * PRUNE_BATCH_TARGET_MS) / ms) : 2 * size;
  return Math.max(min, Math.min(max, 2 * size, paced));
}

/** The batch's events, each with whether it must be kept (the guard's condition), in one range read. */
const eventsSql = (kept: Sql) =>
  `SELECT e.id, e.sequence, e.occurred_at, e.recorded_at, e.chain_hash, e.action, e.outcome_status, e.severity, e.classification, e.resource_type, e.actor_type, CASE WHEN ${kept.text} THEN 1 ELSE 0 END AS kept FROM audit_event e WHERE e.tenant_id = ? AND e.sequence >= ? AND e.sequence <= ? ORDER BY e.sequence`;
const STATE_SQL = 'SELECT pruned_through, deleted_through, lease_owner FROM chain_prune WHERE tenant_id = ?';
const HOLD_IDS_SQL = 'SELECT id FROM legal_hold WHERE tenant_id = ? AND released_at IS NULL';
const RULE_IDS_SQL = 'SELECT id FROM retention_rule WHERE tenant_id = ?';

/** The events before the first that must be kept, and that one's sequence (null: none must). */
function split(rows: Row[]): { events: Row[]; stoppedAt: number | null } {
  const first = rows.findIndex((r) => Number(r.kept) === 1);
  if (first < 0) return { events: rows, stoppedAt: null };
  return { events: rows.slice(0, first), stoppedAt: toNumber(rows[first].sequence) };
}

const dayOf = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value)).slice(0, 10);

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
}

type Row = Record<string, unknown>;

/**
 * The statements that delete events lo..hi (as read in the same transaction) and take their counts
 * out of audit_event_rollup: each group's count subtracted, its min_sequence moved past the batch,
 * emptied rows deleted; then chain_prune.deleted_through advanced and the lease renewed.
 */
function deletions(tenantId: string, hi: number, events: Row[], labels: Row[], leaseUntil: string): Sql[] {
  const out: Sql[] = [];
  const categories = new Map<string, string[]>();
  for (const l of labels) categories.set(String(l.event_id), [...(categories.get(String(l.event_id)) ?? []), String(l.value)]);
  const keys = events.map((e) =>
    rollupKeyOf(tenantId, {
      day: dayOf(e.occurred_at),
      action: String(e.action),
      outcomeStatus: String(e.outcome_status),
      severity: toNumber(e.severity),
      classification: toNumber(e.classification),
      resourceType: String(e.resource_type),
      actorType: String(e.actor_type),
      categories: (categories.get(String(e.id)) ?? []).sort(),
    }).slice(0, ROLLUP_KEY_COLUMNS.length),
  );
  const ids = events.map((e) => String(e.id));
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    out.push({ text: `DELETE FROM audit_event_label WHERE event_id IN (${part.map(() => '?').join(',')})`, params: part });
  }
  if (events.length) {
    const lo = toNumber(events[0].sequence);
    out.push({ text: 'DELETE FROM audit_event WHERE tenant_id = ? AND sequence >= ? AND sequence <= ?', params: [tenantId, lo, hi] });
  }
  const where = ROLLUP_KEY_COLUMNS.map((c) => `${c} = ?`).join(' AND ');
  const links = events.map((e, index) => ({ index, sequence: toNumber(e.sequence) }));
  for (const g of rollupGroups(keys, (k) => k.join('\u0000'), links)) {
    out.push({
      text: `UPDATE audit_event_rollup SET event_count = event_count - ?, min_sequence = CASE WHEN min_sequence <= ? THEN ? ELSE min_sequence END WHERE ${where}`,
      params: [g.count, hi, hi + 1, ...g.key],
    });
  }
  // Only the days this batch touched: the tenant's other rollup rows are not read.
  const days = keys.map((k) => String(k[1])).sort();
  if (days.length) {
    out.push({
      text: 'DELETE FROM audit_event_rollup WHERE tenant_id = ? AND day >= ? AND day <= ? AND event_count <= 0',
      params: [tenantId, days[0], days[days.length - 1]],
    });
  }
  // The chain hash of the last deleted event: what a prune stopped here by a new hold anchors at.
  const last = events.find((e) => toNumber(e.sequence) === hi);
  out.push({
    text: 'UPDATE chain_prune SET deleted_through = ?, deleted_chain_hash = ?, lease_until = ? WHERE tenant_id = ?',
    params: [hi, last ? String(last.chain_hash) : null, leaseUntil, tenantId],
  });
  return out;
}

/** The range the next batch deletes, from chain_prune as read under the batch's lock; null when there is nothing or the lease is lost. */
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

const newestOf = (rows: Row[], column: string) =>
  rows.reduce<string | null>((m, r) => {
    const d = fromSqlDateTime(r[column]);
    return m === null || d > m ? d : m;
  }, null);

/** The batch's outcome once the events to delete (`events`, through `hi`) are known. */
const outcome = (deletedThrough: number, events: Row[], stoppedAt: number | null): BatchResult => ({
  deletedThrough,
  deleted: events.length,
  done: false,
  lost: false,
  stale: false,
  stoppedAt,
  newestOccurred: newestOf(events, 'occurred_at'),
  lastRecorded: events.length ? fromSqlDateTime(events[events.length - 1].recorded_at) : null,
});

const idle = (state: Row | undefined, lost: boolean, stale = false): BatchResult => ({
  deletedThrough: toNumber(state?.deleted_through ?? 0),
  deleted: 0,
  done: !stale,
  lost,
  stale,
  stoppedAt: null,
  newestOccurred: null,
  lastRecorded: null,
});

/**
 * Deletes the next batch of a recorded prune (ADR 0043) in one transaction: the chain_prune row is
 * read under the lock, so two nodes never delete (nor subtract from the rollup) the same events.
 * Under the same lock it re-checks the active holds and the rules (`guard`): placing a hold or
 * changing a rule takes that lock too (RetentionRepository.underPruneLock), so a hold placed while a
 * prune runs is seen by the next batch or waits for it, and no event it matches is deleted.
 * SQLite: one synchronous BEGIN IMMEDIATE transaction on the raw connection (nothing else of this
 * process can interleave). MariaDB: the chain_prune row locked FOR UPDATE.
 */
export async function deleteBatch(
  dataSource: DataSource,
  tenantId: string,
  owner: string,
  leaseUntil: string,
  guard: BatchGuard,
  size: number,
): Promise<BatchResult> {
  if (dataSource.options.type === 'better-sqlite3') {
    const db = (dataSource.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection;
    const run = db.transaction((): BatchResult => {
      const state = db.prepare(STATE_SQL).get(tenantId) as Row | undefined;
      const range = nextRange(state, owner, size);
      if (range === 'lost' || range === 'done') return idle(state, range === 'lost');
      const holdIds = idsOf(db.prepare(HOLD_IDS_SQL).all(tenantId) as Row[]);
      const ruleIds = idsOf(db.prepare(RULE_IDS_SQL).all(tenantId) as Row[]);
      if (!guardHolds(guard, holdIds, ruleIds)) return idle(state, false, true);
      const rows = db.prepare(eventsSql(guard.kept)).all(...guard.kept.params, tenantId, range.lo, range.hi) as Row[];
      const { events, stoppedAt } = split(rows);
      const hi = stoppedAt === null ? range.hi : stoppedAt - 1;
      if (hi < range.lo) return outcome(range.lo - 1, [], stoppedAt);
      const labels = labelsOf(events, (text, params) => db.prepare(text).all(...params) as Row[]);
      for (const s of deletions(tenantId, hi, events, labels, leaseUntil)) db.prepare(s.text).run(...s.params);
      return outcome(hi, events, stoppedAt);
    });
    // Committed without waiting for the disk (ADR 0043, amended 2026-12-06): a batch lost to a power
    // failure leaves its events and deleted_through as they were, and the next prune deletes them
    // again; the next durable commit (an append's) flushes the batch with it. The connection's own
    // setting is back before anything else of this process can run.
    const durable = Number(db.pragma('synchronous', { simple: true }));
    db.pragma('synchronous = NORMAL');
    try {
      return run.immediate();
    } finally {
      db.pragma(`synchronous = ${durable}`);
    }
  }
  const runner = dataSource.createQueryRunner('master');
  try {
    await runner.connect();
    await runner.startTransaction('READ COMMITTED');
    const [state] = (await runner.query(`${STATE_SQL} FOR UPDATE`, [tenantId])) as Row[];
    const range = nextRange(state, owner, size);
    if (range === 'lost' || range === 'done') {
      await runner.commitTransaction();
      return idle(state, range === 'lost');
    }
    // Read after the lock: a hold placed under it is committed by now (READ COMMITTED sees it).
    const holdIds = idsOf((await runner.query(HOLD_IDS_SQL, [tenantId])) as Row[]);
    const ruleIds = idsOf((await runner.query(RULE_IDS_SQL, [tenantId])) as Row[]);
    if (!guardHolds(guard, holdIds, ruleIds)) {
      await runner.commitTransaction();
      return idle(state, false, true);
    }
    const rows = (await runner.query(eventsSql(guard.kept), [...guard.kept.params, tenantId, range.lo, range.hi])) as Row[];
    const { events, stoppedAt } = split(rows);
    const hi = stoppedAt === null ? range.hi : stoppedAt - 1;
    if (hi < range.lo) {
      await runner.commitTransaction();
      return outcome(range.lo - 1, [], stoppedAt);
    }
    const labelRows: Row[] = [];
    const ids = events.map((e) => String(e.id));
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      labelRows.push(
        ...((await runner.query(
          `SELECT event_id, value FROM audit_event_label WHERE kind = 'category' AND event_id IN (${part.map(() => '?').join(',')})`,
          part,
        )) as Row[]),
      );
    }
    for (const s of deletions(tenantId, hi, events, labelRows, leaseUntil)) await runner.query(s.text, s.params);
    await runner.commitTransaction();
    return outcome(hi, events, stoppedAt);
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await runner.release();
  }
}

function labelsOf(events: Row[], all: (text: string, params: unknown[]) => Row[]): Row[] {
  const out: Row[] = [];
  const ids = events.map((e) => String(e.id));
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    out.push(
      ...all(
        `SELECT event_id, value FROM audit_event_label WHERE kind = 'category' AND event_id IN (${part.map(() => '?').join(',')})`,
        part,
      ),
    );
  }
  return out;
}
