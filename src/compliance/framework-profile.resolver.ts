import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { Role } from '../access/role';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { principalOf, type RequestContext } from '../graphql/context';
import { DateTimeScalar } from '../graphql/scalars';
import { ASSESS_ROLES } from './compliance.resolver';
import type { ComplianceService } from './compliance.service';
import { FrameworkParameterValue, SetFrameworkParametersInput, parameterValuesOf } from './framework-profile.types';
import { FrameworkScopeDimension, SetFrameworkScopeInput, scopeDimensionsOf } from './framework-profile-scope.types';

const instant = (asOf: string | null | undefined): Date => {
  const at = asOf ? new Date(asOf) : new Date();
  if (Number.isNaN(at.getTime())) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'asOf must be a date-time.', { asOf });
  return at;
};

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
    const at = instant(asOf);
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

  @Authorized(...ASSESS_ROLES)
  @Query(() => [FrameworkScopeDimension], {
    description:
      "A framework's scope dimensions (ADR 0040) with the options selected for your tenant at asOf (default now); empty when the framework declares none. Errors: NOT_FOUND.",
  })
  async frameworkScope(
    @Arg('frameworkId', () => String, { description: 'Framework id.' }) frameworkId: string,
    @Ctx() ctx: RequestContext,
    @Arg('asOf', () => DateTimeScalar, { nullable: true, description: 'The scope recorded by then applies.' }) asOf?: string | null,
  ): Promise<FrameworkScopeDimension[]> {
    const at = instant(asOf);
    const loaded = this.compliance.framework(frameworkId);
    const inForce = await this.compliance.scopeAt(principalOf(ctx).tenantId, loaded, Number.MAX_SAFE_INTEGER, at);
    return scopeDimensionsOf(loaded.plugin.catalog.scoping ?? [], inForce);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => [FrameworkScopeDimension], {
    description:
      "Records what of a framework is in scope for your organisation (SOC 2 categories, HIPAA or GDPR role) as a datapunk.framework.scope_set event in your chain; assessments as of a later instant judge out-of-scope controls NOT_APPLICABLE and run none of their rules. ADMIN only: the scope is management's assertion. Errors: INVALID_ARGUMENT (an unknown dimension or option, not exactly one option in a single-choice dimension, a required option left out, a framework that declares no scope), NOT_FOUND.",
  })
  async setFrameworkScope(
    @Arg('input', () => SetFrameworkScopeInput, { description: 'The framework, the selections and why.' })
    input: SetFrameworkScopeInput,
    @Ctx() ctx: RequestContext,
  ): Promise<FrameworkScopeDimension[]> {
    const { tenantId, keyId } = principalOf(ctx);
    const inForce = await this.compliance.setScope({ tenantId, keyId, requestId: ctx.requestId }, { ...input });
    return scopeDimensionsOf(this.compliance.framework(input.frameworkId).plugin.catalog.scoping ?? [], inForce);
  }
}
