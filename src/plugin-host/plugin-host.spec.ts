import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ErrorCode } from '../errors/error-code';
import { createLogger } from '../observability/logger';
import { defineFormatPlugin, defineFrameworkPlugin, type Plugin } from '../plugin-api';
import { loadPlugins, templateFileReader } from './plugin-host';
import { PluginLoadError } from './plugin-load-error';

const FIXTURES = path.resolve(__dirname, '../../test/fixtures/plugins');
const fixture = (name: string) => path.join(FIXTURES, name);
const logger = createLogger('silent');

const load = (entries: string[], builtIns: Plugin[] = [], options: Record<string, unknown> = {}, cwd = process.cwd()) =>
  loadPlugins({ builtIns, entries, options, cwd, logger });

/** The PluginLoadError a load throws, as sorted `pluginId code` lines (fails when it loads). */
async function problemsOf(promise: Promise<unknown>): Promise<string[]> {
  const error = await promise.then(
    () => {
      throw new Error('expected a PluginLoadError');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PluginLoadError);
  return (error as PluginLoadError).problems.map((p) => `${p.pluginId} ${p.code}${p.path ? ` ${p.path}` : ''}`).sort();
}

const catalog = (id: string) => ({ framework: { id, name: id, version: '1', description: `The ${id} framework.` }, controls: [] });

/** A built-in that records its start and stop calls into `calls`. */
function tracked(id: string, calls: string[], extra: Partial<Plugin> = {}): Plugin {
  return defineFrameworkPlugin({
    id,
    kind: 'framework',
    version: '1.0.0',
    apiVersion: '^1.0.0',
    catalog: catalog(`${id}-fw`),
    start: () => void calls.push(`start ${id}`),
    stop: () => void calls.push(`stop ${id}`),
    ...(extra as object),
  });
}

describe('loadPlugins', () => {
  it('loads built-ins, a pure-data folder and a code module, dependencies first, with option defaults', async () => {
    const calls: string[] = [];
    const registry = await load([fixture('valid-code'), fixture('valid-pure-data')], [tracked('framework-built-in', calls)]);
    expect(registry.list().map((p) => [p.plugin.id, p.source])).toEqual([
      ['framework-built-in', 'BUILT_IN'],
      ['framework-acme-policy', 'PATH'],
      ['format-fixture-text', 'PATH'],
    ]);
    expect(registry.get('format-fixture-text')?.options).toEqual({ lineEnding: 'LF' });
    expect(registry.frameworks().map((f) => f.catalog.framework.id)).toEqual(['framework-built-in-fw', 'acme-policy']);
    expect(registry.frameworks()[1].catalog.controls.map((c) => c.id)).toEqual(['AC-1', 'AC-1.1', 'IR-1']);
    const [format] = registry.formats();
    const file = await format.render(
      { title: 'T', metadata: {}, integrity: {} as never, sections: [{ id: 's', title: 'S', blocks: [] }] },
      { options: { lineEnding: 'CRLF' }, logger: {} as never },
    );
    expect(file).toBe('T\r\nS');
    expect(calls).toEqual(['start framework-built-in']);
    await registry.stop();
    await registry.stop();
    expect(calls).toEqual(['start framework-built-in', 'stop framework-built-in']);
  });

  it('passes validated options with defaults to start()', async () => {
    let seen: unknown;
    const plugin = defineFormatPlugin<{ windowHours: number; label: string }>({
      id: 'format-options',
      kind: 'format',
      version: '1.0.0',
      apiVersion: '^1.0.0',
      mimeType: 'text/plain',
      fileExtension: 'txt',
      options: z.object({ windowHours: z.number().int().min(1).default(72), label: z.string() }),
      start: ({ options }) => void (seen = options),
      render: () => '',
    });
    await load([], [plugin], { 'format-options': { label: 'x' } });
    expect(seen).toEqual({ windowHours: 72, label: 'x' });
  });

  it('resolves npm package names from the working directory, code and pure data', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-plugins-'));
    try {
      const pure = path.join(cwd, 'node_modules/@acme/datapunk-policy');
      fs.mkdirSync(pure, { recursive: true });
      fs.writeFileSync(path.join(pure, 'package.json'), JSON.stringify({ name: '@acme/datapunk-policy', version: '1.2.0' }));
      for (const file of ['datapunk-plugin.json', 'catalog.json'])
        fs.copyFileSync(fixture(`valid-pure-data/${file}`), path.join(pure, file));
      const code = path.join(cwd, 'node_modules/datapunk-format-null');
      fs.mkdirSync(code, { recursive: true });
      fs.writeFileSync(
        path.join(code, 'package.json'),
        JSON.stringify({ name: 'datapunk-format-null', version: '1.0.0', main: 'main.js' }),
      );
      fs.writeFileSync(
        path.join(code, 'main.js'),
        "module.exports = { id: 'format-null', kind: 'format', version: '1.0.0', apiVersion: '^1', mimeType: 'application/octet-stream', fileExtension: 'bin', render: () => '' };",
      );
      const registry = await load(['@acme/datapunk-policy', 'datapunk-format-null'], [], {}, cwd);
      expect(registry.list().map((p) => [p.plugin.id, p.source])).toEqual([
        ['framework-acme-policy', 'PACKAGE'],
        ['format-null', 'PACKAGE'],
      ]);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('collects every problem of every broken plugin into one error, and starts nothing', async () => {
    const calls: string[] = [];
    const problems = await problemsOf(
      load(
        [
          fixture('with-bad-manifest'),
          fixture('with-duplicate-id/first'),
          fixture('with-duplicate-id/second'),
          fixture('with-incompatible-api'),
          fixture('with-missing-dependency'),
          fixture('with-dependency-cycle/a'),
          fixture('with-dependency-cycle/b'),
          fixture('with-invalid-options'),
          fixture('with-throwing-load'),
          fixture('with-throwing-start'),
          './test/fixtures/plugins/does-not-exist',
          'datapunk-plugin-not-installed',
        ],
        [tracked('framework-built-in', calls)],
        { 'framework-unknown': { x: 1 } },
      ),
    );
    expect(problems).toEqual(
      [
        'with-bad-manifest PLUGIN_MANIFEST_INVALID version',
        'with-bad-manifest PLUGIN_MANIFEST_INVALID catalog.controls[0].evidence[0].kind',
        'with-duplicate-id PLUGIN_DUPLICATE_ID id',
        'with-incompatible-api PLUGIN_API_UNSUPPORTED apiVersion',
        'with-missing-dependency PLUGIN_DEPENDENCY_MISSING dependsOn[0]',
        'with-dependency-cycle-a PLUGIN_DEPENDENCY_CYCLE dependsOn',
        'with-dependency-cycle-b PLUGIN_DEPENDENCY_CYCLE dependsOn',
        'with-invalid-options PLUGIN_OPTIONS_INVALID endpoint',
        `${fixture('with-throwing-load')} PLUGIN_LOAD_FAILED`,
        './test/fixtures/plugins/does-not-exist PLUGIN_NOT_FOUND',
        'datapunk-plugin-not-installed PLUGIN_NOT_FOUND',
        'framework-unknown PLUGIN_OPTIONS_INVALID',
      ].sort(),
    );
    // with-throwing-start validated fine, but nothing starts while any problem exists.
    expect(calls).toEqual([]);
  });

  it('stops the plugins already started when a later start() throws', async () => {
    const calls: string[] = [];
    const problems = await problemsOf(
      load([fixture('with-throwing-start')], [tracked('framework-a', calls), tracked('framework-b', calls)]),
    );
    expect(problems).toEqual(['with-throwing-start PLUGIN_LOAD_FAILED']);
    expect(calls).toEqual(['start framework-a', 'start framework-b', 'stop framework-b', 'stop framework-a']);
  });

  it('refuses two plugins providing the same framework id, and options for a plugin without an options schema', async () => {
    const problems = await problemsOf(
      load(
        [],
        [
          tracked('framework-one', [], { catalog: catalog('same') } as never),
          tracked('framework-two', [], { catalog: catalog('same') } as never),
        ],
        {
          'framework-one': { unexpected: true },
        },
      ),
    );
    expect(problems).toEqual(['framework-one PLUGIN_OPTIONS_INVALID', 'framework-two PLUGIN_DUPLICATE_ID catalog.framework.id']);
  });

  it('names a built-in duplicate against a third-party plugin', async () => {
    const builtIn = tracked('framework-acme-policy', [], { catalog: catalog('other') } as never);
    expect(await problemsOf(load([fixture('valid-pure-data')], [builtIn]))).toEqual(['framework-acme-policy PLUGIN_DUPLICATE_ID id']);
  });

  it('says in the message what to do for each code', async () => {
    const error = await load([fixture('with-incompatible-api')]).catch((e: unknown) => e as PluginLoadError);
    expect((error as PluginLoadError).problems).toEqual([expect.objectContaining({ code: ErrorCode.PLUGIN_API_UNSUPPORTED })]);
    expect((error as PluginLoadError).message).toContain('with-incompatible-api');
    expect((error as PluginLoadError).message).toContain(ErrorCode.PLUGIN_API_UNSUPPORTED);
  });
});

describe('templateFileReader (what start() gets as readTemplateFile)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-templates-'));
  fs.writeFileSync(path.join(dir, 'report.html.ejs'), '<p>layout ✓</p>');
  fs.writeFileSync(path.join(os.tmpdir(), 'dpa-outside.ejs'), 'outside');
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(path.join(os.tmpdir(), 'dpa-outside.ejs'), { force: true });
  });
  const read = templateFileReader(dir);

  it("reads a deployer's file by name as UTF-8, and says undefined for one that is not there", () => {
    expect(read('report.html.ejs')).toBe('<p>layout ✓</p>');
    expect(read('report.txt.ejs')).toBeUndefined();
  });

  it('refuses anything but a plain file name inside the folder', () => {
    for (const name of ['../dpa-outside.ejs', 'sub/report.html.ejs', '/etc/passwd', '..', '.', '']) {
      expect(() => read(name)).toThrow(/plain file name/);
    }
  });

  it('is given to start() when the host knows the templates folder, and not otherwise', async () => {
    const seen: (string | undefined)[] = [];
    const plugin = defineFormatPlugin({
      id: 'format-layout',
      kind: 'format',
      version: '1.0.0',
      apiVersion: '^1.0.0',
      mimeType: 'text/plain',
      fileExtension: 'txt',
      start: ({ readTemplateFile }) => void seen.push(readTemplateFile ? (readTemplateFile('report.html.ejs') ?? 'none') : undefined),
      render: () => 'x',
    });
    await loadPlugins({ builtIns: [plugin], entries: [], options: {}, cwd: process.cwd(), templatesDir: dir, logger });
    await load([], [plugin]);
    expect(seen).toEqual(['<p>layout ✓</p>', undefined]);
  });
});
