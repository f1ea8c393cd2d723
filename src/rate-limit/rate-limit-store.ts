import { createClient } from '@redis/client';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** The longest a limiter call may wait on Redis before the in-memory insurance limiter answers. */
export const REDIS_LIMIT_TIMEOUT_MS = 200;

/** A fixed-window budget: `points` per `durationSeconds` per key. */
export interface Budget {
  /** Takes `points` from `key`'s budget: null when allowed, else the seconds until it refills. */
  consume(key: string, points?: number): Promise<number | null>;
  readonly points: number;
}

/** Where budgets are counted: this process's memory, or one Redis shared by every node. */
export interface RateLimitStore {
  readonly kind: 'memory' | 'redis';
  budget(name: string, points: number, durationSeconds: number): Budget;
  /** Whether the shared store is reachable, waiting for it up to `waitMs` (always true in memory). */
  ready(waitMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

function budgetOf(limiter: RateLimiterAbstract, points: number): Budget {
  return {
    points,
    async consume(key, wanted = 1) {
      try {
        await limiter.consume(key, Math.max(1, Math.ceil(wanted)));
        return null;
      } catch (outcome) {
        if (outcome instanceof RateLimiterRes) return Math.max(1, Math.ceil(outcome.msBeforeNext / 1000));
        // Not a refusal but a store failure the insurance limiter could not absorb: a limiter never fails a request.
        return null;
      }
    },
  };
}

/**
 * In memory by default; with `redisUrl`, counted in Redis (atomic Lua increments) so that every node
 * shares one budget. The Redis client queues nothing while offline and every call is time-boxed:
 * a Redis that is down or frozen makes the in-memory insurance limiter answer at once.
 */
export function createRateLimitStore(options: { redisUrl?: string; namespace: string; timeoutMs?: number }): RateLimitStore {
  const prefix = `${options.namespace}:rl`;
  if (!options.redisUrl) {
    return {
      kind: 'memory',
      budget: (name, points, duration) => budgetOf(new RateLimiterMemory({ keyPrefix: `${prefix}:${name}`, points, duration }), points),
      ready: async () => true,
      close: async () => undefined,
    };
  }
  const timeoutMs = options.timeoutMs ?? REDIS_LIMIT_TIMEOUT_MS;
  const client = createClient({
    url: options.redisUrl,
    disableOfflineQueue: true,
    commandOptions: { timeout: timeoutMs },
    socket: { connectTimeout: 1000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000) },
  });
  client.on('error', () => undefined); // an outage is absorbed by the insurance limiters, never thrown
  client.connect().catch(() => undefined);
  return {
    kind: 'redis',
    budget(name, points, duration) {
      const keyPrefix = `${prefix}:${name}`;
      const insuranceLimiter = new RateLimiterMemory({ keyPrefix, points, duration });
      const redis = new RateLimiterRedis({
        storeClient: client,
        useRedisPackage: true,
        rejectIfRedisNotReady: true,
        keyPrefix,
        points,
        duration,
        insuranceLimiter,
      });
      return budgetOf(new RLWrapperTimeouts({ limiter: redis, timeoutMs }), points);
    },
    async ready(waitMs = 0) {
      if (client.isReady || waitMs <= 0) return client.isReady;
      return new Promise<boolean>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          client.off('ready', done);
          resolve(client.isReady);
        };
        const timer = setTimeout(done, waitMs);
        timer.unref();
        client.on('ready', done);
      });
    },
    async close() {
      if (client.isOpen) client.destroy();
    },
  };
}
