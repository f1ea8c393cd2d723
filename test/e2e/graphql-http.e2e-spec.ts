import http from 'node:http';
import { getIntrospectionQuery } from 'graphql';
import { loadConfig } from '../../src/config/config';
import { createTestEnvironment, eventInput, RECORD, type TestEnvironment } from '../helpers/test-environment';

interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] } | null;
}

async function send(url: string, init: RequestInit & { duplex?: 'half' }): Promise<RawResponse> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: RawResponse['json'] = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, text, json };
}

const codes = (res: RawResponse) => res.json?.errors?.map((e) => e.extensions?.code);
const CSRF_ACTION = 'csrf.attempt';

describe('GraphQL over HTTP', () => {
  let env: TestEnvironment;
  let auth: Record<string, string>;
  const post = (body: string, headers: Record<string, string> = {}) =>
    send(env.url, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', ...headers }, body });
  const get = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    send(`${env.url}?${new URLSearchParams(params)}`, { method: 'GET', headers: { ...auth, ...headers } });
  const csrfEvents = async () =>
    Number((await env.sql<{ n: unknown }>(`SELECT COUNT(*) AS n FROM audit_event WHERE action = '${CSRF_ACTION}'`))[0].n);
  const recordBody = JSON.stringify({ query: RECORD, variables: { input: { events: [eventInput({ action: CSRF_ACTION })] } } });

  beforeAll(async () => {
    env = await createTestEnvironment();
    auth = { authorization: `Bearer ${env.adminKey}` };
  });
  afterAll(() => env.close());

  describe('MUST requirements', () => {
    it('accepts POST with application/json and answers application/json', async () => {
      const res = await post(JSON.stringify({ query: 'query Who { viewer { role } }', operationName: 'Who' }));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.json).toEqual({ data: { viewer: { role: 'ADMIN' } } });
    });

    it('accepts a charset parameter on the request content type', async () => {
      const res = await post(JSON.stringify({ query: '{ viewer { role } }' }), { 'content-type': 'application/json; charset=utf-8' });
      expect(res.status).toBe(200);
      expect(res.json?.data).toEqual({ viewer: { role: 'ADMIN' } });
    });

    it('honours variables and operationName in a POST body', async () => {
      const query = 'query A { viewer { role } } query B($n: Int) { checkpoints(first: $n) { id } }';
      const res = await post(JSON.stringify({ query, operationName: 'B', variables: { n: 3 } }));
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ data: { checkpoints: [] } });
    });

    it('executes a query sent with GET, variables and operationName included', async () => {
      const res = await get(
        { query: 'query Who($n: Int) { viewer { role } checkpoints(first: $n) { id } }', variables: '{"n":2}', operationName: 'Who' },
        { 'apollo-require-preflight': 'true' },
      );
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ data: { viewer: { role: 'ADMIN' }, checkpoints: [] } });
    });

    it('refuses a mutation over GET with 405 and Allow: POST, and executes nothing', async () => {
      const before = await csrfEvents();
      const res = await get(
        { query: RECORD, variables: JSON.stringify({ input: { events: [eventInput({ action: CSRF_ACTION })] } }) },
        { 'apollo-require-preflight': 'true' },
      );
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toMatch(/POST/);
      expect(await csrfEvents()).toBe(before);
    });

    it('answers malformed JSON with 400 BAD_REQUEST', async () => {
      const res = await post('{"query": "{ viewer { role } }"');
      expect(res.status).toBe(400);
      expect(codes(res)).toEqual(['BAD_REQUEST']);
    });

    it.each([
      ['no query', { variables: {} }],
      ['an empty query', { query: '' }],
      ['a query that is not a string', { query: 42 }],
      ['variables that are not an object', { query: '{ viewer { role } }', variables: '[1]' }],
    ])('answers a body with %s with 400', async (_name, body) => {
      const res = await post(JSON.stringify(body));
      expect(res.status).toBe(400);
      expect(res.json?.errors?.length).toBeGreaterThan(0);
      expect(res.json?.data).toBeUndefined();
    });

    it('answers unparseable GraphQL with 400 GRAPHQL_PARSE_FAILED', async () => {
      const res = await post(JSON.stringify({ query: '{ viewer { role }' }));
      expect(res.status).toBe(400);
      expect(codes(res)).toEqual(['GRAPHQL_PARSE_FAILED']);
    });

    it('honours Accept: application/graphql-response+json, with 4xx for a request that does not validate', async () => {
      const accept = { accept: 'application/graphql-response+json' };
      const ok = await post(JSON.stringify({ query: '{ viewer { role } }' }), accept);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
      expect(ok.json).toEqual({ data: { viewer: { role: 'ADMIN' } } });

      const invalid = await post(JSON.stringify({ query: '{ noSuchField }' }), accept);
      expect(invalid.status).toBeGreaterThanOrEqual(400);
      expect(invalid.status).toBeLessThan(500);
      expect(invalid.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
      expect(codes(invalid)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    });

    it('answers application/json when the client asks for it', async () => {
      const res = await post(JSON.stringify({ query: '{ viewer { role } }' }), { accept: 'application/json' });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    });

    it('refuses methods other than GET and POST with 405', async () => {
      const res = await send(env.url, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(405);
    });

    it('refuses a batch (array) body with 400 BAD_REQUEST', async () => {
      const res = await post(JSON.stringify([{ query: '{ viewer { role } }' }, { query: '{ viewer { role } }' }]));
      expect(res.status).toBe(400);
      expect(codes(res)).toEqual(['BAD_REQUEST']);
    });

    it('answers an unknown path with 404 NOT_FOUND', async () => {
      const res = await send(new URL('/graphiql', env.url).toString(), { method: 'GET' });
      expect(res.status).toBe(404);
      expect(codes(res)).toEqual(['NOT_FOUND']);
    });
  });

  describe('CSRF prevention', () => {
    it('refuses a GET without a preflight-forcing header', async () => {
      const res = await get({ query: '{ viewer { role } }' });
      expect(res.status).toBe(400);
      expect(codes(res)).toEqual(['BAD_REQUEST']);
      expect(res.json?.data).toBeUndefined();
    });

    it('accepts a GET that carries x-apollo-operation-name', async () => {
      const res = await get({ query: 'query Who { viewer { role } }' }, { 'x-apollo-operation-name': 'Who' });
      expect(res.status).toBe(200);
    });

    it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', null])(
      'refuses a POST with simple content type %s and executes nothing',
      async (type) => {
        const before = await csrfEvents();
        const res = await send(env.url, {
          method: 'POST',
          headers: { ...auth, ...(type ? { 'content-type': type } : {}) },
          body: recordBody,
        });
        expect(res.status).toBe(400);
        expect(codes(res)).toEqual(['BAD_REQUEST']);
        expect(await csrfEvents()).toBe(before);
      },
    );

    it('does execute the same mutation sent as application/json (the refusal above is CSRF, not the body)', async () => {
      const before = await csrfEvents();
      const res = await post(recordBody);
      expect(res.json?.errors).toBeUndefined();
      expect(await csrfEvents()).toBe(before + 1);
    });
  });

  describe('request id', () => {
    it('answers every request with its own x-request-id, echoing a well-formed client id as x-client-request-id', async () => {
      const mine = await post(JSON.stringify({ query: '{ viewer { role } }' }), { 'x-request-id': 'dpa-test-1234' });
      expect(mine.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(mine.headers.get('x-client-request-id')).toBe('dpa-test-1234');
      const generated = await post(JSON.stringify({ query: '{ viewer { role } }' }));
      expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(generated.headers.get('x-client-request-id')).toBeNull();
      expect(generated.headers.get('x-request-id')).not.toBe(mine.headers.get('x-request-id'));
      const forged = await post(JSON.stringify({ query: '{ viewer { role } }' }), { 'x-request-id': 'a b"c' });
      expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(forged.headers.get('x-client-request-id')).toBeNull();
    });

    it('never records a client-chosen x-request-id as the requestId of a server-written chain event', async () => {
      const hostile = 'forged-request-id:of.another-request';
      const viewer = await env.createKey('VIEWER');
      const res = await fetch(env.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${viewer}`, 'content-type': 'application/json', 'x-request-id': hostile },
        body: JSON.stringify({ query: '{ apiKeys { id } }' }),
      });
      const serverId = res.headers.get('x-request-id');
      expect(serverId).toMatch(/^[0-9a-f-]{36}$/);
      expect(((await res.json()) as any).errors[0].extensions.code).toBe('FORBIDDEN');
      const rows = await env.sql<{ request_id: string | null; metadata: unknown }>(
        "SELECT request_id, metadata FROM audit_event WHERE action = 'datapunk.authorization.denied' AND request_id = ?",
        [serverId],
      );
      expect(rows).toHaveLength(1);
      const metadata = typeof rows[0].metadata === 'string' ? JSON.parse(rows[0].metadata) : rows[0].metadata;
      expect(metadata).toMatchObject({ clientRequestId: hostile });
      const forged = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM audit_event WHERE request_id = ?', [hostile]);
      expect(Number(forged[0].n)).toBe(0);
    });
  });
});

describe('GraphQL limits', () => {
  let env: TestEnvironment;
  const LIMITS = { MAX_QUERY_DEPTH: '4', MAX_ALIASES: '3', MAX_QUERY_COST: '1000', MAX_REQUEST_BYTES: '4096' };
  beforeAll(async () => {
    env = await createTestEnvironment(LIMITS);
  });
  afterAll(() => env.close());

  const refused = async (query: string, code: string, variables?: Record<string, unknown>) => {
    const res = await env.gql(query, variables);
    expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual([code]);
    expect(res.body.data ?? null).toBeNull();
    expect(res.status).toBe(400);
  };
  const accepted = async (query: string, variables?: Record<string, unknown>) => {
    const res = await env.gql(query, variables);
    expect(res.body.errors).toBeUndefined();
  };

  it('refuses a query nested deeper than MAX_QUERY_DEPTH with QUERY_TOO_DEEP', async () => {
    await accepted('{ auditEvents { edges { node { id } } } }');
    await refused('{ auditEvents { edges { node { actor { id } } } } }', 'QUERY_TOO_DEEP');
  });

  it('counts depth through fragments and inline fragments', async () => {
    await refused('query { auditEvents { edges { node { ...F } } } } fragment F on AuditEvent { actor { id } }', 'QUERY_TOO_DEEP');
    await refused('query { auditEvents { edges { node { ... on AuditEvent { outcome { status } } } } } }', 'QUERY_TOO_DEEP');
  });

  it('refuses more than MAX_ALIASES aliases with TOO_MANY_ALIASES, counting those inside fragments', async () => {
    await accepted('{ a: viewer { role } b: viewer { role } c: viewer { role } }');
    await refused('{ a: viewer { role } b: viewer { role } c: viewer { role } d: viewer { role } }', 'TOO_MANY_ALIASES');
    await refused('query { a: viewer { ...V } b: viewer { ...V } } fragment V on Viewer { r: role k: keyId }', 'TOO_MANY_ALIASES');
  });

  it('refuses a query costing more than MAX_QUERY_COST with QUERY_TOO_COMPLEX, page sizes multiplying', async () => {
    const fields = 'id action sequence hash chainHash occurredAt recordedAt severity classification requestId';
    await accepted(`{ auditEvents(first: 10) { edges { node { ${fields} } } } }`);
    await refused(`{ auditEvents(first: 100) { edges { node { ${fields} } } } }`, 'QUERY_TOO_COMPLEX');
    // The page size is read from variables too.
    await accepted(`query($n: Int) { auditEvents(first: $n) { edges { node { ${fields} } } } }`, { n: 10 });
    await refused(`query($n: Int) { auditEvents(first: $n) { edges { node { ${fields} } } } }`, 'QUERY_TOO_COMPLEX', { n: 100 });
  });

  it('charges a list field left without first/limit at its real size (controls: the framework’s catalog)', async () => {
    await accepted('{ controls(frameworkId: "hipaa") { id } }');
    // Once charged as 1 whatever the catalog held: now every control × what it selects.
    await refused(
      '{ controls(frameworkId: "hipaa") { id title description frameworkId parentId tags children { id } } }',
      'QUERY_TOO_COMPLEX',
    );
  });

  it('allows one expensive field per operation (auditEventStats), with TOO_MANY_EXPENSIVE_FIELDS for more', async () => {
    const stats = (alias: string, groupBy: string) =>
      `${alias}: auditEventStats(groupBy: ${groupBy}, limit: 5) { groupBy total groups { key count } }`;
    await accepted(`{ ${stats('a', 'ACTION')} }`);
    await refused(`{ ${stats('a', 'ACTION')} ${stats('b', 'OUTCOME')} ${stats('c', 'DAY')} }`, 'TOO_MANY_EXPENSIVE_FIELDS');
  });

  it('refuses a body over MAX_REQUEST_BYTES with 413 PAYLOAD_TOO_LARGE', async () => {
    const body = JSON.stringify({ query: '{ viewer { role } }', variables: { padding: 'x'.repeat(5000) } });
    const res = await send(env.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.adminKey}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(413);
    expect(codes(res)).toEqual(['PAYLOAD_TOO_LARGE']);
    const small = JSON.stringify({ query: '{ viewer { role } }', variables: { padding: 'x'.repeat(3000) } });
    expect(
      (
        await send(env.url, {
          method: 'POST',
          headers: { authorization: `Bearer ${env.adminKey}`, 'content-type': 'application/json' },
          body: small,
        })
      ).status,
    ).toBe(200);
  });

  it('refuses a chunked body (no Content-Length) that grows over MAX_REQUEST_BYTES with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        env.url,
        { method: 'POST', headers: { authorization: `Bearer ${env.adminKey}`, 'content-type': 'application/json' } },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write(`{"query":"{ viewer { role } }","variables":{"padding":"${'x'.repeat(3000)}`);
      setTimeout(() => {
        req.write(`${'x'.repeat(3000)}"}}`);
        req.end();
      }, 50);
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('production mode', () => {
  let production: TestEnvironment;
  let development: TestEnvironment;
  beforeAll(async () => {
    production = await createTestEnvironment({ NODE_ENV: 'production' });
    development = await createTestEnvironment();
  });
  afterAll(async () => {
    await production.close();
    await development.close();
  });

  it.each(['{ __schema { types { name } } }', '{ __type(name: "Query") { fields { name } } }'])(
    'refuses introspection (%s) in production only',
    async (query) => {
      const refused = await production.gql(query);
      expect(refused.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(refused.body.data ?? null).toBeNull();
      const allowed = await development.gql(query);
      expect(allowed.body.errors).toBeUndefined();
    },
  );

  it('still answers __typename in production', async () => {
    const res = await production.gql('{ __typename viewer { role } }');
    expect(res.body).toEqual({ data: { __typename: 'Query', viewer: { role: 'ADMIN' } } });
  });

  it.each([
    ['a misspelt field', '{ viewr { role } }'],
    ['a misspelt enum value', '{ auditEventStats(groupBy: ACTON) { total } }'],
    ['a misspelt argument', '{ auditEvents(frist: 1) { totalCount } }'],
  ])('gives no field suggestions for %s in production (but does in development)', async (_name, query) => {
    const prod = await production.gql(query);
    expect(prod.body.errors?.[0].extensions?.code).toMatch(/^(GRAPHQL_VALIDATION_FAILED|BAD_USER_INPUT)$/);
    expect(JSON.stringify(prod.body)).not.toMatch(/Did you mean/i);
    const dev = await development.gql(query);
    expect(JSON.stringify(dev.body)).toMatch(/Did you mean/i);
  });

  it.each([
    ['an enum variable', 'query($g: AuditEventGroupBy!) { auditEventStats(groupBy: $g) { total } }', { g: 'ACTON' }],
    [
      'an enum inside an input variable',
      'query($f: AuditEventFilter) { auditEvents(first: 1, filter: $f) { totalCount } }',
      { f: { minSeverity: 'WARNIN' } },
    ],
    [
      'a misspelt input field in a variable',
      'query($f: AuditEventFilter) { auditEvents(first: 1, filter: $f) { totalCount } }',
      { f: { actionPrefx: 'auth.' } },
    ],
  ])('gives no suggestions for a bad value in %s in production (but does in development)', async (_name, query, variables) => {
    const prod = await production.gql(query, variables);
    expect(prod.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(JSON.stringify(prod.body)).not.toMatch(/Did you mean/i);
    const dev = await development.gql(query, variables);
    expect(dev.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(JSON.stringify(dev.body)).toMatch(/Did you mean/i);
  });

  it('answers the standard introspection query (graphql-codegen, GraphiQL, Apollo Sandbox) in development only', async () => {
    const standard = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      inputValueDeprecation: true,
    });
    const dev = await development.gql(standard);
    expect(dev.body.errors).toBeUndefined();
    expect(dev.body.data?.__schema.queryType.name).toBe('Query');
    expect(dev.body.data?.__schema.types.length).toBeGreaterThan(20);
    expect((await development.gql(getIntrospectionQuery())).body.errors).toBeUndefined();
    const prod = await production.gql(standard);
    expect(prod.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(prod.body.data ?? null).toBeNull();
  });

  it('never sends a stack trace, in production or not', async () => {
    for (const env of [production, development]) {
      const res = await env.gql('{ auditEvents(first: 5, after: "forged") { totalCount } }');
      expect(res.body.errors?.[0].extensions?.code).toBe('INVALID_CURSOR');
      expect(JSON.stringify(res.body)).not.toMatch(/stacktrace|\s+at .+:\d+:\d+/);
    }
  });
});

describe('internal errors', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
    await env.gql(RECORD, { input: { events: [eventInput()] } });
    await env.sql('DROP TABLE checkpoint');
  });
  afterAll(() => env.close());

  it('masks an internal error as INTERNAL_SERVER_ERROR with no detail, and answers with x-request-id', async () => {
    const res = await fetch(env.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ checkpoints { id } viewer { role } }' }),
    });
    const body = (await res.json()) as any;
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(body.errors[0].path).toEqual(['checkpoints']);
    const text = JSON.stringify(body);
    for (const leak of [
      /no such table/i,
      /doesn't exist/i,
      /SELECT/,
      /SQLITE_/,
      /\bER_[A-Z_]+/,
      /QueryFailedError/,
      /\.(ts|js):\d+/,
      /stacktrace/,
    ]) {
      expect(text).not.toMatch(leak);
    }
  });

  it('logs the masked error with its request id', async () => {
    const server = await env.spawnServer({ LOG_LEVEL: 'error' });
    let stdout = '';
    server.process.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const requestId = `dpa-internal-${Date.now()}`;
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.adminKey}`, 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ query: '{ checkpoints { id } }' }),
    });
    const serverId = res.headers.get('x-request-id');
    expect(serverId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-client-request-id')).toBe(requestId);
    expect(((await res.json()) as any).errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    await server.stop();
    const lines = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    const logged = lines.find((l) => l.requestId === serverId);
    expect(logged).toBeDefined();
    expect(logged.clientRequestId).toBe(requestId);
    expect(logged.level).toBeGreaterThanOrEqual(50);
    expect(logged.err).toBeDefined();
  });
});

describe('authentication before parsing', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env.close());

  const post = (body: string, headers: Record<string, string> = {}) =>
    send(env.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it.each([
    ['no key', {}],
    ['an unknown key', { authorization: 'Bearer dpa_not-a-key-of-this-server' }],
    ['a non-Bearer header', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
  ])(
    'answers %s with 401 UNAUTHENTICATED before the document is parsed (a broken document is not GRAPHQL_PARSE_FAILED)',
    async (_name, headers) => {
      for (const query of ['{ viewer { role } }', '{ __typename }', '{ __schema { types { name } } }', '{ this is { not graphql']) {
        const res = await post(JSON.stringify({ query }), headers);
        expect({ query, status: res.status, codes: codes(res) }).toEqual({ query, status: 401, codes: ['UNAUTHENTICATED'] });
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        expect(res.json?.data).toBeUndefined();
      }
      const viaGet = await send(`${env.url}?${new URLSearchParams({ query: '{ nope' })}`, {
        method: 'GET',
        headers: { 'apollo-require-preflight': 'true', ...headers },
      });
      expect({ status: viaGet.status, codes: codes(viaGet) }).toEqual({ status: 401, codes: ['UNAUTHENTICATED'] });
    },
  );

  it('accepts any case of the Bearer scheme, and a revoked key is refused as unknown', async () => {
    const lower = await post(JSON.stringify({ query: '{ viewer { role } }' }), { authorization: `bearer ${env.adminKey}` });
    expect(lower.json).toEqual({ data: { viewer: { role: 'ADMIN' } } });
    const { key, secret } = await env.app.services.apiKeys.create('default', 'VIEWER' as never, 'to revoke');
    await env.app.services.apiKeys.revoke('default', key.id);
    const revoked = await post(JSON.stringify({ query: '{ viewer { role } }' }), { authorization: `Bearer ${secret}` });
    expect({ status: revoked.status, codes: codes(revoked) }).toEqual({ status: 401, codes: ['UNAUTHENTICATED'] });
  });

  it('keeps the connection usable after a 401 with a large body (the body is read, not reset)', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const big = JSON.stringify({ query: `{ ${'a: __typename '.repeat(200_000)} }` });
    const request = (body: string, key?: string) =>
      new Promise<{ status: number; socketReused: boolean }>((resolve, reject) => {
        const req = http.request(
          env.url,
          {
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, socketReused: req.reusedSocket }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    try {
      expect((await request(big)).status).toBe(401);
      expect(await request(JSON.stringify({ query: '{ viewer { role } }' }), env.adminKey)).toEqual({ status: 200, socketReused: true });
    } finally {
      agent.destroy();
    }
  });
});

describe('MAX_QUERY_BYTES', () => {
  let env: TestEnvironment;
  const MAX = 4096;
  beforeAll(async () => {
    env = await createTestEnvironment({ MAX_QUERY_BYTES: String(MAX) });
  });
  afterAll(() => env.close());

  const post = (body: unknown) =>
    send(env.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('refuses a document above the cap with QUERY_TOO_LARGE (POST and GET), recording nothing', async () => {
    const before = Number((await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM audit_event'))[0].n);
    const padded = `{ viewer { role } ${' '.repeat(MAX)} }`;
    const res = await post({ query: padded });
    expect({ status: res.status, codes: codes(res) }).toEqual({ status: 400, codes: ['QUERY_TOO_LARGE'] });
    const events = Array.from({ length: 40 }, () => `e${Math.random().toString(36).slice(2)}: __typename`).join(' ');
    const mutation = `mutation { ${events} recordAuditEvents(input: { events: [] }) { recordedCount } ${' '.repeat(MAX)} }`;
    expect(codes(await post({ query: mutation }))).toEqual(['QUERY_TOO_LARGE']);
    const viaGet = await send(`${env.url}?${new URLSearchParams({ query: padded })}`, {
      method: 'GET',
      headers: { authorization: `Bearer ${env.adminKey}`, 'apollo-require-preflight': 'true' },
    });
    expect({ status: viaGet.status, codes: codes(viaGet) }).toEqual({ status: 400, codes: ['QUERY_TOO_LARGE'] });
    expect(Number((await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM audit_event'))[0].n)).toBe(before);
  });

  it('refuses a document far above the cap while it streams in, and the same connection serves the next request', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const request = (body: string) =>
      new Promise<{ status: number; code?: string; socketReused: boolean }>((resolve, reject) => {
        const req = http.request(
          env.url,
          { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${env.adminKey}` } },
          (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString()));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                code: JSON.parse(text).errors?.[0]?.extensions?.code,
                socketReused: req.reusedSocket,
              }),
            );
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    try {
      const huge = JSON.stringify({ query: `{ ${'a: __typename '.repeat(100_000)} }`, variables: { after: 'x'.repeat(100_000) } });
      expect(await request(huge)).toEqual({ status: 400, code: 'QUERY_TOO_LARGE', socketReused: false });
      expect(await request(JSON.stringify({ query: '{ viewer { role } }' }))).toEqual({ status: 200, socketReused: true });
    } finally {
      agent.destroy();
    }
  });

  it('accepts a document at the cap, and a body far above it when the bytes are variables (event batches)', async () => {
    const query = '{ viewer { role } }';
    const exact = await post({ query: query + ' '.repeat(MAX - Buffer.byteLength(query)) });
    expect(exact.json).toEqual({ data: { viewer: { role: 'ADMIN' } } });
    const events = Array.from({ length: 20 }, (_, i) => eventInput({ action: 'big.batch', metadata: { i, pad: 'x'.repeat(2000) } }));
    const batch = await post({ query: RECORD, variables: { input: { events } } });
    expect(batch.json?.errors).toBeUndefined();
    expect(batch.json?.data?.recordAuditEvents.recordedCount).toBe(20);
  });

  it('defaults to 100 KiB, which the standard introspection query fits', async () => {
    const introspection = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true });
    expect(loadConfig({}).maxQueryBytes).toBe(100 * 1024);
    expect(Buffer.byteLength(introspection)).toBeLessThan(MAX);
  });
});

describe('CORS_ORIGINS', () => {
  let env: TestEnvironment;
  const ALLOWED = 'https://app.example.com';
  beforeAll(async () => {
    env = await createTestEnvironment({ CORS_ORIGINS: `${ALLOWED}, http://localhost:5173` });
  });
  afterAll(() => env.close());

  const preflight = (origin: string) =>
    fetch(env.url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
    });

  it('answers a preflight from a listed origin with the allowed methods and headers', async () => {
    for (const origin of [ALLOWED, 'http://localhost:5173']) {
      const res = await preflight(origin);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-methods')).toMatch(/\bPOST\b/);
      const allowed = (res.headers.get('access-control-allow-headers') ?? '').split(/,\s*/);
      expect(allowed).toEqual(expect.arrayContaining(['content-type', 'authorization', 'apollo-require-preflight', 'x-request-id']));
      expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });

  it('gives an unlisted origin no CORS headers, on the preflight and on the request', async () => {
    for (const origin of ['https://evil.example.com', 'https://app.example.com.evil.net', 'null', 'http://app.example.com']) {
      const res = await preflight(origin);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-allow-methods')).toBeNull();
      const real = await fetch(env.url, {
        method: 'POST',
        headers: { origin, authorization: `Bearer ${env.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ viewer { role } }' }),
      });
      expect(real.headers.get('access-control-allow-origin')).toBeNull();
      expect(real.headers.get('vary')).toMatch(/\bOrigin\b/);
    }
  });

  it('adds the CORS headers to a listed origin’s answers (also a 401), and CSRF prevention still refuses a simple request', async () => {
    const ok = await fetch(env.url, {
      method: 'POST',
      headers: { origin: ALLOWED, authorization: `Bearer ${env.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(ok.headers.get('access-control-expose-headers')).toMatch(/x-request-id/);
    const anonymous = await fetch(env.url, {
      method: 'POST',
      headers: { origin: ALLOWED, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    const simple = await fetch(`${env.url}?${new URLSearchParams({ query: '{ viewer { role } }' })}`, {
      headers: { origin: ALLOWED, authorization: `Bearer ${env.adminKey}` },
    });
    expect(simple.status).toBe(400);
    expect(((await simple.json()) as any).errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('refuses a malformed CORS_ORIGINS at start-up with CONFIG_INVALID', async () => {
    for (const value of ['*', 'https://app.example.com/', 'app.example.com', 'https://a.example.com,,https://b.example.com']) {
      expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
    expect(loadConfig({}).corsOrigins).toEqual([]);
  });
});
