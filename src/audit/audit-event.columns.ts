/**
 * The audit_event columns in the order the chain's INSERT gives them: columns known before the chain
 * lock, then the four the lock decides (kept last on purpose). Reads select from the same list.
 */
export const AUDIT_EVENT_COLUMNS = [
  'id',
  'tenant_id',
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
  'request_id',
  'session_id',
  'source_service',
  'metadata',
  'idempotency_key',
  'payload_hash',
  'idempotency_scope',
  'sealed',
  'sequence',
  'recorded_at',
  'hash',
  'chain_hash',
] as const;
