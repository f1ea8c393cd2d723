import { HeaderMap } from '@apollo/server';
import { AppError } from './app-error';
import { ErrorCode, HTTP_STATUS } from './error-code';

/** Seconds a client is told to wait before retrying a request the database could not serve. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** What a driver error means to a client: a coded error and its HTTP status. */
export interface DatabaseFault {
  code: ErrorCode.STORAGE_FULL | ErrorCode.DATABASE_UNAVAILABLE | ErrorCode.QUERY_TIMEOUT | ErrorCode.CHAIN_BUSY;
  message: string;
}

/** Connection-level failures of mysql2 and Node's sockets: the database is away, not the request wrong. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'SERVER_NOT_ANSWERING', // the liveness watchdog's: a ping on a connection of its own went unanswered
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'POOL_ACQUIRE_TIMEOUT',
  'POOL_CLOSED',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  'SQLITE_PROTOCOL',
]);
/**
 * MariaDB/MySQL error numbers: too many connections, shutdown, gone away, lost, killed, interrupted,
 * and 1047, a Galera node out of the primary component or still joining ("WSREP has not yet
 * prepared node for application use").
 */
const UNAVAILABLE_ERRNOS = new Set([1040, 1047, 1053, 1927, 1317, 2002, 2003, 2006, 2013, 2055]);
/** ER_DISK_FULL, ER_RECORD_FILE_FULL (table full), and the OS's ENOSPC surfacing as errno 28. */
const FULL_ERRNOS = new Set([1021, 1114, 28]);
const MYSQL_LOCK_WAIT_TIMEOUT = 1205;
/** ER_LOCK_DEADLOCK: an InnoDB deadlock, or on Galera a certification failure (a concurrent write through another node). */
const MYSQL_DEADLOCK = 1213;
/** ER_STATEMENT_TIMEOUT: max_statement_time ran out (MariaDB); 3024 is MySQL's max_execution_time. */
const STATEMENT_TIMEOUT_ERRNOS = new Set([1969, 3024]);

const FAULTS: Record<DatabaseFault['code'], string> = {
  [ErrorCode.STORAGE_FULL]: 'The database has no space left; nothing was written. Free disk space (or raise the quota) and retry.',
  [ErrorCode.DATABASE_UNAVAILABLE]: 'The database is unavailable; nothing was written. Retry after the Retry-After delay.',
  [ErrorCode.QUERY_TIMEOUT]:
    'The query ran past DATABASE_STATEMENT_TIMEOUT_SECONDS and was stopped; nothing was written. Narrow it or retry later.',
  [ErrorCode.CHAIN_BUSY]:
    'The data stayed locked, or kept conflicting with concurrent writes, past DATABASE_RETRY_BUDGET_SECONDS; nothing was written. Retry the same request after Retry-After.',
};

const fields = (error: unknown): { code?: unknown; errno?: unknown; message?: unknown } =>
  typeof error === 'object' && error !== null ? error : {};

/** Classifies an error from TypeORM, mysql2, better-sqlite3 or a socket; null when it is not a database fault. */
export function databaseFaultOf(error: unknown): DatabaseFault | null {
  if (error instanceof AppError) return null;
  // graphql-js wraps a thrown value it does not take for an Error in NonErrorThrown. A SqliteError
  // arrived that way (seen under jest, whose module registry gives modules their own globals).
  const thrown = (error as { name?: unknown; thrownValue?: unknown } | null)?.thrownValue;
  if ((error as { name?: unknown } | null)?.name === 'NonErrorThrown' && thrown !== undefined) return databaseFaultOf(thrown);
  // TypeORM's QueryFailedError copies the driver's fields, but keep its `driverError` as the source of truth.
  const driver =
    fields(error).code === undefined && fields(error).errno === undefined
      ? fields((error as { driverError?: unknown })?.driverError)
      : fields(error);
  const code = typeof driver.code === 'string' ? driver.code : '';
  const errno = typeof driver.errno === 'number' ? driver.errno : undefined;
  const message = typeof driver.message === 'string' ? driver.message : '';
  const fault = (c: DatabaseFault['code']): DatabaseFault => ({ code: c, message: FAULTS[c] });
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'ER_DISK_FULL' || code === 'ER_RECORD_FILE_FULL')
    return fault(ErrorCode.STORAGE_FULL);
  if (errno !== undefined && FULL_ERRNOS.has(errno)) return fault(ErrorCode.STORAGE_FULL);
  // ER_GET_ERRNO "Got error 28 from storage engine": the OS's ENOSPC under InnoDB.
  if (errno === 1030 && /\berror 28\b/i.test(message)) return fault(ErrorCode.STORAGE_FULL);
  if (errno !== undefined && STATEMENT_TIMEOUT_ERRNOS.has(errno)) return fault(ErrorCode.QUERY_TIMEOUT);
  if (code === 'QUERY_TIMEOUT') return fault(ErrorCode.QUERY_TIMEOUT);
  // Reached a client only once the server's own retries (ADR 0054) ran out of budget.
  if (errno === MYSQL_LOCK_WAIT_TIMEOUT || code === 'ER_LOCK_WAIT_TIMEOUT') return fault(ErrorCode.CHAIN_BUSY);
  if (errno === MYSQL_DEADLOCK || code === 'ER_LOCK_DEADLOCK') return fault(ErrorCode.CHAIN_BUSY);
  if (UNAVAILABLE_CODES.has(code) || code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_BUSY')) {
    return fault(ErrorCode.DATABASE_UNAVAILABLE);
  }
  if (errno !== undefined && UNAVAILABLE_ERRNOS.has(errno)) return fault(ErrorCode.DATABASE_UNAVAILABLE);
  // mysql2 and TypeORM name a closed pool or a connection past its end only in the message.
  if (
    /^Pool is closed|Can't add new command when connection is in closed state|Connection lost|connection is not established/i.test(message)
  ) {
    return fault(ErrorCode.DATABASE_UNAVAILABLE);
  }
  if ((error as { name?: string })?.name === 'CannotExecuteNotConnectedError') return fault(ErrorCode.DATABASE_UNAVAILABLE);
  return null;
}

/** HTTP head for a fault: its status, and Retry-After where waiting helps. */
export function faultHttp(code: DatabaseFault['code']): { status: number; headers: HeaderMap } {
  const headers = new HeaderMap();
  if (code !== ErrorCode.STORAGE_FULL) headers.set('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
  return { status: HTTP_STATUS[code] ?? 503, headers };
}

/** The coded AppError a client receives for a database fault (or null: not one). */
export function toDatabaseAppError(error: unknown): AppError | null {
  const fault = databaseFaultOf(error);
  if (!fault) return null;
  const coded = new AppError(fault.code, fault.message);
  (coded.extensions as Record<string, unknown>).http = faultHttp(fault.code);
  return coded;
}
