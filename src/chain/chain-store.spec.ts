import type { DataSource } from 'typeorm';
import { MysqlChainStore } from './chain-store';
import { ActorType, OutcomeStatus } from '../audit/audit-event.model';
import { prepareEvents } from '../ingest/event-validation';
import { databaseFaultOf } from '../errors/database-error';

/**
 * A data source whose n-th event INSERT fails with the scripted MySQL errno (undefined: succeeds);
 * `inserts` lists the transaction (attempt) each INSERT ran in, `commits` how many committed.
 */
function scripted(errors: (number | Error | undefined)[], commitErrors: (Error | undefined)[] = []) {
  const inserts: number[] = [];
  let commitTries = 0;
  const statements: string[] = [];
  let attempts = 0;
  let commits = 0;
  const dataSource = {
    createQueryRunner() {
      const attempt = attempts++;
      return {
        isTransactionActive: false,
        async connect() {},
        async startTransaction() {
          this.isTransactionActive = true;
        },
        async commitTransaction() {
          const refused = commitErrors[commitTries++];
          if (refused) throw refused;
          commits += 1;
          this.isTransactionActive = false;
        },
        async rollbackTransaction() {
          this.isTransactionActive = false;
        },
        async release() {},
        async query(sql: string) {
          statements.push(sql.slice(0, 40));
          if (sql.startsWith('SELECT sequence')) return [{ sequence: 0, chain_hash: '0'.repeat(64) }];
          if (sql.startsWith('INSERT INTO audit_event ')) {
            const errno = errors[inserts.length];
            inserts.push(attempt);
            if (errno instanceof Error) throw errno;
            if (errno) throw Object.assign(new Error(`errno ${errno}`), { errno });
          }
          return [];
        },
      };
    },
  } as unknown as DataSource;
  return { dataSource, inserts, statements, commits: () => commits };
}

const batch = (idempotencyKey?: string) =>
  prepareEvents(
    [
      {
        occurredAt: new Date().toISOString(),
        actor: { id: 'u', type: ActorType.USER },
        action: 'a.b',
        resource: { type: 't', id: 'i' },
        outcome: { status: OutcomeStatus.SUCCESS },
        idempotencyKey,
      },
    ],
    { maxStringLength: 1024, maxMetadataBytes: 16384, maxOccurredAtAgeMs: 1e12, maxClockSkewMs: 1e6 },
  );

/** What mysql2 gives for each fault, as Galera and InnoDB send it. */
const certificationFailure = () =>
  Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), {
    errno: 1213,
    code: 'ER_LOCK_DEADLOCK',
    sqlState: '40001',
  });
const notReady = () =>
  Object.assign(new Error('WSREP has not yet prepared node for application use'), {
    errno: 1047,
    code: 'ER_UNKNOWN_COM_ERROR',
    sqlState: '08S01',
  });
const connectionLost = () =>
  Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true });

/** Short pauses, so that a spent budget takes a test a fraction of a second. */
const FAST = { budgetMs: 300, baseDelayMs: 1, maxDelayMs: 20 };

describe('MysqlChainStore retries (ADR 0054)', () => {
  it('redoes the group after Galera certification failures and commits it once', async () => {
    const { dataSource, inserts, commits } = scripted([certificationFailure(), certificationFailure(), certificationFailure()]);
    await expect(new MysqlChainStore(dataSource, { retry: FAST }).append('t', batch())).resolves.toMatchObject({ written: 1 });
    expect(inserts).toEqual([0, 1, 2, 3]);
    expect(commits()).toBe(1);
  });

  it('redoes a group whose COMMIT failed certification (nothing was written by it)', async () => {
    const { dataSource, inserts, commits } = scripted([], [certificationFailure()]);
    const receipt = await new MysqlChainStore(dataSource, { retry: FAST }).append('t', batch());
    expect(receipt.receipts[0].sequence).toBe(1);
    expect(inserts).toEqual([0, 1]);
    expect(commits()).toBe(1);
  });

  it('answers CHAIN_BUSY, 503 with Retry-After, once the budget is spent; nothing committed', async () => {
    const { dataSource, inserts, commits } = scripted(Array.from({ length: 10_000 }, certificationFailure));
    const error = await new MysqlChainStore(dataSource, { retry: FAST }).append('t', batch()).catch((e: unknown) => e);
    expect(error).toMatchObject({ extensions: { code: 'CHAIN_BUSY' } });
    const http = (error as { extensions: { http: { status: number; headers: Map<string, string> } } }).extensions.http;
    expect(http.status).toBe(503);
    expect(Number(http.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(inserts.length).toBeGreaterThan(2);
    expect(commits()).toBe(0);
  });

  it('takes no retry with a budget of 0: the first deadlock is CHAIN_BUSY', async () => {
    const { dataSource, inserts } = scripted([1213]);
    await expect(new MysqlChainStore(dataSource, { retry: { ...FAST, budgetMs: 0 } }).append('t', batch())).rejects.toMatchObject({
      code: 'CHAIN_BUSY',
    });
    expect(inserts).toEqual([0]);
  });

  it('waits out a Galera node not ready (1047), then DATABASE_UNAVAILABLE once the budget is spent', async () => {
    const recovered = scripted([notReady(), notReady()]);
    await expect(new MysqlChainStore(recovered.dataSource, { retry: FAST }).append('t', batch())).resolves.toMatchObject({ written: 1 });
    expect(recovered.commits()).toBe(1);
    const away = scripted(Array.from({ length: 10_000 }, notReady));
    const error = await new MysqlChainStore(away.dataSource, { retry: FAST }).append('t', batch()).catch((e: unknown) => e);
    expect(databaseFaultOf(error)?.code).toBe('DATABASE_UNAVAILABLE');
    expect(away.commits()).toBe(0);
  });

  it('never redoes a group after a lost connection (its COMMIT may have landed): DATABASE_UNAVAILABLE at once', async () => {
    const { dataSource, inserts, commits } = scripted([], [connectionLost()]);
    const error = await new MysqlChainStore(dataSource, { retry: FAST }).append('t', batch()).catch((e: unknown) => e);
    expect(databaseFaultOf(error)?.code).toBe('DATABASE_UNAVAILABLE');
    expect(inserts).toEqual([0]);
    expect(commits()).toBe(0);
  });

  it('redoes a keyed batch once after a duplicate key, with the look-up, and after deadlocks', async () => {
    const { dataSource, inserts, statements } = scripted([1062, 1213, 1213]);
    await expect(new MysqlChainStore(dataSource, { retry: FAST }).append('t', batch('k'))).resolves.toMatchObject({ written: 1 });
    expect(inserts).toEqual([0, 1, 2, 3]);
    // The redo looks the keys up under the lock, in a savepoint of its own.
    expect(statements.slice(2, 5)).toEqual([
      expect.stringMatching(/^SELECT sequence/),
      expect.stringMatching(/^SELECT idempotency_key/),
      'SAVEPOINT chain_call',
    ]);
  });

  it('raises a second duplicate key instead of looping', async () => {
    const { dataSource, inserts } = scripted([1062, 1062]);
    await expect(new MysqlChainStore(dataSource).append('t', batch('k'))).rejects.toMatchObject({ errno: 1062 });
    expect(inserts).toEqual([0, 1]);
  });
});

describe('MysqlChainStore group commit', () => {
  it('commits the calls waiting together in one transaction, their rows in one INSERT', async () => {
    const { dataSource, inserts, commits } = scripted([]);
    const groups: { calls: number; events: number }[] = [];
    const store = new MysqlChainStore(dataSource, { onGroup: (g) => groups.push(g) });
    const answers = await Promise.all([store.append('t', batch()), store.append('t', batch()), store.append('t', batch())]);
    expect(answers.map((a) => a.receipts[0].sequence)).toEqual([1, 2, 3]);
    expect(groups).toEqual([{ calls: 3, events: 3 }]);
    expect(inserts).toEqual([0]);
    expect(commits()).toBe(1);
  });

  it('fails only the call whose rows break a constraint; its neighbours commit after it', async () => {
    // The group's INSERT is refused (1048: a column cannot be null); redone call by call, in
    // savepoints, the second call's is.
    const { dataSource, inserts, commits } = scripted([1048, undefined, 1048]);
    const store = new MysqlChainStore(dataSource);
    const answers = await Promise.allSettled([store.append('t', batch()), store.append('t', batch()), store.append('t', batch())]);
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((answers[1] as PromiseRejectedResult).reason).toMatchObject({ errno: 1048 });
    // The third call takes the sequence the refused one did not use.
    expect((answers[2] as PromiseFulfilledResult<{ receipts: { sequence: number }[] }>).value.receipts[0].sequence).toBe(2);
    // One INSERT for the group, refused; then the three calls' INSERTs, in one other transaction.
    expect(inserts).toHaveLength(4);
    expect(new Set(inserts.slice(1)).size).toBe(1);
    expect(inserts[1]).not.toBe(inserts[0]);
    expect(commits()).toBe(1);
  });

  it('fails the whole group on a lock wait timeout past the budget (CHAIN_BUSY), nothing committed', async () => {
    // A real 1205 comes after DATABASE_LOCK_TIMEOUT_SECONDS, as long as the default budget: no time is left to retry.
    const { dataSource, commits } = scripted([1205]);
    const store = new MysqlChainStore(dataSource, { retry: { ...FAST, budgetMs: 0 } });
    const answers = await Promise.allSettled([store.append('t', batch()), store.append('t', batch())]);
    expect(answers.map((a) => (a.status === 'rejected' ? (a.reason as { code?: string }).code : a.status))).toEqual([
      'CHAIN_BUSY',
      'CHAIN_BUSY',
    ]);
    expect(commits()).toBe(0);
  });
});
