import {
  ACTOR_TYPES,
  type BurstResponse,
  type BurstRule,
  type DistinctKey,
  CLASSIFICATION_LEVELS,
  type Correlation,
  type Duration,
  type EventMatch,
  type EventRule,
  type FrameworkPlugin,
  type NamePattern,
  OUTCOME_STATUSES,
  SEVERITIES,
} from '../plugin-api';
import { type ContractProblem, error, messageOf } from './contract-report';
import { rulesOf } from './manifest-checks';
import {
  ActorType,
  type AuditEventInputShape,
  Classification,
  classifierOf,
  evaluateRule,
  type EventPayload,
  namePredicate,
  nextPeriodStart,
  OutcomeStatus,
  periodStart,
  prepare,
  ratioRequired,
  RuleRefused,
  Sandbox,
  Severity,
  summary,
} from './sandbox';

// e. Behaviour: synthetic events through the real ingest path, measured by the real queries.

const MAX_EVENTS = 10_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SECOND = 1_000;
const MAX_WINDOW = 100 * 365 * DAY;

const durationMs = (d: Duration) => ('minutes' in d ? d.minutes * 60_000 : 'hours' in d ? d.hours * HOUR : d.days * DAY);
const durationText = (d: Duration) => {
  const [unit, n] = Object.entries(d)[0];
  return `${n} ${n === 1 ? unit.replace(/s$/, '') : unit}`;
};

/** A name the first pattern matches: the value, prefix + `x`, a glob with `**` → `a.b` and `*` → `a`. */
function nameFrom(patterns: readonly NamePattern[] | undefined, fallback: string): string {
  const pattern = patterns?.[0];
  if (!pattern) return fallback;
  if ('equals' in pattern) return pattern.equals;
  if ('prefix' in pattern) return `${pattern.prefix}x`;
  return pattern.glob.replaceAll('**', 'a.b').replaceAll('*', 'a');
}

/** The event a match asks for, by its first listed values; one actor, resource and IP, so every correlation holds. */
function eventFrom(match: EventMatch, at: number): AuditEventInputShape {
  return {
    occurredAt: new Date(at).toISOString(),
    actor: { id: 'contract-actor', type: ActorType[match.actorType?.[0] ?? 'USER'], ip: '203.0.113.10' },
    action: nameFrom(match.action, 'contract.event'),
    resource: { type: nameFrom(match.resourceType, 'contract_resource'), id: 'contract-resource-1' },
    outcome: { status: OutcomeStatus[match.outcome?.[0] ?? 'SUCCESS'] },
    severity: Severity[match.minSeverity ?? 'INFO'],
    classification: Classification[match.classification?.[0] ?? match.minClassification ?? 'INTERNAL'],
    categories: match.categories ? [match.categories[0]] : [],
    ...(match.metadata ? { metadata: metadataFrom(match) } : {}),
  };
}

/** Metadata every predicate of the match accepts: the value asked for, or any for `exists: true`. */
function metadataFrom(match: EventMatch): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const p of match.metadata ?? []) {
    if (p.exists === false) continue;
    setAt(root, p.path, p.exists ? 'contract' : (p.in?.[0] ?? p.equals));
  }
  return root;
}

/** Sets the value at a dotted `path` of `root`, making the objects on the way; `undefined` removes the key. */
function setAt(root: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let at = root;
  for (const key of keys.slice(0, -1)) {
    if (typeof at[key] !== 'object' || at[key] === null) {
      if (value === undefined) return;
      at[key] = {};
    }
    at = at[key] as Record<string, unknown>;
  }
  if (value === undefined) delete at[keys[keys.length - 1]];
  else at[keys[keys.length - 1]] = value;
}

type MetadataValue = string | number | boolean;

/**
 * The nearest value `equals` must reject: the same text as another JSON type (`1` → `"1"`, `true` →
 * `"true"`, `"1"` → `1`), since predicates compare the type too; a string with no such twin gets a suffix.
 */
function twinOf(value: MetadataValue): MetadataValue {
  if (typeof value !== 'string') return String(value);
  if (value === 'true' || value === 'false') return value === 'true';
  if (value.trim() !== '' && String(Number(value)) === value) return Number(value);
  return `${value}-contract-miss`;
}

/**
 * One near miss per metadata predicate, the hit's metadata changed at that path only: a twin of the
 * value for `equals`, a value outside the list for `in` (its first value's twin where that is
 * outside), the key absent or null for `exists: true`, present for `exists: false`.
 */
function metadataMisses(match: EventMatch, hit: AuditEventInputShape): { label: string; event: AuditEventInputShape }[] {
  return (match.metadata ?? []).flatMap((p) => {
    const changed = (value: unknown, shown: string) => {
      const metadata = structuredClone(hit.metadata ?? {});
      setAt(metadata, p.path, value);
      return { label: `metadata ${p.path} ${shown}`, event: { ...hit, metadata } };
    };
    if (p.exists === true) return [changed(undefined, 'absent'), changed(null, 'null')];
    if (p.exists === false) return [changed('contract', '"contract"')];
    const listed = p.in ?? [p.equals!];
    const value = [twinOf(listed[0]), ...listed.map((v) => `${v}-contract-miss`)].find((v) => !listed.includes(v))!;
    return [changed(value, JSON.stringify(value))];
  });
}

/** `event` sharing what `correlation` compares with `trigger`, where its own match allows it. */
function correlated(correlation: Correlation, match: EventMatch, trigger: AuditEventInputShape, event: AuditEventInputShape) {
  if (correlation === 'ACTOR' && (!match.actorType || (match.actorType as string[]).includes(trigger.actor.type))) {
    event.actor = { ...event.actor, type: trigger.actor.type };
  }
  if (correlation === 'RESOURCE' && (!match.resourceType || match.resourceType.some((p) => namePredicate(p)(trigger.resource.type)))) {
    event.resource = { ...event.resource, type: trigger.resource.type };
  }
  return event;
}

/** What tells the correlation keys apart: a field no match constrains, so a rekeyed event still matches. */
const KEY_FIELD: Record<Exclude<Correlation, 'TENANT'>, string> = { ACTOR: 'actor id', RESOURCE: 'resource id', IP: 'actor IP' };

/** `event` with another correlation key than the events built from a match: another actor id, resource id or IP. */
function rekeyed(correlation: Correlation, event: AuditEventInputShape): AuditEventInputShape {
  switch (correlation) {
    case 'ACTOR':
      return { ...event, actor: { ...event.actor, id: 'contract-actor-2' } };
    case 'RESOURCE':
      return { ...event, resource: { ...event.resource, id: 'contract-resource-2' } };
    case 'IP':
      return { ...event, actor: { ...event.actor, ip: '203.0.113.20' } };
    case 'TENANT':
      return event;
  }
}

/** `event` with the `i`-th value of a distinct key: another actor id, resource id or IP for each `i`. */
function distinctKey(key: DistinctKey, event: AuditEventInputShape, i: number): AuditEventInputShape {
  switch (key) {
    case 'ACTOR':
      return { ...event, actor: { ...event.actor, id: `contract-actor-${i + 1}` } };
    case 'RESOURCE':
      return { ...event, resource: { ...event.resource, id: `contract-resource-${i + 1}` } };
    case 'IP':
      return { ...event, actor: { ...event.actor, ip: `203.0.113.${(i % 250) + 1}` } };
  }
}

/** Events that differ from `hit` in one field the match constrains, each such that it cannot match. */
function missesOf(match: EventMatch, hit: AuditEventInputShape): { label: string; event: AuditEventInputShape }[] {
  const out: { label: string; event: AuditEventInputShape }[] = [];
  const add = (label: string, change: Partial<AuditEventInputShape>) => out.push({ label, event: { ...hit, ...change } });
  const unmatched = (patterns: readonly NamePattern[], candidates: string[]) =>
    candidates.find((name) => !patterns.some((p) => namePredicate(p)(name)));
  if (match.action) {
    const name = unmatched(match.action, ['contract.miss', 'zz.contract.miss', 'q']);
    if (name) add(`action "${name}"`, { action: name });
  }
  if (match.resourceType) {
    const name = unmatched(match.resourceType, ['contract_miss', 'zz.contract.miss', 'q']);
    if (name) add(`resource type "${name}"`, { resource: { ...hit.resource, type: name } });
  }
  const outcome = match.outcome && OUTCOME_STATUSES.find((s) => !match.outcome!.includes(s));
  if (outcome) add(`outcome ${outcome}`, { outcome: { status: OutcomeStatus[outcome] } });
  const severity = match.minSeverity ? SEVERITIES[SEVERITIES.indexOf(match.minSeverity) - 1] : undefined;
  if (severity) add(`severity ${severity}`, { severity: Severity[severity] });
  const rank = (c: string) => (CLASSIFICATION_LEVELS as readonly string[]).indexOf(c);
  const min = match.minClassification ? rank(match.minClassification) : 0;
  if (match.classification) {
    const outside = CLASSIFICATION_LEVELS.filter((c) => !match.classification!.includes(c));
    const level = outside.find((c) => rank(c) >= min) ?? outside[0];
    if (level) add(`classification ${level}`, { classification: Classification[level] });
  }
  if (min > 0) {
    const below = CLASSIFICATION_LEVELS.slice(0, min);
    const level = below.find((c) => match.classification?.includes(c)) ?? below[below.length - 1];
    add(`classification ${level}`, { classification: Classification[level] });
  }
  if (match.categories) add('categories (another one)', { categories: ['CONTRACT_OTHER_CATEGORY'] });
  const actorType = match.actorType && ACTOR_TYPES.find((t) => !match.actorType!.includes(t));
  if (actorType) add(`actor type ${actorType}`, { actor: { ...hit.actor, type: ActorType[actorType] } });
  out.push(...metadataMisses(match, hit));
  return out;
}

/** RATIO: how many population events `plugin check` records, so that one short of the threshold differs. */
const RATIO_POPULATION = 20;

/** RATIO: an event of `population` that also `qualifying` accepts, from the values both allow. */
function qualifyingFrom(population: EventMatch, qualifying: EventMatch, at: number): AuditEventInputShape {
  const common = <T>(a: T[] | undefined, b: T[] | undefined): T[] | undefined => (a && b ? a.filter((x) => b.includes(x)) : (a ?? b));
  const name = (a: readonly NamePattern[] | undefined, b: readonly NamePattern[] | undefined, fallback: string) =>
    [nameFrom(a, fallback), nameFrom(b, fallback)].find((n) => [a, b].every((p) => !p || p.some((x) => namePredicate(x)(n)))) ??
    nameFrom(a, fallback);
  const rank = (x: readonly string[], v: string | undefined) => (v === undefined ? -1 : x.indexOf(v));
  const both: EventMatch = {
    ...population,
    ...qualifying,
    outcome: common(population.outcome, qualifying.outcome),
    actorType: common(population.actorType, qualifying.actorType),
    classification: common(population.classification, qualifying.classification),
    minSeverity:
      rank(SEVERITIES, population.minSeverity) > rank(SEVERITIES, qualifying.minSeverity) ? population.minSeverity : qualifying.minSeverity,
    minClassification:
      rank(CLASSIFICATION_LEVELS, population.minClassification) > rank(CLASSIFICATION_LEVELS, qualifying.minClassification)
        ? population.minClassification
        : qualifying.minClassification,
    metadata: [...(population.metadata ?? []), ...(qualifying.metadata ?? [])],
  };
  const event = eventFrom(both, at);
  event.action = name(population.action, qualifying.action, 'contract.event');
  event.resource = { ...event.resource, type: name(population.resourceType, qualifying.resourceType, 'contract_resource') };
  event.categories = [...new Set([population.categories?.[0], qualifying.categories?.[0]].filter((c): c is string => !!c))];
  if (!both.metadata?.length) delete event.metadata;
  return event;
}

/** RATIO: events that differ from a qualifying one where `qualifying` is tested (metadata left out too); some stay in the population. */
function unqualifiedFrom(qualifying: EventMatch, hit: AuditEventInputShape): AuditEventInputShape[] {
  const { metadata: _metadata, ...plain } = hit;
  return [...missesOf(qualifying, hit).map((m) => m.event), ...(qualifying.metadata ? [plain] : [])];
}

/** The failures of one rule, as sentences that follow its name. */
async function exercise(sandbox: Sandbox, rule: EventRule): Promise<{ errors: string[]; warnings: string[] }> {
  const errors: string[] = [];
  const now = sandbox.now;
  const never = (what: string, e: AuditEventInputShape) =>
    `never matches the event built from its own ${what} (${summary(e)}): as written, no event can satisfy every field`;

  /** A match counts the event built from it and none of the events built to miss it. */
  const matchWorks = async (match: EventMatch, what: string, at: number): Promise<boolean> => {
    const hit = eventFrom(match, at);
    if ((await sandbox.matched(match, [hit], at - DAY)).count !== 1) {
      errors.push(never(what, hit));
      return false;
    }
    const misses = missesOf(match, hit);
    if (!misses.length) return true;
    const { count, samples } = await sandbox.matched(
      match,
      misses.map((m) => m.event),
      at - DAY,
    );
    if (count > 0) {
      const labels = [...new Set(samples.map((sequence) => misses[sequence - 1]?.label).filter(Boolean))];
      errors.push(
        `counts an event its ${what} must reject, one that differs from a match only in ${labels.join(' or ')}: that field is not applied`,
      );
    }
    return count === 0;
  };

  /**
   * BURST with a response: a burst answered by a response of the same key exactly `response.within`
   * after its completing event, or at the instant of its first event; a second later, a second
   * before the first event, or of another key, it is not.
   */
  const burstResponse = async (rule: BurstRule, response: BurstResponse, spacing: number): Promise<void> => {
    const late = durationMs(response.within);
    const at = now - durationMs(rule.within) - late - HOUR;
    if (!(await matchWorks(response.match, 'response', at))) return;
    const burst = Array.from({ length: rule.count }, (_, i) => eventFrom(rule.match, at + i * spacing));
    const completing = at + (rule.count - 1) * spacing;
    const judged = async (answer: AuditEventInputShape) => {
      const m = await sandbox.measure(rule, [...burst, answer], at - DAY);
      const r = m.kind === 'BURST' ? m.response : undefined;
      return {
        answered: r?.answered ?? 0,
        unanswered: r?.unanswered ?? 0,
        counts: `${r?.answered ?? 0} answered, ${r?.unanswered ?? 0} not`,
      };
    };
    const by = `of the same ${rule.correlation.toLowerCase()}`;
    const exact = await judged(eventFrom(response.match, completing + late));
    if (exact.answered !== 1 || exact.unanswered !== 0) {
      errors.push(
        `does not count a burst answered by a response ${by} exactly ${durationText(response.within)} after its completing event ` +
          `as answered, though the window includes its end (${exact.counts}; expected 1 answered)`,
      );
    }
    const first = await judged(eventFrom(response.match, at));
    if (first.answered !== 1 || first.unanswered !== 0) {
      errors.push(
        `does not count a response ${by} at the instant of the burst's first event as answering it (${first.counts}; expected 1 answered)`,
      );
    }
    const after = await judged(eventFrom(response.match, completing + late + SECOND));
    if (after.answered !== 0 || after.unanswered !== 1) {
      errors.push(
        `counts a response one second after the ${durationText(response.within)} response window as answering the burst (${after.counts}; expected 1 not answered)`,
      );
    }
    const before = await judged(eventFrom(response.match, at - SECOND));
    if (before.answered !== 0 || before.unanswered !== 1) {
      errors.push(
        `counts a response one second before the burst's first event as answering it (${before.counts}; expected 1 not answered)`,
      );
    }
    if (rule.correlation !== 'TENANT') {
      const other = await judged(rekeyed(rule.correlation, eventFrom(response.match, completing)));
      if (other.answered !== 0 || other.unanswered !== 1) {
        errors.push(
          `counts a response of another ${rule.correlation.toLowerCase()} (another ${KEY_FIELD[rule.correlation]}) as answering the burst ` +
            `(${other.counts}; expected 1 not answered)`,
        );
      }
    }
  };

  if ('count' in rule && rule.count > MAX_EVENTS) {
    return { errors, warnings: [`not exercised: count ${rule.count} is above the ${MAX_EVENTS} events the contract records`] };
  }
  if ('within' in rule && durationMs(rule.within) > MAX_WINDOW) {
    return { errors, warnings: [`not exercised: a window of ${durationText(rule.within)} is longer than a century`] };
  }

  if (rule.kind === 'MAX_GAP' && durationMs(rule.maxGap) > MAX_WINDOW) {
    return { errors, warnings: [`not exercised: a gap of ${durationText(rule.maxGap)} is longer than a century`] };
  }

  switch (rule.kind) {
    case 'MATCH':
      await matchWorks(rule.match, 'match', now - 7 * DAY);
      break;
    case 'AT_LEAST': {
      const at = periodStart('DAY', new Date(now - 7 * DAY)).getTime() + 12 * HOUR;
      if (!(await matchWorks(rule.match, 'match', at))) break;
      const start = periodStart(rule.period, new Date(at));
      const end = nextPeriodStart(rule.period, start);
      // With `distinct`, each event of another key (actor id, resource id, IP).
      const events = Array.from({ length: rule.count }, (_, i) =>
        rule.distinct ? distinctKey(rule.distinct, eventFrom(rule.match, at + i), i) : eventFrom(rule.match, at + i),
      );
      const { measure, firstEvent } = await sandbox.measureWithStart(rule, events, start.getTime(), end.getTime());
      const day = new Date(at).toISOString().slice(0, 10);
      const total = (m: typeof measure) => (m.kind === 'AT_LEAST' ? [...m.byDay.values()].reduce((a, b) => a + b, 0) : 0);
      const counted = rule.distinct ? total(measure) : measure.kind === 'AT_LEAST' ? (measure.byDay.get(day) ?? 0) : 0;
      const what = rule.distinct ? `distinct ${KEY_FIELD[rule.distinct]}s of matching events` : 'matching events';
      if (counted !== rule.count) {
        errors.push(`counts ${counted} of ${rule.count} ${what} recorded on ${day}`);
        break;
      }
      const outcome = evaluateRule(rule, 'EVIDENCE', measure, { from: start, end, firstEvent });
      if (outcome.verdict !== 'MET') {
        errors.push(`is not met by ${rule.count} ${what} in one ${rule.period.toLowerCase()}: ${outcome.detail}`);
      }
      // Near miss: as many events, all of one key, are one key.
      if (rule.distinct && rule.count >= 2) {
        const same = Array.from({ length: rule.count }, (_, i) => eventFrom(rule.match, at + i));
        const one = await sandbox.measureWithStart(rule, same, start.getTime(), end.getTime());
        if (total(one.measure) !== 1) {
          errors.push(
            `counts ${total(one.measure)} distinct ${KEY_FIELD[rule.distinct]}s, not 1, in ${rule.count} matching events with one ${KEY_FIELD[rule.distinct]}`,
          );
        }
      }
      break;
    }
    case 'NOT_FOLLOWED_BY':
    case 'FOLLOWED_BY': {
      const window = durationMs(rule.within);
      const at = now - window - 2 * HOUR;
      if (!(await matchWorks(rule.trigger, 'trigger', at)) || !(await matchWorks(rule.followUp, 'followUp', at))) break;
      const trigger = eventFrom(rule.trigger, at);
      const followUp = correlated(rule.correlation, rule.followUp, trigger, eventFrom(rule.followUp, at + Math.floor(window / 2)));
      const followed = await sandbox.measure(rule, [trigger, followUp], at - DAY);
      const answered = (followed.kind === 'NOT_FOLLOWED_BY' || followed.kind === 'FOLLOWED_BY') && followed.followed >= 1;
      if (!answered) {
        errors.push(
          `does not count a trigger followed within ${durationText(rule.within)} by a follow-up of the same ${rule.correlation.toLowerCase()} as followed ` +
            `(trigger: ${summary(trigger)}; follow-up: ${summary(followUp)})`,
        );
      }
      const lone = await sandbox.measure(rule, [eventFrom(rule.trigger, now - window - HOUR)], at - DAY);
      if (lone.kind === 'NOT_FOLLOWED_BY' && (lone.overdue !== 1 || lone.followed !== 0)) {
        errors.push(
          `does not count a lone trigger older than ${durationText(rule.within)} as overdue (${lone.triggers} trigger, ${lone.overdue} overdue)`,
        );
      }
      if (lone.kind === 'FOLLOWED_BY' && (lone.cleared !== 1 || lone.followed !== 0)) {
        errors.push(
          `does not clear a lone trigger older than ${durationText(rule.within)} (${lone.triggers} trigger, ${lone.cleared} cleared)`,
        );
      }
      // The near misses need a follow-up that can answer at all.
      if (!answered) break;
      const late = rule.kind === 'NOT_FOLLOWED_BY' ? 'overdue' : 'cleared';
      /**
       * The trigger at `at` with one follow-up, as "followed" or not; the range ends a second after
       * the trigger, so a follow-up that also matches the trigger is not judged as one itself.
       */
      const judged = async (next: AuditEventInputShape) => {
        const m = await sandbox.measure(rule, [trigger, next], at - DAY, at + SECOND);
        if (m.kind !== 'NOT_FOLLOWED_BY' && m.kind !== 'FOLLOWED_BY') return { followed: false, counts: '' };
        const unanswered = m.kind === 'NOT_FOLLOWED_BY' ? m.overdue : m.cleared;
        const counts = `${m.triggers} trigger, ${m.followed} followed, ${unanswered} ${late}`;
        if (m.triggers === 1 && m.followed === 1 && unanswered === 0) return { followed: true, counts };
        return { followed: m.triggers === 1 && m.followed === 0 && unanswered === 1 ? false : null, counts };
      };
      const shifted = (ms: number) => ({ ...followUp, occurredAt: new Date(at + ms).toISOString() });
      // A closed window: a follow-up exactly `within` after the trigger answers it, one a second later does not.
      const exact = await judged(shifted(window));
      if (exact.followed !== true) {
        errors.push(
          `does not count a trigger followed exactly ${durationText(rule.within)} later by a follow-up of the same ${rule.correlation.toLowerCase()} ` +
            `as followed, though the window includes its end (${exact.counts}; expected 1 followed, 0 ${late})`,
        );
      }
      const after = await judged(shifted(window + SECOND));
      if (after.followed !== false) {
        errors.push(
          `counts a follow-up one second after the ${durationText(rule.within)} window as an answer to the trigger ` +
            `(${after.counts}; expected 0 followed, 1 ${late})`,
        );
      }
      if (rule.correlation !== 'TENANT') {
        const other = await judged(rekeyed(rule.correlation, followUp));
        if (other.followed !== false) {
          errors.push(
            `counts a follow-up of another ${rule.correlation.toLowerCase()} (another ${KEY_FIELD[rule.correlation]}) within ${durationText(rule.within)} ` +
              `as an answer to the trigger (${other.counts}; expected 0 followed, 1 ${late})`,
          );
        }
      }
      break;
    }
    case 'NOT_PRECEDED_BY': {
      const window = durationMs(rule.within);
      const at = now - HOUR;
      if (!(await matchWorks(rule.trigger, 'trigger', at)) || !(await matchWorks(rule.precededBy, 'precededBy', at))) break;
      const trigger = eventFrom(rule.trigger, at);
      const prior = correlated(rule.correlation, rule.precededBy, trigger, eventFrom(rule.precededBy, at - Math.floor(window / 2)));
      const preceded = await sandbox.measure(rule, [prior, trigger], at - DAY);
      const answered = preceded.kind === 'NOT_PRECEDED_BY' && preceded.preceded >= 1;
      if (!answered) {
        errors.push(
          `does not count a trigger preceded within ${durationText(rule.within)} by an event of the same ${rule.correlation.toLowerCase()} as preceded ` +
            `(preceding: ${summary(prior)}; trigger: ${summary(trigger)})`,
        );
      }
      const lone = await sandbox.measure(rule, [trigger], at - DAY);
      if (lone.kind === 'NOT_PRECEDED_BY' && (lone.notPreceded !== 1 || lone.preceded !== 0)) {
        errors.push(`does not count a lone trigger as not preceded (${lone.triggers} trigger, ${lone.notPreceded} not preceded)`);
      }
      if (!answered) break;
      /**
       * The trigger at `at` after one earlier event, as "preceded" or not. The range starts two
       * seconds before the trigger, so the earlier event (at least half a minute before) is not
       * judged as a trigger itself, while the query still reads a window back from the range start.
       */
      const judged = async (before: AuditEventInputShape) => {
        const m = await sandbox.measure(rule, [before, trigger], at - 2 * SECOND);
        if (m.kind !== 'NOT_PRECEDED_BY') return { preceded: false, counts: '' };
        const counts = `${m.triggers} trigger, ${m.preceded} preceded, ${m.notPreceded} not preceded`;
        if (m.triggers === 1 && m.preceded === 1) return { preceded: true, counts };
        return { preceded: m.triggers === 1 && m.notPreceded === 1 ? false : null, counts };
      };
      const shifted = (ms: number) => ({ ...prior, occurredAt: new Date(at - ms).toISOString() });
      // A closed window: an event exactly `within` before the trigger precedes it, one a second earlier does not.
      const exact = await judged(shifted(window));
      if (exact.preceded !== true) {
        errors.push(
          `does not count a trigger preceded exactly ${durationText(rule.within)} earlier by an event of the same ${rule.correlation.toLowerCase()} ` +
            `as preceded, though the window includes its start (${exact.counts}; expected 1 preceded)`,
        );
      }
      const before = await judged(shifted(window + SECOND));
      if (before.preceded !== false) {
        errors.push(
          `counts an event one second before the ${durationText(rule.within)} window as preceding the trigger (${before.counts}; expected 1 not preceded)`,
        );
      }
      if (rule.correlation !== 'TENANT') {
        const other = await judged(rekeyed(rule.correlation, prior));
        if (other.preceded !== false) {
          errors.push(
            `counts an event of another ${rule.correlation.toLowerCase()} (another ${KEY_FIELD[rule.correlation]}) within ${durationText(rule.within)} ` +
              `before the trigger as preceding it (${other.counts}; expected 1 not preceded)`,
          );
        }
      }
      break;
    }
    case 'BURST': {
      const window = durationMs(rule.within);
      const at = now - window - HOUR;
      if (!(await matchWorks(rule.match, 'match', at))) break;
      const spacing = Math.floor(window / (2 * rule.count));
      const events = Array.from({ length: rule.count }, (_, i) => eventFrom(rule.match, at + i * spacing));
      const by = `one ${rule.correlation.toLowerCase()}`;
      const full = await sandbox.measure(rule, events, at - DAY);
      if (full.kind === 'BURST' && full.keys !== 1) {
        errors.push(`finds ${full.keys} bursts, not 1, in ${rule.count} matching events of ${by} within ${durationText(rule.within)}`);
      }
      const short = await sandbox.measure(rule, events.slice(0, -1), at - DAY);
      if (short.kind === 'BURST' && short.keys !== 0) {
        errors.push(`already finds a burst in ${rule.count - 1} matching events of ${by} (count is ${rule.count})`);
      }
      // The near misses need a burst that is found at all, and a count that spreads over time.
      if (full.kind !== 'BURST' || full.keys !== 1 || rule.count < 2) break;
      /** `count` events from `at` to `at + span`, evenly apart (divided first: a century times 10,000 is past exact integers). */
      const spread = (span: number) =>
        Array.from({ length: rule.count }, (_, i) =>
          eventFrom(rule.match, at + (i === rule.count - 1 ? span : Math.floor((span / (rule.count - 1)) * i))),
        );
      // A closed window: `count` events from first to last exactly `within` are a burst, a second more are not.
      const exact = await sandbox.measure(rule, spread(window), at - DAY);
      if (exact.kind === 'BURST' && exact.keys !== 1) {
        errors.push(
          `finds ${exact.keys} bursts, not 1, in ${rule.count} matching events of ${by} whose first and last are exactly ${durationText(rule.within)} apart`,
        );
      }
      const wide = await sandbox.measure(rule, spread(window + SECOND), at - DAY);
      if (wide.kind === 'BURST' && wide.keys !== 0) {
        errors.push(
          `finds ${wide.keys} bursts, not 0, in ${rule.count} matching events of ${by} whose first and last are ${durationText(rule.within)} and one second apart`,
        );
      }
      if (rule.correlation !== 'TENANT') {
        const split = await sandbox.measure(
          rule,
          events.map((e, i) => (i % 2 ? rekeyed(rule.correlation, e) : e)),
          at - DAY,
        );
        if (split.kind === 'BURST' && split.keys !== 0) {
          errors.push(
            `finds ${split.keys} bursts, not 0, in ${rule.count} matching events within ${durationText(rule.within)} split between two ` +
              `correlation keys (two ${KEY_FIELD[rule.correlation]}s)`,
          );
        }
      }
      if (rule.response) await burstResponse(rule, rule.response, spacing);
      break;
    }
    case 'MAX_GAP': {
      // A closed range of two gaps: events exactly one gap apart hold, a second more is too long.
      const gap = durationMs(rule.maxGap);
      const start = periodStart('DAY', new Date(now - 2 * gap - 2 * DAY)).getTime();
      if (!(await matchWorks(rule.match, 'match', start + HOUR))) break;
      const end = start + 2 * gap;
      const exact = await sandbox.measure(rule, [eventFrom(rule.match, start), eventFrom(rule.match, start + gap)], start, end);
      if (exact.kind === 'MAX_GAP' && (exact.longGaps !== 0 || exact.tested !== 3)) {
        errors.push(
          `finds ${exact.longGaps} of ${exact.tested} stretches too long in a range where matching events are exactly ${durationText(rule.maxGap)} apart (expected 0 of 3)`,
        );
      }
      const late = await sandbox.measure(rule, [eventFrom(rule.match, start), eventFrom(rule.match, start + gap + SECOND)], start, end);
      if (late.kind === 'MAX_GAP' && late.longGaps !== 1) {
        errors.push(
          `finds ${late.longGaps} stretches, not 1, too long when the next matching event comes one second after ${durationText(rule.maxGap)}`,
        );
      }
      break;
    }
    case 'RECENT': {
      // The window reaches back `within` from the range's end, before the range's start: `count`
      // events exactly `within` before the end count, a second earlier or at the end itself do not.
      const window = durationMs(rule.within);
      const end = periodStart('DAY', new Date(now - 2 * DAY)).getTime();
      const from = end - Math.min(DAY, window);
      if (!(await matchWorks(rule.match, 'match', end - HOUR))) break;
      const at = (instant: number) => Array.from({ length: rule.count }, () => eventFrom(rule.match, instant));
      const counted = async (instant: number) => {
        const m = await sandbox.measure(rule, at(instant), from, end);
        return m.kind === 'RECENT' ? m.events : -1;
      };
      const exact = await counted(end - window);
      if (exact !== rule.count) {
        errors.push(
          `counts ${exact} of ${rule.count} matching events exactly ${durationText(rule.within)} before the end, though the window includes its start`,
        );
      }
      const early = await counted(end - window - SECOND);
      if (early !== 0) {
        errors.push(`counts ${early} matching events one second before the ${durationText(rule.within)} window (expected 0)`);
      }
      const atEnd = await counted(end);
      if (atEnd !== 0) errors.push(`counts ${atEnd} matching events at the end of the range, which the window excludes (expected 0)`);
      const measure = await sandbox.measure(rule, at(end - HOUR), from, end);
      const outcome = evaluateRule(rule, 'EVIDENCE', measure, { from: new Date(from), end: new Date(end), firstEvent: null });
      if (outcome.verdict !== 'MET') errors.push(`is not met by ${rule.count} matching events an hour before the end: ${outcome.detail}`);
      break;
    }
    case 'RATIO': {
      // N population events of which exactly ⌈atLeast · N⌉ qualify meet the threshold; one fewer does not.
      const at = now - 7 * DAY;
      if (!(await matchWorks(rule.population, 'population', at))) break;
      const hit = qualifyingFrom(rule.population, rule.qualifying, at);
      const alone = await sandbox.measure(rule, [hit], at - DAY);
      if (alone.kind === 'RATIO' && (alone.population !== 1 || alone.qualifying !== 1)) {
        errors.push(never('population and qualifying', hit));
        break;
      }
      // Which of the events built to miss `qualifying` stay in the population: the shortfall's samples say.
      const candidates = unqualifiedFrom(rule.qualifying, hit);
      // Event by event, also for `distinct` (whose keys would hide which event missed).
      const byEvent: EventRule = { ...rule, distinct: undefined };
      const probe = candidates.length ? await sandbox.measure(byEvent, candidates, at - DAY) : null;
      const miss = probe?.kind === 'RATIO' && probe.qualifying === 0 ? candidates[(probe.samples.short[0] ?? 0) - 1] : undefined;
      const required = ratioRequired(rule.atLeast, RATIO_POPULATION);
      const scenario = async (qualified: number) => {
        // With `distinct`, each event of a key of its own: the population is then as many keys.
        const events = Array.from({ length: RATIO_POPULATION }, (_, i) => {
          const event = { ...(i < qualified ? hit : miss!), occurredAt: new Date(at + i * SECOND).toISOString() };
          return rule.distinct ? distinctKey(rule.distinct, event, i) : event;
        });
        const measure = await sandbox.measure(rule, events, at - DAY);
        return {
          measure,
          outcome: evaluateRule(rule, 'EVIDENCE', measure, { from: new Date(at - DAY), end: new Date(now), firstEvent: null }),
        };
      };
      if (!miss) {
        return {
          errors,
          warnings: [
            'not exercised below the threshold: no event built to miss qualifying stays in the population, so the share is always 100 %',
          ],
        };
      }
      const met = await scenario(required);
      if (met.measure.kind === 'RATIO' && (met.outcome.verdict !== 'MET' || met.measure.qualifying !== required)) {
        errors.push(`is not met when ${required} of ${RATIO_POPULATION} population events qualify: ${met.outcome.detail}`);
      }
      if (required > 0) {
        const short = await scenario(required - 1);
        const expected = required - 1 === 0 ? 'NONE' : 'PARTIAL';
        if (short.measure.kind === 'RATIO' && short.outcome.verdict !== expected) {
          errors.push(
            `is ${short.outcome.verdict}, not ${expected}, when ${required - 1} of ${RATIO_POPULATION} population events qualify: ${short.outcome.detail}`,
          );
        }
      }
      // Near miss: a key with one qualifying population event and one that is not does not qualify.
      if (rule.distinct) {
        const mixed = await sandbox.measure(rule, [hit, { ...miss, occurredAt: new Date(at + SECOND).toISOString() }], at - DAY);
        if (mixed.kind === 'RATIO' && (mixed.population !== 1 || mixed.qualifying !== 0)) {
          errors.push(
            `counts ${mixed.qualifying} of ${mixed.population} keys as qualifying, not 0 of 1, for one ${KEY_FIELD[rule.distinct]} with a qualifying population event and one that does not qualify`,
          );
        }
      }
      break;
    }
  }
  return { errors, warnings: [] };
}

/** e. Every rule against a real database; classification rules through the real ingest path. */
export async function behaviourProblems(plugin: FrameworkPlugin<unknown>): Promise<ContractProblem[]> {
  const problems = await Sandbox.with(Date.now(), async (sandbox) => {
    const found: ContractProblem[] = [];
    for (const { rule, path, name } of rulesOf(plugin)) {
      let result: { errors: string[]; warnings: string[] };
      try {
        result = await exercise(sandbox, rule);
      } catch (e) {
        result = { errors: [e instanceof RuleRefused ? e.message : `could not be measured: ${messageOf(e)}`], warnings: [] };
      }
      found.push(...result.errors.map((m) => error(path, `${name} ${m}`)));
      found.push(...result.warnings.map((m): ContractProblem => ({ level: 'warning', path, message: `${name}: ${m}` })));
    }
    return found;
  });
  return [...problems, ...classificationProblems(plugin)];
}

/** An event built from a classification rule's own patterns, left unclassified, gets its level and categories. */
function classificationProblems(plugin: FrameworkPlugin<unknown>): ContractProblem[] {
  const classify = classifierOf(plugin);
  const rank = (c: string) => (CLASSIFICATION_LEVELS as readonly string[]).indexOf(c);
  return (plugin.catalog.classificationRules ?? []).flatMap((rule, i): ContractProblem[] => {
    const path = `catalog.classificationRules[${i}]`;
    const name = `classification rule "${rule.id}"`;
    const problems: ContractProblem[] = [];
    if (rule.classification && rank(rule.classification) <= rank('INTERNAL')) {
      problems.push({
        level: 'warning',
        path: `${path}.classification`,
        message: `${name}: ${rule.classification} never applies, a rule only raises an unclassified event above the default INTERNAL`,
      });
    }
    const input: AuditEventInputShape = {
      occurredAt: new Date().toISOString(),
      actor: { id: 'contract-actor', type: ActorType.USER },
      action: nameFrom(rule.action, 'contract.event'),
      resource: { type: nameFrom(rule.resourceType, 'contract_resource'), id: 'contract-resource-1' },
      outcome: { status: OutcomeStatus.SUCCESS },
    };
    let payload: EventPayload;
    try {
      [{ payload }] = prepare([input], Date.now(), classify);
    } catch (e) {
      if (!(e instanceof RuleRefused)) throw e;
      return [...problems, error(path, `${name} ${e.message}`)];
    }
    const got = `got ${payload.classification}${payload.categories.length ? `, ${payload.categories.join(', ')}` : ''}`;
    if (rule.classification && rank(rule.classification) > rank('INTERNAL') && rank(payload.classification) < rank(rule.classification)) {
      problems.push(
        error(
          path,
          `${name} does not raise an event built from its own patterns (action "${input.action}", resource type "${input.resource.type}") to ${rule.classification}: ${got}`,
        ),
      );
    }
    const missing = (rule.categories ?? []).filter((c) => !payload.categories.includes(c));
    if (missing.length) {
      problems.push(error(path, `${name} does not add ${missing.join(', ')} to an event built from its own patterns: ${got}`));
    }
    return problems;
  });
}
