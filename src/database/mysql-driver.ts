import mysql2 from 'mysql2';
import type { DatabaseDialect } from '../config/config';

/** Connect, statement and lock-wait limits of every pooled connection (DATABASE_*_TIMEOUT_SECONDS). */
export interface DatabaseTimeouts {
  /** TCP connect + handshake, and the longest wait for a free pooled connection. */
  connectMs: number;
  /** Server-side statement limit; 0 turns it (and the client-side backstop) off. */
  statementMs: number;
  /** innodb_lock_wait_timeout, and SQLite's busy_timeout. */
  lockMs: number;
}

type Callback = (error: Error | null, ...rest: unknown[]) => void;
interface PooledConnection {
  query(...args: unknown[]): unknown;
  destroy(): void;
  release(): void;
}
interface Pool {
  on(event: 'connection', listener: (connection: PooledConnection) => void): void;
  getConnection(cb: (error: Error | null, connection?: PooledConnection) => void): void;
}

const coded = (code: string, message: string): Error => Object.assign(new Error(message), { code });

/**
 * The session every pooled connection gets before its first statement: the server's sql_mode
 * without NO_BACKSLASH_ESCAPES (every statement escapes with backslashes, so a GLOBAL change after
 * start-up must not reach new connections), a statement limit and a lock-wait limit.
 */
export function sessionStatement(dialect: DatabaseDialect, timeouts: DatabaseTimeouts): string {
  const mode = "sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@GLOBAL.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','))";
  const statement =
    dialect === 'mysql'
      ? `max_execution_time = ${Math.round(timeouts.statementMs)}`
      : `max_statement_time = ${(timeouts.statementMs / 1000).toFixed(3)}`;
  return `SET SESSION ${mode}, ${statement}, innodb_lock_wait_timeout = ${Math.max(1, Math.round(timeouts.lockMs / 1000))}`;
}

/**
 * A query that does not answer within `ms` (a frozen or unreachable server, which cannot enforce its
 * own max_statement_time) fails with PROTOCOL_SEQUENCE_TIMEOUT and its connection is destroyed, so
 * the pool never hands out a connection stuck behind it.
 */
function boundQueries(connection: PooledConnection, ms: number): void {
  const query = connection.query.bind(connection);
  connection.query = (...args: unknown[]) => {
    const cb = args.at(-1);
    if (typeof cb !== 'function') return query(...args); // streams: their reader owns the timing
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      connection.destroy();
      (cb as Callback)(coded('PROTOCOL_SEQUENCE_TIMEOUT', `The database did not answer within ${ms} ms`));
    }, ms);
    timer.unref();
    return query(...args.slice(0, -1), (error: Error | null, ...rest: unknown[]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      (cb as Callback)(error, ...rest);
    });
  };
}

/**
 * mysql2 as TypeORM's driver, with what mysql2's pool lacks: the session statement on every new
 * connection, a wait limit for a free connection (mysql2 has no acquireTimeout) and a client-side
 * backstop for statements a server cannot time out itself.
 */
export function guardedMysql2(dialect: DatabaseDialect, timeouts: DatabaseTimeouts): typeof mysql2 {
  const session = sessionStatement(dialect, timeouts);
  // The server gets the first chance to stop a statement (QUERY_TIMEOUT); the backstop comes after.
  const backstopMs = timeouts.statementMs > 0 ? timeouts.statementMs + timeouts.connectMs : 0;
  const createPool = (options: object) => {
    const pool = mysql2.createPool(options as never) as unknown as Pool;
    pool.on('connection', (connection) => {
      if (backstopMs) boundQueries(connection, backstopMs);
      // Queued before anything the caller sends on this connection.
      connection.query(session, (error: Error | null) => {
        if (error) connection.destroy();
      });
    });
    const getConnection = pool.getConnection.bind(pool);
    pool.getConnection = (cb) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        cb(coded('POOL_ACQUIRE_TIMEOUT', `No database connection became free within ${timeouts.connectMs} ms`));
      }, timeouts.connectMs);
      timer.unref();
      getConnection((error: Error | null, connection?: PooledConnection) => {
        if (settled) {
          connection?.release(); // the caller gave up waiting for it
          return;
        }
        settled = true;
        clearTimeout(timer);
        cb(error, connection);
      });
    };
    return pool;
  };
  return Object.create(mysql2, { createPool: { value: createPool, enumerable: true } }) as typeof mysql2;
}
