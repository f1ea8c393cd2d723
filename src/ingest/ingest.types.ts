import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { GraphQLJSONObject, GraphQLSafeInt } from 'graphql-scalars';
import { DateTimeScalar } from '../graphql/scalars';
import { ActorType, Classification, OutcomeStatus, Severity } from '../audit/audit-event.model';

// ---------------------------------------------------------------- inputs

@InputType({ description: 'Who acted.' })
export class ActorInput {
  @Field({ description: 'Stable id of the actor in the client system, e.g. a user id.' })
  id!: string;
  @Field(() => ActorType)
  type!: ActorType;
  @Field(() => String, { nullable: true, description: 'Human-readable name.' })
  displayName?: string | null;
  @Field(() => String, { nullable: true, description: 'IPv4 or IPv6 address the action came from.' })
  ip?: string | null;
  @Field(() => String, { nullable: true })
  userAgent?: string | null;
}

@InputType({ description: 'What was acted upon.' })
export class ResourceInput {
  @Field({ description: 'Kind of resource, e.g. `session`, `patient_record`.' })
  type!: string;
  @Field()
  id!: string;
  @Field(() => String, { nullable: true })
  name?: string | null;
}

@InputType({ description: 'How the action ended.' })
export class OutcomeInput {
  @Field(() => OutcomeStatus)
  status!: OutcomeStatus;
  @Field(() => String, { nullable: true, description: 'Why, for FAILURE, DENIED and ERROR.' })
  reason?: string | null;
}

@InputType({ description: 'One audit event to record. Strings may hold any characters; they are stored exactly.' })
export class AuditEventInput {
  @Field(() => DateTimeScalar, { description: 'When it happened, by the client clock; stored in UTC.' })
  occurredAt!: string;
  @Field(() => ActorInput)
  actor!: ActorInput;
  @Field({ description: 'Dotted action name, e.g. `auth.login`, `patient_record.read`.' })
  action!: string;
  @Field(() => ResourceInput)
  resource!: ResourceInput;
  @Field(() => OutcomeInput)
  outcome!: OutcomeInput;
  @Field(() => Severity, { nullable: true, description: 'Defaults to INFO.' })
  severity?: Severity | null;
  @Field(() => Classification, { nullable: true, description: 'Defaults to INTERNAL.' })
  classification?: Classification | null;
  @Field(() => [String], { nullable: true, description: 'Data categories touched, UPPER_SNAKE_CASE, e.g. PII, PHI, PCI, CREDENTIALS.' })
  categories?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'Free-form labels for filtering.' })
  tags?: string[] | null;
  @Field(() => String, { nullable: true })
  requestId?: string | null;
  @Field(() => String, { nullable: true })
  sessionId?: string | null;
  @Field(() => String, { nullable: true, description: 'Name of the service that reported the event.' })
  sourceService?: string | null;
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Free-form JSON object, size-limited (MAX_METADATA_BYTES).' })
  metadata?: Record<string, unknown> | null;
  @Field(() => String, {
    nullable: true,
    description:
      'Retry key, scoped to your API key: the same key with the same event returns the original receipt; with another event it is an IDEMPOTENCY_CONFLICT. Another API key using the same text records a new event of its own.',
  })
  idempotencyKey?: string | null;
}

@InputType({ description: 'A batch of events, recorded atomically: all or none.' })
export class RecordAuditEventsInput {
  @Field(() => [AuditEventInput], { description: 'One to MAX_EVENTS_PER_BATCH (default 1,000) events.' })
  events!: AuditEventInput[];
}

// ---------------------------------------------------------------- outputs

@ObjectType({ description: 'Proof that an event was committed.' })
export class AuditEventReceipt {
  @Field(() => ID)
  id!: string;
  @Field(() => GraphQLSafeInt)
  sequence!: number;
  @Field()
  hash!: string;
  @Field()
  chainHash!: string;
  @Field(() => DateTimeScalar)
  recordedAt!: string;
  @Field(() => String, { nullable: true })
  idempotencyKey!: string | null;
  @Field({ description: 'True when this receipt is the original answer to an earlier request with the same idempotency key.' })
  replayed!: boolean;
}

@ObjectType({ description: 'Answer of recordAuditEvents: one receipt per input event, in input order.' })
export class RecordAuditEventsPayload {
  @Field(() => [AuditEventReceipt])
  receipts!: AuditEventReceipt[];
  @Field(() => Int, { description: 'How many new events this request wrote (replays excluded).' })
  recordedCount!: number;
}
