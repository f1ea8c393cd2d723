import { Paragraph, TextRun } from 'docx';
import type { TableCell as ModelCell } from '../../src/plugin-api';
import type { Build, PendingTable } from './document-build';
import type { XmlPiece } from './packaging';
import { GRID_COLOR, MUTED } from './page-style';
import { cellText, compileTable, headingXml, noteXml, rowXml, runXml, TABLE_END } from './table-xml';

// Data tables stream: the docx package's output holds a placeholder paragraph for each, replaced
// by the table's markup (table-xml.ts) while word/document.xml is compressed, a page of rows at a
// time. A table of any length then costs one page of rows in memory, and the event loop is free
// between pages.

/** How many rows of a table decide its column widths. */
const SAMPLE_ROWS = 50;

/** A placeholder paragraph for `table`, whose rows are written when the document part is (see withTables). */
export function tablePlaceholder(table: PendingTable, build: Build): Paragraph {
  const placeholder = new Paragraph({ children: [new TextRun(placeholderText(build, build.tables.length))] });
  build.tables.push(table);
  return placeholder;
}

function placeholderText(build: Build, index: number | string): string {
  return `${build.marker}${index}`;
}

/** The placeholder paragraph of the appendix of full hashes, at the end of the document (see withTables). */
export function appendixPlaceholder(build: Build): Paragraph {
  return new Paragraph({ children: [new TextRun(placeholderText(build, 'appendix'))] });
}

/** A cell value that is a SHA-256 digest in hex: a hash column shows it short, the appendix in full. */
const HASH = /^[0-9a-f]{64}$/;
/** How many characters of a hash a table shows: enough to find it in the appendix, and to compare by eye. */
const SHORT_HASH = 12;

/**
 * The full values of one table's hash columns, kept for the appendix: a page of rows per buffer.
 * Bytes outside the JavaScript heap, about 140 a row; a string built up with `+=` would instead keep
 * its pieces, and through them the rows' cells, alive until the end of the document (ADR 0029).
 */
interface HashAppendix {
  caption: string;
  columns: string[];
  pages: Buffer[];
}

/**
 * The document part's text with each placeholder replaced by its table, a page of rows at a time.
 * A column whose cells are all SHA-256 hashes shows their first characters, and the appendix at the
 * end of the document lists them in full against the row's first other cell (its sequence number).
 */
export async function* withTables(xml: string, build: Build): AsyncGenerator<XmlPiece> {
  let at = 0;
  const appendices: HashAppendix[] = [];
  for (const [index, table] of build.tables.entries()) {
    const placeholder = placeholderXml(build, index);
    const found = xml.indexOf(placeholder, at);
    if (found < 0) throw new Error(`format-docx: the placeholder of table ${index} is missing from the docx package's output`);
    yield xml.slice(at, found);
    at = found + placeholder.length;
    // The first pages are held until SAMPLE_ROWS rows are in: they decide the column widths and
    // which columns hold hashes.
    const pages = table.pages[Symbol.asyncIterator]();
    const held: ModelCell[][][] = [];
    let next = await pages.next();
    while (!next.done && held.reduce((sum, page) => sum + page.length, 0) < SAMPLE_ROWS) {
      held.push(next.value);
      next = await pages.next();
    }
    const sample = held.flat().slice(0, SAMPLE_ROWS);
    if (sample.length === 0 && next.done) {
      // An empty table is a sentence, not a header row on its own.
      yield noteXml('No rows.', MUTED);
      continue;
    }
    const hashes = hashColumns(sample, table.columns.length);
    const keyColumn = table.columns.findIndex((_, column) => !hashes.includes(column));
    const appendix: HashAppendix | null =
      hashes.length > 0 && keyColumn >= 0
        ? {
            caption: table.caption ?? `Table ${index + 1}`,
            columns: [table.columns[keyColumn].title, ...hashes.map((column) => table.columns[column].title)],
            pages: [],
          }
        : null;
    const shown = (page: ModelCell[][]) => (appendix ? shortened(page, hashes) : page);
    const compiled = compileTable({
      columns: table.columns,
      widths: fittedWidths(table.columns, shown(sample), table.width, table.dense),
      headerFill: build.theme.headerFill,
      headerColor: build.theme.headerText,
      gridColor: GRID_COLOR,
      dense: table.dense,
      keepTogether: table.keepTogether,
    });
    yield compiled.start;
    const markup = (page: ModelCell[][]) => {
      if (appendix) appendix.pages.push(Buffer.from(fullHashes(page, hashes, keyColumn), 'utf8'));
      const rows = shown(page);
      // A table kept together comes in one page (a chart's numbers): every row but its last is kept with the next.
      // Each row stays its own string: one string of a page's rows would be large enough to outlive young collections.
      return rows.map((row, i) => rowXml(compiled, row, table.keepTogether === true && i < rows.length - 1));
    };
    for (const page of held) yield markup(page);
    for (; !next.done; next = await pages.next()) yield markup(next.value);
    yield TABLE_END;
    if (appendix) appendices.push(appendix);
  }
  const placeholder = placeholderXml(build, 'appendix');
  const found = xml.indexOf(placeholder, at);
  if (found < 0) {
    yield xml.slice(at);
    return;
  }
  yield xml.slice(at, found);
  if (appendices.length > 0) yield* appendixXml(appendices, build);
  yield xml.slice(found + placeholder.length);
}

function placeholderXml(build: Build, index: number | string): string {
  return `<w:p><w:r><w:t xml:space="preserve">${placeholderText(build, index)}</w:t></w:r></w:p>`;
}

/** The columns whose sampled cells are all hashes (at least one, none of another kind). */
function hashColumns(sample: ModelCell[][], count: number): number[] {
  const columns: number[] = [];
  for (let column = 0; column < count; column++) {
    const values = sample.map((row) => row[column] ?? null).filter((value) => value !== null && value !== '');
    if (values.length > 0 && values.every((value) => typeof value === 'string' && HASH.test(value))) columns.push(column);
  }
  return columns;
}

/** The page with its hash cells shortened. */
function shortened(page: ModelCell[][], hashes: number[]): ModelCell[][] {
  return page.map((row) => {
    const copy = [...row];
    for (const column of hashes) {
      const value = row[column];
      if (typeof value === 'string' && HASH.test(value)) copy[column] = `${value.slice(0, SHORT_HASH)}…`;
    }
    return copy;
  });
}

/** The page's full hashes against each row's key cell, a row per line and a cell per tab: one string, not a row of objects. */
function fullHashes(page: ModelCell[][], hashes: number[], keyColumn: number): string {
  let text = '';
  for (const row of page) {
    text += cellText(row[keyColumn] ?? null).replace(/[\t\n]/g, ' ');
    for (const column of hashes) text += `\t${cellText(row[column] ?? null).replace(/[\t\n]/g, ' ')}`;
    text += '\n';
  }
  return text;
}

/** The appendix: a heading, then per table with hash columns a table of its full hashes. */
async function* appendixXml(appendices: HashAppendix[], build: Build): AsyncGenerator<XmlPiece> {
  yield headingXml('Appendix: full hashes');
  yield noteXml('The tables above show the first characters of each hash; here they are in full, by the row they belong to.', MUTED);
  for (const appendix of appendices) {
    yield `<w:p>${runXml(`${appendix.caption} — full hashes`, `<w:rPr><w:b/><w:bCs/><w:color w:val="${build.theme.accent}"/></w:rPr>`)}</w:p>`;
    const key = CHAR_WIDTH * 10 + CELL_PADDING;
    const rest = Math.floor((build.width - key) / (appendix.columns.length - 1));
    const compiled = compileTable({
      columns: appendix.columns.map((title, index) => ({ title, align: index === 0 ? 'right' : 'left' })),
      widths: [key, ...appendix.columns.slice(1).map(() => rest)],
      headerFill: build.theme.headerFill,
      headerColor: build.theme.headerText,
      gridColor: GRID_COLOR,
      dense: true,
    });
    yield compiled.start;
    for (const page of appendix.pages) {
      const lines = page.toString('utf8').split('\n');
      yield lines.filter((line) => line !== '').map((line) => rowXml(compiled, line.split('\t')));
    }
    yield TABLE_END;
  }
}

/** About how wide a character of table text (9 pt Calibri; 8 pt in a dense table) is, and a cell's margins, in twentieths of a point. */
const CHAR_WIDTH = 100;
const DENSE_CHAR_WIDTH = 90;
const CELL_PADDING = 260;
/** A column this narrow (ten characters) is not squeezed while wider ones can be. */
const SHORT_COLUMN = 10 * CHAR_WIDTH + CELL_PADDING;

/**
 * Column widths from what the columns hold: each column gets at least the longest word of its
 * title (headers never break inside a word) and of the first rows' cells (up to 26 characters: a
 * timestamp stays on one line), and the rest of the line goes to the columns whose text is longer
 * on average. When the longest words do not fit, the short columns (numbers, statuses) keep theirs
 * and the long ones (ids, addresses) share the rest.
 */
function fittedWidths(columns: { title: string }[], sample: ModelCell[][], total: number, dense = false): number[] {
  const charWidth = dense ? DENSE_CHAR_WIDTH : CHAR_WIDTH;
  const longestWord = (text: string) => text.split(/\s+/).reduce((max, word) => Math.max(max, word.length), 0);
  const least: number[] = [];
  const wanted: number[] = [];
  columns.forEach((column, index) => {
    const texts = sample.map((row) => cellText(row[index] ?? null));
    const word = Math.max(
      longestWord(column.title) + 1, // bold
      Math.min(
        26,
        texts.reduce((max, text) => Math.max(max, longestWord(text)), 0),
      ),
    );
    const mean = texts.length ? texts.reduce((sum, text) => sum + Math.min(60, text.length), 0) / texts.length : 0;
    least.push(charWidth * Math.max(3, word) + CELL_PADDING);
    wanted.push(Math.max(0, charWidth * Math.min(60, mean) + CELL_PADDING - least[index]));
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
