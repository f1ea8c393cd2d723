import { Keyv } from 'keyv';
import { createKeyv } from '@keyv/redis';

/** The shared read-through cache: in memory by default, Redis when REDIS_URL is set. */
export interface Cache {
  getMany<T>(keys: string[]): Promise<(T | undefined)[]>;
  setMany<T>(entries: { key: string; value: T }[]): Promise<void>;
  close(): Promise<void>;
  readonly kind: 'memory' | 'redis';
}

/** keyv's in-memory store, bounded: the least recently used entry goes when `max` is reached. */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super();
  }

  override get(key: K): V | undefined {
    const value = super.get(key);
    if (value !== undefined) {
      super.delete(key);
      super.set(key, value);
    }
    return value;
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    if (this.size > this.max) this.delete(this.keys().next().value as K);
    return this;
  }
}

export function createCache(options: { redisUrl?: string; namespace: string; ttlMs: number; maxEntries: number }): Cache {
  // createKeyv lets the Redis adapter own the namespace prefix, so keys are not prefixed twice.
  const redis = Boolean(options.redisUrl);
  const keyv: Keyv = options.redisUrl
    ? createKeyv(options.redisUrl, { namespace: options.namespace })
    : new Keyv({ store: new BoundedMap<string, unknown>(options.maxEntries), namespace: options.namespace, ttl: options.ttlMs });
  keyv.on('error', () => undefined); // a cache outage degrades to database reads, never fails a request
  return {
    kind: redis ? 'redis' : 'memory',
    async getMany<T>(keys: string[]) {
      if (!keys.length) return [];
      try {
        return (await keyv.getMany<T>(keys)) as (T | undefined)[];
      } catch {
        return keys.map(() => undefined);
      }
    },
    async setMany<T>(entries: { key: string; value: T }[]) {
      if (!entries.length) return;
      try {
        await keyv.setMany(entries.map((e) => ({ key: e.key, value: e.value, ttl: options.ttlMs })));
      } catch {
        // see above: the cache is an optimisation only
      }
    },
    async close() {
      if (redis) await keyv.disconnect().catch(() => undefined);
    },
  };
}

/**
 * Read-through inside a DataLoader batch function: keyv first, the database for the misses, then
 * write the misses back. Values must be immutable (events, their labels) or safe to serve stale.
 */
export async function readThrough<K, V>(
  cache: Cache,
  keys: readonly K[],
  cacheKey: (key: K) => string,
  load: (missing: K[]) => Promise<Map<K, V>>,
): Promise<(V | undefined)[]> {
  const cached = await cache.getMany<V>(keys.map(cacheKey));
  const missing = keys.filter((_, i) => cached[i] === undefined);
  if (!missing.length) return cached;
  const loaded = await load(missing);
  const fresh: { key: string; value: V }[] = [];
  for (const key of missing) {
    const value = loaded.get(key);
    if (value !== undefined) fresh.push({ key: cacheKey(key), value });
  }
  await cache.setMany(fresh);
  return keys.map((key, i) => cached[i] ?? loaded.get(key));
}
