import type { AuditEventRecord } from './audit-event.model';

/**
 * A stored event without its labels (those load through a DataLoader). As read from the table its
 * personal fields may be sealed (refs, pseudonyms and `sealed`); once opened, `sealed` is gone and
 * `erasedFields` names the fields whose data subject was erased (ADR 0042).
 */
export type StoredEvent = Omit<AuditEventRecord, 'categories' | 'tags'> & {
  erasedFields?: string[];
  /** Once opened, the fields as stored and hashed (version 2), for `hashedView`. */
  stored?: SealedForm;
};

/** The fields of an event with sealed personal data as they are stored and hashed (ADR 0042). */
export type SealedForm = Pick<AuditEventRecord, 'actor' | 'resource' | 'metadata'> & { sealed: string };

/**
 * An event as a listing of many reads it (a report's event table): the stored event without what
 * no listed cell shows — its tenant, recording time, request, session and source ids, idempotency
 * key and chain hash — which are then neither selected nor mapped (ADR 0029, amended 2026-12-08).
 */
export type ListedEvent = Omit<
  StoredEvent,
  'tenantId' | 'recordedAt' | 'requestId' | 'sessionId' | 'sourceService' | 'idempotencyKey' | 'chainHash'
>;
