import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { DataSource, QueryRunner } from 'typeorm';
import { escape } from 'mysql2';
import { v7 as uuidv7 } from 'uuid';
import { AppError } from '../errors/app-error';
import { databaseFaultOf, faultHttp } from '../errors/database-error';
import { ErrorCode } from '../errors/error-code';
import { fromSqlDateTime, placeholders, toNumber, toSqlDateTime } from '../database/sql-format';
import {
  type AppendPlan,
  appendRows,
  type ChainHead,
  chunkRows,
  idempotencyScope,
  type KeyedReceipt,
  LABEL_COLUMNS,
  type LinkedBatch,
  linkEvents,
  ROLLUP_COLUMNS,
  ROLLUP_KEY_COLUMNS,
  rollupGroups,
  rollupKey,
  rollupName,
  staticEventValues,
  type Receipt,
} from './chain-append';
import type { PreparedEvent } from './prepared-event';
import { AUDIT_EVENT_COLUMNS } from '../audit/audit-event.columns';
import { GENESIS_CHAIN_HASH } from './hashing';
import { StaleErasureEpochError } from './chain-head';
import { extendTree, type NodeRow } from './merkle-store';
import { GroupCommit, type GroupStats, type Outcome } from './group-commit';
import { sqliteWriteGate } from '../database/sqlite-write-gate';
import { withoutCausalityCheck } from '../database/mysql-driver';
import { FACET_KIND, type MetadataFacets } from '../audit/metadata-facets';
import { type RetryPolicy, retryPolicyOf, retryTransient, transientFaultOf } from '../database/transient-retry';

/**
 * Appends batches to a tenant's chain atomically, a batch at a time per tenant in sequence order; the
 * batches waiting for the tenant's lock are committed together (ADR 0052), each still all or nothing. `writer` is the id of
 * the API key sending the batch: its idempotency keys are looked up and stored under it only
 * (ADR 0016); null for the server's own events.
 */
export interface ChainStore {
  /**
   * `erasureEpoch`: the tenant's erasure epoch the events' subjects were read at (ADR 0042, amended
   * 2026-12-07), compared under the lock: another one refuses the call with StaleErasureEpochError.
   * Null for events sealed under no subject's key.
   */
  append(tenantId: string, events: PreparedEvent[], writer?: string | null, erasureEpoch?: number | null): Promise<AppendResult>;
}

const INSERT_EVENTS = `INSERT INTO audit_event (${AUDIT_EVENT_COLUMNS.join(',')}) VALUES `;
const INSERT_LABELS = `INSERT INTO audit_event_label (${LABEL_COLUMNS.join(',')}) VALUES `;
const INSERT_ROLLUP = `INSERT INTO audit_event_rollup (${ROLLUP_COLUMNS.join(',')}) VALUES `;
const INSERT_NODES = 'INSERT INTO merkle_node (tenant_id, node_level, node_index, hash) VALUES ';
// A node is written once, when its subtree completes. One already there means the head and the
// tree were rewound in the database: the new history's node replaces it, so appends go on (the
// rollback itself is what checkpoints and witnesses catch, ADR 0048).
const SQLITE_NODES_UPSERT = ' ON CONFLICT (tenant_id, node_level, node_index) DO UPDATE SET hash = excluded.hash';
const MYSQL_NODES_UPSERT = ' ON DUPLICATE KEY UPDATE hash = VALUES(hash)';

/** The new events of an append (replays excluded), in sequence order: the tree's new leaves. */
const newLeaves = (receipts: readonly Receipt[]) => receipts.filter((r) => !r.replayed);
/** Adds a batch's counts to existing rollup rows (the chain lock serialises a tenant's appends). */
export const SQLITE_ROLLUP_UPSERT = ` ON CONFLICT (${ROLLUP_KEY_COLUMNS.join(',')}) DO UPDATE SET event_count = event_count + excluded.event_count, min_sequence = min(min_sequence, excluded.min_sequence), max_sequence = max(max_sequence, excluded.max_sequence)`;
export const MYSQL_ROLLUP_UPSERT = ` ON DUPLICATE KEY UPDATE event_count = event_count + VALUES(event_count), min_sequence = LEAST(min_sequence, VALUES(min_sequence)), max_sequence = GREATEST(max_sequence, VALUES(max_sequence))`;
const KEYED_SELECT =
  'SELECT idempotency_key, payload_hash, id, sequence, hash, chain_hash, recorded_at FROM audit_event WHERE tenant_id = ? AND idempotency_scope = ? AND idempotency_key IN ';

function keyedReceipts(rows: Record<string, unknown>[]): Map<string, KeyedReceipt> {
  const map = new Map<string, KeyedReceipt>();
  for (const r of rows) {
    map.set(String(r.idempotency_key), {
      idempotencyKey: String(r.idempotency_key),
      payloadHash: String(r.payload_hash),
      id: String(r.id),
      sequence: toNumber(r.sequence),
      hash: String(r.hash),
      chainHash: String(r.chain_hash),
      recordedAt: fromSqlDateTime(r.recorded_at),
    });
  }
  return map;
}

const keysOf = (events: PreparedEvent[]): string[] => [
  ...new Set(events.map((e) => e.idempotencyKey).filter((k): k is string => k !== null)),
];

const chainBusy = () =>
  // faultHttp: 503 with Retry-After, as for every other retryable database fault.
  new AppError(ErrorCode.CHAIN_BUSY, 'The tenant chain stayed locked too long; nothing was recorded. Retry the same request.', {
    http: faultHttp(ErrorCode.CHAIN_BUSY),
  });

export interface AppendResult {
  receipts: Receipt[];
  head: ChainHead;
  written: number;
}

export interface ChainStoreOptions {
  /** Told of each group committed (ADR 0052): how many calls and events its transaction held. */
  onGroup?: (stats: GroupStats) => void;
  /** The most events one group takes (a call is never split). */
  groupMaxEvents?: number;
  /** The metadata facets of the loaded rules, written as labels of each new event (ADR 0056). */
  facets?: MetadataFacets;
  /** MySQL/MariaDB: how long a group's transaction is redone after a deadlock or certification failure; default the data source's. */
  retry?: RetryPolicy;
}

/**
 * The most events one group commit takes: on SQLite the group's transaction holds the event loop,
 * so a few batches of the default 1,000, not an unbounded backlog.
 */
export const GROUP_MAX_EVENTS = 5000;

const result = (plan: AppendPlan): AppendResult => ({ receipts: plan.receipts, head: plan.head, written: plan.eventRows.length });

const ok = <R>(value: R): Outcome<R> => ({ ok: true, value });
const failed = <R>(error: unknown): Outcome<R> => ({ ok: false, error });

/** Idempotency receipts of one group's committed calls, by idempotency scope, then key. */
type GroupKeys = Map<string, Map<string, KeyedReceipt>>;

/** Remembers the new keyed receipts of a call, so that a later call of the group with the same key replays them. */
function remember(keys: GroupKeys, events: readonly PreparedEvent[], writer: string | null, receipts: readonly Receipt[]): void {
  receipts.forEach((r, i) => {
    if (r.replayed || r.idempotencyKey === null) return;
    const scope = idempotencyScope(events[i], writer);
    let byKey = keys.get(scope);
    if (!byKey) keys.set(scope, (byKey = new Map()));
    const { replayed: _replayed, ...receipt } = r;
    byKey.set(r.idempotencyKey, { ...receipt, payloadHash: events[i].payloadHash });
  });
}

/** `stored` plus the receipts earlier calls of the group gave the call's keys. */
function withGroupKeys(
  stored: Map<string, KeyedReceipt>,
  keys: GroupKeys,
  events: readonly PreparedEvent[],
  writer: string | null,
): Map<string, KeyedReceipt> {
  const byKey = keys.get(writer ?? '');
  if (!byKey) return stored;
  for (const key of keysOf(events as PreparedEvent[])) {
    const earlier = byKey.get(key);
    if (earlier && !stored.has(key)) stored.set(key, earlier);
  }
  return stored;
}

/** A call of a group: its events and what was made of them before the lock. */
interface SqliteCall {
  events: PreparedEvent[];
  writer: string | null;
  erasureEpoch: number | null;
  ids: string[];
  staticRows: (string | number | null)[][];
}

/**
 * SQLite: better-sqlite3 is synchronous, so a group runs as one synchronous `BEGIN IMMEDIATE`
 * transaction — nothing in this process can interleave, and the immediate write lock keeps other
 * processes out until commit. Each call of the group runs in a savepoint of its own (a nested
 * better-sqlite3 transaction): a call that fails rolls back to it alone (ADR 0052).
 */
export class SqliteChainStore implements ChainStore {
  private readonly db: SqliteDatabase;
  private readonly selectHead: Statement;
  private readonly updateHead: Statement;
  private readonly insertHead: Statement;
  private readonly statements = new Map<string, Statement>();
  private readonly groups: GroupCommit<SqliteCall, AppendResult>;
  private readonly facets: MetadataFacets | undefined;

  constructor(dataSource: DataSource, options: ChainStoreOptions = {}) {
    this.facets = options.facets;
    this.db = (dataSource.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection;
    this.selectHead = this.db.prepare('SELECT sequence, chain_hash, merkle_frontier, erasure_epoch FROM chain_head WHERE tenant_id = ?');
    this.insertHead = this.db.prepare('INSERT OR IGNORE INTO chain_head (tenant_id, sequence, chain_hash, updated_at) VALUES (?, 0, ?, ?)');
    this.updateHead = this.db.prepare(
      'UPDATE chain_head SET sequence = ?, chain_hash = ?, updated_at = ?, merkle_frontier = ? WHERE tenant_id = ?',
    );
    const group = this.db.transaction((tenantId: string, take: () => SqliteCall[]) => this.commitLocked(tenantId, take));
    const call = this.db.transaction((tenantId: string, head: ChainHead, c: SqliteCall, now: Date): AppendPlan =>
      this.appendCall(tenantId, head, c, now),
    );
    this.appendCallTx = (tenantId, head, c, now) => call(tenantId, head, c, now);
    const gate = sqliteWriteGate(this.db);
    this.groups = new GroupCommit(
      async (tenantId, take) => {
        // A prune batch of this process holding the write lock on its own connection: wait for its
        // commit here, not in SQLite's busy handler, which would sleep the event loop (ADR 0043, amended 2026-12-07: the write gate).
        const batch = gate.passage();
        if (batch) await batch;
        try {
          return group.immediate(tenantId, take);
        } catch (error) {
          // Another process held the write lock past busy_timeout.
          if ((error as { code?: string }).code === 'SQLITE_BUSY') throw chainBusy();
          throw error;
        }
      },
      options.groupMaxEvents ?? GROUP_MAX_EVENTS,
      options.onGroup,
    );
  }

  /** appendCall in a savepoint: nested in the group's transaction, better-sqlite3 makes it one. */
  private readonly appendCallTx: (tenantId: string, head: ChainHead, c: SqliteCall, now: Date) => AppendPlan;

  private statement(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (this.statements.size > 64) this.statements.clear();
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private commitLocked(tenantId: string, take: () => SqliteCall[]): Outcome<AppendResult>[] {
    const calls = take();
    if (!calls.length) return [];
    const now = new Date();
    let row = this.selectHead.get(tenantId) as
      { sequence: number; chain_hash: string; merkle_frontier: string | null; erasure_epoch: number } | undefined;
    if (!row) {
      this.insertHead.run(tenantId, GENESIS_CHAIN_HASH, toSqlDateTime(now.toISOString()));
      row = { sequence: 0, chain_hash: GENESIS_CHAIN_HASH, merkle_frontier: null, erasure_epoch: 0 };
    }
    const epoch = toNumber(row.erasure_epoch);
    let head: ChainHead = { sequence: toNumber(row.sequence), chainHash: row.chain_hash };
    const leaves: Receipt[] = [];
    const outcomes = calls.map((c) => {
      if (c.erasureEpoch !== null && c.erasureEpoch !== epoch)
        return failed<AppendResult>(new StaleErasureEpochError(tenantId, c.erasureEpoch, epoch));
      try {
        const plan = this.appendCallTx(tenantId, head, c, now);
        head = plan.head;
        leaves.push(...newLeaves(plan.receipts));
        return ok(result(plan));
      } catch (error) {
        // A fault of the database (full, I/O) fails the group; anything else only this call.
        if (databaseFaultOf(error)) throw error;
        return failed<AppendResult>(error);
      }
    });
    if (leaves.length) {
      const tree = extendTree(toNumber(row.sequence), row.merkle_frontier, leaves);
      for (const chunk of chunkRows(nodeRows(tenantId, tree.nodes), 500))
        this.statement(INSERT_NODES + placeholders(chunk.length, 4) + SQLITE_NODES_UPSERT).run(chunk.flat());
      this.updateHead.run(head.sequence, head.chainHash, toSqlDateTime(now.toISOString()), tree.frontier, tenantId);
    }
    return outcomes;
  }

  private appendCall(tenantId: string, head: ChainHead, c: SqliteCall, now: Date): AppendPlan {
    const { events, writer } = c;
    const eventKeys = keysOf(events);
    let stored = new Map<string, KeyedReceipt>();
    if (eventKeys.length) {
      // The group's earlier calls are in this transaction: the look-up sees their keys too.
      const rows: Record<string, unknown>[] = [];
      for (let i = 0; i < eventKeys.length; i += 500) {
        const part = eventKeys.slice(i, i + 500);
        rows.push(
          ...(this.statement(`${KEYED_SELECT}(${part.map(() => '?').join(',')})`).all(tenantId, writer ?? '', ...part) as Record<
            string,
            unknown
          >[]),
        );
      }
      stored = keyedReceipts(rows);
    }
    const plan = appendRows(tenantId, events, c.staticRows, linkEvents(tenantId, head, events, c.ids, stored, now), this.facets);
    // SQLite allows 32,766 bound variables a statement: 26 columns × 500 rows stays below.
    for (const chunk of chunkRows(plan.eventRows, 500)) {
      this.statement(INSERT_EVENTS + placeholders(chunk.length, AUDIT_EVENT_COLUMNS.length)).run(chunk.flat());
    }
    for (const chunk of chunkRows(plan.labelRows, 2000)) {
      this.statement(INSERT_LABELS + placeholders(chunk.length, LABEL_COLUMNS.length)).run(chunk.flat());
    }
    for (const chunk of chunkRows(plan.rollupRows, 500)) {
      this.statement(INSERT_ROLLUP + placeholders(chunk.length, ROLLUP_COLUMNS.length) + SQLITE_ROLLUP_UPSERT).run(chunk.flat());
    }
    return plan;
  }

  append(
    tenantId: string,
    events: PreparedEvent[],
    writer: string | null = null,
    erasureEpoch: number | null = null,
  ): Promise<AppendResult> {
    const ids = events.map(() => uuidv7());
    const staticRows = events.map((e, i) => staticEventValues(tenantId, ids[i], e, writer));
    return this.groups.submit(tenantId, { events, writer, erasureEpoch, ids, staticRows });
  }
}

const MYSQL_DUPLICATE_KEY = 1062;
/**
 * Rows and bytes of one multi-row INSERT, well under max_allowed_packet (16 MiB by default): bytes
 * bound it first (~6,000 events), so that a group's events take few statements.
 */
const MAX_ROWS = 10_000;
const MAX_STATEMENT_CHARS = 4 * 1024 * 1024;

const errnoOf = (error: unknown): number | undefined =>
  (error as { driverError?: { errno?: number } }).driverError?.errno ?? (error as { errno?: number }).errno;

const NO_LABELS: readonly string[] = [];

/** Column values as SQL literals, comma-separated: mysql2's escaping for strings, numbers and NULL written out. */
function sqlValues(values: readonly (string | number | null)[]): string {
  // Joined, not concatenated: a flat string, where += would leave a deep rope for the statement join to walk.
  const literals = new Array<string>(values.length);
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i];
    literals[i] = v === null ? 'NULL' : typeof v === 'number' ? String(v) : escape(v);
  }
  return literals.join(',');
}

/** Joins row tuples into INSERT statements of bounded size. */
function statements(prefix: string, tuples: string[]): string[] {
  const out: string[] = [];
  let rows: string[] = [];
  let chars = 0;
  for (const tuple of tuples) {
    if (rows.length && (rows.length >= MAX_ROWS || chars + tuple.length > MAX_STATEMENT_CHARS)) {
      out.push(prefix + rows.join(','));
      rows = [];
      chars = 0;
    }
    rows.push(tuple);
    chars += tuple.length + 1;
  }
  if (rows.length) out.push(prefix + rows.join(','));
  return out;
}

/** A call of a group: its events and the SQL made of them before the lock. */
interface MysqlCall {
  events: PreparedEvent[];
  writer: string | null;
  erasureEpoch: number | null;
  ids: string[];
  /** Each event's row up to the four columns the lock decides: `(…,` */
  eventSql: string[];
  /** Each event's label rows up to their sequence. */
  labelSql: (readonly string[])[];
  /** Each event's rollup key row up to its counts. */
  rollupSql: string[];
  /** Whether its idempotency keys are looked up under the lock (after the unique index refused one). */
  lookedUp: boolean;
}

/** The rows of linked calls, as SQL tuples, for the group's multi-row INSERTs. */
interface CallRows {
  rows: string[];
  labels: string[];
  /** Each new event's rollup key row (up to its counts), and the events by index into it. */
  rollupKeys: string[];
  rollupLinks: { index: number; sequence: number }[];
}

function addRows(out: CallRows, call: MysqlCall, linked: LinkedBatch): void {
  const tail = `,'${toSqlDateTime(linked.recordedAt)}','`;
  for (const { index, sequence, hash, chainHash } of linked.links) {
    out.rows.push(`${call.eventSql[index]}${sequence}${tail}${hash}','${chainHash}')`);
    for (const label of call.labelSql[index]) out.labels.push(`${label}${sequence})`);
    out.rollupLinks.push({ index: out.rollupKeys.length, sequence });
    out.rollupKeys.push(call.rollupSql[index]);
  }
}

async function insertRows(runner: QueryRunner, r: CallRows): Promise<void> {
  for (const sql of statements(INSERT_EVENTS, r.rows)) await runner.query(sql);
  for (const sql of statements(INSERT_LABELS, r.labels)) await runner.query(sql);
  // Rows of the same key (the group's calls share most) are counted together: one row each.
  const rollup = rollupGroups(r.rollupKeys, (key) => key, r.rollupLinks).map(
    (g) => `${g.key}${g.count},${g.minSequence},${g.maxSequence})`,
  );
  for (const sql of statements(INSERT_ROLLUP, rollup)) await runner.query(sql + MYSQL_ROLLUP_UPSERT);
}

/** A MySQL error that undid more than the statement (the transaction is gone) or says the database is away. */
const failsTheGroup = (error: unknown): boolean => transientFaultOf(error) !== null || databaseFaultOf(error) !== null;

/** What the tries of one group share: its calls, once taken, and whether they are redone call by call. */
interface GroupTry {
  calls: MysqlCall[] | null;
  perCall: boolean;
}

/** The savepoint each call of a group runs in: reused, one call at a time. */
const SAVEPOINT = 'chain_call';

/**
 * MySQL/MariaDB: `SELECT … FOR UPDATE` on the chain head row serialises appends of one tenant
 * across every server process; a plain REPEATABLE READ read would let two writers fork the chain.
 *
 * The lock is the bottleneck of a busy tenant, so everything that does not depend on the chain is
 * done before taking it: ids and the escaped SQL of every column but the four the lock decides
 * (sequence, recorded_at, hash, chain_hash). The calls that wait for the lock are committed as one
 * group (ADR 0052), each call in a savepoint of its own. Idempotency keys are checked
 * optimistically: the unique index (tenant_id, idempotency_scope, idempotency_key) refuses a key
 * this API key stored, and only then is that call rolled back to its savepoint and redone with a
 * look-up under the lock.
 */
export class MysqlChainStore implements ChainStore {
  private readonly groups: GroupCommit<MysqlCall, AppendResult>;
  private readonly facets: MetadataFacets | undefined;
  private readonly retry: RetryPolicy;

  constructor(
    private readonly dataSource: DataSource,
    options: ChainStoreOptions = {},
  ) {
    this.facets = options.facets?.size ? options.facets : undefined;
    this.retry = options.retry ?? retryPolicyOf(dataSource);
    this.groups = new GroupCommit(
      (tenantId, take) => this.commitGroup(tenantId, take),
      options.groupMaxEvents ?? GROUP_MAX_EVENTS,
      options.onGroup,
    );
  }

  append(
    tenantId: string,
    events: PreparedEvent[],
    writer: string | null = null,
    erasureEpoch: number | null = null,
  ): Promise<AppendResult> {
    const ids = events.map(() => uuidv7());
    const tenant = escape(tenantId);
    const eventSql = events.map((e, i) => `(${sqlValues(staticEventValues(tenantId, ids[i], e, writer))},`);
    const labelSql = events.map((e, i) => {
      const { categories, tags } = e.payload;
      // The metadata facets of the loaded rules (ADR 0056): derived, not hashed.
      const facets = this.facets?.keysOf(e.metadataJson) ?? NO_LABELS;
      if (categories.length === 0 && tags.length === 0 && facets.length === 0) return NO_LABELS;
      const id = escape(ids[i]);
      const labels: string[] = [];
      for (const v of categories) labels.push(`(${id},'category',${escape(v)},${tenant},`);
      for (const v of tags) labels.push(`(${id},'tag',${escape(v)},${tenant},`);
      for (const v of facets) labels.push(`(${id},'${FACET_KIND}',${escape(v)},${tenant},`);
      return labels;
    });
    // Events of a batch share few rollup keys: each distinct key is escaped (and its categories
    // hashed) once.
    const rollupSqlByKey = new Map<string, string>();
    const rollupSql = events.map((e) => {
      const name = rollupName(e);
      let sql = rollupSqlByKey.get(name);
      if (sql === undefined) {
        sql = `(${sqlValues(rollupKey(tenantId, e))},`;
        rollupSqlByKey.set(name, sql);
      }
      return sql;
    });
    // Optimistic idempotency: most batches are not retries, so the INSERT is tried without looking
    // keys up; a key already stored makes it hit the unique index, and the call is redone with the
    // look-up under the lock (replays then get their original receipts, conflicts their error).
    const lookedUp = !events.some((e) => e.idempotencyKey !== null);
    return this.groups.submit(tenantId, { events, writer, erasureEpoch, ids, eventSql, labelSql, rollupSql, lookedUp });
  }

  /**
   * One transaction for the group. First try: every call linked in turn, and all their rows in the
   * same multi-row INSERTs — a handful of statements for the group, whatever its number of calls,
   * each a round trip made while the lock is held. A call refused in linking (an idempotency
   * conflict) is left out before anything is written. If the database refuses the rows (a key
   * already stored, a constraint), the group is redone with each call in a savepoint of its own, so
   * the call at fault is found and answered alone (`appendCall`).
   */
  private async commitGroup(tenantId: string, take: () => MysqlCall[]): Promise<Outcome<AppendResult>[]> {
    // Taken once the lock is held, so that the calls that arrived while waiting for it join; kept
    // for a redo.
    const group: GroupTry = { calls: null, perCall: false };
    try {
      // A deadlock, a Galera certification failure (a write of the tenant through another node won)
      // or a node not ready rolled the whole transaction back: it is redone after a jittered pause,
      // within the retry budget (ADR 0054).
      return await retryTransient(this.retry, () => this.tryGroup(tenantId, take, group));
    } catch (error) {
      if (transientFaultOf(error) === 'conflict') throw chainBusy();
      throw error;
    }
  }

  /** One try of a group's transaction (redone call by call, once, when the database refused some call's rows). */
  private async tryGroup(tenantId: string, take: () => MysqlCall[], group: GroupTry): Promise<Outcome<AppendResult>[]> {
    for (;;) {
      const runner = this.dataSource.createQueryRunner('master');
      try {
        // No Galera causality wait on this transaction's reads: the head is read under its row lock,
        // and certification refuses a commit built on anything staler (ADR 0054).
        await withoutCausalityCheck(() => runner.connect());
        await runner.startTransaction('READ COMMITTED');
        const locked = await this.lockHead(runner, tenantId);
        const calls = (group.calls ??= take());
        if (!calls.length) {
          await runner.rollbackTransaction(); // the group before took every call
          return [];
        }
        const now = new Date();
        let head: ChainHead = { sequence: locked.sequence, chainHash: locked.chainHash };
        const keys: GroupKeys = new Map();
        const leaves: Receipt[] = [];
        const outcomes: Outcome<AppendResult>[] = [];
        const merged: CallRows = { rows: [], labels: [], rollupKeys: [], rollupLinks: [] };
        for (const call of calls) {
          let outcome: Outcome<AppendResult>;
          if (call.erasureEpoch !== null && call.erasureEpoch !== locked.erasureEpoch)
            outcome = failed(new StaleErasureEpochError(tenantId, call.erasureEpoch, locked.erasureEpoch));
          else if (group.perCall) outcome = await this.appendCall(runner, tenantId, head, call, keys, now);
          else {
            const linked = await this.linkCall(runner, tenantId, head, call, keys, now);
            if (linked.ok) {
              addRows(merged, call, linked.value);
              outcome = ok({ receipts: linked.value.receipts, head: linked.value.head, written: linked.value.links.length });
            } else outcome = linked;
          }
          if (outcome.ok) {
            head = outcome.value.head;
            leaves.push(...newLeaves(outcome.value.receipts));
            remember(keys, call.events, call.writer, outcome.value.receipts);
          }
          outcomes.push(outcome);
        }
        if (!group.perCall) await insertRows(runner, merged);
        if (leaves.length) {
          const tree = extendTree(locked.sequence, locked.merkleFrontier, leaves);
          const nodes = nodeRows(tenantId, tree.nodes).map((r) => `(${sqlValues(r)})`);
          for (const sql of statements(INSERT_NODES, nodes)) await runner.query(sql + MYSQL_NODES_UPSERT);
          await runner.query(
            'UPDATE chain_head SET sequence = ?, chain_hash = ?, updated_at = ?, merkle_frontier = ? WHERE tenant_id = ?',
            [head.sequence, head.chainHash, toSqlDateTime(now.toISOString()), tree.frontier, tenantId],
          );
        }
        await runner.commitTransaction();
        return outcomes;
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        if (transientFaultOf(error)) throw error; // retryTransient's to redo
        if (!group.perCall && !failsTheGroup(error)) {
          // The rows of some call were refused: redo call by call. A lone call was refused a key
          // already stored (or broke a constraint): its keys are looked up this time.
          group.perCall = true;
          if (group.calls?.length === 1 && errnoOf(error) === MYSQL_DUPLICATE_KEY) group.calls[0].lookedUp = true;
          continue;
        }
        throw error;
      } finally {
        await runner.release();
      }
    }
  }

  /** Links a call after `head`: its stored keys looked up first if it must be; an idempotency conflict is its answer. */
  private async linkCall(
    runner: QueryRunner,
    tenantId: string,
    head: ChainHead,
    call: MysqlCall,
    keys: GroupKeys,
    now: Date,
  ): Promise<Outcome<LinkedBatch>> {
    const stored = call.lookedUp ? await this.storedKeys(runner, tenantId, call.writer, call.events) : new Map<string, KeyedReceipt>();
    try {
      return ok(linkEvents(tenantId, head, call.events, call.ids, withGroupKeys(stored, keys, call.events, call.writer), now));
    } catch (error) {
      return failed(error); // IDEMPOTENCY_CONFLICT, before anything was written
    }
  }

  /**
   * One call of a group, in its savepoint: links it after `head` and inserts its rows. An error of
   * the call alone (a constraint the rows break) rolls back to the savepoint and is the call's
   * answer; a key already stored is looked up and the call redone; an error that undid the
   * transaction or means the database is away is thrown, failing the group.
   */
  private async appendCall(
    runner: QueryRunner,
    tenantId: string,
    head: ChainHead,
    call: MysqlCall,
    keys: GroupKeys,
    now: Date,
  ): Promise<Outcome<AppendResult>> {
    for (;;) {
      const linked = await this.linkCall(runner, tenantId, head, call, keys, now);
      if (!linked.ok) return linked;
      const rows: CallRows = { rows: [], labels: [], rollupKeys: [], rollupLinks: [] };
      addRows(rows, call, linked.value);
      await runner.query(`SAVEPOINT ${SAVEPOINT}`);
      try {
        await insertRows(runner, rows);
        await runner.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
        return ok({ receipts: linked.value.receipts, head: linked.value.head, written: linked.value.links.length });
      } catch (error) {
        if (failsTheGroup(error)) throw error;
        // The savepoint is gone only if the transaction is: then the group fails with the error.
        await runner.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`).catch(() => {
          throw error;
        });
        if (errnoOf(error) === MYSQL_DUPLICATE_KEY && !call.lookedUp) {
          call.lookedUp = true; // a key of this call is already stored: redo it with the look-up
          continue;
        }
        return failed(error);
      }
    }
  }

  private async storedKeys(
    db: { query: (sql: string, params: unknown[]) => Promise<unknown> },
    tenantId: string,
    writer: string | null,
    events: PreparedEvent[],
  ): Promise<Map<string, KeyedReceipt>> {
    const keys = keysOf(events);
    const rows: Record<string, unknown>[] = [];
    for (let i = 0; i < keys.length; i += 1000) {
      const part = keys.slice(i, i + 1000);
      rows.push(
        ...((await db.query(`${KEYED_SELECT}(${part.map(() => '?').join(',')})`, [tenantId, writer ?? '', ...part])) as Record<
          string,
          unknown
        >[]),
      );
    }
    return keyedReceipts(rows);
  }

  private async lockHead(
    runner: QueryRunner,
    tenantId: string,
  ): Promise<ChainHead & { merkleFrontier: string | null; erasureEpoch: number }> {
    const select = 'SELECT sequence, chain_hash, merkle_frontier, erasure_epoch FROM chain_head WHERE tenant_id = ? FOR UPDATE';
    type HeadRow = { sequence: unknown; chain_hash: string; merkle_frontier: string | null; erasure_epoch: unknown };
    let rows = (await runner.query(select, [tenantId])) as HeadRow[];
    if (!rows.length) {
      await runner.query('INSERT IGNORE INTO chain_head (tenant_id, sequence, chain_hash, updated_at) VALUES (?, 0, ?, ?)', [
        tenantId,
        GENESIS_CHAIN_HASH,
        toSqlDateTime(new Date().toISOString()),
      ]);
      rows = (await runner.query(select, [tenantId])) as HeadRow[];
    }
    const [row] = rows;
    return {
      sequence: toNumber(row.sequence),
      chainHash: row.chain_hash,
      merkleFrontier: row.merkle_frontier,
      erasureEpoch: toNumber(row.erasure_epoch),
    };
  }
}

/** merkle_node rows of a tenant's completed subtrees. */
const nodeRows = (tenantId: string, nodes: readonly NodeRow[]): (string | number)[][] => nodes.map((n) => [tenantId, ...n]);

export const createChainStore = (dataSource: DataSource, options: ChainStoreOptions = {}): ChainStore =>
  dataSource.options.type === 'better-sqlite3' ? new SqliteChainStore(dataSource, options) : new MysqlChainStore(dataSource, options);
