import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/observability/logger';
import {
  CHART_PALETTE,
  chartSvg,
  neutraliseControls,
  type PluginLogger,
  type ReportModel,
  type TableBlock,
  UNSAFE_CONTROL_CHARACTERS,
} from '../../src/plugin-api';
import { SAMPLE_HOSTILE_STRINGS, sampleReportModel } from '../../src/plugin-testing';
import { loadPlugins } from '../../src/plugin-host/plugin-host';
import plugin, { htmlFormat } from './index';
import { DEFAULT_LAYOUT, LAYOUT_FILE } from './layout';

const logger: PluginLogger = { debug() {}, info() {}, warn() {}, error() {} };
const render = async (model: ReportModel) => Buffer.from(await plugin.render(model, { options: {}, logger })).toString('utf8');

/** Text as the HTML must carry it: control characters made visible, then the five characters ejs escapes. */
const escaped = (text: string) =>
  neutraliseControls(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);
/** Text back from the HTML; an ampersand not starting one of those entities would be a bug, so it stays visible. */
const text = (html: string) =>
  html.replace(/&(lt|gt|#34|#39|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', '#34': '"', '#39': "'", amp: '&' })[e]!);

/** The cells of each row of the first table after `marker`: the header row's <th>s, then the <td>s. */
function tableAfter(html: string, marker: string): { caption: string; header: string[]; rows: string[][] } {
  const start = html.indexOf(marker);
  expect(start).toBeGreaterThan(-1);
  const table = /<table[^>]*>([\s\S]*?)<\/table>/.exec(html.slice(start))![1];
  const cells = (row: string, tag: 'th' | 'td') =>
    [...row.matchAll(new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => text(m[1]));
  const thead = /<thead>([\s\S]*?)<\/thead>/.exec(table)![1];
  const tbody = /<tbody>([\s\S]*?)<\/tbody>/.exec(table)![1];
  return {
    caption: text(/<caption>([\s\S]*?)<\/caption>/.exec(table)?.[1] ?? ''),
    header: cells(thead, 'th'),
    rows: [...tbody.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => cells(m[1], 'td')),
  };
}

describe('format-html', () => {
  const model = sampleReportModel({ rows: 300 });

  it('escapes every model string: no hostile string is active, each shows as its escaped text', async () => {
    const html = await render(model);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('<%');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('</w:t>');
    for (const hostile of SAMPLE_HOSTILE_STRINGS) {
      if (/[&<>"']/.test(hostile)) expect(html).not.toContain(hostile);
      expect(html).toContain(escaped(hostile));
    }
    expect(html).toContain('AT&amp;T &amp;amp; &lt;/w:t&gt;');
    expect(html).toContain('🦄');
  });

  it('carries no control or bidi character raw: each shows as its visible escape', async () => {
    const html = await render(model);
    expect(UNSAFE_CONTROL_CHARACTERS.test(html)).toBe(false);
    expect(html).toContain('invoice\\u202Etxt.exe');
    expect(html).toContain('isolates \\u2066LRI\\u2069');
    expect(html).toContain('ESC \\u001B[31mred');
    // The family emoji keeps its zero-width joiners.
    expect(html).toContain('👩‍👩‍👧');
  });

  it('writes model data only through escaping <%= %> tags of the layout, and a chart drawing chartSvg escaped', () => {
    expect(DEFAULT_LAYOUT.match(/<%-[^%]*%>/g)).toEqual(['<%- block.svg %>']);
    expect(DEFAULT_LAYOUT.replace('<%- block.svg %>', '')).not.toContain('<%-');
    expect(DEFAULT_LAYOUT.replace('<%- block.svg %>', '').match(/<%[^=_ ]/g)).toBeNull();
  });

  it('is self-contained: no scripts, no fetches, a policy that refuses both', async () => {
    const html = await render(model);
    expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">/);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';`);
    expect(html).not.toMatch(/<(link|iframe|object|embed|img|video|audio|base)\b/i);
    // The SVG namespace of the chart drawings names no resource to fetch.
    expect(html.replaceAll(' xmlns="http://www.w3.org/2000/svg"', '')).not.toMatch(/<[^>]*(\ssrc=|https?:)/i);
    expect(/<style>([\s\S]*?)<\/style>/.exec(html)![1]).not.toMatch(/url\(|@import/);
    expect([...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1])).toEqual(model.sections.map((_, i) => `#section-${i + 1}`));
  });

  it('prints well: page margins, a page per section, header rows that repeat', async () => {
    const html = await render(model);
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
    expect(css).toMatch(/@page \{[^}]*margin:/);
    expect(css).toMatch(/\.report-section \{[^}]*page-break-before: always;/);
    expect(css).toMatch(/thead \{ display: table-header-group; \}/);
    expect(html.match(/<section class="report-section"/g)).toHaveLength(model.sections.length);
    const titles = [...html.matchAll(/<section class="report-section" id="[^"]+">\n<h2>([^<]*)<\/h2>/g)].map((m) => text(m[1]));
    expect(titles).toEqual(model.sections.map((s) => neutraliseControls(s.title)));
  });

  it('has every row of a 300-row table, with a header row, reading back cell by cell', async () => {
    const html = await render(model);
    const block = model.sections.find((s) => s.id === 'events')!.blocks[0] as TableBlock;
    const marker = `<caption>${escaped(block.caption!)}</caption>`;
    const table = /<table[^>]*>[\s\S]*?<\/table>/.exec(html.slice(html.indexOf(marker) - 30))![0];
    expect(table.match(/<tr>/g)).toHaveLength(301);
    const read = tableAfter(html, '<h2>Audit trail');
    expect(read.caption).toBe(neutraliseControls(block.caption!));
    expect(read.header).toEqual(block.columns.map((c) => neutraliseControls(c.title)));
    const shown = (cell: (typeof block.rows)[number][number]) =>
      cell === null ? '' : typeof cell === 'boolean' ? (cell ? 'Yes' : 'No') : neutraliseControls(String(cell));
    expect(read.rows).toEqual(block.rows.map((row) => row.map(shown)));
    expect(table).toContain('<th scope="col" class="align-right">Sequence</th>');
    expect(table).toContain('<td class="align-right">-5</td>');
  });

  it('puts the integrity stamp on the cover in a <dl>, checkpoint included', async () => {
    const html = await render(model);
    const dl = /<dl class="facts integrity-stamp">([\s\S]*?)<\/dl>/.exec(html)![1];
    const stamp = Object.fromEntries([...dl.matchAll(/<dt>([^<]*)<\/dt><dd>([^<]*)<\/dd>/g)].map((m) => [text(m[1]), text(m[2])]));
    const { integrity } = model;
    expect(stamp).toEqual({
      Tenant: integrity.tenantId,
      Period: `${integrity.from} to ${integrity.to} (end exclusive)`,
      'Head sequence': String(integrity.headSequence),
      'Head chain hash': integrity.headChainHash,
      'Checkpoint sequence': String(integrity.checkpoint!.sequence),
      'Checkpoint chain hash': integrity.checkpoint!.chainHash,
      'Checkpoint key': integrity.checkpoint!.keyId,
      'Checkpoint signature': integrity.checkpoint!.signature,
      'Checkpoint issued at': integrity.checkpoint!.issuedAt,
      'Generated at': integrity.generatedAt,
    });
    const none = await render({ ...model, integrity: { ...integrity, checkpoint: null } });
    expect(none).toContain('<dt>Checkpoint</dt><dd>none signed yet</dd>');
    expect(html.indexOf('integrity-stamp')).toBeLessThan(html.indexOf('<main>'));
  });

  it('shows metadata under readable labels, a chart drawn with its numbers beside it, findings with their facts', async () => {
    const html = await render(model);
    expect(html).toContain('<dt>Report type</dt><dd>COMPLIANCE_SUMMARY</dd>');
    const trends = model.sections.find((s) => s.id === 'trends')!;
    const [bar] = trends.blocks;
    if (bar.type !== 'chart') throw new Error('the sample starts its trends with a bar chart');
    const chart = tableAfter(html, '<h2>Trends</h2>');
    expect(chart.caption).toBe(neutraliseControls(bar.title));
    // The drawing first, inline, then the numbers, in one figure; a drawing per chart of the sample.
    const figure = /<figure class="chart">\n(<svg [\s\S]*?<\/svg>)\n<table class="chart-data">/.exec(
      html.slice(html.indexOf('<h2>Trends</h2>')),
    )!;
    expect(figure[1]).toBe(chartSvg(bar));
    expect(figure[1]).toContain('<title>Events per day &#60;script&#62;alert(1)&#60;/script&#62;</title>');
    expect(html.match(/<figure class="chart">\n<svg /g)).toHaveLength(trends.blocks.length);
    // A bar per non-zero value and a legend swatch per series, in the palette's colours.
    bar.series.forEach((series, i) =>
      expect(figure[1].match(new RegExp(`<rect [^>]*fill="${CHART_PALETTE[i]}"`, 'g'))).toHaveLength(
        series.values.filter((v) => v > 0).length + 1,
      ),
    );
    expect(chart.header).toEqual(['', ...bar.series.map((s) => s.name)]);
    expect(chart.rows).toEqual(bar.labels.map((label, i) => [label, ...bar.series.map((s) => String(s.values[i]))]));

    const articles = [...html.matchAll(/<article class="finding ([^"]+)">([\s\S]*?)<\/article>/g)];
    expect(articles.map((a) => a[1])).toEqual(['status-bad', 'status-other', 'status-ok']);
    expect(articles[0][2]).toContain('<dt>Control</dt><dd>CC6.2</dd>');
    expect(articles[0][2]).toContain('Events: 0190a5c2-7b3e-7c1d-9a2f-3e4d5c6b7a81, 0190a5c2-7b3e-7c1d-9a2f-3e4d5c6b7a82');
    expect(articles[2][2]).not.toContain('<dt>Severity</dt>');
    expect(html).toContain('<p class="empty">Nothing to report in this section.</p>');
  });

  it('chooses class names from fixed lists, never from model strings', async () => {
    const odd = sampleReportModel({ rows: 1 });
    odd.sections = [
      {
        id: 'x',
        title: 'X',
        blocks: [
          { type: 'finding', title: 'T', status: 'constructor', text: '', eventIds: [] },
          { type: 'table', columns: [{ key: 'a', title: 'A', align: 'toString' as never }], rows: [['v']] },
        ],
      },
    ];
    const html = await render(odd);
    expect(html).toContain('<article class="finding status-other">');
    expect(html).toContain('<th scope="col" class="align-left">A</th>');
    expect([...html.matchAll(/class="([^"]*)"/g)].map((m) => m[1]).filter((c) => !/^[a-z -]+$/.test(c))).toEqual([]);
  });

  it('gives the same bytes for the same model; the only date in the file is integrity.generatedAt', async () => {
    const html = await render(model);
    expect(await render(sampleReportModel({ rows: 300 }))).toBe(html);
    const dates = new Set(html.match(/\d{4}-\d{2}-\d{2}T[\d:.]+Z/g));
    const fromModel = new Set([
      model.integrity.from,
      model.integrity.to,
      model.integrity.generatedAt,
      model.integrity.checkpoint!.issuedAt,
    ]);
    const table = model.sections.find((s) => s.id === 'events')!.blocks[0] as TableBlock;
    for (const row of table.rows) fromModel.add(String(row[1]));
    expect([...dates].filter((d) => !fromModel.has(d))).toEqual([]);
  });

  it('draws the template branding: primary colour for headings, accent colour for header rows, the footer line', async () => {
    const html = await render({
      ...sampleReportModel(),
      branding: { primaryColor: '#7b1fa2', accentColor: '#263238', footer: 'Confidential <b>' },
    });
    expect(html).toContain('h1, h2, h3, .integrity h2 { color: #7B1FA2; }');
    expect(html).toContain('th { background: #263238; color: #FFFFFF; }');
    expect(html).toMatch(/<footer>Confidential &lt;b&gt; · Generated at /);
    const light = await render({ ...sampleReportModel(), branding: { accentColor: '#FFF2CC' } });
    expect(light).toContain('th { background: #FFF2CC; color: #000000; }');
    expect(light).not.toContain('.integrity h2 { color:');
    // A colour that is not #RRGGBB never reaches the style sheet.
    const bad = await render({ ...sampleReportModel(), branding: { primaryColor: 'red;}</style><script>', accentColor: 'url(x)' } });
    expect(bad).not.toContain('<script');
    expect(bad).not.toContain('url(x)');
    expect(bad).not.toContain('.integrity h2 { color:');
  });

  describe('the layout', () => {
    const layoutOf = (readTemplateFile?: (name: string) => string | undefined) => {
      const format = htmlFormat();
      return { format, started: format.start!({ options: {}, logger, readTemplateFile }) };
    };
    const renderWith = async (format: ReturnType<typeof htmlFormat>, m: ReportModel) =>
      Buffer.from(await format.render(m, { options: {}, logger })).toString('utf8');

    it('is, built in, the templates/report.html.ejs the server ships for deployers to restyle', () => {
      expect(DEFAULT_LAYOUT).toBe(fs.readFileSync(path.resolve(__dirname, '../../templates', LAYOUT_FILE), 'utf8'));
    });

    it("is the deployer's one when the host hands it over at start, still escaping every model string", async () => {
      const asked: string[] = [];
      const { format, started } = layoutOf((name) => {
        asked.push(name);
        return '<p class="restyled"><%= report.title %></p>';
      });
      await started;
      expect(asked).toEqual(['report.html.ejs']);
      const hostile = { ...model, title: '<script>alert(1)</script>' };
      expect(await renderWith(format, hostile)).toBe('<p class="restyled">&lt;script&gt;alert(1)&lt;/script&gt;</p>');
    });

    it('is the built-in one when the deployer has none, or when no host stands behind the call', async () => {
      const builtIn = await render(model);
      const none = layoutOf(() => undefined);
      await none.started;
      expect(await renderWith(none.format, model)).toBe(builtIn);
      const noHost = layoutOf();
      await noHost.started;
      expect(await renderWith(noHost.format, model)).toBe(builtIn);
    });

    it('stops the start when it does not compile', async () => {
      await expect(async () => layoutOf(() => '<p><%= report.title </p>').started).rejects.toThrow();
    });

    it("comes from the installation's templates/ folder through the host's start", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-templates-'));
      try {
        fs.writeFileSync(path.join(dir, LAYOUT_FILE), '<h1><%= report.title %></h1><%= report.headSequence %>');
        const registry = await loadPlugins({
          builtIns: [htmlFormat()],
          entries: [],
          options: {},
          cwd: process.cwd(),
          templatesDir: dir,
          logger: createLogger('silent'),
        });
        const [html] = registry.formats();
        const file = Buffer.from(await html.render(model, { options: {}, logger })).toString('utf8');
        expect(file).toBe(`<h1>${escaped(model.title)}</h1>${model.integrity.headSequence}`);
        await registry.stop();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
