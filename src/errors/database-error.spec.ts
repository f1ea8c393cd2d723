import { QueryFailedError } from 'typeorm';
import { AppError } from './app-error';
import { databaseFaultOf, faultHttp, toDatabaseAppError } from './database-error';
import { ErrorCode } from './error-code';

const driver = (fields: Record<string, unknown>, message = 'driver said no') => Object.assign(new Error(message), fields);
const wrapped = (fields: Record<string, unknown>, message?: string) => new QueryFailedError('INSERT …', [], driver(fields, message));

describe('databaseFaultOf', () => {
  it.each([
    [{ code: 'SQLITE_FULL' }, ErrorCode.STORAGE_FULL],
    [{ code: 'ENOSPC' }, ErrorCode.STORAGE_FULL],
    [{ errno: 1021, code: 'ER_DISK_FULL' }, ErrorCode.STORAGE_FULL],
    [{ errno: 1114, code: 'ER_RECORD_FILE_FULL' }, ErrorCode.STORAGE_FULL],
    [{ errno: 28 }, ErrorCode.STORAGE_FULL],
    [{ errno: 1969 }, ErrorCode.QUERY_TIMEOUT],
    [{ code: 'QUERY_TIMEOUT' }, ErrorCode.QUERY_TIMEOUT],
    [{ errno: 1205, code: 'ER_LOCK_WAIT_TIMEOUT' }, ErrorCode.CHAIN_BUSY],
    [{ code: 'ECONNREFUSED' }, ErrorCode.DATABASE_UNAVAILABLE],
    [{ code: 'PROTOCOL_CONNECTION_LOST', fatal: true }, ErrorCode.DATABASE_UNAVAILABLE],
    [{ code: 'ETIMEDOUT' }, ErrorCode.DATABASE_UNAVAILABLE],
    [{ code: 'POOL_ACQUIRE_TIMEOUT' }, ErrorCode.DATABASE_UNAVAILABLE],
    [{ code: 'SERVER_NOT_ANSWERING' }, ErrorCode.DATABASE_UNAVAILABLE],
    [{ code: 'SQLITE_BUSY' }, ErrorCode.DATABASE_UNAVAILABLE],
    [{ code: 'SQLITE_IOERR_WRITE' }, ErrorCode.DATABASE_UNAVAILABLE],
    [{ errno: 2013 }, ErrorCode.DATABASE_UNAVAILABLE],
  ])('maps %o to %s, raw and wrapped by TypeORM', (fields, code) => {
    expect(databaseFaultOf(driver(fields))?.code).toBe(code);
    expect(databaseFaultOf(wrapped(fields))?.code).toBe(code);
  });

  it('looks inside graphql-js NonErrorThrown, which carries a driver error it did not take for an Error', async () => {
    const { execute, parse, buildSchema } = await import('graphql');
    const thrown = { code: 'SQLITE_FULL', message: 'database or disk is full' };
    const result = await execute({
      schema: buildSchema('type Query { x: Int }'),
      document: parse('{ x }'),
      rootValue: {
        x: () => {
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point: a thrown value that is not an Error
          throw thrown;
        },
      },
    });
    const original = result.errors?.[0].originalError;
    expect(original?.name).toBe('NonErrorThrown');
    expect(databaseFaultOf(original)?.code).toBe(ErrorCode.STORAGE_FULL);
  });

  it('keeps the Retry-After a caller gives an AppError (CHAIN_BUSY from the chain store)', () => {
    const busy = new AppError(ErrorCode.CHAIN_BUSY, 'locked', { http: faultHttp(ErrorCode.CHAIN_BUSY) });
    const http = busy.extensions.http as ReturnType<typeof faultHttp>;
    expect(http.status).toBe(503);
    expect(http.headers.get('retry-after')).toBeTruthy();
  });

  it('maps InnoDB "Got error 28" (ENOSPC) to STORAGE_FULL', () => {
    expect(databaseFaultOf(wrapped({ errno: 1030 }, 'Got error 28 "No space left on device" from storage engine'))?.code).toBe(
      ErrorCode.STORAGE_FULL,
    );
  });

  it('leaves programming errors, constraint violations and AppErrors alone (they stay masked or keep their code)', () => {
    expect(databaseFaultOf(new TypeError('x is undefined'))).toBeNull();
    expect(databaseFaultOf(wrapped({ errno: 1062, code: 'ER_DUP_ENTRY' }))).toBeNull();
    expect(databaseFaultOf(wrapped({ code: 'SQLITE_CONSTRAINT_UNIQUE' }))).toBeNull();
    expect(databaseFaultOf(new AppError(ErrorCode.INVALID_EVENT, 'bad'))).toBeNull();
    expect(databaseFaultOf(null)).toBeNull();
  });
});

describe('toDatabaseAppError', () => {
  it('carries the HTTP status, and Retry-After where retrying helps', () => {
    const full = toDatabaseAppError(driver({ code: 'SQLITE_FULL' }))!;
    expect(full.extensions).toMatchObject({ code: ErrorCode.STORAGE_FULL, http: { status: 507 } });
    expect((full.extensions.http as { headers: Map<string, string> }).headers.has('retry-after')).toBe(false);
    const away = toDatabaseAppError(driver({ code: 'ECONNREFUSED' }))!;
    expect(away.extensions).toMatchObject({ code: ErrorCode.DATABASE_UNAVAILABLE, http: { status: 503 } });
    expect((away.extensions.http as { headers: Map<string, string> }).headers.get('retry-after')).toMatch(/^\d+$/);
    expect(toDatabaseAppError(new Error('bug'))).toBeNull();
  });
});
