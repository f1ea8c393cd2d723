import {
  AlignmentType,
  BorderStyle,
  Document,
  Footer,
  Header,
  HeadingLevel,
  Packer,
  PageBreak,
  PageNumber,
  PageOrientation,
  Paragraph,
  ShadingType,
  Tab,
  Table,
  TableCell,
  TableLayoutType,
  TableOfContents,
  TableRow,
  TextRun,
  WidthType,
  type FileChild,
  type IRunOptions,
} from 'docx';
import { randomUUID } from 'node:crypto';
import {
  brandColor,
  type ChartBlock,
  type FindingBlock,
  type IntegrityStamp,
  type KeyValueBlock,
  type ReportBlock,
  type ReportBranding,
  type ReportModel,
  type ReportSection,
  type TableBlock,
  type TableCell as ModelCell,
  neutraliseControls,
  readableTextOn,
  tablePages,
} from '../../src/plugin-api';
import { type Align, cellText, compileTable, noteXml, rowXml, TABLE_END } from './table-xml';
import { repack, timestampOf } from './packaging';

// The document is built with the docx package, except for the rows of data tables: each of those
// is a placeholder paragraph in the package's output, replaced by the table's markup
// (table-xml.ts) while word/document.xml is deflated a page of rows at a time. A table of any
// length then costs one page of rows in memory, and the event loop is free between pages.
// Every other model string reaches the file as the text of a docx run (the package escapes it).
// Only the built-in Normal and Heading 1-3 styles are used, with direct formatting for the rest,
// so that any reader maps the document without unknown styles.

/** A4 with 2.54 cm margins: the width text and tables may take, in twentieths of a point. */
const PAGE = { width: 11906, height: 16838, margin: 1440 } as const;
const TEXT_WIDTH = PAGE.width - 2 * PAGE.margin;
const LANDSCAPE_TEXT_WIDTH = PAGE.height - 2 * PAGE.margin;
/** Tables with this many columns or more are laid out on landscape pages. */
const WIDE_TABLE = 6;
const CREATOR = 'DataPunk Audit';
const MUTED = '595959';
const KEY_FILL = 'F2F2F2';
const FINDING_FILL = 'FBFBFB';
const GRID_COLOR = 'A6A6A6';
const GRID = { style: BorderStyle.SINGLE, size: 4, color: GRID_COLOR } as const;
const GRID_BORDERS = { top: GRID, bottom: GRID, left: GRID, right: GRID, insideHorizontal: GRID, insideVertical: GRID };
const CELL_MARGINS = { top: 40, bottom: 40, left: 80, right: 80 };

/** The colours a document is drawn in: the defaults, or the template's branding. */
interface Theme {
  /** Title, headings, captions and finding frames. */
  accent: string;
  headerFill: string;
  headerText: string;
}

const DEFAULT_THEME: Theme = { accent: '1F3864', headerFill: 'D9E2F3', headerText: '000000' };

/** A data table waiting for its rows: a placeholder paragraph in the package's output until then. */
interface PendingTable {
  columns: { title: string; align: Align }[];
  /** The text width of the pages it is on. */
  width: number;
  pages: AsyncIterable<ModelCell[][]>;
}

/** How many rows of a table decide its column widths. */
const SAMPLE_ROWS = 50;

/** What the block functions share while a document is put together. */
interface Build {
  theme: Theme;
  tables: PendingTable[];
  /** Text of the placeholder paragraphs, followed by the table's index; unguessable, so no model string can fake one. */
  marker: string;
  /** The text width of the pages being filled. */
  width: number;
}

/** Renders a report model as a Word document (Office Open XML); the same model gives the same bytes. */
export async function renderDocx(model: ReportModel): Promise<Buffer> {
  const generatedAt = timestampOf(model.integrity.generatedAt);
  const build: Build = { theme: themeOf(model.branding), tables: [], marker: `datapunk-table-${randomUUID()}-`, width: TEXT_WIDTH };
  const { accent } = build.theme;
  const document = new Document({
    title: clean(model.title),
    subject: clean(model.metadata.reportType ?? ''),
    creator: CREATOR,
    lastModifiedBy: CREATOR,
    keywords: clean(['audit report', model.metadata.reportType, model.integrity.tenantId].filter(Boolean).join(', ')),
    description: clean(
      `Audit report for tenant ${model.integrity.tenantId}, ${model.integrity.from} to ${model.integrity.to}; ` +
        `audit chain head at sequence ${model.integrity.headSequence}, chain hash ${model.integrity.headChainHash}.`,
    ),
    features: { updateFields: true },
    styles: {
      default: {
        document: { run: { font: 'Calibri', size: 20 } },
        heading1: { run: { font: 'Calibri', size: 32, bold: true, color: accent }, paragraph: { spacing: { before: 360, after: 160 } } },
        heading2: { run: { font: 'Calibri', size: 26, bold: true, color: accent }, paragraph: { spacing: { before: 240, after: 120 } } },
        heading3: { run: { font: 'Calibri', size: 22, bold: true, color: accent }, paragraph: { spacing: { before: 200, after: 80 } } },
      },
    },
    sections: pageRuns(model, build).map((run, index) => {
      const width = run.landscape ? LANDSCAPE_TEXT_WIDTH : TEXT_WIDTH;
      return {
        properties: {
          // The first run opens with the cover, which has no header or footer.
          titlePage: index === 0,
          page: {
            size: {
              width: PAGE.width,
              height: PAGE.height,
              orientation: run.landscape ? PageOrientation.LANDSCAPE : PageOrientation.PORTRAIT,
            },
            margin: marginsOf(PAGE.margin),
          },
        },
        headers: { default: pageHeader(model.integrity), ...(index === 0 ? { first: new Header({ children: [] }) } : {}) },
        footers: {
          default: pageFooter(model.title, model.branding?.footer, width),
          ...(index === 0 ? { first: new Footer({ children: [] }) } : {}),
        },
        children: run.children,
      };
    }),
  });
  return repack(await Packer.toBuffer(document), generatedAt, (xml) => withTables(xml, build));
}

/** The document part's text with each placeholder replaced by its table, a page of rows at a time. */
async function* withTables(xml: string, build: Build): AsyncGenerator<string> {
  let at = 0;
  for (const [index, table] of build.tables.entries()) {
    const placeholder = `<w:p><w:r><w:t xml:space="preserve">${build.marker}${index}</w:t></w:r></w:p>`;
    const found = xml.indexOf(placeholder, at);
    if (found < 0) throw new Error(`format-docx: the placeholder of table ${index} is missing from the docx package's output`);
    yield xml.slice(at, found);
    // The first pages are held until SAMPLE_ROWS rows are in: they decide the column widths.
    const pages = table.pages[Symbol.asyncIterator]();
    const held: ModelCell[][][] = [];
    let next = await pages.next();
    while (!next.done && held.reduce((sum, page) => sum + page.length, 0) < SAMPLE_ROWS) {
      held.push(next.value);
      next = await pages.next();
    }
    const compiled = compileTable({
      columns: table.columns,
      widths: fittedWidths(table.columns, held.flat().slice(0, SAMPLE_ROWS), table.width),
      headerFill: build.theme.headerFill,
      headerColor: build.theme.headerText,
      gridColor: GRID_COLOR,
    });
    yield compiled.start;
    let rows = 0;
    const markup = (page: ModelCell[][]) => {
      let text = '';
      for (const row of page) text += rowXml(compiled, row);
      rows += page.length;
      return text;
    };
    for (const page of held) yield markup(page);
    for (; !next.done; next = await pages.next()) yield markup(next.value);
    yield TABLE_END;
    if (rows === 0) yield noteXml('No rows.', MUTED);
    at = found + placeholder.length;
  }
  yield xml.slice(at);
}

function themeOf(branding: ReportBranding | undefined): Theme {
  const primary = brandColor(branding?.primaryColor);
  const fill = brandColor(branding?.accentColor);
  return {
    accent: primary?.slice(1) ?? DEFAULT_THEME.accent,
    headerFill: fill?.slice(1) ?? DEFAULT_THEME.headerFill,
    headerText: fill ? readableTextOn(fill).slice(1) : DEFAULT_THEME.headerText,
  };
}

function marginsOf(margin: number) {
  return { top: margin, bottom: margin, left: margin, right: margin, header: 708, footer: 708 };
}

function cover(model: ReportModel, build: Build): FileChild[] {
  const metadata = Object.entries(model.metadata).map(([key, value]) => ({ key: labelOf(key), value }));
  return [
    new Paragraph({
      spacing: { before: 2400, after: 360 },
      children: runs(model.title, { bold: true, size: 52, color: build.theme.accent }),
    }),
    ...(metadata.length > 0 ? [keyValueTable(metadata)] : []),
    caption('Integrity of the audit log', build),
    keyValueTable(integrityItems(model.integrity), 16),
    new Paragraph({
      spacing: { before: 120 },
      children: runs('Verify these values against the audit chain to confirm that the report covers an unaltered log.', {
        size: 16,
        color: MUTED,
      }),
    }),
    new Paragraph({ children: [new PageBreak()] }),
  ];
}

function integrityItems(stamp: IntegrityStamp): { key: string; value: string }[] {
  const checkpoint = stamp.checkpoint;
  return [
    { key: 'Tenant', value: stamp.tenantId },
    { key: 'Period from', value: stamp.from },
    { key: 'Period to (exclusive)', value: stamp.to },
    { key: 'Head sequence', value: String(stamp.headSequence) },
    { key: 'Head chain hash', value: stamp.headChainHash },
    ...(checkpoint
      ? [
          { key: 'Latest checkpoint sequence', value: String(checkpoint.sequence) },
          { key: 'Checkpoint chain hash', value: checkpoint.chainHash },
          { key: 'Checkpoint key id', value: checkpoint.keyId },
          { key: 'Checkpoint signature', value: checkpoint.signature },
          { key: 'Checkpoint issued at', value: checkpoint.issuedAt },
        ]
      : [{ key: 'Latest checkpoint', value: 'none' }]),
    { key: 'Generated at', value: stamp.generatedAt },
  ];
}

function contents(build: Build): FileChild[] {
  return [
    new Paragraph({ spacing: { after: 200 }, children: runs('Contents', { bold: true, size: 32, color: build.theme.accent }) }),
    // An empty field: Word fills it in from the Heading 1-3 paragraphs when it opens the document.
    new TableOfContents('Contents', {
      hyperlink: true,
      headingStyleRange: '1-3',
      contentChildren: [new Paragraph({ children: runs('The entries appear here once the fields are updated.', { color: MUTED }) })],
    }),
    new Paragraph({
      spacing: { before: 120 },
      children: runs('This table of contents is filled in when the document is opened: accept Word’s prompt to update the fields.', {
        italics: true,
        size: 16,
        color: MUTED,
      }),
    }),
    new Paragraph({ children: [new PageBreak()] }),
  ];
}

function pageHeader(stamp: IntegrityStamp): Header {
  return new Header({
    children: [
      new Paragraph({
        alignment: AlignmentType.RIGHT,
        children: runs(`Tenant ${stamp.tenantId} · ${stamp.from} – ${stamp.to} · head sequence ${stamp.headSequence}`, {
          size: 14,
          color: MUTED,
        }),
      }),
    ],
  });
}

/**
 * The document in runs of pages of one orientation: portrait, but landscape for a section with a
 * table of WIDE_TABLE columns or more (an audit trail with hashes), which portrait would squeeze.
 */
function pageRuns(model: ReportModel, build: Build): { landscape: boolean; children: FileChild[] }[] {
  const runs = [{ landscape: false, children: [...cover(model, build), ...contents(build)] }];
  for (const reportSection of model.sections) {
    const landscape = reportSection.blocks.some((b) => b.type === 'table' && b.columns.length >= WIDE_TABLE);
    build.width = landscape ? LANDSCAPE_TEXT_WIDTH : TEXT_WIDTH;
    const children = section(reportSection, build);
    const last = runs[runs.length - 1];
    if (last.landscape === landscape) last.children.push(...children);
    else runs.push({ landscape, children });
  }
  return runs;
}

function pageFooter(title: string, footer: string | undefined, width: number): Footer {
  return new Footer({
    children: [
      new Paragraph({
        tabStops: [{ type: 'right', position: width }],
        children: [
          ...runs(footer ? `${footer} · ${title}` : title, { size: 16, color: MUTED }),
          new TextRun({ size: 16, color: MUTED, children: [new Tab(), 'Page ', PageNumber.CURRENT, ' of ', PageNumber.TOTAL_PAGES] }),
        ],
      }),
    ],
  });
}

function section(reportSection: ReportSection, build: Build): FileChild[] {
  return [
    new Paragraph({ heading: HeadingLevel.HEADING_1, children: runs(reportSection.title) }),
    ...reportSection.blocks.flatMap((b) => block(b, build)),
  ];
}

function block(reportBlock: ReportBlock, build: Build): FileChild[] {
  switch (reportBlock.type) {
    case 'heading':
      // Level 1 is the section title, which is already the section's Heading 1.
      return [
        new Paragraph({
          heading: reportBlock.level === 3 ? HeadingLevel.HEADING_3 : HeadingLevel.HEADING_2,
          children: runs(reportBlock.text),
        }),
      ];
    case 'paragraph':
      return [new Paragraph({ spacing: { after: 120 }, children: runs(reportBlock.text) })];
    case 'keyValue':
      return keyValue(reportBlock);
    case 'table':
      return table(reportBlock, build);
    case 'finding':
      return [finding(reportBlock, build)];
    case 'chart':
      return chart(reportBlock, build);
    default:
      // A block type from a newer API version: skipped, as the contract allows.
      return [];
  }
}

function keyValue(reportBlock: KeyValueBlock): FileChild[] {
  return reportBlock.items.length > 0 ? [keyValueTable(reportBlock.items), spacer()] : [];
}

function keyValueTable(items: { key: string; value: string }[], size?: number): Table {
  const widths = [Math.round(TEXT_WIDTH * 0.32), TEXT_WIDTH - Math.round(TEXT_WIDTH * 0.32)];
  return new Table({
    ...gridLayout(widths),
    rows: items.map(
      (item) =>
        new TableRow({
          cantSplit: true,
          children: [gridCell(item.key, widths[0], { bold: true, size }, KEY_FILL), gridCell(item.value, widths[1], { size })],
        }),
    ),
  });
}

function table(reportBlock: TableBlock, build: Build): FileChild[] {
  const columns = reportBlock.columns.map((column) => ({ title: column.title, align: column.align ?? 'left' }));
  return dataTable(reportBlock.caption, columns, tablePages(reportBlock), build);
}

function chart(reportBlock: ChartBlock, build: Build): FileChild[] {
  const columns = [
    { title: 'Label', align: 'left' as const },
    ...reportBlock.series.map((series) => ({ title: series.name, align: 'right' as const })),
  ];
  const length = Math.max(reportBlock.labels.length, ...reportBlock.series.map((series) => series.values.length));
  const rows = Array.from({ length }, (_, index) => [
    reportBlock.labels[index] ?? '',
    ...reportBlock.series.map((series) => series.values[index] ?? null),
  ]);
  return dataTable(reportBlock.title, columns, single(rows), build);
}

async function* single(rows: ModelCell[][]): AsyncGenerator<ModelCell[][]> {
  yield rows;
}

/**
 * A table whose header row Word repeats at the top of every page the table runs onto: a
 * placeholder now, its rows written when the document part is (see withTables).
 */
function dataTable(
  title: string | undefined,
  columns: { title: string; align: Align }[],
  pages: AsyncIterable<ModelCell[][]>,
  build: Build,
): FileChild[] {
  const heading = title ? [caption(title, build)] : [];
  if (columns.length === 0) return [...heading, note('This table has no columns.')];
  const placeholder = new Paragraph({ children: [new TextRun(`${build.marker}${build.tables.length}`)] });
  build.tables.push({ columns, pages, width: build.width });
  return [...heading, placeholder, spacer()];
}

/** About how wide a character of table text (9 pt Calibri) is, and a cell's margins, in twentieths of a point. */
const CHAR_WIDTH = 100;
const CELL_PADDING = 260;
/** A column this narrow (ten characters) is not squeezed while wider ones can be. */
const SHORT_COLUMN = 10 * CHAR_WIDTH + CELL_PADDING;

/**
 * Column widths from what the columns hold: each column gets at least its longest word (of the
 * title or of the first rows' cells, up to 20 characters), and the rest of the line goes to the
 * columns whose text is longer on average. When the longest words do not fit, the short columns
 * (numbers, statuses) keep theirs and the long ones (hashes, ids, addresses) share the rest.
 */
function fittedWidths(columns: { title: string }[], sample: ModelCell[][], total: number): number[] {
  const longestWord = (text: string) => text.split(/\s+/).reduce((max, word) => Math.max(max, word.length), 0);
  const least: number[] = [];
  const wanted: number[] = [];
  columns.forEach((column, index) => {
    const texts = sample.map((row) => cellText(row[index] ?? null));
    const word = texts.reduce((max, text) => Math.max(max, longestWord(text)), longestWord(column.title));
    const mean = texts.length ? texts.reduce((sum, text) => sum + Math.min(60, text.length), 0) / texts.length : 0;
    least.push(CHAR_WIDTH * Math.min(20, Math.max(3, word)) + CELL_PADDING);
    wanted.push(Math.max(0, CHAR_WIDTH * Math.min(60, mean) + CELL_PADDING - least[index]));
  });
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const spare = total - sum(least);
  let widths: number[];
  if (spare >= 0) {
    const wantedTotal = sum(wanted);
    widths = least.map((width, index) =>
      Math.floor(width + (wantedTotal > 0 ? (spare * wanted[index]) / wantedTotal : (spare * width) / sum(least))),
    );
  } else {
    const short = least.map((width) => width <= SHORT_COLUMN);
    const kept = sum(least.filter((_, index) => short[index]));
    const long = least.filter((_, index) => !short[index]);
    // Squeezing the long columns below the short ones' width would make it worse: then all shrink.
    const squeeze = long.length > 0 && total - kept >= long.length * SHORT_COLUMN ? (total - kept) / sum(long) : null;
    widths = least.map((width, index) =>
      Math.floor(squeeze === null ? (width * total) / sum(least) : short[index] ? width : width * squeeze),
    );
  }
  widths[widths.length - 1] += total - sum(widths);
  return widths;
}

function finding(reportBlock: FindingBlock, build: Build): Table {
  const facts = [
    `Status: ${reportBlock.status}`,
    ...(reportBlock.severity ? [`Severity: ${reportBlock.severity}`] : []),
    ...(reportBlock.frameworkId ? [`Framework: ${reportBlock.frameworkId}`] : []),
    ...(reportBlock.controlId ? [`Control: ${reportBlock.controlId}`] : []),
  ];
  const events = reportBlock.eventIds.length > 0 ? reportBlock.eventIds.join(', ') : 'none';
  const edge = { style: BorderStyle.SINGLE, size: 8, color: build.theme.accent } as const;
  return new Table({
    width: { size: TEXT_WIDTH, type: WidthType.DXA },
    columnWidths: [TEXT_WIDTH],
    layout: TableLayoutType.FIXED,
    borders: { top: edge, bottom: edge, right: edge, left: { ...edge, size: 24 }, insideHorizontal: edge, insideVertical: edge },
    rows: [
      new TableRow({
        children: [
          new TableCell({
            width: { size: TEXT_WIDTH, type: WidthType.DXA },
            margins: { top: 80, bottom: 80, left: 160, right: 160 },
            shading: { type: ShadingType.CLEAR, color: 'auto', fill: FINDING_FILL },
            children: [
              new Paragraph({ keepNext: true, spacing: { after: 60 }, children: runs(reportBlock.title, { bold: true, size: 22 }) }),
              new Paragraph({ keepNext: true, spacing: { after: 60 }, children: runs(facts.join(' · '), { color: MUTED }) }),
              new Paragraph({ spacing: { after: 60 }, children: runs(reportBlock.text) }),
              new Paragraph({ children: runs(`Events: ${events}`, { size: 16, color: MUTED }) }),
            ],
          }),
        ],
      }),
    ],
  });
}

function gridLayout(widths: number[]) {
  return {
    width: { size: TEXT_WIDTH, type: WidthType.DXA },
    columnWidths: widths,
    // A fixed layout lets Word place a long table without measuring every cell first.
    layout: TableLayoutType.FIXED,
    borders: GRID_BORDERS,
    margins: CELL_MARGINS,
  };
}

function gridCell(text: string, width: number, style: IRunOptions = {}, fill?: string): TableCell {
  return new TableCell({
    width: { size: width, type: WidthType.DXA },
    ...(fill ? { shading: { type: ShadingType.CLEAR, color: 'auto', fill } } : {}),
    children: [new Paragraph({ children: runs(text, style) })],
  });
}

function caption(text: string, build: Build): Paragraph {
  return new Paragraph({
    keepNext: true,
    spacing: { before: 200, after: 80 },
    children: runs(text, { bold: true, color: build.theme.accent }),
  });
}

function note(text: string): Paragraph {
  return new Paragraph({ children: runs(text, { italics: true, color: MUTED }) });
}

function spacer(): Paragraph {
  return new Paragraph({ spacing: { after: 120 }, children: [] });
}

/** Text runs for a user string: line breaks become Word line breaks and tabs Word tabs. */
function runs(text: string, style: IRunOptions = {}): TextRun[] {
  return clean(text)
    .split(/\r\n|\r|\n/)
    .map(
      (line, index) =>
        new TextRun({
          ...style,
          ...(index > 0 ? { break: 1 } : {}),
          children: line.split('\t').flatMap((part, partIndex) => (partIndex > 0 ? [new Tab(), part] : [part])),
        }),
    );
}

/**
 * A model string as a run may carry it: control and bidirectional characters as their visible
 * escape (`\u202E`, as table cells get them in table-xml.ts), a lone surrogate as U+FFFD, the
 * non-characters U+FFFE and U+FFFF gone (XML 1.0 cannot hold them).
 */
function clean(text: string): string {
  return neutraliseControls(text.toWellFormed()).replace(/[\uFFFE\uFFFF]/g, '');
}

/** A metadata key as a label: `reportType` becomes `Report type`. */
function labelOf(key: string): string {
  const words = key.replace(/([a-z\d])([A-Z])/g, (_, before: string, capital: string) => `${before} ${capital.toLowerCase()}`);
  return words.charAt(0).toUpperCase() + words.slice(1);
}
