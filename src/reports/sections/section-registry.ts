import { ReportType } from '../report-template';
import { AUDIT_TRAIL_SECTIONS } from './audit-trail.sections';
import { COMPLIANCE_SUMMARY_SECTIONS, CONTROL_ASSESSMENT_SECTIONS } from './compliance.sections';
import { DATA_ACCESS_SECTIONS } from './data-access.sections';
import type { SectionBuilder, SectionBuilders } from './report-section';
import { SECURITY_INCIDENTS_SECTIONS } from './security-incidents.sections';
import { SUBJECT_ACCESS_SECTIONS } from './subject-access.sections';

/** The section builders of every report type; their ids are the type's `SECTIONS` (a spec holds them together). */
export const SECTION_BUILDERS: Readonly<Record<ReportType, SectionBuilders>> = {
  [ReportType.COMPLIANCE_SUMMARY]: COMPLIANCE_SUMMARY_SECTIONS,
  [ReportType.CONTROL_ASSESSMENT]: CONTROL_ASSESSMENT_SECTIONS,
  [ReportType.AUDIT_TRAIL]: AUDIT_TRAIL_SECTIONS,
  [ReportType.SECURITY_INCIDENTS]: SECURITY_INCIDENTS_SECTIONS,
  [ReportType.DATA_ACCESS]: DATA_ACCESS_SECTIONS,
  [ReportType.SUBJECT_ACCESS]: SUBJECT_ACCESS_SECTIONS,
};

/** The builder of one section of a type; a template names only sections its type has, so a miss is a bug. */
export function sectionBuilder(type: ReportType, id: string): SectionBuilder {
  const builder = Object.hasOwn(SECTION_BUILDERS[type], id) ? SECTION_BUILDERS[type][id] : undefined;
  if (!builder) throw new Error(`no section ${id} for ${type}`);
  return builder;
}
