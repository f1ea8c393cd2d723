import { atomically } from '../../src/database/atomically';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

describe('atomically', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env?.close());

  const count = async (sql: string, params: unknown[] = []) => Number((await env.sql<{ n: unknown }>(sql, params))[0].n);

  it('does not swallow appends that arrive while report files are stored', async () => {
    // Interleave many report-sized writes with event appends; every acknowledged event must stay.
    const ingest = await env.createKey('INGEST', 'atomic');
    const writes = Array.from({ length: 20 }, (_, i) =>
      atomically(env.app.dataSource, [
        { text: 'INSERT INTO server_action_floor (tenant_id, sequence) VALUES (?, 1)', params: [`w-${i}`] },
        { text: 'INSERT INTO server_action_floor (tenant_id, sequence) VALUES (?, 1)', params: [i % 2 ? `w-${i}` : `x-${i}`] }, // odd ones fail
      ]).catch(() => undefined),
    );
    const appends = Array.from({ length: 20 }, () => env.gql(RECORD, { input: { events: [eventInput()] } }, ingest));
    const results = await Promise.all([...appends, ...writes]);
    const acknowledged = results.slice(0, 20).filter((r: any) => r && !r.body.errors).length;
    expect(acknowledged).toBe(20);
    expect(await count("SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = 'atomic'")).toBe(acknowledged);
  });
});
