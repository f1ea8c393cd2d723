import { type AuditEventRepository, encodeCursor, type EventQuery, type StoredEvent } from '../audit/audit-event.repository';
import { AuditEventGroupBy, type AuditEventFilter, SortOrder } from '../audit/audit-event.types';
import type { CheckpointService } from '../chain/checkpoint.service';
import type { PublicSigningKey } from '../chain/signing-key';
import { type Assessment, type ComplianceService } from '../compliance/compliance.service';
import { ControlStatus } from '../compliance/assessment';
import type { ReportBlock, ReportModel, ReportSection, TableBlock, TableCell } from '../plugin-api';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { type EventColumn, MAX_TABLE_ROWS, type ReportTemplate, ReportType } from './report-template';

export interface ReportRequest {
  tenantId: string;
  type: ReportType;
  frameworkId?: string | null;
  from: string;
  to: string;
  filter?: Omit<AuditEventFilter, 'occurredFrom' | 'occurredTo' | 'sequenceTo'> & { condition?: EventQuery['condition'] };
  template: ReportTemplate;
}

export interface ReportDeps {
  events: AuditEventRepository;
  compliance: ComplianceService;
  checkpoints: CheckpointService;
  /** The keys a checkpoint in the integrity stamp must be signed with (the verifier's). */
  trustedKeys: readonly PublicSigningKey[];
}

const TITLES: Record<ReportType, string> = {
  [ReportType.COMPLIANCE_SUMMARY]: 'Compliance summary',
  [ReportType.CONTROL_ASSESSMENT]: 'Control assessment',
  [ReportType.AUDIT_TRAIL]: 'Audit trail',
  [ReportType.SECURITY_INCIDENTS]: 'Security incidents',
  [ReportType.DATA_ACCESS]: 'Access to personal data',
};

const COLUMN_TITLES: Record<EventColumn, string> = {
  sequence: 'Seq.',
  occurredAt: 'Occurred (UTC)',
  actor: 'Actor',
  actorType: 'Actor type',
  action: 'Action',
  resource: 'Resource',
  outcome: 'Outcome',
  severity: 'Severity',
  classification: 'Classification',
  categories: 'Categories',
  hash: 'Event hash',
};

const PAGE = 1000;
const needsFramework = (type: ReportType) => type === ReportType.COMPLIANCE_SUMMARY || type === ReportType.CONTROL_ASSESSMENT;
const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)} %`);

/**
 * Builds the format-neutral report model of a request from the database: assessments and grouped
 * counts for the compliance and incident types, pages of events for the event tables. Every number
 * describes one chain head, named in the integrity stamp.
 */
export class ReportBuilder {
  constructor(private readonly deps: ReportDeps) {}

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
   * model is rendered; `onRows` hears of each page read.
   */
  async build(req: ReportRequest, now = new Date(), onRows?: (rows: number) => void): Promise<ReportModel> {
    this.validate(req);
    const framed = needsFramework(req.type);
    const assessment = framed
      ? await this.deps.compliance.assess(req.tenantId, { frameworkId: req.frameworkId!, from: req.from, to: req.to }, now)
      : null;
    const head = assessment
      ? { sequence: assessment.headSequence, chainHash: assessment.headChainHash ?? '' }
      : await this.deps.compliance.queries.head(req.tenantId);
    const scope: EventQuery = { ...req.filter, occurredFrom: req.from, occurredTo: req.to, sequenceTo: head.sequence };
    // The latest checkpoint the stamped head covers (a newer one would name events the report does not count).
    const checkpoint = await this.deps.checkpoints.latestTrusted(req.tenantId, this.deps.trustedKeys, head.sequence);
    const framework = req.frameworkId ? this.deps.compliance.framework(req.frameworkId).framework : null;

    // Findings name their sample events by id, as auditEvent(id:) finds them.
    const samples = assessment ? [...new Set(assessment.controls.flatMap((c) => c.samples))] : [];
    const eventIds = new Map((await this.deps.events.findBySequences(req.tenantId, samples)).map((e) => [e.sequence, e.id]));
    const sections: ReportSection[] = [];
    for (const s of req.template.sections) {
      const blocks = await this.section(req.type, s.id, {
        req,
        scope,
        assessment,
        eventIds,
        limit: s.options.limit,
        columns: s.options.columns,
        onRows,
      });
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

  /** The event subsets the incident and data-access sections count and list. */
  private subsets(scope: EventQuery): { failures: EventQuery; personal: EventQuery; highSeverity: EventQuery } {
    const { queries } = this.deps.compliance;
    return {
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
    const scope: EventQuery = { ...req.filter, occurredFrom: req.from, occurredTo: req.to };
    const { personal, highSeverity } = this.subsets(scope);
    const tables: Partial<Record<string, [EventQuery, number]>> = {
      [`${ReportType.AUDIT_TRAIL}/events`]: [scope, MAX_TABLE_ROWS],
      [`${ReportType.SECURITY_INCIDENTS}/high-severity`]: [highSeverity, 500],
      [`${ReportType.DATA_ACCESS}/events`]: [personal, 5000],
    };
    let rows = 0;
    for (const s of req.template.sections) {
      const table = tables[`${req.type}/${s.id}`];
      if (table) rows += Math.min(s.options.limit ?? table[1], await this.deps.events.count(req.tenantId, table[0]));
    }
    return rows;
  }

  private async section(
    type: ReportType,
    id: string,
    ctx: {
      req: ReportRequest;
      scope: EventQuery;
      assessment: Assessment | null;
      eventIds: Map<number, string>;
      limit?: number;
      columns?: EventColumn[];
      onRows?: (rows: number) => void;
    },
  ): Promise<ReportBlock[]> {
    const { req, scope, assessment } = ctx;
    const events = this.deps.events;
    if (id === 'verification') return verification(req);
    if (assessment) return complianceSection(type, id, assessment, this.deps.compliance, ctx.eventIds);

    const count = (q: EventQuery) => events.count(req.tenantId, q);
    const grouped = async (q: EventQuery, by: AuditEventGroupBy, title: string, limit = 50): Promise<TableBlock> => ({
      type: 'table',
      caption: title,
      columns: [
        { key: 'key', title: by === AuditEventGroupBy.DAY ? 'Day' : by.charAt(0) + by.slice(1).toLowerCase().replace('_', ' ') },
        { key: 'count', title: 'Events', align: 'right' },
      ],
      rows: (await events.stats(req.tenantId, q, by, limit)).map((g) => [g.key, g.count]),
    });
    const { failures, personal, highSeverity } = this.subsets(scope);

    switch (`${type}/${id}`) {
      case `${ReportType.AUDIT_TRAIL}/overview`:
        return [overview(req), { type: 'keyValue', items: [{ key: 'Events in the report', value: String(await count(scope)) }] }];
      case `${ReportType.AUDIT_TRAIL}/events`:
        return [await this.eventTable(req.tenantId, scope, ctx.limit, ctx.columns, ctx.onRows)];
      case `${ReportType.SECURITY_INCIDENTS}/overview`: {
        const outcomes = await events.stats(req.tenantId, failures, AuditEventGroupBy.OUTCOME, 10);
        return [
          overview(req),
          {
            type: 'keyValue',
            items: [
              { key: 'Failures, denials and errors', value: String(await count(failures)) },
              ...outcomes.map((g) => ({ key: `Outcome ${g.key}`, value: String(g.count) })),
              { key: 'Events of severity ERROR or above', value: String(await count(highSeverity)) },
            ],
          },
        ];
      }
      case `${ReportType.SECURITY_INCIDENTS}/by-day`: {
        const days = await events.stats(req.tenantId, failures, AuditEventGroupBy.DAY, 1000);
        return [
          {
            type: 'chart',
            kind: 'bar',
            title: 'Failures, denials and errors per day',
            labels: days.map((d) => d.key),
            series: [{ name: 'Events', values: days.map((d) => d.count) }],
          },
        ];
      }
      case `${ReportType.SECURITY_INCIDENTS}/by-action`:
        return [await grouped(failures, AuditEventGroupBy.ACTION, 'Failures, denials and errors by action', ctx.limit)];
      case `${ReportType.SECURITY_INCIDENTS}/by-actor`:
        return [await grouped(failures, AuditEventGroupBy.ACTOR, 'Failures, denials and errors by actor', ctx.limit)];
      case `${ReportType.SECURITY_INCIDENTS}/high-severity`:
        return [await this.eventTable(req.tenantId, highSeverity, ctx.limit ?? 500, ctx.columns, ctx.onRows)];
      case `${ReportType.DATA_ACCESS}/overview`:
        return [
          overview(req),
          {
            type: 'paragraph',
            text: 'Events that carry the PII or PHI data category: the accesses a record of processing (GDPR Art. 30) and the HIPAA access review ask about.',
          },
          { type: 'keyValue', items: [{ key: 'Events on personal data', value: String(await count(personal)) }] },
        ];
      case `${ReportType.DATA_ACCESS}/by-actor`:
        return [await grouped(personal, AuditEventGroupBy.ACTOR, 'Events on personal data by actor', ctx.limit)];
      case `${ReportType.DATA_ACCESS}/by-resource-type`:
        return [await grouped(personal, AuditEventGroupBy.RESOURCE_TYPE, 'Events on personal data by resource type', ctx.limit)];
      case `${ReportType.DATA_ACCESS}/events`:
        return [await this.eventTable(req.tenantId, personal, ctx.limit ?? 5000, ctx.columns, ctx.onRows)];
      default:
        throw new Error(`no section ${id} for ${type}`);
    }
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
    columns: EventColumn[] | undefined,
    onRows: ((rows: number) => void) | undefined,
  ): Promise<TableBlock> {
    const cols: EventColumn[] = columns ?? ['sequence', 'occurredAt', 'actor', 'action', 'resource', 'outcome', 'severity'];
    const total = await this.deps.events.count(tenantId, query);
    const shown = Math.min(total, limit);
    return {
      type: 'table',
      caption: total > shown ? `The first ${shown} of ${total} events (the template's limit).` : `${shown} events.`,
      columns: cols.map((c) => ({ key: c, title: COLUMN_TITLES[c], align: c === 'sequence' ? 'right' : 'left' })),
      rows: [],
      rowPages: this.eventPages(tenantId, query, shown, cols, onRows),
    };
  }

  private async *eventPages(
    tenantId: string,
    query: EventQuery,
    limit: number,
    cols: EventColumn[],
    onRows: ((rows: number) => void) | undefined,
  ): AsyncGenerator<TableCell[][]> {
    let after: string | null = null;
    let done = 0;
    while (done < limit) {
      const page: { events: StoredEvent[]; hasNextPage: boolean } = await this.deps.events.findPage(
        tenantId,
        query,
        Math.min(PAGE, limit - done),
        after,
        SortOrder.ASC,
      );
      if (!page.events.length) break;
      const labels = await this.deps.events.labelsFor(
        tenantId,
        page.events.map((e) => e.id),
      );
      done += page.events.length;
      yield page.events.map((e) => cols.map((c) => cell(e, c, labels.get(e.id)?.categories ?? [])));
      onRows?.(page.events.length);
      if (!page.hasNextPage) break;
      after = encodeCursor(page.events[page.events.length - 1].sequence);
    }
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

function cell(e: StoredEvent, column: EventColumn, categories: string[]): string | number {
  switch (column) {
    case 'sequence':
      return e.sequence;
    case 'occurredAt':
      return e.occurredAt;
    case 'actor':
      return e.actor.displayName ? `${e.actor.displayName} (${e.actor.id})` : e.actor.id;
    case 'actorType':
      return e.actor.type;
    case 'action':
      return e.action;
    case 'resource':
      return `${e.resource.type}:${e.resource.id}`;
    case 'outcome':
      return e.outcome.reason ? `${e.outcome.status}: ${e.outcome.reason}` : e.outcome.status;
    case 'severity':
      return e.severity;
    case 'classification':
      return e.classification;
    case 'categories':
      return categories.join(', ');
    case 'hash':
      return e.hash;
  }
}

const overview = (req: ReportRequest): ReportBlock => ({
  type: 'keyValue',
  items: [
    { key: 'Tenant', value: req.tenantId },
    { key: 'Period (UTC)', value: `${req.from} to ${req.to} (end excluded)` },
  ],
});

const verification = (req: ReportRequest): ReportBlock[] => [
  {
    type: 'paragraph',
    text:
      'Every number in this report comes from the audit trail up to the chain head named in the integrity stamp. ' +
      'To check that the trail behind it is intact, run `datapunk-audit verify-chain --tenant ' +
      req.tenantId +
      '` (or the verifyAuditChain query) and compare the head sequence and chain hash with the stamp; ' +
      'the signed checkpoint in the stamp can be verified with the public key from the signingKeys query.',
  },
];

function complianceSection(
  type: ReportType,
  id: string,
  a: Assessment,
  compliance: ComplianceService,
  eventIds: Map<number, string>,
): ReportBlock[] {
  const title = (controlId: string) => compliance.control(a.frameworkId, controlId).title;
  const scored = a.controls.filter((c) => c.leaf);
  switch (id) {
    case 'overview':
      return [
        {
          type: 'keyValue',
          items: [
            { key: 'Framework', value: `${a.frameworkId} (${a.frameworkVersion})` },
            { key: 'Score', value: a.summary.score === null ? 'none (nothing assessed)' : a.summary.score.toFixed(3) },
            { key: 'Level', value: a.summary.level },
            { key: 'Coverage', value: pct(a.summary.coverage) },
            ...Object.entries(a.summary.counts).map(([status, n]) => ({ key: status, value: String(n) })),
            { key: 'Controls scored', value: String(a.summary.total) },
          ],
        },
        {
          type: 'paragraph',
          text: 'Score = (compliant + ½ partially compliant) / assessed controls. Coverage = assessed / applicable controls. Controls with children roll them up and are not scored themselves.',
        },
      ];
    case 'status-breakdown':
      return [
        {
          type: 'chart',
          kind: 'pie',
          title: 'Scored controls by status',
          labels: Object.keys(a.summary.counts),
          series: [{ name: 'Controls', values: Object.values(a.summary.counts) }],
        },
      ];
    case 'non-compliant':
    case 'findings': {
      const shown = id === 'findings' ? [ControlStatus.NON_COMPLIANT, ControlStatus.PARTIALLY_COMPLIANT] : [ControlStatus.NON_COMPLIANT];
      const list = a.controls.filter((c) => shown.includes(c.status));
      return list.length
        ? list.map((c) => ({
            type: 'finding' as const,
            title: `${c.controlId} ${title(c.controlId)}`,
            status: c.status,
            frameworkId: a.frameworkId,
            controlId: c.controlId,
            text: c.reason,
            eventIds: c.samples.flatMap((s) => (eventIds.has(s) ? [eventIds.get(s)!] : [])),
          }))
        : [{ type: 'paragraph', text: 'None.' }];
    }
    case 'not-assessed': {
      const list = scored.filter((c) => c.status === ControlStatus.NOT_ASSESSED);
      return [
        {
          type: 'table',
          caption: `${list.length} scored controls had no event either way in the period; attest them or record the events that show them.`,
          columns: [
            { key: 'id', title: 'Control' },
            { key: 'title', title: 'Title' },
          ],
          rows: list.map((c) => [c.controlId, title(c.controlId)]),
        },
      ];
    }
    case 'controls':
      return [
        {
          type: 'table',
          caption: `${a.controls.length} controls.`,
          columns: [
            { key: 'id', title: 'Control' },
            { key: 'title', title: 'Title' },
            { key: 'status', title: 'Status' },
            { key: 'evidence', title: 'Evidence', align: 'right' },
            { key: 'violations', title: 'Violations', align: 'right' },
            { key: 'reason', title: 'Reason' },
          ],
          rows: a.controls.map((c) => [c.controlId, title(c.controlId), c.status, c.evidenceCount, c.violationCount, c.reason]),
        },
      ];
    case 'attestations': {
      const list = a.controls.filter((c) => c.attestation);
      return [
        {
          type: 'table',
          caption: list.length ? `${list.length} attestations in force.` : 'No attestation in force.',
          columns: [
            { key: 'id', title: 'Control' },
            { key: 'status', title: 'Attested' },
            { key: 'by', title: 'By (key id)' },
            { key: 'at', title: 'Attested at' },
            { key: 'expires', title: 'Expires' },
            { key: 'note', title: 'Note' },
            { key: 'sequence', title: 'Event seq.', align: 'right' },
          ],
          rows: list.map((c) => {
            const t = c.attestation!;
            return [c.controlId, t.status, t.attestedBy, t.attestedAt, t.expiresAt, t.note, t.sequence];
          }),
        },
      ];
    }
    default:
      throw new Error(`no section ${id} for ${type}`);
  }
}
