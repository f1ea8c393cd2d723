import { Arg, Authorized, Ctx, Field, ID, Int, Mutation, ObjectType, Query, Resolver, registerEnumType } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { Role } from '../access/role';
import { principalOf, type RequestContext } from '../graphql/context';
import { DateTimeScalar } from '../graphql/scalars';
import { ChainFailureReason, type ChainVerifier } from './chain-verifier';
import type { CheckpointService } from './checkpoint.service';

registerEnumType(ChainFailureReason, { name: 'ChainFailureReason', description: 'Why a chain does not verify.' });

@ObjectType({
  description: 'A signed statement of a chain head: Ed25519 over the canonical JSON of {v:1, tenantId, sequence, chainHash, issuedAt}.',
})
export class Checkpoint {
  @Field(() => ID)
  id!: string;
  @Field()
  tenantId!: string;
  @Field(() => GraphQLSafeInt)
  sequence!: number;
  @Field()
  chainHash!: string;
  @Field(() => DateTimeScalar)
  issuedAt!: string;
  @Field({ description: 'Id of the signing key (see signingKeys).' })
  keyId!: string;
  @Field({ description: 'Ed25519 signature, base64.' })
  signature!: string;
}

@ObjectType({ description: 'The first place a chain stops verifying.' })
export class ChainFailure {
  @Field(() => GraphQLSafeInt)
  sequence!: number;
  @Field(() => ChainFailureReason)
  reason!: ChainFailureReason;
  @Field()
  message!: string;
}

@ObjectType({ description: 'Result of re-computing a tenant chain from the stored events.' })
export class ChainVerification {
  @Field()
  valid!: boolean;
  @Field(() => GraphQLSafeInt)
  fromSequence!: number;
  @Field(() => GraphQLSafeInt)
  toSequence!: number;
  @Field(() => GraphQLSafeInt, { description: 'Events whose hash and link were re-computed.' })
  checkedCount!: number;
  @Field(() => Int, { description: 'Signed checkpoints in the range that were matched against the events (up to the first failure).' })
  checkpointsChecked!: number;
  @Field(() => GraphQLSafeInt)
  headSequence!: number;
  @Field()
  headChainHash!: string;
  @Field(() => ChainFailure, { nullable: true })
  firstFailure!: ChainFailure | null;
  @Field(() => Checkpoint, {
    nullable: true,
    description: 'The newest checkpoint a trusted key signed, its signature verified; never one of an unknown key.',
  })
  latestCheckpoint!: Checkpoint | null;
  @Field(() => Int, {
    description:
      'Checkpoints in the range signed by a key the server does not trust (not its signing key, nor in DATAPUNK_TRUSTED_KEYS_FILE), counted up to the first failure. Any makes the result invalid (UNKNOWN_SIGNING_KEY).',
  })
  untrustedCheckpoints!: number;
  @Field(() => DateTimeScalar, { description: 'When the events were re-hashed; earlier than now for a cached answer.' })
  verifiedAt!: string;
  @Field({
    description:
      'True when this answer was cached: served only while nothing was written to the database since verifiedAt (the /readyz probe’s own row aside), and for at most VERIFY_CACHE_TTL_SECONDS.',
  })
  cached!: boolean;
}

@ObjectType({ description: 'Public half of a checkpoint signing key.' })
export class SigningKey {
  @Field(() => ID)
  id!: string;
  @Field({ description: 'Always Ed25519.' })
  algorithm!: string;
  @Field({ description: 'SPKI PEM.' })
  publicKeyPem!: string;
  @Field(() => DateTimeScalar, { description: 'When the key was recorded in the database (1970 for a trusted key never recorded).' })
  createdAt!: string;
  @Field({
    description:
      'Whether verification trusts this key: the server’s signing key or one in DATAPUNK_TRUSTED_KEYS_FILE. A recorded key that is not trusted verifies nothing.',
  })
  trusted!: boolean;
}

@Resolver()
export class ChainResolver {
  constructor(
    private readonly verifier: ChainVerifier,
    private readonly checkpointService: CheckpointService,
  ) {}

  // Not VIEWER: chain hashes before and after an event would let it confirm guesses of redacted fields.
  @Authorized(Role.ADMIN, Role.AUDITOR)
  @Query(() => ChainVerification, {
    description:
      'Re-computes your tenant chain (or a range of it) and checks every signed checkpoint; names the first sequence that fails.',
  })
  async verifyAuditChain(
    @Ctx() ctx: RequestContext,
    @Arg('fromSequence', () => GraphQLSafeInt, { nullable: true }) fromSequence?: number,
    @Arg('toSequence', () => GraphQLSafeInt, { nullable: true }) toSequence?: number,
  ): Promise<ChainVerification> {
    if ((fromSequence ?? 1) < 1 || (toSequence !== undefined && toSequence !== null && toSequence < (fromSequence ?? 1))) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, 'fromSequence must be at least 1 and toSequence at least fromSequence.');
    }
    return this.verifier.verify(principalOf(ctx).tenantId, fromSequence, toSequence);
  }

  @Authorized(Role.ADMIN, Role.AUDITOR)
  @Mutation(() => Checkpoint, {
    nullable: true,
    description: 'Signs your chain head now (also done every CHECKPOINT_INTERVAL_SECONDS). Null while the chain is empty.',
  })
  async createCheckpoint(@Ctx() ctx: RequestContext): Promise<Checkpoint | null> {
    return this.checkpointService.issue(principalOf(ctx).tenantId);
  }

  @Authorized(Role.ADMIN, Role.AUDITOR)
  @Query(() => [Checkpoint], { description: 'Your tenant’s checkpoints, newest first.' })
  async checkpoints(
    @Ctx() ctx: RequestContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20, description: '1 to 500.' }) first = 20,
  ): Promise<Checkpoint[]> {
    if (first < 1 || first > 500) throw new AppError(ErrorCode.PAGE_SIZE_EXCEEDED, 'first must be between 1 and 500.', { max: 500 });
    return this.checkpointService.list(principalOf(ctx).tenantId, first);
  }

  @Authorized()
  @Query(() => [SigningKey], {
    description: 'Keys recorded in the database and keys the server trusts, newest first; only trusted ones verify checkpoints.',
  })
  async signingKeys(): Promise<SigningKey[]> {
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
