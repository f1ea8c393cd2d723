import type { DataSource } from 'typeorm';
import { atomically } from '../database/atomically';
import { fromSqlDateTime, toSqlDateTime } from '../database/sql-format';
import type { ReportTemplate, ReportType } from './report-template';

export interface StoredTemplate {
  id: string;
  tenantId: string;
  name: string;
  type: ReportType;
  version: number;
  definition: ReportTemplate;
  updatedAt: string;
}

const toTemplate = (r: Record<string, unknown>): StoredTemplate => ({
  id: String(r.id),
  tenantId: String(r.tenant_id),
  name: String(r.name),
  type: String(r.type) as ReportType,
  version: Number(r.version),
  definition: JSON.parse(String(r.body)) as ReportTemplate,
  updatedAt: fromSqlDateTime(r.updated_at),
});

/** Every statement on `report_template` and `report_template_version`. Every method takes the tenant first. */
export class TemplateRepository {
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

  async nameTaken(tenantId: string, name: string): Promise<boolean> {
    const [taken]: unknown[] = await this.dataSource.query('SELECT id FROM report_template WHERE tenant_id = ? AND name = ?', [
      tenantId,
      name,
    ]);
    return Boolean(taken);
  }

  /** A new template at version 1, with that version kept. `body` is the canonical JSON of the definition. */
  async insert(tenantId: string, t: { id: string; name: string; type: ReportType; body: string; by: string; at: Date }): Promise<void> {
    const at = toSqlDateTime(t.at.toISOString());
    await atomically(this.dataSource, [
      {
        text: 'INSERT INTO report_template (id, tenant_id, name, type, version, body, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)',
        params: [t.id, tenantId, t.name, t.type, t.body, at],
      },
      {
        text: 'INSERT INTO report_template_version (template_id, version, body, created_by, created_at) VALUES (?, 1, ?, ?, ?)',
        params: [t.id, t.body, t.by, at],
      },
    ]);
  }

  /**
   * Version `version` of a template, kept with the others. Two concurrent updates of one version
   * both insert it: the primary key of report_template_version refuses the second, whose
   * transaction then rolls back.
   */
  async update(tenantId: string, id: string, v: { version: number; body: string; by: string; at: Date }): Promise<void> {
    const at = toSqlDateTime(v.at.toISOString());
    await atomically(this.dataSource, [
      {
        text: 'UPDATE report_template SET version = ?, body = ?, updated_at = ? WHERE id = ? AND tenant_id = ?',
        params: [v.version, v.body, at, id, tenantId],
      },
      {
        text: 'INSERT INTO report_template_version (template_id, version, body, created_by, created_at) VALUES (?, ?, ?, ?, ?)',
        params: [id, v.version, v.body, v.by, at],
      },
    ]);
  }

  /** The template goes; its versions stay, for the reports that name them. */
  async delete(tenantId: string, id: string): Promise<void> {
    await this.dataSource.query('DELETE FROM report_template WHERE id = ? AND tenant_id = ?', [id, tenantId]);
  }
}
