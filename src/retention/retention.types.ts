import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { CheckpointInfo } from '../chain/chain.types';
import { DateTimeScalar } from '../graphql/scalars';
import { RetentionSelector } from './retention-policy';

registerEnumType(RetentionSelector, {
  name: 'RetentionSelector',
  description: 'Which events a retention rule applies to (ADR 0043).',
  valuesConfig: {
    CLASSIFICATION: { description: 'Events of exactly this classification (value: PUBLIC, INTERNAL, CONFIDENTIAL or RESTRICTED).' },
    CATEGORY: { description: 'Events carrying this category label.' },
    ACTION_PREFIX: { description: 'Events whose action starts with value.' },
    FRAMEWORK: { description: "A loaded framework's retention duty (value: its id): applies to every event of your tenant." },
  },
});

@ObjectType('RetentionRule', {
  description:
    'A retention rule of your tenant: a minimum (never delete before) and/or a maximum (delete after), in days after recordedAt.',
})
export class RetentionRuleInfo {
  @Field(() => ID, { description: 'Id of the rule.' })
  id!: string;
  @Field(() => RetentionSelector, { description: 'What the rule selects.' })
  selector!: RetentionSelector;
  @Field({ description: 'The classification, category, action prefix or framework id selected.' })
  value!: string;
  @Field(() => Int, { nullable: true, description: 'Events it applies to are never deleted before this many days after recordedAt.' })
  minDays!: number | null;
  @Field(() => Int, {
    nullable: true,
    description: 'Events it applies to may be deleted this many days after recordedAt, once every other rule that applies allows it too.',
  })
  maxDays!: number | null;
  @Field(() => String, { nullable: true, description: 'Why, as given when it was added.' })
  note!: string | null;
  @Field(() => DateTimeScalar, { description: 'When it was added.' })
  createdAt!: string;
  @Field(() => String, { nullable: true, description: 'The API key that added it.' })
  createdBy!: string | null;
}

@InputType({ description: 'A retention rule to add. At least one of minDays and maxDays, 1 to 36,500 days; maxDays not below minDays.' })
export class RetentionRuleInput {
  @Field(() => RetentionSelector, { description: 'What the rule selects.' })
  selector!: RetentionSelector;
  @Field({ description: 'The classification, category, action prefix or framework id (1 to 128 characters).' })
  value!: string;
  @Field(() => Int, { nullable: true, description: 'Never delete before this many days after recordedAt.' })
  minDays?: number | null;
  @Field(() => Int, {
    nullable: true,
    description: 'May delete this many days after recordedAt (when every other applying rule allows it).',
  })
  maxDays?: number | null;
  @Field(() => String, { nullable: true, description: 'Why (at most 500 characters), e.g. the legal basis.' })
  note?: string | null;
}

@ObjectType('LegalHold', {
  description: 'A legal hold: no event it matches is pruned while it is active. Every field given must match.',
})
export class LegalHoldInfo {
  @Field(() => ID, { description: 'Id of the hold.' })
  id!: string;
  @Field(() => String, {
    nullable: true,
    description:
      "A hold by subject: the subject id (an event's actor id or resource id), opened with the subject's key — it is stored only as subjectRef; [erased] once that key is gone.",
  })
  subject!: string | null;
  @Field(() => String, {
    nullable: true,
    description:
      "What the hold stores for its subject: the data subject's reference (s_…, the value sealed events store in place of the id), or h_… (a keyed pseudonym) for a released hold whose subject was gone when it was converted from a clear value.",
  })
  subjectRef!: string | null;
  @Field(() => String, { nullable: true, description: 'Events whose action starts with this.' })
  actionPrefix!: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Events that occurred at or after this.' })
  occurredFrom!: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Events that occurred before this.' })
  occurredTo!: string | null;
  @Field({ description: 'Why, e.g. the matter or case.' })
  reason!: string;
  @Field(() => DateTimeScalar, { description: 'When it was placed.' })
  createdAt!: string;
  @Field(() => String, { nullable: true, description: 'The API key that placed it.' })
  createdBy!: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When it was released; null while active.' })
  releasedAt!: string | null;
  @Field(() => String, { nullable: true, description: 'The API key that released it.' })
  releasedBy!: string | null;
}

@InputType({ description: 'A legal hold to place: a subject, an action prefix and/or a period of occurredAt (at least one).' })
export class LegalHoldInput {
  @Field(() => String, { nullable: true, description: "An event's actor id or resource id (1 to 256 characters)." })
  subject?: string | null;
  @Field(() => String, { nullable: true, description: '1 to 128 characters.' })
  actionPrefix?: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Events that occurred at or after this.' })
  occurredFrom?: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Exclusive; after occurredFrom.' })
  occurredTo?: string | null;
  @Field({ description: 'Why, e.g. the matter or case (1 to 500 characters).' })
  reason!: string;
}

@ObjectType('RetentionSuggestion', { description: "A built-in framework's suggested minimum retention, and its basis." })
export class RetentionSuggestionInfo {
  @Field({ description: 'The built-in framework.' })
  frameworkId!: string;
  @Field(() => Int, { nullable: true, description: 'Suggested minDays; null: the framework sets no minimum.' })
  minDays!: number | null;
  @Field({ description: 'The clause or practice the suggestion rests on.' })
  basis!: string;
}

@ObjectType('PruneResult', { description: 'What a prune deletes (or, as a dry run, would delete): a prefix of your chain.' })
export class PruneResultInfo {
  @Field({ description: 'True: nothing was deleted.' })
  dryRun!: boolean;
  @Field(() => DateTimeScalar, { description: 'The instant ages were judged at.' })
  asOf!: string;
  @Field(() => GraphQLSafeInt, { description: 'The chain was already pruned through this sequence (0: never).' })
  alreadyPrunedThrough!: number;
  @Field(() => GraphQLSafeInt, { nullable: true, description: 'First sequence that goes; null when nothing may.' })
  fromSequence!: number | null;
  @Field(() => GraphQLSafeInt, { nullable: true, description: 'Last sequence that goes.' })
  throughSequence!: number | null;
  @Field(() => GraphQLSafeInt, { description: 'Events in the prefix.' })
  eventCount!: number;
  @Field(() => DateTimeScalar, { nullable: true, description: 'The newest occurredAt among them.' })
  occurredBefore!: string | null;
  @Field(() => GraphQLSafeInt, { nullable: true, description: 'The first event that must be kept: it stops the prefix.' })
  keptSequence!: number | null;
  @Field(() => String, { nullable: true, description: 'Why it is kept (a hold, a rule not yet past, no maximum).' })
  keptReason!: string | null;
  @Field(() => GraphQLSafeInt, { description: 'Events this call deleted.' })
  deleted!: number;
  @Field(() => CheckpointInfo, { nullable: true, description: 'The signed anchor at throughSequence.' })
  anchor!: CheckpointInfo | null;
  @Field(() => GraphQLSafeInt, { nullable: true, description: 'Sequence of the datapunk.retention.pruned event.' })
  eventSequence!: number | null;
  @Field({
    description:
      'True: a deletion batch found an event that must now be kept (a legal hold placed, or a rule changed, while the prune ran), so the prune ended before it, at throughSequence, with a new signed anchor there; keptSequence and keptReason name that event and why.',
  })
  stopped!: boolean;
  @Field(() => GraphQLSafeInt, {
    nullable: true,
    description: 'Where the plan meant to prune through; differs from throughSequence when stopped.',
  })
  plannedThroughSequence!: number | null;
}
