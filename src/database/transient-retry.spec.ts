import { DataSource } from 'typeorm';
import { createDataSource } from './data-source';
import { pauseCeilingMs, retryTransient, transientFaultOf } from './transient-retry';
import { databaseFaultOf } from '../errors/database-error';

/** mysql2's errors as MariaDB/Galera send them. */
const certificationFailure = () =>
  Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), {
    errno: 1213,
    code: 'ER_LOCK_DEADLOCK',
    sqlState: '40001',
  });
const lockWaitTimeout = () =>
  Object.assign(new Error('Lock wait timeout exceeded; try restarting transaction'), {
    errno: 1205,
    code: 'ER_LOCK_WAIT_TIMEOUT',
    sqlState: 'HY000',
  });
const notReady = () =>
  Object.assign(new Error('WSREP has not yet prepared node for application use'), {
    errno: 1047,
    code: 'ER_UNKNOWN_COM_ERROR',
    sqlState: '08S01',
  });
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3322'), { code: 'ECONNREFUSED', errno: -111 });
const lost = () => Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST' });
/** TypeORM's QueryFailedError keeps the driver's error in driverError. */
const wrapped = (driverError: Error) => Object.assign(new Error(driverError.message), { name: 'QueryFailedError', driverError });

/** An attempt that fails with `errors` in turn, then answers 'done'. */
function failing(...errors: Error[]) {
  let tries = 0;
  const attempt = async () => {
    tries += 1;
    if (tries <= errors.length) throw errors[tries - 1];
    return 'done';
  };
  return { attempt, tries: () => tries };
}

const FAST = { budgetMs: 500, baseDelayMs: 4, maxDelayMs: 64 };

describe('transientFaultOf', () => {
  it('names certification failures, deadlocks and lock wait timeouts conflicts, 1047 a node not ready, bare or wrapped by TypeORM', () => {
    expect(transientFaultOf(certificationFailure())).toBe('conflict');
    expect(transientFaultOf(wrapped(certificationFailure()))).toBe('conflict');
    expect(transientFaultOf(lockWaitTimeout())).toBe('conflict');
    expect(transientFaultOf(notReady())).toBe('not-ready');
    expect(transientFaultOf(wrapped(notReady()))).toBe('not-ready');
  });

  it('never names a lost or refused connection, nor a constraint error, retryable', () => {
    expect(transientFaultOf(lost())).toBeNull();
    expect(transientFaultOf(refused())).toBeNull();
    expect(transientFaultOf(Object.assign(new Error('Duplicate entry'), { errno: 1062 }))).toBeNull();
  });

  it('maps what is left after the budget to a coded 503 (never INTERNAL_SERVER_ERROR)', () => {
    expect(databaseFaultOf(wrapped(certificationFailure()))?.code).toBe('CHAIN_BUSY');
    expect(databaseFaultOf(lockWaitTimeout())?.code).toBe('CHAIN_BUSY');
    expect(databaseFaultOf(wrapped(notReady()))?.code).toBe('DATABASE_UNAVAILABLE');
    expect(databaseFaultOf(lost())?.code).toBe('DATABASE_UNAVAILABLE');
    expect(databaseFaultOf(refused())?.code).toBe('DATABASE_UNAVAILABLE');
  });
});

describe('retryTransient', () => {
  afterEach(() => jest.restoreAllMocks());

  /** The pauses the retry asked for (the backoff library sleeps with setTimeout). */
  function recordPauses(random: number): number[] {
    const pauses: number[] = [];
    jest.spyOn(Math, 'random').mockReturnValue(random);
    const real = global.setTimeout;
    jest.spyOn(global, 'setTimeout').mockImplementation((fn: () => void, ms?: number) => {
      pauses.push(ms ?? 0);
      return real(fn, 0);
    });
    return pauses;
  }

  it('pauses with full jitter below a ceiling that doubles up to the maximum', async () => {
    const pauses = recordPauses(0.999);
    const { attempt, tries } = failing(...Array.from({ length: 6 }, certificationFailure), notReady());
    await expect(retryTransient({ budgetMs: 60_000, baseDelayMs: 10, maxDelayMs: 200 }, attempt)).resolves.toBe('done');
    expect(tries()).toBe(8);
    // Ceilings 10, 20, 40, 80, 160, 200, 200; Math.random() near 1 draws each near its ceiling.
    expect(pauses).toEqual([10, 20, 40, 80, 160, 200, 200]);
    expect([1, 2, 3, 7].map((n) => pauseCeilingMs({ budgetMs: 0, baseDelayMs: 10, maxDelayMs: 200 }, n))).toEqual([10, 20, 40, 200]);
  });

  it('draws each pause from [0, ceiling): two retries of the same fault do not pause alike', async () => {
    const low = recordPauses(0.25);
    await retryTransient(FAST, failing(certificationFailure(), certificationFailure()).attempt);
    expect(low).toEqual([1, 2]);
  });

  it('gives up with the last error once no pause fits in the budget; every pause it took ends within it', async () => {
    const { attempt, tries } = failing(...Array.from({ length: 10_000 }, certificationFailure));
    const latestEnds: number[] = [];
    const started = performance.now();
    const error = await retryTransient(FAST, attempt, (_e, n) =>
      latestEnds.push(performance.now() - started + pauseCeilingMs(FAST, n)),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ errno: 1213 });
    expect(tries()).toBeGreaterThan(2);
    expect(tries()).toBe(latestEnds.length + 1);
    // Each retry was decided while its pause, at its longest, still ended within the budget.
    for (const end of latestEnds) expect(end).toBeLessThanOrEqual(FAST.budgetMs);
  });

  it('throws anything else at once: a lost connection is never redone (its statement may have been applied)', async () => {
    for (const error of [lost(), refused(), Object.assign(new Error('Duplicate entry'), { errno: 1062 })]) {
      const { attempt, tries } = failing(error);
      await expect(retryTransient(FAST, attempt)).rejects.toBe(error);
      expect(tries()).toBe(1);
    }
  });

  it("tells the policy's observer the kind of each retry it takes (datapunk_database_retries_total)", async () => {
    const kinds: string[] = [];
    const { attempt } = failing(certificationFailure(), notReady(), lockWaitTimeout());
    await retryTransient({ ...FAST, onRetry: (kind) => kinds.push(kind) }, attempt);
    expect(kinds).toEqual(['conflict', 'not-ready', 'conflict']);
  });

  it('makes one try with a budget of 0', async () => {
    const { attempt, tries } = failing(certificationFailure());
    await expect(retryTransient({ ...FAST, budgetMs: 0 }, attempt)).rejects.toMatchObject({ errno: 1213 });
    expect(tries()).toBe(1);
  });
});

describe('RetryingDataSource', () => {
  it('redoes a statement sent alone after a conflict, not one of a transaction (its owner redoes the transaction)', async () => {
    const ds = createDataSource({
      database: { dialect: 'sqlite', location: ':memory:' },
      withoutMigrations: true,
      retry: FAST,
    });
    await ds.initialize();
    try {
      await ds.query('CREATE TABLE t (n INTEGER)');
      const real = DataSource.prototype.query;
      let refusals = 2;
      const spy = jest.spyOn(DataSource.prototype, 'query').mockImplementation(function (this: DataSource, ...args) {
        if (String(args[0]).startsWith('INSERT') && refusals-- > 0) return Promise.reject(wrapped(certificationFailure()));
        return real.apply(this, args);
      });
      await ds.query('INSERT INTO t (n) VALUES (1)');
      expect(await ds.query('SELECT n FROM t')).toEqual([{ n: 1 }]);
      expect(spy.mock.calls.filter((c) => String(c[0]).startsWith('INSERT'))).toHaveLength(3);

      refusals = 1;
      const runner = ds.createQueryRunner();
      await expect(ds.query('INSERT INTO t (n) VALUES (2)', [], runner)).rejects.toMatchObject({ driverError: { errno: 1213 } });
      await runner.release();
      expect(await ds.query('SELECT n FROM t')).toEqual([{ n: 1 }]);
    } finally {
      jest.restoreAllMocks();
      await ds.destroy();
    }
  });
});
