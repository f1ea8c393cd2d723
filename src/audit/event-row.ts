import { fromSqlDateTime, toNumber } from '../database/sql-format';
import { type ActorType, CLASSIFICATION_ORDER, type OutcomeStatus, SEVERITY_ORDER } from './audit-event.model';
import type { ListedEvent, StoredEvent } from './stored-event';
import type { AUDIT_EVENT_COLUMNS } from './audit-event.columns';

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
const actorOf = (r: Record<string, unknown>): StoredEvent['actor'] => ({
  id: String(r.actor_id),
  type: r.actor_type as ActorType,
  displayName: str(r.actor_display_name),
  ip: str(r.actor_ip),
  userAgent: str(r.actor_user_agent),
});
const resourceOf = (r: Record<string, unknown>): StoredEvent['resource'] => ({
  type: String(r.resource_type),
  id: String(r.resource_id),
  name: str(r.resource_name),
});
const outcomeOf = (r: Record<string, unknown>): StoredEvent['outcome'] => ({
  status: r.outcome_status as OutcomeStatus,
  reason: str(r.outcome_reason),
});
const metadataOf = (r: Record<string, unknown>): StoredEvent['metadata'] =>
  r.metadata === null || r.metadata === undefined ? null : (JSON.parse(String(r.metadata)) as Record<string, unknown>);

/** A stored audit_event row as an event (its labels read apart). Imports nothing of the database layer, so a worker thread can load it. */
export function mapEventRow(r: Record<string, unknown>): StoredEvent {
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    sequence: toNumber(r.sequence),
    occurredAt: fromSqlDateTime(r.occurred_at),
    recordedAt: fromSqlDateTime(r.recorded_at),
    actor: actorOf(r),
    action: String(r.action),
    resource: resourceOf(r),
    outcome: outcomeOf(r),
    severity: SEVERITY_ORDER[toNumber(r.severity)],
    classification: CLASSIFICATION_ORDER[toNumber(r.classification)],
    requestId: str(r.request_id),
    sessionId: str(r.session_id),
    sourceService: str(r.source_service),
    metadata: metadataOf(r),
    sealed: str(r.sealed),
    idempotencyKey: str(r.idempotency_key),
    hash: String(r.hash),
    chainHash: String(r.chain_hash),
  };
}

/** The audit_event columns a {@link ListedEvent} is read from. */
export const LISTED_EVENT_COLUMNS = [
  'id',
  'sequence',
  'occurred_at',
  'actor_id',
  'actor_type',
  'actor_display_name',
  'actor_ip',
  'actor_user_agent',
  'action',
  'resource_type',
  'resource_id',
  'resource_name',
  'outcome_status',
  'outcome_reason',
  'severity',
  'classification',
  'metadata',
  'sealed',
  'hash',
] as const satisfies readonly (typeof AUDIT_EVENT_COLUMNS)[number][];

/**
 * A row of {@link LISTED_EVENT_COLUMNS} as a listed event, mapped as {@link mapEventRow} maps the
 * same columns. `sealed` is set only when the row has one, so opening an unsealed event copies nothing.
 */
export function mapListedRow(r: Record<string, unknown>): ListedEvent {
  const event: ListedEvent = {
    id: String(r.id),
    sequence: toNumber(r.sequence),
    occurredAt: fromSqlDateTime(r.occurred_at),
    actor: actorOf(r),
    action: String(r.action),
    resource: resourceOf(r),
    outcome: outcomeOf(r),
    severity: SEVERITY_ORDER[toNumber(r.severity)],
    classification: CLASSIFICATION_ORDER[toNumber(r.classification)],
    metadata: metadataOf(r),
    hash: String(r.hash),
  };
  if (r.sealed !== null && r.sealed !== undefined) event.sealed = String(r.sealed);
  return event;
}
