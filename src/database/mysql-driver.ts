import { AsyncLocalStorage } from 'node:async_hooks';
import mysql2 from 'mysql2';
import type { DatabaseDialect } from '../config/config';
import { LivenessWatchdog } from './liveness-watchdog';

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
  end(cb?: (error?: Error | null) => void): void;
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
 * Galera's causality check for the pooled sessions (ADR 0054): when the server says `@@wsrep_on`,
 * a new connection gets `SET SESSION wsrep_sync_wait = n` before it is handed out, so a read there
 * waits until the node has applied every write the cluster committed before it — an event
 * acknowledged through another node is seen. 0, or a server that is not a Galera node, sets
 * nothing (no cost on plain MariaDB/MySQL). MySQL has no `@@wsrep_on`: its error means "not Galera".
 */
export interface CausalitySettings {
  /** DATABASE_WSREP_SYNC_WAIT: the bitmask of wsrep_sync_wait (1: reads); 0 turns it off. */
  wsrepSyncWait: number;
  /** Told once per pool, when its first connection turns out to be a Galera node's. */
  onGalera?: () => void;
}

/** The wsrep_sync_wait a caller asked of the connections handed to it; none: the pool's setting. */
const askedSyncWait = new AsyncLocalStorage<number>();

/**
 * Runs `connect` (a query runner's `connect()`) so that the pooled connection it obtains is handed
 * out with Galera's causality check off, `wsrep_sync_wait = 0` (ADR 0054, amended 2026-12-08). For
 * the append transaction only: behind its row lock on `chain_head`, certification refuses a commit
 * built on a head or an idempotency look-up older than a write the cluster already ordered, so its
 * reads need not wait for the node to apply everything first (ADR 0054 has what it saves).
 * The connection keeps the setting in the pool; the next caller that did not ask for it gets the
 * pool's own back before its first statement. Nothing happens on a server that is not a Galera node.
 */
export function withoutCausalityCheck<T>(connect: () => Promise<T>): Promise<T> {
  return askedSyncWait.run(0, connect);
}

/** Whether the server of `connection` says `@@wsrep_on` (an error, MySQL's unknown variable, says no). */
function isGaleraNode(connection: PooledConnection): Promise<boolean> {
  return new Promise((resolve) => {
    connection.query('SELECT @@wsrep_on AS wsrep_on', (error: Error | null, rows?: unknown) =>
      resolve(!error && Array.isArray(rows) && Number((rows[0] as { wsrep_on?: unknown } | undefined)?.wsrep_on) === 1),
    );
  });
}

/** MySQL's and MariaDB's error for a variable the server does not have. */
const ER_UNKNOWN_SYSTEM_VARIABLE = 1193;

/**
 * The session statement refused: with an unknown variable, the URL's scheme names the other
 * server (MariaDB's `max_statement_time` against MySQL's `max_execution_time`); said so, with the
 * server's own error kept as the cause.
 */
function sessionRefused(dialect: DatabaseDialect, error: Error): Error {
  if ((error as { errno?: unknown }).errno !== ER_UNKNOWN_SYSTEM_VARIABLE) return error;
  const hint =
    dialect === 'mysql'
      ? 'a MariaDB server needs a mariadb:// DATABASE_URL (mysql:// is for MySQL)'
      : 'a MySQL server needs a mysql:// DATABASE_URL (mariadb:// is for MariaDB)';
  return Object.assign(new Error(`The database refused this server's session settings (${error.message}): ${hint}`, { cause: error }), {
    code: 'DATABASE_DIALECT_MISMATCH',
  });
}

const runOn = (connection: PooledConnection, statement: string): Promise<void> =>
  new Promise((resolve, reject) => connection.query(statement, (error: Error | null) => (error ? reject(error) : resolve())));

/** A statement outstanding this long makes the watchdog ping the server. */
export const LIVENESS_STALL_MS = 2000;
/** The ping (connect, log in, COM_PING) must answer within this, or the connect timeout if shorter. */
export const LIVENESS_PING_MS = 3000;
/** Between pings while the server does not answer. */
export const LIVENESS_RETRY_MS = 1000;

/** Pool settings mysql2's single connection does not know (it warns about each). */
const POOL_ONLY_OPTIONS = new Set([
  'connectionLimit',
  'waitForConnections',
  'queueLimit',
  'maxIdle',
  'idleTimeout',
  'resetOnRelease',
  'acquireTimeout',
]);

/**
 * Calls `onExpire` once `ms` of event-loop time has passed. A stall of the loop itself (a long
 * synchronous task) counts at most two ticks: an answer the loop could not read yet is no silence.
 */
function loopTimeDeadline(ms: number, onExpire: () => void): () => void {
  const tick = 100;
  let left = ms;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    left -= Math.min(now - last, 2 * tick);
    last = now;
    if (left > 0) return;
    clearInterval(timer);
    onExpire();
  }, tick).unref();
  return () => clearInterval(timer);
}

/**
 * Whether the server answers: a fresh connection (never one of the pool's) logs in and pings
 * within `deadlineMs`. An error packet (too many connections, access denied) is an answer; a
 * refused, reset or silent connection is not.
 */
export function pingServer(options: object, deadlineMs: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const settings = Object.fromEntries(Object.entries(options).filter(([key]) => !POOL_ONLY_OPTIONS.has(key)));
    // No connect timer of mysql2's own: the deadline below is the only one, and it ignores loop stalls.
    const connection = mysql2.createConnection({ ...settings, connectTimeout: 0 });
    let done = false;
    const finish = (answered: boolean) => {
      if (done) return;
      done = true;
      cancel();
      signal?.removeEventListener('abort', abort);
      if (answered) {
        connection.end(() => undefined);
      } else {
        connection.destroy();
        (connection as { stream?: { destroy?: () => void } }).stream?.destroy?.(); // a silent server never closes its side
      }
      resolve(answered);
    };
    const answeredBy = (error: unknown) => typeof (error as { sqlState?: unknown } | null)?.sqlState === 'string';
    const abort = () => finish(false);
    const cancel = loopTimeDeadline(deadlineMs, abort);
    if (signal?.aborted) return abort();
    signal?.addEventListener('abort', abort);
    connection.on('error', (error) => finish(answeredBy(error)));
    connection.ping((error) => finish(!error || answeredBy(error)));
  });
}

/**
 * Every query with a callback is watched by the liveness watchdog and, when `backstopMs` is set,
 * bounded by it (a last resort should a live server leave one connection unanswered). A query the
 * watchdog or the backstop ends, or one refused while the server does not answer, destroys its
 * connection: the pool never hands it out again, with a statement or a transaction stuck on it.
 */
function guardQueries(connection: PooledConnection, backstopMs: number, watchdog: LivenessWatchdog): void {
  const query = connection.query.bind(connection);
  connection.query = (...args: unknown[]) => {
    const cb = args.at(-1);
    if (typeof cb !== 'function') return query(...args); // streams: their reader owns the timing
    const refusal = watchdog.refusal();
    if (refusal) {
      connection.destroy();
      process.nextTick(() => (cb as Callback)(refusal));
      return undefined;
    }
    let settled = false;
    const settle = (error: Error | null, rest: unknown[]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unwatch();
      (cb as Callback)(error, ...rest);
    };
    const fail = (error: Error) => {
      if (settled) return;
      connection.destroy();
      settle(error, []);
    };
    const timer = backstopMs
      ? setTimeout(
          () => fail(coded('PROTOCOL_SEQUENCE_TIMEOUT', `The database did not answer within ${backstopMs} ms`)),
          backstopMs,
        ).unref()
      : undefined;
    const unwatch = watchdog.watch(fail);
    return query(...args.slice(0, -1), (error: Error | null, ...rest: unknown[]) => settle(error, rest));
  };
}

/**
 * mysql2 as TypeORM's driver, with what mysql2's pool lacks: the session statement on every new
 * connection, a wait limit for a free connection (mysql2 has no acquireTimeout), and for statements
 * a server cannot time out itself (it is frozen or cut off) a liveness watchdog and a backstop.
 */
export function guardedMysql2(
  dialect: DatabaseDialect,
  timeouts: DatabaseTimeouts,
  causality: CausalitySettings = { wsrepSyncWait: 0 },
): typeof mysql2 {
  const session = sessionStatement(dialect, timeouts);
  // The server gets the first chance to stop a statement (QUERY_TIMEOUT); the backstop comes after.
  const backstopMs = timeouts.statementMs > 0 ? timeouts.statementMs + timeouts.connectMs : 0;
  const pingMs = Math.min(timeouts.connectMs, LIVENESS_PING_MS);
  const createPool = (options: object) => {
    const pool = mysql2.createPool(options as never) as unknown as Pool;
    const watchdog = new LivenessWatchdog({
      stallMs: LIVENESS_STALL_MS,
      retryMs: LIVENESS_RETRY_MS,
      ping: (signal) => pingServer(options, pingMs, signal),
      silenceError: () =>
        coded('SERVER_NOT_ANSWERING', `The database server did not answer a ping within ${pingMs} ms; retry once it answers again`),
    });
    // Whether the server is a Galera node: asked by the first connections, then known for the
    // pool's life. A new connection is handed out once its session statements have run.
    let galera: boolean | undefined;
    const preparing = new WeakMap<PooledConnection, Promise<void>>();
    const configured = Math.trunc(causality.wsrepSyncWait);
    const syncWait = `SET SESSION wsrep_sync_wait = ${configured}`;
    // A Galera session's wsrep_sync_wait where a caller changed it (withoutCausalityCheck).
    const changed = new WeakMap<PooledConnection, number>();
    // Galera's causality check on a new session, asking the server first if nobody has yet.
    const causalSession = async (connection: PooledConnection): Promise<void> => {
      if (causality.wsrepSyncWait <= 0 || galera === false) return;
      if (galera === undefined) {
        const on = await isGaleraNode(connection);
        if (on && !galera) causality.onGalera?.();
        galera = on;
      }
      if (galera) await runOn(connection, syncWait);
    };
    pool.on('connection', (connection) => {
      guardQueries(connection, backstopMs, watchdog);
      // The connection is handed out once its session is set; a refusal is the caller's error.
      preparing.set(
        connection,
        runOn(connection, session).then(
          () => causalSession(connection),
          (error: Error) => {
            throw sessionRefused(dialect, error);
          },
        ),
      );
    });
    const getConnection = pool.getConnection.bind(pool);
    pool.getConnection = (cb) => {
      const refusal = watchdog.refusal();
      if (refusal) return process.nextTick(() => cb(refusal)); // a new connection would only wait for its connect timeout
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        cb(coded('POOL_ACQUIRE_TIMEOUT', `No database connection became free within ${timeouts.connectMs} ms`));
      }, timeouts.connectMs);
      timer.unref();
      const hand = (error: Error | null, connection?: PooledConnection) => {
        if (settled) {
          connection?.release(); // the caller gave up waiting for it
          return;
        }
        settled = true;
        clearTimeout(timer);
        cb(error, connection);
      };
      const asked = askedSyncWait.getStore() ?? configured;
      // The session as the caller asked for it: the pool's causality check, or none (withoutCausalityCheck).
      const causal = (connection: PooledConnection): Promise<void> | undefined => {
        if (configured <= 0 || !galera || (changed.get(connection) ?? configured) === asked) return undefined;
        return runOn(connection, `SET SESSION wsrep_sync_wait = ${asked}`).then(() => {
          if (asked === configured) changed.delete(connection);
          else changed.set(connection, asked);
        });
      };
      getConnection((error: Error | null, connection?: PooledConnection) => {
        if (!connection) return hand(error, connection);
        const prepared = preparing.get(connection);
        preparing.delete(connection);
        const ready = prepared ? prepared.then(() => causal(connection)) : causal(connection);
        if (!ready) return hand(error, connection);
        ready.then(
          () => hand(null, connection),
          (failure: Error) => {
            connection.destroy();
            hand(failure);
          },
        );
      });
    };
    const end = pool.end.bind(pool);
    pool.end = (cb) => {
      watchdog.stop();
      end(cb);
    };
    return pool;
  };
  return Object.create(mysql2, { createPool: { value: createPool, enumerable: true } }) as typeof mysql2;
}
