import { createTestEnvironment, eventInput, RECORD, type TestEnvironment } from '../helpers/test-environment';
import { HEALTH_MAX_MS, whileProbing } from '../helpers/health-probe';
import { type OwnProcess, startOwnRedis } from '../helpers/own-services';

interface Answer {
  status: number;
  retryAfter: string | null;
  codes: string[];
  budget?: string;
  data: Record<string, any> | null | undefined;
}

/** One POST to /graphql; a hang fails the test (the signal) instead of passing slowly. */
async function post(url: string, query: string, key?: string | null, variables?: Record<string, unknown>): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(20_000),
  });
  const body = (await res.json()) as { data?: Record<string, any> | null; errors?: { extensions?: { code?: string; budget?: string } }[] };
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    codes: (body.errors ?? []).map((e) => String(e.extensions?.code)),
    budget: body.errors?.[0]?.extensions?.budget,
    data: body.data,
  };
}

const VIEWER = '{ viewer { keyId } }';
const VERIFY = '{ verifyAuditChain { valid } }';

/**
 * Runs the paths the tests take a few times, with keys of a tenant of its own (the address budget is
 * left alone), so that the probe measures the attack and not the spawned server's first compilations.
 */
async function warmUp(env: TestEnvironment, url: string): Promise<void> {
  const key = await env.createKey('ADMIN', 'rl-warm-up');
  const viewer = await env.createKey('VIEWER', 'rl-warm-up');
  for (let i = 0; i < 3; i += 1) {
    await post(url, VIEWER, key);
    await post(url, RECORD, key, { input: { events: [eventInput()] } });
    await post(url, VERIFY, key);
    await post(url, '{ apiKeys { id } }', viewer);
  }
}

/** A 429 as the API promises it: RATE_LIMITED, and a Retry-After of 1–60 seconds. */
function expectRateLimited(answer: Answer, budget?: string): void {
  expect(answer.status).toBe(429);
  expect(answer.codes).toEqual(['RATE_LIMITED']);
  expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(answer.retryAfter)).toBeLessThanOrEqual(60);
  if (budget) expect(answer.budget).toBe(budget);
}

describe('abuse: rate limits', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env?.close());

  it('refuses a flooding key with 429, Retry-After and RATE_LIMITED, while other keys and tenants are served', async () => {
    const server = await env.spawnServer({ RATE_LIMIT_REQUESTS_PER_MINUTE: '20' });
    await warmUp(env, server.url);
    try {
      const flooder = await env.createKey('VIEWER');
      const neighbour = await env.createKey('VIEWER');
      const otherTenant = await env.createKey('AUDITOR', 'rl-other');
      const { result: answers, probe } = await whileProbing(server.url, async () => {
        const seen: Answer[] = [];
        for (let round = 0; round < 10; round += 1)
          seen.push(...(await Promise.all([0, 1, 2].map(() => post(server.url, VIEWER, flooder)))));
        return seen;
      });
      // 20 a minute: the first 20 pass, every later one is refused in the same window.
      expect(answers.filter((a) => a.status === 200 && !a.codes.length)).toHaveLength(20);
      const refused = answers.filter((a) => a.status !== 200);
      expect(refused).toHaveLength(10);
      for (const answer of refused) expectRateLimited(answer, 'requests');
      expect(await post(server.url, VIEWER, neighbour)).toMatchObject({ status: 200, codes: [] });
      expect(await post(server.url, VIEWER, otherTenant)).toMatchObject({ status: 200, codes: [] });
      expect(probe.failures).toBe(0);
      expect(probe.max).toBeLessThan(HEALTH_MAX_MS);
    } finally {
      await server.stop();
    }
  });

  it('refuses an unauthenticated flood from one address with 429, wrong keys included, and keeps serving valid keys', async () => {
    const server = await env.spawnServer({ RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: '10' });
    await warmUp(env, server.url);
    try {
      const valid = await env.createKey('VIEWER');
      const { result: answers, probe } = await whileProbing(server.url, async () => {
        const seen: Answer[] = [];
        // Every other one with a large body (refused before it is read), every fourth with a key that matches none.
        const padding = { padding: 'x'.repeat(1 << 20) };
        for (let i = 0; i < 16; i += 1)
          seen.push(await post(server.url, VIEWER, i % 4 === 1 ? 'dpa_not_a_key' : null, i % 2 ? padding : undefined));
        return seen;
      });
      const refused = answers.filter((a) => a.status === 429);
      expect(refused).toHaveLength(6);
      for (const answer of refused) expectRateLimited(answer);
      // The ten before were answered, as unauthenticated, and the six after refused.
      for (const answer of answers.slice(0, 10)) expect(answer.codes).toEqual(['UNAUTHENTICATED']);
      expect(answers.slice(10)).toEqual(refused);
      expect(await post(server.url, VIEWER, valid)).toMatchObject({ status: 200, codes: [] });
      expect(probe.failures).toBe(0);
      expect(probe.max).toBeLessThan(HEALTH_MAX_MS);
    } finally {
      await server.stop();
    }
  });

  it('keeps ingest events and expensive operations in budgets of their own', async () => {
    const server = await env.spawnServer({
      RATE_LIMIT_INGEST_EVENTS_PER_MINUTE: '10',
      RATE_LIMIT_EXPENSIVE_PER_MINUTE: '3',
      // Several expensive fields in one operation, so the budget (not the per-operation cap) is what refuses.
      MAX_EXPENSIVE_FIELDS_PER_OPERATION: '10',
    });
    await warmUp(env, server.url);
    try {
      const admin = await env.createKey('ADMIN', 'rl-budgets');
      const other = await env.createKey('ADMIN', 'rl-budgets');
      const { result, probe } = await whileProbing(server.url, async () => {
        const batch = await post(server.url, RECORD, admin, { input: { events: Array.from({ length: 10 }, () => eventInput()) } });
        const overIngest = await post(server.url, RECORD, admin, { input: { events: [eventInput()] } });
        // Ingest spent: the expensive budget is untouched.
        const verifies = [];
        for (let i = 0; i < 3; i += 1) verifies.push(await post(server.url, VERIFY, admin));
        const overExpensive = await post(server.url, VERIFY, admin);
        const aliased = await post(
          server.url,
          '{ a: verifyAuditChain { valid } b: verifyAuditChain { valid } c: verifyAuditChain { valid } d: verifyAuditChain { valid } }',
          other,
        );
        const cheap = await post(server.url, VIEWER, admin);
        const otherIngest = await post(server.url, RECORD, other, { input: { events: [eventInput()] } });
        return { batch, overIngest, verifies, overExpensive, aliased, cheap, otherIngest };
      });
      expect(result.batch).toMatchObject({ status: 200, codes: [] });
      expect(result.batch.data!.recordAuditEvents.recordedCount).toBe(10);
      expectRateLimited(result.overIngest, 'ingest');
      for (const answer of result.verifies) expect(answer).toMatchObject({ status: 200, codes: [] });
      expectRateLimited(result.overExpensive, 'expensive');
      // Four expensive fields in one operation exceed a budget of three: refused, whatever the window.
      expectRateLimited(result.aliased, 'expensive');
      expect(result.cheap).toMatchObject({ status: 200, codes: [] });
      expect(result.otherIngest).toMatchObject({ status: 200, codes: [] });
      // The refused batch wrote nothing.
      const [{ n }] = await env.sql<{ n: unknown }>(
        "SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = 'rl-budgets' AND action = 'auth.login'",
      );
      expect(Number(n)).toBe(11);
      expect(probe.failures).toBe(0);
      expect(probe.max).toBeLessThan(HEALTH_MAX_MS);
    } finally {
      await server.stop();
    }
  });

  it('writes a bounded number of chain events for a VIEWER sending 50 requests of 7 forbidden fields, and counts every refusal', async () => {
    const TENANT = 'rl-denials';
    // Seven refused fields in one request, two of them expensive: the per-operation cap must not refuse first.
    const server = await env.spawnServer({ RATE_LIMIT_EXPENSIVE_PER_MINUTE: '0', MAX_EXPENSIVE_FIELDS_PER_OPERATION: '10' });
    await warmUp(env, server.url);
    const viewer = await env.createKey('VIEWER', TENANT);
    const forbidden = `{
      verifyAuditChain { valid } checkpoints { sequence } apiKeys { id } reports { id }
      reportTemplates { id } report(id: "00000000-0000-0000-0000-000000000000") { id }
      assessCompliance(input: { frameworkId: "soc2", from: "2020-01-01T00:00:00Z" }) { score }
    }`;
    const denied = async () => {
      const rows = await env.sql<{ metadata: unknown }>(
        "SELECT metadata FROM audit_event WHERE tenant_id = ? AND action = 'datapunk.authorization.denied'",
        [TENANT],
      );
      return rows.map((r) => (typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata) as Record<string, any>);
    };
    try {
      const { result: answers, probe } = await whileProbing(server.url, async () => {
        const seen: Answer[] = [];
        for (let i = 0; i < 50; i += 1) seen.push(await post(server.url, forbidden, viewer));
        return seen;
      });
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(new Set(answer.codes)).toEqual(new Set(['FORBIDDEN']));
      }
      // 350 refused fields in 50 requests: one event per request, at most 10 per key and window.
      const during = await denied();
      expect(during).toHaveLength(10);
      expect(during[0]).toMatchObject({ deniedCount: 7 });
      expect(probe.failures).toBe(0);
      expect(probe.max).toBeLessThan(HEALTH_MAX_MS);
    } finally {
      await server.stop();
    }
    // Stopping wrote the summary of the 40 refusals past the budget: every request is accounted for.
    const after = await denied();
    expect(after).toHaveLength(11);
    expect(after.reduce((sum, m) => sum + (m.summary ? 0 : 1) + Number(m.suppressedCount ?? 0), 0)).toBe(50);

    // SOC 2 still sees what happened: refusals as CC6.1 evidence, and CC7.2's burst of denials (ten in ten minutes).
    const auditor = await env.createKey('AUDITOR', TENANT);
    const res = await env.gql(
      `query A($input: AssessComplianceInput!) { assessCompliance(input: $input) { controls { controlId rules { ruleId verdict count } } } }`,
      { input: { frameworkId: 'soc2', from: new Date(Date.now() - 3_600_000).toISOString() } },
      auditor,
    );
    expect(res.body.errors).toBeUndefined();
    const rule = (controlId: string, ruleId: string) =>
      res.body
        .data!.assessCompliance.controls.find((c: { controlId: string }) => c.controlId === controlId)
        .rules.find((r: { ruleId: string }) => r.ruleId === ruleId);
    expect(rule('CC6.1', 'unauthorized-calls-refused')).toMatchObject({ verdict: 'MET', count: 11 });
    expect(rule('CC7.2', 'repeated-denied-actions')).toMatchObject({ verdict: 'FINDING' });
  });
});

describe('abuse: rate limits shared through Redis', () => {
  let env: TestEnvironment;
  let redis: OwnProcess;
  beforeAll(async () => {
    redis = await startOwnRedis();
    env = await createTestEnvironment();
  });
  afterAll(async () => {
    await env?.close();
    await redis?.close();
  });

  it('gives two servers one budget, and answers at once from the insurance limiter after Redis is killed', async () => {
    const settings = { REDIS_URL: `redis://127.0.0.1:${redis.port}`, RATE_LIMIT_REQUESTS_PER_MINUTE: '10' };
    const [one, two] = await Promise.all([env.spawnServer(settings), env.spawnServer(settings)]);
    await Promise.all([warmUp(env, one.url), warmUp(env, two.url)]);
    try {
      const shared = await env.createKey('VIEWER');
      const answers: Answer[] = [];
      for (let i = 0; i < 14; i += 1) answers.push(await post((i % 2 ? two : one).url, VIEWER, shared));
      // Ten in all, across both nodes; alone, each would have let 14 through.
      expect(answers.slice(0, 10).every((a) => a.status === 200 && !a.codes.length)).toBe(true);
      for (const answer of answers.slice(10)) expectRateLimited(answer, 'requests');

      await redis.kill();
      const fresh = await env.createKey('VIEWER');
      const { result: after, probe } = await whileProbing(one.url, async () => {
        const seen: Answer[] = [];
        for (let i = 0; i < 12; i += 1) seen.push(await post(one.url, VIEWER, fresh));
        return seen;
      });
      // Every request answered (none hung on the dead Redis), still limited: by this node's memory.
      expect(after.slice(0, 10).every((a) => a.status === 200 && !a.codes.length)).toBe(true);
      for (const answer of after.slice(10)) expectRateLimited(answer, 'requests');
      expect(probe.failures).toBe(0);
      expect(probe.max).toBeLessThan(HEALTH_MAX_MS);
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
  });
});
