/**
 * The format-neutral report model: what report builders produce and format plugins render.
 * Frameworks and formats never see each other; they meet here. Types only.
 */

/**
 * Proof of the log behind a report: the period, the chain head at generation time and the latest
 * signed checkpoint, so an auditor can verify the report against the chain.
 *
 * @example
 * ```ts
 * const stamp: IntegrityStamp = { tenantId: 'default', from: '2026-01-01T00:00:00Z', to: '2026-04-01T00:00:00Z',
 *   headSequence: 1200, headChainHash: 'ab…', checkpoint: null, generatedAt: '2026-04-01T08:00:00Z' };
 * ```
 */
export interface IntegrityStamp {
  tenantId: string;
  /** Period start, RFC 3339. */
  from: string;
  /** Period end (exclusive), RFC 3339. */
  to: string;
  headSequence: number;
  headChainHash: string;
  checkpoint: { sequence: number; chainHash: string; keyId: string; signature: string; issuedAt: string } | null;
  generatedAt: string;
}

/**
 * A heading; `level` 1 is a section title.
 *
 * @example
 * ```ts
 * const block: HeadingBlock = { type: 'heading', level: 2, text: 'Access control' };
 * ```
 */
export interface HeadingBlock {
  type: 'heading';
  level: 1 | 2 | 3;
  text: string;
}

/**
 * Running text. Plain text only: formats escape it.
 *
 * @example
 * ```ts
 * const block: ParagraphBlock = { type: 'paragraph', text: '12 of 14 controls are compliant.' };
 * ```
 */
export interface ParagraphBlock {
  type: 'paragraph';
  text: string;
}

/**
 * A list of labelled values.
 *
 * @example
 * ```ts
 * const block: KeyValueBlock = { type: 'keyValue', items: [{ key: 'Score', value: '86 %' }] };
 * ```
 */
export interface KeyValueBlock {
  type: 'keyValue';
  items: { key: string; value: string }[];
}

/**
 * A table cell value; formats decide how to show numbers and dates.
 *
 * @example
 * ```ts
 * const cell: TableCell = 42;
 * ```
 */
export type TableCell = string | number | boolean | null;

/**
 * A table; `rows` are in `columns` order. Formats repeat the header row on each page where they can.
 *
 * The table's rows are `rows` followed by every page of `rowPages`, when that is set. Only a
 * plugin whose manifest says `streamsTables: true` (plugin API 1.1) ever sees `rowPages`: the host
 * reads large tables (the events of an audit trail) from the database a page at a time while such
 * a plugin renders them, and hands every other plugin the whole table in `rows`.
 *
 * @example
 * ```ts
 * const block: TableBlock = { type: 'table', columns: [{ key: 'control', title: 'Control' }], rows: [['CC6.1']] };
 * ```
 */
export interface TableBlock {
  type: 'table';
  caption?: string;
  columns: { key: string; title: string; align?: 'left' | 'right' | 'center' }[];
  rows: TableCell[][];
  /** More rows after `rows`, a page at a time (API 1.1; see above). Iterate it once, in order. */
  rowPages?: AsyncIterable<TableCell[][]>;
}

/**
 * One assessment result or issue, with the events behind it.
 *
 * @example
 * ```ts
 * const block: FindingBlock = { type: 'finding', title: 'Breach not notified', status: 'NON_COMPLIANT', severity: 'ERROR',
 *   controlId: 'Art. 33', frameworkId: 'gdpr', text: 'Notified after 96 hours.', eventIds: ['0190…'] };
 * ```
 */
export interface FindingBlock {
  type: 'finding';
  title: string;
  /** An assessment status or a free-form label. */
  status: string;
  severity?: string;
  frameworkId?: string;
  controlId?: string;
  text: string;
  /** Sample event ids, so a reader can look the events up. */
  eventIds: string[];
}

/**
 * One series of a chart: a value per label of the chart, in the labels' order.
 *
 * @example
 * ```ts
 * const series: ChartSeries = { name: 'Compliant', values: [12, 14, 15], color: '#1B7F3B' };
 * ```
 */
export interface ChartSeries {
  name: string;
  /** Finite numbers of zero or more, one per label ({@link chartProblems} says what it refuses). */
  values: number[];
  /** `#RRGGBB` (API 1.8): the series' colour; formats use a fixed palette without it. */
  color?: string;
}

/**
 * Chart data: formats draw it (API 1.8: {@link chartSvg} draws it for them) with its numbers
 * beside it, or show it as the table of its data ({@link chartTable}).
 *
 * - `bar`: categories → values, a bar per label (and per series, side by side);
 * - `stacked` (API 1.8): a bar per label with the series stacked on it, e.g. statuses per date;
 * - `line`: a trend, a line per series over the labels (dates);
 * - `pie`: the shares of one series.
 *
 * The host checks every chart it builds with {@link chartProblems}; new kinds may come in minor
 * API versions, so a format shows a kind it does not know as its table.
 *
 * @example
 * ```ts
 * const block: ChartBlock = { type: 'chart', kind: 'bar', title: 'Events by day', labels: ['Mon', 'Tue'], series: [{ name: 'events', values: [10, 12] }],
 *   description: 'Events by day: Mon 10, Tue 12.', unit: 'Events' };
 * ```
 */
export interface ChartBlock {
  type: 'chart';
  kind: 'bar' | 'stacked' | 'line' | 'pie';
  title: string;
  labels: string[];
  series: ChartSeries[];
  /**
   * The text alternative (API 1.8): what the chart shows, in a sentence or two, for readers who
   * cannot see it. {@link chartDescription} writes one from the data when it is absent.
   */
  description?: string;
  /** Bars upright over the labels (`vertical`, the default) or lying along them (`horizontal`, for long category names); API 1.8. */
  orientation?: 'vertical' | 'horizontal';
  /** What the values count (`Controls`, `Events`): the value axis's title (API 1.8). */
  unit?: string;
}

/**
 * Any block of a section. New block types may be added in a minor API version; a format should
 * skip (or render as text) a type it does not know.
 *
 * @example
 * ```ts
 * const blocks: ReportBlock[] = [{ type: 'heading', level: 1, text: 'Summary' }, { type: 'paragraph', text: '…' }];
 * ```
 */
export type ReportBlock = HeadingBlock | ParagraphBlock | KeyValueBlock | TableBlock | FindingBlock | ChartBlock;

/**
 * A titled part of a report.
 *
 * @example
 * ```ts
 * const section: ReportSection = { id: 'summary', title: 'Summary', blocks: [] };
 * ```
 */
export interface ReportSection {
  id: string;
  title: string;
  blocks: ReportBlock[];
}

/**
 * How a report looks, from its template: checked by the host (colours are always `#RRGGBB`), and
 * still escaped or checked again by every format before use.
 *
 * @example
 * ```ts
 * const branding: ReportBranding = { organisation: 'Acme Health', footer: 'Confidential', primaryColor: '#1F4E79', accentColor: '#DDEBF7' };
 * ```
 */
export interface ReportBranding {
  organisation?: string;
  /** A line for the foot of every page. */
  footer?: string;
  /** `#RRGGBB`: the title, headings and rules. */
  primaryColor?: string;
  /** `#RRGGBB`: the header rows of tables. */
  accentColor?: string;
}

/**
 * A whole report, independent of any file format.
 *
 * @example
 * ```ts
 * const model: ReportModel = { title: 'SOC 2 compliance summary', metadata: { reportType: 'COMPLIANCE_SUMMARY', organisation: 'Acme' },
 *   integrity: stamp, sections: [section] };
 * ```
 */
export interface ReportModel {
  title: string;
  /** Free-form facts shown on a cover or in document properties (report type, organisation, author, …). */
  metadata: Record<string, string>;
  integrity: IntegrityStamp;
  sections: ReportSection[];
  /** From the report's template (API 1.1); absent when it has none. */
  branding?: ReportBranding;
}
