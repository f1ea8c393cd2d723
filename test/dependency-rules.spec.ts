import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The module rules of .dependency-cruiser.cjs (ADR 0031), as CI runs them (`npm run deps:check`):
 * the repository keeps them, and a tree that breaks each one is refused with that rule's name.
 */
const REPO_ROOT = path.resolve(__dirname, '..');
const CRUISER = path.join(REPO_ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const CONFIG = path.join(REPO_ROOT, '.dependency-cruiser.cjs');
const ROOTS = ['src', 'plugins', 'migrations'];

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
}

/** Runs dependency-cruiser with the repository's config in `cwd`: its output and exit code. */
async function run(cwd: string, extra: string[]): Promise<{ stdout: string; exitCode: number }> {
  const args = [CRUISER, '--config', CONFIG, ...extra, ...ROOTS];
  try {
    const { stdout } = await promisify(execFile)(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return { stdout, exitCode: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; code?: unknown };
    if (typeof failed.code !== 'number' || typeof failed.stdout !== 'string') throw error;
    return { stdout: failed.stdout, exitCode: failed.code };
  }
}

/** The violations as JSON, and the exit code of the command CI runs (`npm run deps:check`, the default reporter). */
async function cruise(cwd: string): Promise<{ violations: Violation[]; exitCode: number }> {
  const json = await run(cwd, ['--output-type', 'json']);
  const result = JSON.parse(json.stdout) as { summary: { violations: Violation[] } };
  const { exitCode } = await run(cwd, []);
  return { violations: result.summary.violations, exitCode };
}

/** One line a violation; a cycle is reported once, from whichever of its files comes first. */
const pairs = (violations: Violation[]) =>
  violations
    .map((v) =>
      v.rule.name === 'no-circular' ? `${v.rule.name}: ${[v.from, v.to].sort().join(' <-> ')}` : `${v.rule.name}: ${v.from} -> ${v.to}`,
    )
    .sort();

describe('module dependency rules', () => {
  it('hold for the repository', async () => {
    const { violations, exitCode } = await cruise(REPO_ROOT);
    expect(pairs(violations)).toEqual([]);
    expect(exitCode).toBe(0);
  });

  describe('on a tree that breaks each of them', () => {
    let dir: string;
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    };

    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-deps-'));
      // A folder loop without a file loop: audit (lower) reaches compliance (higher), which reads audit.
      write('src/audit/event-filter.ts', "import type { Rule } from '../compliance/rule';\nexport const filter = (r: Rule) => r;\n");
      write('src/audit/event.ts', 'export type Event = { action: string };\n');
      write('src/compliance/rule.ts', "import type { Event } from '../audit/event';\nexport type Rule = (e: Event) => boolean;\n");
      // A file loop inside one folder.
      write('src/chain/a.ts', "import { b } from './b';\nexport const a = () => b;\n");
      write('src/chain/b.ts', "import { a } from './a';\nexport const b = () => a;\n");
      write('src/chain/hashing.ts', 'export const GENESIS = "0";\n');
      write('src/errors/app-error.ts', 'export class AppError extends Error {}\n');
      // A module that reaches back into the composition root, and a folder no layer names.
      write('src/app.ts', "import { GENESIS } from './chain/hashing';\nexport const app = GENESIS;\n");
      write('src/errors/codes.ts', "import { app } from '../app';\nexport const code = app;\n");
      write('src/gadgets/gadget.ts', "import { AppError } from '../errors/app-error';\nexport const gadget = new AppError();\n");
      // Plugins: one through the contract (allowed), one into the host's internals and into another plugin.
      write('src/plugin-api/index.ts', 'export const PLUGIN_API_VERSION = "1.0.0";\n');
      write(
        'plugins/format-ok/index.ts',
        "import { PLUGIN_API_VERSION } from '../../src/plugin-api';\nexport default PLUGIN_API_VERSION;\n",
      );
      write(
        'plugins/format-bad/index.ts',
        "import { GENESIS } from '../../src/chain/hashing';\nimport ok from '../format-ok';\nexport default [GENESIS, ok];\n",
      );
      // Its spec may reach the host (specs check plugins against it).
      write('plugins/format-ok/index.spec.ts', "import { GENESIS } from '../../src/chain/hashing';\nexport const seen = GENESIS;\n");
      // A migration importing live code.
      write('migrations/sqlite/1-Backfill.ts', "import { GENESIS } from '../../src/chain/hashing';\nexport const backfill = GENESIS;\n");
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('reports every violation by its rule and fails', async () => {
      const { violations, exitCode } = await cruise(dir);
      expect(pairs(violations)).toEqual(
        [
          'layer-audit: src/audit/event-filter.ts -> src/compliance/rule.ts',
          'no-circular: src/chain/a.ts <-> src/chain/b.ts',
          'no-import-of-the-composition-root: src/errors/codes.ts -> src/app.ts',
          'folder-not-in-a-layer: src/gadgets/gadget.ts -> src/errors/app-error.ts',
          'plugins-only-through-the-contract: plugins/format-bad/index.ts -> src/chain/hashing.ts',
          'no-plugin-imports-another: plugins/format-bad/index.ts -> plugins/format-ok/index.ts',
          'migrations-import-no-live-code: migrations/sqlite/1-Backfill.ts -> src/chain/hashing.ts',
        ].sort(),
      );
      expect(violations.every((v) => v.rule.severity === 'error')).toBe(true);
      expect(exitCode).not.toBe(0);
    });
  });
});
