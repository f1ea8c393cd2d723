import { mysqlMigrations } from '../../migrations/mysql';
import { sqliteMigrations } from '../../migrations/sqlite';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

/**
 * The ComplianceRollup migration backfills audit_event_rollup from events already stored, in SQL of
 * its own (it imports no live code). On a database holding events it must give exactly the rows
 * the append path wrote for them.
 */
describe('ComplianceRollup migration backfill', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env?.close());

  const day = (n: number, hours = 12) => new Date(Date.UTC(2026, 2, 1 + n, hours)).toISOString();

  /** Every tenant's rollup rows, as text. */
  const rollup = async (): Promise<string[]> =>
    (await env.sql<Record<string, unknown>>('SELECT * FROM audit_event_rollup'))
      .map((r) =>
        [
          r.tenant_id,
          r.day,
          r.action,
          r.outcome_status,
          Number(r.severity),
          Number(r.classification),
          r.resource_type,
          r.actor_type,
          r.categories_key,
          r.categories,
          Number(r.event_count),
          Number(r.min_sequence),
          Number(r.max_sequence),
        ].join('|'),
      )
      .sort();

  it('gives a database with events the rollup the append path gave it', async () => {
    for (const tenant of ['migrated-a', 'migrated-b']) {
      const key = await env.createKey('INGEST', tenant);
      const { body } = await env.gql(
        RECORD,
        {
          input: {
            events: [
              { occurredAt: day(0), action: 'auth.login' },
              { occurredAt: day(0, 23), action: 'auth.login' },
              { occurredAt: day(1, 0), action: 'auth.login', outcome: { status: 'FAILURE' }, severity: 'WARNING' },
              { occurredAt: day(1), action: 'record.read', resource: { type: 'patient_record', id: 'p1' }, categories: ['PII', 'PHI'] },
              { occurredAt: day(1), action: 'record.read', resource: { type: 'patient_record', id: 'p2' }, categories: ['PHI', 'PII'] },
              { occurredAt: day(1), action: 'record.read', resource: { type: 'patient_record', id: 'p3' }, categories: ['PHI'] },
              { occurredAt: day(2), action: 'Record.Read', classification: 'RESTRICTED', categories: ['PCI', 'CREDENTIALS', 'PII'] },
            ].map((e) => eventInput(e)),
          },
        },
        key,
      );
      expect(body.errors).toBeUndefined();
    }
    const written = await rollup();
    // Grouped: the two logins of day 0 share a row, the PII+PHI reads in either order share one.
    expect(written.filter((r) => r.startsWith('migrated-a|'))).toHaveLength(5);
    expect(written.some((r) => r.includes('|CREDENTIALS,PCI,PII|'))).toBe(true);

    const migrations = env.dialect === 'sqlite' ? sqliteMigrations : mysqlMigrations;
    const Migration = migrations.find((m) => m.name.startsWith('ComplianceRollup')) as new () => {
      up(q: unknown): Promise<void>;
    };
    const runner = env.app.dataSource.createQueryRunner();
    try {
      await runner.query('DROP TABLE audit_event_rollup');
      await new Migration().up(runner);
    } finally {
      await runner.release();
    }
    expect(await rollup()).toEqual(written);
  });
});
