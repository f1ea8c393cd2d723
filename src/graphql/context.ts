import type { Principal } from '../access/role';
import type { Logger } from '../observability/logger';

/**
 * What every resolver receives: only what belongs to this one request. Services reach resolvers
 * through their constructors (the composition root's container, src/schema.ts); each module
 * declares the loaders it reads (`RequestContext<EventLoaders>`) and the root builds them all.
 */
export interface RequestContext<Loaders extends object = object> {
  /** The server's own id of this request (never the client's); server-written events record it. */
  requestId: string;
  /** The client's `x-request-id`, validated; server-written events keep it as metadata `clientRequestId`. */
  clientRequestId: string | null;
  principal: Principal | null;
  /** Per-request loaders, scoped to the caller's tenant. */
  loaders: Loaders;
  logger: Logger;
  /** Operations refused in this request; the DenialLog records them as one audit event after it. */
  deniedOperations: Set<string>;
  /** Reads of the log this request served; the ReadLog records them in the chain after it (ADR 0044). */
  reads: ReadNote[];
}

/** One read of the log a resolver served: what was read, under which scope, and how many events it returned. */
export interface ReadNote {
  /** The GraphQL field, e.g. `Query.auditEvents`, `Control.evidence`. */
  operation: string;
  /** The arguments that chose the events (filter, ids, range, page); JSON values only. */
  scope: Record<string, unknown>;
  /** Events returned (or, for counts and verification, events counted or checked). */
  count: number;
}

/** Notes a read of the log on the request (a resolver calls it once it has its answer). */
export const noteRead = (ctx: RequestContext, operation: string, scope: Record<string, unknown>, count: number): void => {
  ctx.reads.push({ operation, scope, count });
};

/** Narrows the context after @Authorized has run. */
export const principalOf = (ctx: RequestContext): Principal => {
  if (!ctx.principal) throw new Error('principalOf called on an unauthenticated request');
  return ctx.principal;
};
