import type { DataSource } from 'typeorm';
import type { Control, EventMatch, EventRule } from '../plugin-api';
import { fromSqlDateTime, toNumber, toSqlDateTime } from '../database/sql-format';
import type { RuleMeasure, RuleRole } from './assessment';
import { type CategoryTest, joinSql, RuleSql, type Sql, sql } from './rule-sql';

/** The scope every measurement of one assessment shares: a tenant, a time range, a chain head. */
export interface MeasureScope {
  tenantId: string;
  from: Date;
  /** Exclusive; null: every event up to the head, whatever its time. */
  to: Date | null;
  /** Deadlines of temporal rules are judged against this instant. */
  now: Date;
  /** Only events up to this sequence count: the answer describes exactly this chain head. */
  headSequence: number;
}

/** One rule of one control. */
export interface PlannedRule {
  controlId: string;
  role: RuleRole;
  rule: EventRule;
}

const v = (value: unknown): Sql => ({ text: '?', params: [value] });
const matchKey = (match: EventMatch) => JSON.stringify(match);
/** Columns the grouped scan keeps; every EventMatch field but categories is one of them. */
const GROUP_COLUMNS = ['action', 'outcome_status', 'severity', 'classification', 'resource_type', 'actor_type'];
/** Category bits stay below 2^53 so that sums are exact in JavaScript too. */
export const MAX_RULE_CATEGORIES = 52;

/**
 * The SQL side of an assessment. MATCH and AT_LEAST rules of a whole framework are answered by
 * one grouped scan per shape (with and without categories): the events are grouped by day and by
 * the columns rules test, and each distinct match becomes a SUM over the groups. Temporal rules
 * run one query each. Nothing returns rows per event: the results are a few hundred numbers.
 */
export class AssessmentQueries {
  private readonly rules: RuleSql;

  constructor(private readonly dataSource: DataSource) {
    this.rules = new RuleSql(dataSource.options.type === 'better-sqlite3' ? 'sqlite' : 'mysql');
  }

  get ruleSql(): RuleSql {
    return this.rules;
  }

  /** `alias.occurred_at` inside the scope, and the sequence bound. */
  private range(alias: string, scope: MeasureScope): Sql {
    const to = scope.to ? sql` AND ${alias}.occurred_at < ${v(toSqlDateTime(scope.to.toISOString()))}` : '';
    return sql`${alias}.tenant_id = ${v(scope.tenantId)} AND ${alias}.occurred_at >= ${v(toSqlDateTime(scope.from.toISOString()))}${to} AND ${alias}.sequence <= ${v(scope.headSequence)}`;
  }

  /** Measures every rule; the map is keyed by the rule object. */
  async measure(planned: readonly PlannedRule[], scope: MeasureScope): Promise<Map<EventRule, RuleMeasure>> {
    const out = new Map<EventRule, RuleMeasure>();
    const counted = planned.filter((p) => p.rule.kind === 'MATCH' || p.rule.kind === 'AT_LEAST');
    const plain = new Map<string, EventMatch>();
    const labelled = new Map<string, EventMatch>();
    for (const { rule } of counted) {
      const match = (rule as { match: EventMatch }).match;
      (match.categories ? labelled : plain).set(matchKey(match), match);
    }
    const byDay = new Map<string, { days: Map<string, number>; hi: number | null; lo: number | null }>();
    await this.groupedScan([...plain.values()], scope, false, byDay);
    await this.groupedScan([...labelled.values()], scope, true, byDay);
    for (const { rule } of counted) {
      const found = byDay.get(matchKey((rule as { match: EventMatch }).match)) ?? { days: new Map(), hi: null, lo: null };
      const samples = [found.hi, found.lo].filter((s): s is number => s !== null);
      out.set(
        rule,
        rule.kind === 'MATCH'
          ? { kind: 'MATCH', count: [...found.days.values()].reduce((a, b) => a + b, 0), samples }
          : { kind: 'AT_LEAST', byDay: found.days, samples },
      );
    }
    for (const { rule } of planned) {
      if (rule.kind === 'NOT_FOLLOWED_BY') out.set(rule, await this.notFollowedBy(rule, scope));
      if (rule.kind === 'BURST') out.set(rule, await this.burst(rule, scope));
    }
    return out;
  }

  /**
   * Counts per day of each match. The inner query groups events by day and the tested columns (and
   * a category bit mask when the matches name categories); the outer one sums the groups each match
   * accepts, and keeps the newest and oldest sequence as samples.
   */
  private async groupedScan(
    matches: EventMatch[],
    scope: MeasureScope,
    withCategories: boolean,
    into: Map<string, { days: Map<string, number>; hi: number | null; lo: number | null }>,
  ): Promise<void> {
    if (!matches.length) return;
    const categories = [...new Set(matches.flatMap((m) => m.categories ?? []))];
    if (categories.length > MAX_RULE_CATEGORIES) throw new Error(`a framework's rules name more than ${MAX_RULE_CATEGORIES} categories`);
    const bits = new Map(categories.map((c, i) => [c, 2 ** i]));
    const test: CategoryTest = withCategories ? { kind: 'mask', column: 'g.mask', bits } : { kind: 'absent' };
    const columns = GROUP_COLUMNS.map((c) => `e.${c}`).join(', ');
    const day = this.rules.day('e.occurred_at');

    const inner = withCategories
      ? sql`SELECT ${day} AS d, ${columns}, m.mask AS mask, COUNT(*) AS n, MAX(e.sequence) AS hi, MIN(e.sequence) AS lo
          FROM (SELECT l.sequence AS seq, SUM(CASE l.value ${joinSql(
            categories.map((c) => sql`WHEN ${v(c)} THEN ${v(bits.get(c))}`),
            ' ',
          )} ELSE 0 END) AS mask
                FROM audit_event_label l
                WHERE l.tenant_id = ${v(scope.tenantId)} AND l.kind = 'category' AND l.value IN (${joinSql(
                  categories.map((c) => v(c)),
                  ', ',
                )})
                GROUP BY l.sequence) m
          JOIN audit_event e ON e.tenant_id = ${v(scope.tenantId)} AND e.sequence = m.seq
          WHERE ${this.range('e', scope)}
          GROUP BY d, ${columns}, m.mask`
      : sql`SELECT ${day} AS d, ${columns}, COUNT(*) AS n, MAX(e.sequence) AS hi, MIN(e.sequence) AS lo
          FROM audit_event e WHERE ${this.range('e', scope)}
          GROUP BY d, ${columns}`;
    const sums = matches.map((match, i) => {
      const cond = this.rules.match(match, 'g', test);
      return sql`SUM(CASE WHEN ${cond} THEN g.n ELSE 0 END) AS c${i}, MAX(CASE WHEN ${cond} THEN g.hi END) AS h${i}, MIN(CASE WHEN ${cond} THEN g.lo END) AS l${i}`;
    });
    const query = sql`SELECT g.d AS d, ${joinSql(sums, ', ')} FROM (${inner}) g GROUP BY g.d`;
    const rows: Record<string, unknown>[] = await this.dataSource.query(query.text, query.params);

    matches.forEach((match, i) => {
      const entry = { days: new Map<string, number>(), hi: null as number | null, lo: null as number | null };
      for (const row of rows) {
        const n = toNumber(row[`c${i}`] ?? 0);
        if (n > 0) entry.days.set(String(row.d), n);
        if (row[`h${i}`] !== null && row[`h${i}`] !== undefined) entry.hi = Math.max(entry.hi ?? 0, toNumber(row[`h${i}`]));
        if (row[`l${i}`] !== null && row[`l${i}`] !== undefined) entry.lo = Math.min(entry.lo ?? Infinity, toNumber(row[`l${i}`]));
      }
      into.set(matchKey(match), entry);
    });
  }

  /** Triggers in range; for each, whether a correlated follow-up came within the window (even after `to`). */
  private async notFollowedBy(rule: EventRule & { kind: 'NOT_FOLLOWED_BY' }, scope: MeasureScope): Promise<RuleMeasure> {
    const r = this.rules;
    const deadline = r.plus('t.occurred_at', rule.within);
    const now = v(toSqlDateTime(scope.now.toISOString()));
    const followed = sql`CASE WHEN EXISTS (SELECT 1 FROM audit_event f
        WHERE f.tenant_id = t.tenant_id AND f.sequence <= ${v(scope.headSequence)} AND f.sequence <> t.sequence
          AND f.occurred_at >= t.occurred_at AND f.occurred_at <= ${deadline}
          AND ${r.correlates('t', 'f', rule.correlation)} AND ${r.match(rule.followUp, 'f', { kind: 'exists' })}) THEN 1 ELSE 0 END`;
    const overdue = sql`x.followed = 0 AND x.deadline <= ${now}`;
    const waiting = sql`x.followed = 0 AND x.deadline > ${now}`;
    const query = sql`SELECT COUNT(*) AS triggers, SUM(x.followed) AS followed,
        SUM(CASE WHEN ${overdue} THEN 1 ELSE 0 END) AS overdue,
        SUM(CASE WHEN ${waiting} THEN 1 ELSE 0 END) AS pending,
        MIN(CASE WHEN ${waiting} THEN x.deadline END) AS next_deadline,
        MAX(CASE WHEN x.followed = 1 THEN x.sequence END) AS f_hi, MIN(CASE WHEN x.followed = 1 THEN x.sequence END) AS f_lo,
        MAX(CASE WHEN ${overdue} THEN x.sequence END) AS o_hi, MIN(CASE WHEN ${overdue} THEN x.sequence END) AS o_lo
      FROM (SELECT t.sequence AS sequence, ${deadline} AS deadline, ${followed} AS followed
            FROM audit_event t
            WHERE ${this.range('t', scope)} AND ${r.match(rule.trigger, 't', { kind: 'exists' })}) x`;
    const [row]: Record<string, unknown>[] = await this.dataSource.query(query.text, query.params);
    const seqs = (...values: unknown[]) => values.filter((x) => x !== null && x !== undefined).map(toNumber);
    return {
      kind: 'NOT_FOLLOWED_BY',
      triggers: toNumber(row?.triggers ?? 0),
      followed: toNumber(row?.followed ?? 0),
      overdue: toNumber(row?.overdue ?? 0),
      pending: toNumber(row?.pending ?? 0),
      nextDeadline: row?.next_deadline === null || row?.next_deadline === undefined ? null : fromSqlDateTime(row.next_deadline),
      samples: { followed: seqs(row?.f_hi, row?.f_lo), overdue: seqs(row?.o_hi, row?.o_lo) },
    };
  }

  /**
   * Events that complete a burst: the (count-1)-th earlier matching event of the same correlation
   * key is within the window. Found with LAG over the matching events only.
   */
  private async burst(rule: EventRule & { kind: 'BURST' }, scope: MeasureScope): Promise<RuleMeasure> {
    const r = this.rules;
    const key = r.correlationKey('e', rule.correlation);
    const query = sql`SELECT COUNT(DISTINCT x.k) AS key_count, COUNT(*) AS windows,
        MAX(x.sequence) AS s_hi, MIN(x.sequence) AS s_lo
      FROM (SELECT ${key} AS k, e.sequence AS sequence, e.occurred_at AS occurred_at,
              LAG(e.occurred_at, ${Math.trunc(rule.count) - 1}) OVER (PARTITION BY ${key} ORDER BY e.occurred_at, e.sequence) AS start
            FROM audit_event e
            WHERE ${this.range('e', scope)} AND ${key} IS NOT NULL AND ${r.match(rule.match, 'e', { kind: 'exists' })}) x
      WHERE x.start IS NOT NULL AND x.occurred_at <= ${r.plus('x.start', rule.within)}`;
    const [row]: Record<string, unknown>[] = await this.dataSource.query(query.text, query.params);
    return {
      kind: 'BURST',
      keys: toNumber(row?.key_count ?? 0),
      windows: toNumber(row?.windows ?? 0),
      samples: [row?.s_hi, row?.s_lo].filter((x) => x !== null && x !== undefined).map(toNumber),
    };
  }

  /** The condition "matches one of the control's evidence rules" over alias `e`, for the evidence connection. */
  evidenceCondition(control: Control): Sql | null {
    const matches = control.evidence.flatMap((rule): EventMatch[] =>
      rule.kind === 'NOT_FOLLOWED_BY' ? [rule.trigger, rule.followUp] : [rule.match],
    );
    if (!matches.length) return null;
    return sql`(${joinSql(
      matches.map((m) => sql`(${this.rules.match(m, 'e', { kind: 'exists' })})`),
      ' OR ',
    )})`;
  }

  /** The chain head of a tenant: sequence 0 and no hash before the first event. */
  async head(tenantId: string): Promise<{ sequence: number; chainHash: string | null }> {
    const [row]: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT sequence, chain_hash FROM chain_head WHERE tenant_id = ?',
      [tenantId],
    );
    return row ? { sequence: toNumber(row.sequence), chainHash: String(row.chain_hash) } : { sequence: 0, chainHash: null };
  }

  /** Rows of one action and resource-id prefix up to the head, oldest first (attestations). */
  async serverEvents(
    tenantId: string,
    action: string,
    resourceType: string,
    resourceIdPrefix: string,
    headSequence: number,
  ): Promise<Record<string, unknown>[]> {
    const names = this.rules.match({ resourceType: [{ equals: resourceType }], action: [{ equals: action }] }, 'e', { kind: 'absent' });
    const upper = resourceIdPrefix.slice(0, -1) + String.fromCharCode(resourceIdPrefix.charCodeAt(resourceIdPrefix.length - 1) + 1);
    const query = sql`SELECT e.sequence AS sequence, e.occurred_at AS occurred_at, e.actor_id AS actor_id, e.actor_display_name AS actor_display_name,
        e.resource_id AS resource_id, e.metadata AS metadata
      FROM audit_event e
      WHERE e.tenant_id = ${v(tenantId)} AND ${names} AND e.resource_id >= ${v(resourceIdPrefix)} AND e.resource_id < ${v(upper)}
        AND e.sequence <= ${v(headSequence)}
      ORDER BY e.sequence`;
    return this.dataSource.query(query.text, query.params);
  }
}
