import { HEALTH_MAX_MS, whileProbing } from '../helpers/health-probe';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

const TOTAL = 100_000;
const BATCH = 1000;

async function gql(url: string, key: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
}

const PAGE = `query Page($filter: AuditEventFilter) {
  auditEvents(first: 10, filter: $filter) { edges { node { id } } pageInfo { hasNextPage } }
}`;

/**
 * A page of a large tenant under a filter that no index serves and nothing meets: the read walks
 * every event of the tenant to fill ten rows. On SQLite, a synchronous driver, such a read on the
 * server's thread held /healthz for as long as it ran; every one of these pages (a filter, a control's
 * evidence condition, a page of evidence) must leave the node answering.
 */
describe('abuse: pages of a large tenant under filters that match nothing', () => {
  let env: TestEnvironment;
  let server: Awaited<ReturnType<TestEnvironment['spawnServer']>>;
  let viewer: string;

  beforeAll(async () => {
    env = await createTestEnvironment();
    server = await env.spawnServer();
    const ingest = await env.createKey('INGEST');
    const start = Date.now() - 30 * 86_400_000;
    for (let from = 0; from < TOTAL; from += BATCH) {
      const events = Array.from({ length: BATCH }, (_, k) =>
        eventInput({
          occurredAt: new Date(start + (from + k) * 1000).toISOString(),
          actor: { id: `u-${(from + k) % 97}`, type: 'USER' },
          outcome: { status: 'FAILURE' },
        }),
      );
      const res = await gql(server.url, ingest, RECORD, { input: { events } });
      expect(res.errors).toBeUndefined();
    }
    viewer = await env.createKey('VIEWER');
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
    await env?.close();
  });

  it('walks 100,000 events for an empty page, again and again, while /healthz stays responsive', async () => {
    const filters = [
      { outcomeStatus: 'SUCCESS' },
      { minSeverity: 'CRITICAL' },
      // CC6.1's evidence: successful sign-ins, verified second factors, lockouts, refused calls.
      { control: { frameworkId: 'soc2', controlId: 'CC6.1' } },
      { minClassification: 'RESTRICTED', actorType: 'USER' },
    ];
    const { result, probe } = await whileProbing(server.url, async () => {
      const answers = [];
      for (let round = 0; round < 6; round++)
        answers.push(...(await Promise.all(filters.map((filter) => gql(server.url, viewer, PAGE, { filter })))));
      return answers;
    });
    for (const answer of result) {
      expect(answer.errors).toBeUndefined();
      expect(answer.data.auditEvents).toEqual({ edges: [], pageInfo: { hasNextPage: false } });
    }
    expect(probe.failures).toBe(0);
    expect(probe.max).toBeLessThan(HEALTH_MAX_MS);
  }, 300_000);

  // Every event is a failed sign-in: none is evidence of CC6.1, and each must be read to know it.
  it("walks the tenant for a control's evidence that nothing meets, while /healthz stays responsive", async () => {
    const EVIDENCE = `{ control(frameworkId: "soc2", id: "CC6.1") { evidence(first: 10) { edges { node { id } } pageInfo { hasNextPage } } } }`;
    const { result, probe } = await whileProbing(server.url, async () => {
      const answers = [];
      for (let round = 0; round < 12; round++) answers.push(...(await Promise.all([1, 2].map(() => gql(server.url, viewer, EVIDENCE)))));
      return answers;
    });
    for (const answer of result) {
      expect(answer.errors).toBeUndefined();
      expect(answer.data.control.evidence).toEqual({ edges: [], pageInfo: { hasNextPage: false } });
    }
    expect(probe.failures).toBe(0);
    expect(probe.max).toBeLessThan(HEALTH_MAX_MS);
  }, 300_000);
});
