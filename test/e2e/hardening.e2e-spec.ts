import net from 'node:net';
import { createTestEnvironment, eventInput, RECORD, type TestEnvironment, VERIFY } from '../helpers/test-environment';

const TENANT = "tenant_id = 'default'";

describe('hardening: the log and the server resist what the review found', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env.close());

  const record = async (n: number) => {
    const res = await env.gql(RECORD, { input: { events: Array.from({ length: n }, (_, i) => eventInput({ requestId: `h-${i}` })) } });
    expect(res.body.errors).toBeUndefined();
  };
  const verify = async (vars: Record<string, unknown> = {}) => {
    const res = await env.gql(VERIFY, vars);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.verifyAuditChain;
  };

  it('answers a request target that is not a URL with 400 and keeps serving', async () => {
    const port = env.app.port;
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('GET http://[/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect(reply).toContain('BAD_REQUEST');
    expect((await fetch(new URL('/healthz', env.url))).status).toBe(200);
  });

  it('rejects impossible calendar dates even with an offset, and years that leave 0000–9999 in UTC', async () => {
    for (const occurredAt of [
      '2026-02-29T10:00:00+00:00',
      '2026-09-31T10:00:00+01:00',
      '2026-01-01T24:00:00Z',
      '2026-01-01T10:00:00+24:00',
    ]) {
      const res = await env.gql(RECORD, { input: { events: [eventInput({ occurredAt })] } });
      expect(res.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    const far = await env.gql('query($t: DateTime) { auditEvents(filter: { occurredTo: $t }) { totalCount } }', {
      t: '9999-12-31T23:59:59-05:00',
    });
    expect(far.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const [{ n }] = await env.sql<{ n: unknown }>(`SELECT COUNT(*) AS n FROM audit_event WHERE ${TENANT}`);
    expect(Number(n)).toBe(0);
  });

  it('charges a page size taken from a variable default, and the largest page when it cannot tell', async () => {
    const fields = 'id action sequence hash chainHash occurredAt recordedAt severity classification requestId sessionId sourceService';
    const lists = (arg: string) =>
      ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']
        .map((alias) => `${alias}: auditEvents(first: ${arg}) { edges { node { ${fields} } } }`)
        .join(' ');
    const direct = await env.gql(`{ ${lists('500')} }`);
    expect(direct.body.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
    const viaDefault = await env.gql(`query Q($n: Int = 500) { ${lists('$n')} }`);
    expect(viaDefault.body.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
    const small = await env.gql(`query Q($n: Int = 5) { ${lists('$n')} }`);
    expect(small.body.errors).toBeUndefined();
  });

  describe('verification on a tampered database', () => {
    beforeEach(async () => {
      await env.sql(`DELETE FROM audit_event_label WHERE ${TENANT}`);
      await env.sql(`DELETE FROM audit_event WHERE ${TENANT}`);
      await env.sql(`DELETE FROM checkpoint WHERE ${TENANT}`);
      await env.sql(`UPDATE chain_head SET sequence = 0, chain_hash = ? WHERE ${TENANT}`, ['0'.repeat(64)]);
      await record(10);
      expect(await verify()).toMatchObject({ valid: true, checkedCount: 10 });
    });

    it('finds an edited row hidden behind a rewound chain head', async () => {
      await env.sql(`UPDATE audit_event SET actor_id = 'mallory' WHERE ${TENANT} AND sequence = 8`);
      const [seven] = await env.sql<{ chain_hash: string }>(`SELECT chain_hash FROM audit_event WHERE ${TENANT} AND sequence = 7`);
      await env.sql(`UPDATE chain_head SET sequence = 7, chain_hash = ? WHERE ${TENANT}`, [seven.chain_hash]);
      expect(await verify()).toMatchObject({ valid: false, firstFailure: { sequence: 8, reason: 'HASH_MISMATCH' } });
    });

    it('finds rows stored past the chain head even when they are intact', async () => {
      const [seven] = await env.sql<{ chain_hash: string }>(`SELECT chain_hash FROM audit_event WHERE ${TENANT} AND sequence = 7`);
      await env.sql(`UPDATE chain_head SET sequence = 7, chain_hash = ? WHERE ${TENANT}`, [seven.chain_hash]);
      expect(await verify()).toMatchObject({ valid: false, firstFailure: { sequence: 8, reason: 'CHAIN_MISMATCH' } });
    });

    it('names the sequence of a row whose stored JSON or date no longer parses', async () => {
      await env.sql(`UPDATE audit_event SET metadata = '{"a":1]' WHERE ${TENANT} AND sequence = 4`);
      expect(await verify()).toMatchObject({ valid: false, firstFailure: { sequence: 4, reason: 'HASH_MISMATCH' } });
    });
  });
});

describe('hardening: a chosen bootstrap secret is not shown in part', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env.close());

  it('lists the bootstrap key with a hash stub, generated keys with their dpa_ prefix', async () => {
    await env.gql('mutation { createApiKey(input: { name: "svc", role: INGEST }) { secret } }');
    const res = await env.gql('{ apiKeys { name prefix } }');
    const prefixes = Object.fromEntries(res.body.data!.apiKeys.map((k: { name: string; prefix: string }) => [k.name, k.prefix]));
    expect(prefixes['bootstrap admin']).toMatch(/^#[0-9a-f]{8}$/);
    expect(env.adminKey.startsWith(prefixes['bootstrap admin'].slice(1))).toBe(false);
    expect(prefixes.svc).toMatch(/^dpa_[A-Za-z0-9_-]{8}$/);
  });
});

describe('hardening: refused operations are themselves audit events', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env.close());

  const denied = async () => {
    const res = await env.gql(
      '{ auditEvents(first: 50, filter: { action: "datapunk.authorization.denied" }) { edges { node { actor { id type } resource { type id } outcome { status reason } severity requestId sourceService } } } }',
    );
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.auditEvents.edges.map((e: { node: unknown }) => e.node);
  };

  it('records a FORBIDDEN call once per operation and request, in the caller’s chain, and nothing for UNAUTHENTICATED', async () => {
    const viewer = await env.createKey('VIEWER');
    const me = await env.gql('{ viewer { keyId } }', {}, viewer);
    const keyId = me.body.data!.viewer.keyId as string;

    const aliased = await env.gql('{ a: apiKeys { id } b: apiKeys { id } c: apiKeys { id } }', {}, viewer);
    // graphql-js reports the first failure of non-null root fields; all three were refused.
    expect(new Set(aliased.body.errors?.map((e) => e.extensions?.code))).toEqual(new Set(['FORBIDDEN']));
    const ingest = await env.gql(RECORD, { input: { events: [eventInput()] } }, viewer);
    expect(ingest.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const anonymous = await env.gql('{ apiKeys { id } }', {}, null);
    expect(anonymous.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');

    const events = await denied();
    expect(events).toHaveLength(2);
    for (const event of events) {
      expect(event).toMatchObject({
        actor: { id: keyId, type: 'API_KEY' },
        outcome: { status: 'DENIED' },
        severity: 'WARNING',
        sourceService: 'datapunk-audit',
      });
      expect(event.requestId).toEqual(expect.any(String));
    }
    expect(events.map((e: { resource: { id: string } }) => e.resource.id).sort()).toEqual(['Mutation.recordAuditEvents', 'Query.apiKeys']);
    // The forbidden batch itself was not recorded, and the chain stays valid.
    const [{ n }] = await env.sql<{ n: unknown }>(`SELECT COUNT(*) AS n FROM audit_event WHERE ${TENANT} AND action = 'auth.login'`);
    expect(Number(n)).toBe(0);
    expect((await env.gql(VERIFY)).body.data!.verifyAuditChain).toMatchObject({ valid: true, checkedCount: 2 });
  });
});
