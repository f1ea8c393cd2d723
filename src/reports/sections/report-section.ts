import type { EventQuery } from '../../audit/audit-event.repository';
import { AuditEventGroupBy, type AuditEventFilter } from '../../audit/audit-event.types';
import type { TrendPoint } from '../../compliance/assessment-history.service';
import type { Assessment, ComplianceService } from '../../compliance/compliance.service';
import type { FindingView } from '../../compliance/findings.service';
import type { ReportBlock, TableBlock } from '../../plugin-api';
import type { ReportEventColumn, ReportTemplate, ReportType } from '../report-template';

/** What a report is asked for: its type, period, filter and template. */
export interface ReportRequest {
  tenantId: string;
  type: ReportType;
  frameworkId?: string | null;
  from: string;
  to: string;
  /** The assessment's as-of instant (COMPLIANCE_SUMMARY, CONTROL_ASSESSMENT); null: the default. */
  asOf?: string | null;
  filter?: Omit<AuditEventFilter, 'occurredFrom' | 'occurredTo' | 'sequenceTo'> & { condition?: EventQuery['condition'] };
  template: ReportTemplate;
  /** SUBJECT_ACCESS: the data subject exported, by its stored reference (its events are chosen by `filter.condition`). */
  subject?: { ref: string } | null;
  /** Build a proof bundle file for every event the report lists (ADR 0049). */
  proofBundles?: boolean;
}

/** The events of the report (its period and filter, up to the stamped head) and the subsets sections count and list. */
export interface EventScopes {
  all: EventQuery;
  /** Outcome FAILURE, DENIED or ERROR. */
  failures: EventQuery;
  /** Carrying the PII or PHI data category. */
  personal: EventQuery;
  /** Severity ERROR or above. */
  highSeverity: EventQuery;
}

/** What a section builder is given: the request, the events in scope, the assessment of a framework's types, and reads. */
export interface SectionContext {
  req: ReportRequest;
  scopes: EventScopes;
  /** The framework's assessment over the period, for COMPLIANCE_SUMMARY and CONTROL_ASSESSMENT; null otherwise. */
  assessment: Assessment | null;
  /** The ids of the assessment's sample events, by sequence. */
  eventIds: Map<number, string>;
  /** The section's template options. */
  limit?: number;
  columns?: ReportEventColumn[];
  compliance: ComplianceService;
  /** A control's findings in the assessment, with their states as of its asOf (at most `perRule` per violation rule). */
  findings(controlId: string, perRule: number): Promise<FindingView[]>;
  /** The framework's stored assessment runs over the period, a point per day (or week, past 92 days), each run's digest checked. */
  statusTrend(): Promise<TrendPoint[]>;
  count(query: EventQuery): Promise<number>;
  stats(query: EventQuery, by: AuditEventGroupBy, limit: number): Promise<{ key: string; count: number }[]>;
  /** One row per event, at most `limit` (default: every event up to the template maximum), in the section's columns. */
  eventTable(query: EventQuery, limit?: number): Promise<TableBlock>;
}

/** One section of one report type. */
export interface SectionBuilder {
  build(ctx: SectionContext): Promise<ReportBlock[]> | ReportBlock[];
  /**
   * For a section that lists events: which ones and how many by default (a template's `limit`
   * overrides it). What decides, before anything is built, whether a report is generated in the
   * background.
   */
  eventRows?: { query: (scopes: EventScopes) => EventQuery; defaultLimit: number };
}

/** The sections of one report type, by section id (the ids of `SECTIONS`). */
export type SectionBuilders = Readonly<Record<string, SectionBuilder>>;

/** A table of event counts grouped by one dimension, at most `limit` groups (default 50). */
export async function groupedTable(
  ctx: SectionContext,
  query: EventQuery,
  by: AuditEventGroupBy,
  title: string,
  limit = 50,
): Promise<TableBlock> {
  return {
    type: 'table',
    caption: title,
    columns: [
      { key: 'key', title: by === AuditEventGroupBy.DAY ? 'Day' : by.charAt(0) + by.slice(1).toLowerCase().replace('_', ' ') },
      { key: 'count', title: 'Events', align: 'right' },
    ],
    rows: (await ctx.stats(query, by, limit)).map((g) => [g.key, g.count]),
  };
}

/** The tenant and period, at the top of every event report's overview. */
export const overview = (req: ReportRequest): ReportBlock => ({
  type: 'keyValue',
  items: [
    { key: 'Tenant', value: req.tenantId },
    { key: 'Period (UTC)', value: `${req.from} to ${req.to} (end excluded)` },
  ],
});

/** The `verification` section every type has: how to check the trail behind the report. */
export const verification: SectionBuilder = {
  build: ({ req }) => [
    {
      type: 'paragraph',
      text:
        'Every number in this report comes from the audit trail up to the chain head named in the integrity stamp. ' +
        'To check that the trail behind it is intact, run `datapunk-audit verify-chain --tenant ' +
        req.tenantId +
        '` (or the verifyAuditChain query) and compare the head sequence and chain hash with the stamp; ' +
        'the signed checkpoint in the stamp can be verified with the public key from the signingKeys query.',
    },
  ],
};
