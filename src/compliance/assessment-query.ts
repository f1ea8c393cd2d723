import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import type { Control, Correlation, Duration, EventMatch, EventRule, MetadataPredicate } from '../plugin-api';
import type { SqliteReader } from '../database/sqlite-reader';
import { fromSqlDateTime, toNumber, toSqlDateTime } from '../database/sql-format';
import type { RuleMeasure, RuleRole } from './assessment';
import { joinSql, prefixUpperBound, type Sql, sql } from '../database/sql';
import { PRUNE_STATE_SQL, pruneStateOf, type PruneState } from '../chain/prune-state';
import { headOf, headStatement } from '../chain/chain-head';
import { GENESIS_CHAIN_HASH } from '../chain/hashing';
import { actionRanged, type CategoryTest, RuleSql } from './rule-sql';
import { periodsBetween } from './periods';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { type FacetLookup, NO_FACETS } from '../audit/metadata-facet-index';
import { FACET_KIND, predicatesIn } from '../audit/metadata-facets';
import { retryPolicyOf, retryTransient } from '../database/transient-retry';

/** The scope every measurement of one assessment shares: a tenant, a time range, a chain head. */
export interface MeasureScope {
  tenantId: string;
  from: Date;
  /** Exclusive; null: every event up to the head, whatever its time. */
  to: Date | null;
  /** Deadlines of temporal rules are judged against this instant (the assessment's as-of). */
  now: Date;
  /**
   * Only events recorded by this instant count (ADR 0034): the numbers describe the chain as it
   * stood then, so a closed period gives the same answer whatever arrives later. Null: up to the head.
   */
  recordedBy: Date | null;
  /** EVIDENCE_RECORDING_LAG_MINUTES: a follow-up recorded later than this after it occurred is not timely. */
  lag: Duration;
}

/** The chain head an assessment describes and when the tenant's trail begins. */
export interface Snapshot {
  headSequence: number;
  headChainHash: string | null;
  /** Day (`YYYY-MM-DD`) of the tenant's earliest event; null without events. */
  firstDay: string | null;
  /** What retention pruned of the chain (ADR 0043), read with the head; null when nothing was. */
  pruned: PruneState | null;
}

/** One rule of one control. */
export interface PlannedRule {
  controlId: string;
  role: RuleRole;
  rule: EventRule;
}

type DayCounts = { days: Map<string, number>; hi: number | null; lo: number | null };
/**
 * The events a counted rule sums: those matching every match of `all` and, with `not`, not that
 * one. MATCH and AT_LEAST count one match; RATIO its population that qualifies and that does not.
 * A rollup row holds events alike in every column a match tests, so the conjunction is exact there too.
 */
export type CountedSet = { all: readonly EventMatch[]; not?: EventMatch };

/** Which deviations of a rule to list (deviations()): at most `limit`, newest first; `only`: among these sequences. */
export interface Listing {
  limit: number;
  only?: readonly number[];
  /**
   * BURST: with `only`, those of the sequences that complete a burst window at all, rather than
   * those that first complete one for their key in the range — whether an event can name a burst
   * finding in some range, not which one this range names.
   */
  anyWindow?: boolean;
}

const v = (value: unknown): Sql => ({ text: '?', params: [value] });
/** ` AND alias.sequence IN (…)` when a listing is restricted to some sequences. */
const only = (alias: string, list: Listing | undefined): Sql | string =>
  list?.only ? sql` AND ${alias}.sequence IN (${joinSql(list.only.map(v), ', ')})` : '';
/** MAX_GAP: how many over-long stretches an outcome names, with their start and end. */
const MAX_GAPS_LISTED = 6;
const setKey = (set: CountedSet) => JSON.stringify([set.all, set.not ?? null]);
/** The counted sets of a MATCH, AT_LEAST or RATIO rule, in that order of its measure. */
const countedSets = (rule: EventRule): CountedSet[] =>
  rule.kind === 'RATIO'
    ? [{ all: [rule.population, rule.qualifying] }, { all: [rule.population], not: rule.qualifying }]
    : [{ all: [(rule as { match: EventMatch }).match] }];
const DAY_MS = 86_400_000;
const dayOf = (date: Date) => date.toISOString().slice(0, 10);
const dayStart = (date: Date) => new Date(Math.floor(date.getTime() / DAY_MS) * DAY_MS);
export const durationMs = (duration: Duration): number => {
  const [unit, amount] = Object.entries(duration)[0] as ['minutes' | 'hours' | 'days', number];
  return Math.trunc(amount) * { minutes: 60_000, hours: 3_600_000, days: DAY_MS }[unit];
};

/**
 * Up to this many triggers in range, a NOT_FOLLOWED_BY or FOLLOWED_BY rule probes forward from each
 * trigger through an index (followProbeSql) rather than running one window over every candidate
 * follow-up (notFollowedBySql); both give the same answer (ADR 0045, amended 2026-12-04).
 */
export const FOLLOW_PROBE_TRIGGERS = 20_000;
/**
 * …and when the follow-ups that could answer them (counted through the action index) are more than
 * this many per trigger: a probe costs a few index dives, the window a sort of every candidate.
 */
export const FOLLOW_PROBE_RATIO = 8;
/** A match is narrowed to the actions its rollup rows hold (narrowActions) when they are at most this many. */
export const NARROW_MAX_ACTIONS = 64;

/**
 * A counted set with each metadata predicate whose value is a constant (`constant` gives it, or null
 * when the predicate must be tested) replaced by it: a match with a false predicate selects nothing,
 * a true predicate is dropped. Null: the set counts no event (a match of `all` selects nothing); a
 * `not` that selects nothing is dropped. A match left without metadata has no `metadata` key, so the
 * set is one the rollup can sum (ADR 0057).
 */
export function foldConstantFacets(set: CountedSet, constant: (p: MetadataPredicate) => boolean | null): CountedSet | null {
  const fold = (m: EventMatch): EventMatch | null => {
    if (!m.metadata) return m;
    const values = m.metadata.map(constant);
    if (values.includes(false)) return null;
    const { metadata, ...rest } = m;
    const left = metadata.filter((_, i) => values[i] === null);
    return left.length ? { ...rest, metadata: left } : rest;
  };
  const all = set.all.map(fold);
  if (all.includes(null)) return null;
  const not = set.not && fold(set.not);
  return not ? { all: all as EventMatch[], not } : { all: all as EventMatch[] };
}

/** NOT_FOLLOWED_BY and FOLLOWED_BY measure the same thing: whether each trigger was followed in time. */
type FollowRule = EventRule & { kind: 'NOT_FOLLOWED_BY' | 'FOLLOWED_BY' };
type PrecedeRule = EventRule & { kind: 'NOT_PRECEDED_BY' };

/** Both matches name their actions exactly and share none: no event matches both. */
function disjointActions(one: EventMatch, other: EventMatch): boolean {
  const names = (patterns: EventMatch['action']) => (patterns?.every((p) => 'equals' in p) ? new Set(patterns.map((p) => p.equals)) : null);
  const first = names(one.action);
  const second = names(other.action);
  return !!first && !!second && [...first].every((name) => !second.has(name));
}

/** NOT_PRECEDED_BY rules by trigger, preceding event and correlation: each group is one statement. */
function precedingGroups(planned: readonly PlannedRule[]): Map<string, PrecedeRule[]> {
  const groups = new Map<string, PrecedeRule[]>();
  for (const { rule } of planned) {
    if (rule.kind !== 'NOT_PRECEDED_BY') continue;
    const key = JSON.stringify([rule.trigger, rule.precededBy, rule.correlation]);
    if (!groups.has(key)) groups.set(key, []);
    if (!groups.get(key)!.includes(rule)) groups.get(key)!.push(rule);
  }
  return groups;
}

/** NOT_FOLLOWED_BY and FOLLOWED_BY rules by trigger, follow-up and correlation: each group is one statement. */
function temporalGroups(planned: readonly PlannedRule[]): Map<string, FollowRule[]> {
  const groups = new Map<string, FollowRule[]>();
  for (const { rule } of planned) {
    if (rule.kind !== 'NOT_FOLLOWED_BY' && rule.kind !== 'FOLLOWED_BY') continue;
    // A NOT_FOLLOWED_BY follow-up must be recorded on time to answer; a FOLLOWED_BY one is a
    // deviation however late it was recorded: the two share a statement only with their own kind.
    const key = JSON.stringify([rule.trigger, rule.followUp, rule.correlation, rule.kind === 'NOT_FOLLOWED_BY']);
    if (!groups.has(key)) groups.set(key, []);
    if (!groups.get(key)!.includes(rule)) groups.get(key)!.push(rule);
  }
  return groups;
}

/**
 * The SQL side of an assessment. MATCH and AT_LEAST rules are answered from audit_event_rollup
 * (daily counts per combination of tested columns, written with the events; ADR 0010): one query
 * sums, per day, the rows each distinct match accepts. The partial days at the edges of the range
 * come from the events themselves, and temporal rules run one query each over the matching events.
 * Nothing returns rows per event: the results are a few hundred numbers.
 */
export class AssessmentQueries {
  private readonly rules: RuleSql;

  /** The counts followSql chose statements by, per scope of one assessment (or listing). */
  private readonly counts = new WeakMap<MeasureScope, Map<string, Promise<number>>>();

  /** At most this many triggers in range: NOT_FOLLOWED_BY and FOLLOWED_BY probe from each (followSql). */
  private readonly probeTriggers: number;
  /** …and more than this many candidate follow-ups per trigger. */
  private readonly probeRatio: number;
  /** The ready metadata facets, read again before each assessment and listing (ADR 0056); none: the metadata JSON is tested. */
  private readonly facets: { lookup(): Promise<FacetLookup> } | undefined;
  /** Whether matches without an index range are narrowed to the actions the rollup holds (narrowActions). */
  private readonly narrow: boolean;

  /**
   * `reader`: on SQLite, runs these reads outside the event loop (omitted: on this thread).
   * `options.probeTriggers`: the most triggers a follow-up rule probes from one by one (default
   * FOLLOW_PROBE_TRIGGERS; 0: always the window statement); `options.probeRatio`: the candidate
   * follow-ups per trigger above which it does (default FOLLOW_PROBE_RATIO; 0: whatever their number).
   * `options.facets`: the metadata facet registry (MetadataFacetIndex); a predicate with a ready facet
   * is tested on its label instead of the event's metadata (ADR 0056). `options.narrow` (default
   * true): matches without an index range are narrowed to their actions in the rollup (narrowActions).
   */
  constructor(
    private readonly dataSource: DataSource,
    private readonly reader?: SqliteReader,
    options: { probeTriggers?: number; probeRatio?: number; facets?: { lookup(): Promise<FacetLookup> }; narrow?: boolean } = {},
  ) {
    this.rules = new RuleSql(dataSource.options.type === 'better-sqlite3' ? 'sqlite' : 'mysql');
    this.probeTriggers = options.probeTriggers ?? FOLLOW_PROBE_TRIGGERS;
    this.probeRatio = options.probeRatio ?? FOLLOW_PROBE_RATIO;
    this.facets = options.facets;
    this.narrow = options.narrow ?? true;
  }

  /**
   * This object with statements that test metadata through the ready facets (ADR 0056): a view of
   * its own per assessment or listing, since which facets have any label depends on the tenant and
   * the head. A facet no event up to the head carries makes its predicate a constant (false, or true
   * for `exists: false`): the statement then reads no label for it.
   */
  /**
   * The rules with each match whose actions no index range names (a glob such as `**.read`, with no
   * literal prefix) narrowed to the actions of the tenant's rollup rows that pass the rest of the
   * match but its metadata: an event the match selects is counted in such a row, so the narrowed
   * match selects exactly the same events (ADR 0056), and an index finds them as a few ranges instead
   * of reading every event of an outcome or of the year. HIPAA's PHI bulk-read burst (`**.read`,
   * SUCCESS, PHI) reads the successful reads of PHI instead of every successful event. Counted rules
   * (MATCH, AT_LEAST and RATIO without distinct) are summed from the rollup itself and stay as they
   * are; a match the rollup gives no action or more than NARROW_MAX_ACTIONS stays too.
   */
  private async narrowActions(planned: readonly PlannedRule[], tenantId: string): Promise<PlannedRule[]> {
    if (!this.narrow) return [...planned];
    const memo = new Map<string, Promise<EventMatch>>();
    const implied = new Map<string, Promise<EventMatch>>();
    // Categories every rollup row passing the rest of the match carries are carried by every event
    // the match selects (each event is counted in one row with its categories): the test is dropped,
    // and the statement reads no label per event (ADR 0057). HIPAA's PHI bulk-read burst, narrowed
    // to `patient_record.read`, whose rows all carry PHI, then reads the outcome index alone.
    const withoutImpliedCategories = (m: EventMatch): Promise<EventMatch> => {
      if (!m.categories?.length) return Promise.resolve(m);
      const key = JSON.stringify(m);
      if (!implied.has(key)) {
        const { metadata: _metadata, categories, ...rest } = m;
        const test: CategoryTest = { kind: 'list', column: 'r.categories' };
        implied.set(
          key,
          this.rows(
            sql`SELECT COUNT(*) AS n, SUM(CASE WHEN ${this.rules.match({ categories }, 'r', test)} THEN 0 ELSE 1 END) AS short FROM audit_event_rollup r WHERE r.tenant_id = ${v(tenantId)} AND ${this.rules.match(rest, 'r', test)}`,
          ).then(([row]) => {
            if (toNumber(row?.n ?? 0) === 0 || toNumber(row?.short ?? 0) !== 0) return m;
            const { categories: _implied, ...narrowed } = m;
            return narrowed;
          }),
        );
      }
      return implied.get(key)!;
    };
    const narrowMatch = async (m: EventMatch): Promise<EventMatch> => withoutImpliedCategories(await narrowActionsOf(m));
    const narrowActionsOf = (m: EventMatch): Promise<EventMatch> => {
      if (!m.action?.length || actionRanged(m)) return Promise.resolve(m);
      const key = JSON.stringify(m);
      if (!memo.has(key)) {
        const { metadata: _metadata, ...rest } = m;
        memo.set(
          key,
          this.rows(
            sql`SELECT DISTINCT r.action AS action FROM audit_event_rollup r WHERE r.tenant_id = ${v(tenantId)} AND ${this.rules.match(rest, 'r', { kind: 'list', column: 'r.categories' })} ORDER BY r.action LIMIT ${v(NARROW_MAX_ACTIONS + 1)}`,
          ).then((rows) =>
            rows.length === 0 || rows.length > NARROW_MAX_ACTIONS ? m : { ...m, action: rows.map((r) => ({ equals: String(r.action) })) },
          ),
        );
      }
      return memo.get(key)!;
    };
    const narrowRule = async (rule: EventRule): Promise<EventRule> => {
      switch (rule.kind) {
        case 'BURST':
          return {
            ...rule,
            match: await narrowMatch(rule.match),
            ...(rule.response ? { response: { ...rule.response, match: await narrowMatch(rule.response.match) } } : {}),
          };
        case 'NOT_FOLLOWED_BY':
        case 'FOLLOWED_BY':
          return { ...rule, trigger: await narrowMatch(rule.trigger), followUp: await narrowMatch(rule.followUp) };
        case 'NOT_PRECEDED_BY':
          return { ...rule, trigger: await narrowMatch(rule.trigger), precededBy: await narrowMatch(rule.precededBy) };
        case 'MAX_GAP':
        case 'RECENT':
          return { ...rule, match: await narrowMatch(rule.match) };
        case 'AT_LEAST':
          return rule.distinct ? { ...rule, match: await narrowMatch(rule.match) } : rule;
        case 'RATIO':
          return rule.distinct
            ? { ...rule, population: await narrowMatch(rule.population), qualifying: await narrowMatch(rule.qualifying) }
            : rule;
        default:
          return rule;
      }
    };
    // One narrowed copy per rule object (a rule may be planned under several controls).
    const copies = new Map<EventRule, Promise<EventRule>>();
    for (const { rule } of planned) if (!copies.has(rule)) copies.set(rule, narrowRule(rule));
    return Promise.all(planned.map(async (p) => ({ ...p, rule: await copies.get(p.rule)! })));
  }

  private async withFacets(rules: readonly EventRule[], tenantId: string, head: number, lookup?: FacetLookup): Promise<this> {
    if (!this.facets) return this;
    const ready = lookup ?? (await this.facets.lookup());
    const keys = [...new Set(predicatesIn(rules).map((p) => ready.facetOf(p)?.key))].filter((k): k is string => !!k);
    if (!keys.length) return this;
    const present = new Set((await this.rows(this.facetsPresent(keys, tenantId, head))).map((r) => String(r.v)));
    const view = new RuleSql(this.rules.dialect);
    view.facets = {
      facetOf: (p) => {
        const facet = ready.facetOf(p);
        return facet && { ...facet, empty: !present.has(facet.key) };
      },
    };
    return Object.create(this, { rules: { value: view }, facets: { value: undefined } }) as this;
  }

  /** Which of these facets (`v`) some event of the tenant carries, up to `head` (omitted: any event). */
  private facetsPresent(keys: readonly string[], tenantId: string, head?: number): Sql {
    const candidates = joinSql(
      keys.map((key) => sql`SELECT ${v(key)} AS v`),
      ' UNION ALL ',
    );
    const upTo = head === undefined ? '' : sql` AND l.sequence <= ${v(head)}`;
    return sql`SELECT k.v AS v FROM (${candidates}) k WHERE EXISTS (SELECT 1 FROM audit_event_label l WHERE l.tenant_id = ${v(tenantId)} AND l.kind = '${FACET_KIND}' AND l.value = k.v${upTo})`;
  }

  /**
   * `alias.occurred_at` in `[from, to)` and at most the head. `plus`: a unary `+` before those
   * columns, so SQLite's planner leaves their indexes out (see notFollowedBySql).
   */
  private range(alias: string, tenantId: string, from: Date, to: Date | null, headSequence: number, plus = ''): Sql {
    const upper = to ? sql` AND ${plus}${alias}.occurred_at < ${v(toSqlDateTime(to.toISOString()))}` : '';
    return sql`${alias}.tenant_id = ${v(tenantId)} AND ${plus}${alias}.occurred_at >= ${v(toSqlDateTime(from.toISOString()))}${upper} AND ${plus}${alias}.sequence <= ${v(headSequence)}`;
  }

  /**
   * Measures every rule. The chain head, the first day and the rollup sums are read in one snapshot,
   * so the numbers describe exactly the returned head; every other query is bounded by it.
   */
  async measure(
    planned: readonly PlannedRule[],
    scope: MeasureScope,
  ): Promise<{ snapshot: Snapshot; measures: Map<EventRule, RuleMeasure> }> {
    const counted = planned.filter(
      (p) => p.rule.kind === 'MATCH' || ((p.rule.kind === 'AT_LEAST' || p.rule.kind === 'RATIO') && !p.rule.distinct),
    );
    const all = [...new Map(counted.flatMap(({ rule }) => countedSets(rule)).map((set) => [setKey(set), set])).values()];
    // The rollup has no metadata: sets that test it are counted from the events, by day.
    const withMetadata = (set: CountedSet) => [...set.all, ...(set.not ? [set.not] : [])].some((m) => m.metadata);
    const matches = all.filter((set) => !withMetadata(set));
    const byEvents = all.filter(withMetadata);

    // Whole days come from the rollup; the partial days at either end from the events.
    const firstWhole =
      dayStart(scope.from).getTime() === scope.from.getTime() ? scope.from : new Date(dayStart(scope.from).getTime() + DAY_MS);
    const endWhole = scope.to ? dayStart(scope.to) : null;
    const wholeDays = endWhole === null || firstWhole < endWhole;
    const edges: [Date, Date | null][] = !wholeDays
      ? [[scope.from, scope.to]]
      : [
          ...(firstWhole > scope.from ? [[scope.from, firstWhole] as [Date, Date]] : []),
          ...(endWhole && scope.to && endWhole < scope.to ? [[endWhole, scope.to] as [Date, Date]] : []),
        ];

    // The facets of the sets counted from the events (ADR 0056), read before the snapshot: which of
    // them no event carries is read in it, with the head.
    const ready = this.facets ? await this.facets.lookup() : NO_FACETS;
    const setFacets = [
      ...new Set(
        byEvents.flatMap((set) =>
          [...set.all, ...(set.not ? [set.not] : [])].flatMap((m) => m.metadata ?? []).map((p) => ready.facetOf(p)?.key),
        ),
      ),
    ].filter((k): k is string => !!k);
    const [headRows, firstRows, totalRows, pruneRows, presentRows] = await this.snapshotRead([
      headStatement(scope.tenantId),
      sql`SELECT MIN(day) AS first_day FROM audit_event_rollup WHERE tenant_id = ${v(scope.tenantId)}`,
      rollupTotals(scope.tenantId),
      { text: PRUNE_STATE_SQL, params: [scope.tenantId] },
      ...(setFacets.length ? [this.facetsPresent(setFacets, scope.tenantId)] : []),
    ]);
    const read = headOf(headRows);
    checkRollup(totalRows, scope.tenantId);
    // The rows up to the head never change, so reads bounded by it after the snapshot agree with it.
    const recorded = scope.recordedBy ? await this.recordedHead(scope.tenantId, scope.recordedBy, read.sequence) : read;
    const snapshot: Snapshot = {
      headSequence: recorded.sequence,
      headChainHash: recorded.chainHash,
      firstDay:
        recorded.sequence < read.sequence
          ? await this.firstDayBy(scope.tenantId, recorded.sequence)
          : firstRows[0]?.first_day
            ? String(firstRows[0].first_day)
            : null,
      pruned: pruneStateOf(pruneRows),
    };

    // A set counted from the events whose every metadata predicate is a facet no event up to the
    // head carries is a constant there (foldConstantFacets): it counts nothing, or the events of a
    // set without metadata, which the rollup sums (ADR 0057). No event up to the read head carries
    // the facet, so none up to an earlier as-of head does either.
    const present = new Set((presentRows ?? []).map((r) => String(r.v)));
    const constant = (p: MetadataPredicate): boolean | null => {
      const facet = ready.facetOf(p);
      return facet && !present.has(facet.key) ? facet.negated : null;
    };
    const countedAs = new Map<string, string | null>();
    const byRollup = [...matches];
    for (const set of byEvents) {
      const folded = foldConstantFacets(set, constant);
      if (folded === null) countedAs.set(setKey(set), null);
      else if (!withMetadata(folded)) {
        countedAs.set(setKey(set), setKey(folded));
        if (!byRollup.some((x) => setKey(x) === setKey(folded))) byRollup.push(folded);
      }
    }
    const fromEvents = byEvents.filter((set) => !countedAs.has(setKey(set)));

    const counts = new Map<string, DayCounts>([...all, ...byRollup].map((set) => [setKey(set), { days: new Map(), hi: null, lo: null }]));
    const head = snapshot.headSequence;
    // `sign` -1 takes away the rollup's counts of events recorded after the as-of head; samples
    // past that head are not kept.
    const add = (rows: Record<string, unknown>[] | undefined, sign = 1, list = byRollup) =>
      list.forEach((set, i) => {
        const entry = counts.get(setKey(set))!;
        for (const row of rows ?? []) {
          const n = sign * toNumber(row[`c${i}`] ?? 0);
          if (n !== 0) entry.days.set(String(row.d), (entry.days.get(String(row.d)) ?? 0) + n);
          if (sign < 0) continue;
          const hi = row[`h${i}`] === null || row[`h${i}`] === undefined ? null : toNumber(row[`h${i}`]);
          const lo = row[`l${i}`] === null || row[`l${i}`] === undefined ? null : toNumber(row[`l${i}`]);
          if (hi !== null && hi <= head) entry.hi = Math.max(entry.hi ?? 0, hi);
          if (lo !== null && lo <= head) entry.lo = Math.min(entry.lo ?? Infinity, lo);
        }
      });
    // The whole days from the rollup, beside the other statements rather than before them: read in
    // a snapshot of its own with the head, and the events recorded after the assessed head taken
    // away, as for an as-of head (ADR 0057).
    const rollupPart = async () => {
      const [laterHead, rollupRows] = await this.snapshotRead([
        headStatement(scope.tenantId),
        this.rollupSums(byRollup, scope.tenantId, dayOf(firstWhole), endWhole && dayOf(endWhole)),
      ]);
      add(rollupRows);
      const rolled = headOf(laterHead).sequence;
      if (head < rolled) {
        add(await this.eventSums(byRollup, scope.tenantId, firstWhole, endWhole, rolled, head), -1);
        for (const entry of counts.values()) for (const [day, n] of entry.days) if (n <= 0) entry.days.delete(day);
      }
    };

    // Statements through the ready metadata facets (ADR 0056), and matches whose actions no index
    // range names narrowed to the actions the rollup holds for them (narrowActions).
    const q = await this.withFacets(
      planned.map((p) => p.rule),
      scope.tenantId,
      head,
      ready,
    );
    const narrowed = await q.narrowActions(planned, scope.tenantId);
    const originalOf = new Map(narrowed.map((p, i) => [p.rule, planned[i].rule]));
    const byNarrowed = new Map<EventRule, RuleMeasure>();
    const out = {
      set: (rule: EventRule, measure: RuleMeasure) => byNarrowed.set(originalOf.get(rule) ?? rule, measure),
      get: (rule: EventRule) => byNarrowed.get(rule),
    };
    await Promise.all([
      ...(byRollup.length && wholeDays ? [rollupPart()] : []),
      ...(byRollup.length ? edges.map(async ([from, to]) => add(await q.eventSums(byRollup, scope.tenantId, from, to, head))) : []),
      ...(fromEvents.length
        ? [(async () => add(await q.eventSums(fromEvents, scope.tenantId, scope.from, scope.to, head), 1, fromEvents))()]
        : []),
      ...[...temporalGroups(narrowed).values()].map(async (group) => {
        const measured = await q.notFollowedBy(group, scope, head);
        group.forEach((rule, i) => out.set(rule, measured[i]));
      }),
      ...[...precedingGroups(narrowed).values()].map(async (group) => {
        const measured = await q.notPrecededBy(group, scope, head);
        group.forEach((rule, i) => out.set(rule, measured[i]));
      }),
      ...narrowed.map(async ({ rule }) => {
        if (rule.kind === 'BURST') out.set(rule, await q.burst(rule, scope, head));
        if (rule.kind === 'MAX_GAP') out.set(rule, await q.maxGap(rule, scope, head, snapshot.firstDay));
        if (rule.kind === 'RECENT') out.set(rule, await q.recent(rule, scope, head, snapshot.firstDay));
        if (rule.kind === 'AT_LEAST' && rule.distinct) out.set(rule, await q.atLeastDistinct(rule, scope, head));
        if (rule.kind === 'RATIO' && rule.distinct) out.set(rule, await q.ratioDistinct(rule, scope, head));
      }),
    ]);
    const none: DayCounts = { days: new Map(), hi: null, lo: null };
    const entryOf = (set: CountedSet): DayCounts => {
      const as = countedAs.get(setKey(set));
      return as === null ? none : counts.get(as ?? setKey(set))!;
    };
    for (const { rule } of counted) {
      const [found, short] = countedSets(rule).map(entryOf);
      const total = (entry: DayCounts) => [...entry.days.values()].reduce((a, b) => a + b, 0);
      const samples = (entry: DayCounts) => [entry.hi, entry.lo].filter((x): x is number => x !== null);
      out.set(
        rule,
        rule.kind === 'RATIO'
          ? {
              kind: 'RATIO',
              population: total(found) + total(short),
              qualifying: total(found),
              samples: { qualifying: samples(found), short: samples(short) },
            }
          : rule.kind === 'MATCH'
            ? { kind: 'MATCH', count: total(found), samples: samples(found) }
            : { kind: 'AT_LEAST', byDay: found.days, samples: samples(found) },
      );
    }
    return { snapshot, measures: byNarrowed };
  }

  private async rows(query: Sql): Promise<Record<string, unknown>[]> {
    if (this.reader) return (await this.reader.read([query]))[0];
    return this.dataSource.query(query.text, query.params);
  }

  /**
   * Statements that must see one state of the database: SQLite runs them synchronously in one read
   * transaction (nothing in this process can interleave); MariaDB in one REPEATABLE READ snapshot.
   */
  private async snapshotRead(queries: Sql[]): Promise<Record<string, unknown>[][]> {
    if (this.reader) return this.reader.read(queries);
    if (this.rules.dialect === 'sqlite') {
      const db = (this.dataSource.driver as unknown as { databaseConnection: SqliteDatabase }).databaseConnection;
      return db.transaction(() => queries.map((q) => db.prepare(q.text).all(...(q.params as never[])) as Record<string, unknown>[]))();
    }
    // A Galera node not ready (1047) refuses it: read again within the retry budget (ADR 0054).
    return retryTransient(retryPolicyOf(this.dataSource), () => this.snapshotReadOnce(queries));
  }

  private async snapshotReadOnce(queries: Sql[]): Promise<Record<string, unknown>[][]> {
    const runner = this.dataSource.createQueryRunner('slave');
    try {
      await runner.connect();
      await runner.startTransaction('REPEATABLE READ');
      const results: Record<string, unknown>[][] = [];
      for (const q of queries) results.push(await runner.query(q.text, q.params));
      await runner.commitTransaction();
      return results;
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
  }

  /**
   * The condition an event or rollup row (alias) meets when it belongs to `set`. CASE keeps a NULL
   * column on the side of "does not match" under the NOT.
   */
  private inSet(set: CountedSet, alias: string, test: CategoryTest): Sql {
    const parts = set.all.map((match) => sql`(${this.rules.match(match, alias, test)})`);
    if (set.not) parts.push(sql`(CASE WHEN ${this.rules.match(set.not, alias, test)} THEN 0 ELSE 1 END) = 1`);
    return joinSql(parts, ' AND ');
  }

  /** Per day, the rollup rows each set accepts: counts, newest and oldest sequence. */
  private rollupSums(matches: CountedSet[], tenantId: string, fromDay: string, toDay: string | null): Sql {
    const test: CategoryTest = { kind: 'list', column: 'r.categories' };
    const sums = matches.map((set, i) => {
      const cond = this.inSet(set, 'r', test);
      return sql`SUM(CASE WHEN ${cond} THEN r.event_count ELSE 0 END) AS c${i}, MAX(CASE WHEN ${cond} THEN r.max_sequence END) AS h${i}, MIN(CASE WHEN ${cond} THEN r.min_sequence END) AS l${i}`;
    });
    const upper = toDay ? sql` AND r.day < ${v(toDay)}` : '';
    return sql`SELECT r.day AS d, ${joinSql(sums, ', ')} FROM audit_event_rollup r WHERE r.tenant_id = ${v(tenantId)} AND r.day >= ${v(fromDay)}${upper} GROUP BY r.day`;
  }

  /**
   * The newest event recorded by `recordedBy`, at most `head`: found walking back from the head, so
   * the cost is the number of events recorded since. Recording times follow the sequence (one clock
   * per append under the chain's row lock); across nodes with skewed clocks, an event a few
   * milliseconds out of order is counted by its neighbours' side.
   */
  private async recordedHead(tenantId: string, recordedBy: Date, head: number): Promise<{ sequence: number; chainHash: string | null }> {
    // On SQLite through the reader processes, like every other read here: the walk can be long.
    const [row] = await this.rows({
      text: 'SELECT sequence, chain_hash FROM audit_event WHERE tenant_id = ? AND sequence <= ? AND recorded_at <= ? ORDER BY sequence DESC LIMIT 1',
      params: [tenantId, head, toSqlDateTime(recordedBy.toISOString())],
    });
    return row ? { sequence: toNumber(row.sequence), chainHash: String(row.chain_hash) } : { sequence: 0, chainHash: GENESIS_CHAIN_HASH };
  }

  /** The day of the earliest event at or below `head` (the rollup's first day may be a later backfill). */
  private async firstDayBy(tenantId: string, head: number): Promise<string | null> {
    if (head === 0) return null;
    const [row] = await this.rows({
      text: 'SELECT occurred_at FROM audit_event WHERE tenant_id = ? AND sequence <= ? ORDER BY occurred_at LIMIT 1',
      params: [tenantId, head],
    });
    return row ? fromSqlDateTime(row.occurred_at).slice(0, 10) : null;
  }

  /**
   * The same sums straight from the events of `[from, to)`: the partial days at the range's edges,
   * or (with `after`) the events after that sequence, which the rollup counted but the as-of head
   * leaves out. Rows as the rollup sums give them (`d`, and per set `c`, `h`, `l`).
   *
   * Each set's condition is evaluated once per event, as a grouping key (day and one 0/1 flag per
   * set), and the groups are folded here: written as SUM, MAX and MIN of CASE, a metadata test was
   * evaluated six times per event. Only events some set can count are read: each set needs its
   * first match, so their disjunction lets an index find them instead of a scan of the tenant's range.
   */
  private async eventSums(
    matches: CountedSet[],
    tenantId: string,
    from: Date,
    to: Date | null,
    headSequence: number,
    after?: number,
  ): Promise<Record<string, unknown>[]> {
    // One statement per way of finding the events (ADR 0045, amended 2026-12-04): the sets whose
    // first match names its actions share one on the action index, the others one per index hint
    // of their own, so that one set without an index range no longer makes the statement of every
    // other set read the whole year. Indices stay those of `matches`.
    // A partial day at an edge of the range: one statement over the day's events through the time
    // index, whatever the sets (ADR 0045, amended 2026-12-07).
    const withinDay = after === undefined && to !== null && to.getTime() - from.getTime() <= DAY_MS;
    const statements = new Map<string, number[]>();
    matches.forEach((set, i) => {
      const way = withinDay ? 'time' : actionRanged(set.all[0]) ? 'action' : this.rules.indexHint([set.all[0]]);
      statements.set(way, [...(statements.get(way) ?? []), i]);
    });
    const day = this.rules.day('e.occurred_at');
    const later = after === undefined ? '' : sql` AND e.sequence > ${v(after)}`;
    const byDay = new Map<string, Record<string, unknown>>();
    const results = await Promise.all(
      [...statements.values()].map(async (indices) => {
        const flags = indices.map((i) => sql`CASE WHEN ${this.inSet(matches[i], 'e', { kind: 'exists' })} THEN 1 ELSE 0 END AS m${i}`);
        const any = joinSql(
          indices.map((i) => sql`(${this.rules.match(matches[i].all[0], 'e', { kind: 'exists' })})`),
          ' OR ',
        );
        const groups = await this.rows(
          sql`SELECT ${day} AS d, ${joinSql(flags, ', ')}, COUNT(*) AS n, MAX(e.sequence) AS hi, MIN(e.sequence) AS lo
            FROM audit_event e${withinDay ? this.rules.timeHint() : this.rules.indexHint(indices.map((i) => matches[i].all[0]))} WHERE ${this.range('e', tenantId, from, to, headSequence)}${later} AND (${any})
            GROUP BY ${day}, ${indices.map((i) => `m${i}`).join(', ')}`,
        );
        return { indices, groups };
      }),
    );
    for (const { indices, groups } of results) {
      for (const g of groups) {
        const row = byDay.get(String(g.d)) ?? { d: String(g.d) };
        byDay.set(String(g.d), row);
        for (const i of indices) {
          if (toNumber(g[`m${i}`]) !== 1) continue;
          row[`c${i}`] = toNumber(row[`c${i}`] ?? 0) + toNumber(g.n);
          row[`h${i}`] = Math.max(toNumber(row[`h${i}`] ?? -Infinity), toNumber(g.hi));
          row[`l${i}`] = Math.min(toNumber(row[`l${i}`] ?? Infinity), toNumber(g.lo));
        }
      }
    }
    return [...byDay.values()];
  }

  /**
   * What the temporal statements share: the correlation key's columns, the test that none is null,
   * the PARTITION BY clause, and how SQLite is kept on the action index. With both sides named by
   * action, the index finds exactly them, where a time range of the tenant would read every event
   * of it; SQLite's planner (no ANALYZE statistics) prefers the range, so a unary `+` takes those
   * columns out of its index choice, and since the timeliness test reads recorded_at, which the
   * index does not hold, the statement names the index.
   */
  private temporalScan(trigger: EventMatch, other: EventMatch, correlation: Correlation) {
    const keys = this.rules.correlationColumns('e', correlation);
    const byAction = this.rules.dialect === 'sqlite' && trigger.action && other.action ? '+' : '';
    return {
      keys,
      keyed: keys.length ? keys.map((_, i) => `z.k${i} IS NOT NULL`).join(' AND ') : '1 = 1',
      partition: keys.length ? `PARTITION BY ${keys.map((_, i) => `z.k${i}`).join(', ')} ` : '',
      byAction,
      indexed: byAction ? ' INDEXED BY ix_audit_event_action_resource' : this.rules.temporalHint([trigger, other], correlation),
    };
  }

  /**
   * The NOT_FOLLOWED_BY statement, set-based (ADR 0014): one pass over the triggers in range and the
   * follow-ups that could answer them (from `from` up to the last possible deadline, so also after
   * `to`), each event once with a trigger and a follow-up flag. Running window aggregates per
   * correlation key find, for every trigger, the earliest follow-up at or after its instant: one
   * window when no event can be both (distinct actions), else two — the earliest follow-up after it
   * in (occurred_at, sequence) order and the latest one before it, which answers only when it
   * happened at the same instant (never the trigger itself). Every frame starts at UNBOUNDED
   * PRECEDING, so each row is added once: the cost is a sort of the matching events, whatever the
   * number of triggers per key. A null in the key correlates with nothing.
   *
   * `rules` share trigger, follow-up and correlation (temporalGroups) and differ at most in `within`:
   * the windows do not depend on it, so one statement answers them all, columns suffixed by index.
   */
  notFollowedBySql(rules: readonly FollowRule[], scope: MeasureScope, head: number, list?: Listing): Sql {
    const r = this.rules;
    const [rule] = rules;
    const at = (date: Date) => v(toSqlDateTime(date.toISOString()));
    const trigger = sql`${r.match(rule.trigger, 'e', { kind: 'exists' })}${only('e', list)}`;
    const followUp = r.match(rule.followUp, 'e', { kind: 'exists' });
    // A follow-up counts only if it was recorded on time (ADR 0034): one backdated when recorded
    // days later cannot make a late notification timely. Tested in the flag, not in the WHERE
    // clause, which stays on the action index.
    const timely = rule.kind === 'NOT_FOLLOWED_BY' ? `e.recorded_at <= ${r.plus('e.occurred_at', scope.lag)}` : '1 = 1';
    const { keys, keyed, partition, byAction, indexed } = this.temporalScan(rule.trigger, rule.followUp, rule.correlation);
    const inRange = scope.to ? sql` AND e.occurred_at < ${at(scope.to)}` : '';
    // No trigger in range has a deadline past `to + within`: later follow-ups cannot answer one.
    const longest = Math.max(...rules.map((x) => durationMs(x.within)));
    const lastDeadline = scope.to ? sql` AND ${byAction}e.occurred_at <= ${at(new Date(scope.to.getTime() + longest))}` : '';
    // When no event can be both trigger and follow-up (distinct actions: every built-in rule), one
    // window whose frame takes the row's peers answers alone: the earliest follow-up at or after the
    // row's instant. Otherwise the row itself must be left out, which takes the two windows.
    const disjoint = disjointActions(rule.trigger, rule.followUp);
    const window = (flag: string, next: string, prev: string) =>
      disjoint
        ? `MIN(CASE WHEN z.${flag} = 1 THEN z.occurred_at END) OVER (${partition}ORDER BY z.occurred_at DESC RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS ${next},
                    NULL AS ${prev}`
        : `MIN(CASE WHEN z.${flag} = 1 THEN z.occurred_at END) OVER (${partition}ORDER BY z.occurred_at DESC, z.sequence DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS ${next},
                    MAX(CASE WHEN z.${flag} = 1 THEN z.occurred_at END) OVER (${partition}ORDER BY z.occurred_at, z.sequence ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS ${prev}`;
    // Backfilled (ADR 0034): an overdue trigger that a follow-up recorded too late would have
    // answered is counted apart, so the assessment can flag the late evidence. The same windows over
    // every follow-up, timely or not; the same sort, so the statement stays one pass.
    const late = rule.kind === 'NOT_FOLLOWED_BY' && !list;
    const windows = [window('is_f', 'next_f', 'prev_f'), ...(late ? [window('is_a', 'next_a', 'prev_a')] : [])].join(
      ',\n                    ',
    );
    const triggers = sql`(SELECT z.sequence AS sequence, z.occurred_at AS occurred_at, z.is_t AS is_t,
                    CASE WHEN ${keyed} THEN 1 ELSE 0 END AS keyed,
                    ${windows}
                  FROM (SELECT e.sequence AS sequence, e.occurred_at AS occurred_at${keys.map((k, i) => `, ${k} AS k${i}`).join('')},
                          CASE WHEN ${trigger}${inRange} THEN 1 ELSE 0 END AS is_t,
                          CASE WHEN ${followUp} AND ${timely} THEN 1 ELSE 0 END AS is_f${late ? sql`, CASE WHEN ${followUp} THEN 1 ELSE 0 END AS is_a` : ''}
                        FROM audit_event e${indexed}
                        WHERE e.tenant_id = ${v(scope.tenantId)} AND ${byAction}e.occurred_at >= ${at(scope.from)}${lastDeadline} AND ${byAction}e.sequence <= ${v(head)}
                          AND ((${trigger}) OR (${followUp}))) z) y
            WHERE y.is_t = 1`;
    return this.followOutcome(rules, scope, list, late, triggers, (which, deadline) => {
      const [next, prev] = [`next_${which}`, `prev_${which}`];
      return `CASE WHEN y.keyed = 1 AND ((y.${next} IS NOT NULL AND y.${next} <= ${deadline}) OR y.${prev} = y.occurred_at) THEN 1 ELSE 0 END`;
    });
  }

  /**
   * The NOT_FOLLOWED_BY statement for few triggers (ADR 0045, amended 2026-12-04): the triggers in
   * range are read alone, and for each a correlated subquery finds the earliest follow-up of its key
   * from its instant to its longest deadline — an index range per trigger (the action index when the
   * follow-up names actions, else the resource or actor index with the time), instead of a window
   * over every candidate follow-up of the year. The same answer as notFollowedBySql: a follow-up
   * other than the trigger itself, at or after its instant (a peer at the same instant answers, as
   * the window's frame takes it), of the same key (on MariaDB also the same hashed key, so that the
   * columns' collation cannot join what the window keeps apart), up to the head, recorded on time
   * for NOT_FOLLOWED_BY; `next_a` the same without timeliness, for `backfilled`.
   */
  followProbeSql(rules: readonly FollowRule[], scope: MeasureScope, head: number, list?: Listing): Sql {
    const r = this.rules;
    const [rule] = rules;
    const longest = Math.max(...rules.map((x) => durationMs(x.within)));
    const late = rule.kind === 'NOT_FOLLOWED_BY' && !list;
    const sameKey = [
      r.correlates('t', 'f', rule.correlation),
      ...(r.dialect === 'mysql'
        ? r.correlationColumns('f', rule.correlation).map((k, i) => `${k} = ${r.correlationColumns('t', rule.correlation)[i]}`)
        : []),
    ].join(' AND ');
    const next = (timely: boolean) => sql`(SELECT MIN(f.occurred_at) FROM audit_event f${r.probeHint(rule.followUp, rule.correlation)}
                WHERE f.tenant_id = t.tenant_id AND ${sameKey}
                  AND f.occurred_at >= t.occurred_at AND f.occurred_at <= ${r.plus('t.occurred_at', { minutes: longest / 60_000 })}
                  AND f.sequence <= ${v(head)} AND f.sequence <> t.sequence
                  AND ${r.match(rule.followUp, 'f', { kind: 'exists' })}${timely ? ` AND f.recorded_at <= ${r.plus('f.occurred_at', scope.lag)}` : ''})`;
    const triggers = sql`(SELECT t.sequence AS sequence, t.occurred_at AS occurred_at,
                    ${next(rule.kind === 'NOT_FOLLOWED_BY')} AS next_f${
                      late
                        ? sql`,
                    ${next(false)} AS next_a`
                        : ''
                    }
                  FROM audit_event t${r.temporalHint([rule.trigger], rule.correlation)}
                  WHERE ${this.range('t', scope.tenantId, scope.from, scope.to, head)} AND ${r.match(rule.trigger, 't', { kind: 'exists' })}${only('t', list)}) y`;
    return this.followOutcome(
      rules,
      scope,
      list,
      late,
      triggers,
      (which, deadline) => `CASE WHEN y.next_${which} IS NOT NULL AND y.next_${which} <= ${deadline} THEN 1 ELSE 0 END`,
    );
  }

  /**
   * What both NOT_FOLLOWED_BY statements make of their triggers (`triggers`: a derived table `y` of
   * the triggers in range with `sequence`, `occurred_at` and what `answered` tests): per rule the
   * deadline, followed (timely follow-up `f`) and, with `late`, answered by any follow-up (`a`);
   * then the counts and samples, or with `list` the deviations.
   */
  private followOutcome(
    rules: readonly FollowRule[],
    scope: MeasureScope,
    list: Listing | undefined,
    late: boolean,
    triggers: Sql,
    answered: (which: 'f' | 'a', deadline: string) => string,
  ): Sql {
    const r = this.rules;
    const [rule] = rules;
    const now = v(toSqlDateTime(scope.now.toISOString()));
    const perRule = rules.map((x, i) => {
      const deadline = r.plus('y.occurred_at', x.within);
      return {
        inner: `${deadline} AS deadline${i},
              ${answered('f', deadline)} AS followed${i}${late ? `, ${answered('a', deadline)} AS answered${i}` : ''}`,
        outer: (() => {
          const overdue = sql`x.followed${i} = 0 AND x.deadline${i} <= ${now}`;
          const waiting = sql`x.followed${i} = 0 AND x.deadline${i} > ${now}`;
          return sql`SUM(x.followed${i}) AS followed${i},
        ${late ? sql`SUM(CASE WHEN ${overdue} AND x.answered${i} = 1 THEN 1 ELSE 0 END)` : '0'} AS backfilled${i},
        SUM(CASE WHEN ${overdue} THEN 1 ELSE 0 END) AS overdue${i},
        SUM(CASE WHEN ${waiting} THEN 1 ELSE 0 END) AS pending${i},
        MIN(CASE WHEN ${waiting} THEN x.deadline${i} END) AS next_deadline${i},
        MAX(CASE WHEN x.followed${i} = 1 THEN x.sequence END) AS f_hi${i}, MIN(CASE WHEN x.followed${i} = 1 THEN x.sequence END) AS f_lo${i},
        MAX(CASE WHEN ${overdue} THEN x.sequence END) AS o_hi${i}, MIN(CASE WHEN ${overdue} THEN x.sequence END) AS o_lo${i}`;
        })(),
      };
    });
    // Listing: the triggers that are deviations of the rule — FOLLOWED_BY followed, NOT_FOLLOWED_BY overdue.
    const deviation = rule.kind === 'FOLLOWED_BY' ? sql`x.followed0 = 1` : sql`x.followed0 = 0 AND x.deadline0 <= ${now}`;
    const outer = list
      ? sql`SELECT x.sequence AS sequence`
      : sql`SELECT COUNT(*) AS triggers, ${joinSql(
          perRule.map((p) => p.outer),
          ', ',
        )}`;
    const tail = list ? sql` WHERE ${deviation} ORDER BY x.sequence DESC LIMIT ${v(list.limit)}` : '';
    return sql`${outer}
      FROM (SELECT y.sequence AS sequence, ${perRule.map((p) => p.inner).join(', ')}
            FROM ${triggers}) x${tail}`;
  }

  /**
   * Which NOT_FOLLOWED_BY statement answers a group: the probe from each trigger when the triggers
   * are found through an action index, there are at most `probeTriggers` of them in range, and the
   * follow-ups that could answer them are more than `probeRatio` per trigger (or cannot be counted
   * through an index: a follow-up named by no action is any event of the year); else the window,
   * which reads each candidate once. Both counts stop at their limit, so they cost at most that
   * many index entries.
   */
  private async followSql(rules: readonly FollowRule[], scope: MeasureScope, head: number, list?: Listing): Promise<Sql> {
    const [rule] = rules;
    const r = this.rules;
    if (this.probeTriggers <= 0 || !actionRanged(rule.trigger)) return this.notFollowedBySql(rules, scope, head, list);
    // The counts only choose the statement, which gives the same answer either way, so they may be
    // upper bounds: without the match's metadata and categories they read the index alone, no row
    // and no label (a trigger with metadata cost a row lookup per event to count). Several groups
    // share a trigger (GDPR's request rules: seven share `dsar.received`), so each count is made once
    // per scope (ADR 0045, amended 2026-12-07).
    const counts = this.counts.get(scope) ?? new Map<string, Promise<number>>();
    this.counts.set(scope, counts);
    const count = (full: EventMatch, to: Date | null, limit: number, extra: Sql | string = '') => {
      const { metadata: _metadata, categories: _categories, ...match } = full;
      const query = sql`SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM audit_event t${r.temporalHint([match], rule.correlation)}
        WHERE ${this.range('t', scope.tenantId, scope.from, to, head)} AND ${r.match(match, 't', { kind: 'exists' })}${extra}
        LIMIT ${v(limit + 1)}) c`;
      const key = JSON.stringify([query.text, query.params]);
      if (!counts.has(key))
        counts.set(
          key,
          this.rows(query).then(([row]) => toNumber(row?.n ?? 0)),
        );
      return counts.get(key)!;
    };
    const triggers = await count(rule.trigger, scope.to, this.probeTriggers, only('t', list));
    if (triggers > this.probeTriggers) return this.notFollowedBySql(rules, scope, head, list);
    if (actionRanged(rule.followUp) && this.probeRatio > 0) {
      const longest = Math.max(...rules.map((x) => durationMs(x.within)));
      const last = scope.to ? new Date(scope.to.getTime() + longest) : null;
      const candidates = await count(rule.followUp, last, triggers * this.probeRatio);
      if (candidates <= triggers * this.probeRatio) return this.notFollowedBySql(rules, scope, head, list);
    }
    return this.followProbeSql(rules, scope, head, list);
  }

  /**
   * Triggers in range; for each, whether a correlated follow-up came within the window (even after
   * `to`). One statement per group of rules with the same trigger, follow-up and correlation.
   */
  private async notFollowedBy(rules: readonly FollowRule[], scope: MeasureScope, head: number): Promise<RuleMeasure[]> {
    const [row] = await this.rows(await this.followSql(rules, scope, head));
    const seqs = (...values: unknown[]) => values.filter((x) => x !== null && x !== undefined).map(toNumber);
    return rules.map((rule, i): RuleMeasure => {
      const measured = {
        triggers: toNumber(row?.triggers ?? 0),
        followed: toNumber(row?.[`followed${i}`] ?? 0),
        pending: toNumber(row?.[`pending${i}`] ?? 0),
        nextDeadline:
          row?.[`next_deadline${i}`] === null || row?.[`next_deadline${i}`] === undefined
            ? null
            : fromSqlDateTime(row[`next_deadline${i}`]),
      };
      const followed = seqs(row?.[`f_hi${i}`], row?.[`f_lo${i}`]);
      const overdue = toNumber(row?.[`overdue${i}`] ?? 0);
      // A FOLLOWED_BY trigger whose window closed without a follow-up is cleared, not overdue.
      return rule.kind === 'FOLLOWED_BY'
        ? { kind: 'FOLLOWED_BY', ...measured, cleared: overdue, samples: { followed } }
        : {
            kind: 'NOT_FOLLOWED_BY',
            ...measured,
            overdue,
            backfilled: toNumber(row?.[`backfilled${i}`] ?? 0),
            samples: { followed, overdue: seqs(row?.[`o_hi${i}`], row?.[`o_lo${i}`]) },
          };
    });
  }

  /**
   * The NOT_PRECEDED_BY statement, the mirror of notFollowedBySql (ADR 0014): one pass over the
   * triggers in range and the events that could precede them (from `from` minus the longest window
   * up to `to`), each event once with a trigger and a preceding flag. A running window per
   * correlation key finds, for every trigger, the latest preceding event at or before its instant:
   * one window when no event can be both (distinct actions, the frame takes the row's peers), else
   * two — the latest one before it in (occurred_at, sequence) order and the earliest one after it,
   * which answers only at the same instant (never the trigger itself). A null in the key correlates
   * with nothing. `rules` differ at most in `within`; columns are suffixed by index.
   */
  notPrecededBySql(rules: readonly PrecedeRule[], scope: MeasureScope, head: number, list?: Listing): Sql {
    const r = this.rules;
    const [rule] = rules;
    const at = (date: Date) => v(toSqlDateTime(date.toISOString()));
    const trigger = sql`${r.match(rule.trigger, 'e', { kind: 'exists' })}${only('e', list)}`;
    const precededBy = r.match(rule.precededBy, 'e', { kind: 'exists' });
    const { keys, keyed, partition, byAction, indexed } = this.temporalScan(rule.trigger, rule.precededBy, rule.correlation);
    // The earlier event counts only if it was recorded on time (ADR 0034): an approval backdated
    // when recorded after the deployment does not make it approved.
    const timely = `e.recorded_at <= ${r.plus('e.occurred_at', scope.lag)}`;
    const longest = Math.max(...rules.map((x) => durationMs(x.within)));
    const upper = scope.to ? sql` AND ${byAction}e.occurred_at < ${at(scope.to)}` : '';
    const disjoint = disjointActions(rule.trigger, rule.precededBy);
    const window = (flag: string, prev: string, next: string) =>
      disjoint
        ? `MAX(CASE WHEN z.${flag} = 1 THEN z.occurred_at END) OVER (${partition}ORDER BY z.occurred_at RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS ${prev},
                    NULL AS ${next}`
        : `MAX(CASE WHEN z.${flag} = 1 THEN z.occurred_at END) OVER (${partition}ORDER BY z.occurred_at, z.sequence ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS ${prev},
                    MIN(CASE WHEN z.${flag} = 1 THEN z.occurred_at END) OVER (${partition}ORDER BY z.occurred_at DESC, z.sequence DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS ${next}`;
    // Backfilled (ADR 0034): a trigger not preceded that an earlier event recorded too late would
    // have preceded is counted apart, so the assessment can flag the late evidence.
    const late = !list;
    const windows = [window('is_p', 'prev_p', 'next_p'), ...(late ? [window('is_a', 'prev_a', 'next_a')] : [])].join(
      ',\n                    ',
    );
    const precedes = (x: PrecedeRule, prev: string, next: string) =>
      `CASE WHEN y.keyed = 1 AND ((y.${prev} IS NOT NULL AND y.${prev} >= ${r.minus('y.occurred_at', x.within)}) OR y.${next} = y.occurred_at) THEN 1 ELSE 0 END`;
    const inner = rules
      .map(
        (x, i) => `${precedes(x, 'prev_p', 'next_p')} AS preceded${i}${late ? `, ${precedes(x, 'prev_a', 'next_a')} AS answered${i}` : ''}`,
      )
      .join(', ');
    const outer = rules
      .map(
        (_, i) => `SUM(x.preceded${i}) AS preceded${i},
        ${late ? `SUM(CASE WHEN x.preceded${i} = 0 AND x.answered${i} = 1 THEN 1 ELSE 0 END)` : '0'} AS backfilled${i},
        MAX(CASE WHEN x.preceded${i} = 1 THEN x.sequence END) AS p_hi${i}, MIN(CASE WHEN x.preceded${i} = 1 THEN x.sequence END) AS p_lo${i},
        MAX(CASE WHEN x.preceded${i} = 0 THEN x.sequence END) AS u_hi${i}, MIN(CASE WHEN x.preceded${i} = 0 THEN x.sequence END) AS u_lo${i}`,
      )
      .join(', ');
    // Listing: the triggers not preceded, the rule's deviations.
    const head_ = list ? 'SELECT x.sequence AS sequence' : `SELECT COUNT(*) AS triggers, ${outer}`;
    const tail = list ? sql` WHERE x.preceded0 = 0 ORDER BY x.sequence DESC LIMIT ${v(list.limit)}` : '';
    return sql`${head_}
      FROM (SELECT y.sequence AS sequence, ${inner}
            FROM (SELECT z.sequence AS sequence, z.occurred_at AS occurred_at, z.is_t AS is_t,
                    CASE WHEN ${keyed} THEN 1 ELSE 0 END AS keyed,
                    ${windows}
                  FROM (SELECT e.sequence AS sequence, e.occurred_at AS occurred_at${keys.map((k, i) => `, ${k} AS k${i}`).join('')},
                          CASE WHEN ${trigger} AND e.occurred_at >= ${at(scope.from)} THEN 1 ELSE 0 END AS is_t,
                          CASE WHEN ${precededBy} AND ${timely} THEN 1 ELSE 0 END AS is_p${late ? sql`, CASE WHEN ${precededBy} THEN 1 ELSE 0 END AS is_a` : ''}
                        FROM audit_event e${indexed}
                        WHERE e.tenant_id = ${v(scope.tenantId)} AND ${byAction}e.occurred_at >= ${at(new Date(scope.from.getTime() - longest))}${upper} AND ${byAction}e.sequence <= ${v(head)}
                          AND ((${trigger}) OR (${precededBy}))) z) y
            WHERE y.is_t = 1) x${tail}`;
  }

  /** Triggers in range; for each, whether a correlated preceding event came within the window before it (even before `from`). */
  private async notPrecededBy(rules: readonly PrecedeRule[], scope: MeasureScope, head: number): Promise<RuleMeasure[]> {
    const [row] = await this.rows(this.notPrecededBySql(rules, scope, head));
    const seqs = (...values: unknown[]) => values.filter((x) => x !== null && x !== undefined).map(toNumber);
    const triggers = toNumber(row?.triggers ?? 0);
    return rules.map((_, i) => {
      const preceded = toNumber(row?.[`preceded${i}`] ?? 0);
      return {
        kind: 'NOT_PRECEDED_BY',
        triggers,
        preceded,
        notPreceded: triggers - preceded,
        backfilled: toNumber(row?.[`backfilled${i}`] ?? 0),
        samples: { preceded: seqs(row?.[`p_hi${i}`], row?.[`p_lo${i}`]), notPreceded: seqs(row?.[`u_hi${i}`], row?.[`u_lo${i}`]) },
      };
    });
  }

  /**
   * Events that complete a burst: the (count-1)-th earlier matching event of the same correlation
   * key is within the window. Found with LAG over the matching events only.
   */
  burstSql(rule: EventRule & { kind: 'BURST' }, scope: MeasureScope, head: number, list?: Listing): Sql {
    const r = this.rules;
    const key = r.correlationKey('e', rule.correlation);
    // With an outcome, the outcome index holds exactly the matching events (ADR 0010); SQLite's
    // planner would take the tenant's time range instead.
    const plus = r.dialect === 'sqlite' && rule.match.outcome ? '+' : '';
    // Listing: one deviation per correlation key, named by the event that first completed a burst.
    const outer = list
      ? 'SELECT MIN(x.sequence) AS sequence'
      : `SELECT COUNT(DISTINCT x.k) AS key_count, COUNT(*) AS windows,
        MAX(x.sequence) AS s_hi, MIN(x.sequence) AS s_lo`;
    const tail = !list
      ? ''
      : list.anyWindow
        ? sql`${only('x', list)} GROUP BY x.sequence ORDER BY MIN(x.sequence) DESC LIMIT ${v(list.limit)}`
        : sql` GROUP BY x.k${list.only ? sql` HAVING MIN(x.sequence) IN (${joinSql(list.only.map(v), ', ')})` : ''} ORDER BY MIN(x.sequence) DESC LIMIT ${v(list.limit)}`;
    return sql`${outer}
      FROM (SELECT ${key} AS k, e.sequence AS sequence, e.occurred_at AS occurred_at,
              LAG(e.occurred_at, ${Math.trunc(rule.count) - 1}) OVER (PARTITION BY ${key} ORDER BY e.occurred_at, e.sequence) AS start
            FROM audit_event e${r.burstHint(rule.match, rule.correlation)}
            WHERE ${this.range('e', scope.tenantId, scope.from, scope.to, head, plus)} AND ${key} IS NOT NULL AND ${r.match(rule.match, 'e', { kind: 'exists' })}) x
      WHERE x.start IS NOT NULL AND x.occurred_at <= ${r.plus('x.start', rule.within)}${tail}`;
  }

  /**
   * BURST with `response` (ADR 0035, amended 2026-12-03): one pass over the matching events in
   * range and the responses that could answer them, per correlation key. Running windows over both
   * give each matching event the latest response at or before its instant and the earliest at or
   * after it (timely ones, and with `late` every one, for `backfilled`); LAG over the matching
   * events alone then gives the window's first event (`start`) and the previous event's. An event
   * completes a burst when `start` is within `within` of it; it starts one when the previous
   * matching event did not complete one (a new streak), or when its window is the first to lie
   * wholly after a response (the count starts again after a response). A burst is answered by a
   * response from `start` until `response.within` after the completing event. With
   * `list.anyWindow`, every completing event stands for its burst: which one starts the streak
   * depends on where the range starts, as for a plain BURST.
   */
  burstResponseSql(rule: EventRule & { kind: 'BURST' }, scope: MeasureScope, head: number, list?: Listing): Sql {
    const r = this.rules;
    const response = rule.response!;
    const at = (date: Date) => v(toSqlDateTime(date.toISOString()));
    const keys = r.correlationColumns('e', rule.correlation);
    const keyed = keys.length ? keys.map((k) => `${k} IS NOT NULL`).join(' AND ') : '1 = 1';
    const partition = (alias: string) => (keys.length ? `PARTITION BY ${keys.map((_, i) => `${alias}.k${i}`).join(', ')} ` : '');
    const inRange = scope.to ? sql` AND e.occurred_at < ${at(scope.to)}` : '';
    const matching = sql`${r.match(rule.match, 'e', { kind: 'exists' })}`;
    const answer = r.match(response.match, 'e', { kind: 'exists' });
    // A response counts only if it was recorded on time (ADR 0034), as a NOT_FOLLOWED_BY follow-up.
    const timely = `e.recorded_at <= ${r.plus('e.occurred_at', scope.lag)}`;
    const lastDeadline = scope.to ? sql` AND e.occurred_at <= ${at(new Date(scope.to.getTime() + durationMs(response.within)))}` : '';
    const late = !list;
    const around = (flag: string, name: string) =>
      `MAX(CASE WHEN z.${flag} = 1 THEN z.occurred_at END) OVER (${partition('z')}ORDER BY z.occurred_at RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS last_${name},
              MIN(CASE WHEN z.${flag} = 1 THEN z.occurred_at END) OVER (${partition('z')}ORDER BY z.occurred_at DESC RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS next_${name}`;
    const n = Math.trunc(rule.count);
    const deadline = r.plus('b.occurred_at', response.within);
    const answered = (name: string) => `CASE WHEN b.last_${name} >= b.start OR b.next_${name} <= ${deadline} THEN 1 ELSE 0 END`;
    const now = at(scope.now);
    const unanswered = sql`t.answered = 0 AND t.deadline <= ${now}`;
    const waiting = sql`t.answered = 0 AND t.deadline > ${now}`;
    const outer = list
      ? sql`SELECT t.sequence AS sequence`
      : sql`SELECT COUNT(*) AS bursts, COUNT(DISTINCT t.k) AS key_count, SUM(t.answered) AS answered,
        SUM(CASE WHEN ${unanswered} THEN 1 ELSE 0 END) AS unanswered,
        SUM(CASE WHEN ${unanswered} AND t.answered_any = 1 THEN 1 ELSE 0 END) AS backfilled,
        SUM(CASE WHEN ${waiting} THEN 1 ELSE 0 END) AS pending,
        MIN(CASE WHEN ${waiting} THEN t.deadline END) AS next_deadline,
        MAX(CASE WHEN t.answered = 1 THEN t.sequence END) AS a_hi, MIN(CASE WHEN t.answered = 1 THEN t.sequence END) AS a_lo,
        MAX(CASE WHEN ${unanswered} THEN t.sequence END) AS u_hi, MIN(CASE WHEN ${unanswered} THEN t.sequence END) AS u_lo`;
    const tail = list ? sql` AND ${unanswered}${only('t', list)} ORDER BY t.sequence DESC LIMIT ${v(list.limit)}` : '';
    return sql`${outer}
      FROM (SELECT b.sequence AS sequence, b.k AS k, ${deadline} AS deadline, ${answered('r')} AS answered,
              ${late ? answered('a') : '0'} AS answered_any,
              CASE WHEN b.start IS NOT NULL AND b.occurred_at <= ${r.plus('b.start', rule.within)}
                AND (${
                  list?.anyWindow
                    ? '1 = 1'
                    : sql`b.prev_start IS NULL OR b.prev_at > ${r.plus('b.prev_start', rule.within)}
                  OR (b.last_r IS NOT NULL AND b.start > b.last_r AND b.prev_start <= b.last_r)`
                }) THEN 1 ELSE 0 END AS starts
            FROM (SELECT m.*, LAG(m.start) OVER (${partition('m')}ORDER BY m.occurred_at, m.sequence) AS prev_start
                  FROM (SELECT y.*, LAG(y.occurred_at, ${n - 1}) OVER (${partition('y')}ORDER BY y.occurred_at, y.sequence) AS start,
                          LAG(y.occurred_at) OVER (${partition('y')}ORDER BY y.occurred_at, y.sequence) AS prev_at
                        FROM (SELECT z.*, ${around('is_r', 'r')}${
                          late
                            ? `,
              ${around('is_a', 'a')}`
                            : ''
                        }
                              FROM (SELECT e.sequence AS sequence, e.occurred_at AS occurred_at, ${r.correlationKey('e', rule.correlation)} AS k${keys.map((k, i) => `, ${k} AS k${i}`).join('')},
                                      CASE WHEN ${matching}${inRange} THEN 1 ELSE 0 END AS is_m,
                                      CASE WHEN ${answer} AND ${timely} THEN 1 ELSE 0 END AS is_r${late ? sql`, CASE WHEN ${answer} THEN 1 ELSE 0 END AS is_a` : ''}
                                    FROM audit_event e${r.indexHint([rule.match, response.match])}
                                    WHERE ${this.range('e', scope.tenantId, scope.from, null, head)}${lastDeadline} AND ${keyed}
                                      AND ((${matching}) OR (${answer}))) z) y
                        WHERE y.is_m = 1) m) b) t
      WHERE t.starts = 1${tail}`;
  }

  private async burst(rule: EventRule & { kind: 'BURST' }, scope: MeasureScope, head: number): Promise<RuleMeasure> {
    if (rule.response) {
      // The bursts alone first (one window over the matching events, where the statement with
      // responses sorts them and the responses six times): when no event completes a burst, there
      // is nothing to answer, and the measure is the one that statement gives for no burst. Bursts
      // are rare: the bench year has none of five failed sign-ins per account or twenty per address
      // (ADR 0045, amended 2026-12-07).
      const [bursts] = await this.rows(this.burstSql(rule, scope, head));
      if (toNumber(bursts?.windows ?? 0) === 0) {
        const none = { answered: [], unanswered: [] };
        return {
          kind: 'BURST',
          keys: 0,
          windows: 0,
          samples: [],
          response: { bursts: 0, answered: 0, unanswered: 0, backfilled: 0, pending: 0, nextDeadline: null, samples: none },
        };
      }
      const [row] = await this.rows(this.burstResponseSql(rule, scope, head));
      const seqs = (...values: unknown[]) => values.filter((x) => x !== null && x !== undefined).map(toNumber);
      const answered = toNumber(row?.answered ?? 0);
      return {
        kind: 'BURST',
        keys: toNumber(row?.key_count ?? 0),
        windows: toNumber(row?.bursts ?? 0),
        samples: seqs(row?.a_hi, row?.a_lo, row?.u_hi, row?.u_lo),
        response: {
          bursts: toNumber(row?.bursts ?? 0),
          answered,
          unanswered: toNumber(row?.unanswered ?? 0),
          backfilled: toNumber(row?.backfilled ?? 0),
          pending: toNumber(row?.pending ?? 0),
          nextDeadline: row?.next_deadline === null || row?.next_deadline === undefined ? null : fromSqlDateTime(row.next_deadline),
          samples: { answered: seqs(row?.a_hi, row?.a_lo), unanswered: seqs(row?.u_hi, row?.u_lo) },
        },
      };
    }
    const [row] = await this.rows(this.burstSql(rule, scope, head));
    return {
      kind: 'BURST',
      keys: toNumber(row?.key_count ?? 0),
      windows: toNumber(row?.windows ?? 0),
      samples: [row?.s_hi, row?.s_lo].filter((x) => x !== null && x !== undefined).map(toNumber),
    };
  }

  /**
   * The MAX_GAP statements over the matching events in `[from, end)`, `end` = min(to, now): one
   * aggregate (how many, the first and last instants, how many stretches between consecutive
   * events are longer than the rule's gap, found with LAG) and the first few of those stretches.
   * `which`: 'gaps' for the second statement.
   */
  maxGapSql(
    rule: EventRule & { kind: 'MAX_GAP' },
    scope: MeasureScope,
    head: number,
    which: 'summary' | 'gaps' = 'summary',
    list?: Listing,
  ): Sql {
    const r = this.rules;
    const end = scope.to && scope.to < scope.now ? scope.to : scope.now;
    const long = `g.prev_at IS NOT NULL AND g.occurred_at > ${r.plus('g.prev_at', rule.maxGap)}`;
    const gaps = sql`(SELECT e.sequence AS sequence, e.occurred_at AS occurred_at,
              LAG(e.occurred_at) OVER (ORDER BY e.occurred_at, e.sequence) AS prev_at
            FROM audit_event e${r.indexHint([rule.match])}
            WHERE ${this.range('e', scope.tenantId, scope.from, end, head)} AND ${r.match(rule.match, 'e', { kind: 'exists' })}) g`;
    if (list)
      return sql`SELECT g.sequence AS sequence FROM ${gaps}
        WHERE ${long}${only('g', list)} ORDER BY g.sequence DESC LIMIT ${v(list.limit)}`;
    if (which === 'gaps')
      return sql`SELECT g.prev_at AS prev_at, g.occurred_at AS occurred_at, g.sequence AS sequence FROM ${gaps}
        WHERE ${long} ORDER BY g.occurred_at, g.sequence LIMIT ${v(MAX_GAPS_LISTED)}`;
    return sql`SELECT COUNT(*) AS events, MIN(g.occurred_at) AS first_at, MAX(g.occurred_at) AS last_at,
        SUM(CASE WHEN ${long} THEN 1 ELSE 0 END) AS long_gaps, MAX(g.sequence) AS s_hi, MIN(g.sequence) AS s_lo
      FROM ${gaps}`;
  }

  /**
   * Every stretch of the assessed range without a matching event: from the start (the range's, or
   * the trail's first day if later: time before the trail began is not judged) to the first event,
   * between events, and from the last one to the end. The last stretch is open when the end is the
   * as-of instant rather than the range's end; open and not yet too long, it is pending until
   * `nextDeadline`.
   */
  private async maxGap(
    rule: EventRule & { kind: 'MAX_GAP' },
    scope: MeasureScope,
    head: number,
    firstDay: string | null,
  ): Promise<RuleMeasure> {
    const [[row], gapRows] = await Promise.all([
      this.rows(this.maxGapSql(rule, scope, head)),
      this.rows(this.maxGapSql(rule, scope, head, 'gaps')),
    ]);
    const end = scope.to && scope.to < scope.now ? scope.to : scope.now;
    const open = !scope.to || scope.now < scope.to;
    const trail = firstDay ? new Date(`${firstDay}T00:00:00.000Z`) : null;
    const start = trail && trail > scope.from ? trail : trail && scope.from;
    const events = toNumber(row?.events ?? 0);
    const at = (value: unknown) => (value === null || value === undefined ? null : fromSqlDateTime(value));
    const stretches: { from: string; to: string; sequence: number | null }[] = [];
    const gap = durationMs(rule.maxGap);
    let tested = 0;
    let longGaps = 0;
    let nextDeadline: string | null = null;
    if (start && start < end) {
      const first = at(row?.first_at);
      const last = at(row?.last_at);
      const judge = (from: Date, to: Date, closed: boolean, sequence: number | null) => {
        const tooLong = to.getTime() - from.getTime() > gap;
        if (!closed && !tooLong) {
          nextDeadline = new Date(from.getTime() + gap).toISOString();
          return;
        }
        tested++;
        if (tooLong) {
          longGaps++;
          stretches.push({ from: from.toISOString(), to: to.toISOString(), sequence });
        }
      };
      if (events === 0 || !first || !last) {
        // No event in the range shows the duty. Only an earlier event can: the stretch runs from
        // it. Without one, a stretch not yet too long is not judged — nothing was shown, so it is
        // not met — though one already too long is a gap.
        const before = await this.lastBefore(rule, scope, head);
        if (before) judge(before, end, !open, null);
        else if (end.getTime() - start.getTime() > gap || open) judge(start, end, !open, null);
      } else {
        judge(start, new Date(first), true, toNumber(row?.s_lo));
        tested += events - 1;
        longGaps += toNumber(row?.long_gaps ?? 0);
        for (const g of gapRows) stretches.push({ from: at(g.prev_at)!, to: at(g.occurred_at)!, sequence: toNumber(g.sequence) });
        judge(new Date(last), end, !open, null);
      }
    }
    stretches.sort((a, b) => a.from.localeCompare(b.from));
    return {
      kind: 'MAX_GAP',
      events,
      tested,
      longGaps,
      pending: nextDeadline ? 1 : 0,
      nextDeadline,
      gaps: stretches.slice(0, MAX_GAPS_LISTED).map(({ from, to }) => ({ from, to })),
      samples: {
        events: [row?.s_hi, row?.s_lo].filter((x) => x !== null && x !== undefined).map(toNumber),
        gaps: stretches.flatMap((x) => (x.sequence === null ? [] : [x.sequence])),
      },
    };
  }

  /**
   * AT_LEAST with `distinct`: per calendar period of the range, how many distinct keys have a
   * matching event, from the events (distinct counts do not add up over days, so the rollup cannot
   * give them). One statement: a CASE puts each event in its period, named by the day the period's
   * part in the range starts; `byDay` holds one entry per period, which the evaluation sums by
   * period as it does event counts.
   */
  private async atLeastDistinct(rule: EventRule & { kind: 'AT_LEAST' }, scope: MeasureScope, head: number): Promise<RuleMeasure> {
    const end = scope.to ?? scope.now;
    const spans = periodsBetween(rule.period, scope.from, end);
    if (!spans.length) return { kind: 'AT_LEAST', byDay: new Map(), samples: [] };
    const at = (date: Date) => v(toSqlDateTime(date.toISOString()));
    const day = (span: { start: Date }) => v(dayOf(span.start < scope.from ? scope.from : span.start));
    const period = sql`CASE ${joinSql(
      spans.map((span) => sql`WHEN e.occurred_at < ${at(span.end)} THEN ${day(span)}`),
      ' ',
    )} END`;
    const key = this.rules.correlationKey('e', rule.distinct!);
    const rows = await this.rows(sql`SELECT p.d AS d, COUNT(DISTINCT p.k) AS n, MAX(p.sequence) AS s_hi, MIN(p.sequence) AS s_lo
      FROM (SELECT ${period} AS d, ${key} AS k, e.sequence AS sequence FROM audit_event e${this.rules.indexHint([rule.match])}
            WHERE ${this.range('e', scope.tenantId, scope.from, end, head)} AND ${key} IS NOT NULL AND ${this.rules.match(rule.match, 'e', { kind: 'exists' })}) p
      GROUP BY p.d`);
    const byDay = new Map(rows.map((row) => [String(row.d), toNumber(row.n)]));
    const samples = rows
      .flatMap((row) => [row.s_hi, row.s_lo])
      .filter((x) => x !== null && x !== undefined)
      .map(toNumber);
    return { kind: 'AT_LEAST', byDay, samples: [Math.max(...samples), Math.min(...samples)].filter(Number.isFinite) };
  }

  /**
   * RATIO with `distinct`: the keys with a population event in the range, and those none of whose
   * population events fails `qualifying`. One statement over the events, grouped by key. Samples:
   * a qualifying key's newest event, a short key's newest event that does not qualify.
   */
  private async ratioDistinct(rule: EventRule & { kind: 'RATIO' }, scope: MeasureScope, head: number): Promise<RuleMeasure> {
    const key = this.rules.correlationKey('e', rule.distinct!);
    const qualifies = this.inSet({ all: [rule.qualifying] }, 'e', { kind: 'exists' });
    const [row] = await this.rows(sql`SELECT COUNT(*) AS population, SUM(CASE WHEN x.short = 0 THEN 1 ELSE 0 END) AS qualifying,
        MAX(CASE WHEN x.short = 0 THEN x.hi END) AS q_hi, MIN(CASE WHEN x.short = 0 THEN x.hi END) AS q_lo,
        MAX(x.short_hi) AS s_hi, MIN(x.short_hi) AS s_lo
      FROM (SELECT ${key} AS k, SUM(CASE WHEN ${qualifies} THEN 0 ELSE 1 END) AS short, MAX(e.sequence) AS hi,
              MAX(CASE WHEN ${qualifies} THEN NULL ELSE e.sequence END) AS short_hi
            FROM audit_event e${this.rules.indexHint([rule.population])}
            WHERE ${this.range('e', scope.tenantId, scope.from, scope.to, head)} AND ${key} IS NOT NULL AND ${this.rules.match(rule.population, 'e', { kind: 'exists' })}
            GROUP BY ${key}) x`);
    const seqs = (...values: unknown[]) => values.filter((x) => x !== null && x !== undefined).map(toNumber);
    return {
      kind: 'RATIO',
      population: toNumber(row?.population ?? 0),
      qualifying: toNumber(row?.qualifying ?? 0),
      samples: { qualifying: seqs(row?.q_hi, row?.q_lo), short: seqs(row?.s_hi, row?.s_lo) },
    };
  }

  /** MAX_GAP: when the latest matching event before the range's start occurred, if any. */
  private async lastBefore(rule: EventRule & { kind: 'MAX_GAP' }, scope: MeasureScope, head: number): Promise<Date | null> {
    const [row] = await this.rows(
      sql`SELECT MAX(e.occurred_at) AS at FROM audit_event e${this.rules.indexHint([rule.match])}
        WHERE ${this.range('e', scope.tenantId, new Date(0), scope.from, head)} AND ${this.rules.match(rule.match, 'e', { kind: 'exists' })}`,
    );
    return row?.at === null || row?.at === undefined ? null : new Date(fromSqlDateTime(row.at));
  }

  /**
   * RECENT: the matching events in `[end − within, end)`, where the end is the range's (or the
   * as-of instant, if earlier) and the window may reach before the range's start. With enough of
   * them, also when the `count`-th newest leaves the window (an open range's answer changes then).
   */
  private async recent(
    rule: EventRule & { kind: 'RECENT' },
    scope: MeasureScope,
    head: number,
    firstDay: string | null,
  ): Promise<RuleMeasure> {
    const end = scope.to && scope.to < scope.now ? scope.to : scope.now;
    const start = new Date(end.getTime() - durationMs(rule.within));
    const where = sql`${this.range('e', scope.tenantId, start, end, head)} AND ${this.rules.match(rule.match, 'e', { kind: 'exists' })}`;
    const hint = this.rules.indexHint([rule.match]);
    const [[row], nth] = await Promise.all([
      this.rows(sql`SELECT COUNT(*) AS n, MAX(e.sequence) AS s_hi, MIN(e.sequence) AS s_lo FROM audit_event e${hint} WHERE ${where}`),
      this.rows(sql`SELECT e.occurred_at AS occurred_at FROM audit_event e${hint} WHERE ${where}
        ORDER BY e.occurred_at DESC, e.sequence DESC LIMIT 1 OFFSET ${v(rule.count - 1)}`),
    ]);
    const events = toNumber(row?.n ?? 0);
    const trail = firstDay ? new Date(`${firstDay}T00:00:00.000Z`) : null;
    return {
      kind: 'RECENT',
      events,
      windowStart: start.toISOString(),
      end: end.toISOString(),
      covered: !!trail && trail <= start,
      lapsesAt: nth[0] ? new Date(Date.parse(fromSqlDateTime(nth[0].occurred_at)) + durationMs(rule.within)).toISOString() : null,
      samples: [row?.s_hi, row?.s_lo].filter((x) => x !== null && x !== undefined).map(toNumber),
    };
  }

  /**
   * The events that name a violation rule's deviations in the assessed range, newest first, at most
   * `list.limit` (ADR 0036): a matching event (MATCH), a trigger overdue (NOT_FOLLOWED_BY), followed
   * (FOLLOWED_BY) or not preceded (NOT_PRECEDED_BY), the event that first completed a burst per
   * correlation key (BURST), the event that ended a stretch too long (MAX_GAP; the stretches at the
   * range's edges have no such event). `list.only`: just those of these sequences that are
   * deviations. AT_LEAST deviations are periods, not events: none listed. The same statements as
   * the measures, so the list agrees with the counts.
   */
  async deviations(rule: EventRule, scope: MeasureScope, head: number, list: Listing): Promise<number[]> {
    if (list.only && !list.only.length) return [];
    const q = await this.withFacets([rule], scope.tenantId, head);
    if (q !== this) return q.deviations(rule, scope, head, list);
    let query: Sql | null = null;
    if (rule.kind === 'MATCH') {
      query = sql`SELECT e.sequence AS sequence FROM audit_event e
        WHERE ${this.range('e', scope.tenantId, scope.from, scope.to, head)} AND ${this.rules.match(rule.match, 'e', { kind: 'exists' })}${only('e', list)}
        ORDER BY e.sequence DESC LIMIT ${v(list.limit)}`;
    } else if (rule.kind === 'NOT_FOLLOWED_BY' || rule.kind === 'FOLLOWED_BY') query = await this.followSql([rule], scope, head, list);
    else if (rule.kind === 'NOT_PRECEDED_BY') query = this.notPrecededBySql([rule], scope, head, list);
    else if (rule.kind === 'BURST')
      query = rule.response ? this.burstResponseSql(rule, scope, head, list) : this.burstSql(rule, scope, head, list);
    else if (rule.kind === 'MAX_GAP') query = this.maxGapSql(rule, scope, head, 'gaps', list);
    if (!query) return [];
    return (await this.rows(query)).map((row) => toNumber(row.sequence));
  }

  /** When the tenant's event with this sequence occurred; null if there is none. */
  async occurredAt(tenantId: string, sequence: number): Promise<Date | null> {
    const [row] = await this.rows({
      text: 'SELECT occurred_at FROM audit_event WHERE tenant_id = ? AND sequence = ?',
      params: [tenantId, sequence],
    });
    return row ? new Date(fromSqlDateTime(row.occurred_at)) : null;
  }

  /** The condition an event (alias `e`) meets when it matches `match`. */
  matchCondition(match: EventMatch): Sql {
    return this.rules.match(match, 'e', { kind: 'exists' });
  }

  /** The condition "matches one of the control's evidence rules" over alias `e`, for the evidence connection. */
  evidenceCondition(control: Control): Sql | null {
    // A RATIO rule's evidence is its population events that qualify.
    const sets = control.evidence.flatMap((rule): CountedSet[] =>
      rule.kind === 'NOT_FOLLOWED_BY' || rule.kind === 'FOLLOWED_BY'
        ? [{ all: [rule.trigger] }, { all: [rule.followUp] }]
        : rule.kind === 'NOT_PRECEDED_BY'
          ? [{ all: [rule.trigger] }, { all: [rule.precededBy] }]
          : rule.kind === 'RATIO'
            ? [{ all: [rule.population, rule.qualifying] }]
            : [{ all: [rule.match] }],
    );
    if (!sets.length) return null;
    return sql`(${joinSql(
      sets.map((set) => sql`(${this.inSet(set, 'e', { kind: 'exists' })})`),
      ' OR ',
    )})`;
  }

  /**
   * Events the server itself wrote (one reserved action and resource-id prefix) up to the head,
   * oldest first: those above the tenant's server-action floor, since below it a client could
   * still record `datapunk.` actions (attestations).
   */
  async serverEvents(
    tenantId: string,
    action: string,
    resourceType: string,
    resourceIdPrefix: string,
    headSequence: number,
  ): Promise<Record<string, unknown>[]> {
    const names = this.rules.match({ resourceType: [{ equals: resourceType }], action: [{ equals: action }] }, 'e', { kind: 'absent' });
    const query = sql`SELECT e.sequence AS sequence, e.occurred_at AS occurred_at, e.actor_id AS actor_id, e.actor_display_name AS actor_display_name,
        e.resource_id AS resource_id, e.metadata AS metadata
      FROM audit_event e
      WHERE e.tenant_id = ${v(tenantId)} AND ${names}
        AND e.resource_id >= ${v(resourceIdPrefix)} AND e.resource_id < ${v(prefixUpperBound(resourceIdPrefix))}
        AND e.sequence <= ${v(headSequence)}
        AND e.sequence > COALESCE((SELECT f.sequence FROM server_action_floor f WHERE f.tenant_id = ${v(tenantId)}), 0)
      ORDER BY e.sequence`;
    return this.dataSource.query(query.text, query.params);
  }
}

/**
 * The rollup's own totals, read in the snapshot with the head (ADR 0037): the event count of all
 * the tenant's rows, and how many rows could not have been written by an append (a count below 1 or
 * above its sequence span, a sequence outside 1..head, or at or below what retention deleted). One
 * scan of the tenant's rollup rows, which the sums read anyway. A pruned chain (ADR 0043) holds
 * head - deleted_through events, and the prune took their counts out of the rollup.
 */
const rollupTotals = (tenantId: string): Sql => {
  const head = sql`COALESCE((SELECT h.sequence FROM chain_head h WHERE h.tenant_id = ${v(tenantId)}), 0)`;
  const deleted = sql`COALESCE((SELECT p.deleted_through FROM chain_prune p WHERE p.tenant_id = ${v(tenantId)}), 0)`;
  return sql`SELECT ${head} AS head, ${deleted} AS deleted, COALESCE(SUM(r.event_count), 0) AS n, COUNT(CASE WHEN r.event_count < 1 OR r.min_sequence < 1 OR r.max_sequence < r.min_sequence OR r.event_count > r.max_sequence - r.min_sequence + 1 OR r.max_sequence > ${head} OR r.min_sequence <= ${deleted} THEN 1 END) AS bad FROM audit_event_rollup r WHERE r.tenant_id = ${v(tenantId)}`;
};

/**
 * Every event of the chain is counted in exactly one rollup row, in the append transaction, so the
 * rows add up to the head's sequence (less the events retention deleted). Anything else means the
 * table was changed outside the server: ROLLUP_INCONSISTENT rather than verdicts computed from it.
 */
function checkRollup(rows: readonly Record<string, unknown>[], tenantId: string): void {
  const headSequence = toNumber(rows[0]?.head ?? 0);
  const deleted = toNumber(rows[0]?.deleted ?? 0);
  const total = toNumber(rows[0]?.n ?? 0);
  const bad = toNumber(rows[0]?.bad ?? 0);
  if (total === headSequence - deleted && bad === 0) return;
  throw new AppError(
    ErrorCode.ROLLUP_INCONSISTENT,
    `The compliance rollup of tenant "${tenantId}" does not match its chain (it counts ${total} events, the chain holds ${headSequence - deleted}${deleted ? ` after ${deleted} pruned` : ''}; ${bad} rows are impossible). Run verifyAuditChain, then datapunk-audit rebuild-rollup --tenant ${tenantId}.`,
    { rollupEvents: total, headSequence, prunedEvents: deleted, impossibleRows: bad },
  );
}
