import { createHash } from 'node:crypto';
import path from 'node:path';
import JSZip from 'jszip';
import mammoth from 'mammoth';
import {
  chartDescription,
  chartSvg,
  chartTable,
  neutraliseControls,
  type PluginLogger,
  type ReportBlock,
  type ReportModel,
  type TableBlock,
  UNSAFE_CONTROL_CHARACTERS,
} from '../../src/plugin-api';
import { SAMPLE_HOSTILE_STRINGS, sampleReportModel } from '../../src/plugin-testing';
import plugin from './index';
import { runXml } from './table-xml';

// Loaded without its type declarations, which would pull the DOM library into every file's types.
interface XmlElement {
  getAttribute(name: string): string | null;
}
interface XmlDocument {
  getElementsByTagName(name: string): ArrayLike<XmlElement>;
}
type ErrorHandler = Record<'warning' | 'error' | 'fatalError', (message: string) => void>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DOMParser } = require('@xmldom/xmldom') as {
  DOMParser: new (options: { errorHandler: ErrorHandler }) => { parseFromString(text: string, type: string): XmlDocument };
};

const logger: PluginLogger = { debug() {}, info() {}, warn() {}, error() {} };
const render = async (model: ReportModel): Promise<Buffer> => Buffer.from(await plugin.render(model, { options: {}, logger }));

/** Model text as a document shows it: a carriage return is a line break like a newline. */
const shown = (text: string) => neutraliseControls(text).replace(/\r\n?/g, '\n');
const decodeHtml = (text: string) => text.replace(/&(lt|gt|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&' })[e]!);
const decodeXml = (text: string) =>
  text.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e]!);
/** The text of a fragment of mammoth's HTML: paragraphs and line breaks become newlines. */
const htmlText = (html: string) =>
  decodeHtml(
    html
      .replace(/<br \/>/g, '\n')
      .replace(/<\/p><p>/g, '\n')
      .replace(/<[^>]+>/g, ''),
  );
/** The text of WordprocessingML runs: w:t text, w:br as a newline, w:tab as a tab. */
const runText = (xml: string) =>
  [...xml.matchAll(/<w:t(?: [^>]*)?>([^<]*)<\/w:t>|<w:br\/>|<w:tab\/>/g)]
    .map((m) => (m[1] !== undefined ? decodeXml(m[1]) : m[0] === '<w:br/>' ? '\n' : '\t'))
    .join('');

/** A chart's picture as mammoth reads it: the PNG fallback, with the chart's text alternative. */
const CHART_PICTURE = /<img alt="[^"<]*" src="data:image\/png;base64,[A-Za-z0-9+/=]+" \/>/g;

interface HtmlTable {
  /** The bold paragraph right above the table, if there is one. */
  caption: string | null;
  rows: { header: boolean; cells: string[] }[];
}

/** The tables mammoth read, each with its caption and its rows (header rows are the <th> ones). */
function htmlTables(html: string): HtmlTable[] {
  return [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((table) => {
    // A chart's picture stands between its title and the table of its numbers.
    const caption = /<p><strong>((?:(?!<p>)[\s\S])*)<\/strong><\/p>(?:<p><img [^>]*\/><\/p>)?$/.exec(html.slice(0, table.index));
    return {
      caption: caption ? htmlText(caption[1]) : null,
      rows: [...table[1].matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => ({
        header: row[1].startsWith('<th'),
        cells: [...row[1].matchAll(/<t([hd])[^>]*>([\s\S]*?)<\/t\1>/g)].map((cell) => htmlText(cell[2])),
      })),
    };
  });
}

interface XmlRow {
  /** `w:tblHeader`: Word repeats the row at the top of each page. */
  repeats: boolean;
  cells: { text: string; align: string }[];
}

/** The tables of word/document.xml, row by row, with each cell's text and paragraph alignment. */
function xmlTables(documentXml: string): XmlRow[][] {
  return [...documentXml.matchAll(/<w:tbl>([\s\S]*?)<\/w:tbl>/g)].map((table) =>
    [...table[1].matchAll(/<w:tr>([\s\S]*?)<\/w:tr>/g)].map((row) => ({
      repeats: row[1].includes('<w:tblHeader/>'),
      cells: [...row[1].matchAll(/<w:tc>([\s\S]*?)<\/w:tc>/g)].map((cell) => ({
        text: [...cell[1].matchAll(/<w:p>([\s\S]*?)<\/w:p>/g)].map((p) => runText(p[1])).join('\n'),
        align: /<w:jc w:val="(\w+)"\/>/.exec(cell[1])?.[1] ?? 'left',
      })),
    })),
  );
}

interface ReadBack {
  html: string;
  rawText: string;
  messages: string[];
  zip: JSZip;
  documentXml: string;
}

async function readBack(docx: Buffer): Promise<ReadBack> {
  const [html, raw, zip] = await Promise.all([
    mammoth.convertToHtml({ buffer: docx }),
    mammoth.extractRawText({ buffer: docx }),
    JSZip.loadAsync(docx),
  ]);
  return {
    html: html.value,
    rawText: raw.value,
    messages: [...html.messages, ...raw.messages].map((m) => m.message),
    zip,
    documentXml: await zip.file('word/document.xml')!.async('string'),
  };
}

const cellText = (value: string | number | boolean | null) =>
  value === null ? '' : typeof value === 'boolean' ? (value ? 'Yes' : 'No') : shown(String(value));

describe('format-docx', () => {
  const model = sampleReportModel({ rows: 300 });
  let docx: Buffer;
  let read: ReadBack;

  beforeAll(async () => {
    docx = await render(model);
    read = await readBack(docx);
  });

  it('is a Word document plugin that renders through the public contract', () => {
    expect(plugin).toMatchObject({
      id: 'format-docx',
      kind: 'format',
      version: '1.2.0',
      apiVersion: '^1.2.0',
      mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      fileExtension: 'docx',
      streamsTables: true,
    });
    expect(docx.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
    expect(Object.keys(read.zip.files)).toEqual(
      expect.arrayContaining(['[Content_Types].xml', 'word/document.xml', 'docProps/core.xml', 'word/settings.xml']),
    );
  });

  it('reads back without a single warning from a DOCX reader', () => {
    expect(read.messages).toEqual([]);
  });

  it('gives each section a Heading 1 and heading blocks Heading 2 or 3, in the order of the model', () => {
    const headings = [...read.html.matchAll(/<h([1-6])>([\s\S]*?)<\/h\1>/g)].map((m) => ({ level: Number(m[1]), text: htmlText(m[2]) }));
    const expected = model.sections.flatMap((section) => [
      { level: 1, text: shown(section.title) },
      ...section.blocks.flatMap((block) =>
        block.type === 'heading' ? [{ level: block.level === 3 ? 3 : 2, text: shown(block.text) }] : [],
      ),
    ]);
    expect(headings).toEqual(expected);
  });

  it('opens with a cover (title, metadata, integrity stamp) and a page break before the table of contents', () => {
    expect(htmlText(/^<p><strong>([\s\S]*?)<\/strong><\/p><table>/.exec(read.html)![1])).toBe(model.title);
    const [metadata, integrity] = htmlTables(read.html);
    expect(metadata.rows.map((row) => row.cells)).toEqual([
      ['Report type', model.metadata.reportType],
      ['Organisation', model.metadata.organisation],
      ['Author', model.metadata.author],
      ['Template', model.metadata.template],
      ['Notes', shown(model.metadata.notes)],
      ['Language', model.metadata.language],
    ]);
    const stamp = model.integrity;
    expect(integrity.caption).toBe('Integrity of the audit log');
    expect(integrity.rows.map((row) => row.cells)).toEqual([
      ['Tenant', stamp.tenantId],
      ['Period from', stamp.from],
      ['Period to (exclusive)', stamp.to],
      ['Head sequence', String(stamp.headSequence)],
      ['Head chain hash', stamp.headChainHash],
      ['Latest checkpoint sequence', String(stamp.checkpoint!.sequence)],
      ['Checkpoint chain hash', stamp.checkpoint!.chainHash],
      ['Checkpoint key id', stamp.checkpoint!.keyId],
      ['Checkpoint signature', stamp.checkpoint!.signature],
      ['Checkpoint issued at', stamp.checkpoint!.issuedAt],
      ['Generated at', stamp.generatedAt],
    ]);

    const xml = read.documentXml;
    const order = [
      xml.indexOf(stamp.generatedAt),
      xml.indexOf('<w:br w:type="page"/>'),
      xml.indexOf('<w:sdt>'),
      xml.indexOf('<w:br w:type="page"/>', xml.indexOf('<w:sdt>')),
      xml.indexOf('<w:pStyle w:val="Heading1"/>'),
    ];
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('has a table of contents field that Word offers to fill in when the document opens', async () => {
    const toc = /<w:sdt>([\s\S]*?)<\/w:sdt>/.exec(read.documentXml)![1];
    expect(toc).toContain('<w:docPartGallery w:val="Table of Contents"/>');
    expect(toc).toMatch(
      /<w:fldChar w:fldCharType="begin" w:dirty="true"\/><w:instrText xml:space="preserve">TOC \\h \\o &quot;1-3&quot;<\/w:instrText>/,
    );
    expect(await read.zip.file('word/settings.xml')!.async('string')).toContain('<w:updateFields/>');
    // The field's shown result lists the sections, for a reader that does not update fields.
    for (const reportSection of model.sections) expect(runText(toc)).toContain(shown(reportSection.title));
    expect(read.rawText).toContain('Word adds the page numbers when it opens the document');
  });

  it('renders a 300-row table under its caption, its header row repeated on each page, cells aligned per column', () => {
    const block = model.sections.flatMap((s) => s.blocks).find((b): b is TableBlock => b.type === 'table' && b.rows.length === 300)!;
    const table = htmlTables(read.html).find((t) => t.caption === shown(block.caption!))!;
    expect(table.rows).toHaveLength(301);
    expect(table.rows[0]).toEqual({ header: true, cells: block.columns.map((c) => shown(c.title)) });
    expect(table.rows.slice(1).every((row) => !row.header)).toBe(true);
    expect(table.rows.slice(1).map((row) => row.cells)).toEqual(block.rows.map((row) => row.map(cellText)));

    const rows = xmlTables(read.documentXml).find((t) => t[0].cells[0]?.text === block.columns[0].title)!;
    expect(rows.map((row) => row.repeats)).toEqual([true, ...block.rows.map(() => false)]);
    for (const row of rows) expect(row.cells.map((cell) => cell.align)).toEqual(block.columns.map((c) => c.align ?? 'left'));
  });

  it('repeats the header row of every data table, and of no key/value list', () => {
    const tables = xmlTables(read.documentXml);
    const withHeader = tables.filter((rows) => rows[0].repeats);
    const blocks = model.sections.flatMap((s) => s.blocks);
    // A table without rows is a sentence, not a header row (see the edge cases).
    const filled = blocks.filter((b) => b.type === 'chart' || (b.type === 'table' && (b.rows.length > 0 || b.rowPages)));
    expect(withHeader).toHaveLength(filled.length);
    for (const rows of tables) expect(rows.slice(1).some((row) => row.repeats)).toBe(false);
  });

  it('renders key/value lists as two-column tables', () => {
    const block = model.sections.flatMap((s) => s.blocks).find((b) => b.type === 'keyValue')!;
    const table = htmlTables(read.html).find((t) => t.rows[0]?.cells[0] === block.items[0].key)!;
    expect(table.rows.every((row) => !row.header && row.cells.length === 2)).toBe(true);
    expect(table.rows.map((row) => row.cells)).toEqual(block.items.map((item) => [shown(item.key), shown(item.value)]));
  });

  it('renders each finding as a framed box: title, status, severity, framework, control, text and events', () => {
    const findings = model.sections.flatMap((s) => s.blocks).filter((b) => b.type === 'finding');
    const boxes = htmlTables(read.html).filter((t) => t.rows.length === 1 && !t.rows[0].header && t.rows[0].cells.length === 1);
    expect(boxes.map((box) => box.rows[0].cells[0])).toEqual(
      findings.map((f) =>
        [
          shown(f.title),
          [
            `Status: ${f.status}`,
            ...(f.severity ? [`Severity: ${f.severity}`] : []),
            ...(f.frameworkId ? [`Framework: ${f.frameworkId}`] : []),
            ...(f.controlId ? [`Control: ${f.controlId}`] : []),
          ]
            .map(shown)
            .join(' · '),
          shown(f.text),
          `Events: ${f.eventIds.length > 0 ? shown(f.eventIds.join(', ')) : 'none'}`,
        ].join('\n'),
      ),
    );
    expect(read.html).toContain('<p><strong>Access reviews missed</strong></p><p>Status: NON_COMPLIANT · Severity: ERROR');
  });

  it('draws each chart as a picture, SVG with a PNG fallback and alt text, with the table of its numbers under it', async () => {
    const charts = model.sections.flatMap((s) => s.blocks).filter((b) => b.type === 'chart');
    const tables = htmlTables(read.html);
    for (const chart of charts) {
      const table = tables.find((t) => t.caption === shown(chart.title))!;
      const numbers = chartTable(chart);
      expect(table.rows.map((row) => row.cells)).toEqual([
        ['Label', ...numbers.columns.slice(1).map((c) => shown(c.title))],
        ...numbers.rows.map((row) => row.map((cell) => cellText(cell))),
      ]);
    }
    // One SVG and one PNG per chart, each a picture of the document with the chart's text alternative.
    const media = Object.keys(read.zip.files).filter((name) => name.startsWith('word/media/'));
    expect(media.filter((name) => name.endsWith('.svg'))).toHaveLength(charts.length);
    expect(media.filter((name) => name.endsWith('.png'))).toHaveLength(charts.length);
    const svgs = await Promise.all(media.filter((n) => n.endsWith('.svg')).map((n) => read.zip.file(n)!.async('string')));
    expect(svgs.sort()).toEqual(charts.map((c) => chartSvg(c)).sort());
    for (const name of media.filter((n) => n.endsWith('.png'))) {
      const png = await read.zip.file(name)!.async('nodebuffer');
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect(png.readUInt32BE(16)).toBe(1280); // twice the SVG's width
    }
    const pictures = [...read.documentXml.matchAll(/<wp:docPr id="(\d+)" name="Chart \d+" descr="([^"]*)"/g)];
    expect(pictures.map((p) => p[1])).toEqual(charts.map((_, i) => String(i + 1)));
    expect(pictures.map((p) => decodeXml(p[2]))).toEqual(charts.map((c) => shown(chartDescription(c))));
    expect(read.documentXml).toContain('<asvg:svgBlip');
    // A chart's short table of numbers is kept with its picture: its rows but the last are kept with the next.
    const kept = read.documentXml.match(/<w:p><w:pPr><w:keepNext\/><w:jc w:val="right"\/><\/w:pPr>/g) ?? [];
    const numbers = charts.map((c) => chartTable(c));
    expect(kept).toHaveLength(numbers.reduce((sum, t) => sum + t.rows.length * (t.columns.length - 1), 0));
    // mammoth reads the PNG fallback.
    expect(read.html.match(CHART_PICTURE)).toHaveLength(charts.length);
  });

  it('keeps every hostile string as inert, literal text', () => {
    expect(read.html.replace(CHART_PICTURE, '')).not.toMatch(/<script|<img|<%/i);
    expect(read.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const text = htmlText(read.html);
    for (const hostile of SAMPLE_HOSTILE_STRINGS) expect(text).toContain(shown(hostile));
    for (const hostile of SAMPLE_HOSTILE_STRINGS.filter((s) => !/[\r\n]/.test(s))) expect(read.rawText).toContain(shown(hostile));
    expect(read.html).toContain('line one<br />line two');
    // The markup stays text inside w:t: no run or element of its own.
    expect(read.documentXml).not.toContain('<script');
    expect(read.documentXml).toContain('AT&amp;T &amp;amp; &lt;/w:t&gt;&lt;/w:r&gt; ]]&gt;');
  });

  it('sets the document properties and puts "Page X of Y" and the title in the footer', async () => {
    const core = await read.zip.file('docProps/core.xml')!.async('string');
    const property = (name: string) => {
      const match = new RegExp(`<${name}(?: [^>]*)?>([^<]*)</${name}>`).exec(core);
      return match ? decodeXml(match[1]) : undefined;
    };
    expect(property('dc:title')).toBe(model.title);
    expect(property('dc:subject')).toBe('COMPLIANCE_SUMMARY');
    expect(property('dc:creator')).toBe('DataPunk Audit');
    expect(property('cp:lastModifiedBy')).toBe('DataPunk Audit');
    expect(property('dc:description')).toContain(`sequence ${model.integrity.headSequence}`);
    expect(new Date(property('dcterms:created')!).toISOString()).toBe(model.integrity.generatedAt);
    expect(new Date(property('dcterms:modified')!).toISOString()).toBe(model.integrity.generatedAt);

    const footers = await Promise.all(read.zip.file(/^word\/footer\d+\.xml$/).map((f) => f.async('string')));
    const footer = footers.find((xml) => xml.includes('<w:instrText'))!;
    expect([...footer.matchAll(/<w:instrText[^>]*>([^<]*)<\/w:instrText>/g)].map((m) => m[1])).toEqual(['PAGE', 'NUMPAGES']);
    expect(runText(footer)).toBe(`${shown(model.title)}\tPage  of `);
  });

  it('gives the same bytes for the same model whatever the clock says, dated generatedAt', async () => {
    // Only Date is faked: the docx package reads the clock for zip entries and core properties.
    jest.useFakeTimers({
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
    try {
      jest.setSystemTime(new Date('2031-07-15T10:11:13.456Z'));
      const first = await render(model);
      jest.setSystemTime(new Date('2044-02-29T23:59:59.999Z'));
      const second = await render(model);
      expect(second.equals(first)).toBe(true);
      expect(first.equals(docx)).toBe(true);
    } finally {
      jest.useRealTimers();
    }
    const dates = Object.values(read.zip.files).map((entry) => entry.date.toISOString());
    expect(new Set(dates)).toEqual(new Set([model.integrity.generatedAt]));
  });

  it('carries no control or bidi character in any part: each shows as its visible escape, in runs and table cells alike', async () => {
    const parts = await Promise.all(
      Object.values(read.zip.files)
        .filter((f) => !f.dir && /\.(xml|rels)$/.test(f.name))
        .map((f) => f.async('string')),
    );
    for (const part of parts) {
      expect(UNSAFE_CONTROL_CHARACTERS.test(part)).toBe(false);
      expect(part).not.toMatch(/&#x?[0-9a-f]+;/i);
    }
    expect(read.rawText).toContain('invoice\\u202Etxt.exe');
    expect(read.rawText).toContain('ESC \\u001B[31mred');
    // Table cells (written as markup, not by the docx package) get the same escape.
    expect(read.documentXml).toMatch(/<w:tc>.*?invoice\\u202Etxt\.exe/);
  });

  it('renders edge cases cleanly: no checkpoint, no metadata, empty and ragged tables, unknown blocks, unsafe characters', async () => {
    const edge: ReportModel = {
      title: 'Edge cases',
      metadata: {},
      integrity: { ...model.integrity, checkpoint: null },
      sections: [
        {
          id: 'edge',
          title: 'Edge \u0001cases\uFFFF \uD800',
          blocks: [
            { type: 'table', caption: 'Nothing', columns: [{ key: 'a', title: 'A' }], rows: [] },
            { type: 'table', caption: 'No columns', columns: [], rows: [[1]] },
            {
              type: 'table',
              caption: 'Ragged',
              columns: [
                { key: 'a', title: 'A' },
                { key: 'b', title: 'B' },
              ],
              rows: [['only one'], ['x', 'y', 'extra']],
            },
            { type: 'chart', kind: 'line', title: 'Gaps', labels: ['a', 'b'], series: [{ name: 's', values: [1, 2, 3] }] },
            { type: 'keyValue', items: [] },
            { type: 'sparkline', values: [1, 2] } as unknown as ReportBlock,
            { type: 'paragraph', text: 'After the unknown block' },
          ],
        },
      ],
    };
    const back = await readBack(await render(edge));
    expect(back.messages).toEqual([]);
    const tables = htmlTables(back.html);
    expect(tables[0].rows).toHaveLength(7);
    expect(tables[0].rows.at(-2)!.cells).toEqual(['Latest checkpoint', 'none']);
    expect(tables.find((t) => t.caption === 'Nothing')).toBeUndefined();
    expect(back.rawText).toContain('Nothing\n\nNo rows.');
    expect(back.rawText).toContain('No columns\n\nThis table has no columns.');
    expect(tables.find((t) => t.caption === 'Ragged')!.rows.map((r) => r.cells)).toEqual([
      ['A', 'B'],
      ['only one', ''],
      ['x', 'y'],
    ]);
    expect(tables.find((t) => t.caption === 'Gaps')!.rows.map((r) => r.cells)).toEqual([
      ['Label', 's'],
      ['a', '1'],
      ['b', '2'],
      ['', '3'],
    ]);
    expect(/<h1>([\s\S]*?)<\/h1>/.exec(back.html)![1]).toBe('Edge \\u0001cases \uFFFD');
    expect(back.rawText).toContain('After the unknown block');
    const core = await back.zip.file('docProps/core.xml')!.async('string');
    expect(core).not.toContain('<dc:subject>');
  });

  it('renders a 2,000-row table, every row kept', async () => {
    const columns = ['Sequence', 'Actor', 'Action', 'Outcome', 'Occurred at', 'Event id'].map((title) => ({ key: title, title }));
    const rows = Array.from({ length: 2000 }, (_, i) => [
      i + 1,
      `user-${i % 97}`,
      'record.read',
      'SUCCESS',
      '2026-01-01T00:00:00Z',
      `evt-${i}`,
    ]);
    const big: ReportModel = { ...model, sections: [{ id: 'big', title: 'Events', blocks: [{ type: 'table', columns, rows }] }] };
    const zip = await JSZip.loadAsync(await render(big));
    const table = xmlTables(await zip.file('word/document.xml')!.async('string')).find((t) => t[0].cells[0]?.text === 'Sequence')!;
    expect(table).toHaveLength(2001);
    expect(table.at(-1)!.cells.map((c) => c.text)).toEqual([
      '2000',
      'user-59',
      'record.read',
      'SUCCESS',
      '2026-01-01T00:00:00Z',
      'evt-1999',
    ]);
  });

  describe('tables streamed a page at a time (rowPages)', () => {
    const columns = ['Seq.', 'Occurred at', 'Actor', 'Action', 'Resource', 'Outcome', 'Event hash'].map((title) => ({ key: title, title }));
    const row = (i: number) => [
      i + 1,
      '2026-01-01T00:00:00.000Z',
      `user-${i % 97}@example.com`,
      'record.read',
      `record:r-${i}`,
      'SUCCESS',
      'ab'.repeat(32),
    ];
    async function* pages(from: number, to: number, size: number) {
      for (let at = from; at < to; at += size) yield Array.from({ length: Math.min(size, to - at) }, (_, i) => row(at + i));
    }
    const withTable = (table: TableBlock): ReportModel => ({ ...model, sections: [{ id: 'events', title: 'Events', blocks: [table] }] });

    it('gives the same bytes as the whole table, however the rows are split into pages', async () => {
      // 1,200 rows: pages of 500 (two full, one short) and of 7 from an odd offset.
      const whole = await render(withTable({ type: 'table', columns, rows: Array.from({ length: 1200 }, (_, i) => row(i)) }));
      const paged = await render(withTable({ type: 'table', columns, rows: [], rowPages: pages(0, 1200, 500) }));
      const mixed = await render(withTable({ type: 'table', columns, rows: [row(0), row(1), row(2)], rowPages: pages(3, 1200, 7) }));
      expect(paged.equals(whole)).toBe(true);
      expect(mixed.equals(whole)).toBe(true);
      const table = xmlTables((await readBack(paged)).documentXml).find((t) => t[0].cells[0]?.text === 'Seq.')!;
      expect(table.map((r) => r.cells[0].text)).toEqual(['Seq.', ...Array.from({ length: 1200 }, (_, i) => String(i + 1))]);
    });

    it('writes an alignment it does not know as left, never into the markup', async () => {
      const odd = [{ key: 'a', title: 'A', align: 'justify"/><w:evil/>' as never }, ...columns.slice(1)];
      const back = await readBack(await render(withTable({ type: 'table', columns: odd, rows: [row(0)] })));
      expect(back.messages).toEqual([]);
      expect(back.documentXml).not.toContain('evil');
      expect(back.rawText).toContain('user-0@example.com');
    });

    it('says "No rows." under a streamed table whose pages are empty', async () => {
      const back = await readBack(await render(withTable({ type: 'table', columns, rows: [], rowPages: pages(0, 0, 10) })));
      expect(back.messages).toEqual([]);
      expect(back.rawText).toContain('No rows.');
    });

    it('puts a table of six columns or more on landscape pages, the rest of the document on portrait ones', async () => {
      const back = await readBack(await render(withTable({ type: 'table', columns, rows: [row(0)] })));
      const sections = [...back.documentXml.matchAll(/<w:sectPr>([\s\S]*?)<\/w:sectPr>/g)].map((m) => /w:orient="(\w+)"/.exec(m[1])?.[1]);
      expect(sections).toEqual(['portrait', 'landscape']);
      const portrait = await readBack(await render(withTable({ type: 'table', columns: columns.slice(0, 5), rows: [row(0)] })));
      expect([...portrait.documentXml.matchAll(/w:orient="(\w+)"/g)].map((m) => m[1])).toEqual(['portrait']);
    });

    it('sizes columns by what they hold: a sequence number narrower than a timestamp, no header word broken', async () => {
      const back = await readBack(await render(withTable({ type: 'table', columns, rows: [], rowPages: pages(0, 100, 30) })));
      const xml = back.documentXml;
      const grid = xml.slice(xml.lastIndexOf('<w:tblGrid>', xml.indexOf('Event hash')), xml.indexOf('Event hash'));
      const widths = [...grid.split('</w:tblGrid>')[0].matchAll(/w:w="(\d+)"/g)].map((m) => Number(m[1]));
      expect(widths).toHaveLength(7);
      expect(widths.reduce((a, b) => a + b, 0)).toBe(16838 - 2 * 1440);
      expect(widths[0]).toBeLessThan(widths[1]);
      // 8 pt (90 twips a character) plus the cell's margins: the timestamp and every header word fit.
      expect(widths[1]).toBeGreaterThanOrEqual(24 * 90 + 260);
      columns.forEach((column, index) => expect(widths[index]).toBeGreaterThanOrEqual((column.title.length + 1) * 90 + 260));
      expect(xml).toMatch(/<w:tbl>.*?<w:sz w:val="16"\/>.*?Seq\./);
    });

    it('shows hashes short in a wide table and in full in an appendix at the end, by the row they belong to', async () => {
      const hashed = (i: number) => [...row(i).slice(0, 6), createHash('sha256').update(`event ${i}`).digest('hex')];
      async function* hashedPages() {
        for (let at = 0; at < 120; at += 50) yield Array.from({ length: Math.min(50, 120 - at) }, (_, i) => hashed(at + i));
      }
      const back = await readBack(await render(withTable({ type: 'table', caption: 'Trail', columns, rows: [], rowPages: hashedPages() })));
      expect(back.messages).toEqual([]);
      const [trail, appendix] = xmlTables(back.documentXml).filter((t) => t[0].repeats);
      expect(trail).toHaveLength(121);
      expect(trail[5].cells[6].text).toBe(`${String(hashed(4)[6]).slice(0, 12)}…`);
      expect(appendix[0].cells.map((c) => c.text)).toEqual(['Seq.', 'Event hash']);
      expect(appendix.slice(1).map((r) => r.cells.map((c) => c.text))).toEqual(
        Array.from({ length: 120 }, (_, i) => [String(i + 1), hashed(i)[6]]),
      );
      expect(back.rawText).toContain('Appendix: full hashes');
      expect(back.rawText.indexOf('Appendix: full hashes')).toBeGreaterThan(back.rawText.indexOf(String(hashed(119)[6]).slice(0, 12)));
      expect(back.documentXml).toMatch(/<w:pStyle w:val="Heading1"\/><\/w:pPr><w:r><w:t xml:space="preserve">Appendix: full hashes/);
    });

    it('has no appendix when no column holds only hashes', async () => {
      const mixed = (i: number) => [...row(i).slice(0, 6), i === 3 ? 'not a hash' : 'ab'.repeat(32)];
      const back = await readBack(
        await render(withTable({ type: 'table', columns, rows: Array.from({ length: 10 }, (_, i) => mixed(i)) })),
      );
      expect(back.rawText).not.toContain('Appendix: full hashes');
      expect(back.rawText).toContain('ab'.repeat(32));
      expect(back.documentXml).not.toContain('datapunk-table-');
    });
  });

  it('draws the template branding: primary colour for title and headings, accent colour for header rows, the footer line', async () => {
    const branded = await readBack(
      await render({ ...model, branding: { primaryColor: '#7B1FA2', accentColor: '#263238', footer: 'Confidential — Acme' } }),
    );
    const styles = await branded.zip.file('word/styles.xml')!.async('string');
    expect(styles).toContain('<w:color w:val="7B1FA2"/>');
    expect(styles).not.toContain('1F3864');
    expect(branded.documentXml).toContain('<w:shd w:fill="263238" w:color="auto" w:val="clear"/>');
    // White text on the dark accent, so the header stays readable.
    expect(branded.documentXml).toMatch(/<w:rPr><w:b\/><w:bCs\/><w:color w:val="FFFFFF"\/>/);
    const footers = await Promise.all(branded.zip.file(/^word\/footer\d+\.xml$/).map((f) => f.async('string')));
    expect(footers.map(runText)).toContain(`Confidential — Acme · ${shown(model.title)}\tPage  of `);

    const light = await readBack(await render({ ...model, branding: { accentColor: '#FFF2CC' } }));
    expect(light.documentXml).toMatch(/<w:rPr><w:b\/><w:bCs\/><w:color w:val="000000"\/>/);
    // A colour that is not #RRGGBB never reaches the file.
    const bad = await readBack(await render({ ...model, branding: { primaryColor: '"/><w:evil/>', accentColor: 'red' } }));
    expect(bad.documentXml).not.toContain('evil');
    expect(bad.documentXml).toContain('<w:shd w:fill="D9E2F3"');
  });

  it('is a sound package: every part well-formed XML with a content type, every relationship resolving, ids unique', async () => {
    const columns = ['Seq.', 'Occurred at', 'Actor', 'Action', 'Resource', 'Outcome', 'Event hash'].map((title) => ({ key: title, title }));
    async function* pages() {
      yield Array.from({ length: 120 }, (_, i) => [
        i + 1,
        '2026-01-01T00:00:00.000Z',
        `user-${i}\u0001\uD800`,
        'record.read',
        `r-${i}`,
        'SUCCESS',
        'ab'.repeat(32),
      ]);
    }
    const wide: ReportModel = {
      ...model,
      branding: { primaryColor: '#7B1FA2', accentColor: '#263238', footer: 'Confidential' },
      sections: [
        ...model.sections,
        { id: 'events', title: 'Events', blocks: [{ type: 'table', columns, rows: [], rowPages: pages() }] },
        model.sections[0],
      ],
    };
    const zip = await JSZip.loadAsync(await render(wide));
    const names = Object.keys(zip.files).filter((name) => !zip.files[name].dir);

    const problems: string[] = [];
    const parse = (name: string, text: string) =>
      new DOMParser({
        errorHandler: {
          warning: (m) => problems.push(`${name}: ${m}`),
          error: (m) => problems.push(`${name}: ${m}`),
          fatalError: (m) => problems.push(`${name}: ${m}`),
        },
      }).parseFromString(text, 'text/xml');
    const parts = new Map<string, XmlDocument>();
    // What xmldom lets through: characters XML 1.0 cannot hold.
    const notXml =
      // eslint-disable-next-line no-control-regex
      /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    for (const name of names.filter((n) => /\.(xml|rels)$/.test(n))) {
      const text = await zip.file(name)!.async('string');
      if (notXml.test(text)) problems.push(`${name}: a character XML 1.0 cannot hold`);
      parts.set(name, parse(name, text));
    }
    expect(problems).toEqual([]);

    const types = parts.get('[Content_Types].xml')!;
    const defaults = new Set(Array.from(types.getElementsByTagName('Default')).map((e) => e.getAttribute('Extension')));
    const overrides = new Set(Array.from(types.getElementsByTagName('Override')).map((e) => e.getAttribute('PartName')));
    const untyped = names.filter(
      (n) => n !== '[Content_Types].xml' && !overrides.has(`/${n}`) && !defaults.has(n.slice(n.lastIndexOf('.') + 1)),
    );
    expect(untyped).toEqual([]);

    for (const [name, rels] of [...parts].filter(([n]) => n.endsWith('.rels'))) {
      const base = path.posix.dirname(path.posix.dirname(name)); // word/_rels/document.xml.rels → word
      for (const rel of Array.from(rels.getElementsByTagName('Relationship'))) {
        if (rel.getAttribute('TargetMode') === 'External') continue;
        const target = rel.getAttribute('Target')!;
        const resolved = target.startsWith('/') ? target.slice(1) : path.posix.normalize(path.posix.join(base === '.' ? '' : base, target));
        expect(names).toContain(resolved);
      }
    }

    const documentXml = await zip.file('word/document.xml')!.async('string');
    const ids = [...documentXml.matchAll(/<w:bookmarkStart [^>]*w:id="(\d+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    // One section per run of orientation, the last one the body's final child, as the schema wants.
    const orients = [...documentXml.matchAll(/w:orient="(\w+)"/g)].map((m) => m[1]);
    expect(orients.slice(-3)).toEqual(['portrait', 'landscape', 'portrait']);
    expect(orients.every((o, i) => (i === 0 ? o === 'portrait' : o !== orients[i - 1]))).toBe(true);
    expect(documentXml).toMatch(/<w:sectPr>(?:(?!<w:sectPr>)[\s\S])*<\/w:sectPr><\/w:body><\/w:document>$/);
  });
});

describe('runXml', () => {
  it('writes one w:t for a one-line cell, and w:tab and w:br between the parts of one with tabs or line breaks', () => {
    expect(runXml('a & <b>', '<w:rPr/>')).toBe('<w:r><w:rPr/><w:t xml:space="preserve">a &amp; &lt;b&gt;</w:t></w:r>');
    expect(runXml('a\tb\r\nc\n\td')).toBe(
      '<w:r><w:t xml:space="preserve">a</w:t><w:tab/><w:t xml:space="preserve">b</w:t><w:br/><w:t xml:space="preserve">c</w:t><w:br/><w:tab/><w:t xml:space="preserve">d</w:t></w:r>',
    );
    expect(runXml('')).toBe('');
  });
});
