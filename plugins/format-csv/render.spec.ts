import { parse } from 'csv-parse/sync';
import {
  neutraliseControls,
  type PluginLogger,
  UNSAFE_CONTROL_CHARACTERS,
  type ReportModel,
  type TableBlock,
  type TableCell,
} from '../../src/plugin-api';
import { SAMPLE_HOSTILE_STRINGS, sampleReportModel } from '../../src/plugin-testing';
import plugin from './index';

const logger: PluginLogger = { debug() {}, info() {}, warn() {}, error() {} };
const render = async (model: ReportModel) => Buffer.from(await plugin.render(model, { options: {}, logger }));

/** Removes the apostrophe the plugin puts before formula text, as its TSDoc tells a reader to. */
const unguard = (text: string) => (/^'+[=+\-@\t\r]/.test(text) ? text.slice(1) : text);

/** A model cell as it reads back: numbers and booleans as their text, null empty. */
const asRead = (cell: TableCell) => (cell === null ? '' : typeof cell === 'string' ? shown(cell) : String(cell));
/** A model string as it reads back: control and bidi characters as their visible escape. */
const shown = (text: string) => neutraliseControls(text);

interface ReadTable {
  kind: string;
  sectionId: string;
  sectionTitle: string;
  caption: string;
  header: string[];
  rows: string[][];
}

/** The file's tables, read exactly as the plugin's TSDoc describes, with csv-parse. */
function readTables(file: Buffer): ReadTable[] {
  const records = parse(file, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  const tables: ReadTable[] = [];
  for (let i = 0; i < records.length;) {
    expect(records[i]).toHaveLength(5);
    const [kind, sectionId, sectionTitle, caption, count] = records[i].map(unguard);
    const rows = records.slice(i + 2, i + 2 + Number(count)).map((r) => r.map(unguard));
    expect(rows).toHaveLength(Number(count));
    tables.push({ kind, sectionId, sectionTitle, caption, header: records[i + 1].map(unguard), rows });
    i += 2 + Number(count);
  }
  return tables;
}

describe('format-csv', () => {
  const model = sampleReportModel({ rows: 300 });

  it('is UTF-8 with a BOM and RFC 4180: CRLF after every record, quotes doubled, multi-line cells quoted', async () => {
    const file = await render(model);
    expect([...file.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = file.toString('utf8');
    const outsideQuotes = text.replace(/"(?:[^"]|"")*"/g, 'Q');
    expect(outsideQuotes).not.toMatch(/[^\r]\n|\r[^\n]/);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text).toContain('"""quoted, with comma"""');
    expect(() => parse(file, { bom: true, relax_column_count: true })).not.toThrow();
  });

  it('starts with the integrity stamp and the metadata as field,value rows', async () => {
    const [report] = readTables(await render(model));
    const { integrity: stamp } = model;
    expect(report).toMatchObject({ kind: 'report', sectionId: '', sectionTitle: model.title, caption: '', header: ['field', 'value'] });
    expect(Object.fromEntries(report.rows)).toEqual({
      title: model.title,
      'integrity.tenantId': stamp.tenantId,
      'integrity.from': stamp.from,
      'integrity.to': stamp.to,
      'integrity.headSequence': String(stamp.headSequence),
      'integrity.headChainHash': stamp.headChainHash,
      'integrity.checkpoint.sequence': String(stamp.checkpoint!.sequence),
      'integrity.checkpoint.chainHash': stamp.checkpoint!.chainHash,
      'integrity.checkpoint.keyId': stamp.checkpoint!.keyId,
      'integrity.checkpoint.signature': stamp.checkpoint!.signature,
      'integrity.checkpoint.issuedAt': stamp.checkpoint!.issuedAt,
      'integrity.generatedAt': stamp.generatedAt,
      ...Object.fromEntries(Object.entries(model.metadata).map(([k, v]) => [`metadata.${k}`, v])),
    });
  });

  it('has one table per data block in section order, and every cell of the 300-row table reads back', async () => {
    const tables = readTables(await render(model));
    expect(tables.map((t) => [t.kind, t.sectionId])).toEqual([
      ['report', ''],
      ['keyValue', 'summary'],
      ['findings', 'findings'],
      ['table', 'events'],
      ['table', 'events'],
      ['table', 'events'],
      ['chart', 'trends'],
      ['chart', 'trends'],
      ['chart', 'trends'],
      ['chart', 'trends'],
    ]);
    const events = model.sections.find((s) => s.id === 'events')!;
    const [big, empty, oneColumn] = events.blocks as TableBlock[];
    const [readBig, readEmpty, readOneColumn] = tables.filter((t) => t.kind === 'table');
    expect(readBig).toMatchObject({
      sectionTitle: shown(events.title),
      caption: shown(big.caption!),
      header: big.columns.map((c) => shown(c.title)),
    });
    expect(readBig.rows).toHaveLength(300);
    expect(readBig.rows).toEqual(big.rows.map((row) => row.map(asRead)));
    expect(readEmpty).toMatchObject({ caption: empty.caption, header: ['Action'], rows: [] });
    // One-column rows of empty cells are not mistaken for the empty lines between tables.
    expect(readOneColumn).toMatchObject({ caption: '', header: [''], rows: [[''], [''], [SAMPLE_HOSTILE_STRINGS[8]]] });
    expect(readOneColumn.rows).toEqual(oneColumn.rows.map((row) => row.map(asRead)));

    const keyValue = model.sections[0].blocks.find((b) => b.type === 'keyValue')!;
    expect(tables[1]).toMatchObject({ header: ['key', 'value'], rows: keyValue.items.map((i) => [shown(i.key), shown(i.value)]) });
  });

  it('shows a chart as a table of labels × series and the findings of a section as one table', async () => {
    const tables = readTables(await render(model));
    const [bar] = model.sections.find((s) => s.id === 'trends')!.blocks;
    if (bar.type !== 'chart') throw new Error('the sample starts its trends with a bar chart');
    expect(tables[6]).toEqual({
      kind: 'chart',
      sectionId: 'trends',
      sectionTitle: 'Trends',
      caption: shown(bar.title),
      header: ['label', ...bar.series.map((s) => shown(s.name))],
      rows: bar.labels.map((label, i) => [shown(label), ...bar.series.map((s) => String(s.values[i]))]),
    });
    // A stacked chart's data, with the total of each bar, and no image.
    const stacked = model.sections.find((s) => s.id === 'trends')!.blocks.find((b) => b.type === 'chart' && b.kind === 'stacked');
    if (stacked?.type !== 'chart') throw new Error('the sample has a stacked chart');
    expect(tables[9]).toMatchObject({
      caption: shown(stacked.title),
      header: ['label', ...stacked.series.map((s) => shown(s.name)), 'Total'],
      rows: stacked.labels.map((label, i) => [
        shown(label),
        ...stacked.series.map((s) => String(s.values[i])),
        String(stacked.series.reduce((t, s) => t + s.values[i], 0)),
      ]),
    });
    expect(String(await render(model))).not.toContain('<svg');
    const findings = model.sections.find((s) => s.id === 'findings')!.blocks.filter((b) => b.type === 'finding');
    expect(tables[2].header).toEqual(['title', 'status', 'severity', 'framework', 'control', 'text', 'event ids']);
    expect(tables[2].rows).toEqual(
      findings.map((f) =>
        [f.title, f.status, f.severity ?? '', f.frameworkId ?? '', f.controlId ?? '', f.text, f.eventIds.join(' ')].map(shown),
      ),
    );
  });

  it('neutralises formulas with an apostrophe and leaves numbers, negative ones too, as they are', async () => {
    const file = await render(model);
    const records = parse(file, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
    const cells = records.flat();
    const formulas = cells.filter((c) => /^[=+\-@\t\r]/.test(c));
    expect(formulas.length).toBeGreaterThan(0);
    expect(formulas.filter((c) => !/^-?\d+(\.\d+)?$/.test(c))).toEqual([]);
    expect(cells).toContain("'=cmd|' /C calc'!A0");
    expect(cells).toContain("'@SUM(1+1)");
    expect(cells).toContain("'+SUM(1+1)");
    expect(cells).toContain("'-2+3+cmd|' /C calc'!A0");
    expect(cells).toContain("'\t=1+1");
    expect(cells).toContain("'\r=1+1");
    // Row 1 of the sample has the number -5 in its "Balance change" column.
    expect(file.toString('utf8')).toContain('\r\n1,2026-01-01T00:00:00.000Z,');
    expect(records.find((r) => r[0] === '1' && r[1] === '2026-01-01T00:00:00.000Z')![5]).toBe('-5');
  });

  it('round-trips text that already starts with an apostrophe, and a report without checkpoint or metadata', async () => {
    const bare: ReportModel = {
      ...sampleReportModel({ rows: 0 }),
      metadata: {},
      integrity: { ...model.integrity, checkpoint: null },
      sections: [{ id: 's', title: "'=quoted", blocks: [{ type: 'keyValue', items: [{ key: "''-1", value: "'plain" }] }] }],
    };
    const tables = readTables(await render(bare));
    expect(tables[0].rows.filter(([field]) => field.startsWith('integrity.checkpoint'))).toEqual([['integrity.checkpoint', '']]);
    expect(tables[0].rows.some(([field]) => field.startsWith('metadata.'))).toBe(false);
    expect(tables[1]).toMatchObject({ sectionTitle: "'=quoted", rows: [["''-1", "'plain"]] });
  });

  it('writes no control or bidi character raw: NUL, ESC, DEL, C1 and U+202E show as visible escapes', async () => {
    const text = (await render(model)).toString('utf8');
    expect(UNSAFE_CONTROL_CHARACTERS.test(text)).toBe(false);
    expect(text).toContain('invoice\\u202Etxt.exe');
    expect(text).toContain('ESC \\u001B[31mred\\u001B[0m NUL \\u0000 BEL \\u0007');
    expect(text).toContain('DEL \\u007F');
    expect(text).toContain('C1 CSI \\u009B31m NEL \\u0085');
    // A cell that starts with a control before a formula starts with the backslash: not a formula.
    expect(text).toContain('\\u202E=1+1 and \\u0000=1+1');
  });

  it('gives the same bytes for the same model', async () => {
    expect((await render(model)).equals(await render(sampleReportModel({ rows: 300 })))).toBe(true);
  });
});
