/**
 * The verification part of `npm run bench` (BENCH_ONLY=verify runs it alone): BENCH_VERIFY_EVENTS
 * (default 60,000) events recorded through the ingest service in batches of 1,000, on SQLite (a
 * temporary file) and on MariaDB (a fresh database), then the whole chain re-computed by the
 * verifier the server uses, with its cache off so every round re-hashes. Prints, per database, the
 * median of BENCH_VERIFY_ROUNDS (default 3) as `verify_events_per_second_<db>=<n>`, and the longest
 * stretch the event loop was held during one verification as `verify_max_loop_block_ms_<db>=<ms>`.
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

const EVENTS = Number(process.env.BENCH_VERIFY_EVENTS ?? 60_000);
const ROUNDS = Number(process.env.BENCH_VERIFY_ROUNDS ?? 3);
const SERVER = process.env.BENCH_MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function makeEvent(i: number): AuditEventInputShape {
  return {
    occurredAt: new Date(Date.now() - 3_600_000 + i).toISOString(),
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
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-bench-verify-'));
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
    const rates: number[] = [];
    const blocks: number[] = [];
    for (let r = 0; r < ROUNDS; r += 1) {
      // The longest gap between two ticks of a 1 ms timer is how long the loop was held.
      let last = process.hrtime.bigint();
      let longest = 0n;
      const ticker = setInterval(() => {
        const now = process.hrtime.bigint();
        if (now - last > longest) longest = now - last;
        last = now;
      }, 1);
      const started = process.hrtime.bigint();
      const result = await app.services.verifier.verify('default');
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      clearInterval(ticker);
      const tail = process.hrtime.bigint() - last;
      if (tail > longest) longest = tail;
      if (!result.valid || result.checkedCount < EVENTS) throw new Error(`verification failed: ${JSON.stringify(result.firstFailure)}`);
      rates.push(result.checkedCount / seconds);
      blocks.push(Number(longest) / 1e6);
    }
    console.log(`verify_events_per_second_${label}=${Math.round(median(rates))}`);
    console.log(`verify_max_loop_block_ms_${label}=${median(blocks).toFixed(1)}`);
  } finally {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs on SQLite, then on a fresh MariaDB database that it drops afterwards. */
export async function verifyBench(): Promise<void> {
  await benchOne('sqlite');
  const server = new URL(SERVER);
  const name = `dpa_bench_verify_${randomBytes(4).toString('hex')}`;
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
  verifyBench().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
