import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { principalOf, type RequestContext } from '../graphql/context';
import { DateTimeScalar } from '../graphql/scalars';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { ASSESS_ROLES } from './compliance.resolver';
import { FINDING_STATE_LABELS } from './findings';
import type { FindingsService, FindingView } from './findings.service';
import { Finding, FindingRefInput, FindingTransitionInfo, TransitionFindingInput } from './findings.types';
import { ControlAssessment } from './compliance.types';

/** Findings a control lists per violation rule at most. */
export const MAX_FINDINGS_PER_RULE = 100;

const findingOf = (view: FindingView): Finding =>
  Object.assign(new Finding(), {
    id: view.id,
    frameworkId: view.frameworkId,
    controlId: view.controlId,
    ruleId: view.ruleId,
    ruleDescription: view.ruleDescription,
    eventSequence: view.eventSequence,
    period: view.period,
    state: view.state,
    stateLabel: FINDING_STATE_LABELS[view.state],
    asOf: view.asOf,
    history: view.history.map((t) => Object.assign(new FindingTransitionInfo(), t)),
  });

@Resolver(() => Finding)
export class FindingResolver {
  constructor(private readonly findings: FindingsService) {}

  @Authorized(...ASSESS_ROLES)
  @Query(() => Finding, {
    description: 'One finding with its state and transition history as of asOf (default now). Errors: NOT_FOUND, INVALID_ARGUMENT.',
  })
  async finding(
    @Arg('ref', () => FindingRefInput, { description: 'The rule and the event behind the deviation.' }) ref: FindingRefInput,
    @Ctx() ctx: RequestContext,
    @Arg('asOf', () => DateTimeScalar, { nullable: true, description: 'Transitions recorded after it do not apply.' }) asOf?: string | null,
  ): Promise<Finding> {
    const { tenantId } = principalOf(ctx);
    const at = asOf ? new Date(asOf) : new Date();
    if (Number.isNaN(at.getTime())) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'asOf must be a date-time.', { asOf });
    return findingOf(await this.findings.finding(tenantId, { ...ref }, at));
  }

  @Authorized(...ASSESS_ROLES)
  @Mutation(() => Finding, {
    description:
      'Moves a finding to another state, recorded as a datapunk.finding.transitioned event in your chain. Errors: INVALID_TRANSITION (not allowed from the current state), NOT_FOUND, INVALID_ARGUMENT.',
  })
  async transitionFinding(
    @Arg('input', () => TransitionFindingInput, { description: 'The finding, the new state and the note.' }) input: TransitionFindingInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Finding> {
    const { tenantId, keyId } = principalOf(ctx);
    return findingOf(await this.findings.transition({ tenantId, keyId, requestId: ctx.requestId }, { ...input }));
  }
}

@Resolver(() => ControlAssessment)
export class ControlFindingsResolver {
  constructor(private readonly service: FindingsService) {}

  @FieldResolver(() => [Finding], {
    description:
      "The control's findings over the assessed range: per violation rule with a finding (or one dismissed), the events that name its deviations (AT_LEAST: the periods short of events), newest first, each with its state as of the assessment's asOf. RATIO shares, RECENT lapses and the stretches at a range's edges name neither and are not listed.",
  })
  async findings(
    @Root() control: ControlAssessment,
    @Ctx() ctx: RequestContext,
    @Arg('first', () => Int, { defaultValue: 20, description: `Findings per violation rule, 1 to ${MAX_FINDINGS_PER_RULE}.` })
    first: number,
  ): Promise<Finding[]> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_FINDINGS_PER_RULE) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `first must be 1 to ${MAX_FINDINGS_PER_RULE}.`, { first });
    }
    const { tenantId } = principalOf(ctx);
    return (await this.service.forControl(tenantId, control.assessment, control.controlId, first)).map(findingOf);
  }
}
