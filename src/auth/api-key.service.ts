import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { fromSqlDateTime, toSqlDateTime } from '../database/sql-format';
import { type Principal, Role } from '../access/role';

export const DEFAULT_TENANT = 'default';
export const TENANT_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

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

/**
 * What auth needs of the chain module: a new tenant gets its empty chain. The chain implements it
 * (ChainHeads); the composition root passes it in, so auth never writes the chain's tables.
 */
export interface TenantChains {
  open(tenantId: string, createdAt: string): Promise<void>;
}

const hashSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');
const newSecret = (): string => `dpa_${randomBytes(32).toString('base64url')}`;
const now = () => toSqlDateTime(new Date().toISOString());

const mapKey = (r: Record<string, unknown>): ApiKeyInfo => ({
  id: String(r.id),
  tenantId: String(r.tenant_id),
  name: String(r.name),
  role: r.role as Role,
  prefix: String(r.prefix),
  createdAt: fromSqlDateTime(r.created_at),
  revokedAt: r.revoked_at === null || r.revoked_at === undefined ? null : fromSqlDateTime(r.revoked_at),
});

/**
 * API keys and tenants. Secrets are random 256-bit values, so a single SHA-256 is enough to store
 * them safely (no password stretching needed) and lets a key be found by its hash in one lookup.
 */
export class ApiKeyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly chains: TenantChains,
  ) {}

  async authenticate(secret: string): Promise<Principal | null> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT id, tenant_id, role FROM api_key WHERE secret_hash = ? AND revoked_at IS NULL',
      [hashSecret(secret)],
    );
    return rows.length ? { keyId: String(rows[0].id), tenantId: String(rows[0].tenant_id), role: rows[0].role as Role } : null;
  }

  /** Creates the tenant and its empty chain if they do not exist yet. */
  async ensureTenant(tenantId: string, name = tenantId): Promise<TenantInfo> {
    if (!TENANT_PATTERN.test(tenantId)) {
      throw new AppError(
        ErrorCode.INVALID_ARGUMENT,
        'A tenant id is 1 to 64 lowercase letters, digits, _ or -, starting with a letter or digit.',
      );
    }
    const existing = await this.tenant(tenantId);
    if (existing) return existing;
    const createdAt = now();
    // Two idempotent statements, no transaction: on SQLite the chain store shares this connection,
    // and an async transaction open around it would swallow an append into a savepoint.
    const ignore = this.dataSource.options.type === 'better-sqlite3' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
    await this.dataSource.query(`${ignore} INTO tenant (id, name, created_at) VALUES (?, ?, ?)`, [tenantId, name, createdAt]);
    await this.chains.open(tenantId, createdAt);
    return (await this.tenant(tenantId))!;
  }

  async tenant(tenantId: string): Promise<TenantInfo | null> {
    const rows: Record<string, unknown>[] = await this.dataSource.query('SELECT id, name, created_at FROM tenant WHERE id = ?', [tenantId]);
    return rows.length ? { id: String(rows[0].id), name: String(rows[0].name), createdAt: fromSqlDateTime(rows[0].created_at) } : null;
  }

  async tenants(ids: readonly string[]): Promise<TenantInfo[]> {
    if (!ids.length) return [];
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT id, name, created_at FROM tenant WHERE id IN (${ids.map(() => '?').join(',')})`,
      [...ids],
    );
    return rows.map((r) => ({ id: String(r.id), name: String(r.name), createdAt: fromSqlDateTime(r.created_at) }));
  }

  /**
   * Creates a key; the secret is returned once and never stored. A generated secret is listed by its
   * first 12 characters (`dpa_` and 8 random ones); a chosen one (the bootstrap key) only by a hash stub.
   */
  async create(tenantId: string, role: Role, name: string, chosenSecret?: string): Promise<{ key: ApiKeyInfo; secret: string }> {
    const secret = chosenSecret ?? newSecret();
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 128) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'A key name is 1 to 128 characters.');
    if (!Object.values(Role).includes(role)) throw new AppError(ErrorCode.INVALID_ARGUMENT, `Unknown role ${String(role)}.`);
    await this.ensureTenant(tenantId);
    const id = uuidv7();
    await this.dataSource.query(
      'INSERT INTO api_key (id, tenant_id, name, role, prefix, secret_hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)',
      [id, tenantId, trimmed, role, chosenSecret ? `#${hashSecret(secret).slice(0, 8)}` : secret.slice(0, 12), hashSecret(secret), now()],
    );
    return { key: (await this.find(tenantId, id))!, secret };
  }

  async find(tenantId: string, id: string): Promise<ApiKeyInfo | null> {
    const rows: Record<string, unknown>[] = await this.dataSource.query('SELECT * FROM api_key WHERE tenant_id = ? AND id = ?', [
      tenantId,
      id,
    ]);
    return rows.length ? mapKey(rows[0]) : null;
  }

  /** Whether the tenant has this key and it is not revoked (what a report download URL issued to it needs). */
  async isActive(tenantId: string, id: string): Promise<boolean> {
    const rows: Record<string, unknown>[] = await this.dataSource.query('SELECT revoked_at FROM api_key WHERE id = ? AND tenant_id = ?', [
      id,
      tenantId,
    ]);
    return rows.length > 0 && rows[0].revoked_at === null;
  }

  async list(tenantId: string): Promise<ApiKeyInfo[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT * FROM api_key WHERE tenant_id = ? ORDER BY created_at, id',
      [tenantId],
    );
    return rows.map(mapKey);
  }

  async revoke(tenantId: string, id: string): Promise<ApiKeyInfo> {
    const key = await this.find(tenantId, id);
    if (!key) throw new AppError(ErrorCode.NOT_FOUND, `No API key ${id} in this tenant.`);
    if (!key.revokedAt)
      await this.dataSource.query('UPDATE api_key SET revoked_at = ? WHERE tenant_id = ? AND id = ?', [now(), tenantId, id]);
    return (await this.find(tenantId, id))!;
  }

  async countKeys(): Promise<number> {
    const rows: Record<string, unknown>[] = await this.dataSource.query('SELECT COUNT(*) AS n FROM api_key');
    return Number(rows[0].n);
  }

  /**
   * Start-up: makes sure the default tenant exists; with a bootstrap secret, that an ADMIN key with
   * exactly that secret exists; on an empty database without one, creates an ADMIN key and returns
   * its secret so the caller can print it once.
   */
  async bootstrap(bootstrapSecret?: string): Promise<string | null> {
    await this.ensureTenant(DEFAULT_TENANT, 'Default tenant');
    if (bootstrapSecret) {
      const rows: Record<string, unknown>[] = await this.dataSource.query('SELECT id FROM api_key WHERE secret_hash = ?', [
        hashSecret(bootstrapSecret),
      ]);
      if (rows.length) return null;
      try {
        await this.create(DEFAULT_TENANT, Role.ADMIN, 'bootstrap admin', bootstrapSecret);
      } catch (error) {
        // Another process starting at the same moment may have created it first (unique secret_hash).
        if (!(await this.authenticate(bootstrapSecret))) throw error;
      }
      return null;
    }
    if ((await this.countKeys()) > 0) return null;
    return (await this.create(DEFAULT_TENANT, Role.ADMIN, 'first admin')).secret;
  }
}
