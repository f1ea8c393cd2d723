import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { Role } from '../access/role';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { principalOf, type RequestContext } from '../graphql/context';
import { DateTimeScalar } from '../graphql/scalars';
import { ASSESS_ROLES } from './compliance.resolver';
import type { ComplianceService } from './compliance.service';
import { FrameworkParameterValue, SetFrameworkParametersInput, parameterValuesOf } from './framework-profile.types';

@Resolver()
export class FrameworkProfileResolver {
  constructor(private readonly compliance: ComplianceService) {}

  @Authorized(...ASSESS_ROLES)
  @Query(() => [FrameworkParameterValue], {
    description:
      "A framework's organisation-defined parameters with the values in force for your tenant at asOf (default now). Errors: NOT_FOUND.",
  })
  async frameworkParameters(
    @Arg('frameworkId', () => String, { description: 'Framework id.' }) frameworkId: string,
    @Ctx() ctx: RequestContext,
    @Arg('asOf', () => DateTimeScalar, { nullable: true, description: 'The profile recorded by then applies.' }) asOf?: string | null,
  ): Promise<FrameworkParameterValue[]> {
    const at = asOf ? new Date(asOf) : new Date();
    if (Number.isNaN(at.getTime())) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'asOf must be a date-time.', { asOf });
    const loaded = this.compliance.framework(frameworkId);
    const inForce = await this.compliance.parametersAt(principalOf(ctx).tenantId, loaded, Number.MAX_SAFE_INTEGER, at);
    return parameterValuesOf(loaded.parameters, inForce);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => [FrameworkParameterValue], {
    description:
      "Records your organisation's values of a framework's parameters (its profile) as a datapunk.framework.parameters_set event in your chain; assessments as of a later instant use them. ADMIN only: the values are management's policy. Errors: INVALID_ARGUMENT (a value not of its type or outside its bounds, an unknown id), NOT_FOUND.",
  })
  async setFrameworkParameters(
    @Arg('input', () => SetFrameworkParametersInput, { description: 'The framework, the values and why.' })
    input: SetFrameworkParametersInput,
    @Ctx() ctx: RequestContext,
  ): Promise<FrameworkParameterValue[]> {
    const { tenantId, keyId } = principalOf(ctx);
    const inForce = await this.compliance.setParameters({ tenantId, keyId, requestId: ctx.requestId }, { ...input });
    return parameterValuesOf(this.compliance.framework(input.frameworkId).parameters, inForce);
  }
}
