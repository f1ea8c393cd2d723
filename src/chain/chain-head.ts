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

/**
 * A tenant's erasure epoch (ADR 0042, amended 2026-12-07): 0 for a tenant without a head row. The
 * sealer reads it before it reads the subjects it keeps; an append of events sealed at another
 * epoch than the head's is refused ({@link StaleErasureEpochError}) and sealed again.
 */
export async function erasureEpochOf(query: (sql: string, params: unknown[]) => Promise<unknown>, tenantId: string): Promise<number> {
  const rows = (await query('SELECT erasure_epoch FROM chain_head WHERE tenant_id = ?', [tenantId])) as { erasure_epoch: unknown }[];
  return rows[0] ? toNumber(rows[0].erasure_epoch) : 0;
}

/**
 * The statements that bump the tenant's erasure epoch, for an erasure to run in the transaction
 * that destroys the key (the head row made first if the tenant has none, so that the bump is never lost).
 */
export function bumpErasureEpoch(sqlite: boolean, tenantId: string, now: string): Sql[] {
  return [
    {
      text: `${sqlite ? 'INSERT OR IGNORE' : 'INSERT IGNORE'} INTO chain_head (tenant_id, sequence, chain_hash, updated_at) VALUES (?, 0, ?, ?)`,
      params: [tenantId, GENESIS_CHAIN_HASH, now],
    },
    { text: 'UPDATE chain_head SET erasure_epoch = erasure_epoch + 1 WHERE tenant_id = ?', params: [tenantId] },
  ];
}

/**
 * An append refused because its events were sealed with subjects read at an older erasure epoch
 * than the head's: a subject may have been erased since. Nothing of the call was written; the
 * ingest service seals the batch again with subjects read afresh.
 */
export class StaleErasureEpochError extends Error {
  constructor(
    readonly tenantId: string,
    readonly sealedAt: number,
    readonly head: number,
  ) {
    super(`sealed at erasure epoch ${sealedAt}, the tenant's head is at ${head}`);
  }
}
