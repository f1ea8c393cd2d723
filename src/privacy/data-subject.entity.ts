import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A data subject of a tenant (ADR 0042): the random reference its events store in place of its id,
 * its data key wrapped by the key-encryption key, and a keyed lookup of its id. Erasure deletes the
 * key, the lookup and the sealed id (the row stays, as the record of the erasure).
 */
@Entity({ name: 'data_subject' })
@Index('uq_data_subject_lookup', ['tenantId', 'lookup'], { unique: true })
export class DataSubjectEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  /** `s_` + 128 random bits, base64url: what events store as the actor or resource id. */
  @PrimaryColumn({ type: 'varchar', length: 32 })
  ref!: string;

  /** HMAC-SHA256(tenant pseudonym key, subject id), base64url; null once erased. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  lookup!: string | null;

  /** The 256-bit data key, AES-256-GCM under the key-encryption key (base64 iv ‖ tag ‖ ciphertext); null once erased. */
  @Column({ name: 'wrapped_key', type: 'varchar', length: 128, nullable: true })
  wrappedKey!: string | null;

  /** The subject id sealed under its own data key, so that stats can name it; null once erased. */
  @Column({ name: 'sealed_id', type: 'text', nullable: true })
  sealedId!: string | null;

  /**
   * Which fields (bit i: FIELD_ORDER[i]) any event has sealed under this key, OR-ed in at sealing, so
   * an erasure names them without reading an event; null: not known (made before 2026-12-06).
   */
  @Column({ name: 'sealed_fields', type: 'int', nullable: true })
  sealedFields!: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'erased_at', type: 'datetime', precision: 3, nullable: true })
  erasedAt!: Date | null;
}

export const PRIVACY_ENTITIES = [DataSubjectEntity];
