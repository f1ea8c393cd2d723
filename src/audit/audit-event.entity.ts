import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One recorded audit event. Rows are written by the chain append path with a raw multi-row INSERT
 * (see ADR 0003) and never updated; this entity defines the table for migrations and reads.
 * Severity and classification are stored as their rank so that "at or above" is one comparison.
 */
@Entity({ name: 'audit_event' })
@Index('uq_audit_event_tenant_sequence', ['tenantId', 'sequence'], { unique: true })
// An idempotency key belongs to the API key that wrote it: another key's retry is a new event, never an answer about it.
@Index('uq_audit_event_tenant_idempotency_scope', ['tenantId', 'idempotencyScope', 'idempotencyKey'], { unique: true })
@Index('ix_audit_event_occurred', ['tenantId', 'occurredAt'])
// The actor's time and action too, and the resource id index the actor: an erasure's scope and its
// legal-hold pass read a subject's events from these two indexes alone, no row (ADR 0042, amended 2026-12-06).
@Index('ix_audit_event_actor', ['tenantId', 'actorId', 'occurredAt', 'action'])
@Index('ix_audit_event_actor_type', ['tenantId', 'actorType'])
// Action filters use its prefix; NOT_FOLLOWED_BY rules read each action's triggers and follow-ups
// grouped by resource (the correlation of every built-in one) in time order from it alone (ADR 0014),
// outcome and recording time included, so neither the window nor a probe reads the row (ADR 0045).
@Index('ix_audit_event_action_resource', [
  'tenantId',
  'action',
  'resourceType',
  'resourceId',
  'occurredAt',
  'sequence',
  'outcomeStatus',
  'recordedAt',
])
// A FOLLOWED_BY or NOT_FOLLOWED_BY rule with few triggers probes each trigger's resource forward in
// time from here when its follow-up names no action (ADR 0045, amended 2026-12-04).
@Index('ix_audit_event_resource_time', ['tenantId', 'resourceType', 'resourceId', 'occurredAt', 'sequence'])
// An erasure, a subject's legal-hold pass and a resourceId filter without a type find a subject's
// events by its reference alone, of whatever resource type (ADR 0042).
@Index('ix_audit_event_resource_id', ['tenantId', 'resourceId', 'actorId', 'occurredAt', 'action'])
// Outcome filters use its prefix; BURST rules (failures or denials per actor or address over time)
// read only this index instead of one row per matching event (ADR 0010).
// The recording time too: a BURST's response is timely or not from the index alone (ADR 0045).
@Index('ix_audit_event_outcome_actor', [
  'tenantId',
  'outcomeStatus',
  'action',
  'actorType',
  'actorId',
  'actorIp',
  'occurredAt',
  'sequence',
  'recordedAt',
])
@Index('ix_audit_event_severity', ['tenantId', 'severity'])
@Index('ix_audit_event_classification', ['tenantId', 'classification'])
export class AuditEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  @Column({ type: 'bigint' })
  sequence!: string;

  @Column({ name: 'occurred_at', type: 'datetime', precision: 3 })
  occurredAt!: Date;

  @Column({ name: 'recorded_at', type: 'datetime', precision: 3 })
  recordedAt!: Date;

  @Column({ name: 'actor_id', type: 'varchar', length: 256 })
  actorId!: string;

  @Column({ name: 'actor_type', type: 'varchar', length: 16 })
  actorType!: string;

  @Column({ name: 'actor_display_name', type: 'varchar', length: 1024, nullable: true })
  actorDisplayName!: string | null;

  @Column({ name: 'actor_ip', type: 'varchar', length: 64, nullable: true })
  actorIp!: string | null;

  @Column({ name: 'actor_user_agent', type: 'varchar', length: 1024, nullable: true })
  actorUserAgent!: string | null;

  @Column({ type: 'varchar', length: 128 })
  action!: string;

  @Column({ name: 'resource_type', type: 'varchar', length: 128 })
  resourceType!: string;

  @Column({ name: 'resource_id', type: 'varchar', length: 256 })
  resourceId!: string;

  @Column({ name: 'resource_name', type: 'varchar', length: 1024, nullable: true })
  resourceName!: string | null;

  @Column({ name: 'outcome_status', type: 'varchar', length: 16 })
  outcomeStatus!: string;

  @Column({ name: 'outcome_reason', type: 'varchar', length: 1024, nullable: true })
  outcomeReason!: string | null;

  @Column({ type: 'smallint' })
  severity!: number;

  @Column({ type: 'smallint' })
  classification!: number;

  @Column({ name: 'request_id', type: 'varchar', length: 256, nullable: true })
  requestId!: string | null;

  @Column({ name: 'session_id', type: 'varchar', length: 256, nullable: true })
  sessionId!: string | null;

  @Column({ name: 'source_service', type: 'varchar', length: 256, nullable: true })
  sourceService!: string | null;

  /** Canonical JSON text of the metadata object. */
  @Column({ type: 'text', nullable: true })
  metadata!: string | null;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 128, nullable: true })
  idempotencyKey!: string | null;

  /**
   * Id of the API key that wrote the event under `idempotencyKey` (ADR 0016); '' when there is no
   * key, for the server's own events, and for keyed events written before keys were scoped whose
   * writer cannot be known (no API key replays those). Not part of the hash.
   */
  @Column({ name: 'idempotency_scope', type: 'varchar', length: 36, default: '' })
  idempotencyScope!: string;

  /**
   * Personal fields sealed under data-subject keys (ADR 0042): canonical JSON of `{ref: base64 of
   * iv ‖ tag ‖ AES-256-GCM ciphertext}`; null for an event without personal fields. Hashed (v2).
   */
  @Column({ type: 'text', nullable: true })
  sealed!: string | null;

  /** SHA-256 of the canonical client payload, to tell an idempotent retry from a conflicting one. */
  @Column({ name: 'payload_hash', type: 'varchar', length: 64 })
  payloadHash!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;

  @Column({ name: 'chain_hash', type: 'varchar', length: 64 })
  chainHash!: string;
}

/** Categories and tags of an event, one row each, so that filters on them use an index. */
@Entity({ name: 'audit_event_label' })
@Index('ix_audit_event_label_lookup', ['tenantId', 'kind', 'value', 'sequence'])
export class AuditEventLabelEntity {
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 36 })
  eventId!: string;

  /** `category` or `tag`. */
  @PrimaryColumn({ type: 'varchar', length: 16 })
  kind!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  value!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  @Column({ type: 'bigint' })
  sequence!: string;
}

/**
 * Daily counts of events per combination of the columns compliance rules test, written in the same
 * transaction as the events (ADR 0010). Assessments sum these rows instead of scanning events, so
 * their cost follows the days and the variety of events, not their number.
 */
@Entity({ name: 'audit_event_rollup' })
export class AuditEventRollupEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  /** `YYYY-MM-DD` of occurredAt, UTC. */
  @PrimaryColumn({ type: 'varchar', length: 10 })
  day!: string;

  @PrimaryColumn({ type: 'varchar', length: 128 })
  action!: string;

  @PrimaryColumn({ name: 'outcome_status', type: 'varchar', length: 16 })
  outcomeStatus!: string;

  @PrimaryColumn({ type: 'smallint' })
  severity!: number;

  @PrimaryColumn({ type: 'smallint' })
  classification!: number;

  @PrimaryColumn({ name: 'resource_type', type: 'varchar', length: 128 })
  resourceType!: string;

  @PrimaryColumn({ name: 'actor_type', type: 'varchar', length: 16 })
  actorType!: string;

  /** SHA-256 (hex) of `categories`; empty when the events carry none. */
  @PrimaryColumn({ name: 'categories_key', type: 'varchar', length: 64 })
  categoriesKey!: string;

  /** The events' categories, sorted, comma-separated (at most 32 of 64 characters). */
  @Column({ type: 'varchar', length: 2100 })
  categories!: string;

  @Column({ name: 'event_count', type: 'bigint' })
  eventCount!: string;

  @Column({ name: 'min_sequence', type: 'bigint' })
  minSequence!: string;

  @Column({ name: 'max_sequence', type: 'bigint' })
  maxSequence!: string;
}

/**
 * Per tenant, the chain head when `datapunk.` actions became reserved for the server. Events at or
 * below it were recorded when any client could still use those actions, so the server does not
 * trust them as its own (an attestation there is ignored).
 */
@Entity({ name: 'server_action_floor' })
export class ServerActionFloorEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  @Column({ type: 'bigint' })
  sequence!: string;
}

/**
 * The metadata facets the events carry as labels of kind `facet` (ADR 0056): one row per facet any
 * process of this database has labelled events with. `ready` = 1 once every event recorded before
 * the process that registered it has its labels (the backfill at start); an assessment answers a
 * predicate from the labels only then, and from the metadata itself before. A process that starts
 * without a facet sets it back to 0, since its events will not carry it.
 */
@Entity({ name: 'metadata_facet' })
export class MetadataFacetEntity {
  /** The label value (`md:` and 48 hex digits of the SHA-256 of the definition). */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  facet!: string;

  /** JSON of the facet's definition: `{path, in}` or `{path, exists: true}`. */
  @Column({ type: 'text' })
  definition!: string;

  @Column({ type: 'smallint', default: 0 })
  ready!: number;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

/** The tables this module owns, for the data source the composition root builds. */
export const AUDIT_EVENT_ENTITIES = [
  AuditEventEntity,
  AuditEventLabelEntity,
  AuditEventRollupEntity,
  ServerActionFloorEntity,
  MetadataFacetEntity,
];
