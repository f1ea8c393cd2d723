import type { AuditEventRepository, EventQuery, ListedEvent } from '../audit/audit-event.repository';
import type { ChainHeads } from '../chain/chain-head';
import type { CheckpointService } from '../chain/checkpoint.service';
import type { PublicSigningKey } from '../chain/signing-key';
import { type AssessmentHistoryService, MAX_HISTORY_BUCKETS } from '../compliance/assessment-history.service';
import { HistoryGranularity } from '../compliance/assessment-history';
import type { ComplianceService } from '../compliance/compliance.service';
import type { FindingsService } from '../compliance/findings.service';
import { chartProblems, type ReportBlock, type ReportModel, type ReportSection, type TableBlock, type TableCell } from '../plugin-api';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { MAX_TABLE_ROWS, type ReportEventColumn, ReportType } from './report-template';
import type { EventScopes, ReportRequest, SectionContext } from './sections/report-section';
import { SECTION_BUILDERS, sectionBuilder } from './sections/section-registry';
import { withholdOthers } from '../privacy/personal-data.service';

export interface ReportDeps {
  events: AuditEventRepository;
  compliance: ComplianceService;
  /** Findings and their states, for the findings register. */
  findings: FindingsService;
  /** Stored assessment runs, for the status trend (ADR 0039). */
  history: AssessmentHistoryService;
  checkpoints: CheckpointService;
  /** The chain module's heads: the head a report without an assessment describes. */
  heads: ChainHeads;
  /** The keys a checkpoint in the integrity stamp must be signed with (the verifier's). */
  trustedKeys: readonly PublicSigningKey[];
}

const TITLES: Record<ReportType, string> = {
  [ReportType.COMPLIANCE_SUMMARY]: 'Compliance summary',
  [ReportType.CONTROL_ASSESSMENT]: 'Control assessment',
  [ReportType.AUDIT_TRAIL]: 'Audit trail',
  [ReportType.SECURITY_INCIDENTS]: 'Security incidents',
  [ReportType.DATA_ACCESS]: 'Access to personal data',
  [ReportType.SUBJECT_ACCESS]: 'Subject access export',
};

const COLUMN_TITLES: Record<ReportEventColumn, string> = {
  sequence: 'Seq.',
  id: 'Event id',
  occurredAt: 'Occurred (UTC)',
  actor: 'Actor',
  actorType: 'Actor type',
  actorIp: 'IP address',
  actorUserAgent: 'User agent',
  action: 'Action',
  resource: 'Resource',
  resourceName: 'Resource name',
  outcome: 'Outcome',
  severity: 'Severity',
  classification: 'Classification',
  categories: 'Categories',
  metadata: 'Metadata',
  hash: 'Event hash',
};

/**
 * Events read per statement for a streamed table. Small enough that what a page holds (its rows,
 * cells and markup) dies young; with pages of 1,000 it outlived collections and grew the server's
 * heap by some 100 MiB during a 50,000-event DOCX (ADR 0029, 2026-12-06). The next page is read
 * while the format renders one, so at most two pages are held.
 */
const PAGE = 250;
const needsFramework = (type: ReportType) => type === ReportType.COMPLIANCE_SUMMARY || type === ReportType.CONTROL_ASSESSMENT;

/**
 * Builds the format-neutral report model of a request from the database: assessments and grouped
 * counts for the compliance and incident types, pages of events for the event tables. Every number
 * describes one chain head, named in the integrity stamp.
 */
export class ReportBuilder {
  constructor(private readonly deps: ReportDeps) {}

  /**
   * The framework's stored runs over the report's period, by day up to 92 days and by week beyond,
   * the newest 366 buckets of a longer period.
   */
  private async statusTrend(req: ReportRequest) {
    const DAY_MS = 86_400_000;
    const [from, to] = [Date.parse(req.from), Date.parse(req.to)];
    const granularity = to - from <= 92 * DAY_MS ? HistoryGranularity.DAY : HistoryGranularity.WEEK;
    const span = (MAX_HISTORY_BUCKETS - 1) * (granularity === HistoryGranularity.DAY ? 1 : 7) * DAY_MS;
    const start = new Date(Math.max(from, to - span)).toISOString();
    return this.deps.history.statusTrend(req.tenantId, req.frameworkId!, start, req.to, granularity);
  }

  /** The request errors a build would meet, found before anything is stored or started. */
  validate(req: Pick<ReportRequest, 'type' | 'frameworkId'>): void {
    if (needsFramework(req.type) && !req.frameworkId) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `A ${req.type} report needs a frameworkId.`, {
        problems: [{ path: 'input.frameworkId', message: 'is required for this type' }],
      });
    }
    if (req.frameworkId) this.deps.compliance.framework(req.frameworkId); // NOT_FOUND
  }

  /**
   * The model of a request. Event tables come with `rowPages`, read from the database while the
   * model is rendered; `onRows` hears of each page read, `listed` receives the sequence of every
   * event the report lists (table rows and sample events), as they are read.
   */
  async build(req: ReportRequest, now = new Date(), onRows?: (rows: number) => void, listed?: Set<number>): Promise<ReportModel> {
    this.validate(req);
    const framed = needsFramework(req.type);
    const assessment = framed
      ? await this.deps.compliance.assess(req.tenantId, { frameworkId: req.frameworkId!, from: req.from, to: req.to, asOf: req.asOf }, now)
      : null;
    const head = assessment
      ? { sequence: assessment.headSequence, chainHash: assessment.headChainHash ?? '' }
      : await this.deps.heads.head(req.tenantId);
    const scope: EventQuery = { ...req.filter, occurredFrom: req.from, occurredTo: req.to, sequenceTo: head.sequence };
    // The latest checkpoint the stamped head covers (a newer one would name events the report does not count).
    const checkpoint = await this.deps.checkpoints.latestTrusted(req.tenantId, this.deps.trustedKeys, head.sequence);
    const framework = req.frameworkId ? this.deps.compliance.framework(req.frameworkId).framework : null;

    // Findings name their sample events by id, as auditEvent(id:) finds them.
    const samples = assessment ? [...new Set(assessment.controls.flatMap((c) => c.samples))] : [];
    for (const s of samples) listed?.add(s);
    const eventIds = new Map((await this.deps.events.findBySequences(req.tenantId, samples)).map((e) => [e.sequence, e.id]));
    const scopes = this.scopes(scope);
    const sections: ReportSection[] = [];
    for (const s of req.template.sections) {
      const ctx: SectionContext = {
        req,
        scopes,
        assessment,
        eventIds,
        limit: s.options.limit,
        columns: s.options.columns,
        compliance: this.deps.compliance,
        findings: async (controlId, perRule) =>
          assessment ? this.deps.findings.forControl(req.tenantId, assessment, controlId, perRule) : [],
        statusTrend: () => this.statusTrend(req),
        count: (q) => this.deps.events.count(req.tenantId, q),
        stats: (q, by, limit) => this.deps.events.stats(req.tenantId, q, by, limit),
        eventTable: (q, limit) => this.eventTable(req.tenantId, q, limit, s.options.columns, onRows, req.subject?.ref ?? null, listed),
      };
      const blocks = await sectionBuilder(req.type, s.id).build(ctx);
      checkCharts(s.id, blocks);
      sections.push({
        id: s.id,
        title: s.title ?? s.id,
        blocks: s.options.intro ? [{ type: 'paragraph', text: s.options.intro }, ...blocks] : blocks,
      });
    }
    const { branding } = req.template;
    return {
      title: req.template.title ?? `${TITLES[req.type]}${framework ? ` — ${framework.name}` : ''}`,
      metadata: {
        reportType: req.type,
        ...(framework ? { framework: `${framework.name} (${framework.version})` } : {}),
        period: `${req.from} – ${req.to}`,
        ...(branding.organisation ? { organisation: branding.organisation } : {}),
        generator: 'DataPunk Audit',
      },
      branding,
      integrity: {
        tenantId: req.tenantId,
        from: req.from,
        to: req.to,
        headSequence: head.sequence,
        headChainHash: head.chainHash ?? '',
        checkpoint: checkpoint
          ? {
              sequence: checkpoint.sequence,
              chainHash: checkpoint.chainHash,
              keyId: checkpoint.keyId,
              signature: checkpoint.signature,
              issuedAt: checkpoint.issuedAt,
            }
          : null,
        generatedAt: now.toISOString(),
      },
      sections,
    };
  }

  /** The events of the report and the subsets the incident and data-access sections count and list. */
  private scopes(scope: EventQuery): EventScopes {
    const { queries } = this.deps.compliance;
    return {
      all: scope,
      failures: { ...scope, condition: queries.matchCondition({ outcome: ['FAILURE', 'DENIED', 'ERROR'] }) },
      personal: { ...scope, condition: queries.matchCondition({ categories: ['PII', 'PHI'] }) },
      highSeverity: { ...scope, minSeverity: 'ERROR' as never },
    };
  }

  /**
   * How many event rows the request's tables will hold (before anything is built): what decides
   * whether it is generated within the request or in the background.
   */
  async estimateRows(req: ReportRequest): Promise<number> {
    const scopes = this.scopes({ ...req.filter, occurredFrom: req.from, occurredTo: req.to });
    let rows = 0;
    for (const s of req.template.sections) {
      const table = Object.hasOwn(SECTION_BUILDERS[req.type], s.id) ? SECTION_BUILDERS[req.type][s.id].eventRows : undefined;
      if (table) rows += Math.min(s.options.limit ?? table.defaultLimit, await this.deps.events.count(req.tenantId, table.query(scopes)));
    }
    return rows;
  }

  /**
   * One row per event, oldest first, at most `limit`: the rows are read from the database a page
   * at a time while the format renders them (`rowPages`), never all at once. The count is of the
   * stamped head's events, so the caption and the rows agree however long the rendering takes.
   */
  private async eventTable(
    tenantId: string,
    query: EventQuery,
    limit = MAX_TABLE_ROWS,
    columns: ReportEventColumn[] | undefined,
    onRows: ((rows: number) => void) | undefined,
    /** SUBJECT_ACCESS: the exported subject's reference; other subjects' sealed fields are withheld. */
    subjectRef: string | null,
    listed: Set<number> | undefined,
  ): Promise<TableBlock> {
    const cols: ReportEventColumn[] = columns ?? ['sequence', 'occurredAt', 'actor', 'action', 'resource', 'outcome', 'severity'];
    const total = await this.deps.events.count(tenantId, query);
    const shown = Math.min(total, limit);
    return {
      type: 'table',
      caption: total > shown ? `The first ${shown} of ${total} events (the template's limit).` : `${shown} events.`,
      columns: cols.map((c) => ({ key: c, title: COLUMN_TITLES[c], align: c === 'sequence' ? 'right' : 'left' })),
      rows: [],
      rowPages: this.eventPages(tenantId, query, shown, cols, onRows, subjectRef, listed),
    };
  }

  /** The table's rows a page at a time; the next page is read while the format renders this one. */
  private async *eventPages(
    tenantId: string,
    query: EventQuery,
    limit: number,
    cols: ReportEventColumn[],
    onRows: ((rows: number) => void) | undefined,
    subjectRef: string | null,
    listed: Set<number> | undefined,
  ): AsyncGenerator<TableCell[][]> {
    const scan = await this.deps.events.scanAscending(tenantId, query);
    // Labels are a second statement per page: read only when the table shows the categories.
    const withLabels = cols.includes('categories');
    const read = async (after: number | null, size: number) => {
      const page = await scan(after, size);
      if (!page.events.length) return { rows: [], sequences: [], hasNextPage: false };
      const labels = withLabels
        ? await this.deps.events.labelsFor(
            tenantId,
            page.events.map((e) => e.id),
          )
        : null;
      const events = subjectRef === null ? page.events : page.events.map((e) => withholdOthers(e, subjectRef));
      return {
        rows: events.map((e) => cols.map((c) => cell(e, c, labels?.get(e.id)?.categories ?? []))),
        sequences: page.events.map((e) => e.sequence),
        hasNextPage: page.hasNextPage,
      };
    };
    let done = 0;
    let pending = limit > 0 ? read(null, Math.min(PAGE, limit)) : null;
    while (pending) {
      const page = await pending;
      pending = null;
      if (!page.rows.length) break;
      done += page.rows.length;
      if (page.hasNextPage && done < limit) {
        pending = read(page.sequences[page.sequences.length - 1], Math.min(PAGE, limit - done));
        // A format that stops reading early leaves this read unawaited: its failure is not unhandled.
        pending.catch(() => undefined);
      }
      // The events the report lists (its proof bundles, ADR 0049): the pages handed to the format.
      for (const sequence of page.sequences) listed?.add(sequence);
      yield page.rows;
      onRows?.(page.rows.length);
    }
  }
}

/**
 * Fails the build when a section made a chart the plugin contract refuses (a bug of the section,
 * not of the request): no format is handed a chart it cannot draw.
 */
function checkCharts(sectionId: string, blocks: ReportBlock[]): void {
  for (const block of blocks) {
    if (block.type !== 'chart') continue;
    const problems = chartProblems(block);
    if (problems.length > 0)
      throw new Error(
        `Report section "${sectionId}" built the chart "${block.title}" with ${problems.map((p) => `${p.code} at ${p.path}`).join(', ')}.`,
      );
  }
}

/**
 * The model with every table whole: each table's `rowPages` read into its `rows`. What a format
 * plugin that does not stream tables (`streamsTables`) is given.
 */
export async function wholeTables(model: ReportModel): Promise<ReportModel> {
  const sections: ReportSection[] = [];
  for (const s of model.sections) {
    const blocks: ReportBlock[] = [];
    for (const b of s.blocks) {
      if (b.type !== 'table' || !b.rowPages) {
        blocks.push(b);
        continue;
      }
      const rows = [...b.rows];
      for await (const page of b.rowPages) for (const row of page) rows.push(row);
      const { rowPages: _streamed, ...table } = b;
      blocks.push({ ...table, rows });
    }
    sections.push({ ...s, blocks });
  }
  return { ...model, sections };
}

function cell(e: ListedEvent, column: ReportEventColumn, categories: string[]): string | number {
  switch (column) {
    case 'sequence':
      return e.sequence;
    case 'id':
      return e.id;
    case 'occurredAt':
      return e.occurredAt;
    case 'actor':
      // A tombstone (`[erased]`, `[withheld]`) once, not twice.
      return e.actor.displayName && e.actor.displayName !== e.actor.id ? `${e.actor.displayName} (${e.actor.id})` : e.actor.id;
    case 'actorType':
      return e.actor.type;
    case 'actorIp':
      return e.actor.ip ?? '';
    case 'actorUserAgent':
      return e.actor.userAgent ?? '';
    case 'action':
      return e.action;
    case 'resource':
      return `${e.resource.type}:${e.resource.id}`;
    case 'resourceName':
      return e.resource.name ?? '';
    case 'outcome':
      return e.outcome.reason ? `${e.outcome.status}: ${e.outcome.reason}` : e.outcome.status;
    case 'severity':
      return e.severity;
    case 'classification':
      return e.classification;
    case 'categories':
      return categories.join(', ');
    case 'metadata':
      return e.metadata === null ? '' : JSON.stringify(e.metadata);
    case 'hash':
      return e.hash;
  }
}
