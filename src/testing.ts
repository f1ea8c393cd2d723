import { BUILT_IN_PLUGINS } from '../plugins/registry';
import * as kit from './plugin-testing';

/**
 * The plugin test kit as the package exports it (`datapunk-audit/testing`; `datapunk-audit/contract`
 * is the same module under its first name): src/plugin-testing with this server's built-in plugins
 * filled in, so a plugin's own tests check exactly what `datapunk-audit plugin check` checks.
 * Composition, like app.ts and cli.ts: the kit itself does not know the built-ins.
 */

export {
  type ContractCheck,
  type ContractCheckId,
  type ContractLevel,
  type ContractProblem,
  type ContractReport,
  formatContractReport,
  SAMPLE_HOSTILE_STRINGS,
  sampleReportModel,
} from './plugin-testing';

/** What the checks take: the kit's options, with the server's built-in plugins unless `builtIns` is given. */
export type ContractOptions = Omit<kit.ContractOptions, 'builtIns'> & Partial<Pick<kit.ContractOptions, 'builtIns'>>;

const withBuiltIns = <T extends ContractOptions>(options: T) => ({ ...options, builtIns: options.builtIns ?? BUILT_IN_PLUGINS });

/**
 * Runs the contract against a plugin object (what a code plugin exports), as `plugin check` would.
 * Resolves to the report; never throws for a bad plugin.
 *
 * @example
 * ```ts
 * const report = await checkFrameworkPlugin(require('..'));
 * expect(report.checks.filter((c) => c.status === 'failed')).toEqual([]);
 * ```
 */
export function checkFrameworkPlugin(plugin: unknown, options: ContractOptions = {}): Promise<kit.ContractReport> {
  return kit.checkFrameworkPlugin(plugin, withBuiltIns(options));
}

/**
 * Loads a DATAPUNK_PLUGINS entry (a path starting with `.` or `/`, or an npm package name, resolved
 * from `cwd`) with the server's own loader, then runs the contract: what `datapunk-audit plugin
 * check <entry>` prints. Load problems carry the host's codes (PLUGIN_NOT_FOUND, PLUGIN_LOAD_FAILED,
 * PLUGIN_MANIFEST_INVALID).
 *
 * @example
 * ```ts
 * const report = await checkPluginEntry(path.resolve(__dirname, '..'));
 * if (!report.passed) console.error(formatContractReport(report));
 * ```
 */
export function checkPluginEntry(entry: string, options: ContractOptions & { cwd?: string } = {}): Promise<kit.ContractReport> {
  return kit.checkPluginEntry(entry, withBuiltIns(options));
}
