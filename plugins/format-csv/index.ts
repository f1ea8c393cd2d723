import {
  chartTable,
  defineFormatPlugin,
  type FindingBlock,
  neutraliseControls,
  type ReportModel,
  type TableCell,
} from '../../src/plugin-api';

/** One small table of the file; see the layout on the plugin below. */
interface CsvTable {
  kind: 'report' | 'table' | 'keyValue' | 'chart' | 'findings';
  sectionId: string;
  sectionTitle: string;
  caption: string;
  header: TableCell[];
  rows: TableCell[][];
}

/**
 * A text cell starting with one of these is a formula to a spreadsheet (OWASP CSV injection). Text
 * that already starts with apostrophes before one is prefixed too, so that a reader who strips one
 * apostrophe always gets the model's string back.
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;
const CRLF = '\r\n';

/** A cell as text: finite numbers as JavaScript writes them, booleans `true`/`false`, null empty, control characters neutralised, text that a spreadsheet would run prefixed with `'`. */
function cellText(cell: TableCell | undefined): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'number' && Number.isFinite(cell)) return String(cell);
  if (typeof cell === 'boolean') return cell ? 'true' : 'false';
  // Controls first: a cell that started with ESC or U+202E starts with a backslash once neutralised.
  const text = neutraliseControls(String(cell));
  return FORMULA_START.test(text) ? `'${text}` : text;
}

function record(cells: readonly (TableCell | undefined)[]): string {
  const line = cells
    .map(cellText)
    .map((text) => (NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text))
    .join(',');
  // An empty line separates tables; a record of one empty field must not look like one.
  return line === '' ? '""' : line;
}

function reportTable(model: ReportModel): CsvTable {
  const { integrity: stamp } = model;
  const checkpoint = stamp.checkpoint;
  return {
    kind: 'report',
    sectionId: '',
    sectionTitle: model.title,
    caption: '',
    header: ['field', 'value'],
    rows: [
      ['title', model.title],
      ['integrity.tenantId', stamp.tenantId],
      ['integrity.from', stamp.from],
      ['integrity.to', stamp.to],
      ['integrity.headSequence', stamp.headSequence],
      ['integrity.headChainHash', stamp.headChainHash],
      ...(checkpoint
        ? [
            ['integrity.checkpoint.sequence', checkpoint.sequence],
            ['integrity.checkpoint.chainHash', checkpoint.chainHash],
            ['integrity.checkpoint.keyId', checkpoint.keyId],
            ['integrity.checkpoint.signature', checkpoint.signature],
            ['integrity.checkpoint.issuedAt', checkpoint.issuedAt],
          ]
        : [['integrity.checkpoint', null]]),
      ['integrity.generatedAt', stamp.generatedAt],
      ...Object.entries(model.metadata).map(([key, value]) => [`metadata.${key}`, value]),
    ],
  };
}

function findingsTable(section: { id: string; title: string }, findings: FindingBlock[]): CsvTable {
  return {
    kind: 'findings',
    sectionId: section.id,
    sectionTitle: section.title,
    caption: '',
    header: ['title', 'status', 'severity', 'framework', 'control', 'text', 'event ids'],
    rows: findings.map((f) => [
      f.title,
      f.status,
      f.severity ?? null,
      f.frameworkId ?? null,
      f.controlId ?? null,
      f.text,
      f.eventIds.join(' '),
    ]),
  };
}

function tablesOf(model: ReportModel): CsvTable[] {
  const tables = [reportTable(model)];
  for (const section of model.sections) {
    const base = { sectionId: section.id, sectionTitle: section.title };
    let findings: FindingBlock[] = [];
    const flush = () => {
      if (findings.length) tables.push(findingsTable(section, findings));
      findings = [];
    };
    for (const block of section.blocks) {
      switch (block.type) {
        case 'finding':
          findings.push(block);
          break;
        case 'table':
          flush();
          tables.push({
            ...base,
            kind: 'table',
            caption: block.caption ?? '',
            header: block.columns.map((c) => c.title),
            rows: block.rows,
          });
          break;
        case 'keyValue':
          flush();
          tables.push({ ...base, kind: 'keyValue', caption: '', header: ['key', 'value'], rows: block.items.map((i) => [i.key, i.value]) });
          break;
        case 'chart': {
          flush();
          const table = chartTable(block);
          tables.push({
            ...base,
            kind: 'chart',
            caption: block.title,
            header: ['label', ...table.columns.slice(1).map((c) => c.title)],
            rows: table.rows,
          });
          break;
        }
        default:
          // Headings and paragraphs are narrative, not data; unknown (newer) block types are skipped.
          break;
      }
    }
    flush();
  }
  return tables;
}

/** The whole file: BOM, then the tables, one empty line between two. */
function renderCsv(model: ReportModel): Buffer {
  const text = tablesOf(model)
    .map((t) => [[t.kind, t.sectionId, t.sectionTitle, t.caption, t.rows.length], t.header, ...t.rows].map(record).join(CRLF) + CRLF)
    .join(CRLF);
  return Buffer.from(`\uFEFF${text}`, 'utf8');
}

/**
 * The report as CSV, for spreadsheets and scripts: the data of the report (tables, key-value
 * lists, charts, findings) with the integrity stamp, without the narrative.
 *
 * **Encoding.** UTF-8 with a byte-order mark, so Excel reads it as UTF-8. RFC 4180: fields
 * separated by `,`, every record ends with CRLF, a field is quoted (`"…"`, a `"` inside doubled) when
 * it contains a comma, a quote, CR or LF. A record that would be an empty line (one empty field) is
 * written `""`, so an empty line only ever separates two tables.
 *
 * **Layout.** A CSV holds one table; a report holds several, so the file is a sequence of small
 * tables separated by one empty line. Each is:
 *
 * 1. a caption row of five fields: `kind` (`report`, `table`, `keyValue`, `chart`, `findings`), the
 *    section id, the section title, the caption (a table's caption, a chart's title, else empty) and
 *    the number N of data rows;
 * 2. a header row;
 * 3. N data rows.
 *
 * The first table is always `report,,<report title>,,N` with header `field,value` and the rows
 * `title`, `integrity.tenantId`, `integrity.from`, `integrity.to`, `integrity.headSequence`,
 * `integrity.headChainHash`, then `integrity.checkpoint.sequence`, `.chainHash`, `.keyId`,
 * `.signature`, `.issuedAt` (or one row `integrity.checkpoint` with an empty value when no
 * checkpoint was signed yet), `integrity.generatedAt`, and a `metadata.<key>` row per metadata
 * entry. Then come the sections' blocks in order:
 *
 * - `table`: header = the column titles, rows = the table's rows;
 * - `keyValue`: header `key,value`, a row per item;
 * - `chart`: its data, never an image: header `label,<series name>…` (and `Total` for a stacked
 *   chart), a row per label with each series' value (labels × series, `chartTable()`);
 * - `findings`: the findings of a section not separated by one of the blocks above form one table,
 *   header `title,status,severity,framework,control,text,event ids`, event ids separated by spaces.
 *
 * Headings and paragraphs are not in the CSV (use HTML or DOCX for the narrative), nor block types
 * newer than this plugin. A section without data blocks has no table.
 *
 * **Cells.** Numbers as JavaScript writes them (`-5`, `0.125`, `1e+21`), booleans `true`/`false`,
 * null empty. Text that starts with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` so that no
 * spreadsheet runs it as a formula (OWASP); a number is never prefixed, so `-5` stays a number.
 * Text that starts with apostrophes followed by one of these characters gets one more `'`. A
 * reader gets the model's string back by removing one `'` from a cell matching `/^'+[=+\-@\t\r]/`.
 * Control characters other than tab, CR and LF (NUL, ESC, DEL, C1) and the bidirectional controls
 * (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) are written as their visible escape
 * `\u001B`, `\u202E` ({@link neutraliseControls}), so no terminal or viewer acts on them.
 *
 * **Reading it back.** Parse every record at once, skipping empty lines, then walk the tables by
 * their row counts, e.g. with csv-parse:
 *
 * ```ts
 * const records = parse(file, { bom: true, relax_column_count: true, skip_empty_lines: true });
 * for (let i = 0; i < records.length; ) {
 *   const [kind, sectionId, sectionTitle, caption, count] = records[i];
 *   const header = records[i + 1];
 *   const rows = records.slice(i + 2, i + 2 + Number(count));
 *   i += 2 + Number(count);
 * }
 * ```
 *
 * In a spreadsheet the tables show one under the other, each under its caption row.
 */
export default defineFormatPlugin({
  id: 'format-csv',
  kind: 'format',
  version: '1.1.0',
  apiVersion: '^1.2.0',
  name: 'CSV',
  description:
    'Renders the data of reports (tables, key-value lists, charts, findings) with the integrity stamp as CSV tables, one under the other, safe to open in a spreadsheet.',
  mimeType: 'text/csv',
  fileExtension: 'csv',
  render: (model: ReportModel) => renderCsv(model),
});
