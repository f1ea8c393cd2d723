import { getIntrospectionQuery } from 'graphql';
import { HEALTH_MAX_MS, type ProbeResult, whileProbing } from '../helpers/health-probe';
import { createTestEnvironment, eventInput, RECORD, type TestEnvironment } from '../helpers/test-environment';

/**
 * The GraphQL-limit attacks of issue 9, each sent to a server in its own process while /healthz is
 * probed: every one gets its coded refusal with HTTP 400 before anything executes, and the probe
 * stays fast. Run on SQLite and MariaDB (DATAPUNK_TEST_DATABASE=mariadb).
 */
describe('abuse: GraphQL limits refuse costly operations before they run', () => {
  let env: TestEnvironment;
  let server: Awaited<ReturnType<TestEnvironment['spawnServer']>>;
  let viewer: string;
  let auditor: string;

  beforeAll(async () => {
    env = await createTestEnvironment();
    // Evidence for the HIPAA controls (auth.login matches audit-control and login rules) and a chain to verify.
    for (let batch = 0; batch < 4; batch += 1) {
      const events = Array.from({ length: 500 }, (_, i) =>
        eventInput({ action: i % 2 ? 'auth.login' : 'patient_record.read', categories: ['PHI'], requestId: `abuse-${batch}-${i}` }),
      );
      const res = await env.gql(RECORD, { input: { events } });
      expect(res.body.errors).toBeUndefined();
    }
    viewer = await env.createKey('VIEWER');
    auditor = await env.createKey('AUDITOR');
    server = await env.spawnServer();
    // A fresh process compiles its hot paths on the first requests: warm it, so the probe measures the attacks.
    for (let i = 0; i < 5; i += 1) {
      await send(getIntrospectionQuery(), auditor);
      await send('{ controls(frameworkId: "hipaa") { id evidence(first: 5) { edges { node { id } } } } }', viewer);
      await send('{ verifyAuditChain { valid } }', auditor);
    }
  });
  afterAll(async () => {
    await server?.stop();
    await env.close();
  });

  const post = async (body: string, key: string) => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body,
    });
    return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] } };
  };
  const send = (query: string, key: string, variables?: Record<string, unknown>) => post(JSON.stringify({ query, variables }), key);
  const codes = (res: Awaited<ReturnType<typeof post>>) => [...new Set(res.body.errors?.map((e) => e.extensions?.code))];
  const responsive = (probe: ProbeResult) => {
    expect(probe.failures).toBe(0);
    expect(probe.max).toBeLessThan(HEALTH_MAX_MS);
  };

  it('refuses 20 aliased controls × evidence(first: 500) from a VIEWER with QUERY_TOO_COMPLEX', async () => {
    // Issue 9's shape: the old walker charged it 40,040 (under 50,000) and returned 620,000 events.
    const alias = (i: number) => `c${i}: controls(frameworkId: "hipaa") { evidence(first: 500) { edges { node { id action } } } }`;
    const { result, probe } = await whileProbing(server.url, () =>
      send(`{ ${Array.from({ length: 20 }, (_, i) => alias(i)).join(' ')} }`, viewer),
    );
    expect(codes(result)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(result.status).toBe(400);
    expect(result.body.data ?? null).toBeNull();
    responsive(probe);
    // The same question, asked page by page, is answered.
    const page = await send('{ controls(frameworkId: "hipaa") { id evidence(first: 5) { edges { node { id } } } } }', viewer);
    expect(page.body.errors).toBeUndefined();
  });

  it('refuses ten aliased verifyAuditChain with TOO_MANY_EXPENSIVE_FIELDS', async () => {
    const query = `{ ${Array.from({ length: 10 }, (_, i) => `v${i}: verifyAuditChain { valid checkedCount }`).join(' ')} }`;
    const { result, probe } = await whileProbing(server.url, () => send(query, auditor));
    expect(codes(result)).toEqual(['TOO_MANY_EXPENSIVE_FIELDS']);
    expect(result.status).toBe(400);
    expect(result.body.data ?? null).toBeNull();
    responsive(probe);
    const one = await send('{ verifyAuditChain { valid checkedCount } }', auditor);
    expect(one.body.errors).toBeUndefined();
  });

  it('refuses two assessCompliance in one operation with TOO_MANY_EXPENSIVE_FIELDS', async () => {
    const assess = (alias: string, id: string) =>
      `${alias}: assessCompliance(input: { frameworkId: "${id}", from: "2020-01-01T00:00:00Z" }) { score controls { status } }`;
    const { result, probe } = await whileProbing(server.url, () => send(`{ ${assess('a', 'hipaa')} ${assess('b', 'soc2')} }`, auditor));
    expect(codes(result)).toEqual(['TOO_MANY_EXPENSIVE_FIELDS']);
    expect(result.status).toBe(400);
    responsive(probe);
  });

  /** `{ a0: __typename a1: __typename … }` as a request body of `bytes` bytes. */
  const aliasDocument = (bytes: number): string => {
    const parts: string[] = [];
    let length = '{"query":"{ }"}'.length;
    for (let i = 0; length + 20 < bytes; i += 1) {
      const part = ` a${i}: __typename`;
      parts.push(part);
      length += part.length;
    }
    return JSON.stringify({ query: `{${parts.join('')} }` });
  };

  it('stops parsing a document of aliases sent with a valid key at MAX_QUERY_TOKENS (QUERY_TOO_LARGE)', async () => {
    // ~20,000 tokens in 100 KB: over MAX_QUERY_TOKENS (5,000), and within what MAX_QUERY_BYTES lets through.
    const body = aliasDocument(100 * 1024);
    const { result, probe } = await whileProbing(server.url, () => post(body, auditor));
    expect(codes(result)).toEqual(['QUERY_TOO_LARGE']);
    expect(result.status).toBe(400);
    responsive(probe);
  });

  it('refuses a 16 MiB document of aliases sent with a valid key (QUERY_TOO_LARGE)', async () => {
    // Just under MAX_REQUEST_BYTES' default (16 MiB), as in issue 9. The parser stops at MAX_QUERY_TOKENS;
    // reading, JSON-decoding and hashing 16 MiB before it is the query-text cap's to avoid (MAX_QUERY_BYTES).
    const body = aliasDocument(16 * 1024 * 1024 - 1024);
    const { result, probe } = await whileProbing(server.url, () => post(body, auditor));
    expect(codes(result)).toEqual(['QUERY_TOO_LARGE']);
    expect(result.status).toBe(400);
    responsive(probe);
  });

  it('stops parsing at MAX_QUERY_TOKENS well under any byte cap (QUERY_TOO_LARGE)', async () => {
    // 15,002 tokens in 75 KB, under MAX_QUERY_BYTES too.
    const query = `{ ${Array.from({ length: 5_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    const res = await send(query, auditor);
    expect(codes(res)).toEqual(['QUERY_TOO_LARGE']);
    expect(res.status).toBe(400);
  });

  it('answers the standard introspection query but refuses the hostile deep variants (QUERY_TOO_DEEP)', async () => {
    const standard = await send(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true }), auditor);
    expect(standard.body.errors).toBeUndefined();
    const ofType = (n: number): string => (n === 0 ? 'name' : `ofType { ${ofType(n - 1)} }`);
    const fanOut = Array.from({ length: 8 }, (_, i) => `fragment T${i} on __Type { name fields { name type { ...T${i + 1} } } }`).join(' ');
    const hostile = [
      `{ __schema { types { fields { type { ${ofType(40)} } } } } }`,
      '{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }',
      `{ __schema { types { ...T0 } } } ${fanOut} fragment T8 on __Type { name }`,
    ];
    for (const query of hostile) {
      const { result, probe } = await whileProbing(server.url, () => send(query, viewer));
      expect(codes(result)).toEqual(['QUERY_TOO_DEEP']);
      expect(result.status).toBe(400);
      expect(result.body.data ?? null).toBeNull();
      responsive(probe);
    }
  });
});
