import { SqliteReader } from '../../src/database/sqlite-reader';
import { createTestEnvironment, eventInput, RECORD, type TestEnvironment } from '../helpers/test-environment';

// SQLite runs a statement on the thread that calls it: a count or a GROUP BY over a large tenant
// would hold every other request. They read through the reader processes instead (ADR 0014).
describe('counts and stats read outside the event loop on SQLite', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env.close());

  it('answers totalCount, auditEventStats and a control-filtered count through the reader, with the right numbers', async () => {
    const actions = ['auth.login', 'auth.login', 'auth.logout', 'patient_record.read', 'auth.login'];
    const recorded = await env.gql(RECORD, { input: { events: actions.map((action) => eventInput({ action })) } });
    expect(recorded.body.errors).toBeUndefined();
    const read = jest.spyOn(SqliteReader.prototype, 'read');
    try {
      const res = await env.gql(`{
        all: auditEvents(first: 1) { totalCount }
      }`);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.all.totalCount).toBe(5);
      const stats = await env.gql('{ auditEventStats(groupBy: ACTION) { total groups { key count } } }');
      expect(stats.body.errors).toBeUndefined();
      expect(stats.body.data!.auditEventStats.total).toBe(5);
      expect(stats.body.data!.auditEventStats.groups).toEqual([
        { key: 'auth.login', count: 3 },
        { key: 'auth.logout', count: 1 },
        { key: 'patient_record.read', count: 1 },
      ]);
      const logins = await env.gql('{ auditEvents(first: 1, filter: { actionPrefix: "auth." }) { totalCount } }');
      expect(logins.body.errors).toBeUndefined();
      expect(logins.body.data!.auditEvents.totalCount).toBe(4);
      const statements = read.mock.calls.flatMap(([batch]) => batch.map((s) => s.text));
      if (env.dialect === 'sqlite') {
        expect(statements.filter((text) => /COUNT\(\*\)/i.test(text)).length).toBeGreaterThanOrEqual(3);
      } else {
        expect(statements).toEqual([]); // MariaDB answers on its own server; no reader exists
      }
    } finally {
      read.mockRestore();
    }
  });
});
