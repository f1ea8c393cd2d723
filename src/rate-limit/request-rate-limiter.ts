import { isIPv6 } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { type ApolloServerPlugin, HeaderMap } from '@apollo/server';
import { type DocumentNode, type FragmentDefinitionNode, Kind, type OperationDefinitionNode, type ValueNode } from 'graphql';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { Principal } from '../access/role';
import type { Budget, RateLimitStore } from './rate-limit-store';

/** Per-minute budgets; 0 switches a budget off. */
export interface RateLimitSettings {
  /** Every GraphQL request of one API key. */
  requestsPerMinute: number;
  /** Events in `recordAuditEvents` calls of one API key. */
  ingestEventsPerMinute: number;
  /** Expensive root fields ({@link EXPENSIVE_FIELDS}) of one API key, each occurrence (alias) counted. */
  expensivePerMinute: number;
  /** Requests without a valid key, per client address (an IPv6 /64 counts as one address). */
  unauthenticatedPerMinute: number;
}

/**
 * Root fields that scan a whole chain, tenant or period (or sign and write, or describe the whole
 * schema): charged against their own, small budget. The same fields are the `expensive` ones of the
 * price table (MAX_EXPENSIVE_FIELDS_PER_OPERATION); query-cost.spec.ts keeps the two lists equal.
 */
export const EXPENSIVE_FIELDS: ReadonlySet<string> = new Set([
  'verifyAuditChain',
  'assessCompliance',
  'generateReport',
  'exportDataSubject',
  'auditEventStats',
  'createCheckpoint',
  'proofBundle',
  'reportProofBundles',
  'recordAssessment',
  'pruneDryRun',
  'pruneAuditChain',
  '__schema',
]);

/** The root field that records events, charged per event against the ingest budget. */
export const INGEST_FIELD = 'recordAuditEvents';

/** What a request costs against each per-key budget. */
export interface OperationCharge {
  ingestEvents: number;
  expensive: number;
}

/** A refused request: how long to wait, for the Retry-After header. */
export interface RateLimitRefusal {
  retryAfterSeconds: number;
  budget: 'requests' | 'ingest' | 'expensive' | 'unauthenticated';
  message: string;
}

const MESSAGES: Record<RateLimitRefusal['budget'], string> = {
  requests: 'This API key sent more than RATE_LIMIT_REQUESTS_PER_MINUTE requests',
  ingest: 'This API key recorded more than RATE_LIMIT_INGEST_EVENTS_PER_MINUTE events',
  expensive:
    'This API key asked for more than RATE_LIMIT_EXPENSIVE_PER_MINUTE expensive operations (verifyAuditChain, assessCompliance, generateReport, auditEventStats, createCheckpoint)',
  unauthenticated: 'Too many requests without a valid API key came from your address (RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE)',
};

/** The coded error for a refusal: HTTP 429 with a Retry-After header. */
export function rateLimitedError(refusal: RateLimitRefusal): AppError {
  const error = new AppError(ErrorCode.RATE_LIMITED, refusal.message, {
    budget: refusal.budget,
    retryAfterSeconds: refusal.retryAfterSeconds,
  });
  // Apollo turns extensions.http into the response's status and headers, then drops it from the body.
  (error.extensions as Record<string, unknown>).http = {
    status: 429,
    headers: new HeaderMap([['retry-after', String(refusal.retryAfterSeconds)]]),
  };
  return error;
}

/** The number of events a `recordAuditEvents` field asks to record, from the literal or the raw variables. */
function eventCount(
  args: readonly { name: { value: string }; value: ValueNode }[] | undefined,
  variables: Record<string, unknown>,
): number {
  const value = (node: ValueNode | undefined): unknown => {
    if (!node) return undefined;
    if (node.kind === Kind.VARIABLE) return variables[node.name.value];
    if (node.kind === Kind.LIST) return node.values;
    if (node.kind === Kind.OBJECT) return Object.fromEntries(node.fields.map((f) => [f.name.value, f.value]));
    return node;
  };
  const input = value(args?.find((a) => a.name.value === 'input')?.value);
  const events = input && typeof input === 'object' ? (input as Record<string, unknown>).events : undefined;
  const list = events && typeof events === 'object' && 'kind' in events ? value(events as ValueNode) : events;
  // A single value where a list is expected is coerced into a list of one.
  return Array.isArray(list) ? list.length : 1;
}

/** What the operation's root fields (fragments included, aliases counted) cost against the ingest and expensive budgets. */
export function chargeOf(operation: OperationDefinitionNode, document: DocumentNode, variables: Record<string, unknown>): OperationCharge {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const charge: OperationCharge = { ingestEvents: 0, expensive: 0 };
  const walk = (set: OperationDefinitionNode['selectionSet'], seen: Set<string>): void => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        if (sel.name.value === INGEST_FIELD) charge.ingestEvents += eventCount(sel.arguments, variables);
        if (EXPENSIVE_FIELDS.has(sel.name.value)) charge.expensive += 1;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        walk(sel.selectionSet, seen);
      } else {
        const fragment = fragments.get(sel.name.value);
        if (fragment && !seen.has(fragment.name.value)) walk(fragment.selectionSet, new Set([...seen, fragment.name.value]));
      }
    }
  };
  walk(operation.selectionSet, new Set());
  return charge;
}

/** The address a budget is kept for: the peer's IP, an IPv6 address by its /64 (one host's usual allocation). */
export function clientAddress(req: IncomingMessage): string {
  const address = (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (!isIPv6(address)) return address;
  const [head, tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * Per-key and per-address request budgets (rate-limiter-flexible, fixed one-minute windows) over a
 * {@link RateLimitStore}: every node shares them when the store is Redis.
 */
export class RequestRateLimiter {
  private readonly requests: Budget | null;
  private readonly ingest: Budget | null;
  private readonly expensive: Budget | null;
  private readonly unauthenticated: Budget | null;

  constructor(store: RateLimitStore, settings: RateLimitSettings) {
    const make = (name: string, points: number) => (points > 0 ? store.budget(name, points, 60) : null);
    this.requests = make('requests', settings.requestsPerMinute);
    this.ingest = make('ingest', settings.ingestEventsPerMinute);
    this.expensive = make('expensive', settings.expensivePerMinute);
    this.unauthenticated = make('anonymous', settings.unauthenticatedPerMinute);
  }

  private static async take(
    budget: Budget | null,
    name: RateLimitRefusal['budget'],
    key: string,
    points: number,
  ): Promise<RateLimitRefusal | null> {
    if (!budget || points <= 0) return null;
    const wait = await budget.consume(key, points);
    return wait === null ? null : { budget: name, retryAfterSeconds: wait, message: `${MESSAGES[name]}; retry in ${wait} s.` };
  }

  /** One request of `principal`: the request budget, then its ingest events and expensive fields. */
  async admitKey(principal: Principal, charge: OperationCharge): Promise<RateLimitRefusal | null> {
    return (
      (await RequestRateLimiter.take(this.requests, 'requests', principal.keyId, 1)) ??
      // A batch larger than the whole ingest budget is charged the whole budget: it passes once a window, not never.
      (await RequestRateLimiter.take(this.ingest, 'ingest', principal.keyId, Math.min(charge.ingestEvents, this.ingest?.points ?? 0))) ??
      (await RequestRateLimiter.take(this.expensive, 'expensive', principal.keyId, charge.expensive))
    );
  }

  /** One request without a valid key from `address`. */
  admitAnonymous(address: string): Promise<RateLimitRefusal | null> {
    return RequestRateLimiter.take(this.unauthenticated, 'unauthenticated', address, 1);
  }

  /**
   * The HTTP front's check for a request without a valid key (none, or one that matches no key),
   * before its body is read: it is charged to its address. Requests with a valid key are charged
   * by {@link rateLimitPlugin} once their operation is known.
   */
  admitRequest(req: IncomingMessage): Promise<RateLimitRefusal | null> {
    return this.admitAnonymous(clientAddress(req));
  }
}

/** The slice of the request context the plugin reads. */
interface RateLimitContext {
  principal: Principal | null;
}

/**
 * Charges each operation, once resolved, to its key's budgets (requests, ingest events, expensive
 * fields); over a budget → RATE_LIMITED, HTTP 429.
 */
export function rateLimitPlugin(limiter: RequestRateLimiter): ApolloServerPlugin<RateLimitContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation, document, request }) {
          // Requests without a valid key never get here: the HTTP front refuses and charges them.
          if (!contextValue.principal) return;
          const charge = operation ? chargeOf(operation, document, request.variables ?? {}) : { ingestEvents: 0, expensive: 0 };
          const refusal = await limiter.admitKey(contextValue.principal, charge);
          if (refusal) throw rateLimitedError(refusal);
        },
      };
    },
  };
}
