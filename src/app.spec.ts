import type { DataSource } from 'typeorm';
import { checkSqlMode } from './app';

const mysqlWithMode = (mode: string) => ({ options: { type: 'mariadb' }, query: async () => [{ mode }] }) as unknown as DataSource;

describe('start-up check of the MySQL sql_mode', () => {
  it('refuses NO_BACKSLASH_ESCAPES, which would change what every escaped string means', async () => {
    await expect(checkSqlMode(mysqlWithMode('STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES'))).rejects.toMatchObject({
      code: 'DATABASE_MODE_UNSUPPORTED',
    });
  });

  it('accepts the usual modes', async () => {
    await expect(checkSqlMode(mysqlWithMode('STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO'))).resolves.toBeUndefined();
  });
});
