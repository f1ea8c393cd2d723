import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { DataSource, QueryRunner } from 'typeorm';
import { escape } from 'mysql2';
import { v7 as uuidv7 } from 'uuid';
import { AppError } from '../errors/app-error';
import { faultHttp } from '../errors/database-error';
import { ErrorCode } from '../errors/error-code';
import { fromSqlDateTime, placeholders, toNumber, toSqlDateTime } from '../database/sql-format';
import {
  type AppendPlan,
  type ChainHead,
  chunkRows,
  type KeyedReceipt,
  LABEL_COLUMNS,
  linkEvents,
  planAppend,
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
import { extendTree, type NodeRow } from './merkle-store';

/**
 * Appends batches to a tenant's chain, one at a time per tenant, atomically. `writer` is the id of
 * the API key sending the batch: its idempotency keys are looked up and stored under it only
 * (ADR 0016); null for the server's own events.
 */
export interface ChainStore {
  append(
    tenantId: string,
    events: PreparedEvent[],
    writer?: string | null,
  ): Promise<{ receipts: Receipt[]; head: ChainHead; written: number }>;
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

const result = (plan: AppendPlan) => ({ receipts: plan.receipts, head: plan.head, written: plan.eventRows.length });

/**
 * SQLite: better-sqlite3 is synchronous, so the whole append runs as one synchronous
 * `BEGIN IMMEDIATE` transaction — nothing in this process can interleave, and the immediate
 * write lock keeps other processes out until commit.
 */
export class SqliteChainStore implements ChainStore {
  private readonly db: SqliteDatabase;
  private readonly selectHead: Statement;
  private readonly updateHead: Statement;
  private readonly insertHead: Statement;
  private readonly statements = new Map<string, Statement>();
  private readonly appendTx: (tenantId: string, events: PreparedEvent[], writer: string | null) => AppendPlan;

  constructor(dataSource: DataSource) {
    this.db = (dataSource.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection;
    this.selectHead = this.db.prepare('SELECT sequence, chain_hash, merkle_frontier FROM chain_head WHERE tenant_id = ?');
    this.insertHead = this.db.prepare('INSERT OR IGNORE INTO chain_head (tenant_id, sequence, chain_hash, updated_at) VALUES (?, 0, ?, ?)');
    this.updateHead = this.db.prepare(
      'UPDATE chain_head SET sequence = ?, chain_hash = ?, updated_at = ?, merkle_frontier = ? WHERE tenant_id = ?',
    );
    const tx = this.db.transaction((tenantId: string, events: PreparedEvent[], writer: string | null) =>
      this.appendLocked(tenantId, events, writer),
    );
    this.appendTx = (tenantId, events, writer) => tx.immediate(tenantId, events, writer);
  }

  private statement(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (this.statements.size > 64) this.statements.clear();
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private appendLocked(tenantId: string, events: PreparedEvent[], writer: string | null): AppendPlan {
    const now = new Date();
    let row = this.selectHead.get(tenantId) as { sequence: number; chain_hash: string; merkle_frontier: string | null } | undefined;
    if (!row) {
      this.insertHead.run(tenantId, GENESIS_CHAIN_HASH, toSqlDateTime(now.toISOString()));
      row = { sequence: 0, chain_hash: GENESIS_CHAIN_HASH, merkle_frontier: null };
    }
    const keys = keysOf(events);
    let stored = new Map<string, KeyedReceipt>();
    if (keys.length) {
      const rows: Record<string, unknown>[] = [];
      for (let i = 0; i < keys.length; i += 500) {
        const part = keys.slice(i, i + 500);
        rows.push(
          ...(this.statement(`${KEYED_SELECT}(${part.map(() => '?').join(',')})`).all(tenantId, writer ?? '', ...part) as Record<
            string,
            unknown
          >[]),
        );
      }
      stored = keyedReceipts(rows);
    }
    const plan = planAppend(tenantId, { sequence: toNumber(row.sequence), chainHash: row.chain_hash }, events, stored, now, uuidv7, writer);
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
    if (plan.eventRows.length) {
      const tree = extendTree(toNumber(row.sequence), row.merkle_frontier, newLeaves(plan.receipts));
      for (const chunk of chunkRows(nodeRows(tenantId, tree.nodes), 500))
        this.statement(INSERT_NODES + placeholders(chunk.length, 4) + SQLITE_NODES_UPSERT).run(chunk.flat());
      this.updateHead.run(plan.head.sequence, plan.head.chainHash, toSqlDateTime(now.toISOString()), tree.frontier, tenantId);
    }
    return plan;
  }

  async append(tenantId: string, events: PreparedEvent[], writer: string | null = null) {
    try {
      return result(this.appendTx(tenantId, events, writer));
    } catch (error) {
      // Another process held the write lock past busy_timeout.
      if ((error as { code?: string }).code === 'SQLITE_BUSY') throw chainBusy();
      throw error;
    }
  }
}

const MYSQL_DEADLOCK = 1213;
const MYSQL_LOCK_WAIT_TIMEOUT = 1205;
const MYSQL_DUPLICATE_KEY = 1062;
/** Rows and bytes of one multi-row INSERT, well under max_allowed_packet (16 MiB by default). */
const MAX_ROWS = 1000;
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

/**
 * MySQL/MariaDB: `SELECT … FOR UPDATE` on the chain head row serialises appends of one tenant
 * across every server process; a plain REPEATABLE READ read would let two writers fork the chain.
 *
 * The lock is the bottleneck of a busy tenant, so everything that does not depend on the chain is
 * done before taking it: ids and the escaped SQL of every column but the four the lock decides
 * (sequence, recorded_at, hash, chain_hash). Idempotency keys are checked optimistically: the
 * unique index (tenant_id, idempotency_scope, idempotency_key) refuses a key this API key stored, and only then is the append redone
 * with a look-up under the lock.
 */
export class MysqlChainStore implements ChainStore {
  constructor(private readonly dataSource: DataSource) {}

  async append(tenantId: string, events: PreparedEvent[], writer: string | null = null) {
    const ids = events.map(() => uuidv7());
    const tenant = escape(tenantId);
    const eventSql = events.map((e, i) => `(${sqlValues(staticEventValues(tenantId, ids[i], e, writer))},`);
    const labelSql = events.map((e, i) => {
      const { categories, tags } = e.payload;
      if (categories.length === 0 && tags.length === 0) return NO_LABELS;
      const id = escape(ids[i]);
      const labels: string[] = [];
      for (const v of categories) labels.push(`(${id},'category',${escape(v)},${tenant},`);
      for (const v of tags) labels.push(`(${id},'tag',${escape(v)},${tenant},`);
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
    // Optimistic idempotency: most batches are not retries, so try the INSERT without looking keys
    // up; a key already stored makes it hit the unique index, and the append is redone with the
    // look-up under the lock (replays then get their original receipts, conflicts their error).
    let stored = new Map<string, KeyedReceipt>();
    let lookedUpUnderLock = !events.some((e) => e.idempotencyKey !== null);

    for (let deadlocks = 0; ;) {
      const runner = this.dataSource.createQueryRunner('master');
      try {
        await runner.connect();
        await runner.startTransaction('READ COMMITTED');
        const head = await this.lockHead(runner, tenantId);
        if (lookedUpUnderLock) stored = await this.storedKeys(runner, tenantId, writer, events);
        const now = new Date();
        const linked = linkEvents(tenantId, head, events, ids, stored, now);
        const tail = `,'${toSqlDateTime(linked.recordedAt)}','`;
        const rows: string[] = [];
        const labels: string[] = [];
        for (const { index, sequence, hash, chainHash } of linked.links) {
          rows.push(`${eventSql[index]}${sequence}${tail}${hash}','${chainHash}')`);
          for (const label of labelSql[index]) labels.push(`${label}${sequence})`);
        }
        for (const sql of statements(INSERT_EVENTS, rows)) await runner.query(sql);
        for (const sql of statements(INSERT_LABELS, labels)) await runner.query(sql);
        const rollup = rollupGroups(rollupSql, (key) => key, linked.links).map(
          (g) => `${g.key}${g.count},${g.minSequence},${g.maxSequence})`,
        );
        for (const sql of statements(INSERT_ROLLUP, rollup)) await runner.query(sql + MYSQL_ROLLUP_UPSERT);
        if (rows.length) {
          const tree = extendTree(head.sequence, head.merkleFrontier, newLeaves(linked.receipts));
          const nodes = nodeRows(tenantId, tree.nodes).map((r) => `(${sqlValues(r)})`);
          for (const sql of statements(INSERT_NODES, nodes)) await runner.query(sql + MYSQL_NODES_UPSERT);
          await runner.query(
            'UPDATE chain_head SET sequence = ?, chain_hash = ?, updated_at = ?, merkle_frontier = ? WHERE tenant_id = ?',
            [linked.head.sequence, linked.head.chainHash, toSqlDateTime(now.toISOString()), tree.frontier, tenantId],
          );
        }
        await runner.commitTransaction();
        return { receipts: linked.receipts, head: linked.head, written: rows.length };
      } catch (error) {
        if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
        const errno = errnoOf(error);
        if (errno === MYSQL_DUPLICATE_KEY && !lookedUpUnderLock) {
          lookedUpUnderLock = true; // a key of this batch is already stored: redo with the look-up
          continue;
        }
        if (errno === MYSQL_DEADLOCK && ++deadlocks < 3) continue;
        if (errno === MYSQL_LOCK_WAIT_TIMEOUT || errno === MYSQL_DEADLOCK) throw chainBusy();
        throw error;
      } finally {
        await runner.release();
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

  private async lockHead(runner: QueryRunner, tenantId: string): Promise<ChainHead & { merkleFrontier: string | null }> {
    const select = 'SELECT sequence, chain_hash, merkle_frontier FROM chain_head WHERE tenant_id = ? FOR UPDATE';
    let rows = (await runner.query(select, [tenantId])) as { sequence: unknown; chain_hash: string; merkle_frontier: string | null }[];
    if (!rows.length) {
      await runner.query('INSERT IGNORE INTO chain_head (tenant_id, sequence, chain_hash, updated_at) VALUES (?, 0, ?, ?)', [
        tenantId,
        GENESIS_CHAIN_HASH,
        toSqlDateTime(new Date().toISOString()),
      ]);
      rows = (await runner.query(select, [tenantId])) as { sequence: unknown; chain_hash: string; merkle_frontier: string | null }[];
    }
    return { sequence: toNumber(rows[0].sequence), chainHash: rows[0].chain_hash, merkleFrontier: rows[0].merkle_frontier };
  }
}

/** merkle_node rows of a tenant's completed subtrees. */
const nodeRows = (tenantId: string, nodes: readonly NodeRow[]): (string | number)[][] => nodes.map((n) => [tenantId, ...n]);

export const createChainStore = (dataSource: DataSource): ChainStore =>
  dataSource.options.type === 'better-sqlite3' ? new SqliteChainStore(dataSource) : new MysqlChainStore(dataSource);
