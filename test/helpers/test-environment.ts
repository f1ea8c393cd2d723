import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'mysql2/promise';
import { type App, startApp } from '../../src/app';
import { loadConfig } from '../../src/config/config';

/** Which database the suite runs on: DATAPUNK_TEST_DATABASE=mariadb, else SQLite. */
export const TEST_DIALECT: 'sqlite' | 'mariadb' = process.env.DATAPUNK_TEST_DATABASE === 'mariadb' ? 'mariadb' : 'sqlite';
const MARIADB_SERVER = process.env.DATAPUNK_TEST_MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306';
export const REPO_ROOT = path.resolve(__dirname, '../..');

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  headers: Headers;
  body: { data?: T | null; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[] };
}

export interface TestEnvironment {
  app: App;
  url: string;
  dialect: 'sqlite' | 'mariadb';
  /** ADMIN key of the `default` tenant. */
  adminKey: string;
  /** The environment the server was started with (for extra processes). */
  env: Record<string, string>;
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, key?: string | null): Promise<GraphQLResponse<T>>;
  /** Raw SQL against the test database, bypassing the service (for tampering tests). */
  sql<T = Record<string, unknown>>(statement: string, params?: unknown[]): Promise<T[]>;
  /** Creates a key through the service layer (any tenant). */
  createKey(role: 'ADMIN' | 'AUDITOR' | 'INGEST' | 'VIEWER', tenant?: string): Promise<string>;
  /** Stops and starts the server on the same database and data dir. */
  restart(): Promise<void>;
  /** Starts `datapunk-audit serve` from dist/ in a child process on the same database. */
  spawnServer(extraEnv?: Record<string, string>): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }>;
  close(): Promise<void>;
}

async function createDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const server = new URL(MARIADB_SERVER);
  const name = `dpa_test_${randomBytes(6).toString('hex')}`;
  // A connection for each statement, not one held open: behind a cluster proxy, the node the
  // database was created on may be gone (killed by a failover test) when it is dropped.
  const admin = async (statement: string) => {
    const connection = await createConnection({
      host: server.hostname,
      port: Number(server.port || 3306),
      user: decodeURIComponent(server.username) || 'root',
      password: decodeURIComponent(server.password),
    });
    try {
      await connection.query(statement);
    } finally {
      await connection.end();
    }
  };
  await admin(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(`DROP DATABASE IF EXISTS \`${name}\``),
  };
}

/**
 * Boots the real server over HTTP on a fresh database (a new SQLite file, or a new MariaDB
 * database), running the real migrations. Fails — never skips — when MariaDB is unreachable.
 */
export async function createTestEnvironment(overrides: Record<string, string> = {}): Promise<TestEnvironment> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-test-'));
  const database = TEST_DIALECT === 'mariadb' ? await createDatabase() : null;
  const adminKey = `dpa_test_admin_${randomBytes(16).toString('hex')}`;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    DATAPUNK_BOOTSTRAP_ADMIN_KEY: adminKey,
    LOG_LEVEL: 'silent',
    CHECKPOINT_INTERVAL_SECONDS: '0',
    CACHE_NAMESPACE: `dpa-test-${randomBytes(4).toString('hex')}`,
    // Tests seed history in one go, recorded now: a century of lag counts it as recorded on time.
    // The recording-time rules are tested with the default (compliance-point-in-time).
    EVIDENCE_RECORDING_LAG_MINUTES: '52560000',
    // Reads are recorded (READ_AUDIT stays on), but appended only on flush() and at shutdown, never on
    // a timer in the middle of a test that counts the chain (ADR 0044); read-audit.e2e-spec flushes.
    READ_AUDIT_FLUSH_SECONDS: '0',
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...overrides,
  };
  let app: App;
  try {
    app = await startApp(loadConfig(env));
  } catch (error) {
    // A start that fails on purpose (bad settings, broken plugins) must not leave its database behind.
    if (database) await database.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const children = new Set<ChildProcess>();

  const environment: TestEnvironment = {
    get app() {
      return app;
    },
    get url() {
      return app.url;
    },
    dialect: TEST_DIALECT,
    adminKey,
    env,
    async gql(query, variables, key = adminKey) {
      const res = await fetch(app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: JSON.parse(text) };
    },
    async sql(statement, params = []) {
      return app.dataSource.query(statement, params);
    },
    async createKey(role, tenant = 'default') {
      return (await app.services.apiKeys.create(tenant, role as never, `${role} test key`)).secret;
    },
    async restart() {
      await app.close();
      app = await startApp(loadConfig({ ...env, MIGRATIONS_RUN: 'true' }));
    },
    async spawnServer(extraEnv = {}) {
      const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist/src/cli.js'), 'serve'], {
        env: { ...process.env, ...env, MIGRATIONS_RUN: 'false', LOG_LEVEL: 'warn', ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      const url = await new Promise<string>((resolve, reject) => {
        let err = '';
        const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 30000);
        child.stderr.on('data', (chunk: Buffer) => {
          err += chunk.toString();
          const match = /GraphQL endpoint: (\S+)/.exec(err);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
        child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${err}`)));
      });
      return {
        url,
        process: child,
        stop: () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      };
    },
    async close() {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      await app.close();
      if (database) await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return environment;
}

/** A valid event input; override any field. */
export function eventInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    occurredAt: new Date(Date.now() - 60_000).toISOString(),
    actor: { id: 'u-42', type: 'USER', ip: '203.0.113.7', userAgent: 'jest' },
    action: 'auth.login',
    resource: { type: 'session', id: 's-1' },
    outcome: { status: 'SUCCESS' },
    severity: 'INFO',
    classification: 'INTERNAL',
    metadata: { any: 'json' },
    ...overrides,
  };
}

export const RECORD = `mutation Record($input: RecordAuditEventsInput!) {
  recordAuditEvents(input: $input) { recordedCount receipts { id sequence hash chainHash recordedAt idempotencyKey replayed } }
}`;

export const VERIFY = `query Verify($from: SafeInt, $to: SafeInt) {
  verifyAuditChain(fromSequence: $from, toSequence: $to) {
    valid checkedCount checkpointsChecked headSequence headChainHash fromSequence toSequence
    firstFailure { sequence reason message }
    latestCheckpoint { sequence chainHash signature keyId }
  }
}`;
