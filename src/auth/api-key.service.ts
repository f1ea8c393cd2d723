import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { toSqlDateTime } from '../database/sql-format';
import { type Principal, Role } from '../access/role';
import { type ApiKeyInfo, ApiKeyRepository, type TenantInfo } from './api-key.repository';

export const DEFAULT_TENANT = 'default';
export const TENANT_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * What auth needs of the chain module: a new tenant gets its empty chain. The chain implements it
 * (ChainHeads); the composition root passes it in, so auth never writes the chain's tables.
 */
export interface TenantChains {
  open(tenantId: string, createdAt: string): Promise<void>;
}

const hashSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');
const newSecret = (): string => `dpa_${randomBytes(32).toString('base64url')}`;

/**
 * API keys and tenants. Secrets are random 256-bit values, so a single SHA-256 is enough to store
 * them safely (no password stretching needed) and lets a key be found by its hash in one lookup.
 */
export class ApiKeyService {
  private readonly repository: ApiKeyRepository;

  constructor(
    dataSource: DataSource,
    private readonly chains: TenantChains,
  ) {
    this.repository = new ApiKeyRepository(dataSource);
  }

  async authenticate(secret: string): Promise<Principal | null> {
    return this.repository.principalBySecretHash(hashSecret(secret));
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
    const createdAt = new Date();
    // Two idempotent statements, no transaction: on SQLite the chain store shares this connection,
    // and an async transaction open around it would swallow an append into a savepoint.
    await this.repository.insertTenantIfAbsent({ id: tenantId, name, createdAt });
    await this.chains.open(tenantId, toSqlDateTime(createdAt.toISOString()));
    return (await this.tenant(tenantId))!;
  }

  tenant(tenantId: string): Promise<TenantInfo | null> {
    return this.repository.tenant(tenantId);
  }

  tenants(ids: readonly string[]): Promise<TenantInfo[]> {
    return this.repository.tenants(ids);
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
    const secretHash = hashSecret(secret);
    await this.repository.insertKey({
      id,
      tenantId,
      name: trimmed,
      role,
      prefix: chosenSecret ? `#${secretHash.slice(0, 8)}` : secret.slice(0, 12),
      secretHash,
      createdAt: new Date(),
    });
    return { key: (await this.find(tenantId, id))!, secret };
  }

  find(tenantId: string, id: string): Promise<ApiKeyInfo | null> {
    return this.repository.find(tenantId, id);
  }

  /** Whether the tenant has this key and it is not revoked (what a report download URL issued to it needs). */
  isActive(tenantId: string, id: string): Promise<boolean> {
    return this.repository.isActive(tenantId, id);
  }

  list(tenantId: string): Promise<ApiKeyInfo[]> {
    return this.repository.list(tenantId);
  }

  async revoke(tenantId: string, id: string): Promise<ApiKeyInfo> {
    const key = await this.find(tenantId, id);
    if (!key) throw new AppError(ErrorCode.NOT_FOUND, `No API key ${id} in this tenant.`);
    if (!key.revokedAt) await this.repository.revoke(tenantId, id, new Date());
    return (await this.find(tenantId, id))!;
  }

  countKeys(): Promise<number> {
    return this.repository.countKeys();
  }

  /**
   * Start-up: makes sure the default tenant exists; with a bootstrap secret, that an ADMIN key with
   * exactly that secret exists; on an empty database without one, creates an ADMIN key and returns
   * its secret so the caller can print it once.
   */
  async bootstrap(bootstrapSecret?: string): Promise<string | null> {
    await this.ensureTenant(DEFAULT_TENANT, 'Default tenant');
    if (bootstrapSecret) {
      if (await this.repository.secretHashTaken(hashSecret(bootstrapSecret))) return null;
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
