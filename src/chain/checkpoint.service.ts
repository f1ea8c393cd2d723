import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { canonicalJson } from './canonical-json';
import { ChainHeads } from './chain-head';
import { type Checkpoint, CheckpointRepository } from './checkpoint.repository';
import { type PublicSigningKey, type SigningKey, signMessage, verifySignature } from './signing-key';

/** The exact bytes a checkpoint signature covers. */
export const checkpointMessage = (c: Pick<Checkpoint, 'tenantId' | 'sequence' | 'chainHash' | 'issuedAt'>): string =>
  canonicalJson({ v: 1, tenantId: c.tenantId, sequence: c.sequence, chainHash: c.chainHash, issuedAt: c.issuedAt });

/** Checkpoints of trusted keys looked at (newest or oldest first) for one whose signature verifies. */
const LATEST_CANDIDATES = 20;

/** Issues and reads signed checkpoints of tenant chains. */
export class CheckpointService {
  private readonly checkpoints: CheckpointRepository;
  private readonly heads: ChainHeads;

  constructor(
    private readonly dataSource: DataSource,
    private readonly key: SigningKey | null,
  ) {
    this.checkpoints = new CheckpointRepository(dataSource);
    this.heads = new ChainHeads(dataSource);
  }

  /** Records the public half of the signing key so old checkpoints stay verifiable. */
  async registerKey(): Promise<void> {
    if (!this.key) return;
    if (await this.checkpoints.signingKeyExists(this.key.id)) return;
    try {
      await this.checkpoints.insertSigningKey({ id: this.key.id, publicKeyPem: this.key.publicKeyPem, createdAt: new Date() });
    } catch (error) {
      // Another node starting with the same key registered it first.
      if (!(await this.checkpoints.signingKeyExists(this.key.id))) throw error;
    }
  }

  /** Every key recorded in `signing_key` (informational: verification trusts configured keys only). */
  publicKeys(): Promise<PublicSigningKey[]> {
    return this.checkpoints.signingKeys();
  }

  /**
   * Signs the tenant's current chain head. Returns the latest checkpoint unchanged when the head has
   * not moved since, and null for an empty chain.
   */
  async issue(tenantId: string): Promise<Checkpoint | null> {
    if (!this.key) throw new Error('checkpoints cannot be issued without a signing key');
    const head = await this.heads.head(tenantId);
    if (head.sequence === 0) return null;
    const { sequence } = head;
    // Only a checkpoint of this server's own key, signature checked, stands for the head: one someone
    // wrote into the table must not stop the server from signing the head itself.
    const own = { id: this.key.id, publicKeyPem: this.key.publicKeyPem, createdAt: new Date(0).toISOString() };
    const latest = await this.latestTrusted(tenantId, [own]);
    if (latest && latest.sequence === sequence) return latest;
    const checkpoint: Checkpoint = {
      id: uuidv7(),
      tenantId,
      sequence,
      chainHash: String(head.chainHash),
      issuedAt: new Date().toISOString(),
      keyId: this.key.id,
      signature: '',
    };
    checkpoint.signature = signMessage(this.key, checkpointMessage(checkpoint));
    await this.checkpoints.insert(checkpoint);
    return checkpoint;
  }

  /**
   * Signs the stored event at `sequence` (not the head): the anchor of a prune (ADR 0043), which
   * the caller has verified up to that sequence first. Null when no event is stored there.
   */
  async issueAt(tenantId: string, sequence: number, now = new Date()): Promise<Checkpoint | null> {
    if (!this.key) throw new Error('checkpoints cannot be issued without a signing key');
    const [row]: { chain_hash: string }[] = await this.dataSource.query(
      'SELECT chain_hash FROM audit_event WHERE tenant_id = ? AND sequence = ?',
      [tenantId, sequence],
    );
    if (!row) return null;
    return this.issueAnchor(tenantId, sequence, String(row.chain_hash), now);
  }

  /**
   * Signs `chainHash` as the chain hash at `sequence`, an event already deleted: the anchor of a
   * prune stopped by a new legal hold (ADR 0043, amended 2026-12-04). The caller has checked that
   * the first kept event links to it.
   */
  async issueAnchor(tenantId: string, sequence: number, chainHash: string, now = new Date()): Promise<Checkpoint> {
    if (!this.key) throw new Error('checkpoints cannot be issued without a signing key');
    const checkpoint: Checkpoint = {
      id: uuidv7(),
      tenantId,
      sequence,
      chainHash,
      issuedAt: now.toISOString(),
      keyId: this.key.id,
      signature: '',
    };
    checkpoint.signature = signMessage(this.key, checkpointMessage(checkpoint));
    await this.checkpoints.insert(checkpoint);
    return checkpoint;
  }

  /** Whether this service can sign (a server with a signing key; the CLI's verifier cannot). */
  get canSign(): boolean {
    return this.key !== null;
  }

  /** Issues a checkpoint for every tenant whose chain moved since its last one. */
  async issueDue(): Promise<number> {
    if (!this.key) return 0;
    // Due against this key's own checkpoints: another key's at the head (a rotated-out key, or one
    // written into the table) is not a checkpoint this server made.
    const due = await this.checkpoints.tenantsAheadOf(this.key.id);
    for (const tenantId of due) await this.issue(tenantId);
    return due.length;
  }

  latest(tenantId: string): Promise<Checkpoint | null> {
    return this.checkpoints.latest(tenantId);
  }

  list(tenantId: string, limit: number, fromSequence = 0, toSequence = Number.MAX_SAFE_INTEGER): Promise<Checkpoint[]> {
    return this.checkpoints.list(tenantId, limit, fromSequence, toSequence);
  }

  /** Every checkpoint with a sequence in [fromSequence, toSequence], oldest first (no limit: callers read a page's range). */
  inRange(tenantId: string, fromSequence: number, toSequence: number): Promise<Checkpoint[]> {
    return this.checkpoints.inRange(tenantId, fromSequence, toSequence);
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
    const candidates = await this.checkpoints.newestOfKeys(
      tenantId,
      trusted.map((k) => k.id),
      atOrBelow,
      LATEST_CANDIDATES,
    );
    return candidates.find((c) => this.signatureValid(c, trusted)) ?? null;
  }

  /**
   * The oldest checkpoint at or above `atOrAbove` that one of `trusted` signed, its signature
   * checked (of the oldest few candidates); null when there is none.
   */
  async firstTrusted(tenantId: string, trusted: readonly PublicSigningKey[], atOrAbove: number): Promise<Checkpoint | null> {
    if (!trusted.length) return null;
    const candidates = await this.checkpoints.oldestOfKeys(
      tenantId,
      trusted.map((k) => k.id),
      atOrAbove,
      LATEST_CANDIDATES,
    );
    return candidates.find((c) => this.signatureValid(c, trusted)) ?? null;
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
