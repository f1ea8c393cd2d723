import fs from 'node:fs';
import path from 'node:path';
import { ErrorCode } from '../errors/error-code';
import { PLUGIN_API_VERSION, type Plugin, type PluginLogger } from '../plugin-api';
import type { Logger } from '../observability/logger';
import { acceptsApiVersion } from './api-range';
import { formatPath, pluginProblems } from './manifest.schema';
import { orderByDependencies } from './order';
import { type Candidate, loadEntry } from './plugin-loader';
import { PluginLoadError, type PluginProblem } from './plugin-load-error';
import { type LoadedPlugin, PluginRegistry, stopAll } from './plugin-registry';

export interface LoadPluginsOptions {
  /** The built-in list (plugins/registry.ts). */
  builtIns: readonly Plugin[];
  /** DATAPUNK_PLUGINS entries: npm package names or paths. */
  entries: readonly string[];
  /** DATAPUNK_PLUGIN_OPTIONS: options keyed by plugin id. */
  options: Readonly<Record<string, unknown>>;
  /** Relative paths and package names resolve from here. */
  cwd: string;
  /** The installation's `templates/` folder, whose files plugins may read at start (`readTemplateFile`). */
  templatesDir?: string;
  logger: Logger;
}

/** A logger whose lines carry the plugin id (what `start` and `render` receive). */
export const pluginLogger = (logger: Logger, id: string): PluginLogger => {
  const child = logger.child({ plugin: id });
  return {
    debug: (message, data) => child.debug(data ?? {}, message),
    info: (message, data) => child.info(data ?? {}, message),
    warn: (message, data) => child.warn(data ?? {}, message),
    error: (message, data) => child.error(data ?? {}, message),
  };
};

/**
 * What `start` gets as `readTemplateFile`: a file of `dir` by plain name (no folder, no `..`), or
 * `undefined` when there is no such file.
 */
export function templateFileReader(dir: string): (fileName: string) => string | undefined {
  return (fileName) => {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(fileName)) {
      throw new Error(`readTemplateFile takes a plain file name inside templates/, not "${fileName}"`);
    }
    try {
      return fs.readFileSync(path.join(dir, fileName), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
}

const origin = (c: Candidate) => (c.source === 'BUILT_IN' ? 'built-in' : `${c.label} (${c.location})`);

/** Validation, API range, duplicates, options, dependencies and order: every problem, nothing started. */
function check(
  candidates: readonly Candidate[],
  optionsById: Readonly<Record<string, unknown>>,
): { problems: PluginProblem[]; ready: LoadedPlugin[] } {
  const problems: PluginProblem[] = [];
  const valid: (LoadedPlugin & { candidate: Candidate })[] = [];

  for (const candidate of candidates) {
    const value = candidate.value as Partial<Plugin> | null;
    const id = typeof value?.id === 'string' && value.id ? value.id : candidate.label;
    const invalid = pluginProblems(value);
    if (invalid.length) {
      for (const p of invalid) problems.push({ pluginId: id, code: ErrorCode.PLUGIN_MANIFEST_INVALID, ...p });
      continue;
    }
    const plugin = value as Plugin;
    if (!acceptsApiVersion(plugin.apiVersion)) {
      problems.push({
        pluginId: id,
        code: ErrorCode.PLUGIN_API_UNSUPPORTED,
        path: 'apiVersion',
        message: `needs plugin API ${plugin.apiVersion}; this server provides ${PLUGIN_API_VERSION}`,
      });
      continue;
    }
    valid.push({ plugin, source: candidate.source, location: candidate.location, options: undefined, candidate });
  }

  const unique: typeof valid = [];
  const byId = new Map<string, Candidate>();
  const byFramework = new Map<string, string>();
  for (const entry of valid) {
    const { plugin, candidate } = entry;
    const first = byId.get(plugin.id);
    if (first) {
      problems.push({
        pluginId: plugin.id,
        code: ErrorCode.PLUGIN_DUPLICATE_ID,
        path: 'id',
        message: `${origin(candidate)} uses the id of ${origin(first)}`,
      });
      continue;
    }
    byId.set(plugin.id, candidate);
    if (plugin.kind === 'framework') {
      const owner = byFramework.get(plugin.catalog.framework.id);
      if (owner) {
        problems.push({
          pluginId: plugin.id,
          code: ErrorCode.PLUGIN_DUPLICATE_ID,
          path: 'catalog.framework.id',
          message: `framework "${plugin.catalog.framework.id}" is already provided by plugin ${owner}`,
        });
        continue;
      }
      byFramework.set(plugin.catalog.framework.id, plugin.id);
    }
    unique.push(entry);
  }

  const knownIds = new Set(candidates.map((c) => (c.value as { id?: unknown } | null)?.id).filter((id) => typeof id === 'string'));
  for (const key of Object.keys(optionsById)) {
    if (!byId.has(key) && !knownIds.has(key)) {
      problems.push({
        pluginId: key,
        code: ErrorCode.PLUGIN_OPTIONS_INVALID,
        message: 'DATAPUNK_PLUGIN_OPTIONS has options for a plugin id that is not enabled',
      });
    }
  }
  for (const entry of unique) {
    const { plugin } = entry;
    const given = optionsById[plugin.id];
    if (!plugin.options) {
      if (given !== undefined && Object.keys(given as object).length) {
        problems.push({ pluginId: plugin.id, code: ErrorCode.PLUGIN_OPTIONS_INVALID, message: 'the plugin takes no options' });
      }
      entry.options = {};
      continue;
    }
    try {
      const result = plugin.options.safeParse(given ?? {});
      if (result.success) entry.options = result.data;
      else
        for (const issue of result.error.issues) {
          problems.push({
            pluginId: plugin.id,
            code: ErrorCode.PLUGIN_OPTIONS_INVALID,
            path: formatPath(issue.path),
            message: issue.message,
          });
        }
    } catch (error) {
      problems.push({
        pluginId: plugin.id,
        code: ErrorCode.PLUGIN_OPTIONS_INVALID,
        message: `the options schema threw: ${(error as Error).message}`,
      });
    }
  }

  for (const { plugin } of unique) {
    (plugin.dependsOn ?? []).forEach((dep, i) => {
      if (!byId.has(dep)) {
        problems.push({
          pluginId: plugin.id,
          code: ErrorCode.PLUGIN_DEPENDENCY_MISSING,
          path: `dependsOn[${i}]`,
          message: `depends on "${dep}", which is not enabled or failed to load`,
        });
      }
    });
  }
  const { order, cycles } = orderByDependencies(unique.map(({ plugin }) => ({ id: plugin.id, dependsOn: plugin.dependsOn ?? [] })));
  for (const cycle of cycles) {
    for (const id of cycle) {
      problems.push({
        pluginId: id,
        code: ErrorCode.PLUGIN_DEPENDENCY_CYCLE,
        path: 'dependsOn',
        message: `dependency cycle: ${[...cycle, cycle[0]].join(' → ')}`,
      });
    }
  }

  const loaded = new Map(unique.map(({ candidate: _candidate, ...rest }) => [rest.plugin.id, rest]));
  return { problems, ready: order.map((id) => loaded.get(id)!) };
}

/**
 * Discovers (built-ins, then DATAPUNK_PLUGINS in order), validates, orders and starts every plugin.
 * Any problem anywhere: nothing starts, and one PluginLoadError lists them all. A start() that
 * throws stops the plugins already started, then fails the same way.
 */
export async function loadPlugins(options: LoadPluginsOptions): Promise<PluginRegistry> {
  const problems: PluginProblem[] = [];
  const candidates: Candidate[] = options.builtIns.map((value, i) => ({
    label: typeof value?.id === 'string' ? value.id : `built-in #${i}`,
    source: 'BUILT_IN',
    location: null,
    value,
  }));
  for (const entry of options.entries) {
    const result = loadEntry(entry, options.cwd);
    if ('problems' in result) problems.push(...result.problems);
    else candidates.push(result.candidate);
  }
  const checked = check(candidates, options.options);
  problems.push(...checked.problems);
  if (problems.length) throw new PluginLoadError(problems);

  const readTemplateFile = options.templatesDir === undefined ? undefined : templateFileReader(options.templatesDir);
  const started: LoadedPlugin[] = [];
  for (const entry of checked.ready) {
    try {
      await entry.plugin.start?.({
        options: entry.options as never,
        logger: pluginLogger(options.logger, entry.plugin.id),
        ...(readTemplateFile ? { readTemplateFile } : {}),
      });
    } catch (error) {
      await stopAll(started, options.logger);
      throw new PluginLoadError([
        {
          pluginId: entry.plugin.id,
          code: ErrorCode.PLUGIN_LOAD_FAILED,
          message: `start() threw: ${(error as Error)?.message ?? String(error)}`,
        },
      ]);
    }
    started.push(entry);
  }
  options.logger.info({ plugins: started.map((p) => `${p.plugin.id}@${p.plugin.version}`) }, 'plugins started');
  return new PluginRegistry(started, options.logger);
}
