import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { createTestEnvironment, eventInput, RECORD, REPO_ROOT, type TestEnvironment, VERIFY } from '../helpers/test-environment';
import { node } from '../helpers/third-party-project';
import { createDataSource } from '../../src/database/data-source';
import { withoutCausalityCheck } from '../../src/database/mysql-driver';
import { MysqlChainStore } from '../../src/chain/chain-store';
import { prepareEvents } from '../../src/ingest/event-validation';

/**
 * The server on a MariaDB Galera cluster pointed at every node at once (issue 14, ADR 0054): the
 * "misconfigured" topology, where appends of one tenant through different nodes are certified
 * against each other. Runs when DATAPUNK_TEST_GALERA_NODES names the nodes (comma-separated
 * mariadb:// URLs of a running cluster, root without a database, e.g.
 * `mariadb://root@127.0.0.1:3321,mariadb://root@127.0.0.1:3322,mariadb://root@127.0.0.1:3323`);
 * skipped otherwise. Each server here talks to one node; the test database is made on the first.
 */
const NODES = (process.env.DATAPUNK_TEST_GALERA_NODES ?? '')
  .split(',')
  .map((u) => u.trim())
  .filter(Boolean);
const describeCluster = NODES.length >= 2 ? describe : describe.skip;

type Server = Awaited<ReturnType<TestEnvironment['spawnServer']>>;

interface Tally {
  requests: number;
  ok: number;
  chainBusy: number;
  /** Any other answer: a status or code a client could not simply retry. */
  other: string[];
  acknowledged: { id: string; sequence: number }[];
}

const nodeUrl = (server: string, database: string) => {
  const u = new URL(server);
  u.pathname = `/${database}`;
  return u.toString();
};

async function post(url: string, key: string, query: string, variables: Record<string, unknown>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
}

/**
 * One client: `batches` batches of `size` events through `url`, each retried with its idempotency
 * keys while the server answers CHAIN_BUSY (503, as a client told Retry-After would; the pause is
 * short so that the run stays short). Counts every answer.
 */
async function client(url: string, key: string, batches: number, size: number, tally: Tally): Promise<void> {
  for (let b = 0; b < batches; b += 1) {
    const events = Array.from({ length: size }, () => eventInput({ idempotencyKey: randomUUID() }));
    for (let tries = 0; ; tries += 1) {
      tally.requests += 1;
      const { status, retryAfter, body } = await post(url, key, RECORD, { input: { events } });
      const code = body.errors?.[0]?.extensions?.code;
      if (status === 200 && !body.errors) {
        tally.ok += 1;
        for (const r of body.data.recordAuditEvents.receipts) tally.acknowledged.push({ id: r.id, sequence: r.sequence });
        break;
      }
      if (status === 503 && code === 'CHAIN_BUSY' && retryAfter && tries < 20) {
        tally.chainBusy += 1;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
        continue;
      }
      tally.other.push(`${status} ${code ?? ''}`);
      break;
    }
  }
}

const newTally = (): Tally => ({ requests: 0, ok: 0, chainBusy: 0, other: [], acknowledged: [] });

describeCluster('Galera cluster, a server on each node (ADR 0054)', () => {
  const database = `dpa_galera_${randomBytes(5).toString('hex')}`;
  let env: TestEnvironment;
  const servers: Server[] = [];
  /** The GraphQL URL of the server on each node (the first is env's own). */
  const urls: string[] = [];

  beforeAll(async () => {
    const first = new URL(NODES[0]);
    const admin = await createConnection({
      host: first.hostname,
      port: Number(first.port || 3306),
      user: decodeURIComponent(first.username) || 'root',
    });
    await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
    await admin.end();
    env = await createTestEnvironment({ DATABASE_URL: nodeUrl(NODES[0], database) });
    urls.push(env.url);
    for (const n of NODES.slice(1)) {
      const server = await env.spawnServer({ DATABASE_URL: nodeUrl(n, database) });
      servers.push(server);
      urls.push(server.url);
    }
  }, 120_000);

  afterAll(async () => {
    for (const s of servers) await s.stop();
    await env?.close();
    const first = new URL(NODES[0]);
    const admin = await createConnection({
      host: first.hostname,
      port: Number(first.port || 3306),
      user: decodeURIComponent(first.username) || 'root',
    });
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
  });

  it('sets wsrep_sync_wait on the pooled sessions of a Galera node', async () => {
    const [row] = await env.sql<{ on: unknown; wait: unknown }>('SELECT @@wsrep_on AS `on`, @@SESSION.wsrep_sync_wait AS wait');
    expect(Number(row.on)).toBe(1);
    expect(Number(row.wait)).toBe(1);
  });

  it('hands a caller that asks a session without the causality check, and the next caller of that connection the check again', async () => {
    // One pooled connection, so that both callers get the same session.
    const ds = createDataSource({ database: { dialect: 'mariadb', location: nodeUrl(NODES[0], database) }, poolSize: 1 });
    await ds.initialize();
    const session = 'SELECT @@SESSION.wsrep_sync_wait AS wait, CONNECTION_ID() AS id';
    try {
      const runner = ds.createQueryRunner('master');
      await withoutCausalityCheck(() => runner.connect());
      const [inside] = (await runner.query(session)) as { wait: unknown; id: unknown }[];
      await runner.release();
      const [after] = await ds.query<{ wait: unknown; id: unknown }[]>(session);
      expect({ inside: Number(inside.wait), after: Number(after.wait) }).toEqual({ inside: 0, after: 1 });
      expect(after.id).toBe(inside.id);
    } finally {
      await ds.destroy();
    }
  });

  it('runs the append transaction without the causality check (ADR 0054): two SETs more than the same transaction with it', async () => {
    const ds = createDataSource({ database: { dialect: 'mariadb', location: nodeUrl(NODES[0], database) }, poolSize: 1 });
    await ds.initialize();
    // SET statements of the one pooled session: the append's own (its isolation level) and the
    // driver's (causality off for it, back on for the next caller, who reads the count).
    const sets = async () => Number((await ds.query<{ Value: string }[]>("SHOW SESSION STATUS LIKE 'Com_set_option'"))[0].Value);
    try {
      const limits = { maxStringLength: 1024, maxMetadataBytes: 16384, maxOccurredAtAgeMs: 1e12, maxClockSkewMs: 1e6 };
      const store = new MysqlChainStore(ds);
      const append = () => store.append('causality', prepareEvents([eventInput()] as never, limits));
      await append(); // the tenant's head row exists from here on
      const plain = async () => {
        const runner = ds.createQueryRunner('master');
        await runner.connect();
        await runner.startTransaction('READ COMMITTED');
        await runner.query("SELECT sequence FROM chain_head WHERE tenant_id = 'causality' FOR UPDATE");
        await runner.commitTransaction();
        await runner.release();
      };
      const start = await sets();
      await plain();
      const afterPlain = await sets();
      await append();
      const afterAppend = await sets();
      expect(afterAppend - afterPlain - (afterPlain - start)).toBe(2);
    } finally {
      await ds.destroy();
    }
  });

  it('six clients writing one tenant through every node: ≤ 1 % CHAIN_BUSY, no other error, gapless, the chain valid everywhere', async () => {
    // All through one node first (the supported topology's load), then spread: the figures ADR 0054 quotes.
    const single = newTally();
    let started = performance.now();
    await Promise.all(Array.from({ length: 6 }, () => client(urls[0], env.adminKey, 25, 20, single)));
    const singleSeconds = (performance.now() - started) / 1000;
    expect(single.other).toEqual([]);
    const tally = newTally();
    started = performance.now();
    await Promise.all(Array.from({ length: 6 }, (_, i) => client(urls[i % urls.length], env.adminKey, 25, 20, tally)));
    const spreadSeconds = (performance.now() - started) / 1000;
    let retries = 0;
    for (const url of urls) {
      const text = await (await fetch(new URL('/metrics', url))).text();
      for (const m of text.matchAll(/^datapunk_database_retries_total\{kind="conflict"\} (\d+)/gm)) retries += Number(m[1]);
    }
    process.stdout.write(
      `galera one node: ${single.requests} requests, ${single.chainBusy} CHAIN_BUSY, ${(single.acknowledged.length / singleSeconds).toFixed(0)} events/s; ` +
        `spread: ${tally.requests} requests, ${tally.chainBusy} CHAIN_BUSY (${((100 * tally.chainBusy) / tally.requests).toFixed(2)} %), ` +
        `${(tally.acknowledged.length / spreadSeconds).toFixed(0)} events/s (${(singleSeconds / spreadSeconds).toFixed(2)}x); ` +
        `server retries after conflicts, both runs: ${retries}\n`,
    );
    expect(tally.other).toEqual([]);
    expect(tally.ok).toBe(6 * 25);
    expect(tally.chainBusy / tally.requests).toBeLessThanOrEqual(0.01);
    // Every acknowledged event once, sequences 1..n without a gap, the same rows on every node.
    const sequences = [...single.acknowledged, ...tally.acknowledged].map((a) => a.sequence).sort((a, b) => a - b);
    expect(new Set(sequences).size).toBe(sequences.length);
    for (const url of urls) {
      const verified = await post(url, env.adminKey, VERIFY, {});
      expect(verified.body.errors).toBeUndefined();
      expect(verified.body.data.verifyAuditChain).toMatchObject({ valid: true });
    }
    for (const n of NODES) {
      const c = await createConnection({ uri: nodeUrl(n, database) });
      await c.query('SET SESSION wsrep_sync_wait = 1');
      const [rows] = (await c.query(
        "SELECT COUNT(*) AS n, MIN(sequence) AS lo, MAX(sequence) AS hi FROM audit_event WHERE tenant_id = 'default' AND action NOT LIKE 'datapunk.%'",
      )) as any[];
      const [all] = (await c.query("SELECT COUNT(*) AS n, MAX(sequence) AS hi FROM audit_event WHERE tenant_id = 'default'")) as any[];
      await c.end();
      expect(Number(rows[0].n)).toBe(sequences.length);
      expect(Number(all[0].n)).toBe(Number(all[0].hi)); // gapless, the server's own events included
    }
  }, 600_000);

  it('an event acknowledged through one node is read at once through another', async () => {
    // Batches of 200 events: a large write set takes the other nodes longest to apply.
    const missing: string[] = [];
    for (let i = 0; i < 60; i += 1) {
      const writer = urls[i % urls.length];
      const reader = urls[(i + 1) % urls.length];
      const events = Array.from({ length: 200 }, () => eventInput());
      const written = await post(writer, env.adminKey, RECORD, { input: { events } });
      expect(written.status).toBe(200);
      const id = written.body.data.recordAuditEvents.receipts.at(-1).id as string;
      const read = await post(reader, env.adminKey, 'query E($id: String!) { auditEvent(id: $id) { id } }', { id });
      if (read.body.data?.auditEvent?.id !== id) missing.push(id);
    }
    expect(missing).toEqual([]);
  }, 300_000);

  it('rebuild-rollup through one node succeeds beside appends through another', async () => {
    const tally = newTally();
    let writing = true;
    const writer = (async () => {
      while (writing) await client(urls[1], env.adminKey, 1, 10, tally);
    })();
    try {
      await new Promise((r) => setTimeout(r, 500));
      const cli = path.join(REPO_ROOT, 'dist/src/cli.js');
      const runs = [];
      for (let i = 0; i < 3; i += 1) {
        runs.push(
          await node([cli, 'rebuild-rollup', '--tenant', 'default'], REPO_ROOT, {
            ...env.env,
            DATABASE_URL: nodeUrl(NODES[NODES.length - 1], database),
          }),
        );
      }
      for (const run of runs) expect({ code: run.code, stderr: run.stderr.slice(0, 2000) }).toEqual({ code: 0, stderr: '' });
    } finally {
      writing = false;
      await writer;
    }
    expect(tally.other).toEqual([]);
    // The rollup counts every event exactly once: assessments read it, and check it against the chain.
    const c = await createConnection({ uri: nodeUrl(NODES[0], database) });
    await c.query('SET SESSION wsrep_sync_wait = 1');
    const [[events]] = (await c.query("SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = 'default'")) as any[];
    const [[rollup]] = (await c.query("SELECT SUM(event_count) AS n FROM audit_event_rollup WHERE tenant_id = 'default'")) as any[];
    await c.end();
    expect(Number(rollup.n)).toBe(Number(events.n));
  }, 300_000);
});
