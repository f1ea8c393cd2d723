import { AUDIT_EVENT_ENTITIES } from './audit/audit-event.entity';
import { AUTH_ENTITIES } from './auth/auth.entity';
import { CHAIN_ENTITIES } from './chain/chain.entity';
import { AssessmentRunEntity } from './compliance/assessment-run.entity';
import { RETENTION_ENTITIES } from './retention/retention.entity';
import { PRIVACY_ENTITIES } from './privacy/data-subject.entity';
import {
  ReportBundleChunkEntity,
  ReportChunkEntity,
  ReportEntity,
  ReportTemplateEntity,
  ReportTemplateVersionEntity,
} from './reports/report.entity';

/** Every module's tables: what the data source maps and the migration generator diffs against. */
export const ENTITIES = [
  ...AUTH_ENTITIES,
  ...AUDIT_EVENT_ENTITIES,
  ...CHAIN_ENTITIES,
  ReportEntity,
  ReportChunkEntity,
  ReportBundleChunkEntity,
  ReportTemplateEntity,
  ReportTemplateVersionEntity,
  AssessmentRunEntity,
  ...RETENTION_ENTITIES,
  ...PRIVACY_ENTITIES,
];
