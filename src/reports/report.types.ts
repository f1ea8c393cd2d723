import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSONObject, GraphQLSafeInt } from 'graphql-scalars';
import { AuditEventFilter } from '../audit/audit-event.types';
import { DateTimeScalar } from '../graphql/scalars';
import { ReportType } from './report-template';

registerEnumType(ReportType, {
  name: 'ReportType',
  description: 'What a report is about (docs/reports.md).',
  valuesConfig: {
    COMPLIANCE_SUMMARY: { description: "A framework's posture over a period: score, level, coverage, non-compliant controls." },
    CONTROL_ASSESSMENT: { description: 'Every control of a framework with its status, evidence, findings and attestations.' },
    AUDIT_TRAIL: { description: 'The filtered events themselves, one row per event.' },
    SECURITY_INCIDENTS: { description: 'Failures, denials, errors and high severities, grouped.' },
    DATA_ACCESS: { description: 'Who touched PII and PHI (GDPR accountability, Art. 5(2); HIPAA information system activity review).' },
    SUBJECT_ACCESS: {
      description:
        "One data subject's events with their personal fields opened (GDPR Art. 15, HIPAA 164.524): made by exportDataSubject, not by generateReport.",
    },
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

@InputType({ description: 'What to report on, in which format, over which period.' })
export class GenerateReportInput {
  @Field(() => ReportType, { description: 'Which report to build.' })
  type!: ReportType;
  @Field({ description: 'A loaded format plugin by its short name: docx, html, json, csv, or a third party’s.' })
  format!: string;
  @Field(() => String, { nullable: true, description: 'Required for COMPLIANCE_SUMMARY and CONTROL_ASSESSMENT.' })
  frameworkId?: string | null;
  @Field(() => DateTimeScalar, { description: 'Start of the period (inclusive), by occurredAt.' })
  from!: string;
  @Field(() => DateTimeScalar, { description: 'End of the period (exclusive).' })
  to!: string;
  @Field(() => DateTimeScalar, {
    nullable: true,
    description:
      'COMPLIANCE_SUMMARY, CONTROL_ASSESSMENT: the instant the period is judged at, as assessCompliance takes it (default: the end of a past period, else now). Later than the end, attestations and finding dispositions made during fieldwork apply.',
  })
  asOf?: string | null;
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
  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description:
      'Also store an offline proof bundle file of every event the report lists (table rows and sample events; at most 10,000), served by reportProofBundles and checked by datapunk-audit verify-proof (ADR 0049).',
  })
  proofBundles?: boolean | null;
}

@InputType({ description: 'Whose personal data to export, in which format.' })
export class ExportDataSubjectInput {
  @Field({
    description:
      'The data subject’s id as events name it: a person’s actor id, or a data-subject resource id (1 to 256 characters); or its `subjectRef`.',
  })
  subjectId!: string;
  @Field({ description: 'A loaded format plugin by its short name: json, docx, html, csv, or a third party’s.' })
  format!: string;
}

@ObjectType({ description: "A tenant's own report template: sections, their order, titles, options and branding. Data only." })
export class ReportTemplateInfo {
  @Field(() => ID, { description: 'Id of the template (generateReport takes it as templateId).' })
  id!: string;
  @Field({ description: 'Name, unique in your tenant.' })
  name!: string;
  @Field(() => ReportType, { description: 'The report type the template is for.' })
  type!: ReportType;
  @Field(() => Int, { description: '1 at creation, +1 on every update; reports name the version they used.' })
  version!: number;
  @Field(() => GraphQLJSONObject, { description: 'The template (docs/reports.md#templates).' })
  definition!: Record<string, unknown>;
  @Field(() => DateTimeScalar, { description: 'When the template was created or last updated.' })
  updatedAt!: string;
}

@InputType({ description: "A new template of your tenant's." })
export class CreateReportTemplateInput {
  @Field({ description: 'Unique in your tenant, 1 to 128 characters.' })
  name!: string;
  @Field(() => GraphQLJSONObject, { description: 'The template: { type, title?, branding?, sections: [{ id, title?, options? }] }.' })
  definition!: Record<string, unknown>;
}

@InputType({ description: 'A new version of one of your templates.' })
export class UpdateReportTemplateInput {
  @Field(() => ID, { description: "Id of one of your tenant's templates." })
  id!: string;
  @Field(() => GraphQLJSONObject, { description: 'The whole new definition; its type must stay the same.' })
  definition!: Record<string, unknown>;
}

@InputType({ description: 'One of your templates to delete.' })
export class DeleteReportTemplateInput {
  @Field(() => ID, { description: "Id of one of your tenant's templates." })
  id!: string;
}

@ObjectType({ description: 'A generated report file.' })
export class Report {
  @Field(() => ID, { description: 'Id of the report.' })
  id!: string;
  @Field(() => ReportStatus, { description: 'PENDING while generating, then READY or FAILED.' })
  status!: ReportStatus;
  @Field(() => ReportType, { description: 'Which report it is.' })
  type!: ReportType;
  @Field({ description: "The format plugin's short name, e.g. docx." })
  format!: string;
  @Field(() => String, {
    nullable: true,
    description: 'The framework reported on (COMPLIANCE_SUMMARY, CONTROL_ASSESSMENT); null otherwise.',
  })
  frameworkId!: string | null;
  @Field(() => DateTimeScalar, { description: 'Start of the period (inclusive).' })
  from!: string;
  @Field(() => DateTimeScalar, { description: 'End of the period (exclusive).' })
  to!: string;
  @Field({ description: 'Suggested file name for the download.' })
  fileName!: string;
  @Field({ description: 'Media type of the file.' })
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
  @Field(() => Int, { nullable: true, description: 'Version of the tenant template used; null for the default template.' })
  templateVersion!: number | null;
  @Field(() => DateTimeScalar, { description: 'When the report was requested.' })
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
