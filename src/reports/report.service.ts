import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import { v7 as uuidv7 } from 'uuid';
import type { DataSource } from 'typeorm';
import { atomically, type Statement } from '../database/atomically';
import { Classification, Severity } from '../audit/audit-event.model';
import type { ChainVerifier } from '../chain/chain-verifier';
import type { CheckpointService } from '../chain/checkpoint.service';
import type { IngestService } from '../ingest/ingest.service';
import type { SigningKey } from '../chain/signing-key';
import { fromSqlDateTime, toNumber, toSqlDateTime } from '../database/sql-format';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { Logger } from '../observability/logger';
import type { FormatPlugin } from '../plugin-api';
import { pluginLogger } from '../plugin-host/plugin-host';
import type { PluginRegistry } from '../plugin-host/plugin-registry';
import { type ReportBuilder, type ReportRequest, wholeTables } from './report-builder';
import type { ReportTemplate, ReportType } from './report-template';
import type { TemplateService } from './template.service';

/** The actions of the events that record report activity (the auditors are audited). */
export const GENERATED_ACTION = 'datapunk.report.generated';
export const DOWNLOADED_ACTION = 'datapunk.report.downloaded';
const CHUNK = 60_000;
/** Chunks read from the database at a time when a report is downloaded (under half a MiB). */
const CHUNKS_PER_READ = 8;
/**
 * A report PENDING this long without any heartbeat (one written before heartbeats existed) is
 * taken for one a crashed server left behind.
 */
export const ABANDONED_AFTER_MINUTES = 60;
/** A PENDING report whose owner missed this many heartbeats is taken for one a crashed node left behind. */
export const HEARTBEATS_BEFORE_STALE = 3;
const ABANDONED_ERROR = 'the server generating it stopped before it was done; generate it again';

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

export type ReportStatusValue = 'PENDING' | 'READY' | 'FAILED';

export interface GenerateInput {
  type: ReportType;
  format: string;
  frameworkId?: string | null;
  from: string;
  to: string;
  filter?: ReportRequest['filter'];
  /** A template of the tenant (templates made through the API); default: `templates/<type>.json`. */
  templateId?: string | null;
}

export interface ReportSettings {
  /** How long a download URL stays valid. */
  urlTtlSeconds: number;
  /** Reports up to this size come back inline (contentBase64). */
  inlineMaxBytes: number;
  /** Reports whose tables hold more event rows are generated in the background. */
  syncMaxRows: number;
  /** Reports a tenant may have PENDING at once, across nodes. */
  maxPendingPerTenant: number;
  /** How often a node refreshes the heartbeat of its background reports and fails stale ones of any node. */
  heartbeatSeconds: number;
}

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

/** A file in pieces of CHUNK bytes (one empty piece for an empty file). */
function chunkStatements(id: string, content: Buffer): Statement[] {
  const out: Statement[] = [];
  for (let part = 0; part * CHUNK < content.length || part === 0; part += 1) {
    out.push({
      text: 'INSERT INTO report_chunk (report_id, part, data) VALUES (?, ?, ?)',
      params: [id, part, content.subarray(part * CHUNK, (part + 1) * CHUNK)],
    });
  }
  return out;
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
 * Generates reports (builder → format plugin), stores them in the database in chunks (so any node
 * can serve a download), and signs short-lived download URLs with a key derived from the
 * checkpoint signing key (shared by every node already). Generating and downloading are recorded
 * as audit events in the tenant's chain.
 */
export class ReportService {
  private readonly urlKey: Buffer;
  /** This node, as the owner of the background reports it generates: new at every start. */
  readonly nodeId = `${hostname().slice(0, 40)}/${process.pid}/${randomBytes(6).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      dataSource: DataSource;
      builder: ReportBuilder;
      plugins: PluginRegistry;
      ingest: IngestService;
      /** Checks the `datapunk.report.generated` event a download is checked against. */
      verifier: ChainVerifier;
      checkpoints: CheckpointService;
      signingKey: SigningKey;
      templates: Map<ReportType, ReportTemplate>;
      tenantTemplates: TemplateService;
      settings: ReportSettings;
      logger: Logger;
    },
  ) {
    const secret = deps.signingKey.privateKey.export({ type: 'pkcs8', format: 'der' });
    this.urlKey = Buffer.from(hkdfSync('sha256', secret, 'datapunk-audit', 'report download URLs v1', 32));
  }

  /** The format plugin for `docx`, `html`, … (the plugin `format-<name>`). */
  format(name: string): FormatPlugin<unknown> {
    const plugin = this.deps.plugins.formats().find((p) => p.id === `format-${name}`);
    if (!plugin) {
      const known = this.deps.plugins
        .formats()
        .map((p) => p.id.replace(/^format-/, ''))
        .join(', ');
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `No report format "${name}" is loaded (loaded: ${known || 'none'}).`, {
        problems: [{ path: 'input.format', message: `must be one of ${known}` }],
      });
    }
    return plugin;
  }

  async generate(
    by: { tenantId: string; keyId: string; requestId: string },
    input: GenerateInput,
    now = new Date(),
  ): Promise<{ report: StoredReport; content: Buffer | null }> {
    const from = Date.parse(input.from);
    const to = Date.parse(input.to);
    if (!(to > from)) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, 'input.to must be after input.from.', {
        problems: [{ path: 'input.to', message: 'must be after input.from' }],
      });
    }
    const plugin = this.format(input.format);
    const custom = input.templateId ? await this.deps.tenantTemplates.find(by.tenantId, input.templateId) : null;
    if (input.templateId && !custom) throw new AppError(ErrorCode.NOT_FOUND, 'No template of your tenant has this templateId.');
    if (custom && custom.type !== input.type) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `Template "${custom.name}" is for ${custom.type} reports, not ${input.type}.`, {
        problems: [{ path: 'input.templateId', message: `names a ${custom.type} template` }],
      });
    }
    const request: ReportRequest = {
      tenantId: by.tenantId,
      type: input.type,
      frameworkId: input.frameworkId,
      from: input.from,
      to: input.to,
      filter: input.filter,
      template: custom?.definition ?? this.deps.templates.get(input.type)!,
    };
    this.deps.builder.validate(request);
    const id = uuidv7();
    const report: StoredReport = {
      id,
      tenantId: by.tenantId,
      type: input.type,
      format: input.format,
      status: 'PENDING',
      progress: 0,
      error: null,
      frameworkId: input.frameworkId ?? null,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      fileName: `${input.type.toLowerCase().replace(/_/g, '-')}${input.frameworkId ? `-${input.frameworkId}` : ''}-${now.toISOString().slice(0, 10)}-${id.slice(-8)}.${plugin.fileExtension}`,
      mimeType: plugin.mimeType,
      sizeBytes: null,
      sha256: null,
      headSequence: null,
      createdBy: by.keyId,
      createdAt: now.toISOString(),
      templateId: custom?.id ?? null,
      templateVersion: custom?.version ?? null,
      ownerNode: null,
      heartbeatAt: null,
    };

    const estimate = await this.deps.builder.estimateRows(request);
    if (estimate <= this.deps.settings.syncMaxRows) {
      // Small: within the request; nothing is stored unless it all worked.
      const content = await this.render(plugin, request, now);
      const ready = this.ready(report, content.file, content.headSequence);
      await atomically(this.deps.dataSource, [insertStatement(ready), ...chunkStatements(ready.id, content.file)]);
      try {
        await this.record(by, GENERATED_ACTION, ready, now);
      } catch (error) {
        // A report the chain does not know of must not exist: take it back.
        await this.remove(ready.id);
        throw error;
      }
      return { report: ready, content: content.file };
    }
    // Large: answer at once with PENDING; report(id) shows the progress, then READY or FAILED.
    // Reports with a stale heartbeat do not count, even before a sweep fails them: a crashed node's are not running.
    const { staleBefore, abandonedBefore } = this.cutoffs(now);
    const [pending]: { n: unknown }[] = await this.deps.dataSource.query(
      "SELECT COUNT(*) AS n FROM report WHERE tenant_id = ? AND status = 'PENDING' AND (heartbeat_at >= ? OR (heartbeat_at IS NULL AND created_at >= ?))",
      [by.tenantId, staleBefore, abandonedBefore],
    );
    const limit = this.deps.settings.maxPendingPerTenant;
    if (Number(pending.n) >= limit) {
      throw new AppError(
        ErrorCode.REPORT_QUEUE_FULL,
        `Your tenant already has ${limit} reports being generated; wait for one to be READY or FAILED (report(id)) and ask again.`,
        { max: limit },
      );
    }
    const owned: StoredReport = { ...report, ownerNode: this.nodeId, heartbeatAt: now.toISOString() };
    await atomically(this.deps.dataSource, [insertStatement(owned)]);
    const job = this.background(by, plugin, request, report, estimate).finally(() => this.jobs.delete(report.id));
    this.jobs.set(report.id, job);
    return { report: owned, content: null };
  }

  /** The reports this server is generating in the background, by id. */
  private readonly jobs = new Map<string, Promise<void>>();

  /**
   * Waits for the reports being generated in the background (at shutdown, before the database
   * closes), at most `timeoutMs`: those still running then are marked FAILED at once, so that a
   * client polling them learns it now, not an hour later; their files are never stored.
   */
  async drain(timeoutMs: number): Promise<void> {
    if (this.jobs.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const outcome = await Promise.race([Promise.allSettled([...this.jobs.values()]), timedOut]);
    clearTimeout(timer);
    if (outcome !== 'timeout') return;
    const ids = [...this.jobs.keys()];
    this.deps.logger.warn({ reports: ids }, 'the server stops before these background reports are done; they are marked FAILED');
    await this.deps.dataSource.query(
      `UPDATE report SET status = 'FAILED', error = ? WHERE status = 'PENDING' AND id IN (${ids.map(() => '?').join(', ')})`,
      [ABANDONED_ERROR, ...ids],
    );
  }

  private async background(
    by: { tenantId: string; keyId: string; requestId: string },
    plugin: FormatPlugin<unknown>,
    request: ReportRequest,
    report: StoredReport,
    estimate: number,
  ): Promise<void> {
    // Progress follows the event rows read: 5 % when the build starts, 95 % when the last row is in.
    // Best effort: a progress update that fails must not fail the report (nor go unhandled).
    const progress = (percent: number) =>
      this.progress(report.id, percent).catch((error: unknown) =>
        this.deps.logger.warn(
          { err: error instanceof Error ? error.message : String(error), report: report.id },
          'report progress not saved',
        ),
      );
    let writes: Promise<unknown> = progress(5);
    let rows = 0;
    let shown = 5;
    const onRows = (page: number) => {
      rows += page;
      const percent = 5 + Math.floor((90 * Math.min(rows, estimate)) / Math.max(1, estimate));
      if (percent >= shown + 5) {
        shown = percent;
        writes = writes.then(() => progress(percent));
      }
    };
    try {
      // The stamp says when the report was built, not when it was asked for.
      const content = await this.render(plugin, request, new Date(), onRows);
      await writes;
      const ready = this.ready(report, content.file, content.headSequence);
      await atomically(this.deps.dataSource, [
        ...chunkStatements(ready.id, content.file),
        {
          text: "UPDATE report SET size_bytes = ?, sha256 = ?, head_sequence = ?, progress = 100 WHERE id = ? AND status = 'PENDING'",
          params: [ready.sizeBytes, ready.sha256, ready.headSequence, ready.id],
        },
      ]);
      const status = async () =>
        (await this.deps.dataSource.query<{ status: string }[]>('SELECT status FROM report WHERE id = ?', [ready.id]))[0]?.status;
      const discard = async (why: string) => {
        await this.deps.dataSource.query('DELETE FROM report_chunk WHERE report_id = ?', [ready.id]);
        throw new Error(why);
      };
      // Another node may have given it up as abandoned meanwhile: then its file is not kept.
      if ((await status()) !== 'PENDING') await discard('the report was marked FAILED while it was being generated');
      try {
        await this.record(by, GENERATED_ACTION, ready, new Date());
      } catch (error) {
        await this.deps.dataSource.query('DELETE FROM report_chunk WHERE report_id = ?', [ready.id]);
        throw error;
      }
      // READY only once the chain holds the generation: a download is checked against that event,
      // so a client that saw READY earlier would have been answered REPORT_DAMAGED.
      await this.deps.dataSource.query("UPDATE report SET status = 'READY' WHERE id = ? AND status = 'PENDING'", [ready.id]);
      if ((await status()) !== 'READY') await discard('the report was marked FAILED while it was being generated');
    } catch (error) {
      await writes.catch(() => undefined);
      const message = error instanceof Error ? error.message : String(error);
      this.deps.logger.error({ err: message, report: report.id }, 'background report failed');
      await this.deps.dataSource
        .query("UPDATE report SET status = 'FAILED', error = COALESCE(error, ?) WHERE id = ?", [message.slice(0, 1024), report.id])
        .catch(() => undefined);
    }
  }

  private async remove(id: string): Promise<void> {
    await atomically(this.deps.dataSource, [
      { text: 'DELETE FROM report_chunk WHERE report_id = ?', params: [id] },
      { text: 'DELETE FROM report WHERE id = ?', params: [id] },
    ]);
  }

  private progress(id: string, percent: number): Promise<unknown> {
    return this.deps.dataSource.query("UPDATE report SET progress = ?, heartbeat_at = ? WHERE id = ? AND status = 'PENDING'", [
      percent,
      toSqlDateTime(new Date().toISOString()),
      id,
    ]);
  }

  /**
   * Builds and renders: a plugin that streams tables reads event rows from the database while it
   * renders them; any other gets every table whole.
   */
  private async render(
    plugin: FormatPlugin<unknown>,
    request: ReportRequest,
    now: Date,
    onRows?: (rows: number) => void,
  ): Promise<{ file: Buffer; headSequence: number }> {
    const built = await this.deps.builder.build(request, now, onRows);
    const model = plugin.streamsTables ? built : await wholeTables(built);
    const loaded = this.deps.plugins.get(plugin.id);
    const rendered = await plugin.render(model, { options: loaded?.options ?? {}, logger: pluginLogger(this.deps.logger, plugin.id) });
    const file = typeof rendered === 'string' ? Buffer.from(rendered, 'utf8') : Buffer.from(rendered);
    return { file, headSequence: model.integrity.headSequence };
  }

  private ready(report: StoredReport, file: Buffer, headSequence: number): StoredReport {
    return {
      ...report,
      status: 'READY',
      progress: 100,
      sizeBytes: file.length,
      sha256: createHash('sha256').update(file).digest('hex'),
      headSequence,
    };
  }

  /** Heartbeats older than `staleBefore` are stale; reports without any older than `abandonedBefore` are abandoned. */
  private cutoffs(now: Date): { staleBefore: string; abandonedBefore: string } {
    const staleMs = HEARTBEATS_BEFORE_STALE * this.deps.settings.heartbeatSeconds * 1000;
    return {
      staleBefore: toSqlDateTime(new Date(now.getTime() - staleMs).toISOString()),
      abandonedBefore: toSqlDateTime(new Date(now.getTime() - ABANDONED_AFTER_MINUTES * 60_000).toISOString()),
    };
  }

  /**
   * Starts the heartbeat: at once and every REPORT_HEARTBEAT_SECONDS, this node refreshes the
   * heartbeat of the background reports it owns, then fails every PENDING report of any node whose
   * heartbeat is older than HEARTBEATS_BEFORE_STALE heartbeats (a crashed or stopped node's: it
   * will never finish them). Failed, not resumed: the request behind a report (its key, filter and
   * template version) is not stored, and the client learns at once that it must ask again.
   */
  async start(): Promise<void> {
    await this.beat();
    // A beat still running (a slow database) is not joined by another.
    let beating = false;
    this.timer = setInterval(() => {
      if (beating) return;
      beating = true;
      void this.beat().finally(() => (beating = false));
    }, this.deps.settings.heartbeatSeconds * 1000);
    this.timer.unref();
  }

  /** Stops the heartbeat (at shutdown, after {@link drain}). */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One heartbeat: own reports refreshed, stale ones of any node failed; a failure is logged, never thrown. */
  async beat(now = new Date()): Promise<void> {
    try {
      await this.deps.dataSource.query("UPDATE report SET heartbeat_at = ? WHERE owner_node = ? AND status = 'PENDING'", [
        toSqlDateTime(now.toISOString()),
        this.nodeId,
      ]);
      await this.failAbandoned(now);
    } catch (error) {
      this.deps.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'report heartbeat failed');
    }
  }

  /**
   * Reports left PENDING by a node that stopped before finishing them become FAILED: those whose
   * heartbeat is stale, and those without a heartbeat (older servers) PENDING for ABANDONED_AFTER_MINUTES.
   */
  async failAbandoned(now = new Date()): Promise<void> {
    const { staleBefore, abandonedBefore } = this.cutoffs(now);
    await this.deps.dataSource.query(
      "UPDATE report SET status = 'FAILED', error = ? WHERE status = 'PENDING' AND (heartbeat_at < ? OR (heartbeat_at IS NULL AND created_at < ?))",
      [ABANDONED_ERROR, staleBefore, abandonedBefore],
    );
  }

  private async record(
    by: { tenantId: string; keyId: string; requestId: string },
    action: string,
    r: StoredReport,
    now: Date,
  ): Promise<void> {
    await this.deps.ingest.recordServerEvent(by.tenantId, {
      occurredAt: now.toISOString(),
      keyId: by.keyId,
      requestId: by.requestId,
      action,
      resource: { type: 'report', id: r.id, name: r.fileName },
      severity: Severity.NOTICE,
      classification: Classification.CONFIDENTIAL,
      metadata: {
        type: r.type,
        format: r.format,
        sha256: r.sha256,
        sizeBytes: r.sizeBytes,
        headSequence: r.headSequence,
        frameworkId: r.frameworkId,
        templateId: r.templateId,
        templateVersion: r.templateVersion,
      },
    });
  }

  async find(tenantId: string, id: string): Promise<StoredReport | null> {
    const [row]: Record<string, unknown>[] = await this.deps.dataSource.query('SELECT * FROM report WHERE tenant_id = ? AND id = ?', [
      tenantId,
      id,
    ]);
    return row ? rowToReport(row) : null;
  }

  async list(tenantId: string, limit: number): Promise<StoredReport[]> {
    const rows: Record<string, unknown>[] = await this.deps.dataSource.query(
      `SELECT * FROM report WHERE tenant_id = ? ORDER BY created_at DESC, id DESC LIMIT ${Math.trunc(limit)}`,
      [tenantId],
    );
    return rows.map(rowToReport);
  }

  /**
   * The size and SHA-256 the chain recorded for a report, from its `datapunk.report.generated`
   * event, or why that cannot be relied on: no such event, or a chain that does not verify from
   * that event to the first trusted checkpoint after it (or to the head when there is none). So an
   * edit of the event, rehashed or not, has to be carried through every event up to a signed
   * checkpoint, which it cannot match. Checkpoints of keys no longer trusted are passed over here:
   * they make `verifyAuditChain` fail, but say nothing about this event.
   */
  private async recorded(report: StoredReport): Promise<{ sizeBytes: number; sha256: string } | string> {
    const [event]: { sequence: unknown; metadata: unknown }[] = await this.deps.dataSource.query(
      "SELECT sequence, metadata FROM audit_event WHERE tenant_id = ? AND resource_type = 'report' AND resource_id = ? AND action = ? ORDER BY sequence LIMIT 1",
      [report.tenantId, report.id, GENERATED_ACTION],
    );
    if (!event) return `report ${report.id} has no ${GENERATED_ACTION} event in the chain`;
    const sequence = toNumber(event.sequence);
    const { verifier, checkpoints } = this.deps;
    const anchor = await checkpoints.firstTrusted(report.tenantId, verifier.trustedKeys, sequence + 1);
    const check = await verifier.verify(report.tenantId, sequence, anchor?.sequence ?? null, { untrusted: 'skip' });
    if (!check.valid) {
      const failure = check.firstFailure;
      return `the chain from the ${GENERATED_ACTION} event of report ${report.id} (sequence ${sequence}) fails verification: ${failure?.reason} at ${failure?.sequence}: ${failure?.message}`;
    }
    try {
      const metadata = JSON.parse(String(event.metadata)) as { sizeBytes?: unknown; sha256?: unknown };
      const { sizeBytes, sha256 } = metadata;
      if (typeof sizeBytes === 'number' && typeof sha256 === 'string') return { sizeBytes, sha256 };
    } catch {
      // reported below
    }
    return `the ${GENERATED_ACTION} event of report ${report.id} carries no size and SHA-256`;
  }

  /**
   * Reads a stored report through once and returns it with the size and SHA-256 of its chain
   * event; REPORT_DAMAGED unless the chain has the event, the `report` row agrees with it and the
   * file's bytes hash to it. The chain, not the row, is the reference: a file forged together with
   * its `size_bytes` and `sha256` columns still fails.
   */
  private async verify(report: StoredReport): Promise<StoredReport> {
    const damaged = (reason: string) => {
      this.deps.logger.error({ err: reason, report: report.id }, 'stored report damaged');
      return new AppError(
        ErrorCode.REPORT_DAMAGED,
        'The stored file of this report does not match the SHA-256 recorded in the audit chain when it was generated; generate the report again.',
      );
    };
    const recorded = await this.recorded(report);
    if (typeof recorded === 'string') throw damaged(recorded);
    if (recorded.sha256 !== report.sha256 || recorded.sizeBytes !== report.sizeBytes) {
      throw damaged(
        `report ${report.id} is stored as ${report.sizeBytes} bytes, ${report.sha256}; the chain recorded ${recorded.sizeBytes} bytes, ${recorded.sha256}`,
      );
    }
    const checked = { ...report, ...recorded };
    try {
      for await (const _bytes of this.content(checked));
    } catch (error) {
      throw damaged(error instanceof Error ? error.message : String(error));
    }
    return checked;
  }

  /**
   * A stored report's bytes, read a few chunks at a time, checked against `report.sizeBytes` and
   * `report.sha256` (in a download, those of the chain event: see {@link verify}). The last chunk is held back until the whole file checks out:
   * a damaged file throws before its end, so a download of it is cut off instead of completing.
   */
  async *content(report: StoredReport): AsyncGenerator<Buffer> {
    const hash = createHash('sha256');
    let size = 0;
    let held: Buffer | null = null;
    for (let part = 0; ; part += CHUNKS_PER_READ) {
      const rows: { data: Buffer | Uint8Array }[] = await this.deps.dataSource.query(
        'SELECT data FROM report_chunk WHERE report_id = ? AND part >= ? AND part < ? ORDER BY part',
        [report.id, part, part + CHUNKS_PER_READ],
      );
      for (const row of rows) {
        if (held) yield held;
        held = Buffer.from(row.data);
        hash.update(held);
        size += held.length;
      }
      if (rows.length < CHUNKS_PER_READ) break;
    }
    const sha256 = hash.digest('hex');
    if (size !== report.sizeBytes || sha256 !== report.sha256) {
      throw new Error(
        `report ${report.id} is damaged: ${size} bytes with SHA-256 ${sha256}, generated as ${report.sizeBytes} bytes, ${report.sha256}`,
      );
    }
    if (held) yield held;
  }

  /** A URL path that lets its holder download one report until `expires` (seconds since 1970). */
  downloadPath(r: StoredReport, keyId: string, now = Date.now()): string {
    const expires = Math.floor(now / 1000) + this.deps.settings.urlTtlSeconds;
    const sig = this.sign(r.tenantId, r.id, keyId, expires);
    return `/reports/${encodeURIComponent(r.tenantId)}/${r.id}?key=${encodeURIComponent(keyId)}&expires=${expires}&sig=${sig}`;
  }

  private sign(tenantId: string, id: string, keyId: string, expires: number): string {
    return createHmac('sha256', this.urlKey).update(`${tenantId}\n${id}\n${keyId}\n${expires}`).digest('base64url');
  }

  /**
   * Checks a download URL and the stored file, and returns the report and its bytes (read as
   * they are sent, see {@link content}); records the download in the chain unless `head`. Throws
   * FORBIDDEN for a bad signature or a revoked key, DOWNLOAD_EXPIRED for an expired URL,
   * REPORT_DAMAGED for a file that no longer matches the size and SHA-256 of its
   * `datapunk.report.generated` chain event (or has none), NOT_FOUND otherwise.
   */
  async download(
    url: URL,
    requestId: string,
    options: { head?: boolean } = {},
    now = Date.now(),
  ): Promise<{ report: StoredReport; content: AsyncIterable<Buffer> }> {
    const match = /^\/reports\/([^/]+)\/([0-9a-f-]{36})$/.exec(url.pathname);
    const keyId = url.searchParams.get('key') ?? '';
    const expires = Number(url.searchParams.get('expires'));
    const sig = url.searchParams.get('sig') ?? '';
    if (!match || !keyId || !Number.isSafeInteger(expires)) throw new AppError(ErrorCode.NOT_FOUND, 'Not a report download URL.');
    let tenantId: string;
    try {
      tenantId = decodeURIComponent(match[1]);
    } catch {
      throw new AppError(ErrorCode.NOT_FOUND, 'Not a report download URL.');
    }
    const expected = Buffer.from(this.sign(tenantId, match[2], keyId, expires));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AppError(ErrorCode.FORBIDDEN, 'The download URL is not one this server signed (tampered or for another report).');
    }
    if (expires * 1000 <= now)
      throw new AppError(ErrorCode.DOWNLOAD_EXPIRED, 'The download URL has expired; ask report(id) for a fresh downloadUrl.');
    // The URL carries the key that asked for it: revoking that key withdraws its URLs at once.
    const [key]: { revoked_at: unknown }[] = await this.deps.dataSource.query(
      'SELECT revoked_at FROM api_key WHERE id = ? AND tenant_id = ?',
      [keyId, tenantId],
    );
    if (!key || key.revoked_at !== null) throw new AppError(ErrorCode.FORBIDDEN, 'The key this download URL was issued to is revoked.');
    const found = await this.find(tenantId, match[2]);
    if (!found || found.status !== 'READY') throw new AppError(ErrorCode.NOT_FOUND, 'No such report, or it is not READY.');
    // The whole file is checked against the chain before a byte goes out, so a damaged one gets a coded error.
    const report = await this.verify(found);
    if (options.head) return { report, content: nothing() };
    // Recorded as the download starts: no file leaves without its event in the chain.
    await this.record({ tenantId, keyId, requestId }, DOWNLOADED_ACTION, report, new Date(now));
    return { report, content: this.content(report) };
  }
}

async function* nothing(): AsyncGenerator<Buffer> {}
