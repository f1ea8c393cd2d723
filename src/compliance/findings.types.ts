import { Field, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { DateTimeScalar } from '../graphql/scalars';
import { FindingState } from './findings';

registerEnumType(FindingState, {
  name: 'FindingState',
  description:
    'Where a finding stands: OPEN, then INVESTIGATED_NOT_A_DEVIATION or INVESTIGATED_CONFIRMED, REMEDIATION_PLANNED, REMEDIATED; RISK_ACCEPTED until its expiry (ADR 0036).',
});

@InputType({
  description:
    'Which finding: a violation rule of a control and what names the deviation — the event that triggered it, or for an AT_LEAST rule the period short of events (exactly one of eventSequence and period).',
})
export class FindingRefInput {
  @Field({ description: 'Framework id, e.g. soc2.' })
  frameworkId!: string;
  @Field({ description: 'Reference id of the control, e.g. CC6.1.' })
  controlId!: string;
  @Field({ description: 'Id of one of the control’s violation rules.' })
  ruleId!: string;
  @Field(() => GraphQLSafeInt, {
    nullable: true,
    description: 'Sequence of the event that triggered the deviation (a sample of the rule); every rule kind but AT_LEAST.',
  })
  eventSequence?: number | null;
  @Field(() => String, {
    nullable: true,
    description: 'AT_LEAST: the label of the period short of events, as RuleAssessment.shortPeriods gives it (2026-11, 2026-W48, 2026-Q4).',
  })
  period?: string | null;
}

@InputType({
  description:
    'Moves a finding to another state, with a note; REMEDIATION_PLANNED needs owner and dueDate, RISK_ACCEPTED approver and expiresAt.',
})
export class TransitionFindingInput extends FindingRefInput {
  @Field(() => FindingState, { description: 'The state to move to; the transition table decides which are allowed.' })
  to!: FindingState;
  @Field({ description: 'Why the finding moves (1 to 2000 characters).' })
  note!: string;
  @Field(() => String, { nullable: true, description: 'REMEDIATION_PLANNED: who owns the remediation.' })
  owner?: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'REMEDIATION_PLANNED: when the remediation is due.' })
  dueDate?: string | null;
  @Field(() => String, { nullable: true, description: 'RISK_ACCEPTED: who accepted the risk.' })
  approver?: string | null;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'RISK_ACCEPTED: when the acceptance lapses (within 366 days); the finding then returns to its earlier state.',
  })
  expiresAt?: string | null;
}

@ObjectType({ description: 'One recorded transition of a finding, a datapunk.finding.transitioned event in your chain.' })
export class FindingTransitionInfo {
  @Field(() => FindingState, { description: 'The state before.' })
  from!: FindingState;
  @Field(() => FindingState, { description: 'The state after.' })
  to!: FindingState;
  @Field({ description: 'Why, as written.' })
  note!: string;
  @Field(() => String, { nullable: true, description: 'Owner of the planned remediation.' })
  owner!: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Due date of the planned remediation.' })
  dueDate!: string | null;
  @Field(() => String, { nullable: true, description: 'Who accepted the risk.' })
  approver!: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When the risk acceptance lapses.' })
  expiresAt!: string | null;
  @Field(() => DateTimeScalar, { description: 'When the transition was recorded.' })
  transitionedAt!: string;
  @Field({ description: 'Id of the API key that made it.' })
  transitionedBy!: string;
  @Field(() => GraphQLSafeInt, { description: 'Sequence of its event in your chain.' })
  sequence!: number;
}

@ObjectType({ description: 'A deviation with a lifecycle (POA&M), as of an instant.' })
export class Finding {
  @Field({ description: 'Stable id: the same deviation has the same id in every assessment.' })
  id!: string;
  @Field({ description: 'Framework id.' })
  frameworkId!: string;
  @Field({ description: 'Control reference id.' })
  controlId!: string;
  @Field({ description: 'Violation rule id.' })
  ruleId!: string;
  @Field({ description: 'What the violation rule finds, in words.' })
  ruleDescription!: string;
  @Field(() => GraphQLSafeInt, { nullable: true, description: 'Sequence of the event behind the deviation; null for an AT_LEAST finding.' })
  eventSequence!: number | null;
  @Field(() => String, { nullable: true, description: 'AT_LEAST: the label of the period short of events; null otherwise.' })
  period!: string | null;
  @Field(() => FindingState, { description: 'The state at asOf, from the transitions recorded by then.' })
  state!: FindingState;
  @Field({ description: 'The state in words, as reports show it.' })
  stateLabel!: string;
  @Field(() => DateTimeScalar, { description: 'The instant the state is given for.' })
  asOf!: string;
  @Field(() => [FindingTransitionInfo], { description: 'Transitions recorded by asOf, oldest first.' })
  history!: FindingTransitionInfo[];
}
