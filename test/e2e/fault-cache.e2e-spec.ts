import { createClient } from '@keyv/redis';
import { startOwnRedis, type OwnProcess } from '../helpers/own-services';
import { createTestEnvironment, eventInput, RECORD, type TestEnvironment } from '../helpers/test-environment';

/**
 * Redis killed under a running server: cached reads (auditEvent, labels, assessCompliance) answer
 * from the database at once instead of hanging, and the cache is used again once Redis is back.
 * The Redis is this test's own process; the machine's shared one is never touched.
 */
const EVENT = `query Event($id: String!) { auditEvent(id: $id) { id action tags categories } }`;
const EVENTS = `{ auditEvents(first: 20) { totalCount edges { node { id action tags categories } } } }`;
const ASSESS = `query Assess($input: AssessComplianceInput!) {
  assessCompliance(input: $input) { frameworkId score level headSequence counts { total compliant nonCompliant notAssessed } }
}`;

describe('fault: Redis down', () => {
  let redis: OwnProcess;
  let env: TestEnvironment;
  let namespace: string;
  const ids: string[] = [];
  const assessInput = { frameworkId: 'hipaa', from: new Date(Date.now() - 86_400_000).toISOString() };

  const cachedKeys = async () => {
    // A fresh client each time: the old one's socket died with the killed process.
    const c = createClient({ url: `redis://127.0.0.1:${redis.port}` });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return await c.keys(`${namespace}*`);
    } finally {
      await c.close();
    }
  };

  beforeAll(async () => {
    redis = await startOwnRedis();
    env = await createTestEnvironment({ REDIS_URL: `redis://127.0.0.1:${redis.port}`, CACHE_TIMEOUT_MS: '1000' });
    namespace = env.env.CACHE_NAMESPACE;
    const events = Array.from({ length: 5 }, (_, i) =>
      eventInput({
        action: 'patient_record.read',
        resource: { type: 'patient_record', id: `p-${i}` },
        tags: [`t-${i}`],
        categories: ['PHI'],
      }),
    );
    const res = await env.gql(RECORD, { input: { events } });
    expect(res.body.errors).toBeUndefined();
    ids.push(...res.body.data!.recordAuditEvents.receipts.map((r: { id: string }) => r.id));
  });
  afterAll(async () => {
    await env?.close();
    await redis?.close();
  });

  it('fills Redis while it is up', async () => {
    expect(env.app.cache.kind).toBe('redis');
    const first = await env.gql(EVENT, { id: ids[0] });
    expect(first.body.data!.auditEvent).toMatchObject({ id: ids[0], tags: ['t-0'], categories: ['PHI'] });
    expect((await env.gql(ASSESS, { input: assessInput })).body.errors).toBeUndefined();
    const keys = await cachedKeys();
    expect(keys.some((k) => k.includes(`event:`) && k.includes(ids[0]))).toBe(true);
    expect(keys.some((k) => k.includes('labels:'))).toBe(true);
    expect(keys.some((k) => k.includes('assessment:'))).toBe(true);
  });

  it('answers auditEvent, auditEvents with labels and assessCompliance from the database while Redis is dead', async () => {
    const before = await env.gql(EVENTS);
    const assessedBefore = await env.gql(ASSESS, { input: assessInput });
    await redis.kill();
    const { hits: hitsBefore, misses: missesBefore } = env.app.cache.stats;

    // Each of these hung (> 45 s) before the fix; the test's own timeout is the only bound.
    for (let i = 0; i < ids.length; i += 1) {
      const res = await env.gql(EVENT, { id: ids[i] });
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.auditEvent).toEqual({ id: ids[i], action: 'patient_record.read', tags: [`t-${i}`], categories: ['PHI'] });
    }
    const list = await env.gql(EVENTS);
    expect(list.body.errors).toBeUndefined();
    expect(list.body.data).toEqual(before.body.data);
    const assessed = await env.gql(ASSESS, { input: assessInput });
    expect(assessed.body.errors).toBeUndefined();
    expect(assessed.body.data).toEqual(assessedBefore.body.data);
    // They came from the database: the dead cache answered nothing.
    expect(env.app.cache.stats.hits).toBe(hitsBefore);
    expect(env.app.cache.stats.misses).toBeGreaterThan(missesBefore);

    // /readyz is about the database: a cache outage does not take the node out of rotation.
    expect((await fetch(env.url.replace('/graphql', '/readyz'))).status).toBe(200);
  });

  it('uses the cache again once Redis is back', async () => {
    await redis.restart(); // same port, empty (no persistence)
    expect(await cachedKeys()).toEqual([]);
    // The client reconnects on its own backoff (≤ ~2.1 s between attempts), and the cache then waits
    // out its cool-down: 5 × CACHE_TIMEOUT_MS = 5 s here, restarted by every failed attempt and by
    // every call that times out, so on a loaded machine (1 s calls timing out) the pause can renew
    // itself several times. Poll until it writes again. The bound is generous (1,000 reads, about a
    // minute on a busy machine): 200 ran out once under CI load.
    // Wait for the event's own key: its labels are cached by a write of their own, which may land first.
    const eventCached = (keys: string[]) => keys.some((k) => k.includes('event:') && k.includes(ids[1]));
    let keys: string[] = [];
    for (let attempt = 0; attempt < 1000 && !eventCached(keys); attempt += 1) {
      const res = await env.gql(EVENT, { id: ids[1] });
      expect(res.body.data!.auditEvent.id).toBe(ids[1]);
      keys = await cachedKeys();
      if (!eventCached(keys)) await new Promise((r) => setTimeout(r, 50));
    }
    expect(eventCached(keys)).toBe(true);

    // Reads are served from Redis again: the hit counter moves (bounded retries: a read that ran
    // into a momentary failure pause on a loaded machine goes to the database instead).
    const hits = env.app.cache.stats.hits;
    for (let attempt = 0; attempt < 50 && env.app.cache.stats.hits === hits; attempt += 1) {
      const res = await env.gql(EVENT, { id: ids[1] });
      expect(res.body.data!.auditEvent).toMatchObject({ id: ids[1], tags: ['t-1'] });
      if (env.app.cache.stats.hits === hits) await new Promise((r) => setTimeout(r, 100));
    }
    expect(env.app.cache.stats.hits).toBeGreaterThan(hits);
  }, 120_000);
});
