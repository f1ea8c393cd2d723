import type { DataSource } from 'typeorm';
import { retryPolicyOf, retryTransient } from '../database/transient-retry';
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
  subjectRef: text(r.subject_ref),
  subject: null,
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

type Query = (text: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

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

  /**
   * Runs `fn` under the lock a prune's deletion batch takes (ADR 0043, amended 2026-12-04): the
   * tenant's chain_prune row. A hold or rule written here is committed before the next batch reads
   * the holds and rules, or waits until the running batch has committed. MariaDB: the row (made if
   * missing, as a lease does) locked FOR UPDATE in the writer's transaction. SQLite: one write
   * statement, which the database's single writer lock orders against a batch's BEGIN IMMEDIATE.
   */
  private async underPruneLock<T>(tenantId: string, fn: (query: Query) => Promise<T>): Promise<T> {
    if (this.dataSource.options.type === 'better-sqlite3') return fn((text, params) => this.dataSource.query(text, params));
    // Redone whole after a deadlock or a Galera certification failure (ADR 0054).
    return retryTransient(retryPolicyOf(this.dataSource), () => this.underPruneLockOnce(tenantId, fn));
  }

  private async underPruneLockOnce<T>(tenantId: string, fn: (query: Query) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner('master');
    try {
      await runner.connect();
      await runner.startTransaction();
      await runner.query('INSERT IGNORE INTO chain_prune (tenant_id, pruned_through, deleted_through) VALUES (?, 0, 0)', [tenantId]);
      await runner.query('SELECT tenant_id FROM chain_prune WHERE tenant_id = ? FOR UPDATE', [tenantId]);
      const out = await fn((text, params) => runner.query(text, params) as Promise<Record<string, unknown>[]>);
      await runner.commitTransaction();
      return out;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  async insertRule(r: RetentionRule): Promise<void> {
    await this.underPruneLock(r.tenantId, (query) =>
      query(
        'INSERT INTO retention_rule (id, tenant_id, selector, value, min_days, max_days, note, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [r.id, r.tenantId, r.selector, r.value, r.minDays, r.maxDays, r.note, toSqlDateTime(r.createdAt), r.createdBy],
      ),
    );
  }

  /** True when a rule was deleted. */
  async deleteRule(tenantId: string, id: string): Promise<boolean> {
    return this.underPruneLock(tenantId, async (query) => {
      const found = await query('SELECT id FROM retention_rule WHERE tenant_id = ? AND id = ?', [tenantId, id]);
      if (!found.length) return false;
      await query('DELETE FROM retention_rule WHERE tenant_id = ? AND id = ?', [tenantId, id]);
      return true;
    });
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
    await this.underPruneLock(h.tenantId, (query) =>
      query(
        'INSERT INTO legal_hold (id, tenant_id, subject_ref, action_prefix, occurred_from, occurred_to, reason, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [
          h.id,
          h.tenantId,
          h.subjectRef,
          h.actionPrefix,
          sqlDate(h.occurredFrom),
          sqlDate(h.occurredTo),
          h.reason,
          toSqlDateTime(h.createdAt),
          h.createdBy,
        ],
      ),
    );
  }

  async releaseHold(tenantId: string, id: string, at: string, by: string | null): Promise<void> {
    await this.dataSource.query(
      'UPDATE legal_hold SET released_at = ?, released_by = ? WHERE tenant_id = ? AND id = ? AND released_at IS NULL',
      [toSqlDateTime(at), by, tenantId, id],
    );
  }

  /** Holds stored before 2026-12-04 with the subject id in clear (`legacy_subject`), of one tenant or all. */
  async legacyHolds(tenantId?: string): Promise<{ id: string; tenantId: string; subject: string; released: boolean }[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT id, tenant_id, legacy_subject, released_at FROM legal_hold WHERE ${tenantId === undefined ? '' : 'tenant_id = ? AND '}legacy_subject IS NOT NULL`,
      tenantId === undefined ? [] : [tenantId],
    );
    return rows.map((r) => ({
      id: String(r.id),
      tenantId: String(r.tenant_id),
      subject: String(r.legacy_subject),
      released: r.released_at !== null,
    }));
  }

  /** Replaces a legacy hold's clear subject by its reference (once: a second node's update finds nothing to do). */
  async sealLegacyHold(tenantId: string, id: string, subjectRef: string): Promise<void> {
    await this.dataSource.query(
      'UPDATE legal_hold SET subject_ref = ?, legacy_subject = NULL WHERE tenant_id = ? AND id = ? AND legacy_subject IS NOT NULL',
      [subjectRef, tenantId, id],
    );
  }
}
