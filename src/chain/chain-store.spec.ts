import type { DataSource } from 'typeorm';
import { MysqlChainStore } from './chain-store';
import { ActorType, OutcomeStatus } from '../audit/audit-event.model';
import { prepareEvents } from '../ingest/event-validation';

/** A data source whose INSERT fails with the scripted MySQL errno on attempt n (undefined: succeeds). */
function scripted(errors: (number | undefined)[]) {
  const inserts: number[] = [];
  let attempts = 0;
  const dataSource = {
    createQueryRunner() {
      const attempt = attempts++;
      return {
        isTransactionActive: false,
        async connect() {},
        async startTransaction() {
          this.isTransactionActive = true;
        },
        async commitTransaction() {
          this.isTransactionActive = false;
        },
        async rollbackTransaction() {
          this.isTransactionActive = false;
        },
        async release() {},
        async query(sql: string) {
          if (sql.startsWith('SELECT sequence')) return [{ sequence: 0, chain_hash: '0'.repeat(64) }];
          if (sql.startsWith('INSERT INTO audit_event ')) {
            inserts.push(attempt);
            const errno = errors[attempt];
            if (errno) throw Object.assign(new Error(`errno ${errno}`), { errno });
          }
          return [];
        },
      };
    },
  } as unknown as DataSource;
  return { dataSource, inserts };
}

const batch = (idempotencyKey?: string) =>
  prepareEvents(
    [
      {
        occurredAt: new Date().toISOString(),
        actor: { id: 'u', type: ActorType.USER },
        action: 'a.b',
        resource: { type: 't', id: 'i' },
        outcome: { status: OutcomeStatus.SUCCESS },
        idempotencyKey,
      },
    ],
    { maxStringLength: 1024, maxMetadataBytes: 16384, maxOccurredAtAgeMs: 1e12, maxClockSkewMs: 1e6 },
  );

describe('MysqlChainStore retries', () => {
  it('retries two deadlocks and commits on the third attempt', async () => {
    const { dataSource, inserts } = scripted([1213, 1213]);
    await expect(new MysqlChainStore(dataSource).append('t', batch())).resolves.toMatchObject({ written: 1 });
    expect(inserts).toEqual([0, 1, 2]);
  });

  it('turns a third deadlock into CHAIN_BUSY', async () => {
    const { dataSource } = scripted([1213, 1213, 1213]);
    await expect(new MysqlChainStore(dataSource).append('t', batch())).rejects.toMatchObject({ code: 'CHAIN_BUSY' });
  });

  it('redoes a keyed batch once after a duplicate key without spending a deadlock retry', async () => {
    const { dataSource, inserts } = scripted([1062, 1213, 1213]);
    await expect(new MysqlChainStore(dataSource).append('t', batch('k'))).resolves.toMatchObject({ written: 1 });
    expect(inserts).toEqual([0, 1, 2, 3]);
  });

  it('raises a second duplicate key instead of looping', async () => {
    const { dataSource, inserts } = scripted([1062, 1062]);
    await expect(new MysqlChainStore(dataSource).append('t', batch('k'))).rejects.toMatchObject({ errno: 1062 });
    expect(inserts).toEqual([0, 1]);
  });
});
