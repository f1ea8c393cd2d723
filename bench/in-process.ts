/**
 * What the in-process parts of `npm run bench` (verify, prune) share: a service started in this
 * process on SQLite or a MariaDB database, seeded through the ingest service; a meter of how long
 * the event loop was held; and a run on SQLite, then on a fresh MariaDB database dropped afterwards.
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

const SERVER = process.env.BENCH_MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306';

type App = Awaited<ReturnType<typeof startApp>>;

/** The i-th event of a bench tenant: sign-ins and record reads of 977 people, occurring at `occurredAt`. */
export function benchEvent(i: number, occurredAt: Date): AuditEventInputShape {
  return {
    occurredAt: occurredAt.toISOString(),
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

/**
 * Starts the service in this process (on `databaseUrl`, or a temporary SQLite file), records
 * `events` events of `make` in batches of 1,000 for tenant `default` (timed: `use` gets the ingest
 * rate), runs `use`, and closes it.
 */
export async function withSeededApp(
  name: string,
  databaseUrl: string | undefined,
  events: number,
  make: (i: number) => AuditEventInputShape,
  use: (app: App, seeded: { eventsPerSecond: number }) => Promise<void>,
): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `dpa-bench-${name}-`));
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
    // The seeding is timed: the ingest rate a part can quote beside its own, measured in the same run.
    let ingestSeconds = 0;
    for (let i = 0; i < events; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, events - i) }, (_, j) => make(i + j));
      const started = process.hrtime.bigint();
      await app.services.ingest.record('default', batch);
      ingestSeconds += Number(process.hrtime.bigint() - started) / 1e9;
    }
    await use(app, { eventsPerSecond: events / ingestSeconds });
  } finally {
    await app.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The longest gap between two ticks of a 1 ms timer from now until `stop()`: how long the loop was held, in ms. */
export function loopBlockMeter(): { stop: () => number } {
  let last = process.hrtime.bigint();
  let longest = 0n;
  const ticker = setInterval(() => {
    const now = process.hrtime.bigint();
    if (now - last > longest) longest = now - last;
    last = now;
  }, 1);
  return {
    stop: () => {
      clearInterval(ticker);
      const tail = process.hrtime.bigint() - last;
      return Number(tail > longest ? tail : longest) / 1e6;
    },
  };
}

/** Runs `run` on SQLite and then on a fresh MariaDB database it drops afterwards; `only` picks one. */
export async function onBothDatabases(
  name: string,
  run: (label: 'sqlite' | 'mariadb', databaseUrl?: string) => Promise<void>,
  only?: string,
): Promise<void> {
  if (only !== 'mariadb') await run('sqlite');
  if (only === 'sqlite') return;
  const server = new URL(SERVER);
  const database = `dpa_bench_${name}_${randomBytes(4).toString('hex')}`;
  const admin = await createConnection({
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username) || 'root',
    password: decodeURIComponent(server.password),
  });
  await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  try {
    const url = new URL(SERVER);
    url.pathname = `/${database}`;
    await run('mariadb', url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
  }
}

/**
 * `main` as a script's entry point: exit 0 when it resolves, 1 with the error printed when it fails.
 * A timer holds the process until then: the service's shutdown waits on unref'd timers only, so
 * with nothing else open (after the SQLite run) Node would exit in the middle of `app.close()`,
 * before the MariaDB run — which a standalone `node dist/bench/verify.js` silently skipped.
 */
export function runAsScript(main: () => Promise<void>): void {
  const hold = setInterval(() => undefined, 60_000);
  main()
    .finally(() => clearInterval(hold))
    .then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
}
