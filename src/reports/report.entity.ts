import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A generated report: what was asked, what came out, and the file's size and SHA-256. */
@Entity({ name: 'report' })
@Index('ix_report_tenant_created', ['tenantId', 'createdAt'])
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

  @Column({ name: 'size_bytes', type: 'bigint' })
  sizeBytes!: string;

  @Column({ type: 'varchar', length: 64 })
  sha256!: string;

  /** The chain head the report describes. */
  @Column({ name: 'head_sequence', type: 'bigint' })
  headSequence!: string;

  @Column({ name: 'created_by', type: 'varchar', length: 36 })
  createdBy!: string;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
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
