import { ErrorCode } from '../errors/error-code';
import { type FrameworkPlugin, type Plugin, PLUGIN_API_VERSION } from '../plugin-api';
import { formatPath } from '../plugin-host/manifest.schema';
import { loadEntry } from '../plugin-host/plugin-loader';
import { behaviourProblems } from './behaviour-check';
import {
  CHECK_ORDER,
  checked,
  checksOf,
  type ContractCheck,
  type ContractOptions,
  type ContractProblem,
  type ContractReport,
  error,
  fromHost,
  messageOf,
  SILENT,
  skipped,
} from './contract-report';
import { categoryProblems, dependencyProblems, evidenceProblems, manifestProblems, mappingProblems } from './manifest-checks';
import { renderProblems } from './render-check';
import { scopeWarnings } from './scope-checks';

/**
 * The plugin contract: the checks every framework and format plugin passes, built-ins included, run
 * against one plugin object or one DATAPUNK_PLUGINS entry. The caller names the server's built-in
 * plugins (`builtIns`); `datapunk-audit/testing` and `datapunk-audit plugin check` pass this
 * server's, so a third party's tests check what the command checks.
 */

/**
 * Runs the contract against a plugin object (what a code plugin exports). Resolves to the report;
 * never throws for a bad plugin.
 *
 * @example
 * ```ts
 * const report = await checkFrameworkPlugin(require('./index.js'), { builtIns: BUILT_IN_PLUGINS });
 * expect(report.checks.filter((c) => c.status === 'failed')).toEqual([]);
 * ```
 */
export async function checkFrameworkPlugin(plugin: unknown, options: ContractOptions): Promise<ContractReport> {
  return run(plugin, [], options, '(plugin without an id)');
}

/**
 * Loads a DATAPUNK_PLUGINS entry (a path starting with `.` or `/`, or an npm package name, resolved
 * from `cwd`) with the host's own loader, then runs the contract. Load problems carry the host's
 * codes (PLUGIN_NOT_FOUND, PLUGIN_LOAD_FAILED, PLUGIN_MANIFEST_INVALID).
 *
 * @example
 * ```ts
 * const report = await checkPluginEntry('./my-framework', { builtIns: BUILT_IN_PLUGINS, cwd: __dirname });
 * ```
 */
export async function checkPluginEntry(entry: string, options: ContractOptions & { cwd?: string }): Promise<ContractReport> {
  const loaded = loadEntry(entry, options.cwd ?? process.cwd());
  if ('candidate' in loaded) return run(loaded.candidate.value, [checked('load', [])], options, loaded.candidate.label);

  const invalid = loaded.problems.filter((p) => p.code === ErrorCode.PLUGIN_MANIFEST_INVALID);
  const load = checked('load', loaded.problems.filter((p) => !invalid.includes(p)).map(fromHost));
  const checks = load.status === 'failed' ? [load] : [load, checked('manifest', invalid.map(fromHost))];
  const because = load.status === 'failed' ? 'the plugin did not load' : 'the manifest or catalog is invalid';
  return {
    pluginId: loaded.problems[0]?.pluginId ?? entry,
    kind: null,
    version: null,
    pluginApiVersion: PLUGIN_API_VERSION,
    passed: false,
    checks: [
      ...checks,
      ...checksOf(null)
        .filter((id) => !checks.some((c) => c.id === id) && id !== 'load')
        .map((id) => skipped(id, because)),
    ],
  };
}

async function run(value: unknown, before: ContractCheck[], options: ContractOptions, label: string): Promise<ContractReport> {
  const checks = [...before];
  const fields = (value ?? {}) as { id?: unknown; kind?: unknown; version?: unknown };
  const text = (v: unknown) => (typeof v === 'string' && v ? v : null);
  const manifest = checked('manifest', manifestProblems(value, options.builtIns));
  checks.push(manifest);
  const rest = checksOf(fields.kind).slice(CHECK_ORDER.indexOf('manifest') + 1);

  if (manifest.problems.some((p) => p.code === ErrorCode.PLUGIN_MANIFEST_INVALID)) {
    checks.push(...rest.map((id) => skipped(id, 'the manifest or catalog is invalid')));
  } else {
    const plugin = value as Plugin;
    const known = [
      ...options.builtIns.filter((p) => p.kind === 'framework'),
      ...(options.knownFrameworks ?? []),
    ] as FrameworkPlugin<unknown>[];
    const parsed = parseOptions(plugin, options.pluginOptions?.[plugin.id]);
    checks.push(checked('options', parsed.problems));
    checks.push(checked('dependencies', dependencyProblems(plugin, known)));
    if (plugin.kind === 'framework') {
      checks.push(checked('evidence', [...evidenceProblems(plugin), ...scopeWarnings(plugin)]));
      checks.push(checked('categories', categoryProblems(plugin, known)));
      checks.push(checked('mappings', mappingProblems(plugin, known)));
      checks.push(checked('behaviour', await behaviourProblems(plugin)));
    } else {
      const because = 'a format plugin: these checks are for framework plugins';
      checks.push(...(['evidence', 'categories', 'mappings', 'behaviour'] as const).map((id) => skipped(id, because)));
    }
    checks.push(...(await startedChecks(plugin, parsed)));
  }
  return {
    pluginId: text(fields.id) ?? label,
    kind: text(fields.kind),
    version: text(fields.version),
    pluginApiVersion: PLUGIN_API_VERSION,
    passed: checks.every((c) => c.status !== 'failed'),
    checks,
  };
}

/** The plugin's options as the host validates them, and what start() would receive. */
function parseOptions(plugin: Plugin, given: unknown): { problems: ContractProblem[]; options: unknown } {
  const invalid = (path: string, message: string) => error(path, message, ErrorCode.PLUGIN_OPTIONS_INVALID);
  if (!plugin.options) {
    const some = given !== undefined && given !== null && Object.keys(given).length > 0;
    return { problems: some ? [invalid('', 'the plugin takes no options')] : [], options: {} };
  }
  const none = given === undefined ? ' (no options were given: the server needs an entry in DATAPUNK_PLUGIN_OPTIONS)' : '';
  try {
    const result = plugin.options.safeParse(given ?? {});
    if (result.success) return { problems: [], options: result.data };
    return { problems: result.error.issues.map((i) => invalid(formatPath(i.path), `${i.message}${none}`)), options: undefined };
  } catch (e) {
    return { problems: [invalid('', `the options schema threw: ${messageOf(e)}`)], options: undefined };
  }
}

/** Render (a format plugin) and lifecycle: the server renders only with a started plugin, so render runs between start() and stop(). */
async function startedChecks(plugin: Plugin, parsed: { problems: ContractProblem[]; options: unknown }): Promise<ContractCheck[]> {
  if (parsed.problems.some((p) => p.level === 'error')) {
    const because = 'the options are invalid, so the server would not start the plugin';
    return (plugin.kind === 'format' ? (['render', 'lifecycle'] as const) : (['lifecycle'] as const)).map((id) => skipped(id, because));
  }
  if (plugin.kind !== 'format') return [checked('lifecycle', await lifecycleProblems(plugin, parsed.options, async () => {}))];
  let render = skipped('render', 'start() threw, so the server would not render with the plugin');
  const lifecycle = await lifecycleProblems(plugin, parsed.options, async () => {
    render = checked('render', await renderProblems(plugin, parsed.options));
  });
  return [render, checked('lifecycle', lifecycle)];
}

async function lifecycleProblems(plugin: Plugin, options: unknown, whileStarted: () => Promise<void>): Promise<ContractProblem[]> {
  try {
    await plugin.start?.({ options: options as never, logger: SILENT });
  } catch (e) {
    return [error('start', `start() threw: ${messageOf(e)}`, ErrorCode.PLUGIN_LOAD_FAILED)];
  }
  await whileStarted();
  try {
    await plugin.stop?.();
  } catch (e) {
    return [{ level: 'warning', path: 'stop', message: `stop() threw: ${messageOf(e)}; the server logs it and stops the other plugins` }];
  }
  return [];
}
