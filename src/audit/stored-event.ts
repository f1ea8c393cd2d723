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
