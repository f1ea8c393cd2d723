import type { Correlation, Duration, EventMatch, MetadataPredicate, NamePattern } from '../plugin-api';
import { CLASSIFICATION_LEVELS, SEVERITIES } from '../plugin-api';
import { joinSql, prefixUpperBound, type Sql, sql } from '../database/sql';
import { globPrefix, globToRegex } from './name-pattern';
import { FACET_KIND } from '../audit/metadata-facets';
import { type FacetLookup, NO_FACETS } from '../audit/metadata-facet-index';

export type Dialect = 'sqlite' | 'mysql';

const value = (v: unknown): Sql => ({ text: '?', params: [v] });
const list = (values: readonly unknown[]): Sql => ({ text: values.map(() => '?').join(', '), params: [...values] });

/**
 * How a rule's `categories` are tested: `exists` looks the event's labels up (row queries); `list`
 * searches a sorted comma-separated column (the rollup's `categories`); `absent` means the query
 * only ever sees rules without categories.
 */
export type CategoryTest = { kind: 'exists' } | { kind: 'list'; column: string } | { kind: 'absent' };

/**
 * The match names its actions exactly, by prefix or by a glob with a literal prefix: an action
 * index finds its events as a few ranges, whatever the number of other events of the tenant.
 */
export const actionRanged = (m: EventMatch): boolean =>
  !!m.action?.length && m.action.every((p) => 'equals' in p || 'prefix' in p || globPrefix(p.glob) !== '');

/** Translates the declarative rule language into SQL for one dialect. */
export class RuleSql {
  /**
   * The metadata facets an assessment may test as labels (ADR 0056): set per assessment from the
   * ready facets; a predicate without one is tested on the metadata JSON.
   */
  facets: FacetLookup = NO_FACETS;

  constructor(readonly dialect: Dialect) {}

  /** `YYYY-MM-DD` of a DATETIME column, in UTC (both dialects store UTC). */
  day(column: string): string {
    return this.dialect === 'sqlite' ? `substr(${column}, 1, 10)` : `DATE_FORMAT(${column}, '%Y-%m-%d')`;
  }

  /** A DATETIME column plus a duration, comparable with stored values. */
  plus(column: string, duration: Duration): string {
    return this.shift(column, duration, '+');
  }

  /** A DATETIME column minus a duration, comparable with stored values. */
  minus(column: string, duration: Duration): string {
    return this.shift(column, duration, '-');
  }

  private shift(column: string, duration: Duration, sign: '+' | '-'): string {
    const [unit, amount] = Object.entries(duration)[0] as ['minutes' | 'hours' | 'days', number];
    const n = Math.trunc(amount);
    if (this.dialect === 'sqlite') return `strftime('%Y-%m-%d %H:%M:%f', ${column}, '${sign}${n} ${unit}')`;
    const mysqlUnit = { minutes: 'MINUTE', hours: 'HOUR', days: 'DAY' }[unit];
    return `(${column} ${sign} INTERVAL ${n} ${mysqlUnit})`;
  }

  /**
   * The correlation key of an event as one value (null when any part is null: such events never
   * correlate). Two columns are joined with the first one's length in front, so that no two pairs
   * share a key: `a:b` + `c` and `a` + `b:c` gave one key `a:b:c` when they were joined with `:`
   * (the resource type and id may both hold one). On MariaDB the key is the SHA-256 of that
   * (correlationColumns).
   */
  correlationKey(alias: string, correlation: Correlation): string {
    const [first, second, ...rest] = this.correlationColumns(alias, correlation);
    if (first === undefined) return `${alias}.tenant_id`;
    if (second === undefined) return first;
    if (rest.length) throw new Error('a correlation key has at most two columns');
    return `length(${first}) || ':' || ${first} || ${second}`;
  }

  /**
   * The expressions an event's correlation key is made of, for PARTITION BY and GROUP BY (empty for
   * TENANT: every event of the tenant belongs together). A null in any of them means the event
   * correlates with none.
   *
   * On MariaDB, ACTOR and RESOURCE are one 32-byte SHA-256 of the two columns, the first prefixed
   * with its length so that no two pairs share an encoding: window functions sort and copy their
   * partition key per row, and the columns are up to 256 characters (about 1 KiB each in utf8mb4), so
   * a million-event year spilled its window sorts and temporary tables to disk. The columns compare
   * as binary (utf8mb4_bin), so the hash groups exactly the events the columns do; CONCAT is null when
   * a column is. SQLite sorts the columns themselves.
   */
  correlationColumns(alias: string, correlation: Correlation): string[] {
    const pair = (a: string, b: string) =>
      this.dialect === 'mysql' ? [`UNHEX(SHA2(CONCAT(LENGTH(${a}), ':', ${a}, ${b}), 256))`] : [a, b];
    switch (correlation) {
      case 'ACTOR':
        return pair(`${alias}.actor_type`, `${alias}.actor_id`);
      case 'RESOURCE':
        return pair(`${alias}.resource_type`, `${alias}.resource_id`);
      case 'IP':
        return [`${alias}.actor_ip`];
      case 'TENANT':
        return [];
    }
  }

  /**
   * On MariaDB, the index hint for a scan of the events that match one of `matches`: when each
   * names its actions exactly or by a prefix, the events are found through an action index instead
   * of the tenant's time range (which reads every event of the year). The planner's estimates
   * prefer the time range even when the actions are a twentieth of it, and the scan then reads and
   * tests every event. With every match also naming outcomes, the outcome index holds exactly the
   * matching events; a match with no action range but only exceptional outcomes is a range of the
   * outcome index as well. Empty on SQLite (its plans are steered by `+` and INDEXED BY where
   * needed) and when a match has neither.
   */
  indexHint(matches: readonly EventMatch[]): string {
    if (this.dialect !== 'mysql' || !matches.length) return '';
    // A match that names no action but only exceptional outcomes (failures, denials, errors: the
    // few events of a trail) is a range of the outcome index too (ADR 0045, amended 2026-12-04).
    // Not SUCCESS, most of the year: read through an index in its order, that costs more than the scan.
    const exceptional = (m: EventMatch) => !!m.outcome?.length && !m.outcome.includes('SUCCESS');
    if (matches.every(actionRanged)) {
      return matches.every((m) => m.outcome?.length)
        ? ' FORCE INDEX (ix_audit_event_outcome_actor)'
        : ' FORCE INDEX (ix_audit_event_action_resource)';
    }
    return matches.every((m) => exceptional(m) || (actionRanged(m) && m.outcome?.length))
      ? ' FORCE INDEX (ix_audit_event_outcome_actor)'
      : '';
  }

  /**
   * The time index for a scan of at most a day (the partial days at the edges of an assessed range):
   * a day of the tenant's events is fewer than the year of events an action or outcome index holds
   * for the matches, since their time comes after the action, resource or actor in those indexes.
   * Without it MariaDB read a first partial day of the bench tenant through the action index as the
   * whole tenant (1,000,000 index entries, 3.9 s for no event; ADR 0045, amended 2026-12-07).
   */
  timeHint(): string {
    return this.dialect === 'mysql' ? ' FORCE INDEX (ix_audit_event_occurred)' : ' INDEXED BY ix_audit_event_occurred';
  }

  /**
   * On MariaDB, the index a plain BURST reads its events through: indexHint, or, when that names
   * none, the outcome index whenever the match names outcomes and tests nothing that index lacks
   * (its action, outcome and actor type, and categories, which are looked up by sequence) under a
   * correlation it holds (ACTOR, IP, TENANT). The statement then reads no event row: HIPAA's PHI
   * bulk-read burst (`**.read`, no literal prefix, SUCCESS) reads the successes' index entries in
   * order instead of looking up the year's rows (ADR 0045, amended 2026-12-04).
   */
  burstHint(match: EventMatch, correlation: Correlation): string {
    const hint = this.indexHint([match]);
    if (hint || this.dialect !== 'mysql' || correlation === 'RESOURCE' || !match.outcome?.length) return hint;
    const held = new Set(['action', 'outcome', 'actorType', 'categories']);
    const tested = Object.entries(match).filter(([, value]) => value !== undefined);
    return tested.every(([key]) => held.has(key)) ? ' FORCE INDEX (ix_audit_event_outcome_actor)' : '';
  }

  /**
   * On MariaDB, the index a temporal statement reads its events through: for a RESOURCE
   * correlation with every match named by action, the action index, which holds the resource, the
   * time, the outcome and the recording time, so that the statement reads no row unless a match
   * tests more (metadata, categories); otherwise indexHint. Empty on SQLite.
   */
  temporalHint(matches: readonly EventMatch[], correlation: Correlation): string {
    if (this.dialect !== 'mysql') return '';
    if (correlation === 'RESOURCE' && matches.length && matches.every(actionRanged)) return ' FORCE INDEX (ix_audit_event_action_resource)';
    return this.indexHint(matches);
  }

  /**
   * The index a probe from one trigger reads its follow-ups through (followProbeSql): under RESOURCE,
   * the action index when the follow-up names its actions (the trigger's resource and time are its
   * next columns), else the resource index with the time. On MariaDB a hint, on SQLite INDEXED BY
   * (its planner, without statistics, may take an outcome index that does not hold the resource).
   * Under other correlations the planner chooses.
   */
  probeHint(followUp: EventMatch, correlation: Correlation): string {
    if (correlation !== 'RESOURCE') return '';
    const index = actionRanged(followUp) ? 'ix_audit_event_action_resource' : 'ix_audit_event_resource_time';
    return this.dialect === 'mysql' ? ` FORCE INDEX (${index})` : ` INDEXED BY ${index}`;
  }

  /** `a` and `b` belong together under `correlation`. */
  correlates(a: string, b: string, correlation: Correlation): string {
    switch (correlation) {
      case 'ACTOR':
        return `${b}.actor_id = ${a}.actor_id AND ${b}.actor_type = ${a}.actor_type`;
      case 'RESOURCE':
        return `${b}.resource_type = ${a}.resource_type AND ${b}.resource_id = ${a}.resource_id`;
      case 'IP':
        return `${b}.actor_ip = ${a}.actor_ip`;
      case 'TENANT':
        return '1 = 1';
    }
  }

  private names(column: string, patterns: readonly NamePattern[]): Sql {
    const each = patterns.map((p): Sql => {
      if ('equals' in p) return sql`${column} = ${value(p.equals)}`;
      if ('prefix' in p) return sql`(${column} >= ${value(p.prefix)} AND ${column} < ${value(prefixUpperBound(p.prefix))})`;
      const prefix = globPrefix(p.glob);
      const regex = sql`${column} REGEXP ${value(globToRegex(p.glob))}`;
      return prefix ? sql`(${column} >= ${value(prefix)} AND ${column} < ${value(prefixUpperBound(prefix))} AND ${regex})` : regex;
    });
    return each.length === 1 ? each[0] : sql`(${joinSql(each, ' OR ')})`;
  }

  /** The condition an event (columns of `alias`) meets when it matches. An empty match is `1 = 1`. */
  match(match: EventMatch, alias: string, categories: CategoryTest): Sql {
    const parts: Sql[] = [];
    if (match.action) parts.push(this.names(`${alias}.action`, match.action));
    if (match.resourceType) parts.push(this.names(`${alias}.resource_type`, match.resourceType));
    if (match.outcome) parts.push(sql`${alias}.outcome_status IN (${list(match.outcome)})`);
    if (match.actorType) parts.push(sql`${alias}.actor_type IN (${list(match.actorType)})`);
    if (match.minSeverity) parts.push(sql`${alias}.severity >= ${value(SEVERITIES.indexOf(match.minSeverity))}`);
    if (match.classification) {
      parts.push(sql`${alias}.classification IN (${list(match.classification.map((c) => CLASSIFICATION_LEVELS.indexOf(c)))})`);
    }
    if (match.minClassification) {
      parts.push(sql`${alias}.classification >= ${value(CLASSIFICATION_LEVELS.indexOf(match.minClassification))}`);
    }
    // Last: the cheap column tests above decide most rows before the label lookup and JSON parsing run.
    if (match.categories) parts.push(this.categories(match.categories, alias, categories));
    if (match.metadata) {
      if (categories.kind === 'list') throw new Error('a rule with metadata reached the rollup, which has none');
      parts.push(...match.metadata.map((p) => this.metadata(p, alias)));
    }
    return parts.length ? joinSql(parts, ' AND ') : { text: '1 = 1', params: [] };
  }

  /**
   * One metadata predicate. The JSON type is tested with the value, so that `"1"`, `1` and `true`
   * stay apart on both dialects (SQLite's json_extract gives 1 for true; MariaDB's JSON_VALUE text).
   */
  private metadata(p: MetadataPredicate, alias: string): Sql {
    // A ready facet answers the predicate from the label index: no row read, no JSON parsed (ADR 0056).
    const facet = this.facets.facetOf(p);
    if (facet?.empty) return { text: facet.negated ? '1 = 1' : '1 = 0', params: [] };
    if (facet) {
      const labelled = sql`EXISTS (SELECT 1 FROM audit_event_label ${alias}_md WHERE ${alias}_md.tenant_id = ${alias}.tenant_id AND ${alias}_md.kind = '${FACET_KIND}' AND ${alias}_md.value = ${value(facet.key)} AND ${alias}_md.sequence = ${alias}.sequence)`;
      return facet.negated ? sql`NOT ${labelled}` : labelled;
    }
    const column = `${alias}.metadata`;
    const path = value(`$.${p.path}`);
    const sqlite = this.dialect === 'sqlite';
    const type = sqlite ? sql`json_type(${column}, ${path})` : sql`JSON_TYPE(JSON_EXTRACT(${column}, ${path}))`;
    if (p.exists !== undefined) {
      const present = sqlite ? sql`COALESCE(${type}, 'null') <> 'null'` : sql`COALESCE(${type}, 'NULL') <> 'NULL'`;
      return p.exists ? present : sql`NOT (${present})`;
    }
    const one = (x: string | number | boolean): Sql => {
      if (typeof x === 'boolean') {
        return sqlite
          ? sql`${type} = ${value(x ? 'true' : 'false')}`
          : sql`(${type} = 'BOOLEAN' AND JSON_EXTRACT(${column}, ${path}) = ${value(x ? 'true' : 'false')})`;
      }
      if (typeof x === 'number') {
        return sqlite
          ? sql`(${type} IN ('integer', 'real') AND json_extract(${column}, ${path}) = ${value(x)})`
          : sql`(${type} IN ('INTEGER', 'DOUBLE') AND CAST(JSON_VALUE(${column}, ${path}) AS DOUBLE) = ${value(x)})`;
      }
      return sqlite
        ? sql`(${type} = 'text' AND json_extract(${column}, ${path}) = ${value(x)})`
        : sql`(${type} = 'STRING' AND CAST(JSON_VALUE(${column}, ${path}) AS BINARY) = CAST(${value(x)} AS BINARY))`;
    };
    const values = p.in ?? [p.equals!];
    return values.length === 1 ? one(values[0]) : sql`(${joinSql(values.map(one), ' OR ')})`;
  }

  private categories(wanted: readonly string[], alias: string, test: CategoryTest): Sql {
    if (test.kind === 'list') {
      // Categories are UPPER_SNAKE_CASE, so `,PHI,` inside `,PHI,PII,` cannot match a part of another.
      const padded = this.dialect === 'sqlite' ? `',' || ${test.column} || ','` : `CONCAT(',', ${test.column}, ',')`;
      return sql`(${joinSql(
        wanted.map((c) => sql`INSTR(${padded}, ${value(`,${c},`)}) > 0`),
        ' OR ',
      )})`;
    }
    if (test.kind === 'absent') throw new Error('a rule with categories reached a query without category data');
    return sql`EXISTS (SELECT 1 FROM audit_event_label l WHERE l.tenant_id = ${alias}.tenant_id AND l.sequence = ${alias}.sequence AND l.kind = 'category' AND l.value IN (${list(wanted)}))`;
  }
}
