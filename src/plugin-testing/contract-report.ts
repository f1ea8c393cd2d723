import { type FrameworkPlugin, type Plugin, PLUGIN_API_VERSION, type PluginLogger } from '../plugin-api';
import type { PluginErrorCode, PluginProblem } from '../plugin-host/plugin-load-error';

/** How serious a problem is: an `error` fails its check, a `warning` or `info` does not. */
export type ContractLevel = 'error' | 'warning' | 'info';

/** One thing a check found. */
export interface ContractProblem {
  level: ContractLevel;
  /** The field concerned, as start-up errors name it (`version`, `catalog.controls[2].evidence[0]`); empty for the whole plugin. */
  path: string;
  message: string;
  /** The host's code when the server itself refuses the plugin for this reason. */
  code?: PluginErrorCode;
}

/** The checks, in the order they run. `load` only when the plugin is given as an entry, `render` only for a format plugin. */
export type ContractCheckId =
  'load' | 'manifest' | 'options' | 'dependencies' | 'evidence' | 'categories' | 'mappings' | 'behaviour' | 'render' | 'lifecycle';

export interface ContractCheck {
  id: ContractCheckId;
  /** What the check verifies, in one line. */
  title: string;
  /** `failed` when any problem is an error; `skipped` when an earlier check left nothing to check. */
  status: 'passed' | 'failed' | 'skipped';
  /** Why a skipped check did not run. */
  skippedBecause?: string;
  problems: ContractProblem[];
}

export interface ContractReport {
  /** The plugin's id, or the entry when the plugin did not load far enough to have one. */
  pluginId: string;
  kind: string | null;
  version: string | null;
  /** The plugin API of this server, which the plugin was checked against. */
  pluginApiVersion: string;
  /** No check failed. */
  passed: boolean;
  checks: ContractCheck[];
}

export interface ContractOptions {
  /**
   * The plugins the server has built in (its `plugins/registry.ts`): the checked plugin must not take
   * their ids or framework ids, may depend on them, and its mappings into their frameworks are
   * checked. `datapunk-audit/testing` and `datapunk-audit plugin check` pass the server's own.
   */
  builtIns: readonly Plugin[];
  /**
   * Other framework plugins to check against, besides the built-ins: mappings into their frameworks
   * must name controls they have, and the data categories they declare count as declared for a
   * plugin that `dependsOn` them.
   */
  knownFrameworks?: readonly FrameworkPlugin<unknown>[];
  /** Options as in DATAPUNK_PLUGIN_OPTIONS, keyed by plugin id; the plugin's entry is validated and passed to `start()`. */
  pluginOptions?: Readonly<Record<string, unknown>>;
}

const TITLES: Record<ContractCheckId, string> = {
  load: 'the entry resolves and loads as the server loads DATAPUNK_PLUGINS entries',
  manifest: `manifest and catalog pass the host's validation; apiVersion accepts plugin API ${PLUGIN_API_VERSION}`,
  options: 'the options schema accepts the given options (none: {})',
  dependencies: 'dependsOn names plugins that can be enabled',
  evidence: 'controls without evidence rules (only an attestation can show them) are pointed out',
  categories: 'every data category is built in or declared',
  mappings: 'mappings to known frameworks name controls that exist',
  behaviour: 'every rule and classification rule works on synthetic events in a real database',
  render:
    'render() turns a sample report into a non-empty file, the same bytes twice, with hostile strings inert and no control character raw',
  lifecycle: 'start() and stop() complete',
};

export const CHECK_ORDER = Object.keys(TITLES) as ContractCheckId[];

/** The checks a report lists, in order: `render` only for a format plugin. */
export const checksOf = (kind: unknown) => CHECK_ORDER.filter((id) => id !== 'render' || kind === 'format');

export const checked = (id: ContractCheckId, problems: ContractProblem[]): ContractCheck => ({
  id,
  title: TITLES[id],
  status: problems.some((p) => p.level === 'error') ? 'failed' : 'passed',
  problems,
});

export const skipped = (id: ContractCheckId, because: string): ContractCheck => ({
  id,
  title: TITLES[id],
  status: 'skipped',
  skippedBecause: because,
  problems: [],
});

export const error = (path: string, message: string, code?: PluginErrorCode): ContractProblem => ({
  level: 'error',
  path,
  message,
  ...(code ? { code } : {}),
});

export const fromHost = (p: PluginProblem): ContractProblem => error(p.path ?? '', p.message, p.code);

/** The contract reports problems itself; the plugin's own log lines would only be noise here. */
export const SILENT: PluginLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** The first line of what was thrown. */
export const messageOf = (e: unknown) => (e instanceof Error ? e.message.split('\n')[0] : String(e));

/**
 * The report as text: a line per check, its problems indented, then the totals.
 *
 * @example
 * ```ts
 * console.log(formatContractReport(await checkPluginEntry('./my-framework')));
 * ```
 */
export function formatContractReport(report: ContractReport): string {
  const mark = { passed: 'PASS', failed: 'FAIL', skipped: 'SKIP' } as const;
  const about = [report.version, report.kind].filter(Boolean).join(', ');
  const lines = [`Plugin contract of ${report.pluginId}${about ? ` (${about})` : ''} against plugin API ${report.pluginApiVersion}`];
  for (const check of report.checks) {
    lines.push(
      `  ${mark[check.status]}  ${check.id.padEnd(12)} ${check.skippedBecause ? `skipped: ${check.skippedBecause}` : check.title}`,
    );
    for (const p of check.problems) {
      lines.push(`        ${p.level}: ${p.code ? `${p.code} ` : ''}${p.path ? `at ${p.path}: ` : ''}${p.message}`);
    }
  }
  const count = (status: ContractCheck['status']) => report.checks.filter((c) => c.status === status).length;
  const passed = count('passed');
  lines.push(
    `${passed} check${passed === 1 ? '' : 's'} passed, ${count('failed')} failed${count('skipped') ? `, ${count('skipped')} skipped` : ''}`,
  );
  return lines.join('\n');
}
