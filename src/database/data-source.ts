import fs from 'node:fs';
import path from 'node:path';
import { format } from 'mysql2';
import { type DataSource, type DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/config';
import { mysqlMigrations } from '../../migrations/mysql';
import { sqliteMigrations } from '../../migrations/sqlite';
import { sqliteRegexp } from './sql';
import { type CausalitySettings, type DatabaseTimeouts, guardedMysql2 } from './mysql-driver';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, RetryingDataSource } from './transient-retry';
import { ReadinessProbeEntity } from './readiness-probe.entity';

/** Used where no setting is given (CLI tools, the migration generator): generous, never unbounded. */
export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = { connectMs: 5_000, statementMs: 0, lockMs: 10_000 };

/** The database file and its WAL/shared-memory companions hold every event: owner only. */
function restrictSqliteFiles(location: string): void {
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      fs.chmodSync(`${location}${suffix}`, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/** A TypeORM entity class. */
export type EntityClass = new () => object;

export interface DataSourceSettings {
  database: DatabaseConfig;
  /**
   * The modules' entities (src/entities.ts): the composition root passes them in, so this module
   * knows no feature's tables. Its own readiness-probe table is always mapped.
   */
  entities?: readonly EntityClass[];
  poolSize?: number;
  /** Only for throwaway schemas (the migration generator); never for a real database. */
  withoutMigrations?: boolean;
  /** Open an existing SQLite file read-only (verification must not touch the evidence). */
  readOnly?: boolean;
  /** Connect, statement and lock-wait limits (DATABASE_*_TIMEOUT_SECONDS). */
  timeouts?: DatabaseTimeouts;
  /** DATABASE_RETRY_BUDGET_SECONDS: how long a conflict or a Galera node not ready is retried (ADR 0054). */
  retry?: RetryPolicy;
  /** DATABASE_WSREP_SYNC_WAIT on a Galera node (ADR 0054); default 1, reads wait for the cluster's earlier commits. */
  causality?: CausalitySettings;
}

/** Builds (does not open) the TypeORM data source for the configured dialect. */
export function createDataSource({
  database,
  entities = [],
  poolSize = 10,
  withoutMigrations = false,
  readOnly = false,
  timeouts = DEFAULT_DATABASE_TIMEOUTS,
  retry = DEFAULT_RETRY_POLICY,
  causality = { wsrepSyncWait: 1 },
}: DataSourceSettings): DataSource {
  let options: DataSourceOptions;
  const mapped = [...entities, ReadinessProbeEntity];
  if (database.dialect === 'sqlite') {
    const onDisk = database.location !== ':memory:' && !readOnly;
    if (onDisk) {
      fs.mkdirSync(path.dirname(database.location), { recursive: true, mode: 0o700 });
      // SQLite gives the -wal and -shm files the database file's mode, so create it 0600 first.
      fs.closeSync(fs.openSync(database.location, 'a', 0o600));
      restrictSqliteFiles(database.location);
    }
    options = {
      type: 'better-sqlite3',
      database: database.location,
      readonly: readOnly,
      entities: mapped,
      migrations: withoutMigrations ? [] : sqliteMigrations,
      prepareDatabase: (db: { pragma: (s: string) => unknown; function: (name: string, options: object, fn: Function) => unknown }) => {
        // `x REGEXP p` for rule globs (MariaDB has it built in).
        db.function('regexp', { deterministic: true }, sqliteRegexp);
        // Past DATABASE_LOCK_TIMEOUT_SECONDS another writer's lock gives SQLITE_BUSY (CHAIN_BUSY / DATABASE_UNAVAILABLE).
        db.pragma(`busy_timeout = ${Math.round(timeouts.lockMs)}`);
        if (readOnly) return;
        db.pragma('journal_mode = WAL');
        // FULL: a commit is on disk before recordAuditEvents answers, even across a power loss.
        db.pragma('synchronous = FULL');
        db.pragma('foreign_keys = ON');
        // Deleted content is overwritten, not left in free pages: an erasure's purged reports (ADR 0042) leave no bytes behind.
        db.pragma('secure_delete = ON');
        if (onDisk) restrictSqliteFiles(database.location);
      },
    };
  } else {
    options = {
      // `mariadb` keeps TypeORM from misreading MariaDB's JSON/LONGTEXT (STACK-NOTES).
      type: database.dialect,
      url: database.location.replace(/^mariadb:/, 'mysql:'),
      entities: mapped,
      migrations: withoutMigrations ? [] : mysqlMigrations,
      timezone: 'Z',
      charset: 'utf8mb4_bin',
      supportBigNumbers: true,
      bigNumberStrings: false,
      poolSize,
      connectTimeout: timeouts.connectMs,
      // mysql2 itself, wrapped: session sql_mode and limits on every connection, an acquire timeout.
      driver: guardedMysql2(database.dialect, timeouts, causality),
      connectorPackage: 'mysql2',
      extra: {
        connectionLimit: poolSize,
        enableKeepAlive: true,
        // mysql2 scans every statement for `?` placeholders even without values; the ingest path sends
        // ~1 MB statements it escaped itself, so skip the scan when there is nothing to substitute.
        queryFormat: (sql: string, values: unknown) =>
          Array.isArray(values) && values.length ? format(sql, values as never[], false, 'Z') : sql,
      },
    };
  }
  return new RetryingDataSource({ ...options, synchronize: false, migrationsRun: false, logging: false }, retry);
}
