import type { DataSource } from 'typeorm';
import { fromSqlDateTime, toNumber, toSqlDateTime } from '../database/sql-format';
import type { PublicSigningKey } from './signing-key';

export interface Checkpoint {
  id: string;
  tenantId: string;
  sequence: number;
  chainHash: string;
  issuedAt: string;
  keyId: string;
  signature: string;
  /**
   * The same head as a C2SP tlog-checkpoint signed note (ADR 0048): origin, tree size, base64
   * root, then the signature line. Null for checkpoints issued before trees, or of a chain with none.
   */
  note: string | null;
}

const rowToCheckpoint = (r: Record<string, unknown>): Checkpoint => ({
  id: String(r.id),
  tenantId: String(r.tenant_id),
  sequence: toNumber(r.sequence),
  chainHash: String(r.chain_hash),
  issuedAt: fromSqlDateTime(r.issued_at),
  keyId: String(r.key_id),
  signature: String(r.signature),
  note: r.note === null || r.note === undefined ? null : String(r.note),
});

const keyList = (keyIds: readonly string[]) => keyIds.map(() => '?').join(', ');

/** A witness's cosignature of a checkpoint, as stored. */
export interface StoredCosignature {
  checkpointId: string;
  witnessName: string;
  line: string;
  cosignedAt: string;
  receivedAt: string;
}

/**
 * Every statement on `checkpoint`, `checkpoint_cosignature` and `signing_key`. Reads of checkpoints take the tenant first;
 * the signing keys and the checkpoints due are the server's, across tenants.
 */
export class CheckpointRepository {
  constructor(private readonly dataSource: DataSource) {}

  async signingKeyExists(id: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query('SELECT id FROM signing_key WHERE id = ?', [id]);
    return rows.length > 0;
  }

  /** The public half of a key; the primary key refuses one recorded already. */
  async insertSigningKey(key: { id: string; publicKeyPem: string; createdAt: Date }): Promise<void> {
    await this.dataSource.query('INSERT INTO signing_key (id, public_key_pem, created_at) VALUES (?, ?, ?)', [
      key.id,
      key.publicKeyPem,
      toSqlDateTime(key.createdAt.toISOString()),
    ]);
  }

  /** Every recorded key, newest first. */
  async signingKeys(): Promise<PublicSigningKey[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT id, public_key_pem, created_at FROM signing_key ORDER BY created_at DESC, id',
    );
    return rows.map((r) => ({ id: String(r.id), publicKeyPem: String(r.public_key_pem), createdAt: fromSqlDateTime(r.created_at) }));
  }

  async insert(c: Checkpoint): Promise<void> {
    await this.dataSource.query(
      'INSERT INTO checkpoint (id, tenant_id, sequence, chain_hash, issued_at, key_id, signature, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [c.id, c.tenantId, c.sequence, c.chainHash, toSqlDateTime(c.issuedAt), c.keyId, c.signature, c.note],
    );
  }

  /**
   * The tenants whose chain head is not where the highest checkpoint of `keyId` is, with both:
   * behind it (the chain moved since) or ahead of it (a row written into the table, or a log rolled
   * back in the database). Unverified: the caller checks signatures where it matters (issueDue).
   */
  async headsApartFrom(keyId: string): Promise<{ tenantId: string; head: number; checkpointed: number }[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT tenant_id, head, checkpointed FROM (SELECT h.tenant_id AS tenant_id, h.sequence AS head, COALESCE((SELECT MAX(c.sequence) FROM checkpoint c WHERE c.tenant_id = h.tenant_id AND c.key_id = ?), 0) AS checkpointed FROM chain_head h) t WHERE head <> checkpointed',
      [keyId],
    );
    return rows.map((row) => ({ tenantId: String(row.tenant_id), head: toNumber(row.head), checkpointed: toNumber(row.checkpointed) }));
  }

  /** Every tenant with a chain (witness submissions owed are derived per tenant at start). */
  async tenantsWithChains(): Promise<string[]> {
    const rows: { tenant_id: string }[] = await this.dataSource.query('SELECT tenant_id FROM chain_head ORDER BY tenant_id');
    return rows.map((row) => String(row.tenant_id));
  }

  /** The checkpoint of the highest sequence, of any key; the newest of those. */
  async latest(tenantId: string): Promise<Checkpoint | null> {
    const [row]: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT * FROM checkpoint WHERE tenant_id = ? ORDER BY sequence DESC, issued_at DESC LIMIT 1',
      [tenantId],
    );
    return row ? rowToCheckpoint(row) : null;
  }

  /** Up to `limit` checkpoints with a sequence in [fromSequence, toSequence], newest first. */
  async list(tenantId: string, limit: number, fromSequence: number, toSequence: number): Promise<Checkpoint[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT * FROM checkpoint WHERE tenant_id = ? AND sequence >= ? AND sequence <= ? ORDER BY sequence DESC, issued_at DESC LIMIT ?',
      [tenantId, fromSequence, toSequence, limit],
    );
    return rows.map(rowToCheckpoint);
  }

  /** Every checkpoint with a sequence in [fromSequence, toSequence], oldest first. */
  async inRange(tenantId: string, fromSequence: number, toSequence: number): Promise<Checkpoint[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT * FROM checkpoint WHERE tenant_id = ? AND sequence >= ? AND sequence <= ? ORDER BY sequence, issued_at, id',
      [tenantId, fromSequence, toSequence],
    );
    return rows.map(rowToCheckpoint);
  }

  /** Up to `limit` checkpoints of these keys at or below `atOrBelow`, newest first. */
  async newestOfKeys(tenantId: string, keyIds: readonly string[], atOrBelow: number, limit: number): Promise<Checkpoint[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT * FROM checkpoint WHERE tenant_id = ? AND sequence <= ? AND key_id IN (${keyList(keyIds)}) ORDER BY sequence DESC, issued_at DESC LIMIT ${Math.trunc(limit)}`,
      [tenantId, atOrBelow, ...keyIds],
    );
    return rows.map(rowToCheckpoint);
  }

  /** Up to `limit` checkpoints of these keys at or above `atOrAbove`, oldest first. */
  async oldestOfKeys(tenantId: string, keyIds: readonly string[], atOrAbove: number, limit: number): Promise<Checkpoint[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT * FROM checkpoint WHERE tenant_id = ? AND sequence >= ? AND key_id IN (${keyList(keyIds)}) ORDER BY sequence, issued_at LIMIT ${Math.trunc(limit)}`,
      [tenantId, atOrAbove, ...keyIds],
    );
    return rows.map(rowToCheckpoint);
  }

  /**
   * Stores (or replaces) the cosignature of `witnessName` of a checkpoint. No DELETE first: on
   * InnoDB, two such transactions of one checkpoint's witnesses take gap locks and deadlock.
   */
  async insertCosignature(c: StoredCosignature): Promise<void> {
    const values = [c.line, toSqlDateTime(c.cosignedAt), toSqlDateTime(c.receivedAt), c.checkpointId, c.witnessName];
    try {
      await this.dataSource.query(
        'INSERT INTO checkpoint_cosignature (line, cosigned_at, received_at, checkpoint_id, witness_name) VALUES (?, ?, ?, ?, ?)',
        values,
      );
    } catch (error) {
      const existing = await this.dataSource.query<unknown[]>(
        'SELECT 1 AS found FROM checkpoint_cosignature WHERE checkpoint_id = ? AND witness_name = ?',
        [c.checkpointId, c.witnessName],
      );
      if (!existing.length) throw error;
      await this.dataSource.query(
        'UPDATE checkpoint_cosignature SET line = ?, cosigned_at = ?, received_at = ? WHERE checkpoint_id = ? AND witness_name = ?',
        values,
      );
    }
  }

  /** The cosignatures of these checkpoints, by checkpoint then witness name. */
  async cosignaturesOf(checkpointIds: readonly string[]): Promise<StoredCosignature[]> {
    if (!checkpointIds.length) return [];
    const rows = await this.dataSource.query<Record<string, unknown>[]>(
      `SELECT checkpoint_id, witness_name, line, cosigned_at, received_at FROM checkpoint_cosignature WHERE checkpoint_id IN (${keyList(checkpointIds)}) ORDER BY checkpoint_id, witness_name`,
      [...checkpointIds],
    );
    return rows.map((r) => ({
      checkpointId: String(r.checkpoint_id),
      witnessName: String(r.witness_name),
      line: String(r.line),
      cosignedAt: fromSqlDateTime(r.cosigned_at),
      receivedAt: fromSqlDateTime(r.received_at),
    }));
  }

  /** The largest tree size of the tenant that `witnessName` cosigned (0 when none). */
  async cosignedSize(tenantId: string, witnessName: string): Promise<number> {
    const [row] = await this.dataSource.query<{ size: unknown }[]>(
      'SELECT MAX(c.sequence) AS size FROM checkpoint c JOIN checkpoint_cosignature s ON s.checkpoint_id = c.id WHERE c.tenant_id = ? AND s.witness_name = ?',
      [tenantId, witnessName],
    );
    return row?.size === null || row?.size === undefined ? 0 : toNumber(row.size);
  }
}
