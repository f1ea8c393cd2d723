import {
  ACTOR_TYPES,
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
    const keys = p.path.split('.');
    let at = root;
    for (const key of keys.slice(0, -1)) {
      if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
      at = at[key] as Record<string, unknown>;
    }
    at[keys[keys.length - 1]] = p.exists ? 'contract' : (p.in?.[0] ?? p.equals);
  }
  return root;
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
      const events = Array.from({ length: rule.count }, (_, i) => eventFrom(rule.match, at + i));
      const { measure, firstEvent } = await sandbox.measureWithStart(rule, events, start.getTime(), end.getTime());
      const day = new Date(at).toISOString().slice(0, 10);
      const counted = measure.kind === 'AT_LEAST' ? (measure.byDay.get(day) ?? 0) : 0;
      if (counted !== rule.count) {
        errors.push(`counts ${counted} of ${rule.count} matching events recorded on ${day}`);
        break;
      }
      const outcome = evaluateRule(rule, 'EVIDENCE', measure, { from: start, end, firstEvent });
      if (outcome.verdict !== 'MET') {
        errors.push(`is not met by ${rule.count} matching events in one ${rule.period.toLowerCase()}: ${outcome.detail}`);
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
      if ((followed.kind === 'NOT_FOLLOWED_BY' || followed.kind === 'FOLLOWED_BY') && followed.followed < 1) {
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
      break;
    }
    case 'NOT_PRECEDED_BY': {
      const window = durationMs(rule.within);
      const at = now - HOUR;
      if (!(await matchWorks(rule.trigger, 'trigger', at)) || !(await matchWorks(rule.precededBy, 'precededBy', at))) break;
      const trigger = eventFrom(rule.trigger, at);
      const prior = correlated(rule.correlation, rule.precededBy, trigger, eventFrom(rule.precededBy, at - Math.floor(window / 2)));
      const preceded = await sandbox.measure(rule, [prior, trigger], at - DAY);
      if (preceded.kind === 'NOT_PRECEDED_BY' && preceded.preceded < 1) {
        errors.push(
          `does not count a trigger preceded within ${durationText(rule.within)} by an event of the same ${rule.correlation.toLowerCase()} as preceded ` +
            `(preceding: ${summary(prior)}; trigger: ${summary(trigger)})`,
        );
      }
      const lone = await sandbox.measure(rule, [trigger], at - DAY);
      if (lone.kind === 'NOT_PRECEDED_BY' && (lone.notPreceded !== 1 || lone.preceded !== 0)) {
        errors.push(`does not count a lone trigger as not preceded (${lone.triggers} trigger, ${lone.notPreceded} not preceded)`);
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
      const probe = candidates.length ? await sandbox.measure(rule, candidates, at - DAY) : null;
      const miss = probe?.kind === 'RATIO' && probe.qualifying === 0 ? candidates[(probe.samples.short[0] ?? 0) - 1] : undefined;
      const required = ratioRequired(rule.atLeast, RATIO_POPULATION);
      const scenario = async (qualified: number) => {
        const events = Array.from({ length: RATIO_POPULATION }, (_, i) => ({
          ...(i < qualified ? hit : miss!),
          occurredAt: new Date(at + i * SECOND).toISOString(),
        }));
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
