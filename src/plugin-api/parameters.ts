import type { Duration, EventRule } from './rules';

/**
 * The kinds of value an organisation-defined parameter holds (plugin API 1.5.0).
 *
 * - `INTEGER`: a whole number of at least 1 (a `count`).
 * - `DURATION`: a {@link Duration} (a `within` window).
 * - `RATIO`: a number from 0 to 1 (a share, e.g. 0.95 of logins with MFA).
 *
 * @example
 * ```ts
 * const type: ParameterType = 'DURATION';
 * ```
 */
export type ParameterType = 'INTEGER' | 'DURATION' | 'RATIO';

/** The value a parameter of each {@link ParameterType} holds. */
export interface ParameterValues {
  INTEGER: number;
  DURATION: Duration;
  RATIO: number;
}

/**
 * An organisation-defined parameter a framework declares: a threshold or window its rules use,
 * with a default the tenant may override within `min` and `max` (both inclusive, both optional).
 *
 * @example
 * ```ts
 * const deadline: FrameworkParameter = { id: 'breach-notification-hours', type: 'DURATION',
 *   description: 'Time to notify the supervisory authority of a breach', default: { hours: 72 }, max: { hours: 72 } };
 * ```
 */
export type FrameworkParameter = {
  [T in ParameterType]: {
    /** Kebab-case, unique within the framework; what rules and tenant profiles name it by. */
    id: string;
    description: string;
    type: T;
    default: ParameterValues[T];
    min?: ParameterValues[T];
    max?: ParameterValues[T];
  };
}[ParameterType];

/**
 * Stands in a rule for the value of a declared parameter: `count: { parameter: 'failed-logins' }`.
 * The parameter's type must be the one the field takes ({@link PARAMETER_FIELD_TYPES}).
 *
 * @example
 * ```ts
 * const within: ParameterRef = { parameter: 'breach-notification-hours' };
 * ```
 */
export interface ParameterRef {
  parameter: string;
}

/** A value, or a reference to a parameter that holds it. */
export type Parameterised<T> = T | ParameterRef;

/**
 * The rule fields that may name a parameter instead of a literal, with the parameter type each
 * takes. Every rule kind's field of that name accepts a reference.
 *
 * @example
 * ```ts
 * PARAMETER_FIELD_TYPES.within; // 'DURATION'
 * ```
 */
export const PARAMETER_FIELD_TYPES = {
  count: 'INTEGER',
  within: 'DURATION',
  maxGap: 'DURATION',
  atLeast: 'RATIO',
} as const satisfies Record<string, ParameterType>;

/** The names of the fields of {@link PARAMETER_FIELD_TYPES}. */
export type ParameterisableField = keyof typeof PARAMETER_FIELD_TYPES;

/** A rule kind whose parameterisable fields may hold a {@link ParameterRef}. */
export type WithParameters<R> = R extends EventRule
  ? { [K in keyof R]: K extends ParameterisableField ? Parameterised<R[K]> : K extends 'response' ? WithResponseParameter<R[K]> : R[K] }
  : never;

/** A BURST `response` whose `within` may name a `DURATION` parameter (plugin API 1.8.0). */
export type WithResponseParameter<T> = T extends { within: Duration } ? Omit<T, 'within'> & { within: Parameterised<Duration> } : T;

/**
 * A rule as a catalog writes it: any {@link EventRule}, whose `count`, `within`, `maxGap` and
 * `atLeast` may name a parameter. The host resolves the references before an assessment runs.
 *
 * @example
 * ```ts
 * const rule: ParameterisedRule = { id: 'breach-notified', kind: 'NOT_FOLLOWED_BY', description: 'Breach notified in time',
 *   trigger: { action: [{ equals: 'breach.detected' }] }, followUp: { action: [{ equals: 'breach.notified' }] },
 *   within: { parameter: 'breach-notification-hours' }, correlation: 'TENANT' };
 * ```
 */
export type ParameterisedRule = WithParameters<EventRule>;
