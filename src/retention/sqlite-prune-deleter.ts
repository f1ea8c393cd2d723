import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { fromSqlDateTime } from '../database/sql-format';
import { sqliteWriteGate } from '../database/sqlite-write-gate';
import { type BatchGuard, type BatchResult, batchStatements, type PruneDeleter } from './prune-batch';

/**
 * One SQLite deletion batch (ADR 0043, amended 2026-12-07) as plain JavaScript, the body of
 * `(db, createHash) => (job) => result`: run by the worker thread on its own connection, and in
 * the server's thread only for a `:memory:` database (no second connection can open it). The
 * statements come from `batchStatements`; this only sequences them, inside the caller's
 * BEGIN IMMEDIATE transaction: chain_prune read under the write lock, lease and guard checked, the
 * first event to keep found, the range's labels, events and rollup counts deleted, chain_prune
 * advanced. Dates come back as stored. Plain JavaScript so that it runs the same under jest and
 * from dist/ (as the SQLite reader's script does, src/database/sqlite-reader.ts).
 */
const BATCH_PROGRAM = `
const statements = new Map();
const st = (text) => {
  let s = statements.get(text);
  if (!s) { s = db.prepare(text); if (statements.size < 100) statements.set(text, s); }
  return s;
};
const ids = (rows) => rows.map((r) => String(r.id)).sort();
return (j) => {
  const q = j.sql;
  const idle = (state, lost, stale) => ({ deletedThrough: Number(state ? state.deleted_through : 0), deleted: 0, done: !lost && !stale, lost, stale, stoppedAt: null, newest: null, lastRecorded: null });
  const state = st(q.state).get(j.tenantId);
  if (!state || String(state.lease_owner) !== j.owner) return idle(state, true, false);
  const deleted = Number(state.deleted_through);
  const through = Number(state.pruned_through);
  if (deleted >= through) return idle(state, false, false);
  const lo = deleted + 1;
  const top = Math.min(through, deleted + j.size);
  const holds = ids(st(q.holdIds).all(j.tenantId));
  const rules = ids(st(q.ruleIds).all(j.tenantId));
  if (!holds.every((id) => j.holdIds.includes(id)) || rules.length !== j.ruleIds.length || !rules.every((id, i) => id === j.ruleIds[i])) return idle(state, false, true);
  const stop = st(q.stop).get(j.tenantId, lo, top, ...j.keptParams);
  const stoppedAt = stop && stop.s !== null ? Number(stop.s) : null;
  const hi = stoppedAt === null ? top : stoppedAt - 1;
  const none = { deletedThrough: lo - 1, deleted: 0, done: false, lost: false, stale: false, stoppedAt, newest: null, lastRecorded: null };
  if (hi < lo) return none;
  const last = st(q.last).get(j.tenantId, hi);
  const groups = st(q.groups).all(j.tenantId, lo, hi);
  st(q.deleteLabels).run(j.tenantId, lo, hi);
  st(q.deleteEvents).run(j.tenantId, lo, hi);
  let count = 0;
  let newest = null;
  for (const g of groups) {
    const categories = String(g.categories);
    const key = categories ? createHash('sha256').update(categories).digest('hex') : '';
    st(q.rollupUpdate).run(g.n, hi, hi + 1, j.tenantId, String(g.day), String(g.action), String(g.outcome_status), Number(g.severity), Number(g.classification), String(g.resource_type), String(g.actor_type), key);
    count += Number(g.n);
    if (newest === null || String(g.newest) > newest) newest = String(g.newest);
  }
  const days = groups.map((g) => String(g.day)).sort();
  if (days.length) st(q.rollupDeleteEmpty).run(j.tenantId, days[0], days[days.length - 1]);
  st(q.advance).run(hi, last ? String(last.chain_hash) : null, j.leaseUntil, j.tenantId);
  return { ...none, deletedThrough: hi, deleted: count, newest, lastRecorded: last ? last.recorded_at : null };
};
`;

/**
 * The worker: its own connection to the server's file, with foreign keys and secure delete, and
 * the server's lock timeout (waited out by its own tries, below). Each batch is one BEGIN IMMEDIATE transaction committed without waiting
 * for the disk (ADR 0043, amended 2026-12-06: a batch lost to a power failure is deleted again by
 * the next prune; the anchor and the prune event were committed durably before), answered, then a passive
 * WAL checkpoint here, so that an append's commit in the server's thread does not have to copy the
 * batch's pages into the database file.
 */
const WORKER_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
db.pragma('foreign_keys = ON');
db.pragma('secure_delete = ON');
db.pragma('synchronous = NORMAL');
// The batches' pages stay cached from one batch to the next (each touches scattered pages of eleven
// indexes), and this connection never checkpoints inside a commit: it checkpoints after answering.
db.pragma('cache_size = -' + workerData.cacheKib);
db.pragma('wal_autocheckpoint = 0');
const batch = db.transaction(new Function('db', 'createHash', workerData.program)(db, createHash));
const pause = new Int32Array(new SharedArrayBuffer(4));
// SQLite's own busy handler sleeps 1, 2, 5 … 100 ms between tries: between back-to-back appends,
// which hold the lock a millisecond or two each, it would hardly ever get its turn. So: no busy
// timeout, and a try every half millisecond until the server's lock timeout has passed.
const immediate = (job) => {
  const deadline = performance.now() + workerData.busyMs;
  for (;;) {
    const started = performance.now();
    try {
      const result = batch.immediate(job);
      result.ms = performance.now() - started;
      return result;
    } catch (e) {
      if (!e || e.code !== 'SQLITE_BUSY' || performance.now() > deadline) throw e;
      Atomics.wait(pause, 0, 0, 0.5);
    }
  }
};
let batches = 0;
parentPort.on('message', (m) => {
  if (m.close) {
    try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
    db.close(); parentPort.close(); return;
  }
  try {
    const result = immediate(m.job);
    // Answered before the checkpoint: the server's appends, held by the write gate until this
    // answer, need not wait for it (a passive checkpoint takes no write lock).
    parentPort.postMessage({ id: m.id, result });
    // Every few batches, not after each: a page several batches dirtied is copied into the file once.
    if (++batches % workerData.checkpointEvery === 0) {
      try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
    }
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String((e && e.message) || e), code: e && typeof e.code === 'string' ? e.code : undefined });
  }
});
`;

interface Job {
  tenantId: string;
  owner: string;
  leaseUntil: string;
  size: number;
  holdIds: string[];
  ruleIds: string[];
  keptParams: unknown[];
  sql: ReturnType<typeof batchStatements>;
}

/** The worker connection's page cache, in KiB: a batch's index pages stay cached for the next batch. */
export const PRUNE_CACHE_KIB = 65_536;

/** The worker checkpoints the WAL (passively, outside the write lock) after every this many batches, and when it closes. */
export const PRUNE_CHECKPOINT_EVERY = 8;

type RawResult = Omit<BatchResult, 'newestOccurred' | 'lastRecorded' | 'ms'> & { newest: unknown; lastRecorded: unknown; ms?: number };

const jobOf = (tenantId: string, owner: string, leaseUntil: string, guard: BatchGuard, size: number): Job => ({
  tenantId,
  owner,
  leaseUntil,
  size,
  holdIds: [...guard.holdIds],
  ruleIds: [...guard.ruleIds],
  keptParams: guard.kept.params,
  sql: batchStatements('sqlite', guard.kept),
});

const resultOf = (r: RawResult, ms: number): BatchResult => ({
  deletedThrough: r.deletedThrough,
  deleted: r.deleted,
  done: r.done,
  lost: r.lost,
  stale: r.stale,
  stoppedAt: r.stoppedAt,
  newestOccurred: r.newest === null || r.newest === undefined ? null : fromSqlDateTime(r.newest),
  lastRecorded: r.lastRecorded === null || r.lastRecorded === undefined ? null : fromSqlDateTime(r.lastRecorded),
  ms: r.ms ?? ms,
});

/**
 * SQLite deletion batches (ADR 0043, amended 2026-12-07). On a file: in a worker thread with its
 * own connection, so the event loop is free while a batch runs; SQLite's write lock still orders
 * the batch against appends and against hold and rule writers (whose statements wait for it, or it
 * for them), exactly as the single connection's BEGIN IMMEDIATE did. The server's connection sees
 * the batch through `data_version` (caches keyed by `databaseWriteState` miss). `:memory:`: in the
 * server's thread, synchronously, on its connection.
 */
export class SqlitePruneDeleter implements PruneDeleter {
  private next = 0;
  private readonly pending = new Map<number, { resolve(r: RawResult): void; reject(e: Error): void }>();
  private failure: Error | null = null;

  private constructor(
    private readonly worker: Worker | null,
    private readonly db: SqliteDatabase,
  ) {
    worker?.on('message', (m: { id: number; result?: RawResult; error?: string; code?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.result) p.resolve(m.result);
      else p.reject(Object.assign(new Error(m.error), m.code ? { code: m.code } : {}));
    });
    const fail = (error: Error) => {
      this.failure = error;
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    worker?.on('error', fail);
    worker?.on('exit', (code) => fail(new Error(`The prune's SQLite worker exited (code ${code}).`)));
  }

  static open(dataSource: DataSource): SqlitePruneDeleter {
    const db = (dataSource.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection;
    const file = String(dataSource.options.database);
    if (file === ':memory:' || db.memory) return new SqlitePruneDeleter(null, db);
    const worker = new Worker(WORKER_SCRIPT, {
      eval: true,
      workerData: {
        driver: require.resolve('better-sqlite3'),
        file: db.name,
        busyMs: Number(db.pragma('busy_timeout', { simple: true })),
        program: BATCH_PROGRAM,
        cacheKib: PRUNE_CACHE_KIB,
        checkpointEvery: PRUNE_CHECKPOINT_EVERY,
      },
    });
    return new SqlitePruneDeleter(worker, db);
  }

  async batch(tenantId: string, owner: string, leaseUntil: string, guard: BatchGuard, size: number): Promise<BatchResult> {
    const job = jobOf(tenantId, owner, leaseUntil, guard, size);
    if (!this.worker) return this.inThread(job);
    if (this.failure) throw this.failure;
    // Through the connection's write gate: this process's appends wait for the batch without
    // sleeping in SQLite's busy handler, and go before the next batch (ADR 0043, amended 2026-12-07: the write gate).
    return sqliteWriteGate(this.db).batch(async () => {
      const started = performance.now();
      const id = this.next++;
      const raw = await new Promise<RawResult>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        this.worker!.postMessage({ id, job });
      });
      return resultOf(raw, performance.now() - started);
    });
  }

  /** `:memory:`: the same program on the server's connection, in one synchronous transaction. */
  private inThread(job: Job): BatchResult {
    const db = this.db;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the same program the worker runs (see BATCH_PROGRAM)
    const program = new Function('db', 'createHash', BATCH_PROGRAM) as (d: SqliteDatabase, h: typeof createHash) => (j: Job) => RawResult;
    const run = db.transaction(program(db, createHash));
    const started = performance.now();
    const durable = Number(db.pragma('synchronous', { simple: true }));
    db.pragma('synchronous = NORMAL');
    try {
      return resultOf(run.immediate(job), performance.now() - started);
    } finally {
      db.pragma(`synchronous = ${durable}`);
    }
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker || this.failure) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ close: true });
    await exited;
  }
}
