import { Arg, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { principalOf, type RequestContext } from '../graphql/context';
import type { PageLimits } from '../graphql/paging';
import { DateTimeScalar } from '../graphql/scalars';
import { type AssessmentRun, HistoryGranularity, settled } from './assessment-history';
import { type AssessmentHistoryService, MAX_HISTORY_BUCKETS } from './assessment-history.service';
import {
  AssessmentChange,
  AssessmentChangeConnection,
  AssessmentRunControl,
  AssessmentRunInfo,
  ControlStatusPoint,
  NonComplianceTimeInfo,
  RecordAssessmentInput,
} from './assessment-history.types';
import { ASSESS_ROLES, statusCountsOf } from './compliance.resolver';
import type { ComplianceService } from './compliance.service';
import { parameterValuesOf } from './framework-profile.types';
import { scopeDimensionsOf } from './framework-profile-scope.types';

const cursorOf = (index: number) => Buffer.from(`c:${index}`).toString('base64url');
function indexOf(cursor: string): number {
  const match = /^c:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match)
    throw new AppError(ErrorCode.INVALID_CURSOR, 'after is not a cursor of assessmentChanges; pass an endCursor it returned.', {});
  return Number(match[1]);
}

@Resolver()
export class AssessmentHistoryResolver {
  constructor(
    private readonly history: AssessmentHistoryService,
    private readonly compliance: ComplianceService,
    private readonly limits: PageLimits,
  ) {}

  private runOf(run: AssessmentRun): AssessmentRunInfo {
    const loaded = this.compliance.framework(run.frameworkId);
    return Object.assign(new AssessmentRunInfo(), {
      ...run,
      settled: settled(run),
      score: run.summary.score,
      level: run.summary.level,
      coverage: run.summary.coverage,
      counts: statusCountsOf(run.summary),
      parameters: parameterValuesOf(loaded.parameters, run.parameters),
      scope: scopeDimensionsOf(loaded.plugin.catalog.scoping ?? [], run.scope),
      controls: run.statuses.map(([controlId, status]) => Object.assign(new AssessmentRunControl(), { controlId, status })),
    });
  }

  @Authorized(...ASSESS_ROLES)
  @Mutation(() => AssessmentRunInfo, {
    description:
      'Assesses a framework over a range and stores the run, with its digest recorded in your chain as a datapunk.assessment.recorded event. Errors: NOT_FOUND (framework), INVALID_ARGUMENT (range); nothing is stored then.',
  })
  async recordAssessment(
    @Arg('input', () => RecordAssessmentInput, { description: 'The framework, the range and the as-of instant.' })
    input: RecordAssessmentInput,
    @Ctx() ctx: RequestContext,
  ): Promise<AssessmentRunInfo> {
    const { tenantId, keyId } = principalOf(ctx);
    const { run } = await this.history.record({ tenantId, keyId, requestId: ctx.requestId }, { ...input });
    return this.runOf(run);
  }

  @Authorized(...ASSESS_ROLES)
  @Query(() => AssessmentRunInfo, {
    nullable: true,
    description: 'One stored run by id, checked against its chain event; null if there is none. Errors: ASSESSMENT_RUN_TAMPERED.',
  })
  async assessmentRun(
    @Arg('id', () => String, { description: 'Run id.' }) id: string,
    @Ctx() ctx: RequestContext,
  ): Promise<AssessmentRunInfo | null> {
    const run = await this.history.run(principalOf(ctx).tenantId, id);
    return run ? this.runOf(run) : null;
  }

  @Authorized(...ASSESS_ROLES)
  @Query(() => [ControlStatusPoint], {
    description: `A control's status per UTC day or ISO week of [from, to), from the stored runs: each bucket shows the last run whose range ends in it. At most ${MAX_HISTORY_BUCKETS} buckets. Errors: NOT_FOUND, INVALID_ARGUMENT, ASSESSMENT_RUN_TAMPERED.`,
  })
  async controlStatusHistory(
    @Arg('frameworkId', () => String, { description: 'Framework id, e.g. soc2.' }) frameworkId: string,
    @Arg('controlId', () => String, { description: 'Reference id of the control, e.g. CC6.1.' }) controlId: string,
    @Arg('from', () => DateTimeScalar, { description: 'Start (the bucket holding it is the first).' }) from: string,
    @Arg('to', () => DateTimeScalar, { description: 'End (exclusive).' }) to: string,
    @Arg('granularity', () => HistoryGranularity, { defaultValue: HistoryGranularity.DAY, description: 'Days or weeks.' })
    granularity: HistoryGranularity,
    @Ctx() ctx: RequestContext,
  ): Promise<ControlStatusPoint[]> {
    const points = await this.history.controlHistory(principalOf(ctx).tenantId, frameworkId, controlId, from, to, granularity);
    return points.map((p) =>
      Object.assign(new ControlStatusPoint(), {
        label: p.label,
        start: p.start,
        end: p.end,
        status: p.status,
        settled: p.settled,
        runId: p.run?.id ?? null,
        asOf: p.run?.asOf ?? null,
      }),
    );
  }

  @Authorized(...ASSESS_ROLES)
  @Query(() => NonComplianceTimeInfo, {
    description: `How long a control was NON_COMPLIANT over [from, to) (at most ${MAX_HISTORY_BUCKETS} days), by UTC day from the stored runs. Errors: NOT_FOUND, INVALID_ARGUMENT, ASSESSMENT_RUN_TAMPERED.`,
  })
  async timeInNonCompliance(
    @Arg('frameworkId', () => String, { description: 'Framework id, e.g. soc2.' }) frameworkId: string,
    @Arg('controlId', () => String, { description: 'Reference id of the control, e.g. CC6.1.' }) controlId: string,
    @Arg('from', () => DateTimeScalar, { description: 'Start (inclusive).' }) from: string,
    @Arg('to', () => DateTimeScalar, { description: 'End (exclusive).' }) to: string,
    @Ctx() ctx: RequestContext,
  ): Promise<NonComplianceTimeInfo> {
    return Object.assign(
      new NonComplianceTimeInfo(),
      await this.history.timeInNonCompliance(principalOf(ctx).tenantId, frameworkId, controlId, from, to),
    );
  }

  @Authorized(...ASSESS_ROLES)
  @Query(() => AssessmentChangeConnection, {
    description:
      'Control status changes between consecutive stored runs of a framework (ordered by range end) whose later run ends at or after since, oldest first. Errors: NOT_FOUND, INVALID_ARGUMENT, PAGE_SIZE_EXCEEDED, INVALID_CURSOR, ASSESSMENT_RUN_TAMPERED.',
  })
  async assessmentChanges(
    @Arg('frameworkId', () => String, { description: 'Framework id, e.g. soc2.' }) frameworkId: string,
    @Arg('since', () => DateTimeScalar, { description: 'Changes shown by runs whose range ends at or after this instant.' }) since: string,
    @Ctx() ctx: RequestContext,
    @Arg('first', () => Int, { nullable: true, description: 'Page size; default DEFAULT_PAGE_SIZE, at most MAX_PAGE_SIZE.' })
    first?: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after?: string,
  ): Promise<AssessmentChangeConnection> {
    const size = first ?? this.limits.defaultPageSize;
    if (size < 1 || size > this.limits.maxPageSize) {
      throw new AppError(ErrorCode.PAGE_SIZE_EXCEEDED, `first must be between 1 and ${this.limits.maxPageSize}.`, {
        max: this.limits.maxPageSize,
      });
    }
    const start = after ? indexOf(after) + 1 : 0;
    const all = await this.history.changes(principalOf(ctx).tenantId, frameworkId, since);
    const page = all.slice(start, start + size);
    const edges = page.map((c, i) => ({ cursor: cursorOf(start + i), node: Object.assign(new AssessmentChange(), c) }));
    return Object.assign(new AssessmentChangeConnection(), {
      edges,
      pageInfo: {
        hasNextPage: start + size < all.length,
        hasPreviousPage: false,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
      totalCount: all.length,
    });
  }
}
