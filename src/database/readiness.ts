import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { toSqlDateTime } from './sql-format';
import { countOutsideChain } from './write-state';

/** /readyz answers within this, whatever the database does. */
export const READINESS_TIMEOUT_MS = 1000;
/** Below this much free space (pages under max_page_count, or bytes on the file system) SQLite counts as full. */
const SQLITE_MIN_FREE_PAGES = 16;
const SQLITE_MIN_FREE_BYTES = 8 * 1024 * 1024;

/**
 * Ready means "can take a write now": a one-row UPSERT into readiness_probe (a frozen, read-only
 * or full database fails it, where `SELECT 1` would pass), raced against READINESS_TIMEOUT_MS.
 * At most one probe is in flight; a hung one is shared by later calls instead of piling up.
 */
export function createReadinessProbe(
  dataSource: DataSource,
  options: { timeoutMs?: number; nodeId?: string } = {},
): () => Promise<boolean> {
  const timeoutMs = options.timeoutMs ?? READINESS_TIMEOUT_MS;
  const nodeId = options.nodeId ?? randomUUID();
  let inFlight: Promise<boolean> | null = null;
  const probe = async (): Promise<boolean> => {
    if (!dataSource.isInitialized) return false;
    const now = toSqlDateTime(new Date().toISOString());
    if (dataSource.options.type === 'better-sqlite3') return sqliteProbe(dataSource, nodeId, now);
    await dataSource.query(
      'INSERT INTO readiness_probe (node_id, checked_at) VALUES (?, ?) ON DUPLICATE KEY UPDATE checked_at = VALUES(checked_at)',
      [nodeId, now],
    );
    return true;
  };
  return () => {
    inFlight ??= probe()
      .catch(() => false)
      .finally(() => {
        inFlight = null;
      });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    });
    return Promise.race([inFlight, late]).finally(() => clearTimeout(timer));
  };
}

/** Synchronous on the one connection, so it must not wait for a lock: a short busy_timeout for the probe. */
function sqliteProbe(dataSource: DataSource, nodeId: string, now: string): boolean {
  const db = (dataSource.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection;
  const busy = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma('busy_timeout = 100');
  try {
    const { changes } = db
      .prepare(
        'INSERT INTO readiness_probe (node_id, checked_at) VALUES (?, ?) ON CONFLICT (node_id) DO UPDATE SET checked_at = excluded.checked_at',
      )
      .run(nodeId, now);
    // Not a write to the chain: it must not make the verification cache miss (probed every few seconds).
    countOutsideChain(db, changes);
  } finally {
    db.pragma(`busy_timeout = ${busy}`);
  }
  // An UPSERT rewrites a page it already has, so it passes on a full database; ask about room too.
  const pages = db.pragma('page_count', { simple: true }) as number;
  const maxPages = db.pragma('max_page_count', { simple: true }) as number;
  const freePages = db.pragma('freelist_count', { simple: true }) as number;
  if (maxPages - pages + freePages < SQLITE_MIN_FREE_PAGES) return false;
  const file = db.name;
  if (file && file !== ':memory:' && fs.statfsSync) {
    const stats = fs.statfsSync(path.dirname(file));
    if (stats.bavail * stats.bsize < SQLITE_MIN_FREE_BYTES) return false;
  }
  return true;
}
