import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { startOwnMariaDb, type OwnMariaDb } from '../helpers/own-services';
import { createTestEnvironment, eventInput, RECORD, type TestEnvironment } from '../helpers/test-environment';

// Process lifecycle under faults: SIGTERM while keep-alive clients keep sending (no request that
// was sent is reset), and SIGTERM while the database hangs (the process still exits).

interface Outcome {
  status?: number;
  /** Error code of a request that got no answer. */
  error?: string;
  /** The receipt ids of an acknowledged write. */
  written?: string[];
}

const exitOf = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });

/** One POST on `agent`; the answer's status (and receipts), or the error that replaced it. */
function send(url: string, agent: http.Agent, key: string, body: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          const outcome: Outcome = { status: res.statusCode };
          if (res.statusCode === 200) {
            const receipts = (JSON.parse(text) as { data?: { recordAuditEvents?: { receipts: { id: string }[] } } }).data?.recordAuditEvents
              ?.receipts;
            if (receipts) outcome.written = receipts.map((r) => r.id);
          }
          resolve(outcome);
        });
        res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end(body);
  });
}

describe('fault: SIGTERM while keep-alive clients keep sending', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env.close());

  it('answers every request that was sent (200 or 503), resets none, loses no acknowledged event, and exits 0', async () => {
    const server = await env.spawnServer({ SHUTDOWN_TIMEOUT_SECONDS: '20' });
    const exited = exitOf(server.process);
    const CLIENTS = 8;
    const outcomes: Outcome[] = [];
    let warm = 0;
    let warmed!: () => void;
    const allWarm = new Promise<void>((resolve) => (warmed = resolve));

    // Each client: one keep-alive socket, requests back to back, alternating writes and reads, until
    // a connection is refused (the listener is closed: nothing was sent) or the process is gone.
    const client = async (n: number) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      let i = 0;
      let counted = false;
      try {
        for (;;) {
          i += 1;
          const body =
            i % 2
              ? JSON.stringify({
                  query: RECORD,
                  variables: { input: { events: [eventInput({ action: 'lifecycle.write', metadata: { n, i } })] } },
                })
              : JSON.stringify({ query: '{ viewer { role } }' });
          const outcome = await send(server.url, agent, env.adminKey, body);
          if (outcome.error === 'ECONNREFUSED') return;
          outcomes.push(outcome);
          if (outcome.error) return;
          if (!counted && i >= 4) {
            counted = true;
            warm += 1;
            if (warm === CLIENTS) warmed();
          }
        }
      } finally {
        agent.destroy();
      }
    };
    const clients = Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    await allWarm;
    server.process.kill('SIGTERM');
    await clients;

    const errors = outcomes.filter((o) => o.error).map((o) => o.error);
    expect(errors).toEqual([]);
    const statuses = new Set(outcomes.map((o) => o.status));
    expect([...statuses].filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(statuses.has(200)).toBe(true);
    expect(await exited).toEqual({ code: 0, signal: null });

    // Every acknowledged write is stored.
    const acknowledged = outcomes.flatMap((o) => o.written ?? []);
    expect(acknowledged.length).toBeGreaterThanOrEqual(CLIENTS * 2);
    const stored = new Set(
      (await env.sql<{ id: string }>("SELECT id FROM audit_event WHERE action = 'lifecycle.write'")).map((r) => String(r.id)),
    );
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  });
});

describe('fault: SIGTERM while the database hangs (own MariaDB, frozen)', () => {
  let db: OwnMariaDb;
  let env: TestEnvironment;
  const SHUTDOWN_TIMEOUT_SECONDS = 4;

  beforeAll(async () => {
    db = await startOwnMariaDb();
    // The in-process environment runs the migrations; the spawned server under test shares the database.
    env = await createTestEnvironment({ DATABASE_URL: await db.createDatabase() });
  });
  afterAll(async () => {
    db?.thaw();
    await env?.close();
    await db?.close();
  });

  it(`exits on its own within SHUTDOWN_TIMEOUT_SECONDS (+ a generous margin), with a request hanging on the database`, async () => {
    const server = await env.spawnServer({ SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS) });
    const exited = exitOf(server.process);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // Warm: the server answers while the database does.
      expect((await send(server.url, agent, env.adminKey, JSON.stringify({ query: '{ viewer { role } }' }))).status).toBe(200);
      db.freeze();
      // A request that now hangs on the database (its key lookup never returns): sent, then SIGTERM.
      const hanging = new Promise<Outcome>((resolve) => {
        const body = JSON.stringify({ query: '{ auditEvents(first: 1) { totalCount } }' });
        const req = http.request(
          server.url,
          { method: 'POST', agent, headers: { authorization: `Bearer ${env.adminKey}`, 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode }));
            res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code }));
          },
        );
        req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code }));
        req.on('finish', () => server.process.kill('SIGTERM'));
        req.end(body);
      });
      // Generous: a busy machine may be slow, but a process that never exits fails here.
      const bound = new Promise<'still running'>((resolve) =>
        setTimeout(() => resolve('still running'), (SHUTDOWN_TIMEOUT_SECONDS + 30) * 1000).unref(),
      );
      const result = await Promise.race([exited, bound]);
      if (result === 'still running') server.process.kill('SIGKILL');
      expect(result).not.toBe('still running');
      // It ended itself (no signal): 1, as documented, because the database could not be closed cleanly.
      expect(result).toMatchObject({ signal: null });
      expect([0, 1]).toContain((result as { code: number }).code);
      await hanging;
    } finally {
      agent.destroy();
      db.thaw();
    }
  }, 90_000);
});
