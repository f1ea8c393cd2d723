import type { DataSource } from 'typeorm';
import type { Sql } from '../database/sql';
import { fromSqlDateTime } from '../database/sql-format';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { FIELD_ORDER, fieldsOfMask } from './personal-data.service';
import { RESERVED_ACTION_PREFIX } from '../ingest/event-validation';

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

/** The server's own actions (lower case, as it writes them): never sealed, so never a subject's event. */
const NOT_SERVER = `NOT (action >= '${RESERVED_ACTION_PREFIX}' AND action < '${RESERVED_ACTION_PREFIX.slice(0, -1)}/')`;

/**
 * An erasure's scope from the indexes alone (ADR 0042, amended 2026-12-06): count and period of the
 * events that name `ref` as actor (`ix_audit_event_actor`) or as resource (`ix_audit_event_resource_id`,
 * each event once), the server's own events left out, and the fields from `sealedFields`, the
 * subject row's record of what was sealed under its key (actor fields only while an event names it
 * as actor, resource fields only while one names it as resource: pruning may have removed the rest).
 * No event row is read. Unlike {@link subjectEvents} it does not look at `sealed`: a client event
 * that stores the reference in clear as its actor or resource id is counted (the period only widens).
 * `sealedFields` null (a subject made before the record existed): the events are read instead.
 */
export async function subjectScopeByIndex(
  dataSource: DataSource,
  tenantId: string,
  ref: string,
  sealedFields: number | null,
): Promise<SubjectEvents> {
  if (sealedFields === null) return subjectEvents(dataSource, tenantId, ref);
  const rows: { half: string; n: unknown; own: unknown; first: unknown; last: unknown }[] = await dataSource.query(
    `SELECT 'actor' AS half, COUNT(*) AS n, COUNT(*) AS own, MIN(occurred_at) AS first, MAX(occurred_at) AS last FROM audit_event WHERE tenant_id = ? AND actor_id = ? AND ${NOT_SERVER} UNION ALL ` +
      `SELECT 'resource' AS half, COUNT(*) AS n, SUM(CASE WHEN actor_id <> ? THEN 1 ELSE 0 END) AS own, MIN(occurred_at) AS first, MAX(occurred_at) AS last FROM audit_event WHERE tenant_id = ? AND resource_id = ? AND ${NOT_SERVER}`,
    [tenantId, ref, ref, tenantId, ref],
  );
  const half = (name: string) => rows.find((r) => r.half === name);
  const actor = half('actor');
  const resource = half('resource');
  const asActor = Number(actor?.n ?? 0);
  const asResource = Number(resource?.n ?? 0);
  const eventCount = asActor + Number(resource?.own ?? 0);
  const instants = [actor?.first, actor?.last, resource?.first, resource?.last]
    .filter((v) => v !== null && v !== undefined)
    .map((v) => fromSqlDateTime(v));
  const fields = fieldsOfMask(sealedFields).filter((f) =>
    f.startsWith('actor.') ? asActor > 0 : f.startsWith('resource.') ? asResource > 0 : eventCount > 0,
  );
  return {
    eventCount,
    fields,
    from: instants.length ? instants.reduce((a, b) => (b < a ? b : a)) : null,
    to: instants.length ? instants.reduce((a, b) => (b > a ? b : a)) : null,
  };
}
