import type { AuditEventRepository } from './audit/audit-event.repository';
import type { ApiKeyService } from './auth/api-key.service';
import type { ChainVerifier } from './chain/chain-verifier';
import type { MerkleProofs } from './chain/merkle-store';
import type { CheckpointService } from './chain/checkpoint.service';
import type { ProofBundles } from './chain/proof-bundle.service';
import type { ComplianceCatalog } from './compliance/catalog';
import type { ComplianceService } from './compliance/compliance.service';
import type { AssessmentHistoryService } from './compliance/assessment-history.service';
import type { AssessmentScheduler } from './compliance/assessment-scheduler';
import type { FindingsService } from './compliance/findings.service';
import type { PageLimits } from './graphql/paging';
import type { IngestService } from './ingest/ingest.service';
import type { PluginRegistry } from './plugin-host/plugin-registry';
import type { ReadLog } from './read-audit/read-log';
import type { ReportService } from './reports/report.service';
import type { TemplateService } from './reports/template.service';
import type { RetentionScheduler } from './retention/retention-scheduler';
import type { RetentionService } from './retention/retention.service';
import type { ErasureService } from './privacy/erasure.service';
import type { SubjectAccessService } from './privacy/subject-access.service';

/** Long-lived services, built once at start-up by the composition root (app.ts). */
export interface Services {
  ingest: IngestService;
  events: AuditEventRepository;
  verifier: ChainVerifier;
  /** Inclusion and consistency proofs from the tenants' RFC 9162 trees (ADR 0047). */
  proofs: MerkleProofs;
  checkpoints: CheckpointService;
  /** Offline proof bundles of events (C2SP tlog-proof, ADR 0049). */
  bundles: ProofBundles;
  apiKeys: ApiKeyService;
  limits: PageLimits;
  plugins: PluginRegistry;
  catalog: ComplianceCatalog;
  compliance: ComplianceService;
  findings: FindingsService;
  history: AssessmentHistoryService;
  /** ASSESSMENT_SCHEDULE's recorder; tests call its tick with their own clock. */
  scheduler: AssessmentScheduler;
  /** Retention rules, holds and pruning (ADR 0043). */
  retention: RetentionService;
  /** RETENTION_SCHEDULE's pruner; tests call its tick with their own clock. */
  retentionScheduler: RetentionScheduler;
  reports: { service: ReportService; inlineMaxBytes: number; templates: TemplateService };
  /** Reads of the log on their way into the chain; tests flush it instead of waiting for READ_AUDIT_FLUSH_SECONDS. */
  reads: ReadLog;
  /** eraseDataSubject (ADR 0042). */
  erasure: ErasureService;
  /** Finds the data subject of a subject access export (exportDataSubject). */
  subjectAccess: SubjectAccessService;
}
