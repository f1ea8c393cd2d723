import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { fromSqlDateTime, toNumber, toSqlDateTime } from '../database/sql-format';
import { canonicalJson } from './canonical-json';
import { type PublicSigningKey, type SigningKey, signMessage, verifySignature } from './signing-key';

export interface Checkpoint {
  id: string;
  tenantId: string;
  sequence: number;
  chainHash: string;
  issuedAt: string;
  keyId: string;
  signature: string;
}

/** The exact bytes a checkpoint signature covers. */
export const checkpointMessage = (c: Pick<Checkpoint, 'tenantId' | 'sequence' | 'chainHash' | 'issuedAt'>): string =>
  canonicalJson({ v: 1, tenantId: c.tenantId, sequence: c.sequence, chainHash: c.chainHash, issuedAt: c.issuedAt });

const mapCheckpoint = (r: Record<string, unknown>): Checkpoint => ({
  id: String(r.id),
  tenantId: String(r.tenant_id),
  sequence: toNumber(r.sequence),
  chainHash: String(r.chain_hash),
  issuedAt: fromSqlDateTime(r.issued_at),
  keyId: String(r.key_id),
  signature: String(r.signature),
});

/** Checkpoints of trusted keys looked at (newest or oldest first) for one whose signature verifies. */
const LATEST_CANDIDATES = 20;

/** Issues and reads signed checkpoints of tenant chains. */
export class CheckpointService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly key: SigningKey | null,
  ) {}

  /** Records the public half of the signing key so old checkpoints stay verifiable. */
  async registerKey(): Promise<void> {
    if (!this.key) return;
    const found = await this.dataSource.query('SELECT id FROM signing_key WHERE id = ?', [this.key.id]);
    if (found.length) return;
    try {
      await this.dataSource.query('INSERT INTO signing_key (id, public_key_pem, created_at) VALUES (?, ?, ?)', [
        this.key.id,
        this.key.publicKeyPem,
        toSqlDateTime(new Date().toISOString()),
      ]);
    } catch (error) {
      // Another node starting with the same key registered it first.
      const again = await this.dataSource.query('SELECT id FROM signing_key WHERE id = ?', [this.key.id]);
      if (!again.length) throw error;
    }
  }

  /** Every key recorded in `signing_key` (informational: verification trusts configured keys only). */
  async publicKeys(): Promise<PublicSigningKey[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT id, public_key_pem, created_at FROM signing_key ORDER BY created_at DESC, id',
    );
    return rows.map((r) => ({ id: String(r.id), publicKeyPem: String(r.public_key_pem), createdAt: fromSqlDateTime(r.created_at) }));
  }

  /**
   * Signs the tenant's current chain head. Returns the latest checkpoint unchanged when the head has
   * not moved since, and null for an empty chain.
   */
  async issue(tenantId: string): Promise<Checkpoint | null> {
    if (!this.key) throw new Error('checkpoints cannot be issued without a signing key');
    const heads: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT sequence, chain_hash FROM chain_head WHERE tenant_id = ?',
      [tenantId],
    );
    if (!heads.length || toNumber(heads[0].sequence) === 0) return null;
    const sequence = toNumber(heads[0].sequence);
    // Only a checkpoint of this server's own key, signature checked, stands for the head: one someone
    // wrote into the table must not stop the server from signing the head itself.
    const own = { id: this.key.id, publicKeyPem: this.key.publicKeyPem, createdAt: new Date(0).toISOString() };
    const latest = await this.latestTrusted(tenantId, [own]);
    if (latest && latest.sequence === sequence) return latest;
    const checkpoint: Checkpoint = {
      id: uuidv7(),
      tenantId,
      sequence,
      chainHash: String(heads[0].chain_hash),
      issuedAt: new Date().toISOString(),
      keyId: this.key.id,
      signature: '',
    };
    checkpoint.signature = signMessage(this.key, checkpointMessage(checkpoint));
    await this.dataSource.query(
      'INSERT INTO checkpoint (id, tenant_id, sequence, chain_hash, issued_at, key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [checkpoint.id, tenantId, sequence, checkpoint.chainHash, toSqlDateTime(checkpoint.issuedAt), checkpoint.keyId, checkpoint.signature],
    );
    return checkpoint;
  }

  /** Issues a checkpoint for every tenant whose chain moved since its last one. */
  async issueDue(): Promise<number> {
    if (!this.key) return 0;
    // Due against this key's own checkpoints: another key's at the head (a rotated-out key, or one
    // written into the table) is not a checkpoint this server made.
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT h.tenant_id AS tenant_id FROM chain_head h WHERE h.sequence > COALESCE((SELECT MAX(c.sequence) FROM checkpoint c WHERE c.tenant_id = h.tenant_id AND c.key_id = ?), 0)',
      [this.key.id],
    );
    for (const row of rows) await this.issue(String(row.tenant_id));
    return rows.length;
  }

  async latest(tenantId: string): Promise<Checkpoint | null> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT * FROM checkpoint WHERE tenant_id = ? ORDER BY sequence DESC, issued_at DESC LIMIT 1',
      [tenantId],
    );
    return rows.length ? mapCheckpoint(rows[0]) : null;
  }

  async list(tenantId: string, limit: number, fromSequence = 0, toSequence = Number.MAX_SAFE_INTEGER): Promise<Checkpoint[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT * FROM checkpoint WHERE tenant_id = ? AND sequence >= ? AND sequence <= ? ORDER BY sequence DESC, issued_at DESC LIMIT ?',
      [tenantId, fromSequence, toSequence, limit],
    );
    return rows.map(mapCheckpoint);
  }

  /** Every checkpoint with a sequence in [fromSequence, toSequence], oldest first (no limit: callers read a page's range). */
  async inRange(tenantId: string, fromSequence: number, toSequence: number): Promise<Checkpoint[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT * FROM checkpoint WHERE tenant_id = ? AND sequence >= ? AND sequence <= ? ORDER BY sequence, issued_at, id',
      [tenantId, fromSequence, toSequence],
    );
    return rows.map(mapCheckpoint);
  }

  /**
   * The newest checkpoint at or below `atOrBelow` that one of `trusted` signed, its signature
   * checked; null when none of the newest few is (a checkpoint of an unknown key, or one whose
   * signature fails, is never named as the latest: it proves nothing).
   */
  async latestTrusted(
    tenantId: string,
    trusted: readonly PublicSigningKey[],
    atOrBelow = Number.MAX_SAFE_INTEGER,
  ): Promise<Checkpoint | null> {
    if (!trusted.length) return null;
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT * FROM checkpoint WHERE tenant_id = ? AND sequence <= ? AND key_id IN (${trusted.map(() => '?').join(', ')}) ORDER BY sequence DESC, issued_at DESC LIMIT ${LATEST_CANDIDATES}`,
      [tenantId, atOrBelow, ...trusted.map((k) => k.id)],
    );
    return rows.map(mapCheckpoint).find((c) => this.signatureValid(c, trusted)) ?? null;
  }

  /**
   * The oldest checkpoint at or above `atOrAbove` that one of `trusted` signed, its signature
   * checked (of the oldest few candidates); null when there is none.
   */
  async firstTrusted(tenantId: string, trusted: readonly PublicSigningKey[], atOrAbove: number): Promise<Checkpoint | null> {
    if (!trusted.length) return null;
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT * FROM checkpoint WHERE tenant_id = ? AND sequence >= ? AND key_id IN (${trusted.map(() => '?').join(', ')}) ORDER BY sequence, issued_at LIMIT ${LATEST_CANDIDATES}`,
      [tenantId, atOrAbove, ...trusted.map((k) => k.id)],
    );
    return rows.map(mapCheckpoint).find((c) => this.signatureValid(c, trusted)) ?? null;
  }

  /**
   * Checks a checkpoint's signature against the trusted key it names; false when no trusted key has
   * its id. Never looks keys up in `signing_key`: anyone who can write the database can add to it.
   */
  signatureValid(checkpoint: Checkpoint, trusted: readonly PublicSigningKey[]): boolean {
    const key = trusted.find((k) => k.id === checkpoint.keyId);
    return key ? verifySignature(key.publicKeyPem, checkpointMessage(checkpoint), checkpoint.signature) : false;
  }

  /** Keys in `signing_key` that are not trusted: a rotation not yet configured, or a key someone added. */
  async untrustedStoredKeys(trusted: readonly PublicSigningKey[]): Promise<string[]> {
    const ids = new Set(trusted.map((k) => k.id));
    return (await this.publicKeys()).map((k) => k.id).filter((id) => !ids.has(id));
  }
}
