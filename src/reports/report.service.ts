import { v7 as uuidv7 } from 'uuid';
import type { DataSource } from 'typeorm';
import type { Sql } from '../database/sql';
import type { AuditEventRepository } from '../audit/audit-event.repository';
import type { ChainVerifier } from '../chain/chain-verifier';
import type { CheckpointService } from '../chain/checkpoint.service';
import { MAX_BUNDLED_EVENTS, type ProofBundles } from '../chain/proof-bundle.service';
import type { IngestService } from '../ingest/ingest.service';
import type { SigningKey } from '../chain/signing-key';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { Logger } from '../observability/logger';
import type { FormatPlugin } from '../plugin-api';
import type { PluginRegistry } from '../plugin-host/plugin-registry';
import type { ReportBuilder } from './report-builder';
import type { ReportRequest } from './sections/report-section';
import { type KeyStatus, ReportDownloads } from './report-download.service';
import { GENERATED_ACTION, recordReportEvent, type ReportRequester } from './report-events';
import { BackgroundReports } from './report-queue.service';
import { readyReport, ReportRenderer } from './report-renderer';
import { ReportRepository, type StoredReport } from './report.repository';
import { type ReportTemplate, ReportType } from './report-template';
import type { TemplateService } from './template.service';

export interface GenerateInput {
  type: ReportType;
  format: string;
  frameworkId?: string | null;
  from: string;
  to: string;
  /** COMPLIANCE_SUMMARY, CONTROL_ASSESSMENT: the assessment's as-of instant. */
  asOf?: string | null;
  filter?: ReportRequest['filter'];
  /** A template of the tenant (templates made through the API); default: `templates/<type>.json`. */
  templateId?: string | null;
  /** SUBJECT_ACCESS only (exportDataSubject): the subject's reference and the condition that picks its events. */
  subject?: { ref: string; condition: Sql } | null;
  /** Also store a proof bundle file of every event the report lists (ADR 0049). */
  proofBundles?: boolean | null;
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

/**
 * Generates reports (builder → format plugin), small ones within the request and large ones in
 * the background ({@link BackgroundReports}), stores them in the database in chunks (so any node
 * can serve a download), and serves them at signed download URLs ({@link ReportDownloads}).
 * Generating and downloading are recorded as audit events in the tenant's chain.
 */
export class ReportService {
  private readonly reports: ReportRepository;
  private readonly renderer: ReportRenderer;
  private readonly background: BackgroundReports;
  private readonly downloads: ReportDownloads;

  constructor(
    private readonly deps: {
      dataSource: DataSource;
      builder: ReportBuilder;
      plugins: PluginRegistry;
      ingest: IngestService;
      /** The audit module's event reads (a download's `datapunk.report.generated` event). */
      events: AuditEventRepository;
      /** Checks the `datapunk.report.generated` event a download is checked against. */
      verifier: ChainVerifier;
      checkpoints: CheckpointService;
      /** Proof bundles of the events a report lists (ADR 0049). */
      bundles: ProofBundles;
      signingKey: SigningKey;
      /** Whether the key a download URL was issued to still stands (the auth module's ApiKeyService). */
      keys: KeyStatus;
      templates: Map<ReportType, ReportTemplate>;
      tenantTemplates: TemplateService;
      settings: ReportSettings;
      logger: Logger;
    },
  ) {
    const { builder, plugins, ingest, settings, logger } = deps;
    this.reports = new ReportRepository(deps.dataSource);
    this.renderer = new ReportRenderer({ builder, plugins, logger, bundles: deps.bundles });
    this.background = new BackgroundReports({ reports: this.reports, renderer: this.renderer, ingest, settings, logger });
    this.downloads = new ReportDownloads({
      reports: this.reports,
      events: deps.events,
      keys: deps.keys,
      ingest,
      verifier: deps.verifier,
      checkpoints: deps.checkpoints,
      signingKey: deps.signingKey,
      urlTtlSeconds: settings.urlTtlSeconds,
      logger,
    });
  }

  /** This node, as the owner of the background reports it generates: new at every start. */
  get nodeId(): string {
    return this.background.nodeId;
  }

  /** The format plugin for `docx`, `html`, … (the plugin `format-<name>`). */
  format(name: string): FormatPlugin<unknown> {
    return this.renderer.format(name);
  }

  async generate(by: ReportRequester, input: GenerateInput, now = new Date()): Promise<{ report: StoredReport; content: Buffer | null }> {
    const from = Date.parse(input.from);
    const to = Date.parse(input.to);
    if (!(to > from)) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, 'input.to must be after input.from.', {
        problems: [{ path: 'input.to', message: 'must be after input.from' }],
      });
    }
    if ((input.type === ReportType.SUBJECT_ACCESS) !== !!input.subject) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, 'A SUBJECT_ACCESS report is made by exportDataSubject, for one data subject.', {
        problems: [{ path: 'input.type', message: 'SUBJECT_ACCESS: use exportDataSubject' }],
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
      asOf: input.asOf ?? null,
      filter: input.subject ? { ...input.filter, condition: input.subject.condition } : input.filter,
      template: custom?.definition ?? this.deps.templates.get(input.type)!,
      subject: input.subject ? { ref: input.subject.ref } : null,
      proofBundles: input.proofBundles === true,
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
    if (request.proofBundles && estimate > MAX_BUNDLED_EVENTS) {
      throw new AppError(
        ErrorCode.INVALID_ARGUMENT,
        `A report with proof bundles lists at most ${MAX_BUNDLED_EVENTS} events; this one would list ${estimate}. Narrow the period or the filter.`,
        { problems: [{ path: 'input.proofBundles', message: `at most ${MAX_BUNDLED_EVENTS} events` }] },
      );
    }
    if (estimate <= this.deps.settings.syncMaxRows) {
      // Small: within the request; nothing is stored unless it all worked.
      const content = await this.renderer.render(plugin, request, now);
      const ready = readyReport(report, content.file, content.headSequence);
      await this.reports.insertWithFile(ready, content.file, content.bundles);
      try {
        await recordReportEvent(this.deps.ingest, by, GENERATED_ACTION, ready, now);
      } catch (error) {
        // A report the chain does not know of must not exist: take it back.
        await this.reports.remove(ready.id);
        throw error;
      }
      return { report: ready, content: content.file };
    }
    // Large: answer at once with PENDING; report(id) shows the progress, then READY or FAILED.
    return { report: await this.background.enqueue(by, plugin, request, report, estimate, now), content: null };
  }

  /**
   * A SUBJECT_ACCESS report of one data subject (exportDataSubject). Its period is the span of the
   * subject's events, so the erasure of the subject, which deletes the reports created before it
   * whose period overlaps that span (ADR 0042), deletes the export too.
   */
  exportSubject(
    by: ReportRequester,
    subject: { ref: string; condition: Sql; from: string | null; to: string | null },
    format: string,
    now = new Date(),
  ): Promise<{ report: StoredReport; content: Buffer | null }> {
    // No events left (pruned): an empty export over an instant; it holds no personal data to purge.
    const from = subject.from ?? now.toISOString();
    const to = new Date(Date.parse(subject.to ?? from) + 1).toISOString();
    return this.generate(
      by,
      { type: ReportType.SUBJECT_ACCESS, format, from, to, subject: { ref: subject.ref, condition: subject.condition } },
      now,
    );
  }

  /**
   * The proof bundle file of a READY report of the tenant (C2SP tlog-proofs, one after another):
   * NOT_FOUND for no such report, null when it was generated without `proofBundles`.
   */
  async proofBundles(tenantId: string, id: string): Promise<{ report: StoredReport; bundles: string | null }> {
    const report = await this.reports.find(tenantId, id);
    if (!report) throw new AppError(ErrorCode.NOT_FOUND, 'No report of your tenant has this id.');
    if (report.status !== 'READY') return { report, bundles: null };
    const file = await this.reports.bundleFile(id);
    return { report, bundles: file === null ? null : file.toString('utf8') };
  }

  find(tenantId: string, id: string): Promise<StoredReport | null> {
    return this.reports.find(tenantId, id);
  }

  /** The tenant's reports, newest first. */
  list(tenantId: string, limit: number): Promise<StoredReport[]> {
    return this.reports.list(tenantId, limit);
  }

  /** See {@link BackgroundReports.start}: the heartbeat of background reports. */
  start(): Promise<void> {
    return this.background.start();
  }

  /** Stops the heartbeat (at shutdown, after {@link drain}). */
  stop(): void {
    this.background.stop();
  }

  /** See {@link BackgroundReports.drain}: waits for the background reports at shutdown, then fails the rest. */
  drain(timeoutMs: number): Promise<void> {
    return this.background.drain(timeoutMs);
  }

  /** One heartbeat (see {@link BackgroundReports.beat}). */
  beat(now = new Date()): Promise<void> {
    return this.background.beat(now);
  }

  /** See {@link BackgroundReports.failAbandoned}. */
  failAbandoned(now = new Date()): Promise<void> {
    return this.background.failAbandoned(now);
  }

  /** A URL path that lets its holder download one report for REPORT_URL_TTL_SECONDS. */
  downloadPath(r: StoredReport, keyId: string, now = Date.now()): string {
    return this.downloads.downloadPath(r, keyId, now);
  }

  /** See {@link ReportDownloads.download}. */
  download(
    url: URL,
    requestId: string,
    options: { head?: boolean } = {},
    now = Date.now(),
  ): Promise<{ report: StoredReport; content: AsyncIterable<Buffer> }> {
    return this.downloads.download(url, requestId, options, now);
  }

  /** See {@link ReportDownloads.content}: a stored report's bytes, checked as they are read. */
  content(report: StoredReport): AsyncGenerator<Buffer> {
    return this.downloads.content(report);
  }
}
