import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One retention rule of a tenant (ADR 0043). */
@Entity({ name: 'retention_rule' })
@Index('ix_retention_rule_tenant', ['tenantId'])
export class RetentionRuleEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  /** CLASSIFICATION, CATEGORY, ACTION_PREFIX or FRAMEWORK. */
  @Column({ type: 'varchar', length: 16 })
  selector!: string;

  @Column({ type: 'varchar', length: 128 })
  value!: string;

  @Column({ name: 'min_days', type: 'int', nullable: true })
  minDays!: number | null;

  @Column({ name: 'max_days', type: 'int', nullable: true })
  maxDays!: number | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  note!: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'created_by', type: 'varchar', length: 36, nullable: true })
  createdBy!: string | null;
}

/** A legal hold: events it matches are never pruned while it is active (ADR 0043). */
@Entity({ name: 'legal_hold' })
@Index('ix_legal_hold_tenant', ['tenantId'])
export class LegalHoldEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  /**
   * A hold by subject: the data subject's reference (`s_…`, ADR 0042) — or, for a released hold
   * converted from a clear row whose subject was gone, a keyed pseudonym (`h_…`) — never the id
   * (ADR 0043, amended 2026-12-04).
   */
  @Column({ name: 'subject_ref', type: 'varchar', length: 64, nullable: true })
  subjectRef!: string | null;

  /** The subject id in clear, as holds stored it before 2026-12-04; the server converts such rows at start and empties it. */
  @Column({ name: 'legacy_subject', type: 'varchar', length: 256, nullable: true })
  legacySubject!: string | null;

  @Column({ name: 'action_prefix', type: 'varchar', length: 128, nullable: true })
  actionPrefix!: string | null;

  @Column({ name: 'occurred_from', type: 'datetime', precision: 3, nullable: true })
  occurredFrom!: Date | null;

  @Column({ name: 'occurred_to', type: 'datetime', precision: 3, nullable: true })
  occurredTo!: Date | null;

  @Column({ type: 'varchar', length: 500 })
  reason!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'created_by', type: 'varchar', length: 36, nullable: true })
  createdBy!: string | null;

  @Column({ name: 'released_at', type: 'datetime', precision: 3, nullable: true })
  releasedAt!: Date | null;

  @Column({ name: 'released_by', type: 'varchar', length: 36, nullable: true })
  releasedBy!: string | null;
}

export const RETENTION_ENTITIES = [RetentionRuleEntity, LegalHoldEntity];
