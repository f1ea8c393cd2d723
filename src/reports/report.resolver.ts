import { Arg, Authorized, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, registerEnumType } from 'type-graphql';
import { GraphQLJSONObject, GraphQLSafeInt } from 'graphql-scalars';
import { Classification, Severity } from '../audit/audit-event.model';
import type { StoredTemplate } from './template.service';
import { Role } from '../access/role';
import { AuditEventFilter } from '../audit/audit-event.types';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { principalOf, type RequestContext } from '../graphql/context';
import { DateTimeScalar } from '../graphql/scalars';
import { ReportType } from './report-template';
import type { StoredReport } from './report.service';

export const REPORT_ROLES = [Role.ADMIN, Role.AUDITOR];

registerEnumType(ReportType, {
  name: 'ReportType',
  description: 'What a report is about (docs/reports.md).',
  valuesConfig: {
    COMPLIANCE_SUMMARY: { description: "A framework's posture over a period: score, level, coverage, non-compliant controls." },
    CONTROL_ASSESSMENT: { description: 'Every control of a framework with its status, evidence, findings and attestations.' },
    AUDIT_TRAIL: { description: 'The filtered events themselves, one row per event.' },
    SECURITY_INCIDENTS: { description: 'Failures, denials, errors and high severities, grouped.' },
    DATA_ACCESS: { description: 'Who touched PII and PHI (GDPR Art. 30, HIPAA access review).' },
  },
});

export enum ReportStatus {
  PENDING = 'PENDING',
  READY = 'READY',
  FAILED = 'FAILED',
}
registerEnumType(ReportStatus, {
  name: 'ReportStatus',
  description: 'Where a report stands.',
  valuesConfig: {
    PENDING: { description: 'Being generated in the background (more than REPORT_SYNC_MAX_ROWS event rows); poll report(id).' },
    READY: { description: 'Stored; downloadUrl serves it.' },
    FAILED: { description: 'Generation failed; error says why. Nothing is served.' },
  },
});

@InputType()
export class GenerateReportInput {
  @Field(() => ReportType)
  type!: ReportType;
  @Field({ description: 'A loaded format plugin by its short name: docx, html, json, csv, or a third party’s.' })
  format!: string;
  @Field(() => String, { nullable: true, description: 'Required for COMPLIANCE_SUMMARY and CONTROL_ASSESSMENT.' })
  frameworkId?: string | null;
  @Field(() => DateTimeScalar, { description: 'Start of the period (inclusive), by occurredAt.' })
  from!: string;
  @Field(() => DateTimeScalar, { description: 'End of the period (exclusive).' })
  to!: string;
  @Field(() => AuditEventFilter, {
    nullable: true,
    description:
      'Narrows the events of event reports; its occurredFrom, occurredTo and sequenceTo are replaced by the period and the chain head.',
  })
  filter?: AuditEventFilter | null;
  @Field(() => ID, {
    nullable: true,
    description: "One of your tenant's templates (reportTemplates) for this type; default: the type's default template.",
  })
  templateId?: string | null;
}

@ObjectType({ description: "A tenant's own report template: sections, their order, titles, options and branding. Data only." })
export class ReportTemplateInfo {
  @Field(() => ID)
  id!: string;
  @Field()
  name!: string;
  @Field(() => ReportType)
  type!: ReportType;
  @Field(() => Int, { description: '1 at creation, +1 on every update; reports name the version they used.' })
  version!: number;
  @Field(() => GraphQLJSONObject, { description: 'The template (docs/reports.md#templates).' })
  definition!: Record<string, unknown>;
  @Field(() => DateTimeScalar)
  updatedAt!: string;
}

@InputType()
export class CreateReportTemplateInput {
  @Field({ description: 'Unique in your tenant, 1 to 128 characters.' })
  name!: string;
  @Field(() => GraphQLJSONObject, { description: 'The template: { type, title?, branding?, sections: [{ id, title?, options? }] }.' })
  definition!: Record<string, unknown>;
}

@InputType()
export class UpdateReportTemplateInput {
  @Field(() => ID)
  id!: string;
  @Field(() => GraphQLJSONObject, { description: 'The whole new definition; its type must stay the same.' })
  definition!: Record<string, unknown>;
}

@InputType()
export class DeleteReportTemplateInput {
  @Field(() => ID)
  id!: string;
}

@ObjectType({ description: 'A generated report file.' })
export class Report {
  @Field(() => ID)
  id!: string;
  @Field(() => ReportStatus)
  status!: ReportStatus;
  @Field(() => ReportType)
  type!: ReportType;
  @Field()
  format!: string;
  @Field(() => String, { nullable: true })
  frameworkId!: string | null;
  @Field(() => DateTimeScalar)
  from!: string;
  @Field(() => DateTimeScalar)
  to!: string;
  @Field()
  fileName!: string;
  @Field()
  mimeType!: string;
  @Field(() => GraphQLSafeInt, { nullable: true, description: 'Null until READY.' })
  sizeBytes!: number | null;
  @Field(() => String, { nullable: true, description: 'SHA-256 (hex) of the file; null until READY.' })
  sha256!: string | null;
  @Field(() => GraphQLSafeInt, {
    nullable: true,
    description: 'The chain head the report describes (its integrity stamp); null until READY.',
  })
  headSequence!: number | null;
  @Field({ description: 'Id of the API key that generated it.' })
  createdBy!: string;
  @Field(() => String, { nullable: true, description: 'The tenant template used; null for the default template.' })
  templateId!: string | null;
  @Field(() => Int, { nullable: true })
  templateVersion!: number | null;
  @Field(() => DateTimeScalar)
  createdAt!: string;
  @Field(() => Int, { description: 'Percent done; 100 when READY.' })
  progress!: number;
  @Field(() => String, { nullable: true, description: 'Why generation FAILED.' })
  error!: string | null;
  @Field(() => String, {
    nullable: true,
    description:
      'A short-lived signed URL path (REPORT_URL_TTL_SECONDS) that serves the file to whoever holds it; prefix the server origin. Null unless READY.',
  })
  downloadUrl!: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'The file, base64, when it is at most REPORT_INLINE_MAX_BYTES; otherwise null (download it).',
  })
  contentBase64!: string | null;
}

const present = (ctx: RequestContext, r: StoredReport, content: Buffer | null): Report =>
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
    return present(ctx, report, content);
  }

  @Authorized(...REPORT_ROLES)
  @Query(() => Report, { nullable: true, description: 'One report of your tenant, with a fresh download URL; null if there is none.' })
  async report(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<Report | null> {
    const { tenantId } = principalOf(ctx);
    const found = await ctx.services.reports.service.find(tenantId, id);
    return found ? present(ctx, found, null) : null;
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
    return list.map((r) => present(ctx, r, null));
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
