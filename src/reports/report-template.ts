import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** The report types (DESIGN §5). */
export enum ReportType {
  COMPLIANCE_SUMMARY = 'COMPLIANCE_SUMMARY',
  CONTROL_ASSESSMENT = 'CONTROL_ASSESSMENT',
  AUDIT_TRAIL = 'AUDIT_TRAIL',
  SECURITY_INCIDENTS = 'SECURITY_INCIDENTS',
  DATA_ACCESS = 'DATA_ACCESS',
  /** One data subject's events with its personal fields opened (GDPR Art. 15): made by exportDataSubject only. */
  SUBJECT_ACCESS = 'SUBJECT_ACCESS',
}

/** The sections each type can have, in their default order. A template picks and orders them. */
export const SECTIONS: Record<ReportType, readonly string[]> = {
  [ReportType.COMPLIANCE_SUMMARY]: [
    'overview',
    'status-breakdown',
    'status-trend',
    'non-compliant',
    'finding-register',
    'not-assessed',
    'verification',
  ],
  [ReportType.CONTROL_ASSESSMENT]: [
    'overview',
    'status-breakdown',
    'controls',
    'findings',
    'finding-register',
    'attestations',
    'verification',
  ],
  [ReportType.AUDIT_TRAIL]: ['overview', 'events', 'verification'],
  [ReportType.SECURITY_INCIDENTS]: ['overview', 'by-day', 'by-action', 'by-actor', 'high-severity', 'verification'],
  [ReportType.DATA_ACCESS]: ['overview', 'by-actor', 'by-resource-type', 'events', 'verification'],
  [ReportType.SUBJECT_ACCESS]: ['overview', 'events', 'verification'],
};

/** Columns an event table of a report can show (AUDIT_TRAIL, SECURITY_INCIDENTS, DATA_ACCESS, SUBJECT_ACCESS); not the stored columns of audit_event. */
export const REPORT_EVENT_COLUMNS = [
  'sequence',
  'id',
  'occurredAt',
  'actor',
  'actorType',
  'actorIp',
  'actorUserAgent',
  'action',
  'resource',
  'resourceName',
  'outcome',
  'severity',
  'classification',
  'categories',
  'metadata',
  'hash',
] as const;
export type ReportEventColumn = (typeof REPORT_EVENT_COLUMNS)[number];

/** The most rows a template may ask of one table. */
export const MAX_TABLE_ROWS = 100_000;

const text = (max: number) => z.string().trim().min(1).max(max);
const color = z.string().regex(/^#[0-9a-fA-F]{6}$/, { message: 'must be a colour like #1F4E79' });

/**
 * A report template: which sections, in what order, with what titles and options, and branding.
 * Plain data, validated; no string of it is ever evaluated, and every format escapes it.
 */
export const templateSchema = z
  .object({
    type: z.nativeEnum(ReportType),
    title: text(200).optional(),
    branding: z
      .object({
        organisation: text(200).optional(),
        footer: text(500).optional(),
        primaryColor: color.optional(),
        accentColor: color.optional(),
      })
      .strict()
      .default({}),
    sections: z
      .array(
        z
          .object({
            id: z.string(),
            title: text(200).optional(),
            options: z
              .object({
                limit: z.number().int().min(1).max(MAX_TABLE_ROWS).optional(),
                columns: z.array(z.enum(REPORT_EVENT_COLUMNS)).min(1).optional(),
                intro: text(5000).optional(),
              })
              .strict()
              .default({}),
          })
          .strict(),
      )
      .min(1, { message: 'must name at least one section' }),
  })
  .strict();

/**
 * Section ids the template's type does not have, and repeats. Apart from the schema, so that they
 * are reported together with every other problem of the same template.
 */
export function sectionProblems(raw: unknown): { path: (string | number)[]; message: string }[] {
  const { type, sections } = (raw ?? {}) as { type?: unknown; sections?: unknown };
  if (typeof type !== 'string' || !(type in SECTIONS) || !Array.isArray(sections)) return [];
  const allowed = SECTIONS[type as ReportType];
  const seen = new Set<unknown>();
  return sections.flatMap((section: unknown, i) => {
    const id = (section as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return [];
    if (!allowed.includes(id))
      return [{ path: ['sections', i, 'id'], message: `is not a section of ${type}; one of ${allowed.join(', ')}` }];
    if (seen.has(id)) return [{ path: ['sections', i, 'id'], message: `"${id}" is listed twice` }];
    seen.add(id);
    return [];
  });
}

export type ReportTemplate = z.infer<typeof templateSchema>;

/** `templates/` of the installation: next to package.json, from src/ or dist/src/. */
export function templatesDir(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('templates/ not found: no package.json above ' + __dirname);
    dir = parent;
  }
  return path.join(dir, 'templates');
}

const fileOf = (type: ReportType) => `${type.toLowerCase().replace(/_/g, '-')}.json`;

/** The default template of every type, from `templates/<type>.json`; a bad file stops the start. */
export function loadDefaultTemplates(dir = templatesDir()): Map<ReportType, ReportTemplate> {
  const templates = new Map<ReportType, ReportTemplate>();
  for (const type of Object.values(ReportType)) {
    const file = path.join(dir, fileOf(type));
    const raw: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    const parsed = templateSchema.safeParse(raw);
    const problems = [...(parsed.success ? [] : parsed.error.issues), ...sectionProblems(raw)];
    if (!parsed.success || problems.length)
      throw new Error(`${file}: ${problems.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    if (parsed.data.type !== type) throw new Error(`${file}: type must be ${type}`);
    templates.set(type, parsed.data);
  }
  return templates;
}
