import { createDataSource } from './data-source';
import { databaseFaultOf } from '../errors/database-error';
import { sessionStatement } from './mysql-driver';

const SERVER = process.env.DATAPUNK_TEST_MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306';

describe('sessionStatement', () => {
  it('drops NO_BACKSLASH_ESCAPES from the server mode and sets the limits (MariaDB and MySQL spellings)', () => {
    const maria = sessionStatement('mariadb', { connectMs: 1000, statementMs: 2500, lockMs: 7000 });
    expect(maria).toContain("',NO_BACKSLASH_ESCAPES,'");
    expect(maria).toContain('max_statement_time = 2.500');
    expect(maria).toContain('innodb_lock_wait_timeout = 7');
    expect(sessionStatement('mysql', { connectMs: 1000, statementMs: 2500, lockMs: 7000 })).toContain('max_execution_time = 2500');
  });
});

describe('guarded mysql2 pool (shared MariaDB, read-only use)', () => {
  const dataSource = createDataSource({
    database: { dialect: 'mariadb', location: `${SERVER.replace(/\/$/, '')}/information_schema` },
    poolSize: 1,
    timeouts: { connectMs: 300, statementMs: 4000, lockMs: 3000 },
  });
  beforeAll(() => dataSource.initialize());
  afterAll(() => dataSource.destroy());

  it('sets the statement and lock limits on every pooled session', async () => {
    const [row] = await dataSource.query(
      'SELECT @@SESSION.max_statement_time AS statement, @@SESSION.innodb_lock_wait_timeout AS lock_wait, @@SESSION.sql_mode AS mode',
    );
    expect(Number(row.statement)).toBe(4);
    expect(Number(row.lock_wait)).toBe(3);
    expect(row.mode).not.toContain('NO_BACKSLASH_ESCAPES');
  });

  it('fails a caller that waits past the connect timeout for a free connection, instead of queueing it for ever', async () => {
    const holder = dataSource.createQueryRunner();
    await holder.connect(); // the pool's only connection
    try {
      const error = await dataSource.query('SELECT 1').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'POOL_ACQUIRE_TIMEOUT' });
      expect(databaseFaultOf(error)?.code).toBe('DATABASE_UNAVAILABLE');
    } finally {
      await holder.release();
    }
    // The connection that came free is handed out again.
    expect(await dataSource.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });
});
