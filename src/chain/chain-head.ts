import type { DataSource } from 'typeorm';
import type { Sql } from '../database/sql';
import { toNumber } from '../database/sql-format';
import { GENESIS_CHAIN_HASH } from './hashing';

/** A tenant's head as a reader sees it: sequence 0 and no hash for a tenant without a chain. */
export interface TenantHead {
  sequence: number;
  chainHash: string | null;
}

/**
 * The statement that reads a tenant's head, for a module that runs it in a snapshot of its own
 * (an assessment reads the head with the rollup in one transaction); `headOf` reads its rows.
 */
export const headStatement = (tenantId: string): Sql => ({
  text: 'SELECT sequence, chain_hash FROM chain_head WHERE tenant_id = ?',
  params: [tenantId],
});

export const headOf = (rows: readonly Record<string, unknown>[]): TenantHead =>
  rows[0] ? { sequence: toNumber(rows[0].sequence), chainHash: String(rows[0].chain_hash) } : { sequence: 0, chainHash: null };

/** The chain_head rows outside an append: a new tenant's empty chain, a tenant's head, and every head for /metrics. */
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

  async head(tenantId: string): Promise<TenantHead> {
    const { text, params } = headStatement(tenantId);
    return headOf(await this.dataSource.query(text, params));
  }

  /** Each tenant's head sequence. */
  async sequences(): Promise<{ tenantId: string; sequence: number }[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query('SELECT tenant_id, sequence FROM chain_head');
    return rows.map((r) => ({ tenantId: String(r.tenant_id), sequence: toNumber(r.sequence) }));
  }
}
