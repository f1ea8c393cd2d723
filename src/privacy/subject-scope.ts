import type { DataSource } from 'typeorm';
import type { Sql } from '../database/sql';
import { fromSqlDateTime } from '../database/sql-format';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { FIELD_ORDER } from './personal-data.service';

const MAX_SUBJECT_ID = 256;

/** A subject id as eraseDataSubject and exportDataSubject take it: 1 to 256 characters, no control characters. */
export function checkSubjectId(subjectId: string, path: string): void {
  if (subjectId.length < 1 || subjectId.length > MAX_SUBJECT_ID || /\p{Cc}/u.test(subjectId)) {
    throw new AppError(ErrorCode.INVALID_ARGUMENT, `subjectId must be 1 to ${MAX_SUBJECT_ID} characters without control characters.`, {
      problems: [{ path, message: 'is empty, too long or holds control characters' }],
    });
  }
}

/**
 * The events of a data subject, over alias `e`: those its reference stands in for the actor or the
 * resource of, with fields sealed. What an erasure makes unreadable is what an export gives.
 */
export const subjectCondition = (ref: string): Sql => ({
  text: '(e.actor_id = ? OR e.resource_id = ?) AND e.sealed IS NOT NULL',
  params: [ref, ref],
});

/** How many events a subject has, which of their fields are sealed under its key, and their period (`occurredAt`). */
export interface SubjectEvents {
  eventCount: number;
  fields: string[];
  from: string | null;
  to: string | null;
}

export async function subjectEvents(dataSource: DataSource, tenantId: string, ref: string): Promise<SubjectEvents> {
  // subjectCondition's events as two index searches (ix_audit_event_actor, ix_audit_event_resource_id),
  // each event once: SQLite reads `actor_id = ? OR resource_id = ?` as a scan of the whole tenant.
  const rows: { occurred_at: unknown; sealed: string }[] = await dataSource.query(
    'SELECT occurred_at, sealed FROM audit_event WHERE tenant_id = ? AND actor_id = ? AND sealed IS NOT NULL UNION ALL ' +
      'SELECT occurred_at, sealed FROM audit_event WHERE tenant_id = ? AND resource_id = ? AND actor_id <> ? AND sealed IS NOT NULL',
    [tenantId, ref, tenantId, ref, ref],
  );
  const sealed = new Set<string>();
  let from: string | null = null;
  let to: string | null = null;
  for (const row of rows) {
    // The field names of each part are stored in clear beside its ciphertext.
    const part = (JSON.parse(row.sealed) as Record<string, { fields: string[] }>)[ref];
    for (const field of part?.fields ?? []) sealed.add(field);
    const at = fromSqlDateTime(row.occurred_at);
    if (from === null || at < from) from = at;
    if (to === null || at > to) to = at;
  }
  return { eventCount: rows.length, fields: FIELD_ORDER.filter((f) => sealed.has(f)), from, to };
}
