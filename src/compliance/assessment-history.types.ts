import { Field, Float, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { PageInfo } from '../audit/audit-event.types';
import { DateTimeScalar } from '../graphql/scalars';
import { ComplianceLevel, ControlStatus } from './assessment';
import { AssessmentTrigger, HistoryGranularity } from './assessment-history';
import { StatusCounts } from './compliance.types';
import { FrameworkParameterValue } from './framework-profile.types';
import { FrameworkScopeDimension } from './framework-profile-scope.types';

registerEnumType(AssessmentTrigger, {
  name: 'AssessmentTrigger',
  description: 'Who stored an assessment run.',
  valuesConfig: {
    ON_DEMAND: { description: 'recordAssessment, by an API key.' },
    SCHEDULED: { description: 'The ASSESSMENT_SCHEDULE scheduler, for a closed day or week.' },
  },
});
registerEnumType(HistoryGranularity, {
  name: 'HistoryGranularity',
  description: 'The buckets a history is read in (UTC).',
  valuesConfig: { DAY: { description: 'UTC days.' }, WEEK: { description: 'ISO weeks, Monday to Monday, UTC.' } },
});

@InputType({ description: 'A framework and the closed range to assess and store.' })
export class RecordAssessmentInput {
  @Field({ description: 'Framework id, e.g. soc2.' })
  frameworkId!: string;
  @Field(() => DateTimeScalar, { description: 'Start of the range (inclusive), by occurredAt.' })
  from!: string;
  @Field(() => DateTimeScalar, { description: 'End of the range (exclusive). A run always has one.' })
  to!: string;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'The instant the period is judged at, as in assessCompliance. Omitted: the end of the range if it has passed, else now.',
  })
  asOf?: string | null;
}

@ObjectType({ description: "One control's status in a stored run." })
export class AssessmentRunControl {
  @Field({ description: 'Reference id of the control, e.g. CC6.1.' })
  controlId!: string;
  @Field(() => ControlStatus, { description: 'Its status in the run.' })
  status!: ControlStatus;
}

@ObjectType('AssessmentRun', {
  description:
    'A stored assessment run: what was assessed against which chain head, with which parameters and scope, and its result. Its digest is recorded in your chain as a datapunk.assessment.recorded event, and checked on every read.',
})
export class AssessmentRunInfo {
  @Field({ description: 'Run id (UUIDv7).' })
  id!: string;
  @Field({ description: 'The assessed framework.' })
  frameworkId!: string;
  @Field({ description: "The standard's edition the catalog follows." })
  frameworkVersion!: string;
  @Field({ description: 'Version of the plugin whose catalog was applied.' })
  pluginVersion!: string;
  @Field(() => DateTimeScalar, { description: 'Start of the range (inclusive).' })
  from!: string;
  @Field(() => DateTimeScalar, { description: 'End of the range (exclusive).' })
  to!: string;
  @Field(() => DateTimeScalar, { description: 'The instant the period was judged at.' })
  asOf!: string;
  @Field(() => DateTimeScalar, { description: 'Only events recorded by this instant counted.' })
  recordedBy!: string;
  @Field(() => GraphQLSafeInt, { description: 'The chain head the run describes.' })
  headSequence!: number;
  @Field(() => String, { nullable: true, description: 'chainHash at headSequence.' })
  headChainHash!: string | null;
  @Field(() => AssessmentTrigger, { description: 'On demand or scheduled.' })
  trigger!: AssessmentTrigger;
  @Field(() => String, { nullable: true, description: 'SCHEDULED: the window (DAY:2026-12-02, WEEK:2026-W49); null on demand.' })
  scheduleWindow!: string | null;
  @Field(() => DateTimeScalar, { description: 'When the run was stored.' })
  createdAt!: string;
  @Field({ description: 'SHA-256 (hex) of the RFC 8785 canonical JSON of the run, as recorded in the chain.' })
  digest!: string;
  @Field({
    description:
      'True when the run was judged at or after the end of its range (asOf >= to): its verdict no longer changes with time. False: judged mid-period, deadlines still running.',
  })
  settled!: boolean;
  @Field(() => Float, { nullable: true, description: 'The score, as assessCompliance gives it.' })
  score!: number | null;
  @Field(() => ComplianceLevel, { description: 'The score in words.' })
  level!: ComplianceLevel;
  @Field(() => Float, { nullable: true, description: 'Assessable controls over applicable ones.' })
  coverage!: number | null;
  @Field(() => StatusCounts, { description: 'How many scored controls had each status.' })
  counts!: StatusCounts;
  @Field(() => [FrameworkParameterValue], { description: 'The organisation-defined parameters the run used.' })
  parameters!: FrameworkParameterValue[];
  @Field(() => [FrameworkScopeDimension], { description: 'The scope the run was judged under.' })
  scope!: FrameworkScopeDimension[];
  @Field(() => [AssessmentRunControl], { description: 'Every control of the run, in catalog order.' })
  controls!: AssessmentRunControl[];
}

@ObjectType({ description: "A control's status in one day or week: the status in the last stored run of the bucket." })
export class ControlStatusPoint {
  @Field({ description: 'The bucket: 2026-12-02 or 2026-W49.' })
  label!: string;
  @Field(() => DateTimeScalar, { description: 'Start of the bucket (inclusive).' })
  start!: string;
  @Field(() => DateTimeScalar, { description: 'End of the bucket (exclusive).' })
  end!: string;
  @Field(() => ControlStatus, {
    nullable: true,
    description: "The control's status in the last run whose range ends in the bucket; null without a run (or without the control).",
  })
  status!: ControlStatus | null;
  @Field(() => Boolean, { nullable: true, description: "That run's settled flag (judged at or after its range end); null without a run." })
  settled!: boolean | null;
  @Field(() => String, { nullable: true, description: 'That run; null without one.' })
  runId!: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: "That run's asOf; null without one." })
  asOf!: string | null;
}

@ObjectType('NonComplianceTime', { description: 'How long a control was NON_COMPLIANT over a range, by UTC day, from the stored runs.' })
export class NonComplianceTimeInfo {
  @Field(() => Int, { description: 'UTC days that overlap the range.' })
  days!: number;
  @Field(() => Int, { description: 'Days with a stored run (whose range ends in the day).' })
  assessedDays!: number;
  @Field(() => Int, { description: 'Days whose last run shows the control NON_COMPLIANT. Days without a run are not counted either way.' })
  nonCompliantDays!: number;
  @Field(() => GraphQLSafeInt, { description: 'nonCompliantDays in seconds, each day clipped to the range.' })
  nonCompliantSeconds!: number;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Start of the first non-compliant day; null if none.' })
  firstNonCompliantAt!: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'End of the last non-compliant day; null if none.' })
  lastNonCompliantAt!: string | null;
}

@ObjectType({ description: "A control's status changing between two consecutive stored runs." })
export class AssessmentChange {
  @Field({ description: 'Reference id of the control.' })
  controlId!: string;
  @Field(() => ControlStatus, { nullable: true, description: 'Its status in the previous run; null if it was not in that run.' })
  from!: ControlStatus | null;
  @Field(() => ControlStatus, { nullable: true, description: 'Its status in this run; null if it is no longer in the catalog.' })
  to!: ControlStatus | null;
  @Field(() => DateTimeScalar, { description: 'The asOf of the run that shows the new status.' })
  at!: string;
  @Field({ description: 'The previous run.' })
  previousRunId!: string;
  @Field({ description: 'The run that shows the new status.' })
  runId!: string;
}

@ObjectType({ description: 'A status change and its cursor.' })
export class AssessmentChangeEdge {
  @Field({ description: 'Pass as `after` to continue after this change.' })
  cursor!: string;
  @Field(() => AssessmentChange, { description: 'The change.' })
  node!: AssessmentChange;
}

@ObjectType({ description: 'A page of status changes, oldest first.' })
export class AssessmentChangeConnection {
  @Field(() => [AssessmentChangeEdge], { description: 'The changes of this page.' })
  edges!: AssessmentChangeEdge[];
  @Field(() => PageInfo, { description: 'Where this page is and whether another follows.' })
  pageInfo!: PageInfo;
  @Field(() => Int, { description: 'Every change since the date.' })
  totalCount!: number;
}
