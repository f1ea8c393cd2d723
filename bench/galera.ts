/**
 * The Galera part of `npm run bench` (issue 14, ADR 0055), with BENCH_GALERA=1 (in a full run, or
 * alone with BENCH_ONLY=galera): it brings up its own 3-node cluster behind the single-writer
 * HAProxy (scripts/galera-cluster.sh, ports moved by BENCH_GALERA_PORT_OFFSET, default 200) and
 * its own plain mariadbd with the same InnoDB settings, and stops all of them by PID afterwards.
 *
 * - `galera_vs_single_ratio`: one tenant, GALERA_CLIENTS clients (5) sending batches of
 *   GALERA_BATCH events to one service node through the proxy, against the same clients and
 *   batches to a service node on the plain server, interleaved wave by wave (GALERA_CLIENTS
 *   batches in flight on one path, then on the next); the median over BENCH_ROUNDS rounds of the
 *   ratio of events/s. Target ≥ 0.8.
 * - `galera_spread_chain_busy_percent` and `galera_spread_vs_single_ratio`: the misconfiguration
 *   the issue measured first, three service nodes each pointed at a different Galera member
 *   directly, the clients spread over them; the share of requests answered CHAIN_BUSY (each is
 *   resent with the same keys), and the throughput against the plain server of the same round.
 * - `galera_failover_seconds`: the clients keep appending through the proxy, the writer node is
 *   killed (SIGKILL); seconds from the kill to the first acknowledgement of an append sent after
 *   the node was dead. The node then rejoins.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'mysql2/promise';

const SCRIPT = path.resolve(__dirname, '../../scripts/galera-cluster.sh');
const CLIENTS = Number(process.env.GALERA_CLIENTS ?? 5);
const BATCH = Number(process.env.GALERA_BATCH ?? 100);
const EVENTS = Number(process.env.GALERA_EVENTS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RECORD = 'mutation Record($input: RecordAuditEventsInput!) { recordAuditEvents(input: $input) { recordedCount } }';

type StartServer = (
  databaseUrl: string,
  adminKey: string,
  dataDir: string,
  extraEnv?: Record<string, string>,
) => Promise<{ url: string; stop(): Promise<void> }>;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A plain mariadbd with the InnoDB settings of the Galera nodes, and no wsrep. */
async function startPlainServer(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  fs.chmodSync(dir, 0o755);
  if (asRoot) execFileSync('chown', ['mysql:mysql', dir]);
  const user = asRoot ? ['--user=mysql'] : [];
  execFileSync(
    'mariadb-install-db',
    ['--no-defaults', ...user, `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db'],
    {
      stdio: 'ignore',
    },
  );
  const child: ChildProcess = spawn(
    '/usr/sbin/mariadbd',
    [
      '--no-defaults',
      ...user,
      `--datadir=${data}`,
      `--socket=${path.join(dir, 'mysqld.sock')}`,
      `--pid-file=${path.join(dir, 'mysqld.pid')}`,
      `--log-error=${path.join(dir, 'error.log')}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--tmpdir=${dir}`,
      '--innodb-buffer-pool-size=128M',
      '--binlog-format=ROW',
      '--innodb-autoinc-lock-mode=2',
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; ; i += 1) {
    try {
      const c = await createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 });
      await c.end();
      break;
    } catch (error) {
      if (child.exitCode !== null || i > 600) throw new Error(`plain mariadbd did not start: ${String(error)}`);
      await sleep(100);
    }
  }
  return {
    url: `mariadb://root@127.0.0.1:${port}`,
    stop: () => new Promise<void>((r) => (child.exitCode !== null ? r() : (child.once('exit', () => r()), child.kill('SIGTERM')))),
  };
}

async function createDatabase(server: string, name: string): Promise<string> {
  const u = new URL(server);
  const c = await createConnection({ host: u.hostname, port: Number(u.port), user: 'root' });
  await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await c.end();
  u.pathname = `/${name}`;
  return u.toString();
}

/** One request; the GraphQL error code when refused, null when acknowledged. */
async function record(url: string, key: string, body: string): Promise<string | null> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body });
  const json = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
  if (res.status === 200 && !json.errors) return null;
  return json.errors?.[0]?.extensions?.code ?? `HTTP_${res.status}`;
}

function bodies(round: number, label: string): string[] {
  return Array.from({ length: Math.ceil(EVENTS / BATCH) }, (_, b) =>
    JSON.stringify({
      query: RECORD,
      variables: {
        input: {
          events: Array.from({ length: BATCH }, (_, i) => ({
            occurredAt: new Date(Date.now() - 60_000).toISOString(),
            actor: { id: `user-${(b * BATCH + i) % 97}`, type: 'SERVICE' },
            action: 'bench.galera',
            resource: { type: 'record', id: `rec-${i}` },
            outcome: { status: 'SUCCESS' },
            severity: 'INFO',
            classification: 'INTERNAL',
            tags: ['bench'],
            metadata: { b, i },
            idempotencyKey: `galera-${label}-${round}-${b}-${i}`,
          })),
        },
      },
    }),
  );
}

/** CLIENTS clients, client c to urls[c % urls.length], each batch resent until acknowledged. */
async function drive(
  urls: string[],
  key: string,
  batches: string[],
): Promise<{ eventsPerSecond: number; requests: number; refused: Map<string, number> }> {
  let next = 0;
  let requests = 0;
  const refused = new Map<string, number>();
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      while (next < batches.length) {
        const body = batches[next++];
        for (let attempt = 1; ; attempt += 1) {
          requests += 1;
          const code = await record(urls[c % urls.length], key, body);
          if (code === null) break;
          refused.set(code, (refused.get(code) ?? 0) + 1);
          if (attempt >= 50) throw new Error(`a batch was refused 50 times (${code})`);
        }
      }
    }),
  );
  const secondsSpent = Number(process.hrtime.bigint() - started) / 1e9;
  return { eventsPerSecond: (batches.length * BATCH) / secondsSpent, requests, refused };
}

/**
 * The paths interleaved wave by wave: CLIENTS batches in flight on one path (client c to
 * urls[c % urls.length], each resent until acknowledged), then the same batches on the next path,
 * the order rotating every wave, so that every path meets the same moments of a noisy machine.
 */
async function interleaved(
  paths: [string, string[]][],
  key: string,
  batches: string[],
): Promise<Map<string, { eventsPerSecond: number; requests: number; refused: Map<string, number> }>> {
  const spent = new Map(paths.map(([label]) => [label, { seconds: 0, requests: 0, refused: new Map<string, number>() }]));
  for (let wave = 0; wave * CLIENTS < batches.length; wave += 1) {
    const part = batches.slice(wave * CLIENTS, (wave + 1) * CLIENTS);
    for (let p = 0; p < paths.length; p += 1) {
      const [label, urls] = paths[(wave + p) % paths.length];
      const into = spent.get(label)!;
      const started = process.hrtime.bigint();
      await Promise.all(
        part.map(async (body, c) => {
          for (let attempt = 1; ; attempt += 1) {
            into.requests += 1;
            const code = await record(urls[c % urls.length], key, body);
            if (code === null) return;
            into.refused.set(code, (into.refused.get(code) ?? 0) + 1);
            if (attempt >= 50) throw new Error(`a batch was refused 50 times (${code})`);
          }
        }),
      );
      into.seconds += Number(process.hrtime.bigint() - started) / 1e9;
    }
  }
  return new Map(
    [...spent].map(([label, t]) => [
      label,
      { eventsPerSecond: (batches.length * BATCH) / t.seconds, requests: t.requests, refused: t.refused },
    ]),
  );
}

function cluster(env: NodeJS.ProcessEnv, ...args: string[]): string {
  return execFileSync(SCRIPT, args, { env, stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000 })
    .toString()
    .trim();
}

export async function galeraBench(startServer: StartServer): Promise<void> {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-bench-galera-'));
  fs.chmodSync(parent, 0o755); // the nodes run as the mysql user
  const env = {
    ...process.env,
    GALERA_DIR: path.join(parent, 'cluster'),
    GALERA_PORT_OFFSET: process.env.BENCH_GALERA_PORT_OFFSET ?? '200',
  };
  const plainDir = path.join(parent, 'plain');
  fs.mkdirSync(plainDir);
  const adminKey = `bench_${randomBytes(16).toString('hex')}`;
  const stops: (() => Promise<void>)[] = [];
  try {
    const printed = cluster(env, 'up');
    const value = (name: string) => new RegExp(`${name}=(\\S+)`).exec(printed)![1];
    const nodes = value('DATAPUNK_TEST_GALERA_NODES').split(',');
    const proxy = value('DATAPUNK_TEST_GALERA_PROXY');
    const plain = await startPlainServer(plainDir);
    stops.push(plain.stop);
    const name = `dpa_bench_galera_${randomBytes(4).toString('hex')}`;
    const serve = async (db: string, extra: Record<string, string> = {}) => {
      const dir = fs.mkdtempSync(path.join(parent, 'data-'));
      const s = await startServer(db, adminKey, dir, extra);
      stops.unshift(s.stop);
      return s.url;
    };
    const single = await serve(await createDatabase(plain.url, name));
    const viaProxy = await serve(await createDatabase(proxy, name));
    // The misconfiguration: a second database on the cluster, a service node on each member.
    const spreadName = `${name}_spread`;
    await createDatabase(proxy, spreadName);
    const spread: string[] = [];
    for (const [i, node] of nodes.entries()) {
      const u = new URL(node);
      u.pathname = `/${spreadName}`;
      spread.push(await serve(u.toString(), i === 0 ? {} : { MIGRATIONS_RUN: 'false' }));
    }
    const version = await (async () => {
      const u = new URL(proxy);
      const c = await createConnection({ host: u.hostname, port: Number(u.port), user: 'root' });
      const [[row]] = (await c.query(
        "SELECT VERSION() AS v, (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_PROVIDER_VERSION') AS p",
      )) as any;
      await c.end();
      return `MariaDB ${String(row.v)}, Galera ${String(row.p)}`;
    })();
    console.log(
      `# galera benchmark: ${nodes.length} nodes behind HAProxy (single writer) vs one plain server, ${version}; one tenant, ${CLIENTS} clients, batches of ${BATCH}, ${EVENTS} events a round, ${ROUNDS} rounds; load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    // Warm-up on every path, not timed.
    const warm = bodies(-1, 'warm').slice(0, 2 * CLIENTS);
    for (const urls of [[single], [viaProxy], spread]) await drive(urls, adminKey, warm);

    const ratios: number[] = [];
    const spreadRatios: number[] = [];
    let spreadRequests = 0;
    let spreadBusy = 0;
    const proxyRefused = new Map<string, number>();
    for (let r = 0; r < ROUNDS; r += 1) {
      const batches = bodies(r, 'round');
      const paths: [string, string[]][] = [
        ['single', [single]],
        ['proxy', [viaProxy]],
        ['spread', spread],
      ];
      const result = await interleaved(paths, adminKey, batches);
      const [one, galera, wide] = ['single', 'proxy', 'spread'].map((l) => result.get(l)!);
      ratios.push(galera.eventsPerSecond / one.eventsPerSecond);
      spreadRatios.push(wide.eventsPerSecond / one.eventsPerSecond);
      spreadRequests += wide.requests;
      spreadBusy += wide.refused.get('CHAIN_BUSY') ?? 0;
      for (const [code, n] of galera.refused) proxyRefused.set(code, (proxyRefused.get(code) ?? 0) + n);
      console.log(
        `round ${r + 1}: single ${one.eventsPerSecond.toFixed(0)} events/s, galera via proxy ${galera.eventsPerSecond.toFixed(0)} events/s (ratio ${(galera.eventsPerSecond / one.eventsPerSecond).toFixed(3)}), ` +
          `spread over ${spread.length} nodes ${wide.eventsPerSecond.toFixed(0)} events/s (ratio ${(wide.eventsPerSecond / one.eventsPerSecond).toFixed(3)}), ` +
          `spread refused ${JSON.stringify(Object.fromEntries(wide.refused))} of ${wide.requests} requests`,
      );
    }
    // Flow control: the share of the time replication was paused because a node fell behind.
    const paused: string[] = [];
    for (const [i, node] of nodes.entries()) {
      const u = new URL(node);
      const c = await createConnection({ host: u.hostname, port: Number(u.port), user: 'root' });
      const [rows] = (await c.query(
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_flow_control_paused', 'wsrep_flow_control_sent')",
      )) as any;
      await c.end();
      const v = Object.fromEntries((rows as { Variable_name: string; Value: string }[]).map((r) => [r.Variable_name, r.Value]));
      paused.push(`node ${i + 1} paused ${Number(v.wsrep_flow_control_paused).toFixed(3)}, sent ${String(v.wsrep_flow_control_sent)}`);
    }
    console.log(
      `# flow control since start: ${paused.join('; ')}${process.env.GALERA_PROVIDER_OPTIONS ? `; GALERA_PROVIDER_OPTIONS=${process.env.GALERA_PROVIDER_OPTIONS}` : ''}`,
    );
    if (proxyRefused.size) console.log(`# refused through the proxy: ${JSON.stringify(Object.fromEntries(proxyRefused))}`);
    console.log(`galera_spread_chain_busy_percent=${((100 * spreadBusy) / spreadRequests).toFixed(2)}`);
    console.log(`galera_spread_vs_single_ratio=${median(spreadRatios).toFixed(3)}`);
    console.log(`galera_vs_single_ratio=${median(ratios).toFixed(3)}`);

    // Failover: clients append through the proxy; the writer dies; the first acknowledgement after it.
    const writer = cluster(env, 'writer');
    let stop = false;
    let killedAt = 0n;
    let killed = false;
    let firstAck = 0n;
    const refused = new Map<string, number>();
    const batches = bodies(0, 'failover');
    let next = 0;
    let acked = 0;
    const load = Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (!stop && next < batches.length) {
          const body = batches[next++];
          for (;;) {
            // Only a request sent once the writer is dead counts: one in flight at the kill may
            // have been committed before it.
            const sentAfterKill = killed;
            const code = await record(viaProxy, adminKey, body).catch(() => 'CONNECTION_RESET');
            if (code === null) {
              acked += 1;
              if (sentAfterKill && !firstAck) firstAck = process.hrtime.bigint();
              break;
            }
            if (killedAt) refused.set(code, (refused.get(code) ?? 0) + 1);
            await sleep(20);
          }
        }
      }),
    );
    while (acked < 2 * CLIENTS) await sleep(50);
    killedAt = process.hrtime.bigint();
    // Asynchronously, so that the clients keep sending while the script kills the node.
    await new Promise<void>((resolve, reject) =>
      execFile(SCRIPT, ['kill-node', writer], { env }, (error) =>
        error ? reject(new Error(`kill-node ${writer}: ${error.message}`)) : resolve(),
      ),
    );
    killed = true;
    while (!firstAck) await sleep(10);
    stop = true;
    await load;
    const failover = Number(firstAck - killedAt) / 1e9;
    console.log(
      `# failover: node ${writer} killed; answers until the first acknowledgement: ${JSON.stringify(Object.fromEntries(refused))}; writer now node ${cluster(env, 'writer')}`,
    );
    console.log(`galera_failover_seconds=${failover.toFixed(2)}`);
    const rejoinStarted = process.hrtime.bigint();
    cluster(env, 'start-node', writer);
    console.log(`# node ${writer} rejoined and Synced in ${(Number(process.hrtime.bigint() - rejoinStarted) / 1e9).toFixed(1)} s`);
  } finally {
    for (const stopOne of stops) await stopOne().catch(() => undefined);
    // Also after a failed `up`: it stops whatever it had started (by PID) and removes the folder.
    cluster(env, 'down');
    fs.rmSync(parent, { recursive: true, force: true });
  }
}
