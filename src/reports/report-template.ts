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
}

/** The sections each type can have, in their default order. A template picks and orders them. */
export const SECTIONS: Record<ReportType, readonly string[]> = {
  [ReportType.COMPLIANCE_SUMMARY]: ['overview', 'status-breakdown', 'non-compliant', 'not-assessed', 'verification'],
  [ReportType.CONTROL_ASSESSMENT]: ['overview', 'controls', 'findings', 'attestations', 'verification'],
  [ReportType.AUDIT_TRAIL]: ['overview', 'events', 'verification'],
  [ReportType.SECURITY_INCIDENTS]: ['overview', 'by-day', 'by-action', 'by-actor', 'high-severity', 'verification'],
  [ReportType.DATA_ACCESS]: ['overview', 'by-actor', 'by-resource-type', 'events', 'verification'],
};

/** Columns an event table can show (AUDIT_TRAIL, SECURITY_INCIDENTS, DATA_ACCESS). */
export const EVENT_COLUMNS = [
  'sequence',
  'occurredAt',
  'actor',
  'actorType',
  'action',
  'resource',
  'outcome',
  'severity',
  'classification',
  'categories',
  'hash',
] as const;
export type EventColumn = (typeof EVENT_COLUMNS)[number];

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
                columns: z.array(z.enum(EVENT_COLUMNS)).min(1).optional(),
                intro: text(5000).optional(),
              })
              .strict()
              .default({}),
          })
          .strict(),
      )
      .min(1, { message: 'must name at least one section' }),
  })
  .strict()
  .superRefine((t, ctx) => {
    const allowed = SECTIONS[t.type];
    const seen = new Set<string>();
    t.sections.forEach((s, i) => {
      if (!allowed.includes(s.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['sections', i, 'id'],
          message: `is not a section of ${t.type}; one of ${allowed.join(', ')}`,
        });
      }
      if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: ['sections', i, 'id'], message: `"${s.id}" is listed twice` });
      seen.add(s.id);
    });
  });

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
    const parsed = templateSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    if (parsed.data.type !== type) throw new Error(`${file}: type must be ${type}`);
    templates.set(type, parsed.data);
  }
  return templates;
}
