import { satisfies, valid, validRange } from 'semver';
import { PLUGIN_API_VERSION } from '../plugin-api';

/*
 * Plugin versions and `apiVersion` ranges, read by npm's `semver` with its default options, as
 * `npm install` reads a dependency range: strict parsing (no `loose`), and a pre-release satisfies
 * a range only when one of its comparators names a pre-release of the same major.minor.patch (no
 * `includePrerelease`). The host and the plugin test kit both decide here, so `plugin check`
 * refuses exactly what start-up refuses (ADR 0027).
 */

/** A semver version such as `1.2.0` or `2.0.0-beta.1` (a leading `v` is allowed, as npm allows it). */
export const isVersion = (text: string): boolean => valid(text) !== null;

/**
 * A range npm's semver accepts, except a blank one or a blank side of `||`: npm reads those as `*`,
 * which would silently accept every API version, so a manifest that means it writes `*`.
 */
export const isRange = (text: string): boolean => !text.split('||').some((side) => !side.trim()) && validRange(text) !== null;

/** Whether a plugin declaring `range` runs on a host providing plugin API `apiVersion` (this server's by default). */
export const acceptsApiVersion = (range: string, apiVersion: string = PLUGIN_API_VERSION): boolean => satisfies(apiVersion, range);
