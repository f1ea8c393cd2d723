import { HEALTH_MAX_MS, whileProbing } from '../helpers/health-probe';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

const ASSESS = `query Assess($input: AssessComplianceInput!) {
  assessCompliance(input: $input) { frameworkId cached headSequence counts { total nonCompliant } }
}`;

const TOTAL = 20_000;
const BATCH = 1000;
/** Sixty days ago: every deadline (30 days at most here) has passed, so the triggers are overdue. */
const START = Date.now() - 60 * 86_400_000;

/**
 * The attack of issue 9: 10,000 `incident.detected` (the trigger of HIPAA 164.308(a)(6)(ii) and
 * SOC 2 CC7.4, never resolved) and 10,000 `dsar.received` / `breach.detected` (the triggers of the
 * GDPR and SOC 2 privacy rules), all on one resource, so a per-trigger lookup of follow-ups reads
 * every event of it for every trigger.
 */
const event = (i: number) =>
  eventInput({
    occurredAt: new Date(START + i * 10_000).toISOString(),
    action: i % 2 === 0 ? 'incident.detected' : i % 4 === 1 ? 'dsar.received' : 'breach.detected',
    resource: { type: 'incident', id: 'inc-1' },
  });

async function gql(url: string, key: string, query: string, variables: Record<string, unknown>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
}

describe('abuse: assessing a trail full of temporal-rule triggers', () => {
  let env: TestEnvironment;
  let server: Awaited<ReturnType<TestEnvironment['spawnServer']>>;

  beforeAll(async () => {
    env = await createTestEnvironment();
    server = await env.spawnServer();
  });
  afterAll(async () => {
    await server?.stop();
    await env?.close();
  });

  it('answers hipaa, soc2 and gdpr assessments over 10,000 unanswered triggers while /healthz stays responsive', async () => {
    const ingest = await env.createKey('INGEST');
    for (let from = 0; from < TOTAL; from += BATCH) {
      const events = Array.from({ length: BATCH }, (_, k) => event(from + k));
      const res = await gql(server.url, ingest, RECORD, { input: { events } });
      expect(res.errors).toBeUndefined();
    }
    const auditor = await env.createKey('AUDITOR');
    const from = new Date(START - 86_400_000).toISOString();

    const { result, probe } = await whileProbing(server.url, async () => {
      const answers = [];
      for (const frameworkId of ['hipaa', 'soc2', 'gdpr'])
        answers.push(await gql(server.url, auditor, ASSESS, { input: { frameworkId, from } }));
      return answers;
    });

    for (const answer of result) {
      expect(answer.errors).toBeUndefined();
      expect(answer.data.assessCompliance).toMatchObject({ cached: false, headSequence: TOTAL });
      // The unanswered triggers are findings.
      expect(answer.data.assessCompliance.counts.nonCompliant).toBeGreaterThan(0);
    }
    expect(probe.failures).toBe(0);
    expect(probe.max).toBeLessThan(HEALTH_MAX_MS);
  }, 180_000);
});
