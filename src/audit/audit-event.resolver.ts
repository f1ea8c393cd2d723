import { Arg, Authorized, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { GraphQLJSONObject, GraphQLSafeInt } from 'graphql-scalars';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { READ_ROLES, Role } from '../access/role';
import type { TenantLoaders } from '../auth/tenant.loaders';
import { Tenant } from '../auth/tenant.types';
import type { Sql } from '../database/sql';
import { noteRead, principalOf, type RequestContext } from '../graphql/context';
import { READ_RECORD_ACTIONS, seesReadRecords } from './read-record';
import type { PageLimits } from '../graphql/paging';
import type { EventLoaders } from './audit-event.loaders';
import { presentEvent } from './audit-event.presenter';
import { hashedView } from './audit-event.model';
import { type AuditEventRepository, encodeCursor, type EventQuery } from './audit-event.repository';
import {
  AuditEvent,
  AuditEventConnection,
  AuditEventFilter,
  AuditEventGroupBy,
  AuditEventStats,
  CHAIN_HASH_DESCRIPTION,
  HASH_DESCRIPTION,
  SortOrder,
} from './audit-event.types';

/**
 * How the `control` filter becomes SQL; a port compliance implements (the composition root wires it),
 * so event reads never import compliance.
 */
export interface ControlEvidence {
  /** The control's evidence condition; null when no event can match. NOT_FOUND for an unknown control. */
  evidenceCondition(frameworkId: string, controlId: string): Sql | null;
}

type EventContext = RequestContext<EventLoaders & TenantLoaders>;

@Resolver(() => AuditEvent)
export class AuditEventResolver {
  constructor(
    private readonly events: AuditEventRepository,
    private readonly limits: PageLimits,
    private readonly controls: ControlEvidence,
  ) {}

  /**
   * The filter with its `control` compiled to that control's evidence condition, and without the
   * read records for a role that may not see them (ADR 0044).
   */
  private eventQuery(filter: AuditEventFilter | undefined, role: Role): EventQuery {
    const hidden = seesReadRecords(role) ? {} : { withoutActions: READ_RECORD_ACTIONS };
    if (!filter?.control) return { ...filter, ...hidden };
    const { control, ...rest } = filter;
    const condition = this.controls.evidenceCondition(control.frameworkId, control.controlId);
    return { ...rest, ...hidden, condition: condition ?? { text: '1 = 0', params: [] } };
  }

  @Authorized(...READ_ROLES)
  @Query(() => AuditEvent, {
    nullable: true,
    description:
      'One event of your tenant by id; null if there is none (or, for a VIEWER key, if it is a read record). The read is recorded in your chain as datapunk.log.read.',
  })
  async auditEvent(
    @Arg('id', () => String, { description: 'Id of an event of your tenant.' }) id: string,
    @Ctx() ctx: EventContext,
  ): Promise<AuditEvent | null> {
    const { role } = principalOf(ctx);
    const found = await ctx.loaders.event.load(id);
    const event = found && (seesReadRecords(role) || !READ_RECORD_ACTIONS.includes(found.action)) ? found : null;
    noteRead(ctx, 'Query.auditEvent', { id }, event ? 1 : 0);
    return event ? presentEvent(event, role) : null;
  }

  @Authorized(...READ_ROLES)
  @Query(() => AuditEventConnection, {
    description:
      'Events of your tenant, filtered, newest first by default, a page at a time. The read is recorded in your chain as datapunk.log.read (key, scope, count); VIEWER keys never see read records.',
  })
  async auditEvents(
    @Ctx() ctx: EventContext,
    @Arg('filter', () => AuditEventFilter, { nullable: true, description: 'Which events; omitted: every event of your tenant.' })
    filter?: AuditEventFilter,
    @Arg('first', () => Int, { nullable: true, description: 'Page size; default DEFAULT_PAGE_SIZE, at most MAX_PAGE_SIZE.' })
    first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
    @Arg('order', () => SortOrder, {
      nullable: true,
      description: 'By sequence: DESC (newest first, the default) or ASC.',
      defaultValue: SortOrder.DESC,
    })
    order: SortOrder = SortOrder.DESC,
  ): Promise<AuditEventConnection> {
    const { tenantId, role } = principalOf(ctx);
    const { maxPageSize, defaultPageSize } = this.limits;
    const size = first ?? defaultPageSize;
    if (size < 1 || size > maxPageSize) {
      throw new AppError(
        ErrorCode.PAGE_SIZE_EXCEEDED,
        `first must be between 1 and ${maxPageSize}; page through larger results with after.`,
        {
          max: maxPageSize,
        },
      );
    }
    const query = this.eventQuery(filter, role);
    const { events, hasNextPage } = await this.events.findPage(tenantId, query, size, after ?? null, order);
    noteRead(
      ctx,
      'Query.auditEvents',
      { filter: this.events.scopeOf(tenantId, filter), first: size, after: after ?? null, order },
      events.length,
    );
    for (const event of events) ctx.loaders.event.prime(event.id, event);
    const edges = events.map((event) => ({ cursor: encodeCursor(event.sequence), node: presentEvent(event, role) }));
    return Object.assign(new AuditEventConnection(), {
      edges,
      pageInfo: {
        hasNextPage,
        hasPreviousPage: false,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
      count: () => this.events.count(tenantId, query),
    });
  }

  @Authorized(...READ_ROLES)
  @Query(() => AuditEventStats, {
    description:
      'Counts of your tenant’s events matching the filter, grouped by one dimension, for dashboards. Recorded in your chain as datapunk.log.read; VIEWER counts leave read records out.',
  })
  async auditEventStats(
    @Arg('groupBy', () => AuditEventGroupBy, { description: 'The dimension to count by.' }) groupBy: AuditEventGroupBy,
    @Ctx() ctx: EventContext,
    @Arg('filter', () => AuditEventFilter, { nullable: true, description: 'Which events; omitted: every event of your tenant.' })
    filter?: AuditEventFilter,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 100, description: 'Most groups returned, 1 to 1000.' }) limit = 100,
  ): Promise<AuditEventStats> {
    if (limit < 1 || limit > 1000) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'limit must be between 1 and 1000.');
    const { tenantId, role } = principalOf(ctx);
    const query = this.eventQuery(filter, role);
    const [groups, total] = await Promise.all([this.events.stats(tenantId, query, groupBy, limit), this.events.count(tenantId, query)]);
    noteRead(ctx, 'Query.auditEventStats', { groupBy, filter: this.events.scopeOf(tenantId, filter), limit }, total);
    return { groupBy, total, groups };
  }

  // Backstops to present(): an event reached by a path that forgot it still shows a VIEWER no chain material.
  @FieldResolver(() => String, { nullable: true, description: HASH_DESCRIPTION })
  hash(@Root() event: AuditEvent, @Ctx() ctx: EventContext): string | null {
    return ctx.principal?.role === Role.ADMIN || ctx.principal?.role === Role.AUDITOR ? event.hash : null;
  }

  @FieldResolver(() => String, { nullable: true, description: CHAIN_HASH_DESCRIPTION })
  chainHash(@Root() event: AuditEvent, @Ctx() ctx: EventContext): string | null {
    return ctx.principal?.role === Role.ADMIN || ctx.principal?.role === Role.AUDITOR ? event.chainHash : null;
  }

  @FieldResolver(() => GraphQLJSONObject, {
    nullable: true,
    description:
      'The exact object `hash` is the SHA-256 of (canonical JSON): for an event with sealed personal fields its stored form, `v` 2 with refs, pseudonyms and `sealed` (ADR 0042); for any other event `v` 1, the fields as shown. ADMIN and AUDITOR only (null for VIEWER).',
  })
  async hashedView(@Root() event: AuditEvent, @Ctx() ctx: EventContext): Promise<Record<string, unknown> | null> {
    if (ctx.principal?.role !== Role.ADMIN && ctx.principal?.role !== Role.AUDITOR) return null;
    const labels = await ctx.loaders.labels.load(event.id);
    return hashedView({ ...event, ...event.stored, ...labels });
  }

  @FieldResolver(() => [String], { description: 'Data categories, e.g. PII, PHI.' })
  async categories(@Root() event: AuditEvent, @Ctx() ctx: EventContext): Promise<string[]> {
    return (await ctx.loaders.labels.load(event.id)).categories;
  }

  @FieldResolver(() => [String], { description: 'Free-form labels, as recorded.' })
  async tags(@Root() event: AuditEvent, @Ctx() ctx: EventContext): Promise<string[]> {
    return (await ctx.loaders.labels.load(event.id)).tags;
  }

  @FieldResolver(() => Tenant, { description: 'The tenant that owns the event.' })
  async tenant(@Root() event: AuditEvent, @Ctx() ctx: EventContext): Promise<Tenant> {
    return (await ctx.loaders.tenant.load(event.tenantId))!;
  }
}

@Resolver(() => AuditEventConnection)
export class AuditEventConnectionResolver {
  @FieldResolver(() => GraphQLSafeInt, { description: 'All events matching the filter (counted only when asked for).' })
  async totalCount(@Root() connection: AuditEventConnection): Promise<number> {
    return connection.count();
  }
}
