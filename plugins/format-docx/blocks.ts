import {
  BorderStyle,
  HeadingLevel,
  Paragraph,
  ShadingType,
  Table,
  TableCell,
  TableLayoutType,
  TableRow,
  WidthType,
  type FileChild,
  type IRunOptions,
} from 'docx';
import {
  chartProblems,
  chartTable,
  tablePages,
  type ChartBlock,
  type FindingBlock,
  type KeyValueBlock,
  type ReportBlock,
  type ReportSection,
  type TableBlock,
  type TableCell as ModelCell,
} from '../../src/plugin-api';
import { chartPicture } from './chart-image';
import type { Build } from './document-build';
import { CELL_MARGINS, FINDING_FILL, GRID_BORDERS, KEY_FILL, MUTED, TEXT_WIDTH, WIDE_TABLE } from './page-style';
import { tablePlaceholder } from './table-stream';
import type { Align } from './table-xml';
import { runs } from './text-runs';

// The blocks of a report section as docx objects: headings, paragraphs, key/value lists, findings;
// charts as pictures (chart-image.ts); data tables and the numbers of charts as placeholders whose
// rows stream later.

export function section(reportSection: ReportSection, build: Build): FileChild[] {
  return [
    // Kept with what follows: a section title never ends a page on its own.
    new Paragraph({ heading: HeadingLevel.HEADING_1, keepNext: true, children: runs(reportSection.title) }),
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

export function keyValueTable(items: { key: string; value: string }[], size?: number): Table {
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

/** A chart: its title, the picture of it (unless the contract refuses it, a host bug) and the table of its numbers under it. */
function chart(reportBlock: ChartBlock, build: Build): FileChild[] {
  const table = chartTable(reportBlock);
  const columns = table.columns.map((column, index) => ({ title: index === 0 ? 'Label' : column.title, align: column.align ?? 'left' }));
  const picture = chartProblems(reportBlock).length === 0 ? [chartPicture(reportBlock, build)] : [];
  // A short table stays with its picture; a long one (a daily chart of a year) may run on over pages.
  const keepTogether = table.rows.length <= KEPT_CHART_ROWS;
  return [caption(reportBlock.title, build), ...picture, ...dataTable(undefined, columns, single(table.rows), build, keepTogether)];
}

/** The most rows of a chart's numbers kept on the page of its picture. */
const KEPT_CHART_ROWS = 20;

async function* single(rows: ModelCell[][]): AsyncGenerator<ModelCell[][]> {
  yield rows;
}

/**
 * A table whose header row Word repeats at the top of every page the table runs onto: a
 * placeholder now, its rows written when the document part is (table-stream.ts).
 */
function dataTable(
  title: string | undefined,
  columns: { title: string; align: Align }[],
  pages: AsyncIterable<ModelCell[][]>,
  build: Build,
  keepTogether = false,
): FileChild[] {
  const heading = title ? [caption(title, build)] : [];
  if (columns.length === 0) return [...heading, note('This table has no columns.')];
  const dense = columns.length >= WIDE_TABLE;
  return [
    ...heading,
    tablePlaceholder({ columns, pages, width: build.width, dense, keepTogether, ...(title ? { caption: title } : {}) }, build),
    spacer(),
  ];
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

export function caption(text: string, build: Build): Paragraph {
  return new Paragraph({
    keepNext: true,
    spacing: { before: 200, after: 80 },
    children: runs(text, { bold: true, color: build.theme.accent }),
  });
}

export function note(text: string): Paragraph {
  return new Paragraph({ children: runs(text, { italics: true, color: MUTED }) });
}

function spacer(): Paragraph {
  return new Paragraph({ spacing: { after: 120 }, children: [] });
}
