import type { DataSource } from 'typeorm';
import type { Principal, Role } from '../access/role';
import { fromSqlDateTime, toSqlDateTime } from '../database/sql-format';

export interface ApiKeyInfo {
  id: string;
  tenantId: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface TenantInfo {
  id: string;
  name: string;
  createdAt: string;
}

/** A key as it is stored: the secret only as its SHA-256 (`secretHash`) and a stub to recognise it by (`prefix`). */
export interface NewApiKey {
  id: string;
  tenantId: string;
  name: string;
  role: Role;
  prefix: string;
  secretHash: string;
  createdAt: Date;
}

const sqlTime = (at: Date) => toSqlDateTime(at.toISOString());

const rowToKey = (r: Record<string, unknown>): ApiKeyInfo => ({
  id: String(r.id),
  tenantId: String(r.tenant_id),
  name: String(r.name),
  role: r.role as Role,
  prefix: String(r.prefix),
  createdAt: fromSqlDateTime(r.created_at),
  revokedAt: r.revoked_at === null || r.revoked_at === undefined ? null : fromSqlDateTime(r.revoked_at),
});

const rowToTenant = (r: Record<string, unknown>): TenantInfo => ({
  id: String(r.id),
  name: String(r.name),
  createdAt: fromSqlDateTime(r.created_at),
});

/**
 * Every statement on `tenant` and `api_key`. Reads of keys by a client's request take the tenant
 * first; authentication and start-up look keys up by secret hash, across tenants.
 */
export class ApiKeyRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The principal of the unrevoked key with this secret hash. */
  async principalBySecretHash(secretHash: string): Promise<Principal | null> {
    const [row]: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT id, tenant_id, role FROM api_key WHERE secret_hash = ? AND revoked_at IS NULL',
      [secretHash],
    );
    return row ? { keyId: String(row.id), tenantId: String(row.tenant_id), role: row.role as Role } : null;
  }

  /** Whether any key, revoked or not, has this secret hash. */
  async secretHashTaken(secretHash: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query('SELECT id FROM api_key WHERE secret_hash = ?', [secretHash]);
    return rows.length > 0;
  }

  /**
   * The tenant unless it exists already. One idempotent statement, no transaction: on SQLite the
   * chain store shares this connection (see ApiKeyService.ensureTenant).
   */
  async insertTenantIfAbsent(tenant: { id: string; name: string; createdAt: Date }): Promise<void> {
    const ignore = this.dataSource.options.type === 'better-sqlite3' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
    await this.dataSource.query(`${ignore} INTO tenant (id, name, created_at) VALUES (?, ?, ?)`, [
      tenant.id,
      tenant.name,
      sqlTime(tenant.createdAt),
    ]);
  }

  async tenant(tenantId: string): Promise<TenantInfo | null> {
    const [row]: Record<string, unknown>[] = await this.dataSource.query('SELECT id, name, created_at FROM tenant WHERE id = ?', [
      tenantId,
    ]);
    return row ? rowToTenant(row) : null;
  }

  /** The tenants of these ids that exist, in no particular order. */
  async tenants(ids: readonly string[]): Promise<TenantInfo[]> {
    if (!ids.length) return [];
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT id, name, created_at FROM tenant WHERE id IN (${ids.map(() => '?').join(',')})`,
      [...ids],
    );
    return rows.map(rowToTenant);
  }

  /** A new, unrevoked key; the unique index on `secret_hash` refuses a secret in use. */
  async insertKey(key: NewApiKey): Promise<void> {
    await this.dataSource.query(
      'INSERT INTO api_key (id, tenant_id, name, role, prefix, secret_hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)',
      [key.id, key.tenantId, key.name, key.role, key.prefix, key.secretHash, sqlTime(key.createdAt)],
    );
  }

  async find(tenantId: string, id: string): Promise<ApiKeyInfo | null> {
    const [row]: Record<string, unknown>[] = await this.dataSource.query('SELECT * FROM api_key WHERE tenant_id = ? AND id = ?', [
      tenantId,
      id,
    ]);
    return row ? rowToKey(row) : null;
  }

  /** Whether the tenant has this key and it is not revoked. */
  async isActive(tenantId: string, id: string): Promise<boolean> {
    const [row]: Record<string, unknown>[] = await this.dataSource.query('SELECT revoked_at FROM api_key WHERE id = ? AND tenant_id = ?', [
      id,
      tenantId,
    ]);
    return row !== undefined && row.revoked_at === null;
  }

  /** Oldest first. */
  async list(tenantId: string): Promise<ApiKeyInfo[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT * FROM api_key WHERE tenant_id = ? ORDER BY created_at, id',
      [tenantId],
    );
    return rows.map(rowToKey);
  }

  async revoke(tenantId: string, id: string, at: Date): Promise<void> {
    await this.dataSource.query('UPDATE api_key SET revoked_at = ? WHERE tenant_id = ? AND id = ?', [sqlTime(at), tenantId, id]);
  }

  /** Keys of every tenant, revoked ones included. */
  async countKeys(): Promise<number> {
    const [row]: Record<string, unknown>[] = await this.dataSource.query('SELECT COUNT(*) AS n FROM api_key');
    return Number(row.n);
  }
}
