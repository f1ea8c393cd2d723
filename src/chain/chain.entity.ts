import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The newest link of a tenant's chain; its row lock serialises appends (ADR 0002). */
@Entity({ name: 'chain_head' })
export class ChainHeadEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  @Column({ type: 'bigint' })
  sequence!: string;

  @Column({ name: 'chain_hash', type: 'varchar', length: 64 })
  chainHash!: string;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;

  /**
   * The RFC 9162 tree's frontier at `sequence` (ADR 0047): its perfect subtrees' hashes in hex,
   * largest first. Null with a sequence above 0: the tenant has no tree (pruned before trees).
   */
  @Column({ name: 'merkle_frontier', type: 'text', nullable: true })
  merkleFrontier!: string | null;

  /**
   * Bumped by every erasure in the transaction that destroys the key; an append of sealed events
   * compares it under the head lock with the one its subjects were read at (ADR 0042, amended 2026-12-07).
   */
  @Column({ name: 'erasure_epoch', type: 'int', default: 0 })
  erasureEpoch!: number;
}

/** A perfect subtree of a tenant's RFC 9162 tree: 2^level leaves from index × 2^level (ADR 0047). */
@Entity({ name: 'merkle_node' })
export class MerkleNodeEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  @PrimaryColumn({ name: 'node_level', type: 'int' })
  nodeLevel!: number;

  @PrimaryColumn({ name: 'node_index', type: 'bigint' })
  nodeIndex!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}

/** A signed statement "tenant T's chain had chainHash H at sequence N at time t". */
@Entity({ name: 'checkpoint' })
@Index('ix_checkpoint_tenant_sequence', ['tenantId', 'sequence'])
export class CheckpointEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  @Column({ type: 'bigint' })
  sequence!: string;

  @Column({ name: 'chain_hash', type: 'varchar', length: 64 })
  chainHash!: string;

  @Column({ name: 'issued_at', type: 'datetime', precision: 3 })
  issuedAt!: Date;

  @Column({ name: 'key_id', type: 'varchar', length: 64 })
  keyId!: string;

  /** Ed25519 signature, base64, over the canonical JSON of {tenantId, sequence, chainHash, issuedAt}. */
  @Column({ type: 'varchar', length: 128 })
  signature!: string;

  /** The same head as a C2SP tlog-checkpoint signed note over the Merkle root (ADR 0048); null before trees. */
  @Column({ type: 'text', nullable: true })
  note!: string | null;
}

/** A witness's cosignature of a checkpoint's note (C2SP tlog-cosignature, ADR 0050). */
@Entity({ name: 'checkpoint_cosignature' })
export class CheckpointCosignatureEntity {
  @PrimaryColumn({ name: 'checkpoint_id', type: 'varchar', length: 36 })
  checkpointId!: string;

  /** The witness's key name, as in WITNESSES. */
  @PrimaryColumn({ name: 'witness_name', type: 'varchar', length: 200 })
  witnessName!: string;

  /** The cosignature line, as appended to the served note. */
  @Column({ type: 'text' })
  line!: string;

  /** The witness's timestamp in the cosignature. */
  @Column({ name: 'cosigned_at', type: 'datetime', precision: 3 })
  cosignedAt!: Date;

  @Column({ name: 'received_at', type: 'datetime', precision: 3 })
  receivedAt!: Date;
}

/** Public halves of the checkpoint signing keys, so `verify-chain` can check old checkpoints. */
@Entity({ name: 'signing_key' })
export class SigningKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ name: 'public_key_pem', type: 'text' })
  publicKeyPem!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

/**
 * Where a tenant's chain was pruned by retention (ADR 0043): events up to `pruned_through` are
 * gone (or going: `deleted_through` trails it while batches run), anchored by a signed checkpoint
 * at that sequence and recorded by a `datapunk.retention.pruned` event at `event_sequence`. The
 * lease lets one node prune a tenant at a time.
 */
@Entity({ name: 'chain_prune' })
export class ChainPruneEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  @Column({ name: 'pruned_through', type: 'bigint' })
  prunedThrough!: string;

  @Column({ name: 'deleted_through', type: 'bigint' })
  deletedThrough!: string;

  /**
   * The chain hash of the event at `deleted_through`, written by the batch that deleted it: where a
   * prune stopped by a new legal hold signs its anchor (ADR 0043, amended 2026-12-04).
   */
  @Column({ name: 'deleted_chain_hash', type: 'varchar', length: 64, nullable: true })
  deletedChainHash!: string | null;

  @Column({ name: 'anchor_checkpoint_id', type: 'varchar', length: 36, nullable: true })
  anchorCheckpointId!: string | null;

  @Column({ name: 'event_sequence', type: 'bigint', nullable: true })
  eventSequence!: string | null;

  /** The newest occurredAt among the pruned events: assessments of periods before it are incomplete. */
  @Column({ name: 'occurred_before', type: 'datetime', precision: 3, nullable: true })
  occurredBefore!: Date | null;

  /** recordedAt of the last pruned event. */
  @Column({ name: 'recorded_before', type: 'datetime', precision: 3, nullable: true })
  recordedBefore!: Date | null;

  @Column({ name: 'pruned_at', type: 'datetime', precision: 3, nullable: true })
  prunedAt!: Date | null;

  @Column({ name: 'lease_owner', type: 'varchar', length: 36, nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_until', type: 'datetime', precision: 3, nullable: true })
  leaseUntil!: Date | null;
}

/** The tables this module owns, for the data source the composition root builds. */
export const CHAIN_ENTITIES = [
  ChainHeadEntity,
  CheckpointEntity,
  SigningKeyEntity,
  ChainPruneEntity,
  MerkleNodeEntity,
  CheckpointCosignatureEntity,
];
