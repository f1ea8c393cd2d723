import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { SqliteReader } from './sqlite-reader';

/** Never ends on its own: only stopping the reader ends it. */
const ENDLESS = { text: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) AS n FROM c', params: [] };

describe('SqliteReader', () => {
  let dir: string;
  let file: string;
  let writer: Database.Database;
  let reader: SqliteReader;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-reader-'));
    file = path.join(dir, 'db.sqlite');
    writer = new Database(file);
    writer.pragma('journal_mode = WAL');
    writer.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t (name) VALUES ('a'), ('b');");
  });
  beforeEach(() => {
    reader = new SqliteReader({ file, timeoutMs: 30_000, size: 1 });
  });
  afterEach(async () => {
    await reader.close();
  });
  afterAll(() => {
    writer.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs several statements in one read transaction, with bound values and REGEXP', async () => {
    const results = await reader.read([
      { text: 'SELECT name FROM t WHERE id = ?', params: [2] },
      { text: "SELECT COUNT(*) AS n FROM t WHERE name REGEXP '^[ab]$'", params: [] },
    ]);
    expect(results).toEqual([[{ name: 'b' }], [{ n: 2 }]]);
  });

  it('sees what the writer committed before the read', async () => {
    writer.prepare("INSERT INTO t (name) VALUES ('c')").run();
    const [[row]] = await reader.read([{ text: 'SELECT COUNT(*) AS n FROM t', params: [] }]);
    expect(row).toEqual({ n: 3 });
    writer.prepare("DELETE FROM t WHERE name = 'c'").run();
  });

  it('keeps the event loop free while a statement runs', async () => {
    let settled = false;
    const running = reader.read([ENDLESS], { timeoutMs: 1000 }).finally(() => (settled = true));
    running.catch(() => undefined);
    // Several turns of the event loop pass while the endless statement is running elsewhere.
    for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    await expect(running).rejects.toMatchObject({ code: ErrorCode.QUERY_TIMEOUT });
  });

  it('stops a statement past the timeout with QUERY_TIMEOUT, and the next read gets a fresh reader', async () => {
    await reader.read([{ text: 'SELECT 1 AS one', params: [] }]);
    const [before] = reader.pids;
    const error = await reader.read([ENDLESS], { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe(ErrorCode.QUERY_TIMEOUT);
    expect((error as AppError).extensions).toMatchObject({ code: 'QUERY_TIMEOUT', http: { status: 503 } });
    // The stopped process is gone (reaped), not left computing.
    expect(() => process.kill(before, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(await reader.read([{ text: 'SELECT COUNT(*) AS n FROM t', params: [] }])).toEqual([[{ n: 2 }]]);
    expect(reader.pids).toHaveLength(1);
    expect(reader.pids[0]).not.toBe(before);
  });

  it('reports a failing statement and goes on reading', async () => {
    // The driver's code comes along, so database faults keep their coded answer.
    await expect(reader.read([{ text: 'SELECT nope FROM t', params: [] }])).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    expect(await reader.read([{ text: 'SELECT 2 AS two', params: [] }])).toEqual([[{ two: 2 }]]);
  });

  it('queues reads beyond its size and refuses them once closed', async () => {
    const all = await Promise.all([1, 2, 3].map((n) => reader.read([{ text: 'SELECT ? AS n', params: [n] }])));
    expect(all.map(([[row]]) => row)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    await reader.close();
    await expect(reader.read([{ text: 'SELECT 1', params: [] }])).rejects.toMatchObject({ code: ErrorCode.SERVICE_UNAVAILABLE });
  });
});
