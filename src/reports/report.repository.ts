import type { DataSource } from 'typeorm';
import { atomically, type Statement } from '../database/atomically';
import { fromSqlDateTime, toNumber, toSqlDateTime } from '../database/sql-format';
import type { ReportType } from './report-template';

export type ReportStatusValue = 'PENDING' | 'READY' | 'FAILED';

export interface StoredReport {
  id: string;
  tenantId: string;
  type: ReportType;
  format: string;
  /** PENDING while generated in the background; READY when stored; FAILED with `error`. */
  status: ReportStatusValue;
  progress: number;
  error: string | null;
  frameworkId: string | null;
  from: string;
  to: string;
  fileName: string;
  mimeType: string;
  sizeBytes: number | null;
  sha256: string | null;
  headSequence: number | null;
  createdBy: string;
  createdAt: string;
  templateId: string | null;
  templateVersion: number | null;
  /** The node generating it in the background (null: generated within the request). */
  ownerNode: string | null;
  /** When its owner last said it is still working on it (null: generated within the request). */
  heartbeatAt: string | null;
}

/** The bytes of one `report_chunk` row: a file is stored in pieces of this size. */
export const CHUNK_BYTES = 60_000;

const sqlTime = (at: Date) => toSqlDateTime(at.toISOString());

const insertStatement = (r: StoredReport): Statement => ({
  text: 'INSERT INTO report (id, tenant_id, type, format, status, progress, framework_id, period_from, period_to, file_name, mime_type, size_bytes, sha256, head_sequence, created_by, created_at, template_id, template_version, owner_node, heartbeat_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)',
  params: [
    r.id,
    r.tenantId,
    r.type,
    r.format,
    r.status,
    r.progress,
    r.frameworkId,
    toSqlDateTime(r.from),
    toSqlDateTime(r.to),
    r.fileName,
    r.mimeType,
    r.sizeBytes,
    r.sha256,
    r.headSequence,
    r.createdBy,
    toSqlDateTime(r.createdAt),
    r.templateId,
    r.templateVersion,
    r.ownerNode,
    r.heartbeatAt === null ? null : toSqlDateTime(r.heartbeatAt),
  ],
});

/** A file in pieces of CHUNK_BYTES (one empty piece for an empty file). */
function chunkStatements(id: string, content: Buffer): Statement[] {
  const out: Statement[] = [];
  for (let part = 0; part * CHUNK_BYTES < content.length || part === 0; part += 1) {
    out.push({
      text: 'INSERT INTO report_chunk (report_id, part, data) VALUES (?, ?, ?)',
      params: [id, part, content.subarray(part * CHUNK_BYTES, (part + 1) * CHUNK_BYTES)],
    });
  }
  return out;
}

/** A report's proof bundle file in pieces of CHUNK_BYTES (ADR 0049); nothing when it has none. */
function bundleStatements(id: string, bundles: Buffer | null): Statement[] {
  if (bundles === null) return [];
  return chunkStatements(id, bundles).map((s) => ({ ...s, text: s.text.replace('report_chunk', 'report_bundle_chunk') }));
}

const rowToReport = (r: Record<string, unknown>): StoredReport => ({
  id: String(r.id),
  tenantId: String(r.tenant_id),
  type: String(r.type) as ReportType,
  format: String(r.format),
  status: String(r.status) as ReportStatusValue,
  progress: toNumber(r.progress),
  error: r.error === null || r.error === undefined ? null : String(r.error),
  frameworkId: r.framework_id === null || r.framework_id === undefined ? null : String(r.framework_id),
  from: fromSqlDateTime(r.period_from),
  to: fromSqlDateTime(r.period_to),
  fileName: String(r.file_name),
  mimeType: String(r.mime_type),
  sizeBytes: r.size_bytes === null || r.size_bytes === undefined ? null : toNumber(r.size_bytes),
  sha256: r.sha256 === null || r.sha256 === undefined ? null : String(r.sha256),
  headSequence: r.head_sequence === null || r.head_sequence === undefined ? null : toNumber(r.head_sequence),
  createdBy: String(r.created_by),
  createdAt: fromSqlDateTime(r.created_at),
  templateId: r.template_id === null || r.template_id === undefined ? null : String(r.template_id),
  templateVersion: r.template_version === null || r.template_version === undefined ? null : toNumber(r.template_version),
  ownerNode: r.owner_node === null || r.owner_node === undefined ? null : String(r.owner_node),
  heartbeatAt: r.heartbeat_at === null || r.heartbeat_at === undefined ? null : fromSqlDateTime(r.heartbeat_at),
});

/**
 * Every statement on `report` and `report_chunk`. Reads by a client's request take the tenant
 * first; the background work (progress, heartbeats, failing abandoned reports) goes by report id
 * or node, across tenants.
 */
export class ReportRepository {
  constructor(private readonly dataSource: DataSource) {}

  async find(tenantId: string, id: string): Promise<StoredReport | null> {
    const [row]: Record<string, unknown>[] = await this.dataSource.query('SELECT * FROM report WHERE tenant_id = ? AND id = ?', [
      tenantId,
      id,
    ]);
    return row ? rowToReport(row) : null;
  }

  /** Newest first. */
  async list(tenantId: string, limit: number): Promise<StoredReport[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT * FROM report WHERE tenant_id = ? ORDER BY created_at DESC, id DESC LIMIT ${Math.trunc(limit)}`,
      [tenantId],
    );
    return rows.map(rowToReport);
  }

  /** A report stored together with its file, in one transaction: both or neither. */
  async insertWithFile(report: StoredReport, file: Buffer, bundles: Buffer | null = null): Promise<void> {
    await atomically(this.dataSource, [
      insertStatement(report),
      ...chunkStatements(report.id, file),
      ...bundleStatements(report.id, bundles),
    ]);
  }

  /** A report without a file yet (PENDING, generated in the background). */
  async insert(report: StoredReport): Promise<void> {
    await atomically(this.dataSource, [insertStatement(report)]);
  }

  /**
   * Deletes the tenant's reports created before `createdBefore` whose period overlaps [from, to]
   * (a data subject's events, erased: ADR 0042), files and all; how many.
   */
  async purgeOverlapping(tenantId: string, period: { from: string; to: string }, createdBefore: Date): Promise<number> {
    const rows: { id: string }[] = await this.dataSource.query(
      'SELECT id FROM report WHERE tenant_id = ? AND created_at < ? AND period_from <= ? AND period_to >= ?',
      [tenantId, toSqlDateTime(createdBefore.toISOString()), toSqlDateTime(period.to), toSqlDateTime(period.from)],
    );
    for (const { id } of rows) await this.remove(id);
    return rows.length;
  }

  async remove(id: string): Promise<void> {
    await atomically(this.dataSource, [
      { text: 'DELETE FROM report_chunk WHERE report_id = ?', params: [id] },
      { text: 'DELETE FROM report_bundle_chunk WHERE report_id = ?', params: [id] },
      { text: 'DELETE FROM report WHERE id = ?', params: [id] },
    ]);
  }

  /**
   * The tenant's PENDING reports that are still being worked on: a heartbeat at or after
   * `staleBefore`, or none (an older server's) and created at or after `abandonedBefore`.
   */
  async countLivePending(tenantId: string, cutoffs: { staleBefore: Date; abandonedBefore: Date }): Promise<number> {
    const [pending]: { n: unknown }[] = await this.dataSource.query(
      "SELECT COUNT(*) AS n FROM report WHERE tenant_id = ? AND status = 'PENDING' AND (heartbeat_at >= ? OR (heartbeat_at IS NULL AND created_at >= ?))",
      [tenantId, sqlTime(cutoffs.staleBefore), sqlTime(cutoffs.abandonedBefore)],
    );
    return Number(pending.n);
  }

  /** Progress of a PENDING report, which is also a heartbeat. */
  async saveProgress(id: string, percent: number, at: Date): Promise<void> {
    await this.dataSource.query("UPDATE report SET progress = ?, heartbeat_at = ? WHERE id = ? AND status = 'PENDING'", [
      percent,
      sqlTime(at),
      id,
    ]);
  }

  /** The file of a PENDING report, its size, SHA-256 and chain head, in one transaction; the status stays PENDING. */
  async storeFile(report: StoredReport, file: Buffer, bundles: Buffer | null = null): Promise<void> {
    await atomically(this.dataSource, [
      ...chunkStatements(report.id, file),
      ...bundleStatements(report.id, bundles),
      {
        text: "UPDATE report SET size_bytes = ?, sha256 = ?, head_sequence = ?, progress = 100 WHERE id = ? AND status = 'PENDING'",
        params: [report.sizeBytes, report.sha256, report.headSequence, report.id],
      },
    ]);
  }

  async status(id: string): Promise<string | undefined> {
    return (await this.dataSource.query<{ status: string }[]>('SELECT status FROM report WHERE id = ?', [id]))[0]?.status;
  }

  async deleteFile(id: string): Promise<void> {
    await atomically(this.dataSource, [
      { text: 'DELETE FROM report_chunk WHERE report_id = ?', params: [id] },
      { text: 'DELETE FROM report_bundle_chunk WHERE report_id = ?', params: [id] },
    ]);
  }

  /** PENDING → READY (nothing happens to a report failed meanwhile). */
  async markReady(id: string): Promise<void> {
    await this.dataSource.query("UPDATE report SET status = 'READY' WHERE id = ? AND status = 'PENDING'", [id]);
  }

  /** FAILED, keeping an error already given (one a sweep wrote first). */
  async markFailed(id: string, error: string): Promise<void> {
    await this.dataSource.query("UPDATE report SET status = 'FAILED', error = COALESCE(error, ?) WHERE id = ?", [error, id]);
  }

  /** These reports, those still PENDING, FAILED with `error`. */
  async failPending(ids: readonly string[], error: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE report SET status = 'FAILED', error = ? WHERE status = 'PENDING' AND id IN (${ids.map(() => '?').join(', ')})`,
      [error, ...ids],
    );
  }

  /** The heartbeat of every PENDING report a node owns. */
  async beat(ownerNode: string, at: Date): Promise<void> {
    await this.dataSource.query("UPDATE report SET heartbeat_at = ? WHERE owner_node = ? AND status = 'PENDING'", [sqlTime(at), ownerNode]);
  }

  /**
   * Every PENDING report, of any tenant and node, FAILED with `error` whose heartbeat is older than
   * `staleBefore`, or which has none (an older server's) and was created before `abandonedBefore`.
   */
  async failAbandoned(error: string, cutoffs: { staleBefore: Date; abandonedBefore: Date }): Promise<void> {
    await this.dataSource.query(
      "UPDATE report SET status = 'FAILED', error = ? WHERE status = 'PENDING' AND (heartbeat_at < ? OR (heartbeat_at IS NULL AND created_at < ?))",
      [error, sqlTime(cutoffs.staleBefore), sqlTime(cutoffs.abandonedBefore)],
    );
  }

  /** A report's proof bundle file whole (it is text of a few KB an event); null when it was generated without. */
  async bundleFile(reportId: string): Promise<Buffer | null> {
    const rows: { data: Buffer | Uint8Array }[] = await this.dataSource.query(
      'SELECT data FROM report_bundle_chunk WHERE report_id = ? ORDER BY part',
      [reportId],
    );
    return rows.length ? Buffer.concat(rows.map((row) => Buffer.from(row.data))) : null;
  }

  /** Up to `count` pieces of a report's file from piece `fromPart` on, in order. */
  async chunks(reportId: string, fromPart: number, count: number): Promise<Buffer[]> {
    const rows: { data: Buffer | Uint8Array }[] = await this.dataSource.query(
      'SELECT data FROM report_chunk WHERE report_id = ? AND part >= ? AND part < ? ORDER BY part',
      [reportId, fromPart, fromPart + count],
    );
    return rows.map((row) => Buffer.from(row.data));
  }
}
