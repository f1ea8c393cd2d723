import JSZip from 'jszip';
import {
  defineFormatPlugin,
  type FormatPlugin,
  neutraliseControls,
  type Plugin,
  type ReportModel,
  type TableBlock,
  type TableCell,
  tablePages,
  UNSAFE_CONTROL_CHARACTERS,
} from '../plugin-api';
import docx from '../../plugins/format-docx';
import csv from '../../plugins/format-csv';
import html from '../../plugins/format-html';
import json from '../../plugins/format-json';
import { BUILT_IN_PLUGINS } from '../../plugins/registry';
import { checkFrameworkPlugin, type ContractCheckId, type ContractOptions, type ContractReport, SAMPLE_HOSTILE_STRINGS } from '.';

const verify = (plugin: unknown, options: Partial<ContractOptions> = {}) =>
  checkFrameworkPlugin(plugin, { builtIns: BUILT_IN_PLUGINS, ...options });

/** `check status` for every check, e.g. `render failed`. */
const statuses = (report: ContractReport) => report.checks.map((c) => `${c.id} ${c.status}`);

/** The error problems of one check, and the check's status. */
function errorsOf(report: ContractReport, id: ContractCheckId) {
  const found = report.checks.find((c) => c.id === id);
  expect(found).toBeDefined();
  return { status: found!.status, errors: found!.problems.filter((p) => p.level === 'error') };
}

const failedChecks = (report: ContractReport) => report.checks.filter((c) => c.status === 'failed').map((c) => c.id);

/** A format plugin's checks after `load`, and what a good one's report says: the framework checks skipped, every other one passed. */
const FORMAT_CHECKS = ['manifest', 'options', 'dependencies', 'evidence', 'categories', 'mappings', 'behaviour', 'render', 'lifecycle'];
const FRAMEWORK_ONLY = new Set(['evidence', 'categories', 'mappings', 'behaviour']);
const goodFormat = (checks: string[]) => checks.map((id) => `${id} ${FRAMEWORK_ONLY.has(id) ? 'skipped' : 'passed'}`);

describe('the render check of format plugins', () => {
  /** A small format plugin; `render` is the part under test. */
  const format = (render: FormatPlugin<any>['render'], extra: Partial<FormatPlugin<any>> = {}): Plugin =>
    defineFormatPlugin({
      id: 'format-acme-test',
      kind: 'format',
      version: '1.0.0',
      apiVersion: '^1.0.0',
      mimeType: 'text/html',
      fileExtension: 'html',
      render,
      ...extra,
    });
  const markupOnly = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const escapeHtml = (s: string) => markupOnly(neutraliseControls(s));
  const safeHtml = (m: ReportModel) =>
    `<!DOCTYPE html><h1>${escapeHtml(m.title)}</h1><p>${escapeHtml(m.integrity.headChainHash)}</p>` +
    m.sections.map((s) => `<h2>${escapeHtml(s.title)}</h2>`).join('');
  const renderErrors = (report: ContractReport) => errorsOf(report, 'render').errors.map((p) => p.message);

  it.each([json, csv, html, docx].map((p) => [p.id, p] as const))(
    'passes every check for the built-in format %s, the framework checks skipped',
    async (_id, plugin) => {
      const report = await verify(plugin);
      expect(statuses(report)).toEqual(goodFormat(FORMAT_CHECKS));
      expect(report.checks.flatMap((c) => c.problems)).toEqual([]);
      expect(report).toMatchObject({ pluginId: plugin.id, kind: 'format', passed: true });
    },
  );

  it('passes an escaping HTML format that prints the integrity stamp', async () => {
    const report = await verify(format(safeHtml));
    expect(report.checks.find((c) => c.id === 'render')).toMatchObject({ status: 'passed', problems: [] });
  });

  it('fails an HTML format that does not escape the model', async () => {
    const report = await verify(format((m) => `<h1>${m.title}</h1>${m.sections.map((s) => `<h2>${s.title}</h2>`).join('')}`));
    expect(failedChecks(report)).toEqual(['render']);
    const messages = renderErrors(report);
    expect(messages[0]).toMatch(/^the HTML contains "<script"/);
    expect(messages.some((m) => m.includes(JSON.stringify(SAMPLE_HOSTILE_STRINGS[1])))).toBe(true);
    expect(report.checks.find((c) => c.id === 'render')!.problems).toContainEqual(expect.objectContaining({ level: 'warning' }));
  });

  describe('a format that streams tables (streamsTables)', () => {
    const rowsHtml = async (m: ReportModel, read: (t: TableBlock) => AsyncIterable<TableCell[][]>) => {
      let html = safeHtml(m);
      for (const s of m.sections)
        for (const b of s.blocks) {
          if (b.type !== 'table') continue;
          for await (const page of read(b))
            for (const row of page) html += `<tr>${row.map((c) => `<td>${escapeHtml(String(c))}</td>`).join('')}</tr>`;
        }
      return html;
    };

    it('passes when it reads every row, from rows and rowPages alike', async () => {
      const report = await verify(format((m) => rowsHtml(m, tablePages), { streamsTables: true, apiVersion: '^1.1.0' }));
      expect(report.checks.find((c) => c.id === 'render')).toMatchObject({ status: 'passed', problems: [] });
    });

    it('fails when it ignores rowPages, so that a streamed table would lose rows', async () => {
      const onlyRows = async function* (t: TableBlock) {
        yield t.rows;
      };
      const report = await verify(format((m) => rowsHtml(m, onlyRows), { streamsTables: true, apiVersion: '^1.1.0' }));
      expect(failedChecks(report)).toEqual(['render']);
      expect(renderErrors(report)).toEqual([expect.stringMatching(/^the sample report renders differently with its tables streamed/)]);
    });

    it('is not given rowPages when it does not say it streams, so reading rows alone is right', async () => {
      const onlyRows = async function* (t: TableBlock) {
        yield t.rows;
      };
      const report = await verify(format((m) => rowsHtml(m, onlyRows)));
      expect(report.checks.find((c) => c.id === 'render')).toMatchObject({ status: 'passed', problems: [] });
    });
  });

  it('fails a format that embeds the time of rendering', async () => {
    let clock = Date.UTC(2026, 3, 1);
    const now = jest.spyOn(Date, 'now').mockImplementation(() => (clock += 1000));
    try {
      const report = await verify(format((m) => `${safeHtml(m)}<footer>${new Date(Date.now()).toISOString()}</footer>`));
      expect(failedChecks(report)).toEqual(['render']);
      expect(renderErrors(report)).toEqual([expect.stringMatching(/^two renders of the same report differ from byte \d+ on/)]);
    } finally {
      now.mockRestore();
    }
  });

  it.each([
    ['throws', () => Promise.reject(new Error('no fonts')), /^render\(\) threw on the sample report: no fonts/],
    ['returns nothing', () => undefined as never, /^render\(\) returned undefined/],
    ['returns an empty file', () => new Uint8Array(0), /^render\(\) returned an empty file/],
  ])('fails a format that %s', async (_name, render, message) => {
    const report = await verify(format(render));
    expect(failedChecks(report)).toEqual(['render']);
    expect(renderErrors(report)).toEqual([expect.stringMatching(message)]);
  });

  it('fails a CSV format that lets a cell start a formula, but not one with a negative number', async () => {
    const cells = (m: ReportModel, guard: (s: string) => string) =>
      [m.integrity.headChainHash, '-5', ...Object.values(m.metadata)].map((v) => `"${guard(v).replaceAll('"', '""')}"`).join('\r\n');
    const unsafe = await verify(format((m) => cells(m, (v) => v), { mimeType: 'text/csv', fileExtension: 'csv' }));
    expect(failedChecks(unsafe)).toEqual(['render']);
    expect(renderErrors(unsafe)).toEqual([
      expect.stringMatching(/^1 CSV cell starts with =, \+, -, @, tab or CR.*\(record 6, field 1: "=cmd/),
    ]);

    const guarded = format((m) => cells(m, (v) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v)), { mimeType: 'text/csv', fileExtension: 'csv' });
    expect((await verify(guarded)).passed).toBe(true);
  });

  it('fails an HTML format that escapes markup but leaves bidi and control characters raw, or writes them as references', async () => {
    const raw = await verify(format((m) => safeHtml(m) + `<p>${markupOnly(m.metadata.notes)} ${markupOnly(sampleTail())}</p>`));
    expect(failedChecks(raw)).toEqual(['render']);
    expect(renderErrors(raw)).toEqual([
      expect.stringMatching(/^the file carries \d+ control or bidirectional characters of the model raw \(U\+202E/),
    ]);

    const references = await verify(format((m) => `${safeHtml(m)}<p>invoice&#x202e;txt.exe &#8294;x&#8297;</p>`));
    expect(failedChecks(references)).toEqual(['render']);
    expect(renderErrors(references)).toEqual([
      expect.stringMatching(/carries 3 control or bidirectional characters.*U\+202E, U\+2066, U\+2069/),
    ]);
  });

  it('fails a CSV format that keeps ESC and NUL raw, and one that strips a control so that a formula shows', async () => {
    const csvOf = (m: ReportModel, clean: (s: string) => string) =>
      [m.integrity.headChainHash, ...SAMPLE_HOSTILE_STRINGS.slice(15)].map((v) => `"${clean(v).replaceAll('"', '""')}"`).join('\r\n');
    const csvFormat = (clean: (s: string) => string) => format((m) => csvOf(m, clean), { mimeType: 'text/csv', fileExtension: 'csv' });
    const raw = await verify(csvFormat((v) => v));
    expect(renderErrors(raw)).toEqual([expect.stringMatching(/U\+202E, U\+2066, U\+2069, U\+2067, U\+2068, U\+202A, …/)]);
    const stripped = await verify(csvFormat((v) => v.replace(new RegExp(UNSAFE_CONTROL_CHARACTERS.source, 'g'), '')));
    expect(renderErrors(stripped)).toEqual([expect.stringMatching(/^1 CSV cell starts with =.*"=1\+1 and =1\+1"/)]);
    expect((await verify(csvFormat(neutraliseControls))).passed).toBe(true);
  });

  it('looks into the XML parts of a zip container such as DOCX', async () => {
    const docxOf = async (m: ReportModel, clean: (s: string) => string) => {
      const zip = new JSZip();
      // A fixed date, and no implicit `word/` folder entry, which JSZip would stamp with the clock: two renders a second apart must match.
      const options = { date: new Date(Date.UTC(2026, 0, 1)), createFolders: false };
      zip.file('[Content_Types].xml', '<Types/>', options);
      zip.file(
        'word/document.xml',
        `<w:document><w:t>${markupOnly(clean(sampleTail()))} ${m.integrity.headChainHash}</w:t></w:document>`,
        options,
      );
      return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
    };
    const docxFormat = (clean: (s: string) => string) =>
      format((m) => docxOf(m, clean), { mimeType: docx.mimeType, fileExtension: 'docx' });
    const raw = await verify(docxFormat((v) => v));
    expect(failedChecks(raw)).toEqual(['render']);
    expect(renderErrors(raw)).toEqual([
      expect.stringMatching(/^the part word\/document\.xml carries \d+ control or bidirectional characters/),
    ]);
    expect((await verify(docxFormat(neutraliseControls))).passed).toBe(true);
  });

  it('fails a JSON format whose output does not parse', async () => {
    const report = await verify(
      format((m) => `{ "title": "${m.title}", "hash": "${m.integrity.headChainHash}", "notes": "${m.metadata.notes}" }`, {
        mimeType: 'application/json',
        fileExtension: 'json',
      }),
    );
    expect(failedChecks(report)).toEqual(['render']);
    expect(renderErrors(report)).toEqual([expect.stringMatching(/^the application\/json file does not parse/)]);
  });

  it('reads CSV as leniently as a spreadsheet (BOM, LF or CR, stray quotes) and fails only a quoted field left open', async () => {
    const guard = (v: string) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
    const csvFormat = (render: (m: ReportModel) => string) => format(render, { mimeType: 'text/csv', fileExtension: 'csv' });
    const cells = (m: ReportModel) =>
      [m.integrity.headChainHash, '"quoted, with comma"', '=1+1', ...Object.values(m.metadata)].map((v) => guard(neutraliseControls(v)));
    // Quotes not doubled or inside an unquoted field, a BOM, records of different lengths, LF or a lone CR: read before csv-parse too.
    const sloppy = csvFormat(
      (m) =>
        '\uFEFF' +
        cells(m)
          .map((v, i) => (i % 2 ? `"${v}"` : `${v},5" screen`))
          .join('\n'),
    );
    expect((await verify(sloppy)).passed).toBe(true);
    const crOnly = csvFormat((m) =>
      cells(m)
        .map((v) => `"${v.replaceAll('"', '""')}"`)
        .join('\r'),
    );
    expect((await verify(crOnly)).passed).toBe(true);

    const open = await verify(csvFormat((m) => `${cells(m).join('\r\n')}\r\n"never closed`));
    expect(failedChecks(open)).toEqual(['render']);
    expect(renderErrors(open)).toEqual([expect.stringMatching(/^the CSV does not parse as RFC 4180: /)]);
  });

  it('renders between start() and stop(), with the validated options, and not at all when start() throws', async () => {
    const calls: string[] = [];
    let started = false;
    const plugin = format(
      (m, { options }) => {
        if (!started) throw new Error('render before start');
        calls.push(`render ${options.tag}`);
        return safeHtml(m);
      },
      {
        options: { safeParse: (v: unknown) => ({ success: true as const, data: { tag: 'x', ...(v as object) } }) },
        start: () => void ((started = true), calls.push('start')),
        stop: () => void ((started = false), calls.push('stop')),
      },
    );
    expect((await verify(plugin, { pluginOptions: { 'format-acme-test': { tag: 'given' } } })).passed).toBe(true);
    expect(calls).toEqual(['start', 'render given', 'render given', 'stop']);

    const failing = await verify(format(safeHtml, { start: () => Promise.reject(new Error('no licence')) }));
    expect(failedChecks(failing)).toEqual(['lifecycle']);
    expect(failing.checks.find((c) => c.id === 'render')).toMatchObject({
      status: 'skipped',
      skippedBecause: expect.stringMatching(/^start\(\) threw/),
    });
  });
});

/** The sample's control-character strings (index 15 on), joined. */
function sampleTail(): string {
  return SAMPLE_HOSTILE_STRINGS.slice(15).join(' | ');
}

describe('the hostile sample', () => {
  it('carries every bidirectional control, C0 controls such as NUL and ESC, DEL and C1 controls', () => {
    const text = SAMPLE_HOSTILE_STRINGS.join('');
    const bidi = ['\u061C', '\u200E', '\u200F', '\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'];
    for (const c of [...bidi, '\u0000', '\u001B', '\u0007', '\u007F', '\u0085', '\u009B']) expect(text).toContain(c);
    expect(neutraliseControls('invoice\u202Etxt.exe \u001B[0m \t\r\n 👩‍👩‍👧')).toBe('invoice\\u202Etxt.exe \\u001B[0m \t\r\n 👩‍👩‍👧');
    expect(UNSAFE_CONTROL_CHARACTERS.test(neutraliseControls(text))).toBe(false);
  });
});
