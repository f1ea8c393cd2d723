/**
 * The audit event vocabulary rules speak about, as plain string unions so a plugin needs nothing
 * but this module. The values are the GraphQL enum values of the service.
 */

/**
 * How an event ended.
 *
 * @example
 * ```ts
 * const failed: OutcomeStatus[] = ['FAILURE', 'DENIED'];
 * ```
 */
export type OutcomeStatus = 'SUCCESS' | 'FAILURE' | 'DENIED' | 'ERROR';

/**
 * Event severity, ordered from lowest to highest (syslog style).
 *
 * @example
 * ```ts
 * const atLeast: Severity = 'WARNING';
 * ```
 */
export type Severity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL' | 'ALERT' | 'EMERGENCY';

/**
 * Data classification level, ordered PUBLIC < INTERNAL < CONFIDENTIAL < RESTRICTED.
 *
 * @example
 * ```ts
 * const level: ClassificationLevel = 'RESTRICTED';
 * ```
 */
export type ClassificationLevel = 'PUBLIC' | 'INTERNAL' | 'CONFIDENTIAL' | 'RESTRICTED';

/**
 * Who performed an action.
 *
 * @example
 * ```ts
 * const humans: ActorType[] = ['USER'];
 * ```
 */
export type ActorType = 'USER' | 'SERVICE' | 'API_KEY' | 'SYSTEM';

/** Every severity, lowest first. @example `SEVERITIES.indexOf('ERROR') > SEVERITIES.indexOf('INFO')` */
export const SEVERITIES: readonly Severity[] = ['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY'];

/** Every classification level, lowest first. @example `CLASSIFICATION_LEVELS[3] === 'RESTRICTED'` */
export const CLASSIFICATION_LEVELS: readonly ClassificationLevel[] = ['PUBLIC', 'INTERNAL', 'CONFIDENTIAL', 'RESTRICTED'];

/** Every outcome status. @example `OUTCOME_STATUSES.includes('DENIED')` */
export const OUTCOME_STATUSES: readonly OutcomeStatus[] = ['SUCCESS', 'FAILURE', 'DENIED', 'ERROR'];

/** Every actor type. @example `ACTOR_TYPES.includes('SERVICE')` */
export const ACTOR_TYPES: readonly ActorType[] = ['USER', 'SERVICE', 'API_KEY', 'SYSTEM'];
