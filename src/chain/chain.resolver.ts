import { Arg, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { Role } from '../access/role';
import { noteRead, principalOf, type RequestContext } from '../graphql/context';
import type { ChainVerifier } from './chain-verifier';
import {
  ChainTrustInput,
  CheckpointInfo,
  ChainVerificationInfo,
  ConsistencyProofInfo,
  InclusionProofInfo,
  SigningKeyInfo,
} from './chain.types';
import type { MerkleProofs } from './merkle-store';
import type { CheckpointService } from './checkpoint.service';
import type { ProofBundles } from './proof-bundle.service';
import { parseTrust } from './verify-trust';

@Resolver()
export class ChainResolver {
  constructor(
    private readonly verifier: ChainVerifier,
    private readonly checkpointService: CheckpointService,
    private readonly proofs: MerkleProofs,
    private readonly bundles: ProofBundles,
  ) {}

  // Not VIEWER: chain hashes before and after an event would let it confirm guesses of redacted fields.
  @Authorized(Role.ADMIN, Role.AUDITOR)
  @Query(() => ChainVerificationInfo, {
    description:
      'Re-computes your tenant chain (or a range of it) and checks every signed checkpoint; names the first sequence that fails. With `trust`, also against what you kept outside the database: pinned keys, checkpoints, a witness policy (ADR 0051). Recorded in your chain as datapunk.log.read.',
  })
  async verifyAuditChain(
    @Ctx() ctx: RequestContext,
    @Arg('fromSequence', () => GraphQLSafeInt, { nullable: true, description: 'First sequence to check; default 1.' })
    fromSequence?: number,
    @Arg('toSequence', () => GraphQLSafeInt, { nullable: true, description: 'Last sequence to check; default the chain head.' })
    toSequence?: number,
    @Arg('trust', () => ChainTrustInput, {
      nullable: true,
      description:
        'Pinned keys, kept checkpoints and a witness policy to verify against; default: the server’s configured keys and witnesses.',
    })
    trust?: ChainTrustInput | null,
  ): Promise<ChainVerificationInfo> {
    if ((fromSequence ?? 1) < 1 || (toSequence !== undefined && toSequence !== null && toSequence < (fromSequence ?? 1))) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, 'fromSequence must be at least 1 and toSequence at least fromSequence.');
    }
    const tenantId = principalOf(ctx).tenantId;
    const given = parseTrust(trust, this.checkpointService.originOf(tenantId), this.verifier.trustedKeys);
    const result = await this.verifier.verify(tenantId, fromSequence, toSequence, {
      trustedKeys: given.keys,
      trustedCheckpoints: given.checkpoints,
      witnesses: given.witnesses,
    });
    noteRead(
      ctx,
      'Query.verifyAuditChain',
      {
        fromSequence: fromSequence ?? null,
        toSequence: toSequence ?? null,
        ...(trust
          ? {
              pinnedKeys: given.keys?.length ?? 0,
              trustedCheckpoints: given.checkpoints.length,
              witnessKeys: given.witnesses?.keys.length ?? 0,
            }
          : {}),
      },
      result.checkedCount,
    );
    return result;
  }

  // Not VIEWER, for the reason above: a leaf hash is a hash of the event.
  @Authorized(Role.ADMIN, Role.AUDITOR)
  @Query(() => InclusionProofInfo, {
    description:
      'Proves that the event at `sequence` is in your tree of `treeSize` (default: the tree now), without the rest of the chain (RFC 9162, ADR 0047). PROOF_UNAVAILABLE when your chain has no tree or the events the proof needs were pruned. Recorded in your chain as datapunk.log.read.',
  })
  async inclusionProof(
    @Ctx() ctx: RequestContext,
    @Arg('sequence', () => GraphQLSafeInt, { description: 'The event’s sequence (1 is the first event).' }) sequence: number,
    @Arg('treeSize', () => GraphQLSafeInt, { nullable: true, description: 'The tree size to prove against; default the head sequence.' })
    treeSize?: number,
  ): Promise<InclusionProofInfo> {
    const proof = await this.proofs.inclusion(principalOf(ctx).tenantId, sequence, treeSize);
    noteRead(ctx, 'Query.inclusionProof', { sequence, treeSize: proof.treeSize }, 1);
    return proof;
  }

  // Not VIEWER: a bundle carries the event as hashed, unredacted (sealed fields as ciphertext).
  @Authorized(Role.ADMIN, Role.AUDITOR)
  @Query(() => String, {
    description:
      'An offline proof bundle of the event at `sequence` (C2SP tlog-proof, ADR 0049): the event as its hash covers it, its inclusion proof and the newest signed checkpoint note that covers it (signed now when none does yet), every signature line included. `datapunk-audit verify-proof --key <public key>` checks it with no database. PROOF_UNAVAILABLE when the event is not stored or no checkpoint note can cover it. Recorded in your chain as datapunk.log.read.',
  })
  async proofBundle(
    @Ctx() ctx: RequestContext,
    @Arg('sequence', () => GraphQLSafeInt, { description: 'The event’s sequence (1 is the first event).' }) sequence: number,
  ): Promise<string> {
    const { bundle, treeSize } = await this.bundles.forEvent(principalOf(ctx).tenantId, sequence);
    noteRead(ctx, 'Query.proofBundle', { sequence, treeSize }, 1);
    return bundle;
  }

  @Authorized(Role.ADMIN, Role.AUDITOR)
  @Query(() => ConsistencyProofInfo, {
    description:
      'Proves that your tree of `fromSize` is a prefix of your tree of `toSize` (default: the tree now): nothing recorded before was changed or removed (RFC 9162, ADR 0047). Recorded in your chain as datapunk.log.read.',
  })
  async consistencyProof(
    @Ctx() ctx: RequestContext,
    @Arg('fromSize', () => GraphQLSafeInt, { description: 'The older tree’s size (at least 1).' }) fromSize: number,
    @Arg('toSize', () => GraphQLSafeInt, { nullable: true, description: 'The newer tree’s size; default the head sequence.' })
    toSize?: number,
  ): Promise<ConsistencyProofInfo> {
    const proof = await this.proofs.consistency(principalOf(ctx).tenantId, fromSize, toSize);
    noteRead(ctx, 'Query.consistencyProof', { fromSize, toSize: proof.toSize }, 0);
    return proof;
  }

  @Authorized(Role.ADMIN, Role.AUDITOR)
  @Mutation(() => CheckpointInfo, {
    nullable: true,
    description: 'Signs your chain head now (also done every CHECKPOINT_INTERVAL_SECONDS). Null while the chain is empty.',
  })
  async createCheckpoint(@Ctx() ctx: RequestContext): Promise<CheckpointInfo | null> {
    const checkpoint = await this.checkpointService.issue(principalOf(ctx).tenantId);
    return checkpoint && (await this.checkpointService.withCosignatures([checkpoint]))[0];
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
