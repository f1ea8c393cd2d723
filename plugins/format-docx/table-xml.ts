import { neutraliseControls, type TableCell } from '../../src/plugin-api';

// WordprocessingML for data tables, written as text: a table of 50,000 events built from docx
// package objects takes gigabytes and seconds of blocked event loop, written as text it streams
// (render.ts). The markup is what the docx package writes for the same table, element for element
// in schema order; every model string goes through `xmlText`, which neutralises control
// characters, escapes it and drops what XML 1.0 cannot hold.

export type Align = 'left' | 'right' | 'center';

export interface TableLayout {
  columns: { title: string; align: Align }[];
  /** Column widths in twentieths of a point; they add up to the text width. */
  widths: number[];
  /** `RRGGBB` fill of the header row. */
  headerFill: string;
  /** `RRGGBB` text colour of the header row. */
  headerColor: string;
  /** `RRGGBB` of the grid lines. */
  gridColor: string;
  /** 8 pt text and thinner cell margins, for the wide tables of landscape pages (an audit trail). */
  dense?: boolean;
  /** Every row kept with the next (a chart's numbers, kept with its picture): the table moves to the next page whole. */
  keepTogether?: boolean;
}

/** A table layout compiled into the fixed parts of its markup. */
export interface CompiledTable {
  start: string;
  cellOpen: string[];
  /** The cell starts of a row kept with the next one (`keepTogether`). */
  keptOpen: string[];
  /** The run properties of body text. */
  bodyRun: string;
}

const CELL_CLOSE = '</w:p></w:tc>';
/** Table text is 9 pt, a point smaller than the body; 8 pt in a dense table. */
const SMALL = '<w:sz w:val="18"/><w:szCs w:val="18"/>';
const SMALLER = '<w:sz w:val="16"/><w:szCs w:val="16"/>';
const ROW_OPEN = '<w:tr><w:trPr><w:cantSplit/></w:trPr>';
const ROW_CLOSE = '</w:tr>';
export const TABLE_END = '</w:tbl>';
const PARAGRAPH_OPEN = new Map<string, string>([
  ['right', '<w:p><w:pPr><w:jc w:val="right"/></w:pPr>'],
  ['center', '<w:p><w:pPr><w:jc w:val="center"/></w:pPr>'],
]);
const KEPT_PARAGRAPH_OPEN = new Map<string, string>([
  ['right', '<w:p><w:pPr><w:keepNext/><w:jc w:val="right"/></w:pPr>'],
  ['center', '<w:p><w:pPr><w:keepNext/><w:jc w:val="center"/></w:pPr>'],
]);

export function compileTable(layout: TableLayout): CompiledTable {
  const grid = `<w:top w:val="single" w:color="${layout.gridColor}" w:sz="4"/><w:left w:val="single" w:color="${layout.gridColor}" w:sz="4"/><w:bottom w:val="single" w:color="${layout.gridColor}" w:sz="4"/><w:right w:val="single" w:color="${layout.gridColor}" w:sz="4"/><w:insideH w:val="single" w:color="${layout.gridColor}" w:sz="4"/><w:insideV w:val="single" w:color="${layout.gridColor}" w:sz="4"/>`;
  const total = layout.widths.reduce((sum, width) => sum + width, 0);
  const size = layout.dense ? SMALLER : SMALL;
  const vertical = layout.dense ? 10 : 40;
  // A fixed list, whatever the model says: an unknown alignment is left.
  const paragraphOpen = (align: Align) => PARAGRAPH_OPEN.get(align) ?? '<w:p>';
  const keptOpen = (align: Align) => KEPT_PARAGRAPH_OPEN.get(align) ?? '<w:p><w:pPr><w:keepNext/></w:pPr>';
  const headerOpen = layout.keepTogether ? keptOpen : paragraphOpen;
  const header = layout.columns
    .map(
      (column, index) =>
        `<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="${layout.widths[index]}"/><w:shd w:fill="${layout.headerFill}" w:color="auto" w:val="clear"/></w:tcPr>` +
        headerOpen(column.align) +
        runXml(column.title, `<w:rPr><w:b/><w:bCs/><w:color w:val="${layout.headerColor}"/>${size}</w:rPr>`) +
        CELL_CLOSE,
    )
    .join('');
  return {
    start:
      `<w:tbl><w:tblPr><w:tblW w:type="dxa" w:w="${total}"/><w:tblBorders>${grid}</w:tblBorders><w:tblLayout w:type="fixed"/>` +
      `<w:tblCellMar><w:top w:type="dxa" w:w="${vertical}"/><w:left w:type="dxa" w:w="80"/><w:bottom w:type="dxa" w:w="${vertical}"/><w:right w:type="dxa" w:w="80"/></w:tblCellMar></w:tblPr>` +
      `<w:tblGrid>${layout.widths.map((width) => `<w:gridCol w:w="${width}"/>`).join('')}</w:tblGrid>` +
      `<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>${header}${ROW_CLOSE}`,
    cellOpen: layout.columns.map(
      (column, index) => `<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="${layout.widths[index]}"/></w:tcPr>${paragraphOpen(column.align)}`,
    ),
    keptOpen: layout.columns.map(
      (column, index) => `<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="${layout.widths[index]}"/></w:tcPr>${keptOpen(column.align)}`,
    ),
    bodyRun: `<w:rPr>${size}</w:rPr>`,
  };
}

/** One body row: a cell per column, missing cells empty; `kept` with the next row on its page. */
export function rowXml(table: CompiledTable, row: TableCell[], kept = false): string {
  const open = kept ? table.keptOpen : table.cellOpen;
  let xml = ROW_OPEN;
  for (let index = 0; index < open.length; index++) xml += open[index] + runXml(cellText(row[index] ?? null), table.bodyRun) + CELL_CLOSE;
  return xml + ROW_CLOSE;
}

/** A Heading 1 paragraph, as the docx package writes one. */
export function headingXml(text: string): string {
  return `<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr>${runXml(text)}</w:p>`;
}

/** A paragraph of italic text in `color` (`RRGGBB`). */
export function noteXml(text: string, color: string): string {
  return `<w:p>${runXml(text, `<w:rPr><w:i/><w:iCs/><w:color w:val="${color}"/></w:rPr>`)}</w:p>`;
}

/** A run of `text`: line breaks become Word line breaks and tabs Word tabs; nothing for empty text. */
export function runXml(text: string, properties = ''): string {
  if (text === '') return '';
  // Most cells are one line without a tab: the same markup, without splitting.
  if (!LINE_OR_TAB.test(text)) return `<w:r>${properties}<w:t xml:space="preserve">${xmlText(text)}</w:t></w:r>`;
  const lines = text.split(/\r\n|\r|\n/).map((line) =>
    line
      .split('\t')
      .map((part) => (part === '' ? '' : `<w:t xml:space="preserve">${xmlText(part)}</w:t>`))
      .join('<w:tab/>'),
  );
  return `<w:r>${properties}${lines.join('<w:br/>')}</w:r>`;
}

/**
 * Text as XML character data: control and bidirectional characters as their visible escape
 * (`\u001B`, `\u202E`: {@link neutraliseControls}, as runs get them in render.ts), then `&`, `<` and
 * `>` escaped; a lone surrogate becomes U+FFFD; the non-characters U+FFFE and U+FFFF go.
 */
export function xmlText(text: string): string {
  if (!NEEDS_WORK.test(text)) return text;
  return neutraliseControls(text.toWellFormed())
    .replace(/[\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

const LINE_OR_TAB = /[\r\n\t]/;
// eslint-disable-next-line no-control-regex
const NEEDS_WORK = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069&<>\uD800-\uDFFF\uFFFE\uFFFF]/;

export function cellText(value: TableCell): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  return String(value);
}
