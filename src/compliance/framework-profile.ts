import { fromSqlDateTime, toNumber } from '../database/sql-format';
import type { FrameworkParameter } from '../plugin-api';
import { type ParameterInForce, type ParameterOverrides, type ParameterValue, parametersInForce } from './framework-parameters';

/** The action of the event a tenant's parameter values are recorded as (ADR 0038). */
export const PARAMETERS_SET_ACTION = 'datapunk.framework.parameters_set';
export const PROFILE_RESOURCE = 'compliance_framework_profile';
/** The resource id of a framework's profile: `<framework>:parameters`. */
export const profileId = (frameworkId: string) => `${frameworkId}:parameters`;

/** A recorded profile: the tenant's values, when and by whom, and the event's sequence. */
export interface RecordedProfile {
  values: ParameterOverrides;
  note: string;
  setAt: string;
  setBy: string;
  sequence: number;
}

/**
 * The profile in force at `asOf`: the latest datapunk.framework.parameters_set event of the
 * framework recorded by then (rows as AssessmentQueries.serverEvents returns them, in chain order).
 * Each event holds the whole set of overrides; one with no values returns every parameter to its
 * default. Null when none was recorded by `asOf`.
 */
export function profileAsOf(frameworkId: string, rows: readonly Record<string, unknown>[], asOf: Date): RecordedProfile | null {
  let found: RecordedProfile | null = null;
  for (const row of rows) {
    if (row.resource_id !== profileId(frameworkId)) continue;
    const setAt = fromSqlDateTime(row.occurred_at);
    if (Date.parse(setAt) > asOf.getTime()) continue;
    const meta = JSON.parse(String(row.metadata ?? '{}')) as { values?: unknown; note?: unknown };
    if (meta.values === null || typeof meta.values !== 'object' || Array.isArray(meta.values)) continue;
    found = {
      values: meta.values as Record<string, ParameterValue>,
      note: typeof meta.note === 'string' ? meta.note : '',
      setAt,
      setBy: String(row.actor_display_name ?? row.actor_id),
      sequence: toNumber(row.sequence),
    };
  }
  return found;
}

/**
 * The parameters in force under a recorded profile. A stored value that no longer fits its
 * declaration (the plugin changed its type or bounds since) is left out, so the default applies:
 * `check` says whether a value fits (the host's own validation).
 */
export function inForceUnder(
  parameters: readonly FrameworkParameter[],
  profile: RecordedProfile | null,
  check: (parameter: FrameworkParameter, value: unknown) => string[],
): ParameterInForce[] {
  const values: Record<string, ParameterValue> = {};
  for (const p of parameters) {
    const value = profile?.values[p.id];
    if (value !== undefined && !check(p, value).length) values[p.id] = value;
  }
  return parametersInForce(parameters, values);
}
