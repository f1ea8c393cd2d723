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

  it('redoes the insert of new subjects after a deadlock (concurrent batches creating the same subjects)', async () => {
    const { dataSource, inserts } = scripted(2);
    const subjects = await new SubjectVault(dataSource, keys).resolve('t', ['carol', 'alice', 'bob']);
    expect([...subjects.keys()].sort()).toEqual(['alice', 'bob', 'carol']);
    expect(inserts).toHaveLength(3);
    // The new subjects are inserted in lookup order, so that concurrent inserts lock in one order.
    expect(inserts[0]).toEqual([...inserts[0]].sort());
  });

  it('gives up after the third deadlock', async () => {
    const { dataSource, inserts } = scripted(3);
    await expect(new SubjectVault(dataSource, keys).resolve('t', ['alice'])).rejects.toMatchObject({ errno: 1213 });
    expect(inserts).toHaveLength(3);
  });
});
