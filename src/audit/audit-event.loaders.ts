import DataLoader from 'dataloader';
import { type Cache, readThrough } from '../cache/cache';
import type { AuditEventRepository, EventLabels, StoredEvent } from './audit-event.repository';

/** Per-request event loaders, scoped to the caller's tenant: an id from another tenant finds nothing. */
export interface EventLoaders {
  event: DataLoader<string, StoredEvent | null>;
  /** Events by sequence (assessment samples name events by their place in the chain). */
  eventBySequence: DataLoader<number, StoredEvent | null>;
  labels: DataLoader<string, EventLabels>;
}

export function createEventLoaders(tenantId: string, deps: { events: AuditEventRepository; cache: Cache }): EventLoaders {
  const { events, cache } = deps;
  return {
    event: new DataLoader(async (ids) => {
      const found = await readThrough(
        cache,
        ids,
        (id) => `event:${tenantId}:${id}`,
        async (missing) => {
          const rows = await events.findByIds(tenantId, missing);
          return new Map(rows.map((e) => [e.id, e]));
        },
      );
      // The cache holds events as stored (sealed): opened here, per request, so it never holds plaintext.
      const opened = await events.open(
        tenantId,
        found.filter((e): e is StoredEvent => !!e),
      );
      const byId = new Map(opened.map((e) => [e.id, e]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    eventBySequence: new DataLoader(async (sequences) => {
      const rows = await events.findBySequences(tenantId, sequences);
      const bySequence = new Map(rows.map((e) => [e.sequence, e]));
      return sequences.map((s) => bySequence.get(s) ?? null);
    }),
    labels: new DataLoader(async (ids) => {
      const found = await readThrough(
        cache,
        ids,
        (id) => `labels:${tenantId}:${id}`,
        (missing) => events.labelsFor(tenantId, missing),
      );
      return found.map((l) => l ?? { categories: [], tags: [] });
    }),
  };
}
