import type { DataSource } from 'typeorm';
import { fromSqlDateTime, toNumber, toSqlDateTime } from '../database/sql-format';
import type { LegalHold, RetentionRule, RetentionSelector } from './retention-policy';

const date = (v: unknown) => (v === null || v === undefined ? null : fromSqlDateTime(v));
const text = (v: unknown) => (v === null || v === undefined ? null : String(v));

const toRule = (r: Record<string, unknown>): RetentionRule => ({
  id: String(r.id),
  tenantId: String(r.tenant_id),
  selector: String(r.selector) as RetentionSelector,
  value: String(r.value),
  minDays: r.min_days === null ? null : toNumber(r.min_days),
  maxDays: r.max_days === null ? null : toNumber(r.max_days),
  note: text(r.note),
  createdAt: fromSqlDateTime(r.created_at),
  createdBy: text(r.created_by),
});

const toHold = (r: Record<string, unknown>): LegalHold => ({
  id: String(r.id),
  tenantId: String(r.tenant_id),
  subject: text(r.subject),
  actionPrefix: text(r.action_prefix),
  occurredFrom: date(r.occurred_from),
  occurredTo: date(r.occurred_to),
  reason: String(r.reason),
  createdAt: fromSqlDateTime(r.created_at),
  createdBy: text(r.created_by),
  releasedAt: date(r.released_at),
  releasedBy: text(r.released_by),
});

const sqlDate = (iso: string | null) => (iso === null ? null : toSqlDateTime(iso));

/** Every statement on `retention_rule` and `legal_hold`; each takes the tenant first. */
export class RetentionRepository {
  constructor(private readonly dataSource: DataSource) {}

  async rules(tenantId: string): Promise<RetentionRule[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT * FROM retention_rule WHERE tenant_id = ? ORDER BY created_at, id',
      [tenantId],
    );
    return rows.map(toRule);
  }

  async insertRule(r: RetentionRule): Promise<void> {
    await this.dataSource.query(
      'INSERT INTO retention_rule (id, tenant_id, selector, value, min_days, max_days, note, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [r.id, r.tenantId, r.selector, r.value, r.minDays, r.maxDays, r.note, toSqlDateTime(r.createdAt), r.createdBy],
    );
  }

  /** True when a rule was deleted. */
  async deleteRule(tenantId: string, id: string): Promise<boolean> {
    const found = await this.dataSource.query('SELECT id FROM retention_rule WHERE tenant_id = ? AND id = ?', [tenantId, id]);
    if (!found.length) return false;
    await this.dataSource.query('DELETE FROM retention_rule WHERE tenant_id = ? AND id = ?', [tenantId, id]);
    return true;
  }

  /** The tenants that have at least one rule with a maximum: the only ones a prune can delete from. */
  async tenantsWithMaximum(): Promise<string[]> {
    const rows: { tenant_id: string }[] = await this.dataSource.query(
      'SELECT DISTINCT tenant_id FROM retention_rule WHERE max_days IS NOT NULL ORDER BY tenant_id',
    );
    return rows.map((r) => String(r.tenant_id));
  }

  async holds(tenantId: string, includeReleased: boolean): Promise<LegalHold[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT * FROM legal_hold WHERE tenant_id = ?${includeReleased ? '' : ' AND released_at IS NULL'} ORDER BY created_at, id`,
      [tenantId],
    );
    return rows.map(toHold);
  }

  async hold(tenantId: string, id: string): Promise<LegalHold | null> {
    const [row]: Record<string, unknown>[] = await this.dataSource.query('SELECT * FROM legal_hold WHERE tenant_id = ? AND id = ?', [
      tenantId,
      id,
    ]);
    return row ? toHold(row) : null;
  }

  async insertHold(h: LegalHold): Promise<void> {
    await this.dataSource.query(
      'INSERT INTO legal_hold (id, tenant_id, subject, action_prefix, occurred_from, occurred_to, reason, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [
        h.id,
        h.tenantId,
        h.subject,
        h.actionPrefix,
        sqlDate(h.occurredFrom),
        sqlDate(h.occurredTo),
        h.reason,
        toSqlDateTime(h.createdAt),
        h.createdBy,
      ],
    );
  }

  async releaseHold(tenantId: string, id: string, at: string, by: string | null): Promise<void> {
    await this.dataSource.query(
      'UPDATE legal_hold SET released_at = ?, released_by = ? WHERE tenant_id = ? AND id = ? AND released_at IS NULL',
      [toSqlDateTime(at), by, tenantId, id],
    );
  }
}
