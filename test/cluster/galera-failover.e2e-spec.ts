/**
 * Failover of the single writer of a Galera cluster behind HAProxy (issue 14, ADR 0055).
 *
 * Runs when the cluster of `scripts/galera-cluster.sh up` is there: DATAPUNK_TEST_GALERA_NODES,
 * DATAPUNK_TEST_GALERA_PROXY and DATAPUNK_TEST_GALERA_DIR as the script prints them (`.ci/run`
 * sets them, and fails when this file did not run). Two service processes on one database through
 * the proxy, six clients appending to one tenant; the writer node is killed (SIGKILL) mid-load. Then:
 * every acknowledged event is stored once, sequences are gapless, the chain is valid through both
 * service nodes and `verify-chain`, clients saw only retryable answers (HTTP 503 with a retryable
 * code) during the switch, both service nodes append again without a restart, and the killed node
 * rejoins with the same rows. Nothing waits on a clock: every wait is on a condition, with a
 * generous bound.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createConnection, type Connection } from 'mysql2/promise';
import { createTestEnvironment, eventInput, RECORD, REPO_ROOT, type TestEnvironment, VERIFY } from '../helpers/test-environment';

const NODES = (process.env.DATAPUNK_TEST_GALERA_NODES ?? '').split(',').filter(Boolean);
const PROXY = process.env.DATAPUNK_TEST_GALERA_PROXY ?? '';
const CLUSTER_DIR = process.env.DATAPUNK_TEST_GALERA_DIR ?? '';
const SCRIPT = path.join(REPO_ROOT, 'scripts/galera-cluster.sh');
const describeCluster = NODES.length >= 3 && PROXY && CLUSTER_DIR ? describe : describe.skip;

/** The answers a client may retry: the batch was not written, or resending it with its keys is safe. */
const RETRYABLE = new Set(['DATABASE_UNAVAILABLE', 'CHAIN_BUSY', 'QUERY_TIMEOUT', 'SERVICE_UNAVAILABLE']);
const CLIENTS = 6;
const BATCH = 20;

interface Receipt {
  id: string;
  sequence: number;
  hash: string;
  chainHash: string;
  idempotencyKey: string;
}

interface Answer {
  client: number;
  status: number;
  code: string | null;
  afterKill: boolean;
}

function cluster(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(SCRIPT, args, { env: { ...process.env, GALERA_DIR: CLUSTER_DIR }, timeout: 240_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`galera-cluster.sh ${args.join(' ')}: ${error.message} ${stderr}`)) : resolve(stdout.trim()),
    ),
  );
}

function verifyChainCli(env: TestEnvironment): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      [path.join(REPO_ROOT, 'dist/src/cli.js'), 'verify-chain', '--tenant', 'default', '--json'],
      { env: { ...process.env, ...env.env, LOG_LEVEL: 'silent' }, timeout: 120_000 },
      (error, stdout) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout }),
    ),
  );
}

async function until(what: string, check: () => boolean | Promise<boolean>, boundMs = 180_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${boundMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function connectTo(url: string, database: string): Promise<Connection> {
  const u = new URL(url);
  return createConnection({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username) || 'root', database });
}

describeCluster('Galera: the writer node killed under load', () => {
  let env: TestEnvironment;
  let second: Awaited<ReturnType<TestEnvironment['spawnServer']>>;
  let database: string;
  let killed = 0;

  beforeAll(async () => {
    database = `dpa_failover_${randomBytes(6).toString('hex')}`;
    const admin = await connectTo(PROXY, 'mysql');
    await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
    await admin.end();
    const url = new URL(PROXY);
    url.pathname = `/${database}`;
    env = await createTestEnvironment({ DATABASE_URL: url.toString() });
    second = await env.spawnServer();
  }, 120_000);

  afterAll(async () => {
    await second?.stop();
    await env?.close();
    if (killed) await cluster('start-node', String(killed)).catch(() => undefined);
    const admin = await connectTo(PROXY, 'mysql');
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
  }, 300_000);

  it('loses no acknowledged event, keeps one gapless valid chain, answers only retryable errors, recovers without a restart; the node rejoins', async () => {
    const servers = [env.url, second.url];
    const acked: Receipt[][] = Array.from({ length: CLIENTS }, () => []);
    const answers: Answer[] = [];
    const ackedAfterKill = new Array<number>(CLIENTS).fill(0);
    let killedAt = false;
    let killTime = 0;
    let firstAckAfterKill = 0;
    let stop = false;

    // Client c sends to service node c % 2, one batch at a time, and resends a refused batch with
    // the same idempotency keys until it is acknowledged, as the errors table tells clients to.
    const client = async (c: number) => {
      for (let b = 0; !stop; b += 1) {
        const events = Array.from({ length: BATCH }, (_, i) =>
          eventInput({
            action: `failover.client${c}`,
            actor: { id: `client-${c}`, type: 'SERVICE' },
            idempotencyKey: `failover-${c}-${b}-${i}`,
            metadata: { client: c, batch: b, i },
          }),
        );
        for (;;) {
          const after = killedAt;
          let status: number;
          let body: { data?: any; errors?: { extensions?: { code?: string } }[] };
          try {
            const res = await fetch(servers[c % 2], {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${env.adminKey}` },
              body: JSON.stringify({ query: RECORD, variables: { input: { events } } }),
              // A request that stalls for a minute is an answer the issue rules out too.
              signal: AbortSignal.timeout(60_000),
            });
            status = res.status;
            body = JSON.parse(await res.text());
          } catch (error) {
            // A reset connection or a stalled request would be an answer the issue rules out: count it as such.
            const code = (error as Error).name === 'TimeoutError' ? 'STALLED' : 'CONNECTION_RESET';
            answers.push({ client: c, status: 0, code, afterKill: after });
            await new Promise((r) => setTimeout(r, 50));
            continue;
          }
          if (status === 200 && !body.errors) {
            const receipts: Receipt[] = body.data.recordAuditEvents.receipts;
            acked[c].push(...receipts);
            if (after) {
              ackedAfterKill[c] += 1;
              firstAckAfterKill ||= Date.now();
            }
            break;
          }
          answers.push({ client: c, status, code: body.errors?.[0]?.extensions?.code ?? null, afterKill: after });
          // Without a retryable answer, resending is still what a client does; the test fails below.
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const load = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));

    // Mid-load: every client has been acknowledged a few times; then the writer dies.
    await until('load running', () => acked.every((r) => r.length >= 3 * BATCH));
    killed = Number(await cluster('writer'));
    expect(killed).toBeGreaterThanOrEqual(1);
    await cluster('kill-node', String(killed));
    killTime = Date.now();
    killedAt = true;

    // Recovery without a restart: every client, on both service nodes, is acknowledged again.
    await until('appends after the kill', () => ackedAfterKill.every((n) => n >= 3));
    stop = true;
    await load;

    const writerNow = Number(await cluster('writer'));
    expect(writerNow).not.toBe(killed);

    // Reported, never asserted on (timing): what the clients saw during the switch.
    const seen = new Map<string, number>();
    for (const a of answers) seen.set(`${a.status} ${a.code}`, (seen.get(`${a.status} ${a.code}`) ?? 0) + 1);
    console.log(
      `failover: node ${killed} killed, writer now node ${writerNow}; first append acknowledged ${((firstAckAfterKill - killTime) / 1000).toFixed(2)}s after the kill; ` +
        `${acked.flat().length} events acknowledged; refused answers: ${JSON.stringify(Object.fromEntries(seen))}`,
    );

    // Both service nodes say they can take a write again, without a restart.
    for (const url of servers) await until(`/readyz of ${url}`, async () => (await fetch(new URL('/readyz', url))).status === 200, 60_000);

    // Only retryable answers, all of them 503 with a retryable code; never a 500.
    const wrong = answers.filter((a) => a.status !== 503 || !RETRYABLE.has(a.code ?? ''));
    expect(wrong).toEqual([]);

    // 0 acknowledged events lost, none twice: every receipt is stored as acknowledged.
    const receipts = acked.flat();
    const rows = await env.sql<{ id: string; sequence: number | string; hash: string; chain_hash: string; idempotency_key: string }>(
      "SELECT id, sequence, hash, chain_hash, idempotency_key FROM audit_event WHERE tenant_id = 'default' ORDER BY sequence",
    );
    const bySequence = new Map(rows.map((r) => [Number(r.sequence), r]));
    for (const r of receipts) {
      const row = bySequence.get(r.sequence);
      expect(row && { id: row.id, hash: row.hash, chainHash: row.chain_hash, key: row.idempotency_key }).toEqual({
        id: r.id,
        hash: r.hash,
        chainHash: r.chainHash,
        key: r.idempotencyKey,
      });
    }
    expect(new Set(receipts.map((r) => r.idempotencyKey)).size).toBe(receipts.length);
    expect(new Set(rows.map((r) => r.idempotency_key)).size).toBe(rows.length);
    // Gapless: 1..n, and nothing stored that no client was acknowledged for (each batch was resent until acked).
    expect(rows.map((r) => Number(r.sequence))).toEqual(Array.from({ length: rows.length }, (_, i) => i + 1));
    expect(rows.length).toBe(receipts.length);

    // The chain is valid through both service nodes and from the database alone.
    for (const url of servers) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${env.adminKey}` },
        body: JSON.stringify({ query: VERIFY }),
      });
      const verified = (JSON.parse(await res.text()) as { data: { verifyAuditChain: any } }).data.verifyAuditChain;
      expect(verified).toMatchObject({ valid: true, checkedCount: rows.length, headSequence: rows.length, firstFailure: null });
    }
    const cli = await verifyChainCli(env);
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ valid: true, checkedCount: rows.length, headSequence: rows.length });

    // The killed node rejoins (IST or SST) and holds the same rows as the writer.
    await cluster('start-node', String(killed));
    const rejoined = killed;
    killed = 0;
    const count = async (url: string) => {
      const conn = await connectTo(url, database);
      try {
        // Causality check: the read waits until this node has applied everything committed before it.
        await conn.query('SET SESSION wsrep_sync_wait = 1');
        const [[row]] = (await conn.query(
          "SELECT COUNT(*) AS n, MAX(sequence) AS head, MAX(chain_hash) AS anyHash FROM audit_event WHERE tenant_id = 'default'",
        )) as any;
        const [[head]] = (await conn.query("SELECT sequence, chain_hash FROM chain_head WHERE tenant_id = 'default'")) as any;
        return { n: Number(row.n), head: Number(row.head), chainHead: Number(head.sequence), chainHash: String(head.chain_hash) };
      } finally {
        await conn.end();
      }
    };
    const onWriter = await count(NODES[writerNow - 1]);
    expect(onWriter.n).toBe(rows.length);
    for (const node of NODES) expect(await count(node)).toEqual(onWriter);
    expect(rejoined).toBeGreaterThan(0);

    // And the service keeps appending through the proxy after the rejoin.
    const res = await env.gql(RECORD, { input: { events: [eventInput({ action: 'failover.after_rejoin' })] } });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.recordAuditEvents.receipts[0].sequence).toBe(rows.length + 1);
  }, 420_000);
});
