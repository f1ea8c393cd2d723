import { compile, escapeXML } from 'ejs';
import {
  brandColor,
  chartProblems,
  chartSvg,
  chartTable,
  defineFormatPlugin,
  type IntegrityStamp,
  neutraliseControls,
  readableTextOn,
  type ReportBlock,
  type ReportModel,
  type TableBlock,
  type TableCell,
} from '../../src/plugin-api';
import { DEFAULT_LAYOUT, LAYOUT_FILE } from './layout';

interface Item {
  key: string;
  value: string;
}

interface ViewTable {
  type: 'table';
  /** `chart-data` for the numbers of a chart. */
  className: 'data' | 'chart-data';
  caption: string | null;
  columns: { title: string; className: string }[];
  rows: { text: string; className: string }[][];
  /**
   * A chart's drawing, an `<svg>` element from the plugin API's `chartSvg` (every model string in
   * it escaped), for the layout to write raw beside the table of its numbers; null for a table.
   */
  svg: string | null;
}

type ViewBlock =
  | { type: 'heading'; level: 1 | 2 | 3; text: string }
  | { type: 'paragraph'; text: string }
  | { type: 'keyValue'; items: Item[] }
  | ViewTable
  | { type: 'finding'; className: string; title: string; facts: Item[]; text: string; eventIds: string[] };

/** What the layout receives as `report`: the model with every value already turned into display text. */
type HtmlView = {
  title: string;
  metadata: Item[];
  integrity: Item[];
  sections: { anchor: string; title: string; blocks: ViewBlock[] }[];
  generatedAt: string;
  tenantId: string;
  headSequence: string;
  /** The template's footer line, if any. */
  footer: string | null;
  /** Branding colours, each `#RRGGBB` (checked) or null for the default. */
  theme: { primary: string | null; accent: string | null; accentText: string | null };
};

// Maps, not object literals: a model string such as "constructor" must not find a prototype member.
const ALIGN_CLASS = new Map([
  ['left', 'align-left'],
  ['right', 'align-right'],
  ['center', 'align-center'],
]);

/** Finding colours by assessment status; any other label gets the neutral colour. */
const STATUS_CLASS = new Map([
  ['COMPLIANT', 'status-ok'],
  ['PARTIALLY_COMPLIANT', 'status-partial'],
  ['NON_COMPLIANT', 'status-bad'],
]);

// strict: the compiled function does not run the template inside `with (locals)`. Every `<%= %>`
// goes through `escape`: control characters made visible, then the five markup characters escaped.
const compileLayout = (layout: string) =>
  compile(layout, {
    strict: true,
    localsName: 'report',
    escape: (value: unknown) => escapeXML(neutraliseControls(String(value ?? ''))),
  });

function cellText(cell: TableCell): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'boolean') return cell ? 'Yes' : 'No';
  return String(cell);
}

/** `reportType` → `Report type`: metadata keys are camelCase identifiers. */
const label = (key: string) => {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2');
  return words.charAt(0).toUpperCase() + words.slice(1).replace(/ [A-Z](?=[a-z])/g, (w) => w.toLowerCase());
};

function integrityItems(stamp: IntegrityStamp): Item[] {
  const checkpoint = stamp.checkpoint;
  return [
    { key: 'Tenant', value: stamp.tenantId },
    { key: 'Period', value: `${stamp.from} to ${stamp.to} (end exclusive)` },
    { key: 'Head sequence', value: String(stamp.headSequence) },
    { key: 'Head chain hash', value: stamp.headChainHash },
    ...(checkpoint
      ? [
          { key: 'Checkpoint sequence', value: String(checkpoint.sequence) },
          { key: 'Checkpoint chain hash', value: checkpoint.chainHash },
          { key: 'Checkpoint key', value: checkpoint.keyId },
          { key: 'Checkpoint signature', value: checkpoint.signature },
          { key: 'Checkpoint issued at', value: checkpoint.issuedAt },
        ]
      : [{ key: 'Checkpoint', value: 'none signed yet' }]),
    { key: 'Generated at', value: stamp.generatedAt },
  ];
}

function viewTable(block: TableBlock, className: ViewTable['className']): ViewTable {
  const classes = block.columns.map((c) => ALIGN_CLASS.get(c.align ?? 'left') ?? 'align-left');
  return {
    type: 'table',
    className,
    caption: block.caption ?? null,
    columns: block.columns.map((c, i) => ({ title: c.title, className: classes[i] })),
    rows: block.rows.map((row) => row.map((cell, i) => ({ text: cellText(cell), className: classes[i] ?? 'align-left' }))),
    svg: null,
  };
}

function viewBlock(block: ReportBlock): ViewBlock | null {
  switch (block.type) {
    case 'heading':
      return { type: 'heading', level: block.level, text: block.text };
    case 'paragraph':
      return { type: 'paragraph', text: block.text };
    case 'keyValue':
      return { type: 'keyValue', items: block.items.map((i) => ({ key: i.key, value: i.value })) };
    case 'table':
      return viewTable(block, 'data');
    case 'chart':
      // A chart the contract refuses (a host bug) still shows its numbers.
      return { ...viewTable(chartTable(block), 'chart-data'), svg: chartProblems(block).length === 0 ? chartSvg(block) : null };
    case 'finding': {
      const facts: Item[] = [{ key: 'Status', value: block.status }];
      if (block.severity !== undefined) facts.push({ key: 'Severity', value: block.severity });
      if (block.frameworkId !== undefined) facts.push({ key: 'Framework', value: block.frameworkId });
      if (block.controlId !== undefined) facts.push({ key: 'Control', value: block.controlId });
      return {
        type: 'finding',
        className: STATUS_CLASS.get(block.status) ?? 'status-other',
        title: block.title,
        facts,
        text: block.text,
        eventIds: block.eventIds,
      };
    }
    default:
      // A block type from a newer plugin API: skipped, as the model's contract allows.
      return null;
  }
}

/** The model as the layout shows it. */
function htmlView(model: ReportModel): HtmlView {
  const primary = brandColor(model.branding?.primaryColor);
  const accent = brandColor(model.branding?.accentColor);
  return {
    title: model.title,
    metadata: Object.entries(model.metadata).map(([key, value]) => ({ key: label(key), value })),
    integrity: integrityItems(model.integrity),
    sections: model.sections.map((section, i) => ({
      anchor: `section-${i + 1}`,
      title: section.title,
      blocks: section.blocks.map(viewBlock).filter((b): b is ViewBlock => b !== null),
    })),
    generatedAt: model.integrity.generatedAt,
    tenantId: model.integrity.tenantId,
    headSequence: String(model.integrity.headSequence),
    footer: model.branding?.footer ?? null,
    theme: { primary, accent, accentText: accent ? readableTextOn(accent) : null },
  };
}

/**
 * The report as one self-contained HTML page for people: a cover with the metadata, the integrity
 * stamp (a `<dl>` of class `integrity-stamp`) and the contents, then one section per page when
 * printed. Tables repeat their header row on each printed page; a chart is drawn as inline SVG
 * (`chartSvg`, with its text alternative) with the table of its numbers beside it. Inline CSS only, no scripts, and a Content-Security-Policy that refuses
 * scripts and every fetch, so the file behaves the same offline, in a mail client or in an archive.
 *
 * Rendered with `ejs` from the deployer's `templates/report.html.ejs`, which the host hands over at
 * start, or else from the built-in {@link DEFAULT_LAYOUT}; every string of the model is escaped by `<%= %>`
 * (`&`, `<`, `>`, `"`, `'`), and right-to-left text lays itself out (`unicode-bidi: plaintext`).
 * Control characters other than tab, CR and LF, and the bidirectional controls (U+061C, U+200E,
 * U+200F, U+202A–U+202E, U+2066–U+2069) show as their visible escape (`\u202E`,
 * {@link neutraliseControls}): none can reorder the page or hide part of a string.
 * The same model gives the same bytes: the only date in the file is `integrity.generatedAt`.
 */
export function htmlFormat() {
  // Compiled once, at start: a layout that does not compile stops the server start.
  let template = compileLayout(DEFAULT_LAYOUT);
  return defineFormatPlugin({
    id: 'format-html',
    kind: 'format',
    version: '1.2.0',
    apiVersion: '^1.2.0',
    name: 'HTML',
    description: 'Renders reports as one self-contained, print-friendly HTML page with the integrity stamp on the cover.',
    mimeType: 'text/html',
    fileExtension: 'html',
    start({ readTemplateFile }) {
      template = compileLayout(readTemplateFile?.(LAYOUT_FILE) ?? DEFAULT_LAYOUT);
    },
    render: (model: ReportModel) => Buffer.from(template(htmlView(model)), 'utf8'),
  });
}

export default htmlFormat();
