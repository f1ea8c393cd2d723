/**
 * The public plugin contract of DataPunk Audit: everything a framework or report-format plugin may
 * import. Built-in plugins use exactly this module; see docs/plugins.md.
 */
export { PLUGIN_API_VERSION } from './version';
export * from './events';
export * from './rules';
export * from './parameters';
export * from './framework';
export * from './report-model';
export * from './tables';
export * from './branding';
export * from './plugin';
export * from './text';
export * from './chart-data';
export * from './chart-svg';
