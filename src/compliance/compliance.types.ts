import { Field, Float, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSONObject, GraphQLSafeInt } from 'graphql-scalars';
import { Classification } from '../audit/audit-event.model';
import { DateTimeScalar } from '../graphql/scalars';
import type { Control as CatalogControl } from '../plugin-api';
import { ComplianceLevel, ControlStatus } from './assessment';
import type { Assessment } from './compliance.service';
import { FrameworkParameterValue } from './framework-profile.types';
import { FrameworkScopeDimension } from './framework-profile-scope.types';

registerEnumType(ControlStatus, {
  name: 'ControlStatus',
  description: 'How a control stands after an assessment.',
  valuesConfig: {
    COMPLIANT: {
      description:
        "The control's duty is shown over the whole period (a recurrence held in every period checked, or a population tested with no exception) and no violation rule found anything; or an auditor attested it.",
    },
    PARTIALLY_COMPLIANT: {
      description: 'A duty was tested but not shown in full: a recurrence met in only some periods, or a population with exceptions.',
    },
    NON_COMPLIANT: {
      description:
        'A violation rule found something, or a recurring duty had no event in any period checked. Only a NOT_APPLICABLE attestation overrides it.',
    },
    OBSERVED: {
      description:
        'Events show the activity, but no duty of the control is shown over the period. Weaker than COMPLIANT: it counts as not shown in the score.',
    },
    NOT_ASSESSED: { description: 'No event in the range shows the control either way, and no attestation is in force.' },
    NOT_APPLICABLE: {
      description:
        'An auditor attested that the control (or its parent) does not apply, or your scope (setFrameworkScope) leaves it out: the reason names the selection.',
    },
    ADDRESSED_BY_ALTERNATIVE: {
      description:
        'Attested for an addressable specification only (HIPAA 164.306(d)(3)(ii)(B)): why the specification is not reasonable and appropriate is documented and an equivalent alternative measure is implemented. It applies (unlike NOT_APPLICABLE) and counts as COMPLIANT in the score; a finding in the events overrides it.',
    },
  },
});
registerEnumType(ComplianceLevel, {
  name: 'ComplianceLevel',
  description: 'A framework score in one word.',
  valuesConfig: {
    HIGH: { description: 'Score of at least 0.9 (at least 90 % of the applicable framework shown compliant).' },
    MODERATE: { description: 'Score of at least 0.7.' },
    LOW: { description: 'Score of at least 0.4.' },
    CRITICAL: { description: 'Score below 0.4.' },
    NOT_ASSESSED: { description: 'No control could be assessed or observed, so there is no score.' },
  },
});

export enum RuleKind {
  MATCH = 'MATCH',
  AT_LEAST = 'AT_LEAST',
  NOT_FOLLOWED_BY = 'NOT_FOLLOWED_BY',
  FOLLOWED_BY = 'FOLLOWED_BY',
  NOT_PRECEDED_BY = 'NOT_PRECEDED_BY',
  BURST = 'BURST',
  MAX_GAP = 'MAX_GAP',
  RATIO = 'RATIO',
  RECENT = 'RECENT',
}
registerEnumType(RuleKind, {
  name: 'RuleKind',
  description: 'The kinds of the rule language (docs/plugins.md).',
  valuesConfig: {
    MATCH: { description: 'Every matching event counts.' },
    AT_LEAST: { description: 'At least `count` matching events in every period.' },
    NOT_FOLLOWED_BY: { description: 'A trigger event not followed by a follow-up of the same correlation in time.' },
    FOLLOWED_BY: {
      description:
        'A trigger event followed by a follow-up of the same correlation within a window, a deviation (activity after an account was disabled). Violation rules only.',
    },
    NOT_PRECEDED_BY: {
      description:
        'A trigger event with no event of the same correlation within a window before it (a deployment without a prior approval). A population test: every trigger in range is judged.',
    },
    BURST: { description: 'At least `count` matching events of the same correlation within a window.' },
    MAX_GAP: {
      description:
        'No stretch of the range longer than `maxGap` without a matching event (logs reviewed at least every 24 hours). A recurrence duty: every stretch between occurrences is judged.',
    },
    RATIO: {
      description:
        'At least a share `atLeast` of the `population` events also match `qualifying` (95 % of successful logins used MFA). A population duty: the share of the whole population is judged.',
    },
    RECENT: {
      description:
        'At least `count` matching events within `within` before the end of the period, looking back before the range start if need be (a risk assessment within the last twelve months). A recurrence duty judged once.',
    },
  },
});

export enum RuleRole {
  EVIDENCE = 'EVIDENCE',
  VIOLATION = 'VIOLATION',
}
registerEnumType(RuleRole, { name: 'RuleRole', description: 'Whether a rule shows a control operating or finds problems with it.' });

export enum RuleVerdict {
  MET = 'MET',
  PARTIAL = 'PARTIAL',
  NONE = 'NONE',
  FINDING = 'FINDING',
  CLEAR = 'CLEAR',
}
registerEnumType(RuleVerdict, {
  name: 'RuleVerdict',
  description: 'One rule over the assessed range.',
  valuesConfig: {
    MET: { description: 'Evidence rule: shown.' },
    PARTIAL: { description: 'Evidence rule: shown in some periods only.' },
    NONE: { description: 'Evidence rule: no evidence.' },
    FINDING: { description: 'Violation rule: found something.' },
    CLEAR: { description: 'Violation rule: found nothing.' },
  },
});

export enum MappingRelationship {
  EQUIVALENT = 'EQUIVALENT',
  SUBSET = 'SUBSET',
  SUPERSET = 'SUPERSET',
  INTERSECTS = 'INTERSECTS',
}
registerEnumType(MappingRelationship, {
  name: 'MappingRelationship',
  description: 'How this control relates to the other one.',
  valuesConfig: {
    EQUIVALENT: { description: 'Both require the same.' },
    SUBSET: { description: 'This control requires part of the other.' },
    SUPERSET: { description: 'This control requires all of the other and more.' },
    INTERSECTS: { description: 'They overlap in part.' },
  },
});

export enum MappingDirection {
  DECLARED = 'DECLARED',
  INVERSE = 'INVERSE',
}
registerEnumType(MappingDirection, {
  name: 'MappingDirection',
  description: 'Which side declared a mapping.',
  valuesConfig: {
    DECLARED: { description: "This control's framework declared it." },
    INVERSE: { description: "The other control's framework declared it; the relationship is shown from this side." },
  },
});

@ObjectType({ description: 'A compliance framework provided by a plugin.' })
export class Framework {
  @Field({ description: 'Kebab-case id, e.g. soc2, hipaa, gdpr.' })
  id!: string;
  @Field({ description: 'Display name, e.g. SOC 2.' })
  name!: string;
  @Field({ description: "The standard's own edition, e.g. 2017 Trust Services Criteria (rev. 2022)." })
  version!: string;
  @Field({ description: 'What the framework covers, from its plugin.' })
  description!: string;
  @Field({ description: 'The plugin that provides it.' })
  pluginId!: string;
  @Field({ description: 'Version of the plugin that provides it.' })
  pluginVersion!: string;
  @Field(() => Int, { description: 'Number of controls in its catalog, children included.' })
  controlCount!: number;
}

@ObjectType('ComplianceRule', { description: 'One rule of a control, in the declarative rule language.' })
export class RuleInfo {
  @Field({ description: 'Kebab-case, unique within its control.' })
  id!: string;
  @Field(() => RuleKind, {
    description: 'How the rule reads the trail (MATCH, AT_LEAST, NOT_FOLLOWED_BY, FOLLOWED_BY, NOT_PRECEDED_BY, BURST, MAX_GAP, RATIO…).',
  })
  kind!: RuleKind;
  @Field({ description: 'What the rule checks, in words.' })
  description!: string;
  @Field(() => GraphQLJSONObject, { description: 'The whole rule as the plugin declares it (match, count, period, within, correlation…).' })
  definition!: Record<string, unknown>;
}

@ObjectType({ description: 'A requirement of a framework, under its real reference id.' })
export class Control {
  @Field({ description: 'The framework the control belongs to.' })
  frameworkId!: string;
  @Field({ description: 'Reference id in the standard: CC6.1, 164.312(b), Art. 32.' })
  id!: string;
  @Field({ description: 'Title as the standard words it.' })
  title!: string;
  @Field({ description: 'What the control requires.' })
  description!: string;
  @Field(() => String, { nullable: true, description: 'The enclosing control (a HIPAA standard for its implementation specifications).' })
  parentId!: string | null;
  @Field(() => [String], { description: 'Labels, e.g. required / addressable for HIPAA implementation specifications.' })
  tags!: string[];
  @Field(() => [RuleInfo], { description: 'Rules whose matches show the control operating.' })
  evidenceRules!: RuleInfo[];
  @Field(() => [RuleInfo], { description: 'Rules whose matches are findings against the control.' })
  violationRules!: RuleInfo[];
  /** The catalog entry behind it. */
  source!: CatalogControl;
}

@ObjectType({ description: 'A cross-reference between controls of two frameworks, seen from this control.' })
export class ControlMapping {
  @Field({ description: 'Framework of the other control.' })
  frameworkId!: string;
  @Field({ description: 'Reference id of the other control.' })
  controlId!: string;
  @Field(() => MappingRelationship, { description: 'How the two controls relate.' })
  relationship!: MappingRelationship;
  @Field(() => MappingDirection, { description: 'Which side declared the mapping.' })
  direction!: MappingDirection;
}

@InputType({ description: 'Narrows controls(); every given field must hold.' })
export class ControlFilter {
  @Field(() => String, { nullable: true, description: 'Has this tag, e.g. required, privacy.' })
  tag?: string | null;
  @Field(() => String, { nullable: true, description: 'Children of this control.' })
  parentId?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'true: only top-level controls.' })
  topLevel?: boolean | null;
  @Field(() => String, { nullable: true, description: 'Case-insensitive text in the id, title or description.' })
  search?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'true: only controls with violation rules.' })
  hasViolationRules?: boolean | null;
}

@ObjectType({ description: 'A data category events can carry.' })
export class DataCategory {
  @Field({ description: 'UPPER_SNAKE_CASE, as events carry it.' })
  id!: string;
  @Field({ description: 'What data the category stands for.' })
  description!: string;
  @Field({ description: '`built-in`, or the id of the plugin that added it.' })
  source!: string;
}

@ObjectType({ description: 'A classification level, lowest rank first.' })
export class ClassificationLevelInfo {
  @Field(() => Classification, { description: 'The classification level.' })
  level!: Classification;
  @Field(() => Int, { description: '0 (PUBLIC) to 3 (RESTRICTED).' })
  rank!: number;
  @Field({ description: 'What data the level is for.' })
  description!: string;
}

@InputType({ description: 'A framework and the time range to assess it over.' })
export class AssessComplianceInput {
  @Field({ description: 'Framework id, e.g. soc2.' })
  frameworkId!: string;
  @Field(() => DateTimeScalar, { description: 'Start of the range (inclusive), by occurredAt.' })
  from!: string;
  @Field(() => DateTimeScalar, { nullable: true, description: 'End of the range (exclusive). Omitted: every event up to the chain head.' })
  to?: string | null;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'The instant the period is judged at: deadlines pass or not by then, attestations made by then apply, and only events recorded by then plus EVIDENCE_RECORDING_LAG_MINUTES count. Omitted: the end of the range if it has passed, else now. Not before from, not in the future.',
  })
  asOf?: string | null;
}

@InputType({ description: "An auditor's verdict on one control, with what it rests on and when it lapses." })
export class AttestControlInput {
  @Field({ description: 'Framework id, e.g. soc2.' })
  frameworkId!: string;
  @Field({ description: 'Reference id of the control, e.g. CC6.1.' })
  controlId!: string;
  @Field(() => ControlStatus, { description: 'The verdict. NOT_ASSESSED is refused: not attesting is how to say it.' })
  status!: ControlStatus;
  @Field({
    description:
      'What the verdict rests on (1 to 2000 characters): the document, the test, the interview. ADDRESSED_BY_ALTERNATIVE: why the specification is not reasonable and appropriate.',
  })
  note!: string;
  @Field(() => DateTimeScalar, { description: 'When the attestation lapses; in the future, at most three years ahead.' })
  expiresAt!: string;
  @Field(() => String, {
    nullable: true,
    description: 'ADDRESSED_BY_ALTERNATIVE only, and then required (1 to 2000 characters): the equivalent alternative measure implemented.',
  })
  alternativeMeasure?: string | null;
}

@ObjectType('ControlAttestation', { description: "An auditor's verdict on a control, recorded as an audit event in the chain." })
export class AttestationInfo {
  @Field({ description: 'Framework of the attested control.' })
  frameworkId!: string;
  @Field({ description: 'Reference id of the attested control.' })
  controlId!: string;
  @Field(() => ControlStatus, { description: 'The verdict attested.' })
  status!: ControlStatus;
  @Field({ description: 'What the verdict rests on, as the auditor wrote it.' })
  note!: string;
  @Field(() => DateTimeScalar, { description: 'When the attestation was recorded.' })
  attestedAt!: string;
  @Field(() => DateTimeScalar, { description: 'When it lapses; after it the control is assessed from the trail again.' })
  expiresAt!: string;
  @Field({ description: 'Id of the API key that attested.' })
  attestedBy!: string;
  @Field(() => GraphQLSafeInt, { description: 'Sequence of the datapunk.control.attested event in your chain.' })
  sequence!: number;
  @Field(() => String, { nullable: true, description: 'ADDRESSED_BY_ALTERNATIVE: the alternative measure implemented; null otherwise.' })
  alternativeMeasure!: string | null;
}

@ObjectType({ description: 'One rule over the assessed range.' })
export class RuleAssessment {
  @Field({ description: 'Id of the rule within its control.' })
  ruleId!: string;
  @Field(() => RuleKind, { description: 'How the rule reads the trail.' })
  kind!: RuleKind;
  @Field(() => RuleRole, { description: 'Whether the rule gives evidence or findings.' })
  role!: RuleRole;
  @Field({ description: 'What the rule checks, in words.' })
  description!: string;
  @Field(() => RuleVerdict, { description: 'What the rule found over the range.' })
  verdict!: RuleVerdict;
  @Field(() => GraphQLSafeInt, {
    description:
      'Evidence: matching events (MATCH, AT_LEAST), triggers followed in time, triggers preceded in time, correlation keys with a burst. Violation: findings (events, short periods, overdue triggers, triggers followed by a deviation, triggers not preceded, keys with a burst).',
  })
  count!: number;
  @Field(() => Int, { nullable: true, description: 'AT_LEAST: periods checked.' })
  periodsChecked!: number | null;
  @Field(() => Int, { nullable: true, description: 'AT_LEAST: periods with enough events.' })
  periodsMet!: number | null;
  @Field(() => [String], {
    nullable: true,
    description:
      'AT_LEAST: labels of the checked periods short of events (2026-11, 2026-W48, 2026-Q4, 2026, 2026-11-03), oldest first; as a violation, each names a finding (FindingRefInput.period).',
  })
  shortPeriods!: string[] | null;
  @Field(() => Int, {
    nullable: true,
    description:
      'NOT_FOLLOWED_BY, FOLLOWED_BY: triggers still within their window, not yet followed (NOT_PRECEDED_BY: always 0, every trigger is judged at once); MAX_GAP: 1 while the stretch open at the as-of instant is not too long yet.',
  })
  pending!: number | null;
  @Field({
    description:
      'The rule tests a duty: a recurrence (AT_LEAST as evidence) or a population (NOT_FOLLOWED_BY, NOT_PRECEDED_BY, FOLLOWED_BY as a violation) or every stretch between occurrences (MAX_GAP) or the share of a population that qualifies (RATIO). Other rules show activity or find deviations; only duties make a control COMPLIANT.',
  })
  duty!: boolean;
  @Field(() => GraphQLSafeInt, {
    nullable: true,
    description: 'A duty: the periods checked, the triggers judged or the RATIO population. Null for other rules.',
  })
  tested!: number | null;
  @Field({ description: 'The verdict in words.' })
  detail!: string;
  @Field(() => GraphQLSafeInt, {
    nullable: true,
    description:
      'A violation rule: its deviations investigated and found not to be one (findings INVESTIGATED_NOT_A_DEVIATION as of asOf), left out of count; with none left the rule is CLEAR. Null for evidence rules.',
  })
  dismissed!: number | null;
  @Field(() => GraphQLSafeInt, {
    nullable: true,
    description:
      'NOT_FOLLOWED_BY, NOT_PRECEDED_BY: triggers judged unanswered that an event recorded later than EVIDENCE_RECORDING_LAG_MINUTES after it occurred would have answered: backfilled evidence, flagged and not counted as timely. Null for other kinds.',
  })
  backfilled!: number | null;
  /** Sequences of sample events. */
  samples!: number[];
}

@ObjectType({ description: 'One control of an assessment.' })
export class ControlAssessment {
  @Field({ description: 'Reference id of the control.' })
  controlId!: string;
  @Field(() => ControlStatus, { description: "The control's status over the range (an attestation in force decides it)." })
  status!: ControlStatus;
  @Field(() => GraphQLSafeInt, { description: 'Sum of the evidence rules’ counts.' })
  evidenceCount!: number;
  @Field(() => GraphQLSafeInt, { description: 'Sum of the findings of violation rules.' })
  violationCount!: number;
  @Field({ description: 'Why the control has its status, in words.' })
  reason!: string;
  @Field(() => [RuleAssessment], { description: 'Each rule of the control, with its verdict.' })
  rules!: RuleAssessment[];
  @Field(() => AttestationInfo, { nullable: true, description: 'The attestation in force at the end of the range, if any.' })
  attestation!: AttestationInfo | null;
  @Field({ description: 'Counted in the score (controls with children roll them up instead).' })
  scored!: boolean;
  /** Sequences of sample events. */
  samples!: number[];
  frameworkId!: string;
  /** The assessment this control belongs to, for its findings. */
  assessment!: Assessment;
}

@ObjectType({ description: 'How many scored controls have each status.' })
export class StatusCounts {
  @Field(() => Int, { description: 'Scored controls that are COMPLIANT.' })
  compliant!: number;
  @Field(() => Int, { description: 'Scored controls that are PARTIALLY_COMPLIANT.' })
  partiallyCompliant!: number;
  @Field(() => Int, { description: 'Scored controls that are NON_COMPLIANT.' })
  nonCompliant!: number;
  @Field(() => Int, { description: 'Scored controls whose activity events show but whose duty they do not (OBSERVED).' })
  observed!: number;
  @Field(() => Int, { description: 'Scored controls the evidence does not cover (NOT_ASSESSED).' })
  notAssessed!: number;
  @Field(() => Int, { description: 'Scored controls attested NOT_APPLICABLE or out of your scope.' })
  notApplicable!: number;
  @Field(() => Int, { description: 'Scored controls addressed by an alternative measure (ADDRESSED_BY_ALTERNATIVE), scored as compliant.' })
  addressedByAlternative!: number;
  @Field(() => Int, { description: 'All scored controls.' })
  total!: number;
}

@ObjectType({ description: 'Events of an assessed period that retention pruned (ADR 0043): their counts are gone from the numbers.' })
export class PrunedPeriodInfo {
  @Field(() => GraphQLSafeInt, { description: 'Events 1 to this sequence of the chain were deleted by a retention policy.' })
  throughSequence!: number;
  @Field(() => DateTimeScalar, {
    description: 'The newest occurredAt among the pruned events: counts of the range up to it are incomplete.',
  })
  occurredBefore!: string;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When the prune was recorded.' })
  prunedAt!: string | null;
}

@ObjectType({ description: 'A framework assessed over a time range from the audit trail.' })
export class ComplianceAssessment {
  @Field({ description: 'The assessed framework.' })
  frameworkId!: string;
  @Field({ description: "The standard's edition the catalog follows." })
  frameworkVersion!: string;
  @Field({ description: 'Version of the plugin whose catalog was applied.' })
  pluginVersion!: string;
  @Field(() => DateTimeScalar, { description: 'Start of the range (inclusive), by occurredAt.' })
  from!: string;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Null: open-ended (every event up to the head).' })
  to!: string | null;
  @Field(() => DateTimeScalar, {
    description: 'The instant the period was judged at (input asOf, else the end of a past range, else now).',
  })
  asOf!: string;
  @Field(() => DateTimeScalar, {
    description:
      'Only events recorded by this instant (asOf plus EVIDENCE_RECORDING_LAG_MINUTES) are counted, so a closed period gives the same answer whatever arrives later. Until it comes, the answer may still change (validUntil).',
  })
  recordedBy!: string;
  @Field(() => DateTimeScalar, { description: 'When the numbers were computed (an answer from the cache keeps its time).' })
  assessedAt!: string;
  @Field(() => GraphQLSafeInt, { description: 'The chain head the numbers describe: later events are not counted.' })
  headSequence!: number;
  @Field(() => String, { nullable: true, description: 'chainHash at headSequence (the genesis hash, 64 zeros, before the first event).' })
  headChainHash!: string | null;
  @Field(() => Float, {
    nullable: true,
    description:
      '(compliant + ½ partially compliant) / applicable, over scored controls: OBSERVED and NOT_ASSESSED count as not shown. Null when no control was assessed or observed.',
  })
  score!: number | null;
  @Field(() => Float, {
    nullable: true,
    description:
      '(compliant + ½ partially compliant) / assessed (compliant, partially compliant, non-compliant); null when none was assessed.',
  })
  assessedScore!: number | null;
  @Field(() => ComplianceLevel, { description: 'The score in words.' })
  level!: ComplianceLevel;
  @Field(() => Float, {
    nullable: true,
    description:
      'Assessed (compliant, partially compliant, non-compliant) over applicable scored controls: how much of the framework the evidence decides. Read it next to score.',
  })
  coverage!: number | null;
  @Field(() => StatusCounts, { description: 'How many scored controls have each status.' })
  counts!: StatusCounts;
  @Field(() => [FrameworkParameterValue], {
    description:
      "The organisation-defined parameters the rules were resolved with: your profile in force at asOf, else the plugin's defaults.",
  })
  parameters!: FrameworkParameterValue[];
  @Field(() => [FrameworkScopeDimension], {
    description:
      "The scope the controls were judged under (ADR 0040): your selection in force at asOf, else the plugin's defaults; empty when the framework declares none.",
  })
  scope!: FrameworkScopeDimension[];
  @Field(() => [ControlAssessment], { description: 'Every control of the framework, in catalog order.' })
  controls!: ControlAssessment[];
  @Field({ description: 'Served from the cache (same chain head, nothing due since).' })
  cached!: boolean;
  @Field(() => PrunedPeriodInfo, {
    nullable: true,
    description:
      'Set when retention pruned events that occurred in the range: the numbers do not count them. Null when the range starts after the newest pruned event.',
  })
  pruned?: PrunedPeriodInfo | null;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'When a deadline or period passes and the same events would give another answer; null if never.',
  })
  validUntil!: string | null;
}
