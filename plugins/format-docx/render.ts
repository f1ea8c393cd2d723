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
import type {
  ChartBlock,
  FindingBlock,
  IntegrityStamp,
  KeyValueBlock,
  ReportBlock,
  ReportModel,
  ReportSection,
  TableBlock,
  TableCell as ModelCell,
} from '../../src/plugin-api';
import { fixDocxTimestamps, timestampOf } from './fixed-timestamps';

// Every model string reaches the file only as the text of a docx run (the library escapes it);
// nothing here writes XML. Only the built-in Normal and Heading 1-3 styles are used, with direct
// formatting for the rest, so that any reader maps the document without unknown styles.

/** A4 with 2.54 cm margins: the width text and tables may take, in twentieths of a point. */
const PAGE = { width: 11906, height: 16838, margin: 1440 } as const;
const TEXT_WIDTH = PAGE.width - 2 * PAGE.margin;
const CREATOR = 'DataPunk Audit';
const ACCENT = '1F3864';
const MUTED = '595959';
const HEADER_FILL = 'D9E2F3';
const KEY_FILL = 'F2F2F2';
const FINDING_FILL = 'FBFBFB';
const GRID = { style: BorderStyle.SINGLE, size: 4, color: 'A6A6A6' } as const;
const GRID_BORDERS = { top: GRID, bottom: GRID, left: GRID, right: GRID, insideHorizontal: GRID, insideVertical: GRID };
const CELL_MARGINS = { top: 40, bottom: 40, left: 80, right: 80 };

const ALIGNMENT = { left: AlignmentType.LEFT, right: AlignmentType.RIGHT, center: AlignmentType.CENTER } as const;
type Align = keyof typeof ALIGNMENT;

interface GridColumn {
  title: string;
  align: Align;
}

/** Renders a report model as a Word document (Office Open XML); the same model gives the same bytes. */
export async function renderDocx(model: ReportModel): Promise<Buffer> {
  const generatedAt = timestampOf(model.integrity.generatedAt);
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
        heading1: { run: { font: 'Calibri', size: 32, bold: true, color: ACCENT }, paragraph: { spacing: { before: 360, after: 160 } } },
        heading2: { run: { font: 'Calibri', size: 26, bold: true, color: ACCENT }, paragraph: { spacing: { before: 240, after: 120 } } },
        heading3: { run: { font: 'Calibri', size: 22, bold: true, color: ACCENT }, paragraph: { spacing: { before: 200, after: 80 } } },
      },
    },
    sections: [
      {
        properties: {
          titlePage: true,
          page: { size: { width: PAGE.width, height: PAGE.height }, margin: marginsOf(PAGE.margin) },
        },
        headers: { default: pageHeader(model.integrity), first: new Header({ children: [] }) },
        footers: { default: pageFooter(model.title), first: new Footer({ children: [] }) },
        children: [...cover(model), ...contents(), ...model.sections.flatMap(section)],
      },
    ],
  });
  return fixDocxTimestamps(await Packer.toBuffer(document), generatedAt);
}

function marginsOf(margin: number) {
  return { top: margin, bottom: margin, left: margin, right: margin, header: 708, footer: 708 };
}

function cover(model: ReportModel): FileChild[] {
  const metadata = Object.entries(model.metadata).map(([key, value]) => ({ key: labelOf(key), value }));
  return [
    new Paragraph({ spacing: { before: 2400, after: 360 }, children: runs(model.title, { bold: true, size: 52, color: ACCENT }) }),
    ...(metadata.length > 0 ? [keyValueTable(metadata)] : []),
    caption('Integrity of the audit log'),
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

function contents(): FileChild[] {
  return [
    new Paragraph({ spacing: { after: 200 }, children: runs('Contents', { bold: true, size: 32, color: ACCENT }) }),
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

function pageFooter(title: string): Footer {
  return new Footer({
    children: [
      new Paragraph({
        tabStops: [{ type: 'right', position: TEXT_WIDTH }],
        children: [
          ...runs(title, { size: 16, color: MUTED }),
          new TextRun({ size: 16, color: MUTED, children: [new Tab(), 'Page ', PageNumber.CURRENT, ' of ', PageNumber.TOTAL_PAGES] }),
        ],
      }),
    ],
  });
}

function section(reportSection: ReportSection): FileChild[] {
  return [new Paragraph({ heading: HeadingLevel.HEADING_1, children: runs(reportSection.title) }), ...reportSection.blocks.flatMap(block)];
}

function block(reportBlock: ReportBlock): FileChild[] {
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
      return table(reportBlock);
    case 'finding':
      return [finding(reportBlock)];
    case 'chart':
      return chart(reportBlock);
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
          children: [
            gridCell(item.key, widths[0], 'left', { bold: true, size }, KEY_FILL),
            gridCell(item.value, widths[1], 'left', { size }),
          ],
        }),
    ),
  });
}

function table(reportBlock: TableBlock): FileChild[] {
  const columns = reportBlock.columns.map((column) => ({ title: column.title, align: column.align ?? 'left' }));
  return dataTable(
    reportBlock.caption,
    columns,
    reportBlock.rows.map((row) => row.map(cellText)),
  );
}

function chart(reportBlock: ChartBlock): FileChild[] {
  const columns: GridColumn[] = [
    { title: 'Label', align: 'left' },
    ...reportBlock.series.map((series) => ({ title: series.name, align: 'right' as const })),
  ];
  const length = Math.max(reportBlock.labels.length, ...reportBlock.series.map((series) => series.values.length));
  const rows = Array.from({ length }, (_, index) => [
    reportBlock.labels[index] ?? '',
    ...reportBlock.series.map((series) => cellText(series.values[index] ?? null)),
  ]);
  return dataTable(reportBlock.title, columns, rows);
}

/** A table whose header row Word repeats at the top of every page the table runs onto. */
function dataTable(title: string | undefined, columns: GridColumn[], rows: string[][]): FileChild[] {
  const heading = title ? [caption(title)] : [];
  if (columns.length === 0) return [...heading, note('This table has no columns.')];
  const widths = columnWidths(columns.length);
  const header = new TableRow({
    tableHeader: true,
    cantSplit: true,
    children: columns.map((column, index) => gridCell(column.title, widths[index], column.align, { bold: true }, HEADER_FILL)),
  });
  const body = rows.map(
    (row) =>
      new TableRow({
        cantSplit: true,
        children: columns.map((column, index) => gridCell(row[index] ?? '', widths[index], column.align)),
      }),
  );
  return [
    ...heading,
    new Table({ ...gridLayout(widths), rows: [header, ...body] }),
    ...(rows.length === 0 ? [note('No rows.')] : []),
    spacer(),
  ];
}

function finding(reportBlock: FindingBlock): Table {
  const facts = [
    `Status: ${reportBlock.status}`,
    ...(reportBlock.severity ? [`Severity: ${reportBlock.severity}`] : []),
    ...(reportBlock.frameworkId ? [`Framework: ${reportBlock.frameworkId}`] : []),
    ...(reportBlock.controlId ? [`Control: ${reportBlock.controlId}`] : []),
  ];
  const events = reportBlock.eventIds.length > 0 ? reportBlock.eventIds.join(', ') : 'none';
  const edge = { style: BorderStyle.SINGLE, size: 8, color: ACCENT } as const;
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

function gridCell(text: string, width: number, align: Align, style: IRunOptions = {}, fill?: string): TableCell {
  return new TableCell({
    width: { size: width, type: WidthType.DXA },
    ...(fill ? { shading: { type: ShadingType.CLEAR, color: 'auto', fill } } : {}),
    children: [new Paragraph({ ...(align === 'left' ? {} : { alignment: ALIGNMENT[align] }), children: runs(text, style) })],
  });
}

function columnWidths(count: number): number[] {
  const width = Math.floor(TEXT_WIDTH / count);
  return Array.from({ length: count }, (_, index) => (index === count - 1 ? TEXT_WIDTH - width * (count - 1) : width));
}

function caption(text: string): Paragraph {
  return new Paragraph({ keepNext: true, spacing: { before: 200, after: 80 }, children: runs(text, { bold: true, color: ACCENT }) });
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
 * Removes what XML 1.0 cannot hold (the docx package already drops the other control characters):
 * a lone surrogate becomes U+FFFD, and the non-characters U+FFFE and U+FFFF go.
 */
function clean(text: string): string {
  return text.toWellFormed().replace(/[\uFFFE\uFFFF]/g, '');
}

/** A metadata key as a label: `reportType` becomes `Report type`. */
function labelOf(key: string): string {
  const words = key.replace(/([a-z\d])([A-Z])/g, (_, before: string, capital: string) => `${before} ${capital.toLowerCase()}`);
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function cellText(value: ModelCell): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  return String(value);
}
