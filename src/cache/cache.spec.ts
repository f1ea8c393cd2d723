import { randomBytes } from 'node:crypto';
import { createClient } from '@keyv/redis';
import { type Cache, createCache, createMemoryStore, entryBytes, readThrough } from './cache';

const REDIS_URL = 'redis://127.0.0.1:6379';
const namespace = () => `dpa-cache-spec-${randomBytes(6).toString('hex')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Row {
  id: string;
  n: number;
  labels: string[];
}
const row = (id: string): Row => ({ id, n: Number(id.replace(/\D/g, '')), labels: [`l-${id}`] });

/** A loader that records which keys each call asked for, and knows every key except those in `absent`. */
function loader(absent: string[] = []) {
  const calls: string[][] = [];
  const load = async (missing: string[]) => {
    calls.push([...missing]);
    return new Map(missing.filter((k) => !absent.includes(k)).map((k) => [k, row(k)] as const));
  };
  return { calls, load };
}

const ck = (key: string) => `event:${key}`;

describe('createCache (memory): bounded by bytes, not only by entries', () => {
  // 15 KB of metadata, as in the event that took a 1 GB heap down after 44k reads.
  const large = (i: number) => ({ id: `e${i}`, metadata: 'x'.repeat(15 * 1024) });
  const MAX_BYTES = 2 * 1024 * 1024;

  it('keeps the serialized size of what it holds under CACHE_MAX_BYTES during a flood of large values', async () => {
    // maxEntries alone would let all 2,000 (≈30 MB) in.
    const cache = createCache({ namespace: namespace(), ttlMs: 60_000, maxEntries: 100_000, maxBytes: MAX_BYTES });
    const keys: string[] = [];
    for (let batch = 0; batch < 20; batch += 1) {
      const entries = Array.from({ length: 100 }, (_, i) => ({ key: ck(`${batch * 100 + i}`), value: large(batch * 100 + i) }));
      keys.push(...entries.map((e) => e.key));
      await cache.setMany(entries);
    }
    const held = (await cache.getMany<ReturnType<typeof large>>(keys)).filter((v) => v !== undefined);
    const heldBytes = held.reduce((sum, v) => sum + JSON.stringify(v).length, 0);
    expect(held.length).toBeGreaterThan(0);
    expect(heldBytes).toBeLessThanOrEqual(MAX_BYTES);
    // The newest entries are the ones kept.
    expect((await cache.getMany([keys.at(-1)!]))[0]).toEqual(large(1999));
    await cache.close();
  });

  it('does not cache a value larger than CACHE_MAX_ENTRY_BYTES, and says so in its stats', async () => {
    const cache = createCache({ namespace: namespace(), ttlMs: 60_000, maxEntries: 1_000, maxEntryBytes: 4096 });
    await cache.setMany<unknown>([
      { key: ck('big'), value: large(1) },
      { key: ck('small'), value: row('e1') },
    ]);
    expect(await cache.getMany([ck('big'), ck('small')])).toEqual([undefined, row('e1')]);
    expect(cache.stats.skippedLarge).toBe(1);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 1 });
    await cache.close();
  });

  it('prices an entry at no less than its serialized size', () => {
    const value = JSON.stringify(large(1));
    expect(entryBytes('k', value)).toBeGreaterThanOrEqual(value.length);
    const store = createMemoryStore({ maxEntries: 10, maxBytes: 64 * 1024, maxEntryBytes: 1024 * 1024 });
    for (let i = 0; i < 10; i += 1) store.set(`k${i}`, value);
    expect(store.calculatedSize).toBeLessThanOrEqual(64 * 1024);
    expect(store.size).toBeLessThan(10);
  });
});

describe('createCache (memory) and readThrough', () => {
  let cache: Cache;
  beforeEach(() => {
    cache = createCache({ namespace: namespace(), ttlMs: 60_000, maxEntries: 1_000 });
  });
  afterEach(() => cache.close());

  it('is the memory kind without a Redis URL', () => {
    expect(cache.kind).toBe('memory');
  });

  it('sends the misses to the loader once, serves hits from the cache, in the order asked', async () => {
    const { calls, load } = loader();
    expect(await readThrough(cache, ['e1', 'e2', 'e3'], ck, load)).toEqual([row('e1'), row('e2'), row('e3')]);
    expect(calls).toEqual([['e1', 'e2', 'e3']]);

    // All hits: the loader is not called.
    expect(await readThrough(cache, ['e3', 'e1'], ck, load)).toEqual([row('e3'), row('e1')]);
    expect(calls).toHaveLength(1);

    // A mix: only the new keys go to the loader.
    expect(await readThrough(cache, ['e2', 'e4', 'e1', 'e5'], ck, load)).toEqual([row('e2'), row('e4'), row('e1'), row('e5')]);
    expect(calls).toEqual([
      ['e1', 'e2', 'e3'],
      ['e4', 'e5'],
    ]);
  });

  it('returns undefined for keys the loader does not know, and does not cache their absence', async () => {
    const { calls, load } = loader(['gone']);
    expect(await readThrough(cache, ['e1', 'gone', 'e2'], ck, load)).toEqual([row('e1'), undefined, row('e2')]);
    expect(await readThrough(cache, ['e1', 'gone', 'e2'], ck, load)).toEqual([row('e1'), undefined, row('e2')]);
    // The missing key is asked for again; the found ones are not.
    expect(calls).toEqual([['e1', 'gone', 'e2'], ['gone']]);
    expect(await cache.getMany([ck('gone'), ck('e1')])).toEqual([undefined, row('e1')]);
  });

  it('asks neither the cache nor the loader for an empty key list', async () => {
    const { calls, load } = loader();
    expect(await readThrough(cache, [], ck, load)).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('forgets entries after ttlMs, so the loader is asked again', async () => {
    const short = createCache({ namespace: namespace(), ttlMs: 50, maxEntries: 1_000 });
    const { calls, load } = loader();
    await readThrough(short, ['e1'], ck, load);
    await readThrough(short, ['e1'], ck, load);
    expect(calls).toHaveLength(1);
    await sleep(120);
    expect(await readThrough(short, ['e1'], ck, load)).toEqual([row('e1')]);
    expect(calls).toHaveLength(2);
    await short.close();
  });

  it('is bounded by maxEntries: the least recently used entry goes back to the loader', async () => {
    const small = createCache({ namespace: namespace(), ttlMs: 60_000, maxEntries: 3 });
    const { calls, load } = loader();
    await readThrough(small, ['e1', 'e2', 'e3'], ck, load);
    await readThrough(small, ['e1'], ck, load); // a hit: e1 is now the most recent
    await readThrough(small, ['e4'], ck, load); // evicts e2
    expect(calls).toEqual([['e1', 'e2', 'e3'], ['e4']]);
    expect(await small.getMany([ck('e1'), ck('e2'), ck('e3'), ck('e4')])).toEqual([row('e1'), undefined, row('e3'), row('e4')]);
    await readThrough(small, ['e2', 'e1'], ck, load);
    expect(calls.at(-1)).toEqual(['e2']);
    await small.close();
  });
});

describe('createCache (Redis)', () => {
  const ns = namespace();
  const caches: Cache[] = [];
  const open = () => {
    const cache = createCache({ redisUrl: REDIS_URL, namespace: ns, ttlMs: 60_000, maxEntries: 10 });
    caches.push(cache);
    return cache;
  };
  const client = createClient({ url: REDIS_URL });

  beforeAll(async () => {
    await client.connect();
  });
  afterAll(async () => {
    for (const cache of caches) await cache.close();
    const keys = await client.keys(`${ns}*`);
    if (keys.length) await client.del(keys);
    await client.close();
  });

  it('round-trips values through Redis: another cache instance reads what the first wrote, without its loader', async () => {
    const writer = open();
    expect(writer.kind).toBe('redis');
    const first = loader(['gone']);
    // More entries than maxEntries: the bound is for memory only; Redis keeps them all.
    const keys = Array.from({ length: 12 }, (_, i) => `e${i + 1}`);
    expect(await readThrough(writer, [...keys, 'gone'], ck, first.load)).toEqual([...keys.map(row), undefined]);
    expect(first.calls).toHaveLength(1);

    // They are in Redis under the namespace, not in this process.
    const stored = await client.keys(`${ns}*`);
    expect(stored).toHaveLength(keys.length);
    expect(stored.every((k) => k.includes('event:e'))).toBe(true);
    const raw = await client.get(stored.find((k) => k.endsWith('event:e7'))!);
    expect(raw).toContain('l-e7');

    const reader = open();
    const second = loader(['gone']);
    expect(await readThrough(reader, [...keys, 'gone'], ck, second.load)).toEqual([...keys.map(row), undefined]);
    expect(second.calls).toEqual([['gone']]);
    // Values come back as they went in: numbers stay numbers, arrays stay arrays.
    const [e12] = await reader.getMany<Row>([ck('e12')]);
    expect(e12).toEqual({ id: 'e12', n: 12, labels: ['l-e12'] });
  });

  it('keeps the entries for ttlMs in Redis', async () => {
    const stored = await client.keys(`${ns}*`);
    expect(stored.length).toBeGreaterThan(0);
    const ttl = await client.pTTL(stored[0]);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});

describe('createCache (Redis) when Redis is down', () => {
  it('answers every call at once with misses (the caller reads the database), and never throws', async () => {
    // Nothing listens on port 1: the connection is refused, and no command may wait in a queue.
    const cache = createCache({ redisUrl: 'redis://127.0.0.1:1', namespace: namespace(), ttlMs: 60_000, maxEntries: 10, timeoutMs: 100 });
    for (let i = 0; i < 5; i += 1) {
      expect(await cache.getMany([ck('e1'), ck('e2')])).toEqual([undefined, undefined]);
      await cache.setMany([{ key: ck('e1'), value: row('e1') }]);
    }
    const { calls, load } = loader();
    expect(await readThrough(cache, ['e1'], ck, load)).toEqual([row('e1')]);
    expect(calls).toEqual([['e1']]);
    expect(cache.stats.failures).toBeGreaterThan(0);
    expect(cache.stats.hits).toBe(0);
    await cache.close();
  });
});
