import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { Classification, Severity } from '../audit/audit-event.model';
import type { StoredTemplate } from './template.repository';
import { Role } from '../auth/role';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { principalOf, type RequestContext } from '../graphql/context';
import { ReportType } from './report-template';
import type { StoredReport } from './report.repository';
import {
  CreateReportTemplateInput,
  DeleteReportTemplateInput,
  GenerateReportInput,
  Report,
  ReportStatus,
  ReportTemplateInfo,
  UpdateReportTemplateInput,
} from './report.types';

export const REPORT_ROLES = [Role.ADMIN, Role.AUDITOR];

/** A stored report as the API shows it: a fresh download URL when READY, the file inline when small. */
const presentReport = (ctx: RequestContext, r: StoredReport, content: Buffer | null): Report =>
  Object.assign(new Report(), {
    ...r,
    status: ReportStatus[r.status],
    downloadUrl: r.status === 'READY' ? ctx.services.reports.service.downloadPath(r, principalOf(ctx).keyId) : null,
    contentBase64: content && content.length <= ctx.services.reports.inlineMaxBytes ? content.toString('base64') : null,
  });

@Resolver()
export class ReportResolver {
  @Authorized(...REPORT_ROLES)
  @Mutation(() => Report, {
    description:
      'Builds a report from your audit trail and renders it in one format; records datapunk.report.generated in your chain. Large reports come back PENDING (see report). Errors: INVALID_ARGUMENT (format, period, missing frameworkId, a template of another type), NOT_FOUND (framework, templateId).',
  })
  async generateReport(@Arg('input', () => GenerateReportInput) input: GenerateReportInput, @Ctx() ctx: RequestContext): Promise<Report> {
    const { tenantId, keyId } = principalOf(ctx);
    const { reports } = ctx.services;
    const { filter, ...rest } = input;
    if (filter?.control)
      throw new AppError(ErrorCode.INVALID_ARGUMENT, 'A report filter cannot name a control yet.', {
        problems: [{ path: 'input.filter.control', message: 'is not supported in reports' }],
      });
    const { report, content } = await reports.service.generate(
      { tenantId, keyId, requestId: ctx.requestId },
      { ...rest, filter: filter ?? undefined },
    );
    return presentReport(ctx, report, content);
  }

  @Authorized(...REPORT_ROLES)
  @Query(() => Report, { nullable: true, description: 'One report of your tenant, with a fresh download URL; null if there is none.' })
  async report(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<Report | null> {
    const { tenantId } = principalOf(ctx);
    const found = await ctx.services.reports.service.find(tenantId, id);
    return found ? presentReport(ctx, found, null) : null;
  }

  @Authorized(...REPORT_ROLES)
  @Query(() => [Report], { description: 'Your tenant’s reports, newest first.' })
  async reports(
    @Ctx() ctx: RequestContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50, description: '1 to 500.' }) first = 50,
  ): Promise<Report[]> {
    if (first < 1 || first > 500) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'first must be between 1 and 500.');
    const { tenantId } = principalOf(ctx);
    const list = await ctx.services.reports.service.list(tenantId, first);
    return list.map((r) => presentReport(ctx, r, null));
  }

  @Authorized(...REPORT_ROLES)
  @Query(() => [ReportTemplateInfo], { description: "Your tenant's report templates, by name." })
  async reportTemplates(
    @Ctx() ctx: RequestContext,
    @Arg('type', () => ReportType, { nullable: true }) type?: ReportType,
  ): Promise<ReportTemplateInfo[]> {
    return (await ctx.services.reports.templates.list(principalOf(ctx).tenantId, type)).map(templateOf);
  }

  @Authorized(...REPORT_ROLES)
  @Mutation(() => ReportTemplateInfo, {
    description: 'Creates a template (version 1). Errors: INVALID_ARGUMENT with every bad field in extensions.problems.',
  })
  async createReportTemplate(
    @Arg('input', () => CreateReportTemplateInput) input: CreateReportTemplateInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ReportTemplateInfo> {
    const { tenantId, keyId } = principalOf(ctx);
    const created = await ctx.services.reports.templates.create(tenantId, keyId, input.name, input.definition);
    await recordTemplate(ctx, 'created', created);
    return templateOf(created);
  }

  @Authorized(...REPORT_ROLES)
  @Mutation(() => ReportTemplateInfo, { description: 'Replaces a template with a new version. Errors: NOT_FOUND, INVALID_ARGUMENT.' })
  async updateReportTemplate(
    @Arg('input', () => UpdateReportTemplateInput) input: UpdateReportTemplateInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ReportTemplateInfo> {
    const { tenantId, keyId } = principalOf(ctx);
    const updated = await ctx.services.reports.templates.update(tenantId, keyId, input.id, input.definition);
    await recordTemplate(ctx, 'updated', updated);
    return templateOf(updated);
  }

  @Authorized(...REPORT_ROLES)
  @Mutation(() => ReportTemplateInfo, {
    description: 'Deletes a template (its versions stay, for the reports that used them). Errors: NOT_FOUND.',
  })
  async deleteReportTemplate(
    @Arg('input', () => DeleteReportTemplateInput) input: DeleteReportTemplateInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ReportTemplateInfo> {
    const deleted = await ctx.services.reports.templates.delete(principalOf(ctx).tenantId, input.id);
    await recordTemplate(ctx, 'deleted', deleted);
    return templateOf(deleted);
  }
}

const templateOf = (t: StoredTemplate): ReportTemplateInfo => Object.assign(new ReportTemplateInfo(), { ...t, definition: t.definition });

/** Template changes shape what auditors receive: each is an event in the chain. */
async function recordTemplate(ctx: RequestContext, change: 'created' | 'updated' | 'deleted', t: StoredTemplate): Promise<void> {
  const { tenantId, keyId } = principalOf(ctx);
  await ctx.services.ingest.recordServerEvent(tenantId, {
    keyId,
    requestId: ctx.requestId,
    clientRequestId: ctx.clientRequestId,
    action: `datapunk.report.template.${change}`,
    resource: { type: 'report_template', id: t.id, name: t.name },
    severity: Severity.NOTICE,
    classification: Classification.INTERNAL,
    metadata: { type: t.type, version: t.version },
  });
}
