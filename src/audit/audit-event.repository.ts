import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { prefixUpperBound, type Sql, sql } from '../database/sql';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { toNumber, toSqlDateTime } from '../database/sql-format';
import { LISTED_EVENT_COLUMNS, mapEventRow, mapListedRow } from './event-row';
import type { SqliteReader } from '../database/sqlite-reader';
import { CLASSIFICATION_ORDER, classificationRank, SEVERITY_ORDER, severityRank } from './audit-event.model';
import { AUDIT_EVENT_COLUMNS } from './audit-event.columns';
import { AuditEventGroupBy, type AuditEventFilter, SortOrder } from './audit-event.types';
import { ERASED, type PersonalData } from './personal-data';
import type { ListedEvent, StoredEvent } from './stored-event';

/**
 * A filter as the repository takes it: the GraphQL filter with its control resolved to a condition
 * over alias `e`, and the actions the caller may not see (a VIEWER's read records, ADR 0044).
 */
export type EventQuery = Omit<AuditEventFilter, 'control'> & { condition?: Sql; withoutActions?: readonly string[] };

/** `condition`, and none of `actions`: SQL over alias `e`. */
export function excludingActions(condition: Sql, actions: readonly string[]): Sql {
  if (!actions.length) return condition;
  return {
    text: `(${condition.text}) AND e.action NOT IN (${actions.map(() => '?').join(', ')})`,
    params: [...condition.params, ...actions],
  };
}

export type { ListedEvent, SealedForm, StoredEvent } from './stored-event';

export interface EventLabels {
  categories: string[];
  tags: string[];
}

/** Every stored column a read needs (the payload hash and the scope only serve idempotency). */
const COLUMNS = AUDIT_EVENT_COLUMNS.filter((c) => c !== 'payload_hash' && c !== 'idempotency_scope').map((c) => `e.${c} AS ${c}`);

/** What a listing of many events selects (`scanAscending`). */
const LISTED_COLUMNS = LISTED_EVENT_COLUMNS.map((c) => `e.${c} AS ${c}`);

// Kept apart from this module's database imports: the verification workers map rows too (ADR 0051).
export { mapEventRow };

/** Opaque cursors: base64url of `s:<sequence>`. */
export const encodeCursor = (sequence: number): string => Buffer.from(`s:${sequence}`).toString('base64url');
export function decodeCursor(cursor: string): number {
  const match = /^s:(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match)
    throw new AppError(ErrorCode.INVALID_CURSOR, 'The cursor is not one this API issued; pass an endCursor from a previous page.');
  return Number(match[1]);
}

/** Reads of audit events. Every method takes the tenant first: no query exists without it. */
export class AuditEventRepository {
  /**
   * `reader`: on SQLite, every read that may walk many rows (pages under a filter or a control's
   * evidence condition, counts, stats) runs outside the event loop.
   */
  constructor(
    private readonly dataSource: DataSource,
    private readonly reader?: SqliteReader,
    /** Opens sealed personal fields (ADR 0042); without it events read as stored. */
    private readonly personal?: PersonalData,
  ) {}

  /** Events as stored (sealed), opened: plaintext where the subject's key exists, tombstones where it was erased. */
  async open<E extends ListedEvent>(tenantId: string, events: E[]): Promise<E[]> {
    return this.personal && events.length ? this.personal.open(tenantId, events) : events;
  }

  /**
   * A filter as the record of a read names it (ADR 0044): `actorId` and `resourceId`, which may
   * name a person, as keyed pseudonyms (`p_…`) when personal data is sealed.
   */
  scopeOf<F extends { actorId?: string | null; resourceId?: string | null }>(tenantId: string, filter: F | null | undefined): F | null {
    if (!filter) return null;
    const personal = this.personal;
    if (!personal) return filter;
    const hide = (value: string | null | undefined) => (value ? personal.pseudonymOf(tenantId, value) : value);
    return {
      ...filter,
      ...(filter.actorId ? { actorId: hide(filter.actorId) } : {}),
      ...(filter.resourceId ? { resourceId: hide(filter.resourceId) } : {}),
    };
  }

  /**
   * The filter with an `actorId` / `resourceId` that names a data subject widened to the subject's
   * stored reference (its events hold that in place of the id).
   */
  private async pseudonymised(tenantId: string, filter: EventQuery | undefined): Promise<EventQuery | undefined> {
    if (!this.personal || !filter || (!filter.actorId && !filter.resourceId)) return filter;
    const ids = [filter.actorId, filter.resourceId].filter((v): v is string => !!v);
    const refs = await this.personal.refsOf(tenantId, ids);
    const widen = (id: string | undefined | null) => (id ? [id, ...(refs.has(id) ? [refs.get(id)!] : [])] : undefined);
    return { ...filter, actorIds: widen(filter.actorId), resourceIds: widen(filter.resourceId) } as EventQuery;
  }

  /** A read that may walk many rows: through the SQLite reader when there is one, else on the connection. */
  private async scan<T>(text: string, params: unknown[]): Promise<T[]> {
    if (this.reader) return (await this.reader.read([{ text, params }]))[0] as T[];
    return this.dataSource.query(text, params);
  }

  private scanOf<T>(qb: SelectQueryBuilder<object>): Promise<T[]> {
    const [text, params] = qb.getQueryAndParameters();
    return this.scan<T>(text, params);
  }

  private get sqlite(): boolean {
    return this.dataSource.options.type === 'better-sqlite3';
  }

  private filtered(tenantId: string, filter: EventQuery = {}): SelectQueryBuilder<object> {
    const qb = this.dataSource.createQueryBuilder().from('audit_event', 'e').where('e.tenant_id = :tenantId', { tenantId });
    const f = filter;
    if (f.occurredFrom) qb.andWhere('e.occurred_at >= :occurredFrom', { occurredFrom: toSqlDateTime(f.occurredFrom) });
    if (f.occurredTo) qb.andWhere('e.occurred_at < :occurredTo', { occurredTo: toSqlDateTime(f.occurredTo) });
    if (f.sequenceFrom !== undefined && f.sequenceFrom !== null)
      qb.andWhere('e.sequence >= :sequenceFrom', { sequenceFrom: f.sequenceFrom });
    if (f.sequenceTo !== undefined && f.sequenceTo !== null) qb.andWhere('e.sequence <= :sequenceTo', { sequenceTo: f.sequenceTo });
    const wide = f as { actorIds?: string[]; resourceIds?: string[] };
    if (wide.actorIds) qb.andWhere('e.actor_id IN (:...actorIds)', { actorIds: wide.actorIds });
    else if (f.actorId) qb.andWhere('e.actor_id = :actorId', { actorId: f.actorId });
    if (f.actorType) qb.andWhere('e.actor_type = :actorType', { actorType: f.actorType });
    if (f.action) qb.andWhere('e.action = :action', { action: f.action });
    if (f.actionPrefix) {
      qb.andWhere('e.action >= :actionFrom AND e.action < :actionTo', {
        actionFrom: f.actionPrefix,
        actionTo: prefixUpperBound(f.actionPrefix),
      });
    }
    if (f.withoutActions?.length) qb.andWhere('e.action NOT IN (:...withoutActions)', { withoutActions: [...f.withoutActions] });
    if (f.resourceType) qb.andWhere('e.resource_type = :resourceType', { resourceType: f.resourceType });
    if (wide.resourceIds) qb.andWhere('e.resource_id IN (:...resourceIds)', { resourceIds: wide.resourceIds });
    else if (f.resourceId) qb.andWhere('e.resource_id = :resourceId', { resourceId: f.resourceId });
    if (f.outcomeStatus) qb.andWhere('e.outcome_status = :outcomeStatus', { outcomeStatus: f.outcomeStatus });
    if (f.minSeverity) qb.andWhere('e.severity >= :minSeverity', { minSeverity: severityRank(f.minSeverity) });
    if (f.classification) qb.andWhere('e.classification = :classification', { classification: classificationRank(f.classification) });
    if (f.minClassification) {
      qb.andWhere('e.classification >= :minClassification', { minClassification: classificationRank(f.minClassification) });
    }
    if (f.condition) {
      // A compiled rule condition (`?` placeholders) as named parameters.
      const { params } = f.condition;
      const named: Record<string, unknown> = {};
      let i = 0;
      const text = f.condition.text.replace(/\?/g, () => {
        named[`cond${i}`] = params[i];
        return `:cond${i++}`;
      });
      qb.andWhere(`(${text})`, named);
    }
    for (const [kind, value] of [
      ['category', f.category],
      ['tag', f.tag],
    ] as const) {
      if (!value) continue;
      qb.andWhere(
        `EXISTS (SELECT 1 FROM audit_event_label l_${kind} WHERE l_${kind}.tenant_id = e.tenant_id AND l_${kind}.kind = :${kind}Kind AND l_${kind}.value = :${kind}Value AND l_${kind}.event_id = e.id)`,
        { [`${kind}Kind`]: kind, [`${kind}Value`]: value },
      );
    }
    return qb;
  }

  async findPage(
    tenantId: string,
    filter: EventQuery | undefined,
    first: number,
    after: string | null,
    order: SortOrder,
  ): Promise<{ events: StoredEvent[]; hasNextPage: boolean }> {
    const qb = this.filtered(tenantId, await this.pseudonymised(tenantId, filter)).select(COLUMNS);
    if (after !== null) {
      const sequence = decodeCursor(after);
      qb.andWhere(order === SortOrder.DESC ? 'e.sequence < :afterSequence' : 'e.sequence > :afterSequence', { afterSequence: sequence });
    }
    const rows = await this.scanOf<Record<string, unknown>>(qb.orderBy('e.sequence', order).limit(first + 1));
    return { events: await this.open(tenantId, rows.slice(0, first).map(mapEventRow)), hasNextPage: rows.length > first };
  }

  /**
   * The events of a filter oldest first, a page at a time, as a listing shows them
   * ({@link ListedEvent}: only the columns its cells are made from are selected and mapped), for a
   * reader that walks many pages (a report's event table). The statement is made once, with the
   * filter's subject ids widened once, and each page only names the sequence it starts after and
   * how many it reads; `findPage` made both again for every page (ADR 0029, amended 2026-12-08).
   */
  async scanAscending(
    tenantId: string,
    filter: EventQuery | undefined,
  ): Promise<(afterSequence: number | null, first: number) => Promise<{ events: ListedEvent[]; hasNextPage: boolean }>> {
    const widened = await this.pseudonymised(tenantId, filter);
    const statement = (withCursor: boolean) => {
      const qb = this.filtered(tenantId, widened).select(LISTED_COLUMNS);
      // A unique value marks where the cursor goes among the statement's parameters.
      const cursor = Symbol('afterSequence');
      if (withCursor) qb.andWhere('e.sequence > :afterSequence', { afterSequence: cursor });
      const [text, params] = qb.orderBy('e.sequence', SortOrder.ASC).getQueryAndParameters();
      return { text, params, at: params.indexOf(cursor) };
    };
    const first = statement(false);
    const next = statement(true);
    if (next.at < 0) throw new Error('scanAscending: the cursor parameter is missing from the statement');
    return async (afterSequence, size) => {
      if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`scanAscending: page size ${size} is not a positive integer`);
      const { text, params } = afterSequence === null ? first : next;
      const values = afterSequence === null ? params : params.map((p, i) => (i === next.at ? afterSequence : p));
      const rows = await this.scan<Record<string, unknown>>(`${text} LIMIT ${size + 1}`, values);
      return { events: await this.open(tenantId, rows.slice(0, size).map(mapListedRow)), hasNextPage: rows.length > size };
    };
  }

  async count(tenantId: string, filter?: EventQuery): Promise<number> {
    const [row] = await this.scanOf<{ n: unknown }>(
      this.filtered(tenantId, await this.pseudonymised(tenantId, filter)).select('COUNT(*)', 'n'),
    );
    return toNumber(row?.n ?? 0);
  }

  async stats(tenantId: string, filter: EventQuery | undefined, groupBy: AuditEventGroupBy, limit: number) {
    const expr: Record<AuditEventGroupBy, string> = {
      [AuditEventGroupBy.ACTION]: 'e.action',
      [AuditEventGroupBy.SEVERITY]: 'e.severity',
      [AuditEventGroupBy.OUTCOME]: 'e.outcome_status',
      [AuditEventGroupBy.ACTOR]: 'e.actor_id',
      [AuditEventGroupBy.ACTOR_TYPE]: 'e.actor_type',
      [AuditEventGroupBy.RESOURCE_TYPE]: 'e.resource_type',
      [AuditEventGroupBy.CLASSIFICATION]: 'e.classification',
      [AuditEventGroupBy.DAY]: this.sqlite ? 'substr(e.occurred_at, 1, 10)' : "DATE_FORMAT(e.occurred_at, '%Y-%m-%d')",
    };
    const qb = this.filtered(tenantId, await this.pseudonymised(tenantId, filter))
      .select(expr[groupBy], 'k')
      .addSelect('COUNT(*)', 'n')
      .groupBy(expr[groupBy]);
    if (groupBy === AuditEventGroupBy.DAY) qb.orderBy('k', 'ASC');
    else qb.orderBy('n', 'DESC').addOrderBy('k', 'ASC');
    const rows = await this.scanOf<{ k: unknown; n: unknown }>(qb.limit(limit));
    const key = (k: unknown): string => {
      if (groupBy === AuditEventGroupBy.SEVERITY) return SEVERITY_ORDER[toNumber(k)];
      if (groupBy === AuditEventGroupBy.CLASSIFICATION) return CLASSIFICATION_ORDER[toNumber(k)];
      return String(k);
    };
    const groups = rows.map((r) => ({ key: key(r.k), count: toNumber(r.n) }));
    if (groupBy !== AuditEventGroupBy.ACTOR || !this.personal) return groups;
    // A person's events hold its subject reference: name it, or mark it erased (the reference stays distinct).
    const ids = await this.personal.idsOf(
      tenantId,
      groups.map((g) => g.key).filter((k) => k.startsWith('s_')),
    );
    return groups.map((g) => (g.key.startsWith('s_') ? { ...g, key: ids.get(g.key) ?? `${ERASED} ${g.key}` } : g));
  }

  /** As stored (sealed): what the event cache may hold; {@link open} before showing them. */
  async findByIds(tenantId: string, ids: readonly string[]): Promise<StoredEvent[]> {
    if (!ids.length) return [];
    const rows = await this.dataSource
      .createQueryBuilder()
      .from('audit_event', 'e')
      .select(COLUMNS)
      .where('e.tenant_id = :tenantId AND e.id IN (:...ids)', { tenantId, ids })
      .getRawMany();
    return rows.map(mapEventRow);
  }

  async findBySequences(tenantId: string, sequences: readonly number[]): Promise<StoredEvent[]> {
    return this.open(tenantId, await this.storedBySequences(tenantId, sequences));
  }

  /** As stored (sealed), never opened: the form an event's hash covers (proof bundles, ADR 0049). */
  async storedBySequences(tenantId: string, sequences: readonly number[]): Promise<StoredEvent[]> {
    if (!sequences.length) return [];
    const rows = await this.dataSource
      .createQueryBuilder()
      .from('audit_event', 'e')
      .select(COLUMNS)
      .where('e.tenant_id = :tenantId AND e.sequence IN (:...sequences)', { tenantId, sequences })
      .getRawMany();
    return rows.map(mapEventRow);
  }

  /**
   * A page (newest first) of the events that meet `condition`, SQL over alias `e` with `?`
   * placeholders (a control's evidence rules, compiled by RuleSql).
   */
  async findPageWhere(
    tenantId: string,
    condition: Sql,
    first: number,
    after: string | null,
  ): Promise<{ events: StoredEvent[]; hasNextPage: boolean }> {
    const cursor = after === null ? null : decodeCursor(after);
    const query = sql`SELECT ${COLUMNS.join(', ')} FROM audit_event e WHERE e.tenant_id = ${{ text: '?', params: [tenantId] }} AND (${condition})${
      cursor === null ? '' : sql` AND e.sequence < ${{ text: '?', params: [cursor] }}`
    } ORDER BY e.sequence DESC LIMIT ${first + 1}`;
    const rows = await this.scan<Record<string, unknown>>(query.text, query.params);
    return { events: await this.open(tenantId, rows.slice(0, first).map(mapEventRow)), hasNextPage: rows.length > first };
  }

  async countWhere(tenantId: string, condition: Sql): Promise<number> {
    const query = sql`SELECT COUNT(*) AS n FROM audit_event e WHERE e.tenant_id = ${{ text: '?', params: [tenantId] }} AND (${condition})`;
    const [row] = await this.scan<Record<string, unknown>>(query.text, query.params);
    return toNumber(row?.n ?? 0);
  }

  /** Raw rows by sequence range, ascending, for verification (which maps each row itself). */
  async findRangeRaw(tenantId: string, fromSequence: number, toSequence: number, limit: number): Promise<Record<string, unknown>[]> {
    return this.dataSource
      .createQueryBuilder()
      .from('audit_event', 'e')
      .select(COLUMNS)
      .where('e.tenant_id = :tenantId AND e.sequence >= :fromSequence AND e.sequence <= :toSequence', {
        tenantId,
        fromSequence,
        toSequence,
      })
      .orderBy('e.sequence', 'ASC')
      .limit(limit)
      .getRawMany();
  }

  async findRange(tenantId: string, fromSequence: number, toSequence: number, limit: number): Promise<StoredEvent[]> {
    return this.open(tenantId, (await this.findRangeRaw(tenantId, fromSequence, toSequence, limit)).map(mapEventRow));
  }

  async maxSequence(tenantId: string): Promise<number> {
    const row = await this.dataSource
      .createQueryBuilder()
      .from('audit_event', 'e')
      .select('MAX(e.sequence)', 'n')
      .where('e.tenant_id = :tenantId', { tenantId })
      .getRawOne<{ n: unknown }>();
    return row?.n === null || row?.n === undefined ? 0 : toNumber(row.n);
  }

  async chainHashAt(tenantId: string, sequence: number): Promise<string | null> {
    const row = await this.dataSource
      .createQueryBuilder()
      .from('audit_event', 'e')
      .select('e.chain_hash', 'chain_hash')
      .where('e.tenant_id = :tenantId AND e.sequence = :sequence', { tenantId, sequence })
      .getRawOne<{ chain_hash: string }>();
    return row?.chain_hash ?? null;
  }

  /**
   * The first event (lowest sequence) of `action` on one resource: its sequence and its metadata as
   * stored (JSON text), for a module that checks what the chain recorded about its own resource.
   */
  async firstOnResource(
    tenantId: string,
    resource: { type: string; id: string },
    action: string,
  ): Promise<{ sequence: number; metadata: unknown } | null> {
    const [event]: { sequence: unknown; metadata: unknown }[] = await this.dataSource.query(
      'SELECT sequence, metadata FROM audit_event WHERE tenant_id = ? AND resource_type = ? AND resource_id = ? AND action = ? ORDER BY sequence LIMIT 1',
      [tenantId, resource.type, resource.id, action],
    );
    return event ? { sequence: toNumber(event.sequence), metadata: event.metadata } : null;
  }

  /** Labels of many events in one statement; sorted the way they were hashed. */
  async labelsFor(tenantId: string, eventIds: readonly string[]): Promise<Map<string, EventLabels>> {
    const map = new Map<string, EventLabels>(eventIds.map((id) => [id, { categories: [], tags: [] }]));
    if (!eventIds.length) return map;
    const rows = await this.dataSource
      .createQueryBuilder()
      .from('audit_event_label', 'l')
      .select(['l.event_id AS event_id', 'l.kind AS kind', 'l.value AS value'])
      .where('l.tenant_id = :tenantId AND l.event_id IN (:...ids)', { tenantId, ids: eventIds })
      .getRawMany<{ event_id: string; kind: string; value: string }>();
    for (const r of rows) {
      const labels = map.get(r.event_id);
      if (labels && (r.kind === 'category' || r.kind === 'tag')) (r.kind === 'category' ? labels.categories : labels.tags).push(r.value);
    }
    for (const labels of map.values()) {
      labels.categories.sort();
      labels.tags.sort();
    }
    return map;
  }
}
