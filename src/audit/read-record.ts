import { Role } from '../access/role';

/** The action of the chain events that record reads of the log: who read what, how much (ADR 0044). */
export const READ_ACTION = 'datapunk.log.read';
/** A report built from the log, and one downloaded: recorded per request by the reports module. */
export const REPORT_GENERATED_ACTION = 'datapunk.report.generated';
export const REPORT_DOWNLOADED_ACTION = 'datapunk.report.downloaded';

/** The read records of a tenant: who looked at its log. ADMIN and AUDITOR keys see them; VIEWER keys never do. */
export const READ_RECORD_ACTIONS: readonly string[] = [READ_ACTION, REPORT_GENERATED_ACTION, REPORT_DOWNLOADED_ACTION];

/** Whether a key of this role may see the tenant's read records. */
export const seesReadRecords = (role: Role): boolean => role === Role.ADMIN || role === Role.AUDITOR;

/**
 * The GraphQL fields that return events of the log or check them, each recording its reads with
 * `noteRead` (ADR 0044). A new one joins this list and calls `noteRead` like the others:
 * `test/read-operations.spec.ts` fails for a field that returns events and is not listed, and
 * `test/e2e/read-audit.e2e-spec.ts` for a listed one that records nothing.
 */
export const READ_OPERATIONS: readonly string[] = [
  'Query.auditEvent',
  'Query.auditEvents',
  'Query.auditEventStats',
  'Query.verifyAuditChain',
  'Query.inclusionProof',
  'Query.consistencyProof',
  'Query.proofBundle',
  /** A report's proof bundle file: scope names the report, count its bundles. */
  'Query.reportProofBundles',
  'Control.evidence',
  'ControlAssessment.sampleEvents',
  'RuleAssessment.sampleEvents',
  'ControlAttestation.event',
  /** A subject access export (a SUBJECT_ACCESS report): scope names the subject by its read pseudonym, count its events. */
  'Mutation.exportDataSubject',
];
