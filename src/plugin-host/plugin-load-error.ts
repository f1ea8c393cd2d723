import { ErrorCode } from '../errors/error-code';

export type PluginErrorCode =
  | ErrorCode.PLUGIN_NOT_FOUND
  | ErrorCode.PLUGIN_LOAD_FAILED
  | ErrorCode.PLUGIN_MANIFEST_INVALID
  | ErrorCode.PLUGIN_DUPLICATE_ID
  | ErrorCode.PLUGIN_API_UNSUPPORTED
  | ErrorCode.PLUGIN_DEPENDENCY_MISSING
  | ErrorCode.PLUGIN_DEPENDENCY_CYCLE
  | ErrorCode.PLUGIN_OPTIONS_INVALID;

/** One thing wrong with one plugin. */
export interface PluginProblem {
  /** The plugin's id, or the DATAPUNK_PLUGINS entry when the id is not known (not found, unreadable). */
  pluginId: string;
  code: PluginErrorCode;
  message: string;
  /** The bad field: in the manifest (`catalog.controls[2].id`), or in the plugin's options. */
  path?: string;
}

/** What to do about each code; the start-up message repeats it once per code that occurred. */
const FIXES: Record<PluginErrorCode, string> = {
  [ErrorCode.PLUGIN_NOT_FOUND]:
    'check the DATAPUNK_PLUGINS entry: an installed npm package name, or a path (relative to the working directory) to a plugin folder or module',
  [ErrorCode.PLUGIN_LOAD_FAILED]:
    'the plugin threw while loading or in start(); fix or update the plugin, or remove it from DATAPUNK_PLUGINS',
  [ErrorCode.PLUGIN_MANIFEST_INVALID]: 'fix the named field of the plugin (catalog.* fields are in the catalog file of a pure-data plugin)',
  [ErrorCode.PLUGIN_DUPLICATE_ID]: 'enable only one plugin per id (and per framework id); remove one from DATAPUNK_PLUGINS or rename it',
  [ErrorCode.PLUGIN_API_UNSUPPORTED]:
    "install a plugin version written for this server's plugin API, or a server version within the plugin's apiVersion range",
  [ErrorCode.PLUGIN_DEPENDENCY_MISSING]: 'add the named plugin to DATAPUNK_PLUGINS (or fix its own problem listed here)',
  [ErrorCode.PLUGIN_DEPENDENCY_CYCLE]: 'break the cycle in dependsOn',
  [ErrorCode.PLUGIN_OPTIONS_INVALID]: "fix the plugin's entry in DATAPUNK_PLUGIN_OPTIONS (a JSON object keyed by plugin id)",
};

/**
 * The one start-up error of the plugin host: every problem of every plugin, each with a code.
 * Thrown before any plugin starts, or after stopping those started when a start() fails.
 */
export class PluginLoadError extends Error {
  constructor(readonly problems: PluginProblem[]) {
    const lines = problems.map((p) => `  - ${p.pluginId}: ${p.code}${p.path ? ` at ${p.path}` : ''}: ${p.message}`);
    const codes = [...new Set(problems.map((p) => p.code))];
    super(
      `Plugins cannot be loaded (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}\n` +
        `What to do (docs/errors.md):\n${codes.map((c) => `  - ${c}: ${FIXES[c]}`).join('\n')}`,
    );
    this.name = 'PluginLoadError';
  }
}
