import fs from 'node:fs';
import path from 'node:path';
import { format } from 'mysql2';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/config';
import { AuditEventEntity, AuditEventLabelEntity, AuditEventRollupEntity, ServerActionFloorEntity } from '../audit/audit-event.entity';
import { ChainHeadEntity, CheckpointEntity, SigningKeyEntity } from '../audit/chain.entity';
import { ApiKeyEntity, TenantEntity } from '../auth/auth.entity';
import { ReportChunkEntity, ReportEntity, ReportTemplateEntity, ReportTemplateVersionEntity } from '../reports/report.entity';
import { mysqlMigrations } from '../../migrations/mysql';
import { sqliteMigrations } from '../../migrations/sqlite';
import { sqliteRegexp } from '../compliance/name-pattern';

export const ENTITIES = [
  TenantEntity,
  ApiKeyEntity,
  AuditEventEntity,
  AuditEventLabelEntity,
  AuditEventRollupEntity,
  ServerActionFloorEntity,
  ChainHeadEntity,
  CheckpointEntity,
  SigningKeyEntity,
  ReportEntity,
  ReportChunkEntity,
  ReportTemplateEntity,
  ReportTemplateVersionEntity,
];

export interface DataSourceSettings {
  database: DatabaseConfig;
  poolSize?: number;
  /** Only for throwaway schemas (the migration generator); never for a real database. */
  withoutMigrations?: boolean;
  /** Open an existing SQLite file read-only (verification must not touch the evidence). */
  readOnly?: boolean;
}

/** Builds (does not open) the TypeORM data source for the configured dialect. */
export function createDataSource({ database, poolSize = 10, withoutMigrations = false, readOnly = false }: DataSourceSettings): DataSource {
  let options: DataSourceOptions;
  if (database.dialect === 'sqlite') {
    if (database.location !== ':memory:' && !readOnly) fs.mkdirSync(path.dirname(database.location), { recursive: true });
    options = {
      type: 'better-sqlite3',
      database: database.location,
      readonly: readOnly,
      entities: ENTITIES,
      migrations: withoutMigrations ? [] : sqliteMigrations,
      prepareDatabase: (db: { pragma: (s: string) => unknown; function: (name: string, options: object, fn: Function) => unknown }) => {
        // `x REGEXP p` for rule globs (MariaDB has it built in).
        db.function('regexp', { deterministic: true }, sqliteRegexp);
        db.pragma('busy_timeout = 10000');
        if (readOnly) return;
        db.pragma('journal_mode = WAL');
        // FULL: a commit is on disk before recordAuditEvents answers, even across a power loss.
        db.pragma('synchronous = FULL');
        db.pragma('busy_timeout = 10000');
        db.pragma('foreign_keys = ON');
      },
    };
  } else {
    options = {
      // `mariadb` keeps TypeORM from misreading MariaDB's JSON/LONGTEXT (STACK-NOTES).
      type: database.dialect,
      url: database.location.replace(/^mariadb:/, 'mysql:'),
      entities: ENTITIES,
      migrations: withoutMigrations ? [] : mysqlMigrations,
      timezone: 'Z',
      charset: 'utf8mb4_bin',
      supportBigNumbers: true,
      bigNumberStrings: false,
      poolSize,
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
  return new DataSource({ ...options, synchronize: false, migrationsRun: false, logging: false });
}
