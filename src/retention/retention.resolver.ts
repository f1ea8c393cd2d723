import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { Role } from '../access/role';
import { principalOf, type RequestContext } from '../graphql/context';
import { DateTimeScalar } from '../graphql/scalars';
import { FRAMEWORK_RETENTION } from './retention-policy';
import type { RetentionActor, RetentionService } from './retention.service';
import {
  LegalHoldInfo,
  LegalHoldInput,
  PruneResultInfo,
  RetentionRuleInfo,
  RetentionRuleInput,
  RetentionSuggestionInfo,
} from './retention.types';

const actorOf = (ctx: RequestContext): RetentionActor => {
  const p = principalOf(ctx);
  return { tenantId: p.tenantId, keyId: p.keyId, requestId: ctx.requestId };
};

@Resolver()
export class RetentionResolver {
  constructor(private readonly retention: RetentionService) {}

  @Authorized(Role.ADMIN, Role.AUDITOR)
  @Query(() => [RetentionRuleInfo], { description: 'Your tenant’s retention rules, oldest first (ADR 0043).' })
  retentionRules(@Ctx() ctx: RequestContext): Promise<RetentionRuleInfo[]> {
    return this.retention.rules(principalOf(ctx).tenantId);
  }

  @Authorized(Role.ADMIN, Role.AUDITOR)
  @Query(() => [LegalHoldInfo], { description: 'Your tenant’s legal holds, oldest first: active ones, or every one with includeReleased.' })
  legalHolds(
    @Ctx() ctx: RequestContext,
    @Arg('includeReleased', { defaultValue: false, description: 'Also list released holds.' }) includeReleased: boolean,
  ): Promise<LegalHoldInfo[]> {
    return this.retention.holds(principalOf(ctx).tenantId, includeReleased);
  }

  @Authorized(Role.ADMIN, Role.AUDITOR)
  @Query(() => [RetentionSuggestionInfo], { description: 'The minimum retention the built-in frameworks ask for, with the basis.' })
  retentionSuggestions(): RetentionSuggestionInfo[] {
    return FRAMEWORK_RETENTION.map((s) => ({ ...s }));
  }

  @Authorized(Role.ADMIN, Role.AUDITOR)
  @Query(() => PruneResultInfo, {
    description:
      'What a prune would delete now (or as of asOf, to plan ahead): the prefix, and the first event that must be kept and why. Deletes nothing.',
  })
  async pruneDryRun(
    @Ctx() ctx: RequestContext,
    @Arg('asOf', () => DateTimeScalar, { nullable: true, description: 'Judge ages at this instant; default now.' }) asOf?: string | null,
  ): Promise<PruneResultInfo> {
    return this.retention.prune(actorOf(ctx), { dryRun: true, now: asOf ? new Date(asOf) : new Date() });
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => RetentionRuleInfo, {
    description: 'Adds a retention rule. Errors: INVALID_ARGUMENT (nothing stored). Recorded as datapunk.retention.rule.added.',
  })
  addRetentionRule(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => RetentionRuleInput, { description: 'The rule.' }) input: RetentionRuleInput,
  ): Promise<RetentionRuleInfo> {
    return this.retention.addRule(actorOf(ctx), input);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Boolean, { description: 'Removes a retention rule. Errors: NOT_FOUND. Recorded as datapunk.retention.rule.removed.' })
  async removeRetentionRule(@Ctx() ctx: RequestContext, @Arg('id', () => ID, { description: 'The rule.' }) id: string): Promise<boolean> {
    await this.retention.removeRule(actorOf(ctx), id);
    return true;
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => LegalHoldInfo, {
    description: 'Places a legal hold. Errors: INVALID_ARGUMENT (nothing stored). Recorded as datapunk.retention.hold.placed.',
  })
  placeLegalHold(
    @Ctx() ctx: RequestContext,
    @Arg('input', () => LegalHoldInput, { description: 'The hold.' }) input: LegalHoldInput,
  ): Promise<LegalHoldInfo> {
    return this.retention.placeHold(actorOf(ctx), input);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => LegalHoldInfo, {
    description:
      'Releases a legal hold (it is kept, with who released it and when). Errors: NOT_FOUND, INVALID_ARGUMENT (already released).',
  })
  releaseLegalHold(@Ctx() ctx: RequestContext, @Arg('id', () => ID, { description: 'The hold.' }) id: string): Promise<LegalHoldInfo> {
    return this.retention.releaseHold(actorOf(ctx), id);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => PruneResultInfo, {
    description:
      'Prunes your chain now: verifies the prefix, signs its anchor, records datapunk.retention.pruned, then deletes. Errors: PRUNE_REFUSED, PRUNE_IN_PROGRESS (nothing deleted by this call).',
  })
  pruneAuditChain(@Ctx() ctx: RequestContext): Promise<PruneResultInfo> {
    return this.retention.prune(actorOf(ctx));
  }
}
