import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'tenant' })
export class TenantEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 256 })
  name!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

/** An API key. Only the SHA-256 of the secret is stored; the secret is shown once at creation. */
@Entity({ name: 'api_key' })
@Index('uq_api_key_secret_hash', ['secretHash'], { unique: true })
@Index('ix_api_key_tenant', ['tenantId'])
export class ApiKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: string;

  /** First characters of the secret, to recognise a key in lists and logs. */
  @Column({ type: 'varchar', length: 16 })
  prefix!: string;

  @Column({ name: 'secret_hash', type: 'varchar', length: 64 })
  secretHash!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'datetime', precision: 3, nullable: true })
  revokedAt!: Date | null;
}

/** The tables this module owns, for the data source the composition root builds. */
export const AUTH_ENTITIES = [TenantEntity, ApiKeyEntity];
