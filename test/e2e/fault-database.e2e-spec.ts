import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { databaseFaultOf } from '../../src/errors/database-error';
import { startOwnMariaDb, type OwnMariaDb } from '../helpers/own-services';
import { createTestEnvironment, eventInput, RECORD, VERIFY, type GraphQLResponse, type TestEnvironment } from '../helpers/test-environment';

/**
 * Database faults under a running server: a full SQLite file, and this test's own MariaDB killed
 * and frozen (never the machine's shared one). Every failure is a coded error with its HTTP status,
 * /readyz says the truth, the server recovers on its own, and no acknowledged event is lost.
 * The SQLite and MariaDB cases each pick their database, so the file runs the same under either
 * DATAPUNK_TEST_DATABASE.
 */
const readyz = async (env: TestEnvironment) => (await fetch(env.url.replace('/graphql', '/readyz'))).status;
const codeOf = (res: GraphQLResponse) => res.body.errors?.[0]?.extensions?.code;

/** Polls (bounded) until the server is ready again after a fault ends. */
async function untilReady(env: TestEnvironment): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if ((await readyz(env)) === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not become ready again');
}

/** Records one batch; returns the receipt ids when acknowledged, else the response. */
async function record(env: TestEnvironment, action: string, count: number, metadataBytes = 16) {
  const events = Array.from({ length: count }, (_, i) => eventInput({ action, metadata: { pad: 'x'.repeat(metadataBytes), i } }));
  const res = await env.gql(RECORD, { input: { events } });
  const ids: string[] = res.body.data?.recordAuditEvents?.receipts?.map((r: { id: string }) => r.id) ?? [];
  return { res, ids };
}

/** Every acknowledged event is stored, nothing else with this action is, and the chain verifies. */
async function expectNothingLost(env: TestEnvironment, action: string, acknowledged: string[]): Promise<void> {
  const rows = await env.sql<{ id: string }>('SELECT id FROM audit_event WHERE action = ?', [action]);
  expect(rows.map((r) => r.id).sort()).toEqual([...acknowledged].sort());
  const verified = await env.gql(VERIFY);
  expect(verified.body.data!.verifyAuditChain).toMatchObject({ valid: true, firstFailure: null });
}

/** Once the database is back: ready again, takes writes, and holds every acknowledged event on a valid chain. */
async function recoversWithNothingLost(env: TestEnvironment, action: string, acknowledged: string[]): Promise<void> {
  await untilReady(env);
  const after = await record(env, action, 20);
  expect(after.res.body.errors).toBeUndefined();
  await expectNothingLost(env, action, [...acknowledged, ...after.ids]);
}

describe('fault: SQLite disk full', () => {
  let env: TestEnvironment;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-full-'));
    env = await createTestEnvironment({ DATABASE_URL: `sqlite:${path.join(dir, 'full.sqlite')}` });
  });
  afterAll(async () => {
    await env?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers STORAGE_FULL with 507 and /readyz 503 while full, loses nothing acknowledged, and recovers when space returns', async () => {
    const action = 'fault.disk_full';
    const acknowledged: string[] = [];
    const first = await record(env, action, 10);
    expect(first.res.body.errors).toBeUndefined();
    acknowledged.push(...first.ids);
    expect(await readyz(env)).toBe(200);

    // The file may not grow past what it has now: the server's own connection runs out of pages.
    const [{ page_count: pages }] = await env.sql<{ page_count: number }>('PRAGMA page_count');
    await env.sql(`PRAGMA max_page_count = ${pages}`);
    let refused: GraphQLResponse | null = null;
    for (let attempt = 0; attempt < 200 && !refused; attempt += 1) {
      const { res, ids } = await record(env, action, 50, 4000);
      if (res.body.errors) refused = res;
      else acknowledged.push(...ids);
    }
    expect(refused).not.toBeNull();
    expect({ status: refused!.status, errors: refused!.body.errors }).toMatchObject({
      status: 507,
      errors: [{ extensions: { code: 'STORAGE_FULL' } }],
    });
    expect(refused!.body.data?.recordAuditEvents ?? null).toBeNull();
    expect(await readyz(env)).toBe(503);
    // Reads still work on a full disk.
    expect((await env.gql('{ auditEvents(first: 1) { totalCount } }')).body.errors).toBeUndefined();

    await env.sql('PRAGMA max_page_count = 1073741823');
    expect(await readyz(env)).toBe(200);
    const after = await record(env, action, 10, 4000);
    expect(after.res.body.errors).toBeUndefined();
    acknowledged.push(...after.ids);
    await expectNothingLost(env, action, acknowledged);
  });
});

describe('fault: own MariaDB killed, frozen, and its sql_mode changed', () => {
  let db: OwnMariaDb;
  let env: TestEnvironment;
  let database: string;
  const admin = () => createConnection({ host: '127.0.0.1', port: db.port, user: 'root', database, connectTimeout: 2000 });

  beforeAll(async () => {
    db = await startOwnMariaDb();
    const url = await db.createDatabase();
    database = new URL(url).pathname.slice(1);
    env = await createTestEnvironment({
      DATABASE_URL: url,
      DATABASE_CONNECT_TIMEOUT_SECONDS: '1',
      DATABASE_STATEMENT_TIMEOUT_SECONDS: '2',
      DATABASE_LOCK_TIMEOUT_SECONDS: '2',
    });
  });
  afterAll(async () => {
    db?.thaw();
    await env?.close().catch(() => undefined);
    await db?.close();
  });

  it('killed: DATABASE_UNAVAILABLE with 503 and Retry-After for writes, reads and the key lookup; /readyz 503; recovers after restart', async () => {
    const action = 'fault.mariadb_killed';
    const acknowledged: string[] = [];
    const first = await record(env, action, 20);
    expect(first.res.body.errors).toBeUndefined();
    acknowledged.push(...first.ids);

    await db.kill();
    const write = await record(env, action, 20);
    expect(write.res.status).toBe(503);
    expect(codeOf(write.res)).toBe('DATABASE_UNAVAILABLE');
    expect(write.res.headers.get('retry-after')).toMatch(/^\d+$/);
    const read = await env.gql('{ auditEvents(first: 5) { totalCount } }');
    expect(read.status).toBe(503);
    expect(codeOf(read)).toBe('DATABASE_UNAVAILABLE');
    // An unknown key is looked up in the database too: the lookup's failure is coded, not a bare 500.
    const lookup = await env.gql('{ auditEvents(first: 1) { totalCount } }', {}, 'dpa_unknown_key_0123456789abcdef');
    expect(lookup.status).toBe(503);
    expect(codeOf(lookup)).toBe('DATABASE_UNAVAILABLE');
    expect(await readyz(env)).toBe(503);

    await db.restart();
    await recoversWithNothingLost(env, action, acknowledged);
  });

  it('frozen (SIGSTOP): a coded error instead of a hang, /readyz 503; recovers after thaw', async () => {
    const action = 'fault.mariadb_frozen';
    const acknowledged: string[] = [];
    const first = await record(env, action, 20);
    expect(first.res.body.errors).toBeUndefined();
    acknowledged.push(...first.ids);

    db.freeze();
    try {
      // The server cannot enforce max_statement_time while frozen: the client-side limits answer.
      const write = await record(env, action, 20);
      expect(write.res.status).toBe(503);
      expect(['DATABASE_UNAVAILABLE', 'QUERY_TIMEOUT']).toContain(codeOf(write.res));
      expect(await readyz(env)).toBe(503);
      const read = await env.gql('{ auditEvents(first: 5) { totalCount } }');
      expect(read.status).toBe(503);
      expect(['DATABASE_UNAVAILABLE', 'QUERY_TIMEOUT']).toContain(codeOf(read));
    } finally {
      db.thaw();
    }
    await recoversWithNothingLost(env, action, acknowledged);
  });

  it('stops a statement past DATABASE_STATEMENT_TIMEOUT_SECONDS on the server (errno 1969), which maps to QUERY_TIMEOUT', async () => {
    // max_statement_time is set on every pooled session; a cross join of sequences runs far longer.
    const error = await env.app.dataSource
      .query('SELECT COUNT(*) AS n FROM seq_1_to_1000000000 a, seq_1_to_1000 b')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ errno: 1969 });
    expect(databaseFaultOf(error)).toMatchObject({ code: 'QUERY_TIMEOUT' });
  });

  it('keeps backslash escaping correct on new pooled connections after GLOBAL sql_mode gains NO_BACKSLASH_ESCAPES', async () => {
    const control = await admin();
    const [[{ mode: original }]] = (await control.query('SELECT @@GLOBAL.sql_mode AS mode')) as unknown as [{ mode: string }[]];
    await control.query("SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES')");
    try {
      // Drop every connection the server holds, so the pool must open new ones under the new GLOBAL mode.
      const [others] = (await control.query('SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()', [
        database,
      ])) as unknown as [{ id: number }[]];
      for (const { id } of others) await control.query(`KILL CONNECTION ${Number(id)}`).catch(() => undefined);
      await untilReady(env);
      const sessions = await env.app.dataSource.query('SELECT @@GLOBAL.sql_mode AS global_mode, @@SESSION.sql_mode AS session_mode');
      expect(sessions[0].global_mode).toContain('NO_BACKSLASH_ESCAPES');
      expect(sessions[0].session_mode).not.toContain('NO_BACKSLASH_ESCAPES');

      const hostile = `a\\'b"c\\\\d\\nq' OR '1'='1 \\`;
      const res = await env.gql(RECORD, {
        input: {
          events: [eventInput({ action: 'fault.sql_mode', resource: { type: 'doc', id: 'd-1', name: hostile }, metadata: { hostile } })],
        },
      });
      expect(res.body.errors).toBeUndefined();
      const id = res.body.data!.recordAuditEvents.receipts[0].id;
      const read = await env.gql(`query E($id: String!) { auditEvent(id: $id) { resource { name } metadata } }`, { id });
      expect(read.body.data!.auditEvent).toEqual({ resource: { name: hostile }, metadata: { hostile } });
      // Stored exactly, as another client (with its own session) sees it.
      const [rows] = (await control.query('SELECT resource_name FROM audit_event WHERE id = ?', [id])) as unknown as [
        { resource_name: string }[],
      ];
      expect(rows[0].resource_name).toBe(hostile);
      expect((await env.gql(VERIFY)).body.data!.verifyAuditChain.valid).toBe(true);
    } finally {
      await control.query('SET GLOBAL sql_mode = ?', [original]);
      await control.end();
    }
  });
});

describe('fault: own MariaDB frozen, with the default timeouts', () => {
  let db: OwnMariaDb;
  let env: TestEnvironment;
  const admin = () => createConnection({ host: '127.0.0.1', port: db.port, user: 'root', connectTimeout: 2000 });

  beforeAll(async () => {
    db = await startOwnMariaDb();
    // No DATABASE_*_TIMEOUT_SECONDS: the statement limit (60 s) plus the connect timeout (5 s) is the
    // backstop; the liveness watchdog has to answer long before it.
    env = await createTestEnvironment({ DATABASE_URL: await db.createDatabase() });
  });
  afterAll(async () => {
    db?.thaw();
    await env?.close().catch(() => undefined);
    await db?.close();
  });

  it('lets a long statement on a live server run while the watchdog pings it', async () => {
    const control = await admin();
    try {
      const connections = async () => {
        const [rows] = (await control.query("SHOW GLOBAL STATUS LIKE 'Connections'")) as unknown as [{ Value: string }[]];
        return Number(rows[0].Value);
      };
      await env.app.dataSource.query('SELECT 1'); // a pooled connection is open and free
      const before = await connections();
      const [row] = await env.app.dataSource.query('SELECT SLEEP(6) AS interrupted');
      expect(Number(row.interrupted)).toBe(0);
      // The watchdog's pings come on connections of their own.
      expect(await connections()).toBeGreaterThan(before);
    } finally {
      await control.end();
    }
  });

  it('frozen (SIGSTOP): DATABASE_UNAVAILABLE long before the statement timeout, for queries already sent and sent after; /readyz 503; recovers after thaw', async () => {
    const action = 'fault.mariadb_frozen_defaults';
    const acknowledged: string[] = [];
    const first = await record(env, action, 20);
    expect(first.res.body.errors).toBeUndefined();
    acknowledged.push(...first.ids);

    // A statement already running on the server when it freezes.
    const running = env.app.dataSource.query('SELECT SLEEP(30)').catch((e: unknown) => e);
    const control = await admin();
    try {
      for (let attempt = 0; attempt < 100; attempt += 1) {
        const [rows] = (await control.query(
          "SELECT id FROM information_schema.processlist WHERE info = 'SELECT SLEEP(30)'",
        )) as unknown as [unknown[]];
        if (rows.length) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await control.end();
    }

    db.freeze();
    const frozenAt = Date.now();
    try {
      const [stalled, write, read] = await Promise.all([
        running,
        record(env, action, 20),
        env.gql('{ auditEvents(first: 5) { totalCount } }'),
      ]);
      // Statement timeout + connect timeout (65 s) is what the backstop alone would take; the watchdog needs about 9 s, the ceiling leaves a loaded machine room.
      expect(Date.now() - frozenAt).toBeLessThan(30_000);
      expect(databaseFaultOf(stalled)?.code).toBe('DATABASE_UNAVAILABLE');
      for (const res of [write.res, read]) {
        expect(res.status).toBe(503);
        expect(codeOf(res)).toBe('DATABASE_UNAVAILABLE');
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      }
      const probedAt = Date.now();
      expect(await readyz(env)).toBe(503);
      expect(Date.now() - probedAt).toBeLessThan(5_000);
      // While the server stays silent, a new request is refused without waiting for a timeout.
      const later = await record(env, action, 5);
      expect(later.res.status).toBe(503);
      expect(codeOf(later.res)).toBe('DATABASE_UNAVAILABLE');
      expect(Date.now() - frozenAt).toBeLessThan(35_000);
    } finally {
      db.thaw();
    }
    await recoversWithNothingLost(env, action, acknowledged);
  });
});
