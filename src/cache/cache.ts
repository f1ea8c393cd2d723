import { Keyv } from 'keyv';
import { createKeyv } from '@keyv/redis';
import { LRUCache } from 'lru-cache';

/** Counters a test or an operator can read to see whether the cache is being used. */
export interface CacheStats {
  /** Keys found in the cache. */
  hits: number;
  /** Keys asked for and not found (or not asked because the cache was unavailable). */
  misses: number;
  /** Calls that failed or ran past CACHE_TIMEOUT_MS and fell back to the database. */
  failures: number;
  /** Values not cached because they are larger than CACHE_MAX_ENTRY_BYTES. */
  skippedLarge: number;
}

/** The shared read-through cache: in memory by default, Redis when REDIS_URL is set. */
export interface Cache {
  getMany<T>(keys: string[]): Promise<(T | undefined)[]>;
  setMany<T>(entries: { key: string; value: T }[]): Promise<void>;
  close(): Promise<void>;
  readonly kind: 'memory' | 'redis';
  readonly stats: CacheStats;
}

export interface CacheOptions {
  redisUrl?: string;
  namespace: string;
  ttlMs: number;
  /** In-memory cache: entries kept at most. */
  maxEntries: number;
  /** In-memory cache: serialized bytes kept at most (CACHE_MAX_BYTES). */
  maxBytes?: number;
  /** Values whose serialized form is larger are not cached at all (CACHE_MAX_ENTRY_BYTES). */
  maxEntryBytes?: number;
  /** Every Redis call is abandoned after this long and the caller reads the database (CACHE_TIMEOUT_MS). */
  timeoutMs?: number;
}

export const CACHE_DEFAULTS = { maxBytes: 64 * 1024 * 1024, maxEntryBytes: 1024 * 1024, timeoutMs: 200 } as const;

/**
 * What an entry costs in memory, an upper bound: V8 keeps a string in one or two bytes a character,
 * plus a fixed overhead for the entry itself.
 */
export const entryBytes = (key: string, serialized: string): number => 2 * (key.length + serialized.length) + 64;

/**
 * keyv's in-memory store: an LRU bounded by the bytes of what it holds (keyv hands it serialized
 * strings), not only by the number of entries — 100,000 events of 15 KB would be gigabytes.
 * keyv passes a TTL as a third argument, which lru-cache would read as options; keyv keeps the
 * expiry inside the value anyway.
 */
export function createMemoryStore(options: { maxEntries: number; maxBytes: number; maxEntryBytes: number }) {
  const lru = new LRUCache<string, string>({
    max: options.maxEntries,
    maxSize: options.maxBytes,
    maxEntrySize: Math.min(options.maxEntryBytes * 2 + 1024, options.maxBytes),
    sizeCalculation: (value, key) => entryBytes(key, typeof value === 'string' ? value : JSON.stringify(value)),
  });
  return {
    get: (key: string) => lru.get(key),
    set: (key: string, value: string) => {
      lru.set(key, value);
      return true;
    },
    has: (key: string) => lru.has(key),
    delete: (key: string) => lru.delete(key),
    clear: () => lru.clear(),
    get size() {
      return lru.size;
    },
    /** Bytes held, as priced by entryBytes. */
    get calculatedSize() {
      return lru.calculatedSize;
    },
  };
}

const TIMED_OUT = Symbol('timed out');
/** Not sent: Redis failed a moment ago. */
const SKIPPED = Symbol('skipped');

/** Resolves to the call's result, or TIMED_OUT after `ms`; the call itself is left to settle unobserved. */
function within<T>(call: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
    timer.unref();
  });
  call.catch(() => undefined);
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}

/** Reconnect after 100 ms, doubling up to 2 s: a Redis back after an outage is used again within seconds. */
export const redisReconnectDelay = (retries: number): number => Math.min(100 * 2 ** retries, 2000) + Math.floor(Math.random() * 100);

function redisKeyv(url: string, namespace: string, timeoutMs: number): Keyv {
  // createKeyv lets the Redis adapter own the namespace prefix, so keys are not prefixed twice.
  return createKeyv(
    {
      url,
      // While Redis is away a command fails at once instead of waiting in node-redis' queue for ever.
      disableOfflineQueue: true,
      socket: { connectTimeout: Math.max(timeoutMs * 5, 1000), reconnectStrategy: redisReconnectDelay },
    },
    { namespace, throwOnConnectError: false, connectionTimeout: Math.max(timeoutMs * 5, 1000) },
  );
}

export function createCache(options: CacheOptions): Cache {
  const redis = Boolean(options.redisUrl);
  const maxEntryBytes = options.maxEntryBytes ?? CACHE_DEFAULTS.maxEntryBytes;
  const timeoutMs = options.timeoutMs ?? CACHE_DEFAULTS.timeoutMs;
  const keyv: Keyv = options.redisUrl
    ? redisKeyv(options.redisUrl, options.namespace, timeoutMs)
    : new Keyv({
        store: createMemoryStore({ maxEntries: options.maxEntries, maxBytes: options.maxBytes ?? CACHE_DEFAULTS.maxBytes, maxEntryBytes }),
        namespace: options.namespace,
        ttl: options.ttlMs,
      });
  const stats: CacheStats = { hits: 0, misses: 0, failures: 0, skippedLarge: 0 };
  // After a failed call, Redis is left alone for a moment: reads go straight to the database
  // instead of each waiting out CACHE_TIMEOUT_MS; the reconnect runs meanwhile.
  let skipUntil = 0;
  const coolDownMs = Math.max(1000, timeoutMs * 5);
  const failed = () => {
    stats.failures += 1;
    if (redis) skipUntil = Date.now() + coolDownMs;
  };
  // A cache outage degrades to database reads, never fails a request; the adapter reports errors
  // it swallowed (and failed reconnects) here.
  keyv.on('error', failed);
  // Only Redis can hang; the memory store answers synchronously.
  const bounded = <T>(call: () => Promise<T>): Promise<T | typeof TIMED_OUT | typeof SKIPPED> => {
    if (Date.now() < skipUntil) return Promise.resolve(SKIPPED);
    const started = Promise.resolve().then(call);
    return redis ? within(started, timeoutMs) : started;
  };
  return {
    kind: redis ? 'redis' : 'memory',
    stats,
    async getMany<T>(keys: string[]) {
      if (!keys.length) return [];
      try {
        const found = await bounded(() => keyv.getMany<T>(keys));
        if (found === SKIPPED) {
          stats.misses += keys.length;
          return keys.map(() => undefined);
        }
        if (found !== TIMED_OUT) {
          const values = found as (T | undefined)[];
          const hits = values.filter((v) => v !== undefined).length;
          stats.hits += hits;
          stats.misses += keys.length - hits;
          return values;
        }
      } catch {
        // fall through: the database answers instead
      }
      failed();
      stats.misses += keys.length;
      return keys.map(() => undefined);
    },
    async setMany<T>(entries: { key: string; value: T }[]) {
      const fitting = entries.filter((e) => {
        const fits = JSON.stringify(e.value).length <= maxEntryBytes;
        if (!fits) stats.skippedLarge += 1;
        return fits;
      });
      if (!fitting.length) return;
      try {
        const done = await bounded(() => keyv.setMany(fitting.map((e) => ({ key: e.key, value: e.value, ttl: options.ttlMs }))));
        if (done === TIMED_OUT) failed();
      } catch {
        failed(); // see above: the cache is an optimisation only
      }
    },
    async close() {
      if (redis) await within(keyv.disconnect(), 1000).catch(() => undefined);
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
