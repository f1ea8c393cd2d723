/**
 * Version of the public plugin contract (this module), as a semver string.
 *
 * The host compares it with each plugin's `apiVersion` range at start-up. Extension points only gain
 * members within a major version; anything that would break an existing plugin bumps the major.
 *
 * @example
 * ```ts
 * defineFrameworkPlugin({ id: 'framework-acme', apiVersion: '^1.0.0', ... }); // loads on any 1.x host
 * ```
 */
export const PLUGIN_API_VERSION = '1.8.0';
