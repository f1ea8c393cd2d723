import fs from 'node:fs';
import path from 'node:path';
import { cli, copyExample, node, thirdPartyProject } from '../helpers/third-party-project';

const CHECKS = ['load', 'manifest', 'options', 'dependencies', 'evidence', 'categories', 'mappings', 'behaviour', 'lifecycle'];
const FORMAT_CHECKS = [...CHECKS.slice(0, -1), 'render', 'lifecycle'];
const FRAMEWORK_ONLY = new Set(['evidence', 'categories', 'mappings', 'behaviour']);

describe('datapunk-audit plugin check', () => {
  let outside: string;
  let good: string;
  let broken: string;

  beforeAll(() => {
    // The examples installed as a third party has them: next to node_modules/datapunk-audit, outside the repository.
    outside = thirdPartyProject('dpa-plugin-check-', ['zod']);
    good = copyExample(outside, 'framework-acme-pure-data', 'acme-policy');
    copyExample(outside, 'framework-acme-code');
    copyExample(outside, 'format-acme-grc');
    // The same plugin with two mistakes a third party makes: a newer API, and a control no event can show.
    broken = path.join(outside, 'acme-broken');
    fs.cpSync(good, broken, { recursive: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(broken, 'datapunk-plugin.json'), 'utf8'));
    fs.writeFileSync(
      path.join(broken, 'datapunk-plugin.json'),
      JSON.stringify({ ...manifest, id: 'framework-acme-broken', apiVersion: '^2.0.0' }),
    );
    const catalog = JSON.parse(fs.readFileSync(path.join(broken, 'catalog.json'), 'utf8'));
    catalog.controls[3].evidence = [];
    fs.writeFileSync(path.join(broken, 'catalog.json'), JSON.stringify(catalog));
  });

  afterAll(() => fs.rmSync(outside, { recursive: true, force: true }));

  it('passes the documented pure-data plugin copied outside the repository: exit 0, one line per check', async () => {
    const run = await cli(['plugin', 'check', './acme-policy'], outside);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toContain('framework-acme-pure-data');
    expect(lines.slice(1, -1).map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '))).toEqual(CHECKS.map((c) => `PASS ${c}`));
    expect(lines[lines.length - 1]).toBe('9 checks passed, 0 failed');
  });

  it('fails a broken plugin: exit 1, naming the plugin id, the checks and the codes', async () => {
    const run = await cli(['plugin', 'check', broken], outside);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Plugin contract of framework-acme-broken');
    expect(run.stdout).toMatch(/FAIL {2}manifest/);
    expect(run.stdout).toContain('error: PLUGIN_API_UNSUPPORTED at apiVersion: needs plugin API ^2.0.0; this server provides 1.8.0');
    expect(run.stdout).toMatch(
      /PASS {2}evidence[^\n]*\n {8}warning: at catalog\.controls\[3\]\.evidence: control "TS-1" has no evidence rule/,
    );
    expect(run.stdout.trim().split('\n').pop()).toBe('8 checks passed, 1 failed');
  });

  it('prints the report as JSON with --json', async () => {
    const ok = await cli(['plugin', 'check', './acme-policy', '--json'], outside);
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout);
    expect(report).toMatchObject({ pluginId: 'framework-acme-pure-data', kind: 'framework', version: '1.0.0', passed: true });
    expect(report.checks.map((c: { id: string; status: string }) => `${c.id} ${c.status}`)).toEqual(CHECKS.map((c) => `${c} passed`));

    const bad = await cli(['plugin', 'check', '--json', broken], outside);
    expect(bad.code).toBe(1);
    const failed = JSON.parse(bad.stdout);
    expect(failed).toMatchObject({ pluginId: 'framework-acme-broken', passed: false });
    expect(failed.checks.find((c: { id: string }) => c.id === 'manifest').problems).toEqual([
      expect.objectContaining({ level: 'error', code: 'PLUGIN_API_UNSUPPORTED', path: 'apiVersion' }),
    ]);
  });

  it('reports an entry that is not there with the host code, and a bare folder name is a package name', async () => {
    const run = await cli(['plugin', 'check', 'acme-policy'], outside);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('error: PLUGIN_NOT_FOUND');
    expect(run.stdout).toContain('a path must start with ./, ../ or /');
  });

  it('checks the documented code plugin, with options from DATAPUNK_PLUGIN_OPTIONS', async () => {
    const ok = await cli(['plugin', 'check', './framework-acme-code'], outside);
    expect(ok.code).toBe(0);
    const bad = await cli(['plugin', 'check', './framework-acme-code'], outside, {
      DATAPUNK_PLUGIN_OPTIONS: JSON.stringify({ 'framework-acme-code': { owner: 'not an address' } }),
    });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('error: PLUGIN_OPTIONS_INVALID at owner:');
    expect(bad.stdout).toMatch(/SKIP {2}lifecycle/);
  });

  it.each([
    ['framework-acme-pure-data', CHECKS.map((c) => `${c} passed`)],
    ['framework-acme-code', CHECKS.map((c) => `${c} passed`)],
    ['format-acme-grc', FORMAT_CHECKS.map((c) => `${c} ${FRAMEWORK_ONLY.has(c) ? 'skipped' : 'passed'}`)],
  ])('passes the documented example %s, importing the plugin API by its entry point, without a single problem', async (name, statuses) => {
    const entry = name === 'framework-acme-pure-data' ? './acme-policy' : `./${name}`;
    const run = await cli(['plugin', 'check', entry, '--json'], outside);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.pluginId).toBe(name);
    expect(report.checks.map((c: { id: string; status: string }) => `${c.id} ${c.status}`)).toEqual(statuses);
    expect(report.checks.flatMap((c: { problems: unknown[] }) => c.problems)).toEqual([]);
  });

  it.each(['datapunk-audit/testing', 'datapunk-audit/contract'])(
    "runs from a third party's own code through the package export %s, against the server's built-ins",
    async (specifier) => {
      const project = path.join(outside, 'third-party');
      fs.mkdirSync(project, { recursive: true });
      fs.writeFileSync(
        path.join(project, 'check.js'),
        [
          "const path = require('node:path');",
          `const { checkPluginEntry } = require('${specifier}');`,
          "const entries = ['../acme-policy', '../framework-acme-code'].map((entry) => path.resolve(__dirname, entry));",
          'Promise.all(entries.map((entry) => checkPluginEntry(entry))).then((reports) => console.log(JSON.stringify(reports)));',
        ].join('\n'),
      );
      const run = await node(['check.js'], project);
      expect(run.stderr).toBe('');
      const [pure, code] = JSON.parse(run.stdout);
      expect(pure).toMatchObject({ pluginId: 'framework-acme-pure-data', passed: true });
      // dependsOn framework-soc2 is met, and the mappings into SOC 2 are checked: the built-ins are known.
      expect(code).toMatchObject({ pluginId: 'framework-acme-code', passed: true });
      expect(code.checks.flatMap((c: { problems: unknown[] }) => c.problems)).toEqual([]);
    },
  );

  it.each([
    [['plugin'], 'usage: datapunk-audit plugin check'],
    [['plugin', 'check'], 'usage: datapunk-audit plugin check'],
    [['plugin', 'verify', './acme-policy'], 'usage: datapunk-audit plugin check'],
    [['plugin', 'check', './acme-policy', './other'], 'usage: datapunk-audit plugin check'],
    [['plugin', 'check', './acme-policy', '--strict'], 'usage: datapunk-audit plugin check'],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const run = await cli(args, outside);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });

  it('exits 2 when DATAPUNK_PLUGIN_OPTIONS is not a JSON object', async () => {
    const run = await cli(['plugin', 'check', './acme-policy'], outside, { DATAPUNK_PLUGIN_OPTIONS: '[1]' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('DATAPUNK_PLUGIN_OPTIONS must be a JSON object');
  });
});
