import type { ActorType, ClassificationLevel, OutcomeStatus, Severity } from './events';

/**
 * Matches a dotted name such as an action (`auth.login.failed`) or a resource type
 * (`patient_record.lab`). Exactly one of the three keys.
 *
 * - `equals`: the whole name, case-sensitive.
 * - `prefix`: the name starts with this text (`auth.` matches `auth.login` and `auth.logout`).
 * - `glob`: `*` matches any run of characters except `.`, `**` any run including `.`;
 *   nothing else is special (`auth.*.failed`, `patient_record.**`).
 *
 * All three translate to SQL: `=`, an index range for the prefix, and a range on the literal start
 * plus a regular expression for a glob.
 *
 * @example
 * ```ts
 * const logins: NamePattern = { prefix: 'auth.login' };
 * const anyExport: NamePattern = { glob: '**.export' };
 * ```
 */
export type NamePattern = { equals: string } | { prefix: string } | { glob: string };

/**
 * A test of one value in an event's `metadata`, found by `path`: plain identifiers joined by dots
 * (`dsar.type`, `decision`). Exactly one of `equals`, `in` and `exists`. `equals` and `in` compare
 * type and value (the string `"1"` is not the number `1`, `true` is not `"true"`); `exists: true`
 * holds when the key is present with a value other than null, `exists: false` when it is not.
 *
 * @example
 * ```ts
 * const erasure: MetadataPredicate = { path: 'dsar.type', equals: 'erasure' };
 * const decided: MetadataPredicate = { path: 'decision', in: ['approved', 'rejected'] };
 * ```
 */
export interface MetadataPredicate {
  path: string;
  equals?: string | number | boolean;
  in?: (string | number | boolean)[];
  exists?: boolean;
}

/**
 * Which audit events a rule is about. Every given field must hold (AND); a list inside a field
 * matches any of its values (OR). An empty match selects every event.
 *
 * @example
 * ```ts
 * const deniedPhiReads: EventMatch = {
 *   action: [{ prefix: 'record.read' }],
 *   outcome: ['DENIED'],
 *   categories: ['PHI'],
 * };
 * ```
 */
export interface EventMatch {
  /** The event's action matches any of these patterns. */
  action?: NamePattern[];
  /** The outcome status is one of these. */
  outcome?: OutcomeStatus[];
  /** Severity at or above this level. */
  minSeverity?: Severity;
  /** Classification is one of these levels. */
  classification?: ClassificationLevel[];
  /** Classification at or above this level. */
  minClassification?: ClassificationLevel;
  /** The event carries at least one of these data categories (UPPER_SNAKE_CASE, e.g. `PHI`). */
  categories?: string[];
  /** The resource type matches any of these patterns. */
  resourceType?: NamePattern[];
  /** The actor type is one of these. */
  actorType?: ActorType[];
  /**
   * Tests of the event's metadata; all must hold (plugin API 1.4.0). A MATCH or AT_LEAST rule with
   * them is counted from the events rather than the daily rollup, so keep them to rules that need them.
   */
  metadata?: MetadataPredicate[];
}

/**
 * A span of time. Exactly one unit.
 *
 * @example
 * ```ts
 * const notificationDeadline: Duration = { hours: 72 };
 * ```
 */
export type Duration = { minutes: number } | { hours: number } | { days: number };

/**
 * A calendar period that counts restart at, in UTC.
 *
 * @example
 * ```ts
 * const period: Period = 'MONTH';
 * ```
 */
export type Period = 'DAY' | 'WEEK' | 'MONTH' | 'QUARTER' | 'YEAR';

/**
 * Which events belong together in a temporal rule: the same actor, the same resource (type and
 * id), the same actor IP address, or the whole tenant.
 *
 * @example
 * ```ts
 * const key: Correlation = 'ACTOR';
 * ```
 */
export type Correlation = 'ACTOR' | 'RESOURCE' | 'IP' | 'TENANT';

/**
 * Every matching event counts: as evidence in `Control.evidence`, as a finding in
 * `Control.violations`.
 *
 * @example
 * ```ts
 * const rule: MatchRule = { id: 'access-reviewed', kind: 'MATCH', description: 'Access reviews', match: { action: [{ equals: 'access.review.completed' }] } };
 * ```
 */
export interface MatchRule extends RuleBase {
  kind: 'MATCH';
  match: EventMatch;
}

/**
 * At least `count` matching events in every `period` of the assessed range; a period with fewer
 * is a gap (evidence) or a finding (violation). For duties that recur, such as a monthly log review.
 *
 * @example
 * ```ts
 * const rule: AtLeastRule = { id: 'monthly-review', kind: 'AT_LEAST', description: 'Activity reviewed monthly',
 *   match: { action: [{ equals: 'audit.log.reviewed' }] }, count: 1, period: 'MONTH' };
 * ```
 */
export interface AtLeastRule extends RuleBase {
  kind: 'AT_LEAST';
  match: EventMatch;
  count: number;
  period: Period;
  /**
   * Count distinct actors, resources or actor IPs instead of events (plugin API 1.8.0): at least
   * `count` of them with a matching event in every period — "at least 3 distinct reviewers a
   * quarter". Events without the key (no IP) count for none. Counted from the events.
   */
  distinct?: DistinctKey;
}

/**
 * What an `AT_LEAST` rule counts with `distinct`: actors (type and id), resources (type and id) or
 * actor IP addresses.
 *
 * @example
 * ```ts
 * const reviewers: DistinctKey = 'ACTOR';
 * ```
 */
export type DistinctKey = 'ACTOR' | 'RESOURCE' | 'IP';

/**
 * A `trigger` event that is not followed by a `followUp` event of the same `correlation` within
 * `within`: "A without B within N hours". In violations, each such trigger is a finding; in
 * evidence, each trigger that was followed in time counts.
 *
 * @example
 * ```ts
 * const rule: NotFollowedByRule = { id: 'breach-notified', kind: 'NOT_FOLLOWED_BY', description: 'Breach not notified within 72 hours',
 *   trigger: { action: [{ equals: 'breach.detected' }] }, followUp: { action: [{ equals: 'breach.notified' }] },
 *   within: { hours: 72 }, correlation: 'TENANT' };
 * ```
 */
export interface NotFollowedByRule extends RuleBase {
  kind: 'NOT_FOLLOWED_BY';
  trigger: EventMatch;
  followUp: EventMatch;
  within: Duration;
  correlation: Correlation;
}

/**
 * A `trigger` followed by a `followUp` of the same `correlation` within `within` after it is a
 * deviation: activity by an actor after `user.disabled`, a success right after a failure. A
 * violation rule only (a catalog that lists it as evidence is refused): each trigger followed is
 * a finding; a trigger whose window is still open and not yet followed is pending.
 *
 * @example
 * ```ts
 * const rule: FollowedByRule = { id: 'active-after-disable', kind: 'FOLLOWED_BY', description: 'Activity after the account was disabled',
 *   trigger: { action: [{ equals: 'user.disabled' }] }, followUp: { actorType: ['USER'] },
 *   within: { days: 30 }, correlation: 'ACTOR' };
 * ```
 */
export interface FollowedByRule extends RuleBase {
  kind: 'FOLLOWED_BY';
  trigger: EventMatch;
  followUp: EventMatch;
  within: Duration;
  correlation: Correlation;
}

/**
 * A `trigger` event with no `precededBy` event of the same `correlation` within `within` before it
 * (at or before the trigger's instant, never the trigger itself): "B without an A in the N days
 * before". Every trigger in the range is judged at once. In violations, each trigger not preceded
 * is a finding; in evidence, the rule is met when every trigger was preceded.
 *
 * @example
 * ```ts
 * const rule: NotPrecededByRule = { id: 'change-approved', kind: 'NOT_PRECEDED_BY', description: 'Deployment without a prior approval',
 *   trigger: { action: [{ equals: 'change.deployed' }] }, precededBy: { action: [{ equals: 'change.approved' }] },
 *   within: { days: 30 }, correlation: 'RESOURCE' };
 * ```
 */
export interface NotPrecededByRule extends RuleBase {
  kind: 'NOT_PRECEDED_BY';
  trigger: EventMatch;
  precededBy: EventMatch;
  within: Duration;
  correlation: Correlation;
}

/**
 * At least `count` matching events of the same `correlation` within any window of `within`:
 * "N failures by the same actor within M minutes".
 *
 * With `response` (plugin API 1.8.0) the rule asks instead whether each burst was answered — "a
 * burst of failed logins not answered by a lockout": the burst is the control's trigger, the
 * response the control working. A burst is named by its completing event (the `count`-th of the
 * key within `within`); one streak of completing events is one burst, and after a response of the
 * key the count starts again with the events after it. It is answered by a `response` event of the
 * same correlation key from the burst's first event until `response.within` after the completing
 * one, recorded within the recording lag. A population duty: in violations each unanswered burst is
 * a finding; in evidence each answered one counts; a burst still within its deadline is pending.
 *
 * @example
 * ```ts
 * const rule: BurstRule = { id: 'brute-force', kind: 'BURST', description: 'Repeated failed logins',
 *   match: { action: [{ prefix: 'auth.login' }], outcome: ['FAILURE'] }, count: 5, within: { minutes: 10 }, correlation: 'ACTOR' };
 * const unanswered: BurstRule = { ...rule, id: 'brute-force-unanswered', description: 'Repeated failed logins not answered by a lockout',
 *   response: { match: { action: [{ equals: 'auth.lockout' }] }, within: { minutes: 5 } } };
 * ```
 */
export interface BurstRule extends RuleBase {
  kind: 'BURST';
  match: EventMatch;
  count: number;
  within: Duration;
  correlation: Correlation;
  /** The event that answers a burst, and how long after its completing event it may come (plugin API 1.8.0). */
  response?: BurstResponse;
}

/**
 * What answers a burst ({@link BurstRule}): a `match` event of the burst's correlation key, from
 * the burst's first event until `within` after its completing event. `within` may name a
 * `DURATION` parameter.
 *
 * @example
 * ```ts
 * const response: BurstResponse = { match: { action: [{ equals: 'auth.lockout' }] }, within: { minutes: 5 } };
 * ```
 */
export interface BurstResponse {
  match: EventMatch;
  within: Duration;
}

/**
 * No stretch longer than `maxGap` without a `match` event within the assessed range: from the
 * range start (or the start of the trail's first day, if later) to the first event, between
 * consecutive events, and from the last event to the range end (or the as-of instant, if earlier).
 * A gap exactly `maxGap` long holds. The exact shape of "at least once every N" (PCI DSS 10.4.1:
 * logs reviewed daily), which AT_LEAST per calendar period only approximates. In evidence, the
 * duty is met when no gap is too long; in violations, each over-long gap is a finding. A stretch
 * still open at the as-of instant and not yet too long is pending (plugin API 1.5.0). A range with
 * no matching event shows nothing by itself: its one stretch runs from the latest matching event
 * before the range, and without one it is judged only once it is too long (plugin API 1.8.0).
 *
 * @example
 * ```ts
 * const rule: MaxGapRule = { id: 'logs-reviewed-daily', kind: 'MAX_GAP', description: 'Audit logs reviewed at least once every 24 hours',
 *   match: { action: [{ equals: 'audit.log.reviewed' }] }, maxGap: { hours: 24 } };
 * ```
 */
export interface MaxGapRule extends RuleBase {
  kind: 'MAX_GAP';
  match: EventMatch;
  maxGap: Duration;
}

/**
 * At least `count` matching events within `within` before the end of the assessed period (the
 * range's end, or the as-of instant if earlier), however far before the range's start that reaches:
 * "a risk assessment within the last twelve months", which a calendar `AT_LEAST` cannot judge over a
 * quarter or a fortnight. A recurrence **duty** judged once (`tested` 1) when the window is covered:
 * met with enough events; with fewer, a lapse — not shown as evidence (the control is
 * NON_COMPLIANT, like a recurrence missed in every period), a finding as a violation. A window that
 * reaches before the tenant's first event and does not hold enough events is not judged: the trail
 * cannot say what happened before it began (plugin API 1.7.0).
 *
 * @example
 * ```ts
 * const rule: RecentRule = { id: 'risk-assessed', kind: 'RECENT', description: 'A risk assessment within the last year',
 *   match: { action: [{ equals: 'risk.assessment.completed' }], outcome: ['SUCCESS'] }, count: 1, within: { days: 365 } };
 * ```
 */
export interface RecentRule extends RuleBase {
  kind: 'RECENT';
  match: EventMatch;
  count: number;
  within: Duration;
}

/**
 * At least a share `atLeast` (from 0 to 1) of the `population` events in the assessed range are
 * also `qualifying` events: "95 % of successful logins used MFA", "99 % of backups succeeded". The
 * share is (events matching both `population` and `qualifying`) / (events matching `population`);
 * `qualifying` is only tested on population events, so it need not repeat the population's fields.
 * A share exactly `atLeast` holds; it is compared without rounding (0.95 of 20 events needs 19).
 * A population **duty** in both roles: in evidence, met when the share holds, partial when it falls
 * short, not shown without a population or a qualifying event; in violations, a share short of
 * `atLeast` is a finding, counting the population events that do not qualify (plugin API 1.6.0).
 *
 * @example
 * ```ts
 * const rule: RatioRule = { id: 'mfa-coverage', kind: 'RATIO', description: 'Successful logins use MFA',
 *   population: { action: [{ equals: 'auth.login.succeeded' }] }, qualifying: { metadata: [{ path: 'mfa', equals: true }] },
 *   atLeast: 0.95 };
 * ```
 */
export interface RatioRule extends RuleBase {
  kind: 'RATIO';
  population: EventMatch;
  qualifying: EventMatch;
  /** The least share, from 0 to 1; a catalog may name a `RATIO` parameter instead. */
  atLeast: number;
  /**
   * The share over distinct actors, resources or actor IPs instead of events (plugin API 1.8.0):
   * of the keys with a population event in the range, those whose every population event
   * qualifies — "every user's successful logins used MFA". Events without the key count for none.
   */
  distinct?: DistinctKey;
}

/**
 * Fields every rule has.
 *
 * @example
 * ```ts
 * const base: RuleBase = { id: 'mfa-used', description: 'Logins use a second factor' };
 * ```
 */
export interface RuleBase {
  /** Kebab-case, unique within its control. */
  id: string;
  /** What the rule shows, in words; assessments quote it. */
  description: string;
}

/**
 * A declarative rule over audit events. Plain data, no callbacks, so that the assessment can run
 * it as SQL aggregation. New kinds may be added in a minor API version.
 *
 * @example
 * ```ts
 * const rules: EventRule[] = [{ id: 'logins', kind: 'MATCH', description: 'Logins are recorded', match: { action: [{ prefix: 'auth.login' }] } }];
 * ```
 */
export type EventRule =
  MatchRule | AtLeastRule | NotFollowedByRule | FollowedByRule | NotPrecededByRule | BurstRule | MaxGapRule | RatioRule | RecentRule;

/**
 * Classifies events the client left unclassified, at ingest: events whose resource type or action
 * matches get the given level (if higher than the default) and categories.
 *
 * @example
 * ```ts
 * const phi: ClassificationRule = { id: 'patient-records', resourceType: [{ prefix: 'patient_record' }],
 *   classification: 'RESTRICTED', categories: ['PHI'] };
 * ```
 */
export interface ClassificationRule {
  /** Kebab-case, unique within its plugin. */
  id: string;
  /** Resource types this rule applies to (any of). At least one of `resourceType` and `action`. */
  resourceType?: NamePattern[];
  /** Actions this rule applies to (any of). */
  action?: NamePattern[];
  /** Level to apply. */
  classification?: ClassificationLevel;
  /** Data categories to add, UPPER_SNAKE_CASE. */
  categories?: string[];
}

/**
 * A data category a plugin adds to the built-in ones (PII, PHI, PCI, CREDENTIALS, …).
 *
 * @example
 * ```ts
 * const category: DataCategory = { id: 'GENETIC', description: 'Genetic data (GDPR Art. 9)' };
 * ```
 */
export interface DataCategory {
  /** UPPER_SNAKE_CASE, as events carry it in `categories`. */
  id: string;
  description: string;
}
