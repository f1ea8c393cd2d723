import type { AuditEventRepository } from '../audit/audit-event.repository';
import type { ChainVerifier } from '../chain/chain-verifier';
import type { CheckpointService } from '../chain/checkpoint.service';
import type { IngestService } from '../ingest/ingest.service';
import type { ApiKeyService } from '../auth/api-key.service';
import type { Principal } from '../auth/role';
import type { Logger } from '../observability/logger';
import type { Loaders } from './loaders';
import type { PluginRegistry } from '../plugin-host/plugin-registry';
import type { ComplianceCatalog } from '../compliance/catalog';
import type { ComplianceService } from '../compliance/compliance.service';
import type { ReportService } from '../reports/report.service';
import type { TemplateService } from '../reports/template.service';

/** Long-lived services, built once at start-up. */
export interface Services {
  ingest: IngestService;
  events: AuditEventRepository;
  verifier: ChainVerifier;
  checkpoints: CheckpointService;
  apiKeys: ApiKeyService;
  limits: { maxPageSize: number; defaultPageSize: number };
  plugins: PluginRegistry;
  catalog: ComplianceCatalog;
  compliance: ComplianceService;
  reports: { service: ReportService; inlineMaxBytes: number; templates: TemplateService };
}

/** What every resolver receives: who is asking, per-request loaders, the services. */
export interface RequestContext {
  /** The server's own id of this request (never the client's); server-written events record it. */
  requestId: string;
  /** The client's `x-request-id`, validated; server-written events keep it as metadata `clientRequestId`. */
  clientRequestId: string | null;
  principal: Principal | null;
  loaders: Loaders;
  services: Services;
  logger: Logger;
  /** Operations refused in this request; the DenialLog records them as one audit event after it. */
  deniedOperations: Set<string>;
}

/** Narrows the context after @Authorized has run. */
export const principalOf = (ctx: RequestContext): Principal => {
  if (!ctx.principal) throw new Error('principalOf called on an unauthenticated request');
  return ctx.principal;
};
