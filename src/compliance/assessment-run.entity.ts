import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A stored assessment run (ADR 0039): what was assessed, against which chain head, with which
 * parameters and scope, the summary and each control's status, and the SHA-256 digest of all of it
 * that the run's `datapunk.assessment.recorded` event carries.
 */
@Entity({ name: 'assessment_run' })
@Index('ix_assessment_run_tenant_framework_to', ['tenantId', 'frameworkId', 'periodTo'])
// A scheduled window is stored once per tenant and framework, whichever node records it (NULL for on-demand runs).
@Index('ux_assessment_run_window', ['tenantId', 'frameworkId', 'scheduleWindow'], { unique: true })
export class AssessmentRunEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  @Column({ name: 'framework_id', type: 'varchar', length: 64 })
  frameworkId!: string;

  @Column({ name: 'framework_version', type: 'varchar', length: 64 })
  frameworkVersion!: string;

  @Column({ name: 'plugin_version', type: 'varchar', length: 64 })
  pluginVersion!: string;

  @Column({ name: 'period_from', type: 'datetime', precision: 3 })
  periodFrom!: Date;

  @Column({ name: 'period_to', type: 'datetime', precision: 3 })
  periodTo!: Date;

  @Column({ name: 'as_of', type: 'datetime', precision: 3 })
  asOf!: Date;

  @Column({ name: 'recorded_by', type: 'datetime', precision: 3 })
  recordedBy!: Date;

  @Column({ name: 'head_sequence', type: 'bigint' })
  headSequence!: string;

  @Column({ name: 'head_chain_hash', type: 'varchar', length: 64, nullable: true })
  headChainHash!: string | null;

  /** JSON: the organisation-defined parameters in force (ADR 0038). */
  @Column({ type: 'text' })
  parameters!: string;

  /** JSON: the scope in force (ADR 0040). */
  @Column({ type: 'text' })
  scope!: string;

  /** JSON: score, level, coverage and counts by status. */
  @Column({ type: 'text' })
  summary!: string;

  /** JSON: [controlId, status] pairs in catalog order. */
  @Column({ type: 'text' })
  statuses!: string;

  /** ON_DEMAND or SCHEDULED. */
  @Column({ type: 'varchar', length: 16 })
  trigger!: string;

  /** SCHEDULED: the window (`DAY:2026-12-02`, `WEEK:2026-W49`); NULL for on-demand runs. */
  @Column({ name: 'schedule_window', type: 'varchar', length: 32, nullable: true })
  scheduleWindow!: string | null;

  /** The API key that asked for the run; NULL for the scheduler. */
  @Column({ name: 'created_by', type: 'varchar', length: 36, nullable: true })
  createdBy!: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  /** SHA-256 (hex) of the canonical JSON of the run. */
  @Column({ type: 'varchar', length: 64 })
  digest!: string;
}
