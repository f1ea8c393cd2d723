import DataLoader from 'dataloader';
import type { TenantInfo } from './api-key.repository';
import type { ApiKeyService } from './api-key.service';

/** Per-request tenant loader. */
export interface TenantLoaders {
  tenant: DataLoader<string, TenantInfo | null>;
}

export function createTenantLoaders(apiKeys: ApiKeyService): TenantLoaders {
  return {
    tenant: new DataLoader(async (ids) => {
      const rows = await apiKeys.tenants(ids);
      return ids.map((id) => rows.find((t) => t.id === id) ?? null);
    }),
  };
}
