import type { FrameworkCatalog } from './framework';
import type { ReportModel } from './report-model';

/**
 * What a plugin contributes. A new kind may be added in a minor API version.
 *
 * @example
 * ```ts
 * const kind: PluginKind = 'framework';
 * ```
 */
export type PluginKind = 'framework' | 'format';

/**
 * The file that marks a folder (or an npm package) as a pure-data plugin: the manifest fields of
 * {@link PluginManifest} plus `catalog`, the path of a {@link FrameworkCatalog} next to it, in JSON
 * (`.json`) or YAML (`.yaml`, `.yml`).
 *
 * @example
 * ```json
 * { "id": "framework-acme", "kind": "framework", "version": "1.0.0", "apiVersion": "^1.0.0", "catalog": "catalog.json" }
 * ```
 */
export const PURE_DATA_MANIFEST_FILE = 'datapunk-plugin.json';

/**
 * A schema that validates a plugin's options and fills in defaults. Any zod 3 schema fits
 * (`z.object({ … })`); the host only calls `safeParse`, so the plugin may bring its own zod copy.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * const options: OptionsSchema<{ windowHours: number }> = z.object({ windowHours: z.number().int().min(1).default(72) });
 * ```
 */
export interface OptionsSchema<Options> {
  safeParse(input: unknown): { success: true; data: Options } | { success: false; error: { issues: OptionsIssue[] } };
}

/**
 * One problem an options schema reports; `path` names the bad field.
 *
 * @example
 * ```ts
 * const issue: OptionsIssue = { path: ['windowHours'], message: 'Number must be greater than or equal to 1' };
 * ```
 */
export interface OptionsIssue {
  path: (string | number)[];
  message: string;
}

/**
 * A logger for a plugin; lines carry the plugin id.
 *
 * @example
 * ```ts
 * context.logger.info('catalog loaded', { controls: 61 });
 * ```
 */
export interface PluginLogger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

/**
 * What `start` receives: the validated options (defaults applied) and a logger.
 *
 * @example
 * ```ts
 * start({ options, logger }) { logger.info('started', { windowHours: options.windowHours }); }
 * ```
 */
export interface PluginStartContext<Options> {
  options: Options;
  logger: PluginLogger;
  /**
   * Reads a file the deployer keeps in the installation's `templates/` folder (a layout to restyle
   * a format, e.g. `report.html.ejs`), by plain file name: its UTF-8 text, or `undefined` when
   * there is none. Absent when no server stands behind the call (`plugin check`, tests): bring a
   * layout of your own and use it then.
   *
   * @example
   * ```ts
   * start({ readTemplateFile }) { layout = readTemplateFile?.('report.txt.ejs') ?? DEFAULT_LAYOUT; }
   * ```
   */
  readTemplateFile?: (fileName: string) => string | undefined;
}

/**
 * The fields every plugin has, whatever its kind.
 *
 * @example
 * ```ts
 * const manifest: PluginManifest = { id: 'framework-acme', kind: 'framework', version: '1.2.0', apiVersion: '^1.0.0', dependsOn: ['framework-soc2'] };
 * ```
 */
export interface PluginManifest<Options = Record<string, never>> {
  /** Kebab-case (`framework-acme`, `format-pdf`), unique among all loaded plugins. */
  id: string;
  kind: PluginKind;
  /** The plugin's own version, semver (`1.2.0`). */
  version: string;
  /**
   * The semver range of {@link PLUGIN_API_VERSION} the plugin was written for (`^1.0.0`). The host
   * refuses to load the plugin when its API version is outside the range. Any range npm's `semver`
   * accepts, read as `npm install` reads it (hyphen ranges such as `1.0.0 - 1.4.0` included; a
   * pre-release API version only for a range naming a pre-release of it); a blank range, or a blank
   * side of `||`, is refused.
   */
  apiVersion: string;
  /** Short display name. */
  name?: string;
  description?: string;
  /** Ids of plugins that must be loaded, and are started, before this one. */
  dependsOn?: string[];
  /** Validates the plugin's entry in `DATAPUNK_PLUGIN_OPTIONS` (an empty object when absent) and applies defaults. */
  options?: OptionsSchema<Options>;
  /**
   * Called once at server start, after every plugin was validated and after the plugins this one
   * depends on started. A throw stops the server start (and stops the plugins already started).
   */
  start?(context: PluginStartContext<Options>): void | Promise<void>;
  /** Called once when the server stops, in the reverse order of `start`. */
  stop?(): void | Promise<void>;
}

/**
 * A compliance framework plugin: the manifest plus the catalog.
 *
 * @example
 * ```ts
 * export default defineFrameworkPlugin({ id: 'framework-acme', kind: 'framework', version: '1.0.0', apiVersion: '^1.0.0', catalog });
 * ```
 */
export interface FrameworkPlugin<Options = Record<string, never>> extends PluginManifest<Options> {
  kind: 'framework';
  catalog: FrameworkCatalog;
}

/**
 * What `render` receives besides the model.
 *
 * @example
 * ```ts
 * render(model, { options, logger }) { logger.debug('rendering', { sections: model.sections.length }); … }
 * ```
 */
export interface RenderContext<Options> {
  options: Options;
  logger: PluginLogger;
}

/**
 * A report format plugin: turns a {@link ReportModel} into a file.
 *
 * @example
 * ```ts
 * export default defineFormatPlugin({
 *   id: 'format-markdown', kind: 'format', version: '1.0.0', apiVersion: '^1.0.0',
 *   mimeType: 'text/markdown', fileExtension: 'md',
 *   render: (model) => Buffer.from(`# ${model.title}\n`),
 * });
 * ```
 */
export interface FormatPlugin<Options = Record<string, never>> extends PluginManifest<Options> {
  kind: 'format';
  /** Content type of the rendered file, e.g. `application/vnd.openxmlformats-officedocument.wordprocessingml.document`. */
  mimeType: string;
  /** File name extension without the dot, e.g. `docx`. */
  fileExtension: string;
  /**
   * The plugin reads {@link TableBlock.rowPages} (plugin API 1.1, so `apiVersion: '^1.1.0'`): the
   * host then streams large tables to it a page at a time instead of holding all their rows in
   * memory. Rendering a table streamed or whole must give the same bytes; the contract suite checks.
   */
  streamsTables?: boolean;
  /** Renders the whole model. Must escape every string of the model for its format. */
  render(model: ReportModel, context: RenderContext<Options>): Buffer | Uint8Array | string | Promise<Buffer | Uint8Array | string>;
}

/**
 * Any plugin.
 *
 * @example
 * ```ts
 * const plugins: Plugin[] = [soc2, docx];
 * ```
 */
// Options are erased here: a list holds plugins with different option types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Plugin = FrameworkPlugin<any> | FormatPlugin<any>;

/**
 * Identity helper that types a framework plugin; returns its argument unchanged.
 *
 * @example
 * ```ts
 * export default defineFrameworkPlugin({
 *   id: 'framework-acme', kind: 'framework', version: '1.0.0', apiVersion: '^1.0.0',
 *   catalog: { framework: { id: 'acme', name: 'Acme policy', version: '2026', description: 'Internal policy' }, controls: [] },
 * });
 * ```
 */
export function defineFrameworkPlugin<Options = Record<string, never>>(plugin: FrameworkPlugin<Options>): FrameworkPlugin<Options> {
  return plugin;
}

/**
 * Identity helper that types a format plugin; returns its argument unchanged.
 *
 * @example
 * ```ts
 * export default defineFormatPlugin({
 *   id: 'format-text', kind: 'format', version: '1.0.0', apiVersion: '^1.0.0', mimeType: 'text/plain', fileExtension: 'txt',
 *   render: (model) => model.sections.map((s) => s.title).join('\n'),
 * });
 * ```
 */
export function defineFormatPlugin<Options = Record<string, never>>(plugin: FormatPlugin<Options>): FormatPlugin<Options> {
  return plugin;
}
