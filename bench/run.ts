/**
 * npm run bench — ingest throughput against a raw mysql2 baseline, side by side in one run, then
 * DOCX audit-trail reports of 10,000 and 50,000 events (bench/reports.ts), then SOC 2 assessments
 * over 100,000 and 1,000,000 events, then every framework over 100,000 and 1,000,000 events with
 * 40,000 population-test triggers (both bench/assessment.ts), then chain verification of 60,000 events
 * (bench/verify.ts), then a prune of 1,000,000 events (bench/retention.ts), then the erasure of a
 * data subject with 10,000 events among 200,000 (bench/erasure.ts), then Merkle inclusion and
 * consistency proofs over 1,000,000 events (bench/proofs.ts, ADR 0047), then ingest with
 * personal-data sealing on against off (ADR 0042), then add-checkpoint round trips to a witness
 * (bench/witness.ts, ADR 0050), then with BENCH_GALERA=1 ingest through a 3-node Galera cluster
 * behind a single-writer HAProxy against one plain server, and the failover of its writer
 * (bench/galera.ts, ADR 0055; it builds the cluster with scripts/galera-cluster.sh). BENCH_ONLY=ingest,
 * reports, assessment, triggers, verify, prune, erase, proofs, privacy, witness or galera runs one part.
 *
 * Records BENCH_EVENTS (default 20,000) events through recordAuditEvents over HTTP in batches of
 * 1,000 (integrity on: hashing, chain lock, idempotency lookups when keys are present), and inserts
 * the same rows with raw multi-row INSERTs into tables of the same shape (CREATE TABLE … LIKE), on a
 * fresh MariaDB database. Each batch is one transaction on both paths. The two paths are interleaved
 * batch by batch (BENCH_CONCURRENCY batches in flight on each: HTTP requests for the service,
 * connections for raw), so both see the same database state; the last line is the median over the
 * rounds, `ingest_vs_raw_ratio=<r>`.
 *
 * Settings: BENCH_MARIADB_URL (default mariadb://root@127.0.0.1:3306), BENCH_EVENTS, BENCH_ROUNDS
 * (default 3), BENCH_CONCURRENCY (batches in flight on each path, default 1: one client, one
 * connection, the plain reading of the target), BENCH_KEEP_DB=1 (keep the database afterwards),
 * BENCH_DATABASE=<name> (run on that kept database and keep it; BENCH_ONLY=triggers then reuses its tenants).
 * BENCH_INGEST_BASELINE=<a built checkout of an older commit> (a second service, that commit's, on a
 * database of its own, sent the same batches in the same interleaving: before and after in one run,
 * `ingest_vs_raw_ratio_baseline=<r>`; then 16 clients sending batches of 20 events to both,
 * `ingest_small_batches_vs_baseline=<r>`: group commit's case, ADR 0052).
 */
import 'reflect-metadata';
import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { createConnection, type Connection } from 'mysql2/promise';
import { prepareEvents, type AuditEventInputShape } from '../src/ingest/event-validation';
import { AUDIT_EVENT_COLUMNS } from '../src/audit/audit-event.columns';
import { chunkRows, LABEL_COLUMNS, planAppend, ROLLUP_COLUMNS } from '../src/chain/chain-append';
import { MYSQL_ROLLUP_UPSERT } from '../src/chain/chain-store';
import { GENESIS_CHAIN_HASH } from '../src/chain/hashing';
import { placeholders } from '../src/database/sql-format';
import { ActorType, Classification, OutcomeStatus, Severity } from '../src/audit/audit-event.model';
import { assessmentBench, triggerBench } from './assessment';
import { reportBench } from './reports';
import { verifyBench } from './verify';
import { pruneBench } from './retention';
import { proofBench } from './proofs';
import { witnessBench } from './witness';
import { eraseBench } from './erasure';
import { galeraBench } from './galera';

const SERVER = process.env.BENCH_MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306';
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 1);
const BATCH = 1000;

const RECORD =
  'mutation Record($input: RecordAuditEventsInput!) { recordAuditEvents(input: $input) { recordedCount receipts { id sequence hash chainHash recordedAt } } }';

const ACTIONS = ['auth.login', 'auth.logout', 'patient_record.read', 'patient_record.update', 'api.request', 'config.change'];
const STATUSES = [OutcomeStatus.SUCCESS, OutcomeStatus.SUCCESS, OutcomeStatus.SUCCESS, OutcomeStatus.FAILURE, OutcomeStatus.DENIED];

/** A realistic event: every common field set, a small metadata object, one category, one tag. */
function makeEvent(i: number, round: number): AuditEventInputShape {
  return {
    occurredAt: new Date(Date.now() - 3_600_000 + i).toISOString(),
    actor: {
      id: `user-${i % 977}`,
      type: ActorType.USER,
      displayName: `User ${i % 977}`,
      ip: `10.0.${(i >> 8) & 255}.${i & 255}`,
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench',
    },
    action: ACTIONS[i % ACTIONS.length],
    resource: { type: 'record', id: `rec-${i % 5003}`, name: null },
    outcome: { status: STATUSES[i % STATUSES.length], reason: i % 5 === 3 ? 'invalid credentials' : null },
    severity: i % 50 === 0 ? Severity.WARNING : Severity.INFO,
    classification: i % 3 === 0 ? Classification.CONFIDENTIAL : Classification.INTERNAL,
    categories: i % 3 === 0 ? ['PII'] : [],
    tags: ['bench'],
    requestId: `req-${round}-${i}`,
    sessionId: `sess-${i % 101}`,
    sourceService: 'bench-service',
    metadata: { path: '/api/v1/records', method: 'GET', bytes: i * 7, ok: true },
    // Clients are told to send a key so retries are safe; the service then also looks keys up.
    idempotencyKey: `bench-${round}-${i}`,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function startServer(
  databaseUrl: string,
  adminKey: string,
  dataDir: string,
  extraEnv: Record<string, string> = {},
  cli = path.resolve(__dirname, '../src/cli.js'),
) {
  // Started exactly as `npm start` starts it, node flags included.
  const start = (JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { scripts: { start: string } })
    .scripts.start;
  const nodeFlags = start.split(/\s+/).filter((word) => word.startsWith('--'));
  const child = spawn(process.execPath, [...nodeFlags, cli, 'serve'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      DATAPUNK_BOOTSTRAP_ADMIN_KEY: adminKey,
      LOG_LEVEL: 'warn',
      CHECKPOINT_INTERVAL_SECONDS: '0',
      ...extraEnv,
    },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /GraphQL endpoint: (\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
  return {
    url,
    pid: child.pid!,
    stop: () => new Promise<void>((r) => (child.exitCode !== null ? r() : (child.once('exit', () => r()), child.kill('SIGTERM')))),
  };
}

async function gql(url: string, key: string, body: string): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body });
  const json: any = await res.json();
  if (json.errors) throw new Error(JSON.stringify(json.errors).slice(0, 500));
  return json;
}

interface RawBatch {
  events: unknown[][];
  labels: unknown[][];
  rollup: unknown[][];
}

/** The same rows the service writes (ids, sequences, hashes included), built before any clock starts. */
function rawBatches(tenant: string, inputs: AuditEventInputShape[]): RawBatch[] {
  const prepared = prepareEvents(inputs, { maxStringLength: 1024, maxMetadataBytes: 16384, maxOccurredAtAgeMs: 1e12, maxClockSkewMs: 1e9 });
  const batches: RawBatch[] = [];
  let head = { sequence: 0, chainHash: GENESIS_CHAIN_HASH };
  for (let i = 0; i < prepared.length; i += BATCH) {
    const plan = planAppend(tenant, head, prepared.slice(i, i + BATCH), new Map());
    head = plan.head;
    batches.push({ events: plan.eventRows, labels: plan.labelRows, rollup: plan.rollupRows });
  }
  return batches;
}

const EVENTS_SQL = `INSERT INTO raw_audit_event (${AUDIT_EVENT_COLUMNS.join(',')}) VALUES `;
const LABELS_SQL = `INSERT INTO raw_audit_event_label (${LABEL_COLUMNS.join(',')}) VALUES `;
const ROLLUP_SQL = `INSERT INTO raw_audit_event_rollup (${ROLLUP_COLUMNS.join(',')}) VALUES `;

/**
 * One batch the raw way: a transaction of multi-row INSERTs with bound values. With several
 * batches in flight their rollup upserts can deadlock on shared keys: then it is rolled back and
 * redone, as any client would (the time of both attempts counts).
 */
async function rawInsert(conn: Connection, batch: RawBatch): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await conn.query('START TRANSACTION');
      for (const chunk of chunkRows(batch.events, BATCH))
        await conn.query(EVENTS_SQL + placeholders(chunk.length, AUDIT_EVENT_COLUMNS.length), chunk.flat());
      for (const chunk of chunkRows(batch.labels, 4 * BATCH))
        await conn.query(LABELS_SQL + placeholders(chunk.length, LABEL_COLUMNS.length), chunk.flat());
      for (const chunk of chunkRows(batch.rollup, BATCH))
        await conn.query(ROLLUP_SQL + placeholders(chunk.length, ROLLUP_COLUMNS.length) + MYSQL_ROLLUP_UPSERT, chunk.flat());
      await conn.query('COMMIT');
      return;
    } catch (error) {
      await conn.query('ROLLBACK');
      if ((error as { errno?: number }).errno !== 1213 || attempt >= 5) throw error;
    }
  }
}

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

/**
 * One round, interleaved: CONCURRENCY batches the raw way, then CONCURRENCY batches through the
 * service, and so on, so both paths see the same database state (buffer pool, purge, flushing).
 */
async function round(
  conns: Connection[],
  url: string,
  key: string,
  raw: RawBatch[],
  bodies: string[],
  baselineUrl?: string,
): Promise<{ raw: number; ingest: number; baseline: number }> {
  let rawSeconds = 0;
  let ingestSeconds = 0;
  let baselineSeconds = 0;
  for (let i = 0; i < bodies.length; i += CONCURRENCY) {
    let started = process.hrtime.bigint();
    await Promise.all(conns.map((conn, c) => (raw[i + c] ? rawInsert(conn, raw[i + c]) : Promise.resolve())));
    rawSeconds += seconds(started);
    started = process.hrtime.bigint();
    await Promise.all(conns.map((_, c) => (bodies[i + c] ? gql(url, key, bodies[i + c]) : Promise.resolve())));
    ingestSeconds += seconds(started);
    if (baselineUrl) {
      started = process.hrtime.bigint();
      await Promise.all(conns.map((_, c) => (bodies[i + c] ? gql(baselineUrl, key, bodies[i + c]) : Promise.resolve())));
      baselineSeconds += seconds(started);
    }
  }
  return { raw: rawSeconds, ingest: ingestSeconds, baseline: baselineSeconds };
}

async function ingestBench(conns: Connection[], url: string, adminKey: string, baselineUrl?: string): Promise<void> {
  const conn = conns[0];
  await conn.query('CREATE TABLE raw_audit_event LIKE audit_event');
  await conn.query('CREATE TABLE raw_audit_event_label LIKE audit_event_label');
  await conn.query('CREATE TABLE raw_audit_event_rollup LIKE audit_event_rollup');
  console.log(
    `# ingest benchmark: ${EVENTS} events a round, batches of ${BATCH} with idempotency keys, ${ROUNDS} rounds, ${CONCURRENCY} batch(es) in flight on both paths, MariaDB ${String(((await conn.query('SELECT VERSION() AS v')) as any)[0][0].v)}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}${baselineUrl ? `, baseline ${process.env.BENCH_INGEST_BASELINE}` : ''}`,
  );

  // Warm-up: JIT, connection pools, buffer pool — on both paths, not timed.
  const warm = Array.from({ length: 2 * BATCH }, (_, i) => makeEvent(i, -1));
  const bodiesOf = (inputs: AuditEventInputShape[]) =>
    Array.from({ length: Math.ceil(inputs.length / BATCH) }, (_, b) =>
      JSON.stringify({ query: RECORD, variables: { input: { events: inputs.slice(b * BATCH, (b + 1) * BATCH) } } }),
    );
  // One batch at a time: the warm-up creates the data subjects of every bench actor, which the
  // builds before 2026-12-07 could not do for one tenant from concurrent batches (a deadlock).
  for (const batch of rawBatches('warmup', warm)) await rawInsert(conn, batch);
  for (const body of bodiesOf(warm)) for (const to of [url, ...(baselineUrl ? [baselineUrl] : [])]) await gql(to, adminKey, body);

  const ratios: number[] = [];
  const baselineRatios: number[] = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    const inputs = Array.from({ length: EVENTS }, (_, i) => makeEvent(i, r));
    const times = await round(conns, url, adminKey, rawBatches(`raw-${r}`, inputs), bodiesOf(inputs), baselineUrl);
    const raw = EVENTS / times.raw;
    const ingest = EVENTS / times.ingest;
    ratios.push(ingest / raw);
    const before = baselineUrl ? EVENTS / times.baseline : undefined;
    if (before !== undefined) baselineRatios.push(before / raw);
    console.log(
      `round ${r + 1}: raw ${raw.toFixed(0)} events/s, recordAuditEvents ${ingest.toFixed(0)} events/s, ratio ${(ingest / raw).toFixed(3)}` +
        (before === undefined ? '' : `; baseline ${before.toFixed(0)} events/s, ratio ${(before / raw).toFixed(3)}`),
    );
  }
  const [{ n }] = ((await conn.query("SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = 'default'")) as any)[0];
  if (Number(n) !== EVENTS * ROUNDS + 2 * BATCH) throw new Error(`expected ${EVENTS * ROUNDS + 2 * BATCH} recorded events, found ${n}`);
  if (baselineRatios.length) console.log(`ingest_vs_raw_ratio_baseline=${median(baselineRatios).toFixed(3)}`);
  console.log(`ingest_vs_raw_ratio=${median(ratios).toFixed(3)}`);
  if (baselineUrl) await smallBatches(url, adminKey, baselineUrl);
}

const SMALL_BATCH = 20;
const SMALL_IN_FLIGHT = 16;

/**
 * Many clients of one tenant sending small batches (SMALL_IN_FLIGHT requests of SMALL_BATCH events
 * in flight), this build against BENCH_INGEST_BASELINE's, the two alternating round by round on
 * the same batches: what group commit (ADR 0052) is for. `ingest_small_batches_vs_baseline=<r>`
 * is the median ratio of this build's events/s to the baseline's.
 */
async function smallBatches(url: string, key: string, baselineUrl: string): Promise<void> {
  const events = Math.min(EVENTS, 4000);
  console.log(`# small batches: ${events} events a round in batches of ${SMALL_BATCH}, ${SMALL_IN_FLIGHT} in flight, ${ROUNDS} rounds`);
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    const bodies = Array.from({ length: Math.ceil(events / SMALL_BATCH) }, (_, b) =>
      JSON.stringify({
        query: RECORD,
        variables: {
          input: { events: Array.from({ length: SMALL_BATCH }, (_, i) => makeEvent(b * SMALL_BATCH + i, 100 + r)) },
        },
      }),
    );
    const rate = async (to: string) => {
      const started = process.hrtime.bigint();
      let next = 0;
      await Promise.all(
        Array.from({ length: SMALL_IN_FLIGHT }, async () => {
          while (next < bodies.length) await gql(to, key, bodies[next++]);
        }),
      );
      return events / seconds(started);
    };
    const order = r % 2 ? [baselineUrl, url] : [url, baselineUrl];
    const rates = new Map<string, number>();
    for (const to of order) rates.set(to, await rate(to));
    const [now, before] = [rates.get(url)!, rates.get(baselineUrl)!];
    ratios.push(now / before);
    console.log(
      `round ${r + 1}: this build ${now.toFixed(0)} events/s, baseline ${before.toFixed(0)} events/s, ratio ${(now / before).toFixed(3)}`,
    );
  }
  console.log(`ingest_small_batches_vs_baseline=${median(ratios).toFixed(3)}`);
}

/**
 * Ingest with personal-data sealing on (the default) against off (DATAPUNK_PRIVACY=off), side by
 * side in one run: two servers on two fresh databases, the same batches of persons' events
 * interleaved batch by batch; the last line is the median ratio, `privacy_on_vs_off_ratio=<r>`
 * (target ≥ 0.8). BENCH_PRIVACY_BASELINE=<a built checkout of an older commit> adds a third
 * server, that commit's with sealing on, in the same interleaving: before and after in one run,
 * `privacy_baseline_on_vs_off_ratio=<r>`.
 */
async function privacyBench(admin: Connection, server: URL): Promise<void> {
  const baseline = process.env.BENCH_PRIVACY_BASELINE;
  const kinds = [
    { name: 'on', env: { DATAPUNK_PRIVACY: 'on' } },
    { name: 'off', env: { DATAPUNK_PRIVACY: 'off' } },
    ...(baseline ? [{ name: 'baseline', env: { DATAPUNK_PRIVACY: 'on' }, cli: path.resolve(baseline, 'dist/src/cli.js') }] : []),
  ];
  const names = kinds.map((k) => `dpa_bench_${k.name}_${randomBytes(4).toString('hex')}`);
  const dirs = names.map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-bench-')));
  const adminKey = `bench_${randomBytes(16).toString('hex')}`;
  const servers: { url: string; stop(): Promise<void> }[] = [];
  try {
    for (const [i, name] of names.entries()) {
      await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      const url = new URL(server.toString());
      url.pathname = `/${name}`;
      servers.push(await startServer(url.toString(), adminKey, dirs[i], kinds[i].env, kinds[i].cli));
    }
    console.log(
      `# privacy benchmark: ${EVENTS} events a round (every actor a person), batches of ${BATCH}, ${ROUNDS} rounds, sealing on vs off${baseline ? ` (and on with ${baseline})` : ''}`,
    );
    const bodiesOf = (inputs: AuditEventInputShape[]) =>
      Array.from({ length: Math.ceil(inputs.length / BATCH) }, (_, b) =>
        JSON.stringify({ query: RECORD, variables: { input: { events: inputs.slice(b * BATCH, (b + 1) * BATCH) } } }),
      );
    const warm = bodiesOf(Array.from({ length: 2 * BATCH }, (_, i) => makeEvent(i, -1)));
    for (const body of warm) for (const s of servers) await gql(s.url, adminKey, body);
    const ratios: number[] = [];
    const baselineRatios: number[] = [];
    for (let r = 0; r < ROUNDS; r += 1) {
      const bodies = bodiesOf(Array.from({ length: EVENTS }, (_, i) => makeEvent(i, r)));
      const spent = servers.map(() => 0);
      for (const body of bodies) {
        for (const [i, s] of servers.entries()) {
          const started = process.hrtime.bigint();
          await gql(s.url, adminKey, body);
          spent[i] += seconds(started);
        }
      }
      const [on, off, before] = spent.map((t) => EVENTS / t);
      ratios.push(on / off);
      if (before !== undefined) baselineRatios.push(before / off);
      console.log(
        `round ${r + 1}: sealing on ${on.toFixed(0)} events/s, off ${off.toFixed(0)} events/s, ratio ${(on / off).toFixed(3)}` +
          (before === undefined ? '' : `; baseline on ${before.toFixed(0)} events/s, ratio ${(before / off).toFixed(3)}`),
      );
    }
    if (baselineRatios.length) console.log(`privacy_baseline_on_vs_off_ratio=${median(baselineRatios).toFixed(3)}`);
    console.log(`privacy_on_vs_off_ratio=${median(ratios).toFixed(3)}`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const server = new URL(SERVER);
  // BENCH_DATABASE=<name>: an existing bench database (one kept with BENCH_KEEP_DB=1), reused and
  // kept; the trigger part then assesses the tenants seeded there before instead of seeding anew.
  const reused = process.env.BENCH_DATABASE;
  const dbName = reused ?? `dpa_bench_${randomBytes(4).toString('hex')}`;
  const admin = await createConnection({
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username) || 'root',
    password: decodeURIComponent(server.password),
  });
  if (!reused) await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-bench-'));
  const dbUrl = new URL(SERVER);
  dbUrl.pathname = `/${dbName}`;
  const adminKey = `bench_${randomBytes(16).toString('hex')}`;
  const app = await startServer(dbUrl.toString(), adminKey, dataDir);
  // BENCH_INGEST_BASELINE: an older build's service on a database of its own, for the ingest part.
  const baselineDir = process.env.BENCH_INGEST_BASELINE;
  const baselineDb = `${dbName}_base`;
  const baselineData = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-bench-'));
  let baseline: Awaited<ReturnType<typeof startServer>> | undefined;
  if (baselineDir && (!process.env.BENCH_ONLY || process.env.BENCH_ONLY === 'ingest')) {
    await admin.query(`CREATE DATABASE \`${baselineDb}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    const url = new URL(SERVER);
    url.pathname = `/${baselineDb}`;
    baseline = await startServer(url.toString(), adminKey, baselineData, {}, path.resolve(baselineDir, 'dist/src/cli.js'));
  }
  const connect = () =>
    createConnection({
      host: server.hostname,
      port: Number(server.port || 3306),
      user: decodeURIComponent(server.username) || 'root',
      password: decodeURIComponent(server.password),
      database: dbName,
      timezone: 'Z',
      charset: 'utf8mb4_bin',
    });
  const conns = await Promise.all(Array.from({ length: CONCURRENCY }, connect));
  const conn = conns[0];
  const only = process.env.BENCH_ONLY;
  try {
    if (!only || only === 'ingest') await ingestBench(conns, app.url, adminKey, baseline?.url);
    await baseline?.stop();
    baseline = undefined;
    const target = {
      conn,
      url: app.url,
      pid: app.pid,
      gql,
      connect,
      auditorKey: async (tenant: string) =>
        execFileSync(
          process.execPath,
          [path.resolve(__dirname, '../src/cli.js'), 'create-api-key', '--role', 'AUDITOR', '--tenant', tenant],
          {
            env: { ...process.env, DATABASE_URL: dbUrl.toString(), LOG_LEVEL: 'warn' },
            stdio: ['ignore', 'pipe', 'ignore'],
          },
        )
          .toString()
          .trim(),
    };
    if (!only || only === 'reports') await reportBench(target);
    if (!only || only === 'assessment') await assessmentBench(target);
    if (!only || only === 'triggers') await triggerBench(target);
    if (!only || only === 'verify') await verifyBench();
    if (!only || only === 'prune') await pruneBench();
    if (!only || only === 'proofs') await proofBench();
    if (!only || only === 'erase') await eraseBench();
    if (!only || only === 'privacy') await privacyBench(admin, server);
    if (!only || only === 'witness') await witnessBench();
    // Opt-in: it builds a Galera cluster (galera-4, HAProxy) of its own (bench/galera.ts, ADR 0055).
    if ((process.env.BENCH_GALERA === '1' && !only) || only === 'galera') await galeraBench(startServer);
  } finally {
    await Promise.all(conns.map((c) => c.end()));
    await app.stop();
    await baseline?.stop();
    if (baselineDir) await admin.query(`DROP DATABASE IF EXISTS \`${baselineDb}\``);
    fs.rmSync(baselineData, { recursive: true, force: true });
    // BENCH_KEEP_DB=1 keeps the seeded database for profiling queries by hand.
    if (process.env.BENCH_KEEP_DB === '1' || reused) console.log(`kept database ${dbName}`);
    else await admin.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await admin.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
