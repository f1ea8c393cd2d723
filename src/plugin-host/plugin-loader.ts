import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ErrorCode } from '../errors/error-code';
import { PURE_DATA_MANIFEST_FILE } from '../plugin-api';
import { catalogProblems, pureDataManifestSchema, schemaProblems } from './manifest.schema';
import type { PluginProblem } from './plugin-load-error';

/** Where a plugin came from, as the `plugins` query reports it. */
export type PluginSource = 'BUILT_IN' | 'PACKAGE' | 'PATH';

/** A plugin object before validation, and where it came from. */
export interface Candidate {
  /** What the problems name it by until its id is known: the DATAPUNK_PLUGINS entry, or the id. */
  label: string;
  source: PluginSource;
  /** Resolved file or folder; null for built-ins. */
  location: string | null;
  value: unknown;
}

export type LoadResult = { candidate: Candidate } | { problems: PluginProblem[] };

const isPath = (entry: string) => entry.startsWith('.') || path.isAbsolute(entry);

/** A module's plugin: its default export, else what it assigned to module.exports. */
const exported = (mod: unknown): unknown => (mod !== null && typeof mod === 'object' && 'default' in mod ? mod.default : mod);

const message = (error: unknown) => (error instanceof Error ? error.message.split('\n')[0] : String(error));

/**
 * A data file: JSON, or YAML for `.yaml` / `.yml` (YAML 1.2 core schema, so no custom tags; a
 * hundred aliases at most, so a small file cannot expand into a huge one).
 */
function readData(file: string): { value: unknown } | { error: string } {
  const yaml = /\.ya?ml$/.test(file);
  try {
    const text = fs.readFileSync(file, 'utf8');
    return { value: yaml ? parseYaml(text, { schema: 'core', maxAliasCount: 100, uniqueKeys: true }) : JSON.parse(text) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { error: 'file not found' };
    return { error: `not readable ${yaml ? 'YAML' : 'JSON'} (${message(error)})` };
  }
}

/** A folder with datapunk-plugin.json: the manifest plus its catalog, as one plugin object. */
function loadPureData(label: string, folder: string, source: PluginSource): LoadResult {
  const manifestFile = path.join(folder, PURE_DATA_MANIFEST_FILE);
  const invalid = (problems: { path: string; message: string }[], id = label): LoadResult => ({
    problems: problems.map((p) => ({ pluginId: id, code: ErrorCode.PLUGIN_MANIFEST_INVALID, ...p })),
  });
  const read = readData(manifestFile);
  if ('error' in read) return invalid([{ path: PURE_DATA_MANIFEST_FILE, message: read.error }]);
  const id = typeof (read.value as { id?: unknown })?.id === 'string' ? (read.value as { id: string }).id : label;
  const manifest = pureDataManifestSchema.safeParse(read.value);
  if (!manifest.success) {
    // Check the catalog too when the manifest names one, so one start reports both files' problems.
    const file = (read.value as { catalog?: unknown })?.catalog;
    const catalog = typeof file === 'string' && !file.includes('..') ? readData(path.join(folder, file)) : null;
    const inCatalog = catalog && 'value' in catalog ? catalogProblems(catalog.value, ['catalog']) : [];
    return invalid([...schemaProblems(manifest.error), ...inCatalog], id);
  }
  const catalog = readData(path.join(folder, manifest.data.catalog));
  if ('error' in catalog) return invalid([{ path: 'catalog', message: `${manifest.data.catalog}: ${catalog.error}` }], id);
  const { catalog: _file, ...fields } = manifest.data;
  return { candidate: { label: id, source, location: folder, value: { ...fields, catalog: catalog.value } } };
}

function loadModule(label: string, file: string, source: PluginSource, load: (file: string) => unknown): LoadResult {
  try {
    return { candidate: { label, source, location: file, value: exported(load(file)) } };
  } catch (error) {
    return { problems: [{ pluginId: label, code: ErrorCode.PLUGIN_LOAD_FAILED, message: `threw while loading: ${message(error)}` }] };
  }
}

/**
 * Resolves and reads one DATAPUNK_PLUGINS entry: a path (starting with `.` or absolute, relative to
 * `cwd`) to a pure-data folder or a module, or an npm package name resolved from `cwd`.
 */
export function loadEntry(entry: string, cwd: string): LoadResult {
  const req = createRequire(path.join(cwd, 'package.json'));
  const notFound = (why: string): LoadResult => ({ problems: [{ pluginId: entry, code: ErrorCode.PLUGIN_NOT_FOUND, message: why }] });

  if (isPath(entry)) {
    const target = path.resolve(cwd, entry);
    if (!fs.existsSync(target)) return notFound(`${target} does not exist`);
    if (fs.statSync(target).isDirectory() && fs.existsSync(path.join(target, PURE_DATA_MANIFEST_FILE))) {
      return loadPureData(entry, target, 'PATH');
    }
    let file: string;
    try {
      file = req.resolve(target);
    } catch {
      return notFound(`${target} holds neither ${PURE_DATA_MANIFEST_FILE} nor a loadable module (package.json main or index.js)`);
    }
    return loadModule(entry, file, 'PATH', req);
  }

  let file: string | null = null;
  try {
    file = req.resolve(entry);
  } catch {
    // Not a module; maybe a pure-data package.
  }
  if (file) return loadModule(entry, file, 'PACKAGE', req);
  try {
    const manifest = req.resolve(`${entry}/${PURE_DATA_MANIFEST_FILE}`);
    return loadPureData(entry, path.dirname(manifest), 'PACKAGE');
  } catch {
    return notFound(`no installed npm package "${entry}" from ${cwd} (a path must start with ./, ../ or /)`);
  }
}
