import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * A serving process never loads the plugin test kit (issue 10: the test kit leaves the host): the
 * CLI requires it for `plugin check` only. Read from the build `npm test` makes first, in a process
 * of its own, so jest's module registry plays no part.
 */
const DIST = path.resolve(__dirname, '../dist/src');

function kitModulesLoadedBy(entries: string[]): string[] {
  const script = `${entries.map((entry) => `require(${JSON.stringify(path.join(DIST, entry))});`).join('')}
    process.stdout.write(JSON.stringify(Object.keys(require.cache).filter((f) => /[\\\\/](plugin-testing[\\\\/]|testing\\.js$)/.test(f))));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
}

describe('modules a serving process loads', () => {
  it('the CLI and the app load no module of the plugin test kit', () => {
    expect(kitModulesLoadedBy(['cli.js', 'app.js'])).toEqual([]);
  });

  it('the check sees the kit when it is loaded', () => {
    expect(kitModulesLoadedBy(['testing.js']).length).toBeGreaterThan(1);
  });
});
