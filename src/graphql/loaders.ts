import DataLoader from 'dataloader';
import type { AuditEventRepository, EventLabels, StoredEvent } from '../audit/audit-event.repository';
import type { ApiKeyService, TenantInfo } from '../auth/api-key.service';
import { type Cache, readThrough } from '../cache/cache';

/** Per-request loaders, scoped to the caller's tenant: a key from another tenant finds nothing. */
export interface Loaders {
  event: DataLoader<string, StoredEvent | null>;
  /** Events by sequence (assessment samples name events by their place in the chain). */
  eventBySequence: DataLoader<number, StoredEvent | null>;
  labels: DataLoader<string, EventLabels>;
  tenant: DataLoader<string, TenantInfo | null>;
}

export function createLoaders(tenantId: string, deps: { events: AuditEventRepository; apiKeys: ApiKeyService; cache: Cache }): Loaders {
  const { events, apiKeys, cache } = deps;
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
      return found.map((e) => e ?? null);
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
    tenant: new DataLoader(async (ids) => {
      const rows = await apiKeys.tenants(ids);
      return ids.map((id) => rows.find((t) => t.id === id) ?? null);
    }),
  };
}
