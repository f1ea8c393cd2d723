import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { Classification, Severity } from '../audit/audit-event.model';
import type { StoredTemplate } from './template.repository';
import { Role } from '../access/role';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { noteRead, principalOf, type RequestContext } from '../graphql/context';
import type { SubjectAccessScope } from '../privacy/subject-access.service';
import { MAX_TABLE_ROWS, ReportType } from './report-template';
import type { StoredReport } from './report.repository';
import type { ReportService } from './report.service';
import type { TemplateService } from './template.service';
import type { IngestService } from '../ingest/ingest.service';
import { PROOF_HEADER } from '../chain/proof-bundle';
import {
  CreateReportTemplateInput,
  DeleteReportTemplateInput,
  ExportDataSubjectInput,
  GenerateReportInput,
  Report,
  ReportStatus,
  ReportTemplateInfo,
  UpdateReportTemplateInput,
} from './report.types';

export const REPORT_ROLES = [Role.ADMIN, Role.AUDITOR];

/** What the report resolver works with; the composition root builds it. */
export interface ReportResolverServices {
  reports: ReportService;
  templates: TemplateService;
  /** Template changes are recorded as server events in the tenant's chain. */
  events: ServerEventRecorder;
  /** Files up to this size come back inline (`contentBase64`). */
  inlineMaxBytes: number;
  /** The privacy module's lookup of a data subject by its keyed pseudonym (SUBJECT_NOT_FOUND when unknown or erased). */
  subjects: (tenantId: string, subjectId: string) => Promise<SubjectAccessScope>;
}

/** The one ingest method the resolver uses. */
export type ServerEventRecorder = Pick<IngestService, 'recordServerEvent'>;

@Resolver()
export class ReportResolver {
  constructor(private readonly services: ReportResolverServices) {}

  @Authorized(...REPORT_ROLES)
  @Mutation(() => Report, {
    description:
      'Builds a report from your audit trail and renders it in one format; records datapunk.report.generated in your chain. Large reports come back PENDING (see report). Errors: INVALID_ARGUMENT (format, period, missing frameworkId, a template of another type), NOT_FOUND (framework, templateId).',
  })
  async generateReport(
    @Arg('input', () => GenerateReportInput, { description: 'What to report on, in which format, over which period.' })
    input: GenerateReportInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Report> {
    const { tenantId, keyId } = principalOf(ctx);
    const { filter, ...rest } = input;
    if (filter?.control)
      throw new AppError(ErrorCode.INVALID_ARGUMENT, 'A report filter cannot name a control yet.', {
        problems: [{ path: 'input.filter.control', message: 'is not supported in reports' }],
      });
    const { report, content } = await this.services.reports.generate(
      { tenantId, keyId, requestId: ctx.requestId },
      { ...rest, filter: filter ?? undefined },
    );
    return this.present(ctx, report, content);
  }

  @Authorized(...REPORT_ROLES)
  @Mutation(() => Report, {
    description:
      'Subject access (GDPR Art. 15, HIPAA 164.524): a SUBJECT_ACCESS report of every event by or about one data subject, its personal fields opened, through the report pipeline (stored, downloadable, deleted when the subject is erased). Records datapunk.report.generated and a datapunk.log.read naming the subject by a keyed pseudonym. Large exports come back PENDING (see report). Errors: INVALID_ARGUMENT (subjectId, format), SUBJECT_NOT_FOUND (never recorded, or erased).',
  })
  async exportDataSubject(
    @Arg('input', () => ExportDataSubjectInput, { description: 'Whose personal data to export, in which format.' })
    input: ExportDataSubjectInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Report> {
    const { tenantId, keyId } = principalOf(ctx);
    this.services.reports.format(input.format); // INVALID_ARGUMENT before anything is looked up
    const subject = await this.services.subjects(tenantId, input.subjectId);
    const { report, content } = await this.services.reports.exportSubject(
      { tenantId, keyId, requestId: ctx.requestId },
      subject,
      input.format,
    );
    noteRead(
      ctx,
      'Mutation.exportDataSubject',
      { subject: subject.pseudonym, format: input.format, reportId: report.id },
      // The events the export holds: its table stops at the template maximum.
      Math.min(subject.eventCount, MAX_TABLE_ROWS),
    );
    return this.present(ctx, report, content);
  }

  @Authorized(...REPORT_ROLES)
  @Query(() => Report, { nullable: true, description: 'One report of your tenant, with a fresh download URL; null if there is none.' })
  async report(
    @Arg('id', () => ID, { description: 'Id of a report of your tenant.' }) id: string,
    @Ctx() ctx: RequestContext,
  ): Promise<Report | null> {
    const { tenantId } = principalOf(ctx);
    const found = await this.services.reports.find(tenantId, id);
    return found ? this.present(ctx, found, null) : null;
  }

  // REPORT_ROLES only (no VIEWER): a bundle carries its event unredacted.
  @Authorized(...REPORT_ROLES)
  @Query(() => String, {
    nullable: true,
    description:
      'The proof bundle file of one of your reports generated with proofBundles: the C2SP tlog-proof of every event it lists, one after another (ADR 0049); `datapunk-audit verify-proof --key <public key> <file>` checks them with no database. Null when the report was generated without, or is not READY. Errors: NOT_FOUND. Recorded in your chain as datapunk.log.read.',
  })
  async reportProofBundles(
    @Arg('id', () => ID, { description: 'Id of a report of your tenant.' }) id: string,
    @Ctx() ctx: RequestContext,
  ): Promise<string | null> {
    const { bundles } = await this.services.reports.proofBundles(principalOf(ctx).tenantId, id);
    if (bundles !== null) noteRead(ctx, 'Query.reportProofBundles', { reportId: id }, bundles.split(`${PROOF_HEADER}\n`).length - 1);
    return bundles;
  }

  @Authorized(...REPORT_ROLES)
  @Query(() => [Report], { description: 'Your tenant’s reports, newest first.' })
  async reports(
    @Ctx() ctx: RequestContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50, description: '1 to 500.' }) first = 50,
  ): Promise<Report[]> {
    if (first < 1 || first > 500) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'first must be between 1 and 500.');
    const { tenantId } = principalOf(ctx);
    const list = await this.services.reports.list(tenantId, first);
    return list.map((r) => this.present(ctx, r, null));
  }

  @Authorized(...REPORT_ROLES)
  @Query(() => [ReportTemplateInfo], { description: "Your tenant's report templates, by name." })
  async reportTemplates(
    @Ctx() ctx: RequestContext,
    @Arg('type', () => ReportType, { nullable: true, description: 'Only templates of this report type.' }) type?: ReportType,
  ): Promise<ReportTemplateInfo[]> {
    return (await this.services.templates.list(principalOf(ctx).tenantId, type)).map(templateOf);
  }

  @Authorized(...REPORT_ROLES)
  @Mutation(() => ReportTemplateInfo, {
    description: 'Creates a template (version 1). Errors: INVALID_ARGUMENT with every bad field in extensions.problems.',
  })
  async createReportTemplate(
    @Arg('input', () => CreateReportTemplateInput, { description: 'The name and definition of the new template.' })
    input: CreateReportTemplateInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ReportTemplateInfo> {
    const { tenantId, keyId } = principalOf(ctx);
    const created = await this.services.templates.create(tenantId, keyId, input.name, input.definition);
    await this.recordTemplate(ctx, 'created', created);
    return templateOf(created);
  }

  @Authorized(...REPORT_ROLES)
  @Mutation(() => ReportTemplateInfo, { description: 'Replaces a template with a new version. Errors: NOT_FOUND, INVALID_ARGUMENT.' })
  async updateReportTemplate(
    @Arg('input', () => UpdateReportTemplateInput, { description: 'The template and its whole new definition.' })
    input: UpdateReportTemplateInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ReportTemplateInfo> {
    const { tenantId, keyId } = principalOf(ctx);
    const updated = await this.services.templates.update(tenantId, keyId, input.id, input.definition);
    await this.recordTemplate(ctx, 'updated', updated);
    return templateOf(updated);
  }

  @Authorized(...REPORT_ROLES)
  @Mutation(() => ReportTemplateInfo, {
    description: 'Deletes a template (its versions stay, for the reports that used them). Errors: NOT_FOUND.',
  })
  async deleteReportTemplate(
    @Arg('input', () => DeleteReportTemplateInput, { description: 'The template to delete.' }) input: DeleteReportTemplateInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ReportTemplateInfo> {
    const deleted = await this.services.templates.delete(principalOf(ctx).tenantId, input.id);
    await this.recordTemplate(ctx, 'deleted', deleted);
    return templateOf(deleted);
  }

  /** A stored report as the API shows it: a fresh download URL when READY, the file inline when small. */
  private present(ctx: RequestContext, r: StoredReport, content: Buffer | null): Report {
    return Object.assign(new Report(), {
      ...r,
      status: ReportStatus[r.status],
      downloadUrl: r.status === 'READY' ? this.services.reports.downloadPath(r, principalOf(ctx).keyId) : null,
      contentBase64: content && content.length <= this.services.inlineMaxBytes ? content.toString('base64') : null,
    });
  }

  /** Template changes shape what auditors receive: each is an event in the chain. */
  private async recordTemplate(ctx: RequestContext, change: 'created' | 'updated' | 'deleted', t: StoredTemplate): Promise<void> {
    const { tenantId, keyId } = principalOf(ctx);
    await this.services.events.recordServerEvent(tenantId, {
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
}

const templateOf = (t: StoredTemplate): ReportTemplateInfo => Object.assign(new ReportTemplateInfo(), { ...t, definition: t.definition });
