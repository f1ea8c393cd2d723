import { Arg, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { Role } from '../access/role';
import { noteRead, principalOf, type RequestContext } from '../graphql/context';
import type { ChainVerifier } from './chain-verifier';
import { CheckpointInfo, ChainVerificationInfo, SigningKeyInfo } from './chain.types';
import type { CheckpointService } from './checkpoint.service';

@Resolver()
export class ChainResolver {
  constructor(
    private readonly verifier: ChainVerifier,
    private readonly checkpointService: CheckpointService,
  ) {}

  // Not VIEWER: chain hashes before and after an event would let it confirm guesses of redacted fields.
  @Authorized(Role.ADMIN, Role.AUDITOR)
  @Query(() => ChainVerificationInfo, {
    description:
      'Re-computes your tenant chain (or a range of it) and checks every signed checkpoint; names the first sequence that fails. Recorded in your chain as datapunk.log.read.',
  })
  async verifyAuditChain(
    @Ctx() ctx: RequestContext,
    @Arg('fromSequence', () => GraphQLSafeInt, { nullable: true, description: 'First sequence to check; default 1.' })
    fromSequence?: number,
    @Arg('toSequence', () => GraphQLSafeInt, { nullable: true, description: 'Last sequence to check; default the chain head.' })
    toSequence?: number,
  ): Promise<ChainVerificationInfo> {
    if ((fromSequence ?? 1) < 1 || (toSequence !== undefined && toSequence !== null && toSequence < (fromSequence ?? 1))) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, 'fromSequence must be at least 1 and toSequence at least fromSequence.');
    }
    const result = await this.verifier.verify(principalOf(ctx).tenantId, fromSequence, toSequence);
    noteRead(ctx, 'Query.verifyAuditChain', { fromSequence: fromSequence ?? null, toSequence: toSequence ?? null }, result.checkedCount);
    return result;
  }

  @Authorized(Role.ADMIN, Role.AUDITOR)
  @Mutation(() => CheckpointInfo, {
    nullable: true,
    description: 'Signs your chain head now (also done every CHECKPOINT_INTERVAL_SECONDS). Null while the chain is empty.',
  })
  async createCheckpoint(@Ctx() ctx: RequestContext): Promise<CheckpointInfo | null> {
    return this.checkpointService.issue(principalOf(ctx).tenantId);
  }

  @Authorized(Role.ADMIN, Role.AUDITOR)
  @Query(() => [CheckpointInfo], { description: 'Your tenant’s checkpoints, newest first.' })
  async checkpoints(
    @Ctx() ctx: RequestContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20, description: '1 to 500.' }) first = 20,
  ): Promise<CheckpointInfo[]> {
    if (first < 1 || first > 500) throw new AppError(ErrorCode.PAGE_SIZE_EXCEEDED, 'first must be between 1 and 500.', { max: 500 });
    return this.checkpointService.list(principalOf(ctx).tenantId, first);
  }

  @Authorized()
  @Query(() => [SigningKeyInfo], {
    description: 'Keys recorded in the database and keys the server trusts, newest first; only trusted ones verify checkpoints.',
  })
  async signingKeys(): Promise<SigningKeyInfo[]> {
    const trusted = this.verifier.trustedKeys;
    const stored = await this.checkpointService.publicKeys();
    const ids = new Set(stored.map((k) => k.id));
    const trustedIds = new Set(trusted.map((k) => k.id));
    return [...stored, ...trusted.filter((k) => !ids.has(k.id))].map((k) => ({
      ...k,
      algorithm: 'Ed25519',
      trusted: trustedIds.has(k.id),
    }));
  }
}
