import type { DataSource } from 'typeorm';
import type { DatabaseConfig } from '../config/config';
import { createDataSource, DEFAULT_DATABASE_TIMEOUTS } from './data-source';

/**
 * Applies pending migrations. On MySQL/MariaDB they run on a connection of their own without the
 * serving pool's statement limit: an ALTER on a large table may rightly take longer than any query.
 */
export async function runPendingMigrations(dataSource: DataSource, database: DatabaseConfig, connectMs: number): Promise<void> {
  if (database.dialect === 'sqlite') {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const migrator = createDataSource({ database, poolSize: 1, timeouts: { ...DEFAULT_DATABASE_TIMEOUTS, connectMs } });
  await migrator.initialize();
  try {
    await migrator.runMigrations({ transaction: 'each' });
  } finally {
    await migrator.destroy();
  }
}
