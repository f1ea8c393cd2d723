import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/test-environment';
import { cli, copyExample, EXAMPLES, node, thirdPartyProject } from '../helpers/third-party-project';

const TSC = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');

/** A format plugin as a third party writes it: only the package's entry points, never a path into the repository. */
const PLUGIN = `const { brandColor, defineFormatPlugin, neutraliseControls, tablePages } = require('datapunk-audit/plugin-api');

const text = (value) => neutraliseControls(String(value ?? ''));

module.exports = defineFormatPlugin({
  id: 'format-acme-text',
  kind: 'format',
  version: '1.0.0',
  apiVersion: '^1.2.0',
  mimeType: 'text/plain',
  fileExtension: 'txt',
  streamsTables: true,
  async render(model) {
    const stamp = model.integrity;
    const lines = [text(model.title), \`chain head \${stamp.headSequence} \${stamp.headChainHash}\`];
    const colour = brandColor(model.branding?.primaryColor);
    if (colour) lines.push(\`colour \${colour}\`);
    for (const section of model.sections) {
      lines.push('', \`# \${text(section.title)}\`);
      for (const block of section.blocks) {
        if (block.type === 'heading' || block.type === 'paragraph') lines.push(text(block.text));
        if (block.type === 'table') for await (const page of tablePages(block)) for (const row of page) lines.push(row.map(text).join(' | '));
      }
    }
    return lines.join('\\n') + '\\n';
  },
});
`;

/** Its own test, on the test kit's entry point: what \`npm test\` runs in the plugin's repository. */
const PLUGIN_TEST = `const assert = require('node:assert/strict');
const path = require('node:path');
const test = require('node:test');
const { checkPluginEntry, formatContractReport } = require('datapunk-audit/testing');

test('passes the DataPunk Audit plugin contract', async () => {
  const report = await checkPluginEntry(path.resolve(__dirname, '..'));
  assert.equal(report.passed, true, formatContractReport(report));
});
`;

/** The same plugin in TypeScript, compiled against the entries' declarations. */
const TS_PLUGIN = `import { defineFormatPlugin, type ReportModel, tablePages, type TableCell } from 'datapunk-audit/plugin-api';
import { checkFrameworkPlugin, type ContractReport, sampleReportModel } from 'datapunk-audit/testing';

export const plugin = defineFormatPlugin({
  id: 'format-acme-ts',
  kind: 'format',
  version: '1.0.0',
  apiVersion: '^1.2.0',
  mimeType: 'text/plain',
  fileExtension: 'txt',
  streamsTables: true,
  async render(model: ReportModel) {
    const rows: TableCell[][] = [];
    for (const section of model.sections)
      for (const block of section.blocks) if (block.type === 'table') for await (const page of tablePages(block)) rows.push(...page);
    return \`\${model.title}: \${rows.length} rows\`;
  },
});

export const report: Promise<ContractReport> = checkFrameworkPlugin(plugin, { pluginOptions: {} });
export const title: string = sampleReportModel().title;

// @ts-expect-error render returns the file: a Buffer, a Uint8Array or a string
defineFormatPlugin({ id: 'format-bad', kind: 'format', version: '1.0.0', apiVersion: '^1.2.0', mimeType: 'text/plain', fileExtension: 'txt', render: () => 42 });

// @ts-expect-error the host's internals are not exported
import type { LoadPluginsOptions } from 'datapunk-audit/dist/src/plugin-host/plugin-host';
export type Unreachable = LoadPluginsOptions;
`;

function writePlugin(dir: string, source: string) {
  fs.mkdirSync(path.join(dir, 'test'), { recursive: true });
  const pkg = {
    name: `@acme/datapunk-${path.basename(dir)}`,
    version: '1.0.0',
    main: 'index.js',
    scripts: { test: 'node --test test/' },
    peerDependencies: { 'datapunk-audit': '>=0.1.0' },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  fs.writeFileSync(path.join(dir, 'index.js'), source);
  fs.writeFileSync(path.join(dir, 'test/contract.test.js'), PLUGIN_TEST);
}

describe('a third-party plugin outside the repository, on the package entry points datapunk-audit/plugin-api and /testing', () => {
  let project: string;
  let good: string;
  let broken: string;

  beforeAll(() => {
    project = thirdPartyProject('dpa-third-party-', ['@types/node']);
    good = path.join(project, 'format-acme-text');
    writePlugin(good, PLUGIN);
    // The same plugin, but it forgot neutraliseControls(): the model's control characters reach the file raw.
    broken = path.join(project, 'format-acme-text-broken');
    writePlugin(broken, PLUGIN.replace("neutraliseControls(String(value ?? ''))", "String(value ?? '')"));
  });

  afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

  it('passes datapunk-audit plugin check', async () => {
    const run = await cli(['plugin', 'check', './format-acme-text', '--json'], project);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ pluginId: 'format-acme-text', kind: 'format', passed: true });
    expect(report.checks.find((c: { id: string }) => c.id === 'render')).toMatchObject({ status: 'passed', problems: [] });
  });

  it('fails plugin check when it leaves control characters raw, naming the render check and the characters', async () => {
    const run = await cli(['plugin', 'check', './format-acme-text-broken'], project);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL {2}render/);
    expect(run.stdout).toMatch(/error: at render: the file carries \d+ control or bidirectional characters of the model raw \(U\+202E/);
    expect(run.stdout.trim().split('\n').pop()).toBe('5 checks passed, 1 failed, 4 skipped');
  });

  it('passes, and fails, its own tests that run the test kit from datapunk-audit/testing', async () => {
    const passing = await node(['--test', 'test/'], good);
    expect(passing.code).toBe(0);
    expect(passing.stdout).toMatch(/^# pass 1$/m);
    const failing = await node(['--test', 'test/'], broken);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/^# fail 1$/m);
    expect(failing.stdout).toContain('FAIL  render');
  });

  it('cannot reach past the entry points: a deep import is refused with ERR_PACKAGE_PATH_NOT_EXPORTED', async () => {
    const specifiers = [
      'datapunk-audit/dist/src/plugin-host/plugin-host',
      'datapunk-audit/dist/src/plugin-api/index.js',
      'datapunk-audit/src/plugin-api',
      'datapunk-audit/plugin-api',
      'datapunk-audit/testing',
      'datapunk-audit/contract',
      'datapunk-audit/package.json',
    ];
    const script = `for (const s of ${JSON.stringify(specifiers)}) { try { require(s); console.log(s, 'loads'); } catch (e) { console.log(s, e.code); } }`;
    const run = await node(['-e', script], project);
    expect(run.stdout.trim().split('\n')).toEqual([
      'datapunk-audit/dist/src/plugin-host/plugin-host ERR_PACKAGE_PATH_NOT_EXPORTED',
      'datapunk-audit/dist/src/plugin-api/index.js ERR_PACKAGE_PATH_NOT_EXPORTED',
      'datapunk-audit/src/plugin-api ERR_PACKAGE_PATH_NOT_EXPORTED',
      'datapunk-audit/plugin-api loads',
      'datapunk-audit/testing loads',
      'datapunk-audit/contract loads',
      'datapunk-audit/package.json loads',
    ]);
  });

  it('type-checks as TypeScript against the declarations of the entry points (moduleResolution node16)', async () => {
    const dir = path.join(project, 'format-acme-ts');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'index.ts'), TS_PLUGIN);
    const compilerOptions = { module: 'node16', moduleResolution: 'node16', target: 'ES2022', strict: true, noEmit: true, types: ['node'] };
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['index.ts'] }));
    const run = await node([TSC, '-p', 'tsconfig.json'], dir);
    expect(run.stdout).toBe('');
    expect(run.code).toBe(0);
  });

  it("runs the documented format example's own tests (npm test) on the test kit's entry point", async () => {
    const example = copyExample(project, 'format-acme-grc');
    const run = await node(['--test', 'test/'], example);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^# pass 2$/m);
  });
});

describe('docs/plugins.md', () => {
  const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs/plugins.md'), 'utf8');
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
    'format-acme-grc/package.json',
    'format-acme-grc/test/render.test.js',
  ])('shows docs/examples/%s as it is', (file) => {
    const text = fs.readFileSync(path.join(EXAMPLES, file), 'utf8');
    const shown = file.endsWith('.json')
      ? blocks.some((b) => b.lang === 'json' && canonical(b.text) === canonical(text))
      : blocks.some((b) => b.text === text);
    expect(shown).toBe(true);
  });
});
