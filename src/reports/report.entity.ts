import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A generated report: what was asked, what came out, and the file's size and SHA-256. */
@Entity({ name: 'report' })
@Index('ix_report_tenant_created', ['tenantId', 'createdAt'])
@Index('ix_report_status_heartbeat', ['status', 'heartbeatAt'])
export class ReportEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  @Column({ type: 'varchar', length: 32 })
  type!: string;

  /** The format plugin's short name (`docx`, `html`, …). */
  @Column({ type: 'varchar', length: 64 })
  format!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: string;

  @Column({ name: 'framework_id', type: 'varchar', length: 64, nullable: true })
  frameworkId!: string | null;

  @Column({ name: 'period_from', type: 'datetime', precision: 3 })
  periodFrom!: Date;

  @Column({ name: 'period_to', type: 'datetime', precision: 3 })
  periodTo!: Date;

  @Column({ name: 'file_name', type: 'varchar', length: 255 })
  fileName!: string;

  @Column({ name: 'mime_type', type: 'varchar', length: 255 })
  mimeType!: string;

  /** Null until the file is stored (READY). */
  @Column({ name: 'size_bytes', type: 'bigint', nullable: true })
  sizeBytes!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  sha256!: string | null;

  /** The chain head the report describes; null until it is built. */
  @Column({ name: 'head_sequence', type: 'bigint', nullable: true })
  headSequence!: string | null;

  /** 0–100 while PENDING, 100 when READY. */
  @Column({ type: 'int' })
  progress!: number;

  /** Why a FAILED report failed. */
  @Column({ type: 'varchar', length: 1024, nullable: true })
  error!: string | null;

  @Column({ name: 'created_by', type: 'varchar', length: 36 })
  createdBy!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  /** The tenant template used (null: the default of the type), and its version. */
  @Column({ name: 'template_id', type: 'varchar', length: 36, nullable: true })
  templateId!: string | null;

  @Column({ name: 'template_version', type: 'int', nullable: true })
  templateVersion!: number | null;

  /** The node generating a PENDING report in the background (its id, made at start); null for one made within the request. */
  @Column({ name: 'owner_node', type: 'varchar', length: 64, nullable: true })
  ownerNode!: string | null;

  /** When the owner last said it is still generating it; a PENDING report whose heartbeat is stale is failed by any node. */
  @Column({ name: 'heartbeat_at', type: 'datetime', precision: 3, nullable: true })
  heartbeatAt!: Date | null;
}

/** A report's bytes in pieces of at most 60,000 (a BLOB on both dialects, well under any packet limit). */
@Entity({ name: 'report_chunk' })
export class ReportChunkEntity {
  @PrimaryColumn({ name: 'report_id', type: 'varchar', length: 36 })
  reportId!: string;

  @PrimaryColumn({ type: 'int' })
  part!: number;

  @Column({ type: 'blob' })
  data!: Buffer;
}

/**
 * The proof bundle file of a report generated with `proofBundles` (ADR 0049): the C2SP tlog-proofs
 * of the events it lists, one after another, in pieces like the report's own file.
 */
@Entity({ name: 'report_bundle_chunk' })
export class ReportBundleChunkEntity {
  @PrimaryColumn({ name: 'report_id', type: 'varchar', length: 36 })
  reportId!: string;

  @PrimaryColumn({ type: 'int' })
  part!: number;

  @Column({ type: 'blob' })
  data!: Buffer;
}

/** A tenant's own report template (data, validated); its earlier versions are in report_template_version. */
@Entity({ name: 'report_template' })
@Index('uq_report_template_tenant_name', ['tenantId', 'name'], { unique: true })
export class ReportTemplateEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId!: string;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  @Column({ type: 'varchar', length: 32 })
  type!: string;

  /** 1 at creation, +1 on every update. */
  @Column({ type: 'int' })
  version!: number;

  /** The template as canonical JSON. */
  @Column({ type: 'text' })
  body!: string;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

/** Every version a template ever had, so a report can name the exact template behind it. */
@Entity({ name: 'report_template_version' })
export class ReportTemplateVersionEntity {
  @PrimaryColumn({ name: 'template_id', type: 'varchar', length: 36 })
  templateId!: string;

  @PrimaryColumn({ type: 'int' })
  version!: number;

  @Column({ type: 'text' })
  body!: string;

  @Column({ name: 'created_by', type: 'varchar', length: 36 })
  createdBy!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
