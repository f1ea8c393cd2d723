import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { IngestService } from '../ingest/ingest.service';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { Logger } from '../observability/logger';
import type { FormatPlugin } from '../plugin-api';
import type { ReportRequest } from './sections/report-section';
import { GENERATED_ACTION, recordReportEvent, type ReportRequester } from './report-events';
import { readyReport, type ReportRenderer } from './report-renderer';
import type { ReportRepository, StoredReport } from './report.repository';

/**
 * A report PENDING this long without any heartbeat (one written before heartbeats existed) is
 * taken for one a crashed server left behind.
 */
export const ABANDONED_AFTER_MINUTES = 60;
/** A PENDING report whose owner missed this many heartbeats is taken for one a crashed node left behind. */
export const HEARTBEATS_BEFORE_STALE = 3;
const ABANDONED_ERROR = 'the server generating it stopped before it was done; generate it again';

export interface QueueSettings {
  /** Reports a tenant may have PENDING at once, across nodes. */
  maxPendingPerTenant: number;
  /** How often a node refreshes the heartbeat of its background reports and fails stale ones of any node. */
  heartbeatSeconds: number;
}

/**
 * The reports generated in the background: accepted up to a number per tenant, generated on this
 * node with their progress saved, and watched by a heartbeat, so that a report a crashed or stopped
 * node left PENDING is failed by any node.
 */
export class BackgroundReports {
  /** This node, as the owner of the background reports it generates: new at every start. */
  readonly nodeId = `${hostname().slice(0, 40)}/${process.pid}/${randomBytes(6).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;
  /** The reports this server is generating in the background, by id. */
  private readonly jobs = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: {
      reports: ReportRepository;
      renderer: ReportRenderer;
      ingest: IngestService;
      settings: QueueSettings;
      logger: Logger;
    },
  ) {}

  /**
   * Stores `report` PENDING, owned by this node, and starts generating it; REPORT_QUEUE_FULL when
   * the tenant has as many PENDING already. Reports with a stale heartbeat do not count, even
   * before a sweep fails them: a crashed node's are not running.
   */
  async enqueue(
    by: ReportRequester,
    plugin: FormatPlugin<unknown>,
    request: ReportRequest,
    report: StoredReport,
    estimate: number,
    now: Date,
  ): Promise<StoredReport> {
    const pending = await this.deps.reports.countLivePending(by.tenantId, this.cutoffs(now));
    const limit = this.deps.settings.maxPendingPerTenant;
    if (pending >= limit) {
      throw new AppError(
        ErrorCode.REPORT_QUEUE_FULL,
        `Your tenant already has ${limit} reports being generated; wait for one to be READY or FAILED (report(id)) and ask again.`,
        { max: limit },
      );
    }
    const owned: StoredReport = { ...report, ownerNode: this.nodeId, heartbeatAt: now.toISOString() };
    await this.deps.reports.insert(owned);
    const job = this.generate(by, plugin, request, report, estimate).finally(() => this.jobs.delete(report.id));
    this.jobs.set(report.id, job);
    return owned;
  }

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
    await this.deps.reports.failPending(ids, ABANDONED_ERROR);
  }

  private async generate(
    by: ReportRequester,
    plugin: FormatPlugin<unknown>,
    request: ReportRequest,
    report: StoredReport,
    estimate: number,
  ): Promise<void> {
    const { reports } = this.deps;
    // Progress follows the event rows read: 5 % when the build starts, 95 % when the last row is in.
    // Best effort: a progress update that fails must not fail the report (nor go unhandled).
    const progress = (percent: number) =>
      reports
        .saveProgress(report.id, percent, new Date())
        .catch((error: unknown) =>
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
      const content = await this.deps.renderer.render(plugin, request, new Date(), onRows);
      await writes;
      const ready = readyReport(report, content.file, content.headSequence);
      await reports.storeFile(ready, content.file, content.bundles);
      const discard = async (why: string) => {
        await reports.deleteFile(ready.id);
        throw new Error(why);
      };
      // Another node may have given it up as abandoned meanwhile: then its file is not kept.
      if ((await reports.status(ready.id)) !== 'PENDING') await discard('the report was marked FAILED while it was being generated');
      try {
        await recordReportEvent(this.deps.ingest, by, GENERATED_ACTION, ready, new Date());
      } catch (error) {
        await reports.deleteFile(ready.id);
        throw error;
      }
      // READY only once the chain holds the generation: a download is checked against that event,
      // so a client that saw READY earlier would have been answered REPORT_DAMAGED.
      await reports.markReady(ready.id);
      if ((await reports.status(ready.id)) !== 'READY') await discard('the report was marked FAILED while it was being generated');
    } catch (error) {
      await writes.catch(() => undefined);
      const message = error instanceof Error ? error.message : String(error);
      this.deps.logger.error({ err: message, report: report.id }, 'background report failed');
      await reports.markFailed(report.id, message.slice(0, 1024)).catch(() => undefined);
    }
  }

  /** Heartbeats older than `staleBefore` are stale; reports without any older than `abandonedBefore` are abandoned. */
  private cutoffs(now: Date): { staleBefore: Date; abandonedBefore: Date } {
    const staleMs = HEARTBEATS_BEFORE_STALE * this.deps.settings.heartbeatSeconds * 1000;
    return {
      staleBefore: new Date(now.getTime() - staleMs),
      abandonedBefore: new Date(now.getTime() - ABANDONED_AFTER_MINUTES * 60_000),
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
      await this.deps.reports.beat(this.nodeId, now);
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
    await this.deps.reports.failAbandoned(ABANDONED_ERROR, this.cutoffs(now));
  }
}
