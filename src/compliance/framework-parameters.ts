import {
  type CatalogControl,
  type Control,
  type Duration,
  type EventRule,
  type FrameworkCatalog,
  type FrameworkParameter,
  PARAMETER_FIELD_TYPES,
  type ParameterRef,
  type ParameterisedRule,
  type ParameterValues,
} from '../plugin-api';

/** A parameter value: a whole number, a ratio or a duration. */
export type ParameterValue = ParameterValues[keyof ParameterValues];

/** Values by parameter id, for the parameters a tenant overrides. */
export type ParameterOverrides = Readonly<Record<string, ParameterValue>>;

/** One parameter as an assessment used it. */
export interface ParameterInForce {
  id: string;
  type: FrameworkParameter['type'];
  value: ParameterValue;
  /** `DEFAULT`: the plugin's value; `TENANT`: the tenant's override. */
  source: 'DEFAULT' | 'TENANT';
}

export const isParameterRef = (value: unknown): value is ParameterRef =>
  value !== null && typeof value === 'object' && typeof (value as { parameter?: unknown }).parameter === 'string';

/** Minutes of a duration, to compare durations of different units. */
export const durationMinutes = (d: Duration): number => ('minutes' in d ? d.minutes : 'hours' in d ? d.hours * 60 : d.days * 1440);

/**
 * The value of every declared parameter: the override where one is given, else the default.
 * Overrides are validated before they are stored (framework profile); one naming no declared
 * parameter is ignored here, since the plugin may have dropped it since.
 */
export function parametersInForce(parameters: readonly FrameworkParameter[], overrides: ParameterOverrides = {}): ParameterInForce[] {
  return parameters.map((p) =>
    Object.prototype.hasOwnProperty.call(overrides, p.id)
      ? { id: p.id, type: p.type, value: overrides[p.id], source: 'TENANT' }
      : { id: p.id, type: p.type, value: p.default, source: 'DEFAULT' },
  );
}

/** A rule with each parameter reference replaced by its value in force. */
export function resolveRule(rule: ParameterisedRule, values: ReadonlyMap<string, ParameterValue>): EventRule {
  const out: Record<string, unknown> = { ...rule };
  for (const field of Object.keys(PARAMETER_FIELD_TYPES)) {
    const value = out[field];
    if (!isParameterRef(value)) continue;
    // The host refuses a catalog naming an undeclared parameter, so this is a broken invariant.
    if (!values.has(value.parameter)) throw new Error(`rule "${rule.id}" names an undeclared parameter "${value.parameter}"`);
    out[field] = values.get(value.parameter);
  }
  const response = (out as { response?: { within: unknown } }).response;
  if (response && isParameterRef(response.within)) {
    const { parameter } = response.within;
    if (!values.has(parameter)) throw new Error(`rule "${rule.id}" names an undeclared parameter "${parameter}"`);
    out.response = { ...response, within: values.get(parameter) };
  }
  return out as unknown as EventRule;
}

/** A catalog's controls with every rule resolved; controls without references are returned as they are. */
export function resolveControls(catalog: FrameworkCatalog, inForce: readonly ParameterInForce[]): Control[] {
  const values = new Map(inForce.map((p) => [p.id, p.value]));
  const hasRef = (rule: ParameterisedRule) =>
    Object.keys(PARAMETER_FIELD_TYPES).some((f) => isParameterRef((rule as Record<string, unknown>)[f])) ||
    isParameterRef((rule as { response?: { within?: unknown } }).response?.within);
  return catalog.controls.map((control: CatalogControl): Control => {
    if (![...control.evidence, ...control.violations].some(hasRef)) return control as Control;
    return {
      ...control,
      evidence: control.evidence.map((rule) => resolveRule(rule, values)),
      violations: control.violations.map((rule) => resolveRule(rule, values)),
    };
  });
}
