import fs from 'node:fs';
import path from 'node:path';
import { ErrorCode } from '../errors/error-code';
import {
  type Control,
  defineFormatPlugin,
  defineFrameworkPlugin,
  type EventRule,
  type FormatPlugin,
  type FrameworkPlugin,
  neutraliseControls,
  type Plugin,
  type ReportModel,
  type TableBlock,
  type TableCell,
  tablePages,
  UNSAFE_CONTROL_CHARACTERS,
} from '../plugin-api';
import JSZip from 'jszip';
import docx from '../../plugins/format-docx';
import csv from '../../plugins/format-csv';
import html from '../../plugins/format-html';
import json from '../../plugins/format-json';
import { BUILT_IN_PLUGINS } from '../../plugins/registry';
import {
  checkFrameworkPlugin,
  checkPluginEntry,
  type ContractCheckId,
  type ContractReport,
  formatContractReport,
  SAMPLE_HOSTILE_STRINGS,
  sampleReportModel,
} from './contract';

const REPO = path.resolve(__dirname, '../..');
const fixture = (name: string) => path.join(REPO, 'test/fixtures/plugins', name);

/** `check status` for every check, e.g. `behaviour failed`. */
const statuses = (report: ContractReport) => report.checks.map((c) => `${c.id} ${c.status}`);

/** The error problems of one check as `code path`, and the check's status. */
function errorsOf(report: ContractReport, id: ContractCheckId) {
  const check = report.checks.find((c) => c.id === id);
  expect(check).toBeDefined();
  return {
    status: check!.status,
    errors: check!.problems.filter((p) => p.level === 'error'),
  };
}

const ALL_CHECKS = ['load', 'manifest', 'options', 'dependencies', 'evidence', 'categories', 'mappings', 'behaviour', 'lifecycle'];
/** A format plugin's report lists the render check too, before lifecycle. */
const FORMAT_CHECKS = [...ALL_CHECKS.slice(0, -1), 'render', 'lifecycle'];
const FRAMEWORK_ONLY = new Set(['evidence', 'categories', 'mappings', 'behaviour']);
/** What a good format plugin's report says: the framework checks skipped, every other one passed. */
const goodFormat = (checks: string[]) => checks.map((id) => `${id} ${FRAMEWORK_ONLY.has(id) ? 'skipped' : 'passed'}`);

const failedChecks = (report: ContractReport) => report.checks.filter((c) => c.status === 'failed').map((c) => c.id);

const match = (id: string, extra: Partial<EventRule> = {}): EventRule =>
  ({ id, kind: 'MATCH', description: `Rule ${id}`, match: { action: [{ equals: 'acme.thing.done' }] }, ...extra }) as EventRule;

const control = (id: string, extra: Partial<Control> = {}): Control => ({
  id,
  title: `Control ${id}`,
  description: `What ${id} requires.`,
  evidence: [match('done')],
  violations: [],
  ...extra,
});

/** A small valid framework plugin; `change` edits its catalog. */
function acme(change: (catalog: FrameworkPlugin['catalog']) => void = () => {}, extra: Partial<FrameworkPlugin<any>> = {}): Plugin {
  const catalog: FrameworkPlugin['catalog'] = {
    framework: { id: 'acme-test', name: 'Acme test', version: '1', description: 'A framework for the contract tests.' },
    controls: [control('T-1')],
  };
  change(catalog);
  return defineFrameworkPlugin({ id: 'framework-acme-test', kind: 'framework', version: '1.0.0', apiVersion: '^1.0.0', catalog, ...extra });
}

describe('checkFrameworkPlugin', () => {
  it.each(BUILT_IN_PLUGINS.filter((p) => p.kind === 'framework').map((p) => [p.id, p] as const))(
    'passes every check for the built-in %s',
    async (_id, plugin) => {
      const report = await checkFrameworkPlugin(plugin);
      expect(statuses(report)).toEqual([
        'manifest passed',
        'options passed',
        'dependencies passed',
        'evidence passed',
        'categories passed',
        'mappings passed',
        'behaviour passed',
        'lifecycle passed',
      ]);
      expect(report.checks.flatMap((c) => c.problems)).toEqual([]);
      expect(report).toMatchObject({ pluginId: plugin.id, passed: true });
    },
  );

  it('fails the behaviour check, naming the rule, when a rule can never match as written', async () => {
    const contradictory = match('never', {
      match: { action: [{ prefix: 'record.' }], outcome: ['SUCCESS'], classification: ['PUBLIC'], minClassification: 'RESTRICTED' },
    });
    const report = await checkFrameworkPlugin(acme((c) => c.controls.push(control('T-2', { evidence: [match('fine'), contradictory] }))));
    expect(failedChecks(report)).toEqual(['behaviour']);
    const { errors } = errorsOf(report, 'behaviour');
    expect(errors).toEqual([expect.objectContaining({ path: 'catalog.controls[1].evidence[1]' })]);
    expect(errors[0].message).toContain('evidence rule "never" of control "T-2" never matches');
  });

  it('fails the behaviour check for a rule no client can send an event for, and for a follow-up that can never correlate', async () => {
    const report = await checkFrameworkPlugin(
      acme((c) =>
        c.controls.push(
          control('T-2', {
            violations: [
              match('bad-action', { match: { action: [{ equals: 'not a dotted action' }] } }),
              {
                id: 'other-actor',
                kind: 'NOT_FOLLOWED_BY',
                description: 'A user action a service must confirm',
                trigger: { action: [{ equals: 'acme.requested' }], actorType: ['USER'] },
                followUp: { action: [{ equals: 'acme.confirmed' }], actorType: ['SERVICE'] },
                within: { hours: 1 },
                correlation: 'ACTOR',
              },
            ],
          }),
        ),
      ),
    );
    expect(errorsOf(report, 'behaviour').errors.map((p) => [p.path, p.message.split(' (')[0]])).toEqual([
      ['catalog.controls[1].violations[0]', 'violation rule "bad-action" of control "T-2" needs an event no client can record'],
      [
        'catalog.controls[1].violations[1]',
        'violation rule "other-actor" of control "T-2" does not count a trigger followed within 1 hour by a follow-up of the same actor as followed',
      ],
    ]);
  });

  it('exercises every rule kind of a working catalog without a problem', async () => {
    const report = await checkFrameworkPlugin(
      acme((c) =>
        c.controls.push(
          control('T-2', {
            evidence: [
              {
                id: 'weekly',
                kind: 'AT_LEAST',
                description: 'Three reviews a week',
                match: { action: [{ glob: 'review.**.done' }], minSeverity: 'NOTICE', categories: ['PII', 'PHI'] },
                count: 3,
                period: 'WEEK',
              },
            ],
            violations: [
              {
                id: 'burst',
                kind: 'BURST',
                description: 'Four denied exports by one IP in a minute',
                match: { action: [{ prefix: 'data.export' }], outcome: ['DENIED', 'FAILURE'], actorType: ['USER', 'API_KEY'] },
                count: 4,
                within: { minutes: 1 },
                correlation: 'IP',
              },
              {
                id: 'unanswered',
                kind: 'NOT_FOLLOWED_BY',
                description: 'A request not answered within 30 days',
                trigger: { action: [{ equals: 'dsar.received' }], resourceType: [{ prefix: 'data_subject' }] },
                followUp: { action: [{ glob: 'dsar.*' }], resourceType: [{ glob: 'data_subject*' }], outcome: ['SUCCESS'] },
                within: { days: 30 },
                correlation: 'RESOURCE',
              },
            ],
          }),
        ),
      ),
    );
    expect(report.checks.find((c) => c.id === 'behaviour')).toMatchObject({ status: 'passed', problems: [] });
  });

  it('warns about a control without evidence rules, but not about a parent shown by its children', async () => {
    const report = await checkFrameworkPlugin(
      acme((c) => {
        c.controls.push(control('T-2', { evidence: [] }), control('T-3', { evidence: [] }), control('T-3.1', { parentId: 'T-3' }));
      }),
    );
    expect(failedChecks(report)).toEqual([]);
    const evidence = report.checks.find((c) => c.id === 'evidence')!;
    expect(evidence.problems).toEqual([expect.objectContaining({ level: 'warning', path: 'catalog.controls[1].evidence' })]);
    expect(evidence.problems[0].message).toMatch(/^control "T-2" has no evidence rule: .*NOT_ASSESSED/);
  });

  it('fails the mappings check for a control a built-in framework does not have; mappings elsewhere are information', async () => {
    const report = await checkFrameworkPlugin(
      acme((c) => {
        c.controls[0].mappings = [
          { frameworkId: 'soc2', controlId: 'CC6.1', relationship: 'INTERSECTS' },
          { frameworkId: 'soc2', controlId: 'CC99.9', relationship: 'EQUIVALENT' },
          { frameworkId: 'iso27001', controlId: 'A.5.15', relationship: 'SUBSET' },
          { frameworkId: 'iso27001', controlId: 'A.5.16', relationship: 'SUBSET' },
        ];
      }),
    );
    expect(failedChecks(report)).toEqual(['mappings']);
    const check = report.checks.find((c) => c.id === 'mappings')!;
    expect(check.problems.map((p) => [p.level, p.path])).toEqual([
      ['error', 'catalog.controls[0].mappings[1]'],
      ['info', 'catalog.controls[0].mappings[2]'],
    ]);
    expect(check.problems[0].message).toContain('soc2 "CC99.9"');
    expect(check.problems[1].message).toMatch(/^2 mappings to framework "iso27001" not checked/);
  });

  it('checks mappings into the frameworks of knownFrameworks', async () => {
    const other = acme(() => {}, { id: 'framework-other' }) as FrameworkPlugin<unknown>;
    other.catalog = { ...other.catalog, framework: { ...other.catalog.framework, id: 'other' } };
    const plugin = acme((c) => (c.controls[0].mappings = [{ frameworkId: 'other', controlId: 'T-9', relationship: 'EQUIVALENT' }]));
    const report = await checkFrameworkPlugin(plugin, { knownFrameworks: [other] });
    expect(errorsOf(report, 'mappings')).toMatchObject({ status: 'failed', errors: [{ path: 'catalog.controls[0].mappings[0]' }] });
  });

  it('fails the categories check for an undeclared category, and only warns when a dependency may declare it', async () => {
    const withCategory = (c: FrameworkPlugin['catalog']) => {
      c.controls[0].evidence[0] = match('labelled', { match: { categories: ['ACME_SECRET'] } });
      c.classificationRules = [{ id: 'secrets', resourceType: [{ equals: 'vault' }], categories: ['ACME_SECRET', 'PII'] }];
    };
    const undeclared = await checkFrameworkPlugin(acme(withCategory));
    expect(failedChecks(undeclared)).toEqual(['categories']);
    expect(errorsOf(undeclared, 'categories').errors.map((p) => p.path)).toEqual(['catalog.controls[0].evidence[0].match.categories[0]']);

    const declared = await checkFrameworkPlugin(
      acme((c) => {
        withCategory(c);
        c.dataCategories = [{ id: 'ACME_SECRET', description: 'Acme secrets' }];
      }),
    );
    expect(declared.passed).toBe(true);

    const maybe = await checkFrameworkPlugin(acme(withCategory, { dependsOn: ['framework-acme-base'] }));
    expect(maybe.passed).toBe(true);
    expect(maybe.checks.find((c) => c.id === 'categories')!.problems).toEqual([
      expect.objectContaining({ level: 'warning', path: 'catalog.controls[0].evidence[0].match.categories[0]' }),
    ]);

    const gdprCategory = (c: FrameworkPlugin['catalog']) =>
      (c.controls[0].evidence[0] = match('special', { match: { categories: ['SPECIAL_CATEGORY'] } }));
    expect(failedChecks(await checkFrameworkPlugin(acme(gdprCategory)))).toEqual(['categories']);
    expect((await checkFrameworkPlugin(acme(gdprCategory, { dependsOn: ['framework-gdpr'] }))).passed).toBe(true);
  });

  it("reports the host's codes: invalid manifest, unsupported API, a built-in's id, a dependency on itself", async () => {
    const invalid = await checkFrameworkPlugin({ ...acme(), version: 'one' });
    expect(errorsOf(invalid, 'manifest').errors).toEqual([
      { level: 'error', path: 'version', message: expect.any(String), code: ErrorCode.PLUGIN_MANIFEST_INVALID },
    ]);
    expect(invalid.checks.filter((c) => c.status === 'skipped').map((c) => c.id)).toEqual([
      'options',
      'dependencies',
      'evidence',
      'categories',
      'mappings',
      'behaviour',
      'lifecycle',
    ]);

    const newer = await checkFrameworkPlugin(acme(() => {}, { apiVersion: '^2.0.0' }));
    expect(failedChecks(newer)).toEqual(['manifest']);
    expect(errorsOf(newer, 'manifest').errors.map((p) => [p.code, p.path])).toEqual([[ErrorCode.PLUGIN_API_UNSUPPORTED, 'apiVersion']]);

    const taken = await checkFrameworkPlugin(
      acme((c) => (c.framework.id = 'soc2'), { id: 'framework-hipaa', dependsOn: ['framework-hipaa'] }),
    );
    expect(failedChecks(taken)).toEqual(['manifest', 'dependencies']);
    expect(taken.checks.flatMap((c) => c.problems.map((p) => [p.code, p.path]))).toEqual([
      [ErrorCode.PLUGIN_DUPLICATE_ID, 'id'],
      [ErrorCode.PLUGIN_DUPLICATE_ID, 'catalog.framework.id'],
      [ErrorCode.PLUGIN_DEPENDENCY_CYCLE, 'dependsOn[0]'],
    ]);
  });

  it('validates options as the server does and passes them to start() and stop()', async () => {
    const calls: unknown[] = [];
    const withOptions = acme(() => {}, {
      options: { safeParse: (v: unknown) => ({ success: true as const, data: { ...(v as object), filled: true } }) },
      start: ({ options }) => void calls.push(['start', options]),
      stop: () => void calls.push('stop'),
    });
    const report = await checkFrameworkPlugin(withOptions, { pluginOptions: { 'framework-acme-test': { level: 2 }, other: {} } });
    expect(report.passed).toBe(true);
    expect(calls).toEqual([['start', { level: 2, filled: true }], 'stop']);

    const none = await checkFrameworkPlugin(acme(), { pluginOptions: { 'framework-acme-test': { level: 2 } } });
    expect(errorsOf(none, 'options').errors.map((p) => p.code)).toEqual([ErrorCode.PLUGIN_OPTIONS_INVALID]);
  });
});

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
      const report = await checkFrameworkPlugin(plugin);
      expect(statuses(report)).toEqual(goodFormat(FORMAT_CHECKS.slice(1)));
      expect(report.checks.flatMap((c) => c.problems)).toEqual([]);
      expect(report).toMatchObject({ pluginId: plugin.id, kind: 'format', passed: true });
    },
  );

  it('passes an escaping HTML format that prints the integrity stamp', async () => {
    const report = await checkFrameworkPlugin(format(safeHtml));
    expect(report.checks.find((c) => c.id === 'render')).toMatchObject({ status: 'passed', problems: [] });
  });

  it('fails an HTML format that does not escape the model', async () => {
    const report = await checkFrameworkPlugin(format((m) => `<h1>${m.title}</h1>${m.sections.map((s) => `<h2>${s.title}</h2>`).join('')}`));
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
      const report = await checkFrameworkPlugin(format((m) => rowsHtml(m, tablePages), { streamsTables: true, apiVersion: '^1.1.0' }));
      expect(report.checks.find((c) => c.id === 'render')).toMatchObject({ status: 'passed', problems: [] });
    });

    it('fails when it ignores rowPages, so that a streamed table would lose rows', async () => {
      const onlyRows = async function* (t: TableBlock) {
        yield t.rows;
      };
      const report = await checkFrameworkPlugin(format((m) => rowsHtml(m, onlyRows), { streamsTables: true, apiVersion: '^1.1.0' }));
      expect(failedChecks(report)).toEqual(['render']);
      expect(renderErrors(report)).toEqual([expect.stringMatching(/^the sample report renders differently with its tables streamed/)]);
    });

    it('is not given rowPages when it does not say it streams, so reading rows alone is right', async () => {
      const onlyRows = async function* (t: TableBlock) {
        yield t.rows;
      };
      const report = await checkFrameworkPlugin(format((m) => rowsHtml(m, onlyRows)));
      expect(report.checks.find((c) => c.id === 'render')).toMatchObject({ status: 'passed', problems: [] });
    });
  });

  it('fails a format that embeds the time of rendering', async () => {
    let clock = Date.UTC(2026, 3, 1);
    const now = jest.spyOn(Date, 'now').mockImplementation(() => (clock += 1000));
    try {
      const report = await checkFrameworkPlugin(format((m) => `${safeHtml(m)}<footer>${new Date(Date.now()).toISOString()}</footer>`));
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
    const report = await checkFrameworkPlugin(format(render));
    expect(failedChecks(report)).toEqual(['render']);
    expect(renderErrors(report)).toEqual([expect.stringMatching(message)]);
  });

  it('fails a CSV format that lets a cell start a formula, but not one with a negative number', async () => {
    const cells = (m: ReportModel, guard: (s: string) => string) =>
      [m.integrity.headChainHash, '-5', ...Object.values(m.metadata)].map((v) => `"${guard(v).replaceAll('"', '""')}"`).join('\r\n');
    const unsafe = await checkFrameworkPlugin(format((m) => cells(m, (v) => v), { mimeType: 'text/csv', fileExtension: 'csv' }));
    expect(failedChecks(unsafe)).toEqual(['render']);
    expect(renderErrors(unsafe)).toEqual([
      expect.stringMatching(/^1 CSV cell starts with =, \+, -, @, tab or CR.*\(record 6, field 1: "=cmd/),
    ]);

    const guarded = format((m) => cells(m, (v) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v)), { mimeType: 'text/csv', fileExtension: 'csv' });
    expect((await checkFrameworkPlugin(guarded)).passed).toBe(true);
  });

  it('fails an HTML format that escapes markup but leaves bidi and control characters raw, or writes them as references', async () => {
    const raw = await checkFrameworkPlugin(
      format((m) => safeHtml(m) + `<p>${markupOnly(m.metadata.notes)} ${markupOnly(sampleTail())}</p>`),
    );
    expect(failedChecks(raw)).toEqual(['render']);
    expect(renderErrors(raw)).toEqual([
      expect.stringMatching(/^the file carries \d+ control or bidirectional characters of the model raw \(U\+202E/),
    ]);

    const references = await checkFrameworkPlugin(format((m) => `${safeHtml(m)}<p>invoice&#x202e;txt.exe &#8294;x&#8297;</p>`));
    expect(failedChecks(references)).toEqual(['render']);
    expect(renderErrors(references)).toEqual([
      expect.stringMatching(/carries 3 control or bidirectional characters.*U\+202E, U\+2066, U\+2069/),
    ]);
  });

  it('fails a CSV format that keeps ESC and NUL raw, and one that strips a control so that a formula shows', async () => {
    const csvOf = (m: ReportModel, clean: (s: string) => string) =>
      [m.integrity.headChainHash, ...SAMPLE_HOSTILE_STRINGS.slice(15)].map((v) => `"${clean(v).replaceAll('"', '""')}"`).join('\r\n');
    const csvFormat = (clean: (s: string) => string) => format((m) => csvOf(m, clean), { mimeType: 'text/csv', fileExtension: 'csv' });
    const raw = await checkFrameworkPlugin(csvFormat((v) => v));
    expect(renderErrors(raw)).toEqual([expect.stringMatching(/U\+202E, U\+2066, U\+2069, U\+2067, U\+2068, U\+202A, …/)]);
    const stripped = await checkFrameworkPlugin(csvFormat((v) => v.replace(new RegExp(UNSAFE_CONTROL_CHARACTERS.source, 'g'), '')));
    expect(renderErrors(stripped)).toEqual([expect.stringMatching(/^1 CSV cell starts with =.*"=1\+1 and =1\+1"/)]);
    expect((await checkFrameworkPlugin(csvFormat(neutraliseControls))).passed).toBe(true);
  });

  it('looks into the XML parts of a zip container such as DOCX', async () => {
    const docxOf = async (m: ReportModel, clean: (s: string) => string) => {
      const zip = new JSZip();
      const date = new Date(Date.UTC(2026, 0, 1));
      zip.file('[Content_Types].xml', '<Types/>', { date });
      zip.file('word/document.xml', `<w:document><w:t>${markupOnly(clean(sampleTail()))} ${m.integrity.headChainHash}</w:t></w:document>`, {
        date,
      });
      return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
    };
    const docxFormat = (clean: (s: string) => string) =>
      format((m) => docxOf(m, clean), { mimeType: docx.mimeType, fileExtension: 'docx' });
    const raw = await checkFrameworkPlugin(docxFormat((v) => v));
    expect(failedChecks(raw)).toEqual(['render']);
    expect(renderErrors(raw)).toEqual([
      expect.stringMatching(/^the part word\/document\.xml carries \d+ control or bidirectional characters/),
    ]);
    expect((await checkFrameworkPlugin(docxFormat(neutraliseControls))).passed).toBe(true);
  });

  it('fails a JSON format whose output does not parse', async () => {
    const report = await checkFrameworkPlugin(
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
    expect((await checkFrameworkPlugin(sloppy)).passed).toBe(true);
    const crOnly = csvFormat((m) =>
      cells(m)
        .map((v) => `"${v.replaceAll('"', '""')}"`)
        .join('\r'),
    );
    expect((await checkFrameworkPlugin(crOnly)).passed).toBe(true);

    const open = await checkFrameworkPlugin(csvFormat((m) => `${cells(m).join('\r\n')}\r\n"never closed`));
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
    expect((await checkFrameworkPlugin(plugin, { pluginOptions: { 'format-acme-test': { tag: 'given' } } })).passed).toBe(true);
    expect(calls).toEqual(['start', 'render given', 'render given', 'stop']);

    const failing = await checkFrameworkPlugin(format(safeHtml, { start: () => Promise.reject(new Error('no licence')) }));
    expect(failedChecks(failing)).toEqual(['lifecycle']);
    expect(failing.checks.find((c) => c.id === 'render')).toMatchObject({
      status: 'skipped',
      skippedBecause: expect.stringMatching(/^start\(\) threw/),
    });
  });

  it('renders a sample with every block type, a 200-row table and every hostile string', () => {
    const model = sampleReportModel();
    const blocks = model.sections.flatMap((s) => s.blocks);
    expect(new Set(blocks.map((b) => b.type))).toEqual(new Set(['heading', 'paragraph', 'keyValue', 'table', 'finding', 'chart']));
    expect(blocks.some((b) => b.type === 'table' && b.rows.length === 200)).toBe(true);
    const text = JSON.stringify(model);
    for (const hostile of SAMPLE_HOSTILE_STRINGS) expect(text).toContain(JSON.stringify(hostile).slice(1, -1));
    expect(sampleReportModel()).toEqual(model);
    expect(sampleReportModel()).not.toBe(model);
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

describe('checkPluginEntry', () => {
  it('passes the valid fixtures: the code format plugin skips the framework checks', async () => {
    const code = await checkPluginEntry(fixture('valid-code'));
    expect(code).toMatchObject({ pluginId: 'format-fixture-text', kind: 'format', passed: true });
    expect(statuses(code)).toEqual([
      'load passed',
      'manifest passed',
      'options passed',
      'dependencies passed',
      'evidence skipped',
      'categories skipped',
      'mappings skipped',
      'behaviour skipped',
      'render passed',
      'lifecycle passed',
    ]);
    expect(code.checks.find((c) => c.id === 'dependencies')!.problems.map((p) => p.code)).toEqual([ErrorCode.PLUGIN_DEPENDENCY_MISSING]);
    // It prints only the titles: passes, with a warning that the integrity stamp is missing.
    expect(code.checks.find((c) => c.id === 'render')!.problems).toEqual([expect.objectContaining({ level: 'warning', path: 'render' })]);
  });

  it('passes the valid pure-data fixture, with a warning for its violation-only control IR-1', async () => {
    const pure = await checkPluginEntry(fixture('valid-pure-data'));
    expect(pure.pluginId).toBe('framework-acme-policy');
    expect(failedChecks(pure)).toEqual([]);
    const evidence = pure.checks.find((c) => c.id === 'evidence')!;
    expect(evidence.problems.map((p) => [p.level, p.message])).toEqual([
      ['warning', expect.stringMatching(/^control "IR-1" has no evidence rule/)],
    ]);
  });

  it.each([
    ['with-bad-manifest', 'manifest', ErrorCode.PLUGIN_MANIFEST_INVALID, ['version', 'catalog.controls[0].evidence[0].kind'], ALL_CHECKS],
    ['with-incompatible-api', 'manifest', ErrorCode.PLUGIN_API_UNSUPPORTED, ['apiVersion'], ALL_CHECKS],
    ['with-invalid-options', 'options', ErrorCode.PLUGIN_OPTIONS_INVALID, ['endpoint'], FORMAT_CHECKS],
    ['with-throwing-load', 'load', ErrorCode.PLUGIN_LOAD_FAILED, [''], ALL_CHECKS],
    ['with-throwing-start', 'lifecycle', ErrorCode.PLUGIN_LOAD_FAILED, ['start'], FORMAT_CHECKS],
    ['does-not-exist', 'load', ErrorCode.PLUGIN_NOT_FOUND, [''], ALL_CHECKS],
  ] as const)('fails %s with the %s check and %s', async (name, check, code, paths, listed) => {
    const report = await checkPluginEntry(fixture(name));
    expect(report.passed).toBe(false);
    expect(failedChecks(report)).toEqual([check]);
    const { errors } = errorsOf(report, check);
    expect(errors.map((p) => p.code)).toEqual(paths.map(() => code));
    expect(errors.map((p) => p.path)).toEqual(paths);
    expect(report.checks.map((c) => c.id)).toEqual(listed);
  });

  it.each(['with-missing-dependency', 'with-dependency-cycle/a'])(
    'passes %s alone with a warning: dependencies are checked when the server loads them together',
    async (name) => {
      const report = await checkPluginEntry(fixture(name));
      expect(report.passed).toBe(true);
      expect(report.checks.find((c) => c.id === 'dependencies')!.problems).toEqual([
        expect.objectContaining({ level: 'warning', code: ErrorCode.PLUGIN_DEPENDENCY_MISSING, path: 'dependsOn[0]' }),
      ]);
    },
  );

  it.each(['framework-acme-pure-data', 'framework-acme-code'])('passes every check for the documented example %s', async (name) => {
    const report = await checkPluginEntry(`./docs/examples/${name}`, { cwd: REPO });
    expect(report.checks.filter((c) => c.status !== 'passed')).toEqual([]);
    expect(report.checks.flatMap((c) => c.problems)).toEqual([]);
    expect(report.pluginId).toBe(name);
  });

  it('passes every check for the documented format example format-acme-grc, which streams tables', async () => {
    const report = await checkPluginEntry('./docs/examples/format-acme-grc', { cwd: REPO });
    expect(statuses(report)).toEqual(goodFormat(FORMAT_CHECKS));
    expect(report.checks.flatMap((c) => c.problems)).toEqual([]);
  });
});

describe('docs/plugins.md', () => {
  const doc = fs.readFileSync(path.join(REPO, 'docs/plugins.md'), 'utf8');
  // JSON as the doc's formatter lays it out may differ in line breaks only.
  const canonical = (json: string) => {
    try {
      return JSON.stringify(JSON.parse(json));
    } catch {
      return null;
    }
  };
  const blocks = [...doc.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], text: m[2] }));

  it.each([
    'framework-acme-pure-data/datapunk-plugin.json',
    'framework-acme-pure-data/catalog.json',
    'framework-acme-pure-data/package.json',
    'framework-acme-code/index.js',
    'framework-acme-code/package.json',
    'format-acme-grc/index.js',
  ])('shows docs/examples/%s as it is', (file) => {
    const text = fs.readFileSync(path.join(REPO, 'docs/examples', file), 'utf8');
    const shown = file.endsWith('.json')
      ? blocks.some((b) => b.lang === 'json' && canonical(b.text) === canonical(text))
      : blocks.some((b) => b.text === text);
    expect(shown).toBe(true);
  });
});

describe('formatContractReport', () => {
  it('prints a line per check, problems indented, and the totals', async () => {
    const text = formatContractReport(await checkPluginEntry(fixture('with-incompatible-api')));
    const lines = text.split('\n');
    expect(lines[0]).toBe('Plugin contract of with-incompatible-api (1.0.0, framework) against plugin API 1.2.0');
    expect(lines).toContain(
      '  FAIL  manifest     ' + "manifest and catalog pass the host's validation; apiVersion accepts plugin API 1.2.0",
    );
    expect(lines).toContain('        error: PLUGIN_API_UNSUPPORTED at apiVersion: needs plugin API ^2.0.0; this server provides 1.2.0');
    expect(lines[lines.length - 1]).toBe('8 checks passed, 1 failed');
  });
});
