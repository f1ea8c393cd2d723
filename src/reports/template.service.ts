import { v7 as uuidv7 } from 'uuid';
import type { DataSource } from 'typeorm';
import { atomically } from '../database/atomically';
import { canonicalJson } from '../chain/canonical-json';
import { fromSqlDateTime, toSqlDateTime } from '../database/sql-format';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { type ReportTemplate, type ReportType, sectionProblems, templateSchema } from './report-template';

export interface StoredTemplate {
  id: string;
  tenantId: string;
  name: string;
  type: ReportType;
  version: number;
  definition: ReportTemplate;
  updatedAt: string;
}

// eslint-disable-next-line no-control-regex -- names must not hold control characters
const NAME = /^[^\u0000-\u001f\u007f]{1,128}$/;

const toTemplate = (r: Record<string, unknown>): StoredTemplate => ({
  id: String(r.id),
  tenantId: String(r.tenant_id),
  name: String(r.name),
  type: String(r.type) as ReportType,
  version: Number(r.version),
  definition: JSON.parse(String(r.body)) as ReportTemplate,
  updatedAt: fromSqlDateTime(r.updated_at),
});

/** Validates a template definition (data only); throws INVALID_ARGUMENT listing every bad field. */
export function validTemplate(definition: unknown): ReportTemplate {
  const parsed = templateSchema.safeParse(definition);
  const issues = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((i) => ({
          path: i.path,
          message: i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.message,
        }))),
    ...sectionProblems(definition),
  ];
  if (parsed.success && !issues.length) return parsed.data;
  const problems = issues.map((i) => ({ path: ['input', 'definition', ...i.path].join('.'), message: i.message }));
  throw new AppError(
    ErrorCode.INVALID_ARGUMENT,
    `The template is not valid: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}.`,
    {
      problems,
    },
  );
}

/** A tenant's own report templates: created, updated (a new version each time), deleted. */
export class TemplateService {
  constructor(private readonly dataSource: DataSource) {}

  async list(tenantId: string, type?: ReportType | null): Promise<StoredTemplate[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT * FROM report_template WHERE tenant_id = ?${type ? ' AND type = ?' : ''} ORDER BY name`,
      type ? [tenantId, type] : [tenantId],
    );
    return rows.map(toTemplate);
  }

  async find(tenantId: string, id: string): Promise<StoredTemplate | null> {
    const [row]: Record<string, unknown>[] = await this.dataSource.query('SELECT * FROM report_template WHERE tenant_id = ? AND id = ?', [
      tenantId,
      id,
    ]);
    return row ? toTemplate(row) : null;
  }

  async create(tenantId: string, by: string, name: string, definition: unknown, now = new Date()): Promise<StoredTemplate> {
    const template = validTemplate(definition);
    const clean = this.name(name);
    const [taken]: unknown[] = await this.dataSource.query('SELECT id FROM report_template WHERE tenant_id = ? AND name = ?', [
      tenantId,
      clean,
    ]);
    if (taken) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `A template named "${clean}" exists already; update it or choose another name.`, {
        problems: [{ path: 'input.name', message: 'is taken' }],
      });
    }
    const id = uuidv7();
    const body = canonicalJson(template);
    const at = toSqlDateTime(now.toISOString());
    await atomically(this.dataSource, [
      {
        text: 'INSERT INTO report_template (id, tenant_id, name, type, version, body, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)',
        params: [id, tenantId, clean, template.type, body, at],
      },
      {
        text: 'INSERT INTO report_template_version (template_id, version, body, created_by, created_at) VALUES (?, 1, ?, ?, ?)',
        params: [id, body, by, at],
      },
    ]);
    return (await this.find(tenantId, id))!;
  }

  async update(tenantId: string, by: string, id: string, definition: unknown, now = new Date()): Promise<StoredTemplate> {
    const template = validTemplate(definition);
    const current = await this.find(tenantId, id);
    if (!current) throw new AppError(ErrorCode.NOT_FOUND, 'No template of your tenant has this id.');
    if (template.type !== current.type) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `A ${current.type} template cannot become ${template.type}; create a new template.`, {
        problems: [{ path: 'input.definition.type', message: `must stay ${current.type}` }],
      });
    }
    const body = canonicalJson(template);
    const at = toSqlDateTime(now.toISOString());
    // Two concurrent updates of one version both insert version + 1: the primary key of
    // report_template_version refuses the second, whose transaction then rolls back.
    await atomically(this.dataSource, [
      {
        text: 'UPDATE report_template SET version = ?, body = ?, updated_at = ? WHERE id = ? AND tenant_id = ?',
        params: [current.version + 1, body, at, id, tenantId],
      },
      {
        text: 'INSERT INTO report_template_version (template_id, version, body, created_by, created_at) VALUES (?, ?, ?, ?, ?)',
        params: [id, current.version + 1, body, by, at],
      },
    ]);
    return (await this.find(tenantId, id))!;
  }

  async delete(tenantId: string, id: string): Promise<StoredTemplate> {
    const current = await this.find(tenantId, id);
    if (!current) throw new AppError(ErrorCode.NOT_FOUND, 'No template of your tenant has this id.');
    // Versions stay: reports name the template version behind them.
    await this.dataSource.query('DELETE FROM report_template WHERE id = ? AND tenant_id = ?', [id, tenantId]);
    return current;
  }

  private name(name: string): string {
    const clean = name.trim();
    if (!NAME.test(clean)) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, 'A template name is 1 to 128 characters without control characters.', {
        problems: [{ path: 'input.name', message: 'must be 1 to 128 characters without control characters' }],
      });
    }
    return clean;
  }
}
