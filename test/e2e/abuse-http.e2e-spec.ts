import { HEALTH_MAX_MS, whileProbing } from '../helpers/health-probe';
import { createTestEnvironment, type TestEnvironment } from '../helpers/test-environment';

// The HTTP layer under attack: a huge document refused before it is parsed, with no key or an
// unknown one (authentication comes first), and with a valid key (MAX_QUERY_BYTES), while /healthz
// of the attacked server (its own process) stays responsive.

const MIB = 1024 * 1024;

/** A `{ a0: __typename a1: __typename … }` body of just under `bytes` (so MAX_REQUEST_BYTES does not refuse it first). */
function aliasBody(bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes - 64; i += 1) {
    const alias = `a${i}: __typename `;
    parts.push(alias);
    size += alias.length;
  }
  return JSON.stringify({ query: `{ ${parts.join('')}}` });
}

describe('abuse: HTTP layer', () => {
  let env: TestEnvironment;
  let server: Awaited<ReturnType<TestEnvironment['spawnServer']>>;
  let body: Buffer;

  beforeAll(async () => {
    env = await createTestEnvironment();
    server = await env.spawnServer();
    body = Buffer.from(aliasBody(16 * MIB - 1024));
    expect(Buffer.byteLength(body)).toBeLessThan(16 * MIB);
    expect(Buffer.byteLength(body)).toBeGreaterThan(15 * MIB);
  });
  afterAll(async () => {
    await server?.stop();
    await env.close();
  });

  const attack =
    (headers: Record<string, string>, times = 3) =>
    async () => {
      const answers: { status: number; codes: unknown[] }[] = [];
      for (let i = 0; i < times; i += 1) {
        const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
        const json = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
        answers.push({ status: res.status, codes: (json.errors ?? []).map((e) => e.extensions?.code) });
      }
      return answers;
    };

  it.each([
    ['no key', {}],
    ['an unknown key', { authorization: 'Bearer dpa_unknown-key-0123456789abcdef' }],
  ])('a 16 MiB alias document with %s: 401 UNAUTHENTICATED, never parsed, /healthz responsive', async (_name, headers) => {
    const { result, probe } = await whileProbing(server.url, attack(headers as Record<string, string>));
    expect(result).toEqual(Array.from({ length: 3 }, () => ({ status: 401, codes: ['UNAUTHENTICATED'] })));
    expect(probe.failures).toBe(0);
    expect(probe.max).toBeLessThan(HEALTH_MAX_MS);
  });

  it('a 16 MiB alias document with a valid key: QUERY_TOO_LARGE before parsing, /healthz responsive', async () => {
    const { result, probe } = await whileProbing(server.url, attack({ authorization: `Bearer ${env.adminKey}` }));
    expect(result).toEqual(Array.from({ length: 3 }, () => ({ status: 400, codes: ['QUERY_TOO_LARGE'] })));
    expect(probe.failures).toBe(0);
    expect(probe.max).toBeLessThan(HEALTH_MAX_MS);
  });

  it('still serves a normal request afterwards', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${env.adminKey}` },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    expect(await res.json()).toEqual({ data: { viewer: { role: 'ADMIN' } } });
  });
});
