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

/** The tables this module owns, for the data source the composition root builds. */
export const CHAIN_ENTITIES = [ChainHeadEntity, CheckpointEntity, SigningKeyEntity];
