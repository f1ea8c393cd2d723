import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { DateTimeScalar } from '../graphql/scalars';
import { ChainFailureReason } from './chain-verifier';

registerEnumType(ChainFailureReason, { name: 'ChainFailureReason', description: 'Why a chain does not verify.' });

@ObjectType('Checkpoint', {
  description: 'A signed statement of a chain head: Ed25519 over the canonical JSON of {v:1, tenantId, sequence, chainHash, issuedAt}.',
})
export class CheckpointInfo {
  @Field(() => ID, { description: 'Id of the checkpoint.' })
  id!: string;
  @Field({ description: 'The tenant whose chain head is signed.' })
  tenantId!: string;
  @Field(() => GraphQLSafeInt, { description: 'The chain head signed: the sequence of the newest event it covers.' })
  sequence!: number;
  @Field({ description: 'chainHash of the event at that sequence.' })
  chainHash!: string;
  @Field(() => DateTimeScalar, { description: 'When the checkpoint was signed.' })
  issuedAt!: string;
  @Field({ description: 'Id of the signing key (see signingKeys).' })
  keyId!: string;
  @Field({ description: 'Ed25519 signature, base64.' })
  signature!: string;
  @Field(() => String, {
    nullable: true,
    description:
      'The same head as a C2SP tlog-checkpoint signed note (ADR 0048): "<origin>\\n<tree size>\\n<base64 Merkle root>\\n", a blank line, and the Ed25519 signature line of key name <origin>. Any C2SP verifier or witness reads it. Null for a checkpoint issued before trees were kept.',
  })
  note!: string | null;
}

@ObjectType('ChainFailure', { description: 'The first place a chain stops verifying.' })
export class ChainFailureInfo {
  @Field(() => GraphQLSafeInt, { description: 'The sequence at which verification stopped.' })
  sequence!: number;
  @Field(() => ChainFailureReason, { description: 'What was found there.' })
  reason!: ChainFailureReason;
  @Field({ description: 'The failure in words.' })
  message!: string;
}

@ObjectType('PrunedPrefix', {
  description:
    'The oldest events of a chain, deleted by a retention policy (ADR 0043): verification starts after them, from a signed anchor.',
})
export class PrunedPrefixInfo {
  @Field(() => GraphQLSafeInt, { description: 'Events 1 to this sequence were deleted by retention.' })
  throughSequence!: number;
  @Field(() => CheckpointInfo, {
    description:
      'The signed checkpoint at throughSequence (a trusted key, signature verified): the first kept event links to its chainHash.',
  })
  anchor!: CheckpointInfo;
  @Field(() => GraphQLSafeInt, { description: 'Sequence of the datapunk.retention.pruned event that recorded the prune.' })
  eventSequence!: number;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When the prune was recorded.' })
  prunedAt!: string | null;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'The newest occurredAt among the pruned events: counts of periods before it are incomplete.',
  })
  occurredBefore!: string | null;
}

@ObjectType('ChainVerification', { description: 'Result of re-computing a tenant chain from the stored events.' })
export class ChainVerificationInfo {
  @Field({
    description:
      'True when every event in the range re-hashes, links and matches every checkpoint, and no checkpoint is of an untrusted key.',
  })
  valid!: boolean;
  @Field(() => GraphQLSafeInt, { description: 'First sequence checked.' })
  fromSequence!: number;
  @Field(() => GraphQLSafeInt, { description: 'Last sequence checked.' })
  toSequence!: number;
  @Field(() => GraphQLSafeInt, { description: 'Events whose hash and link were re-computed.' })
  checkedCount!: number;
  @Field(() => Int, { description: 'Signed checkpoints in the range that were matched against the events (up to the first failure).' })
  checkpointsChecked!: number;
  @Field(() => GraphQLSafeInt, { description: 'The chain head when verification started.' })
  headSequence!: number;
  @Field({ description: 'chainHash at headSequence.' })
  headChainHash!: string;
  @Field(() => ChainFailureInfo, { nullable: true, description: 'The lowest sequence where the chain stops verifying; null when valid.' })
  firstFailure!: ChainFailureInfo | null;
  @Field(() => CheckpointInfo, {
    nullable: true,
    description: 'The newest checkpoint a trusted key signed, its signature verified; never one of an unknown key.',
  })
  latestCheckpoint!: CheckpointInfo | null;
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
  @Field(() => PrunedPrefixInfo, {
    nullable: true,
    description:
      'The prefix deleted by retention, checked against its signed anchor and its datapunk.retention.pruned event; fromSequence starts after it. Null for a chain never pruned.',
  })
  prunedPrefix!: PrunedPrefixInfo | null;
  @Field({
    description:
      'True when trust.publicKeys pinned the keys: only those verified checkpoints, not the server’s configured keys (a stored checkpoint of any other key is UNKNOWN_SIGNING_KEY).',
  })
  keysPinned!: boolean;
  @Field(() => Int, {
    description:
      'Checkpoints you passed in trust.checkpoints, each checked against the stored tree (no larger than the head: else ROLLED_BACK; a prefix by a consistency proof, and, for a walk from sequence 1, the root of the re-hashed events: else TRUSTED_CHECKPOINT_MISMATCH).',
  })
  trustedCheckpointsChecked!: number;
  @Field(() => GraphQLSafeInt, {
    nullable: true,
    description:
      'The largest tree size found cosigned by the witness quorum (the newest stored checkpoint’s, or one you passed); 0 when none is, null when no witness policy applies (neither WITNESSES on the server nor trust.witnessKeys).',
  })
  cosignedSize!: number | null;
}

@InputType('ChainTrustInput', {
  description:
    'What you bring from outside the database, so that someone who can write it cannot fool the check (ADR 0051, docs/integrity.md#auditors). Anything unusable is INVALID_ARGUMENT, naming each value in extensions.problems, and nothing is verified.',
})
export class ChainTrustInput {
  @Field(() => [String], {
    nullable: true,
    description:
      'Pinned Ed25519 public keys, as verify-proof and verify-checkpoint take them: SPKI PEM, or a C2SP verifier key <origin>+<key id>+<base64> (its name the tenant’s origin). Only these are trusted; the server’s configured keys are not. 1 to 20.',
  })
  publicKeys?: string[] | null;
  @Field(() => [String], {
    nullable: true,
    description:
      'Checkpoints you kept (C2SP tlog-checkpoint signed notes as the checkpoints query serves them, cosignature lines allowed), each signed by a trusted key with your tenant’s origin. One larger than the stored head is ROLLED_BACK; one that is not a prefix of the stored tree is TRUSTED_CHECKPOINT_MISMATCH. Up to 100.',
  })
  checkpoints?: string[] | null;
  @Field(() => [String], {
    nullable: true,
    description:
      'Witness verifier keys (C2SP cosignature/v1, <name>+<key id>+<base64>), instead of the server’s WITNESSES: the newest checkpoint must carry witnessQuorum of their cosignatures (else WITNESS_QUORUM_NOT_MET). Up to 20.',
  })
  witnessKeys?: string[] | null;
  @Field(() => Int, { nullable: true, description: 'How many of witnessKeys must have cosigned: 1 to their number; default all of them.' })
  witnessQuorum?: number | null;
}

@ObjectType('SigningKey', { description: 'Public half of a checkpoint signing key.' })
export class SigningKeyInfo {
  @Field(() => ID, { description: 'Key id, as checkpoints name it.' })
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

@ObjectType('InclusionProof', {
  description:
    'An RFC 9162 inclusion proof (ADR 0047): the event is leaf `leafIndex` (its sequence − 1) of your tree of `treeSize`. Hashes are base64, as the C2SP tlog formats write them; leafHash = SHA-256(0x00 ‖ the event hash).',
})
export class InclusionProofInfo {
  @Field(() => GraphQLSafeInt, { description: 'The event’s sequence.' })
  sequence!: number;
  @Field(() => GraphQLSafeInt, { description: 'Its leaf index: sequence − 1.' })
  leafIndex!: number;
  @Field(() => GraphQLSafeInt, { description: 'The size of the tree the proof is for.' })
  treeSize!: number;
  @Field({ description: 'SHA-256(0x00 ‖ the event hash), base64.' })
  leafHash!: string;
  @Field({ description: 'The root of the tree of treeSize, base64.' })
  rootHash!: string;
  @Field(() => [String], { description: 'The audit path, leaf to root, base64 (RFC 9162 §2.1.3).' })
  hashes!: string[];
}

@ObjectType('ConsistencyProof', {
  description: 'An RFC 9162 consistency proof (ADR 0047): your tree of fromSize is a prefix of your tree of toSize. Hashes are base64.',
})
export class ConsistencyProofInfo {
  @Field(() => GraphQLSafeInt, { description: 'The older tree’s size.' })
  fromSize!: number;
  @Field(() => GraphQLSafeInt, { description: 'The newer tree’s size.' })
  toSize!: number;
  @Field({ description: 'The root of the tree of fromSize, base64.' })
  fromRoot!: string;
  @Field({ description: 'The root of the tree of toSize, base64.' })
  toRoot!: string;
  @Field(() => [String], { description: 'The proof, base64 (RFC 9162 §2.1.4); empty when the sizes are equal.' })
  hashes!: string[];
}
