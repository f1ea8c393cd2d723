import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/test-environment';

const CLI = path.join(REPO_ROOT, 'dist/src/cli.js');
const EXAMPLES = path.join(REPO_ROOT, 'docs/examples');
const CHECKS = ['load', 'manifest', 'options', 'dependencies', 'evidence', 'categories', 'mappings', 'behaviour', 'lifecycle'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node …args` in `cwd`; the CLI runs as a third party runs it: in its own folder, outside the repository. */
function node(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, LOG_LEVEL: 'silent', DATAPUNK_PLUGIN_OPTIONS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `datapunk-audit …` from dist/. */
const cli = (args: string[], cwd: string, env: Record<string, string> = {}) => node([CLI, ...args], cwd, env);

describe('datapunk-audit plugin check', () => {
  let outside: string;
  let good: string;
  let broken: string;

  beforeAll(() => {
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-plugin-check-'));
    good = path.join(outside, 'acme-policy');
    fs.cpSync(path.join(EXAMPLES, 'framework-acme-pure-data'), good, { recursive: true });
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
    expect(run.stdout).toContain('error: PLUGIN_API_UNSUPPORTED at apiVersion: needs plugin API ^2.0.0; this server provides 1.2.0');
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
    const ok = await cli(['plugin', 'check', './docs/examples/framework-acme-code'], REPO_ROOT);
    expect(ok.code).toBe(0);
    const bad = await cli(['plugin', 'check', './docs/examples/framework-acme-code'], REPO_ROOT, {
      DATAPUNK_PLUGIN_OPTIONS: JSON.stringify({ 'framework-acme-code': { owner: 'not an address' } }),
    });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('error: PLUGIN_OPTIONS_INVALID at owner:');
    expect(bad.stdout).toMatch(/SKIP {2}lifecycle/);
  });

  it("runs from a third party's own code through the package export datapunk-audit/contract", async () => {
    const project = path.join(outside, 'third-party');
    fs.mkdirSync(path.join(project, 'node_modules'), { recursive: true });
    fs.symlinkSync(REPO_ROOT, path.join(project, 'node_modules/datapunk-audit'), 'dir');
    fs.writeFileSync(
      path.join(project, 'check.js'),
      [
        "const path = require('node:path');",
        "const { checkPluginEntry } = require('datapunk-audit/contract');",
        "checkPluginEntry(path.resolve(__dirname, '../acme-policy')).then((report) => console.log(JSON.stringify(report)));",
      ].join('\n'),
    );
    const run = await node(['check.js'], project);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ pluginId: 'framework-acme-pure-data', passed: true });
  });

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
