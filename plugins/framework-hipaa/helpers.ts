import type {
  CatalogControl,
  ControlMapping,
  Correlation,
  EventMatch,
  MappingRelationship,
  MetadataPredicate,
  NamePattern,
  ParameterisedRule,
} from '../../src/plugin-api';

/**
 * The part of the HIPAA rules a section belongs to; every control carries it as a tag. The
 * Security Rule's safeguards (164.308–164.316) and the Breach Notification Rule (164.400–164.414).
 */
export type Safeguard = 'administrative' | 'physical' | 'technical' | 'organizational' | 'documentation' | 'breach-notification';

/** Whether the regulation requires an implementation specification or leaves it addressable. */
export type Requirement = 'required' | 'addressable';

type ControlBody = Omit<CatalogControl, 'id' | 'parentId' | 'tags'>;

/** Factories for the standards and implementation specifications of one safeguard, tagged alike. */
export const safeguard = (tag: Safeguard) => ({
  standard: (id: string, body: ControlBody): CatalogControl => ({ id, ...body, tags: ['standard', tag] }),
  specification: (parentId: string, id: string, requirement: Requirement, body: ControlBody): CatalogControl => ({
    id,
    parentId,
    ...body,
    tags: ['implementation-specification', requirement, tag],
  }),
});

/** Exact action names. */
export const actions = (...names: string[]): NamePattern[] => names.map((equals) => ({ equals }));

/** Events of these actions that succeeded, with further fields if given. */
export const succeeded = (names: string[], more: Omit<EventMatch, 'action' | 'outcome'> = {}): EventMatch => ({
  action: actions(...names),
  outcome: ['SUCCESS'],
  ...more,
});

/** "A metadata value equals": one predicate. */
export const meta = (path: string, equals: string | number | boolean): MetadataPredicate => ({ path, equals });

/** Activity: every matching event counts (a `MATCH` rule); it shows the activity, not a duty (ADR 0033). */
export const observed = (id: string, description: string, match: EventMatch): ParameterisedRule => ({
  id,
  kind: 'MATCH',
  description,
  match,
});

/**
 * The server's read records (ADR 0044): a key read the log (`datapunk.log.read`, with the scope and
 * the count in its metadata), or generated or downloaded a report built from it. Activity — that
 * the logs were looked at and the looking was recorded — never a review signed off (that is
 * `audit.log.reviewed`).
 */
export const LOG_READS: EventMatch = succeeded(['datapunk.log.read', 'datapunk.report.generated', 'datapunk.report.downloaded']);

/** Events of these actions that succeeded are recorded: the commonest activity rule. */
export const recorded = (id: string, description: string, names: string[], more: Omit<EventMatch, 'action' | 'outcome'> = {}) =>
  observed(id, description, succeeded(names, more));

/**
 * A population test: each `trigger` needs a successful `answer` of the same key within the
 * parameter `window`. A follow-up that failed or errored answers nothing (issue 11). As evidence
 * the duty is "every trigger answered"; as a violation each unanswered trigger is a finding.
 */
export const answeredWithin = (
  id: string,
  description: string,
  trigger: EventMatch,
  answer: EventMatch,
  window: string,
  correlation: Correlation = 'RESOURCE',
): ParameterisedRule => ({
  id,
  kind: 'NOT_FOLLOWED_BY',
  description,
  trigger,
  followUp: { ...answer, outcome: ['SUCCESS'] },
  within: { parameter: window },
  correlation,
});

/**
 * "A failed run with no successful run of the same job (same resource) in time": a failure the
 * process catches is the control working, and the finding is the missing recovery. The same shape
 * as SOC 2's A1.2 rule, so that a failed backup means the same in both frameworks.
 */
export const failureNotRecovered = (id: string, description: string, names: string[], window: string): ParameterisedRule =>
  answeredWithin(id, description, { action: actions(...names), outcome: ['FAILURE', 'ERROR'] }, { action: actions(...names) }, window);

/**
 * "Five refused attempts by one account within ten minutes, not answered by a lockout of that
 * account in time" (plugin API 1.8.0 BURST `response`): a brute force the lockout stopped is the
 * control working; the finding is the burst nobody stopped. The same shape and parameter as SOC 2
 * CC6.1, so the same events give the same verdict in both frameworks.
 */
export const burstNotLocked = (id: string, description: string, attempts: string[]): ParameterisedRule => ({
  id,
  kind: 'BURST',
  description,
  match: { action: actions(...attempts), outcome: ['FAILURE'] },
  count: 5,
  within: { minutes: 10 },
  correlation: 'ACTOR',
  response: { match: succeeded(['auth.lockout']), within: { parameter: 'lockout-response-window' } },
});

/** A duty that recurs: at least `count` successful events within the parameter `window` before the period's end (`RECENT`). */
export const recentWithin = (id: string, description: string, names: string[], window: string, count = 1): ParameterisedRule => ({
  id,
  kind: 'RECENT',
  description,
  match: succeeded(names),
  count,
  within: { parameter: window },
});

/** A mapping to a GDPR article. */
export const gdpr = (controlId: string, relationship: MappingRelationship): ControlMapping => ({
  frameworkId: 'gdpr',
  controlId,
  relationship,
});
