import { Paragraph, TextRun } from 'docx';
import type { TableCell as ModelCell } from '../../src/plugin-api';
import type { Build, PendingTable } from './document-build';
import { GRID_COLOR, MUTED } from './page-style';
import { cellText, compileTable, noteXml, rowXml, TABLE_END } from './table-xml';

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

function placeholderText(build: Build, index: number): string {
  return `${build.marker}${index}`;
}

/** The document part's text with each placeholder replaced by its table, a page of rows at a time. */
export async function* withTables(xml: string, build: Build): AsyncGenerator<string> {
  let at = 0;
  for (const [index, table] of build.tables.entries()) {
    const placeholder = `<w:p><w:r><w:t xml:space="preserve">${placeholderText(build, index)}</w:t></w:r></w:p>`;
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
