import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { GraphQLJSONObject, GraphQLSafeInt } from 'graphql-scalars';
import { DateTimeScalar } from '../graphql/scalars';
import { ActorType, Classification, OutcomeStatus, Severity } from '../audit/audit-event.model';

// ---------------------------------------------------------------- inputs

@InputType({ description: 'Who acted.' })
export class ActorInput {
  @Field({ description: 'Stable id of the actor in the client system, e.g. a user id.' })
  id!: string;
  @Field(() => ActorType, { description: 'What kind of actor: a person, a service, a system job or an API key.' })
  type!: ActorType;
  @Field(() => String, { nullable: true, description: 'Human-readable name.' })
  displayName?: string | null;
  @Field(() => String, { nullable: true, description: 'IPv4 or IPv6 address the action came from.' })
  ip?: string | null;
  @Field(() => String, { nullable: true, description: 'User-Agent of the client the action came from.' })
  userAgent?: string | null;
}

@InputType({ description: 'What was acted upon.' })
export class ResourceInput {
  @Field({ description: 'Kind of resource, e.g. `session`, `patient_record`.' })
  type!: string;
  @Field({ description: 'Id of the resource in the client system.' })
  id!: string;
  @Field(() => String, { nullable: true, description: 'Human-readable name of the resource.' })
  name?: string | null;
}

@InputType({ description: 'How the action ended.' })
export class OutcomeInput {
  @Field(() => OutcomeStatus, { description: 'Whether the action succeeded, failed, was denied or errored.' })
  status!: OutcomeStatus;
  @Field(() => String, { nullable: true, description: 'Why, for FAILURE, DENIED and ERROR.' })
  reason?: string | null;
}

@InputType({ description: 'One audit event to record. Strings may hold any characters; they are stored exactly.' })
export class AuditEventInput {
  @Field(() => DateTimeScalar, { description: 'When it happened, by the client clock; stored in UTC.' })
  occurredAt!: string;
  @Field(() => ActorInput, { description: 'Who acted.' })
  actor!: ActorInput;
  @Field({ description: 'Dotted action name, e.g. `auth.login`, `patient_record.read`.' })
  action!: string;
  @Field(() => ResourceInput, { description: 'What was acted upon.' })
  resource!: ResourceInput;
  @Field(() => OutcomeInput, { description: 'How the action ended.' })
  outcome!: OutcomeInput;
  @Field(() => Severity, { nullable: true, description: 'Defaults to INFO.' })
  severity?: Severity | null;
  @Field(() => Classification, { nullable: true, description: 'Defaults to INTERNAL.' })
  classification?: Classification | null;
  @Field(() => [String], { nullable: true, description: 'Data categories touched, UPPER_SNAKE_CASE, e.g. PII, PHI, PCI, CREDENTIALS.' })
  categories?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'Free-form labels for filtering.' })
  tags?: string[] | null;
  @Field(() => String, { nullable: true, description: 'Id of the client request, to correlate events of one request.' })
  requestId?: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'Id of the client session; rules that follow a session (e.g. sign-in then sign-out) correlate on it.',
  })
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
  @Field(() => ID, { description: 'Id of the recorded event.' })
  id!: string;
  @Field(() => GraphQLSafeInt, { description: 'Its position in the tenant chain.' })
  sequence!: number;
  @Field({ description: 'SHA-256 (hex) of the canonical JSON of the event.' })
  hash!: string;
  @Field({ description: 'SHA-256(previous chainHash ‖ hash), hex: what ties the event to every event before it.' })
  chainHash!: string;
  @Field(() => DateTimeScalar, { description: 'When the server committed it.' })
  recordedAt!: string;
  @Field(() => String, { nullable: true, description: 'The retry key given with the event, if any.' })
  idempotencyKey!: string | null;
  @Field({ description: 'True when this receipt is the original answer to an earlier request with the same idempotency key.' })
  replayed!: boolean;
}

@ObjectType({ description: 'Answer of recordAuditEvents: one receipt per input event, in input order.' })
export class RecordAuditEventsPayload {
  @Field(() => [AuditEventReceipt], { description: 'One receipt per input event, in input order.' })
  receipts!: AuditEventReceipt[];
  @Field(() => Int, { description: 'How many new events this request wrote (replays excluded).' })
  recordedCount!: number;
}
