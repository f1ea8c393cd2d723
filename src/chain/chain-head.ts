import type { DataSource } from 'typeorm';
import { toNumber } from '../database/sql-format';
import { GENESIS_CHAIN_HASH } from './hashing';

/** The chain_head rows outside an append: a new tenant's empty chain, and every head for /metrics. */
export class ChainHeads {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Gives a tenant its empty chain (sequence 0, the genesis hash) unless it has one: auth's
   * TenantChains port, called when a tenant is created. One idempotent statement, no transaction:
   * on SQLite the chain store shares this connection (see ApiKeyService.ensureTenant).
   */
  async open(tenantId: string, createdAt: string): Promise<void> {
    const ignore = this.dataSource.options.type === 'better-sqlite3' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
    await this.dataSource.query(`${ignore} INTO chain_head (tenant_id, sequence, chain_hash, updated_at) VALUES (?, 0, ?, ?)`, [
      tenantId,
      GENESIS_CHAIN_HASH,
      createdAt,
    ]);
  }

  /** Each tenant's head sequence. */
  async sequences(): Promise<{ tenantId: string; sequence: number }[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query('SELECT tenant_id, sequence FROM chain_head');
    return rows.map((r) => ({ tenantId: String(r.tenant_id), sequence: toNumber(r.sequence) }));
  }
}
