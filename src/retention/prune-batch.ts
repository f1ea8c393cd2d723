import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { rollupGroups, rollupKeyOf, ROLLUP_KEY_COLUMNS } from '../chain/chain-append';
import { toNumber } from '../database/sql-format';
import type { Sql } from '../database/sql';

/**
 * Events deleted per transaction (ADR 0043), so a batch holds its locks (and, on SQLite, the event
 * loop and the write lock) for tens of ms: SQLite batches are synchronous and block the process, so
 * they are smaller (bench/retention.ts: ~125 µs an event on a busy 2-core machine).
 */
export const PRUNE_BATCH_EVENTS = { sqlite: 200, mysql: 250 } as const;

const EVENTS_SQL =
  'SELECT id, sequence, occurred_at, action, outcome_status, severity, classification, resource_type, actor_type FROM audit_event WHERE tenant_id = ? AND sequence >= ? AND sequence <= ? ORDER BY sequence';
const STATE_SQL = 'SELECT pruned_through, deleted_through, lease_owner FROM chain_prune WHERE tenant_id = ?';

const dayOf = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value)).slice(0, 10);

/** What one batch did: the last sequence now deleted, the events deleted; `lost`: another node holds the lease. */
export interface BatchResult {
  deletedThrough: number;
  deleted: number;
  done: boolean;
  lost: boolean;
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
  out.push({ text: 'DELETE FROM audit_event_rollup WHERE tenant_id = ? AND event_count <= 0', params: [tenantId] });
  out.push({ text: 'UPDATE chain_prune SET deleted_through = ?, lease_until = ? WHERE tenant_id = ?', params: [hi, leaseUntil, tenantId] });
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

/**
 * Deletes the next batch of a recorded prune (ADR 0043) in one transaction: the chain_prune row is
 * read under the lock, so two nodes never delete (nor subtract from the rollup) the same events.
 * SQLite: one synchronous BEGIN IMMEDIATE transaction on the raw connection (nothing else of this
 * process can interleave). MariaDB: the chain_prune row locked FOR UPDATE.
 */
export async function deleteBatch(dataSource: DataSource, tenantId: string, owner: string, leaseUntil: string): Promise<BatchResult> {
  if (dataSource.options.type === 'better-sqlite3') {
    const db = (dataSource.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection;
    const run = db.transaction((): BatchResult => {
      const state = db.prepare(STATE_SQL).get(tenantId) as Row | undefined;
      const range = nextRange(state, owner, PRUNE_BATCH_EVENTS.sqlite);
      if (range === 'lost' || range === 'done') {
        return { deletedThrough: toNumber(state?.deleted_through ?? 0), deleted: 0, done: true, lost: range === 'lost' };
      }
      const events = db.prepare(EVENTS_SQL).all(tenantId, range.lo, range.hi) as Row[];
      const labels = labelsOf(events, (text, params) => db.prepare(text).all(...params) as Row[]);
      for (const s of deletions(tenantId, range.hi, events, labels, leaseUntil)) db.prepare(s.text).run(...s.params);
      return { deletedThrough: range.hi, deleted: events.length, done: false, lost: false };
    });
    return run.immediate();
  }
  const runner = dataSource.createQueryRunner('master');
  try {
    await runner.connect();
    await runner.startTransaction('READ COMMITTED');
    const [state] = (await runner.query(`${STATE_SQL} FOR UPDATE`, [tenantId])) as Row[];
    const range = nextRange(state, owner, PRUNE_BATCH_EVENTS.mysql);
    if (range === 'lost' || range === 'done') {
      await runner.commitTransaction();
      return { deletedThrough: toNumber(state?.deleted_through ?? 0), deleted: 0, done: true, lost: range === 'lost' };
    }
    const events = (await runner.query(EVENTS_SQL, [tenantId, range.lo, range.hi])) as Row[];
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
    for (const s of deletions(tenantId, range.hi, events, labelRows, leaseUntil)) await runner.query(s.text, s.params);
    await runner.commitTransaction();
    return { deletedThrough: range.hi, deleted: events.length, done: false, lost: false };
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
