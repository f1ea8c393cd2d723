import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSONObject, GraphQLSafeInt } from 'graphql-scalars';
import type { SealedForm } from './stored-event';
import { DateTimeScalar } from '../graphql/scalars';
import { ActorType, Classification, OutcomeStatus, Severity } from './audit-event.model';

registerEnumType(ActorType, { name: 'ActorType', description: 'What kind of principal acted.' });
registerEnumType(OutcomeStatus, { name: 'OutcomeStatus', description: 'How the action ended.' });
registerEnumType(Severity, {
  name: 'Severity',
  description: 'Ordered syslog-style levels, DEBUG lowest, EMERGENCY highest; filters take "at or above".',
});
registerEnumType(Classification, {
  name: 'Classification',
  description: 'Data classification of what the event touched, ordered PUBLIC < INTERNAL < CONFIDENTIAL < RESTRICTED.',
});

export enum AuditEventGroupBy {
  ACTION = 'ACTION',
  SEVERITY = 'SEVERITY',
  OUTCOME = 'OUTCOME',
  ACTOR = 'ACTOR',
  ACTOR_TYPE = 'ACTOR_TYPE',
  RESOURCE_TYPE = 'RESOURCE_TYPE',
  CLASSIFICATION = 'CLASSIFICATION',
  DAY = 'DAY',
}
registerEnumType(AuditEventGroupBy, { name: 'AuditEventGroupBy', description: 'Dimension to count events by.' });

export enum SortOrder {
  ASC = 'ASC',
  DESC = 'DESC',
}
registerEnumType(SortOrder, { name: 'SortOrder', description: 'Order by sequence: ASC oldest first, DESC newest first.' });

// ---------------------------------------------------------------- inputs

@InputType({ description: 'A control of a loaded framework, by framework id and reference id.' })
export class ControlRefInput {
  @Field({ description: 'e.g. soc2' })
  frameworkId!: string;
  @Field({ description: 'e.g. CC6.1' })
  controlId!: string;
}

@InputType({ description: 'Every filter is optional; given filters are combined with AND.' })
export class AuditEventFilter {
  @Field(() => DateTimeScalar, { nullable: true, description: 'occurredAt at or after this instant.' })
  occurredFrom?: string;
  @Field(() => DateTimeScalar, { nullable: true, description: 'occurredAt strictly before this instant.' })
  occurredTo?: string;
  @Field(() => GraphQLSafeInt, { nullable: true, description: 'sequence at or above.' })
  sequenceFrom?: number;
  @Field(() => GraphQLSafeInt, { nullable: true, description: 'sequence at or below.' })
  sequenceTo?: number;
  @Field({ nullable: true, description: 'Events of this actor id.' })
  actorId?: string;
  @Field(() => ActorType, { nullable: true, description: 'Events of this kind of actor.' })
  actorType?: ActorType;
  @Field({ nullable: true, description: 'Exact action.' })
  action?: string;
  @Field({ nullable: true, description: 'Action starting with this text, e.g. `auth.` for every auth action.' })
  actionPrefix?: string;
  @Field({ nullable: true, description: 'Events on this kind of resource.' })
  resourceType?: string;
  @Field({ nullable: true, description: 'Events on this resource id.' })
  resourceId?: string;
  @Field(() => OutcomeStatus, { nullable: true, description: 'Events with this outcome.' })
  outcomeStatus?: OutcomeStatus;
  @Field(() => Severity, { nullable: true, description: 'Severity at or above.' })
  minSeverity?: Severity;
  @Field(() => Classification, { nullable: true, description: 'Exactly this classification.' })
  classification?: Classification;
  @Field(() => Classification, { nullable: true, description: 'Classification at or above.' })
  minClassification?: Classification;
  @Field({ nullable: true, description: 'Events carrying this data category.' })
  category?: string;
  @Field({ nullable: true, description: 'Events carrying this tag.' })
  tag?: string;
  @Field(() => ControlRefInput, {
    nullable: true,
    description:
      "Events that match any of this control's evidence rules (as Control.evidence lists them). NOT_FOUND for an unknown framework or control.",
  })
  control?: ControlRefInput;
}

// ---------------------------------------------------------------- outputs

@ObjectType({ description: 'Who acted. `ip` and `userAgent` are null for VIEWER keys (redacted).' })
export class Actor {
  @Field({ description: 'Stable id of the actor in the client system.' })
  id!: string;
  @Field(() => ActorType, { description: 'What kind of actor.' })
  type!: ActorType;
  @Field(() => String, { nullable: true, description: 'Human-readable name, as recorded.' })
  displayName!: string | null;
  @Field(() => String, { nullable: true, description: 'Address the action came from. Null for VIEWER keys.' })
  ip!: string | null;
  @Field(() => String, { nullable: true, description: 'User-Agent the action came from. Null for VIEWER keys.' })
  userAgent!: string | null;
}

@ObjectType({ description: 'What was acted upon.' })
export class Resource {
  @Field({ description: 'Kind of resource, e.g. `session`, `patient_record`.' })
  type!: string;
  @Field({ description: 'Id of the resource in the client system.' })
  id!: string;
  @Field(() => String, { nullable: true, description: 'Human-readable name, as recorded.' })
  name!: string | null;
}

@ObjectType({ description: 'How the action ended.' })
export class Outcome {
  @Field(() => OutcomeStatus, { description: 'Whether the action succeeded, failed, was denied or errored.' })
  status!: OutcomeStatus;
  @Field(() => String, { nullable: true, description: 'Why, as recorded, for FAILURE, DENIED and ERROR.' })
  reason!: string | null;
}

/** Why VIEWER keys get no chain material (ADR 0016). */
export const HASH_DESCRIPTION =
  'SHA-256 (hex) of the canonical JSON of the event. Always null for VIEWER keys, on every event: with the hashes of neighbouring events a guess of a redacted field could be checked offline.';
export const CHAIN_HASH_DESCRIPTION = 'SHA-256(previous chainHash ‖ hash), hex. Null when hash is (always for VIEWER keys).';

@ObjectType({ description: 'A recorded, immutable audit event.' })
export class AuditEvent {
  @Field(() => ID, { description: 'Server-assigned, time-sortable UUIDv7.' })
  id!: string;
  tenantId!: string;
  @Field(() => GraphQLSafeInt, { description: 'Position in the tenant chain: 1, 2, 3… without gaps.' })
  sequence!: number;
  @Field(() => DateTimeScalar, { description: 'When it happened, by the client clock, in UTC.' })
  occurredAt!: string;
  @Field(() => DateTimeScalar, { description: 'When the server committed it.' })
  recordedAt!: string;
  @Field(() => Actor, { description: 'Who acted.' })
  actor!: Actor;
  @Field({ description: 'Dotted action name, e.g. `auth.login`.' })
  action!: string;
  @Field(() => Resource, { description: 'What was acted upon.' })
  resource!: Resource;
  @Field(() => Outcome, { description: 'How the action ended.' })
  outcome!: Outcome;
  @Field(() => Severity, { description: 'Severity as recorded (INFO when the client gave none).' })
  severity!: Severity;
  @Field(() => Classification, { description: 'Data classification as recorded (INTERNAL when the client gave none).' })
  classification!: Classification;
  @Field(() => String, { nullable: true, description: 'Client request id, as recorded.' })
  requestId!: string | null;
  @Field(() => String, { nullable: true, description: 'Client session id, as recorded.' })
  sessionId!: string | null;
  @Field(() => String, { nullable: true, description: 'Name of the service that reported the event.' })
  sourceService!: string | null;
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Null for VIEWER keys when the event is CONFIDENTIAL or RESTRICTED.' })
  metadata!: Record<string, unknown> | null;
  @Field(() => String, { nullable: true, description: 'The retry key the event was recorded with, if any.' })
  idempotencyKey!: string | null;
  @Field(() => String, { nullable: true, description: HASH_DESCRIPTION })
  hash!: string | null;
  @Field(() => String, { nullable: true, description: CHAIN_HASH_DESCRIPTION })
  chainHash!: string | null;
  @Field(() => [String], { description: 'Names of fields withheld from this caller (role-based redaction).' })
  redactedFields!: string[];
  @Field(() => [String], {
    description:
      'Names of personal fields whose data subject was erased (ADR 0042): they read `[erased]` (metadata: the erased keys are gone). Empty otherwise.',
  })
  erasedFields!: string[];
  /** The stored form of sealed fields (not a field: `hashedView` reads it). */
  stored?: SealedForm;
}

@ObjectType({ description: 'One event of a page, with its cursor.' })
export class AuditEventEdge {
  @Field({ description: 'Opaque cursor to pass as `after`.' })
  cursor!: string;
  @Field(() => AuditEvent, { description: 'The event.' })
  node!: AuditEvent;
}

@ObjectType({ description: 'Relay page info. Pagination is forward-only: hasPreviousPage is always false.' })
export class PageInfo {
  @Field({ description: 'True when another page follows: pass endCursor as `after`.' })
  hasNextPage!: boolean;
  @Field({ description: 'Always false: pagination is forward-only.' })
  hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true, description: 'Cursor of the first edge of this page; null for an empty page.' })
  startCursor!: string | null;
  @Field(() => String, { nullable: true, description: 'Cursor of the last edge of this page; null for an empty page.' })
  endCursor!: string | null;
}

@ObjectType({ description: 'A page of audit events.' })
export class AuditEventConnection {
  @Field(() => [AuditEventEdge], { description: 'The events of this page, in the order asked for.' })
  edges!: AuditEventEdge[];
  @Field(() => PageInfo, { description: 'Where this page is and whether another follows.' })
  pageInfo!: PageInfo;
  /** Counts only when asked for. */
  count!: () => Promise<number>;
}

@ObjectType({ description: 'One group of auditEventStats.' })
export class AuditEventStat {
  @Field({ description: 'The group value: an action, a severity name, a day (YYYY-MM-DD)…' })
  key!: string;
  @Field(() => GraphQLSafeInt, { description: 'Events in this group.' })
  count!: number;
}

@ObjectType({ description: 'Counts of events matching a filter, by one dimension.' })
export class AuditEventStats {
  @Field(() => AuditEventGroupBy, { description: 'The dimension the groups are by.' })
  groupBy!: AuditEventGroupBy;
  @Field(() => GraphQLSafeInt, { description: 'All events matching the filter.' })
  total!: number;
  @Field(() => [AuditEventStat], { description: 'Largest groups first (DAY: oldest day first).' })
  groups!: AuditEventStat[];
}
