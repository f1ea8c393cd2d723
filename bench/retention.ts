/**
 * The retention part of `npm run bench` (BENCH_ONLY=prune runs it alone; ADR 0043):
 * BENCH_PRUNE_EVENTS (default 1,000,000) events recorded through the ingest service in batches of
 * 1,000, on SQLite (a temporary file) and on MariaDB (a fresh database), then one prune of the
 * whole prefix (a FRAMEWORK rule with a one-day maximum, judged two days later): the prefix
 * verified, the anchor signed, the prune event recorded, every event deleted in batches. While it
 * runs, one-event appends are sent back to back. Prints, per database, `prune_seconds_<db>` (the
 * whole prune), `prune_events_per_second_<db>`, `prune_max_append_ms_<db>` (the slowest of those
 * appends: how long ingest waited at most) and `prune_max_loop_block_ms_<db>`.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { startApp } from '../src/app';
import { loadConfig } from '../src/config/config';
import { ActorType, Classification, OutcomeStatus, Severity } from '../src/audit/audit-event.model';
import type { AuditEventInputShape } from '../src/ingest/event-validation';
import { RetentionSelector } from '../src/retention/retention-policy';

const EVENTS = Number(process.env.BENCH_PRUNE_EVENTS ?? 1_000_000);
const SERVER = process.env.BENCH_MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306';
const DAY = 86_400_000;

function makeEvent(i: number): AuditEventInputShape {
  return {
    occurredAt: new Date(Date.now() - 3_600_000 + (i % 3_000_000)).toISOString(),
    actor: { id: `user-${i % 977}`, type: ActorType.USER, ip: `10.0.${(i >> 8) & 255}.${i & 255}`, userAgent: 'bench' },
    action: i % 2 ? 'auth.login' : 'patient_record.read',
    resource: { type: 'record', id: `rec-${i % 5003}` },
    outcome: { status: OutcomeStatus.SUCCESS },
    severity: Severity.INFO,
    classification: Classification.INTERNAL,
    categories: i % 3 === 0 ? ['PII'] : [],
    tags: ['bench'],
    metadata: { path: '/api/v1/records', bytes: i * 7 },
  };
}

async function benchOne(label: string, databaseUrl?: string): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-bench-prune-'));
  const app = await startApp(
    loadConfig({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      CHECKPOINT_INTERVAL_SECONDS: '0',
      VERIFY_CACHE_TTL_SECONDS: '0',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    }),
  );
  try {
    for (let i = 0; i < EVENTS; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, EVENTS - i) }, (_, j) => makeEvent(i + j));
      await app.services.ingest.record('default', batch);
    }
    const actor = { tenantId: 'default', keyId: null, requestId: 'bench-prune' };
    await app.services.retention.addRule(actor, { selector: RetentionSelector.FRAMEWORK, value: 'soc2', maxDays: 1 });

    let last = process.hrtime.bigint();
    let longest = 0n;
    const ticker = setInterval(() => {
      const now = process.hrtime.bigint();
      if (now - last > longest) longest = now - last;
      last = now;
    }, 1);
    let pruning = true;
    let slowest = 0;
    const appends = (async () => {
      for (let i = 0; pruning; i += 1) {
        const started = performance.now();
        await app.services.ingest.record('default', [makeEvent(EVENTS + i)]);
        slowest = Math.max(slowest, performance.now() - started);
        // A SQLite append resolves at once: without a turn of the loop here the prune would never run.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    })();
    const started = performance.now();
    const result = await app.services.retention.prune(actor, { now: new Date(Date.now() + 2 * DAY) });
    const seconds = (performance.now() - started) / 1000;
    pruning = false;
    await appends;
    clearInterval(ticker);
    if (result.deleted < EVENTS) throw new Error(`pruned ${result.deleted} of ${EVENTS} events`);
    const verified = await app.services.verifier.verify('default');
    if (!verified.valid || verified.prunedPrefix?.throughSequence !== result.throughSequence) {
      throw new Error(`the pruned chain does not verify: ${JSON.stringify(verified.firstFailure)}`);
    }
    console.log(`prune_seconds_${label}=${seconds.toFixed(1)} (${result.deleted} events)`);
    console.log(`prune_events_per_second_${label}=${Math.round(result.deleted / seconds)}`);
    console.log(`prune_max_append_ms_${label}=${slowest.toFixed(1)}`);
    console.log(`prune_max_loop_block_ms_${label}=${(Number(longest) / 1e6).toFixed(1)}`);
  } finally {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs on SQLite, then on a fresh MariaDB database that it drops afterwards. */
export async function pruneBench(): Promise<void> {
  // BENCH_PRUNE_DB=sqlite or mariadb runs one of them.
  const only = process.env.BENCH_PRUNE_DB;
  if (only !== 'mariadb') await benchOne('sqlite');
  if (only === 'sqlite') return;
  const server = new URL(SERVER);
  const name = `dpa_bench_prune_${randomBytes(4).toString('hex')}`;
  const admin = await createConnection({
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username) || 'root',
    password: decodeURIComponent(server.password),
  });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  try {
    const url = new URL(SERVER);
    url.pathname = `/${name}`;
    await benchOne('mariadb', url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  }
}

if (require.main === module) {
  pruneBench().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
