import { randomUUID } from 'node:crypto';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { DataSource } from 'typeorm';

/** Tells apart this process's SQLite connection from another's: their change counters are unrelated. */
const PROCESS_INSTANCE = randomUUID();

/** Whether a MySQL-protocol server is MariaDB, asked once per data source. */
const IS_MARIADB = new WeakMap<DataSource, Promise<boolean>>();

/** Rows this process changed on a SQLite connection outside the chain's tables (the /readyz probe). */
const OUTSIDE_CHAIN = new WeakMap<SqliteDatabase, number>();

/**
 * Records `changes` rows written on `db` to a table that is not one of the chain's, so that they do
 * not count as a write in `databaseWriteState`. Only for statements run synchronously on the
 * connection (nothing else can run between the statement and this call).
 */
export function countOutsideChain(db: SqliteDatabase, changes: number): void {
  OUTSIDE_CHAIN.set(db, (OUTSIDE_CHAIN.get(db) ?? 0) + changes);
}

const sqliteConnection = (dataSource: DataSource) =>
  (dataSource.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection;

/**
 * A value that changes whenever anything is written to the chain's tables, or null when the
 * database cannot tell (then nothing is cached).
 *
 * - SQLite: `data_version` (bumped by a commit of any other connection, e.g. a `sqlite3` shell)
 *   plus this connection's change counter, less the rows the /readyz probe wrote. Any other write
 *   of this server counts, chain table or not: a cache miss is safe, a hit over a changed row is not.
 * - MariaDB: the chain tables' UPDATE_TIME (whole seconds), usable only once the current second is
 *   past every one of them, so that a write later in the same second cannot go unseen. Other MySQL
 *   servers cache those times: no caching.
 */
export async function databaseWriteState(dataSource: DataSource): Promise<string | null> {
  if (dataSource.options.type === 'better-sqlite3') {
    // Synchronous and in one turn: no statement of this connection can run between the two reads.
    const db = sqliteConnection(dataSource);
    const changes = (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n - (OUTSIDE_CHAIN.get(db) ?? 0);
    const version = db.pragma('data_version', { simple: true }) as number;
    return `sqlite:${PROCESS_INSTANCE}:${version}:${changes}`;
  }
  let mariadb = IS_MARIADB.get(dataSource);
  if (!mariadb) {
    mariadb = dataSource.query<{ v: string }[]>('SELECT VERSION() AS v').then(([server]) => /mariadb/i.test(server?.v ?? ''));
    IS_MARIADB.set(dataSource, mariadb);
  }
  if (!(await mariadb)) return null;
  const rows = await dataSource.query<{ name: string; updated: unknown; now: unknown }[]>(
    "SELECT TABLE_NAME AS name, UNIX_TIMESTAMP(UPDATE_TIME) AS updated, UNIX_TIMESTAMP() AS now FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('audit_event', 'audit_event_label', 'checkpoint', 'chain_head') ORDER BY TABLE_NAME",
  );
  if (rows.length !== 4) return null;
  const now = Math.floor(Number(rows[0].now));
  const times = rows.map((r) => (r.updated === null ? null : Math.floor(Number(r.updated))));
  if (times.some((t) => t !== null && t >= now)) return null;
  return `mariadb:${times.map((t) => t ?? '-').join(':')}`;
}
