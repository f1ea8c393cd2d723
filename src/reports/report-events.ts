import { Classification, Severity } from '../audit/audit-event.model';
import { REPORT_DOWNLOADED_ACTION, REPORT_GENERATED_ACTION } from '../audit/read-record';
import type { IngestService } from '../ingest/ingest.service';
import type { StoredReport } from './report.repository';

/** The actions of the events that record report activity (the auditors are audited). */
export const GENERATED_ACTION = REPORT_GENERATED_ACTION;
export const DOWNLOADED_ACTION = REPORT_DOWNLOADED_ACTION;
/** The resource type of those events; the resource id is the report's. */
export const REPORT_RESOURCE = 'report';

/** Who asks: the tenant, the API key and the request. */
export interface ReportRequester {
  tenantId: string;
  keyId: string;
  requestId: string;
}

/**
 * Records a report's generation or download in the tenant's chain, with the size and SHA-256 of
 * its file: what a download is later checked against.
 */
export async function recordReportEvent(
  ingest: IngestService,
  by: ReportRequester,
  action: typeof GENERATED_ACTION | typeof DOWNLOADED_ACTION,
  r: StoredReport,
  now: Date,
): Promise<void> {
  await ingest.recordServerEvent(by.tenantId, {
    occurredAt: now.toISOString(),
    keyId: by.keyId,
    requestId: by.requestId,
    action,
    resource: { type: REPORT_RESOURCE, id: r.id, name: r.fileName },
    severity: Severity.NOTICE,
    classification: Classification.CONFIDENTIAL,
    metadata: {
      type: r.type,
      format: r.format,
      sha256: r.sha256,
      sizeBytes: r.sizeBytes,
      headSequence: r.headSequence,
      frameworkId: r.frameworkId,
      // The scope of the read (ADR 0044): the period the report covers.
      from: r.from,
      to: r.to,
      templateId: r.templateId,
      templateVersion: r.templateVersion,
    },
  });
}
