import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { retryPolicyOf, retryTransient } from './transient-retry';

/** A write statement and the values of its `?` placeholders. */
export interface Statement {
  text: string;
  params: unknown[];
}

/**
 * Runs write statements in one transaction. On SQLite they run synchronously on the raw
 * connection, so nothing can interleave: an async TypeORM transaction there would hold the one
 * connection across awaits, and an append arriving meanwhile would join it (better-sqlite3 nests it
 * as a savepoint) and be lost with it on a rollback. On MySQL/MariaDB, a transaction on its own
 * pooled connection, redone whole after a deadlock or a Galera certification failure (ADR 0054).
 */
export async function atomically(dataSource: DataSource, statements: readonly Statement[]): Promise<void> {
  if (dataSource.options.type === 'better-sqlite3') {
    const db = (dataSource.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection;
    db.transaction(() => {
      for (const s of statements) db.prepare(s.text).run(...(s.params as never[]));
    })();
    return;
  }
  await retryTransient(retryPolicyOf(dataSource), () =>
    dataSource.transaction(async (tx) => {
      for (const s of statements) await tx.query(s.text, s.params);
    }),
  );
}
