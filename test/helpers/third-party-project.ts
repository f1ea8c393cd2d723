import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './test-environment';

export const CLI = path.join(REPO_ROOT, 'dist/src/cli.js');
export const EXAMPLES = path.join(REPO_ROOT, 'docs/examples');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node …args` in `cwd`, as a third party runs it: in its own folder, outside the repository. */
export function node(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
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

/** `datapunk-audit …` from dist/, in `cwd`. */
export const cli = (args: string[], cwd: string, env: Record<string, string> = {}) => node([CLI, ...args], cwd, env);

/**
 * A folder under os.tmpdir(), outside this repository, laid out as a third party's project is after
 * `npm install <this checkout>`: `node_modules/datapunk-audit` is a symlink to the repository root,
 * so the package's `exports` decide what the project can import. `dependencies` (such as `zod`) are
 * linked from this repository's node_modules, as npm installs a plugin's own dependencies.
 */
export function thirdPartyProject(prefix: string, dependencies: string[] = []): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(REPO_ROOT, path.join(dir, 'node_modules/datapunk-audit'), 'dir');
  for (const name of dependencies) {
    const link = path.join(dir, 'node_modules', name);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', name), link, 'dir');
  }
  return dir;
}

/** Copies docs/examples/<name> into `project` (as `as`, else its own name); returns the copy's path. */
export function copyExample(project: string, name: string, as = name): string {
  const target = path.join(project, as);
  fs.cpSync(path.join(EXAMPLES, name), target, { recursive: true });
  return target;
}
