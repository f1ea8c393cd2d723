import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { PrivacyKeys } from './privacy-key';
import { SubjectVault } from './subject-vault';

/**
 * A data source whose first `deadlocks` INSERTs into data_subject fail with ER_LOCK_DEADLOCK; the
 * rows of an INSERT that succeeds are what later look-ups return.
 */
function scripted(deadlocks: number) {
  const stored: { ref: string; lookup: string; wrapped_key: string; sealed_fields: number }[] = [];
  const inserts: string[][] = [];
  const dataSource = {
    options: { type: 'mariadb' },
    async query(sql: string, params: unknown[]) {
      if (sql.startsWith('SELECT ref, lookup')) {
        const lookups = new Set(params.slice(1));
        return stored.filter((r) => lookups.has(r.lookup));
      }
      if (sql.startsWith('INSERT INTO data_subject')) {
        const lookups: string[] = [];
        for (let i = 0; i < params.length; i += 7) lookups.push(String(params[i + 2]));
        inserts.push(lookups);
        if (inserts.length <= deadlocks) throw Object.assign(new Error('Deadlock found'), { errno: 1213 });
        for (let i = 0; i < params.length; i += 7)
          stored.push({ ref: String(params[i + 1]), lookup: String(params[i + 2]), wrapped_key: String(params[i + 3]), sealed_fields: 0 });
        return [];
      }
      throw new Error(`unexpected statement ${sql}`);
    },
  } as unknown as DataSource;
  return { dataSource, inserts };
}

describe('SubjectVault.resolve', () => {
  const keys = new PrivacyKeys(randomBytes(32));

  // A deadlock of the insert is redone by the data source (RetryingDataSource, ADR 0054; transient-retry.spec.ts).
  it('inserts the new subjects in lookup order, so that concurrent inserts lock in one order', async () => {
    const { dataSource, inserts } = scripted(0);
    const subjects = await new SubjectVault(dataSource, keys).resolve('t', ['carol', 'alice', 'bob']);
    expect([...subjects.keys()].sort()).toEqual(['alice', 'bob', 'carol']);
    expect(inserts).toHaveLength(1);
    expect(inserts[0]).toEqual([...inserts[0]].sort());
  });
});
