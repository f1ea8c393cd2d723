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
}

/** Narrows the context after @Authorized has run. */
export const principalOf = (ctx: RequestContext): Principal => {
  if (!ctx.principal) throw new Error('principalOf called on an unauthenticated request');
  return ctx.principal;
};
