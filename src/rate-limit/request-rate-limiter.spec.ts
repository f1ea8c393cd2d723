import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { ErrorCode } from '../errors/error-code';
import { Role } from '../access/role';
import { createRateLimitStore, type RateLimitStore } from './rate-limit-store';
import { chargeOf, clientAddress, rateLimitedError, RequestRateLimiter, type RateLimitSettings } from './request-rate-limiter';
import { type OwnProcess, startOwnRedis } from '../../test/helpers/own-services';

const settings = (overrides: Partial<RateLimitSettings> = {}): RateLimitSettings => ({
  requestsPerMinute: 0,
  ingestEventsPerMinute: 0,
  expensivePerMinute: 0,
  unauthenticatedPerMinute: 0,
  ...overrides,
});
const key = (keyId: string) => ({ keyId, tenantId: 't', role: Role.ADMIN });
const none = { ingestEvents: 0, expensive: 0 };
const namespace = () => `dpa-rl-spec-${randomBytes(6).toString('hex')}`;

const charge = (query: string, variables: Record<string, unknown> = {}) => {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  return chargeOf(operation, document, variables);
};

describe('chargeOf', () => {
  it('counts every expensive root field, aliases and fragments included, and nothing for cheap ones', () => {
    expect(
      charge(
        '{ a: verifyAuditChain { valid } b: verifyAuditChain { valid } viewer { keyId } ...F } fragment F on Query { assessCompliance(frameworkId: "soc2") { score } }',
      ),
    ).toEqual({
      ingestEvents: 0,
      expensive: 3,
    });
    expect(charge('{ auditEvents(first: 5) { totalCount } frameworks { id } }')).toEqual(none);
  });

  it('counts the events of recordAuditEvents from a variable, a literal list, or a variable list inside a literal', () => {
    const mutation = 'mutation R($input: RecordAuditEventsInput!) { recordAuditEvents(input: $input) { recordedCount } }';
    expect(charge(mutation, { input: { events: [{}, {}, {}, {}, {}] } })).toEqual({ ingestEvents: 5, expensive: 0 });
    expect(
      charge(
        'mutation { a: recordAuditEvents(input: { events: [{}, {}] }) { recordedCount } b: recordAuditEvents(input: { events: {} }) { recordedCount } }',
      ),
    ).toEqual({
      ingestEvents: 3,
      expensive: 0,
    });
    expect(
      charge('mutation R($e: [AuditEventInput!]!) { recordAuditEvents(input: { events: $e }) { recordedCount } }', { e: [{}, {}, {}, {}] }),
    ).toEqual({ ingestEvents: 4, expensive: 0 });
  });
});

describe('clientAddress', () => {
  const req = (remoteAddress: string) => ({ socket: { remoteAddress } }) as unknown as IncomingMessage;
  it('keeps an IPv4 address, unwraps a v4-mapped one, and groups IPv6 by /64', () => {
    expect(clientAddress(req('203.0.113.7'))).toBe('203.0.113.7');
    expect(clientAddress(req('::ffff:203.0.113.7'))).toBe('203.0.113.7');
    expect(clientAddress(req('2001:db8:0:1:aaaa::1'))).toBe('2001:db8:0:1::/64');
    expect(clientAddress(req('2001:0db8:0000:0001:ffff:ffff:ffff:ffff'))).toBe('2001:db8:0:1::/64');
    expect(clientAddress(req('::1'))).toBe('0:0:0:0::/64');
  });
});

describe('rateLimitedError', () => {
  it('is RATE_LIMITED with HTTP 429 and a Retry-After header', () => {
    const error = rateLimitedError({ budget: 'requests', retryAfterSeconds: 17, message: 'slow down' });
    expect(error.extensions.code).toBe(ErrorCode.RATE_LIMITED);
    expect(error.extensions.retryAfterSeconds).toBe(17);
    const http = error.extensions.http as { status: number; headers: Map<string, string> };
    expect(http.status).toBe(429);
    expect(http.headers.get('retry-after')).toBe('17');
  });
});

describe('RequestRateLimiter in memory', () => {
  let store: RateLimitStore;
  beforeEach(() => {
    store = createRateLimitStore({ namespace: namespace() });
  });
  afterEach(() => store.close());

  it('refuses a key past its request budget with a wait of at most a minute, and leaves other keys alone', async () => {
    const limiter = new RequestRateLimiter(store, settings({ requestsPerMinute: 3 }));
    for (let i = 0; i < 3; i += 1) expect(await limiter.admitKey(key('a'), none)).toBeNull();
    const refusal = await limiter.admitKey(key('a'), none);
    expect(refusal).toMatchObject({ budget: 'requests' });
    expect(refusal!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refusal!.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(await limiter.admitKey(key('b'), none)).toBeNull();
  });

  it('keeps ingest events and expensive fields in budgets of their own', async () => {
    const limiter = new RequestRateLimiter(store, settings({ requestsPerMinute: 100, ingestEventsPerMinute: 10, expensivePerMinute: 2 }));
    expect(await limiter.admitKey(key('a'), { ingestEvents: 10, expensive: 0 })).toBeNull();
    expect(await limiter.admitKey(key('a'), { ingestEvents: 1, expensive: 0 })).toMatchObject({ budget: 'ingest' });
    // Ingest spent; expensive untouched, and plain requests still pass.
    expect(await limiter.admitKey(key('a'), { ingestEvents: 0, expensive: 2 })).toBeNull();
    expect(await limiter.admitKey(key('a'), { ingestEvents: 0, expensive: 1 })).toMatchObject({ budget: 'expensive' });
    expect(await limiter.admitKey(key('a'), none)).toBeNull();
  });

  it('lets a batch larger than the whole ingest budget through once a window instead of never', async () => {
    const limiter = new RequestRateLimiter(store, settings({ ingestEventsPerMinute: 100 }));
    expect(await limiter.admitKey(key('a'), { ingestEvents: 1000, expensive: 0 })).toBeNull();
    expect(await limiter.admitKey(key('a'), { ingestEvents: 1, expensive: 0 })).toMatchObject({ budget: 'ingest' });
  });

  it('refuses an operation with more expensive fields than the whole expensive budget', async () => {
    const limiter = new RequestRateLimiter(store, settings({ expensivePerMinute: 3 }));
    expect(await limiter.admitKey(key('a'), { ingestEvents: 0, expensive: 4 })).toMatchObject({ budget: 'expensive' });
  });

  it('counts requests without a key per address, and budgets set to 0 never refuse', async () => {
    const limiter = new RequestRateLimiter(store, settings({ unauthenticatedPerMinute: 2 }));
    const anonymous = (remoteAddress: string, authorization?: string) =>
      ({ socket: { remoteAddress }, headers: authorization ? { authorization } : {} }) as unknown as IncomingMessage;
    expect(await limiter.admitRequest(anonymous('198.51.100.1'))).toBeNull();
    expect(await limiter.admitRequest(anonymous('198.51.100.1'))).toBeNull();
    expect(await limiter.admitRequest(anonymous('198.51.100.1'))).toMatchObject({ budget: 'unauthenticated' });
    expect(await limiter.admitRequest(anonymous('198.51.100.2'))).toBeNull();
    // The HTTP front asks only for requests without a valid key: a wrong key spends the same budget.
    expect(await limiter.admitRequest(anonymous('198.51.100.2', 'Bearer some-key'))).toBeNull();
    expect(await limiter.admitRequest(anonymous('198.51.100.2', 'Bearer another-key'))).toMatchObject({ budget: 'unauthenticated' });
    for (let i = 0; i < 50; i += 1) expect(await limiter.admitKey(key('a'), { ingestEvents: 1000, expensive: 5 })).toBeNull();
  });
});

describe('RequestRateLimiter through Redis', () => {
  let redis: OwnProcess;
  beforeAll(async () => {
    redis = await startOwnRedis();
  });
  afterAll(() => redis.close());

  it('shares one budget between two nodes, and falls back to the in-memory insurance limiter when Redis is frozen or gone', async () => {
    const ns = namespace();
    const stores = [
      createRateLimitStore({ redisUrl: `redis://127.0.0.1:${redis.port}`, namespace: ns }),
      createRateLimitStore({ redisUrl: `redis://127.0.0.1:${redis.port}`, namespace: ns }),
    ];
    try {
      const [one, two] = stores.map((s) => new RequestRateLimiter(s, settings({ requestsPerMinute: 4 })));
      expect(await Promise.all(stores.map((s) => s.ready(10_000)))).toEqual([true, true]);
      expect(await one.admitKey(key('shared'), none)).toBeNull();
      expect(await two.admitKey(key('shared'), none)).toBeNull();
      expect(await one.admitKey(key('shared'), none)).toBeNull();
      expect(await two.admitKey(key('shared'), none)).toBeNull();
      expect(await one.admitKey(key('shared'), none)).toMatchObject({ budget: 'requests' });
      expect(await two.admitKey(key('shared'), none)).toMatchObject({ budget: 'requests' });

      // Frozen: connected, but no answer. Each call is time-boxed and the insurance limiter decides.
      redis.freeze();
      try {
        for (let i = 0; i < 4; i += 1) expect(await one.admitKey(key('frozen'), none)).toBeNull();
        expect(await one.admitKey(key('frozen'), none)).toMatchObject({ budget: 'requests' });
      } finally {
        redis.thaw();
      }

      // Gone: the client is not ready, so nothing is sent or queued; the insurance limiter answers.
      await redis.kill();
      for (let i = 0; i < 4; i += 1) expect(await two.admitKey(key('gone'), none)).toBeNull();
      expect(await two.admitKey(key('gone'), none)).toMatchObject({ budget: 'requests' });
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
