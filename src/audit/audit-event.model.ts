import { CLASSIFICATION_LEVELS, SEVERITIES } from '../plugin-api';

/** Domain vocabulary of an audit event, shared by storage, hashing and GraphQL. */

export enum ActorType {
  USER = 'USER',
  SERVICE = 'SERVICE',
  API_KEY = 'API_KEY',
  SYSTEM = 'SYSTEM',
}

export enum OutcomeStatus {
  SUCCESS = 'SUCCESS',
  FAILURE = 'FAILURE',
  DENIED = 'DENIED',
  ERROR = 'ERROR',
}

/** Ordered, syslog-style; stored as the index in this list so "at or above" is one comparison. */
export enum Severity {
  DEBUG = 'DEBUG',
  INFO = 'INFO',
  NOTICE = 'NOTICE',
  WARNING = 'WARNING',
  ERROR = 'ERROR',
  CRITICAL = 'CRITICAL',
  ALERT = 'ALERT',
  EMERGENCY = 'EMERGENCY',
}

/** Ordered PUBLIC < INTERNAL < CONFIDENTIAL < RESTRICTED; stored as the index. */
export enum Classification {
  PUBLIC = 'PUBLIC',
  INTERNAL = 'INTERNAL',
  CONFIDENTIAL = 'CONFIDENTIAL',
  RESTRICTED = 'RESTRICTED',
}

/**
 * The stored ranks, taken from the plugin API's lists (plugin rules compare `minSeverity` and
 * classification ranks in SQL against these columns): one order for both. Indexing the enums by
 * the API's names fails to compile if either side gains a level the other lacks;
 * audit-event.model.spec.ts checks the enums hold no extra one, in the same order.
 */
export const SEVERITY_ORDER: readonly Severity[] = SEVERITIES.map((s) => Severity[s]);
export const CLASSIFICATION_ORDER: readonly Classification[] = CLASSIFICATION_LEVELS.map((c) => Classification[c]);
export const severityRank = (s: Severity): number => SEVERITY_ORDER.indexOf(s);
export const classificationRank = (c: Classification): number => CLASSIFICATION_ORDER.indexOf(c);

/** An event as validated and normalised at ingest, before the server assigns identity. */
export interface EventPayload {
  occurredAt: string; // ISO-8601 UTC with milliseconds
  actor: { id: string; type: ActorType; displayName: string | null; ip: string | null; userAgent: string | null };
  action: string;
  resource: { type: string; id: string; name: string | null };
  outcome: { status: OutcomeStatus; reason: string | null };
  severity: Severity;
  classification: Classification;
  categories: string[];
  tags: string[];
  requestId: string | null;
  sessionId: string | null;
  sourceService: string | null;
  metadata: Record<string, unknown> | null;
  /**
   * Personal fields sealed under data-subject keys (ADR 0042), as stored: canonical JSON of
   * `{ref: ciphertext}`; the other fields then hold refs and pseudonyms. Absent or null: none.
   */
  sealed?: string | null;
}

/** A recorded event: the payload plus what the server assigned. Immutable. */
export interface AuditEventRecord extends EventPayload {
  id: string;
  tenantId: string;
  sequence: number;
  recordedAt: string;
  idempotencyKey: string | null;
  hash: string;
  chainHash: string;
}

/**
 * What `hash` covers: every field but the hashes themselves and the idempotency key. Version 1
 * without sealed fields (every chain written before ADR 0042 has only these), version 2 with the
 * stored `sealed` text.
 */
export function hashedView(e: Omit<AuditEventRecord, 'hash' | 'chainHash' | 'idempotencyKey'>): Record<string, unknown> {
  const sealed = e.sealed ?? null;
  return {
    v: sealed === null ? 1 : 2,
    ...(sealed === null ? {} : { sealed }),
    id: e.id,
    tenantId: e.tenantId,
    sequence: e.sequence,
    occurredAt: e.occurredAt,
    recordedAt: e.recordedAt,
    actor: e.actor,
    action: e.action,
    resource: e.resource,
    outcome: e.outcome,
    severity: e.severity,
    classification: e.classification,
    categories: e.categories,
    tags: e.tags,
    requestId: e.requestId,
    sessionId: e.sessionId,
    sourceService: e.sourceService,
    metadata: e.metadata,
  };
}
