import { createPublicKey } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { canonicalJson } from './canonical-json';
import { type Checkpoint, CheckpointRepository } from './checkpoint.repository';
import type { WitnessSubmitter } from './witness-client';
import { type PublicSigningKey, type SigningKey, signMessage, verifySignature } from './signing-key';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { toNumber } from '../database/sql-format';
import { verifyConsistency } from './merkle';
import { MerkleProofs, parseFrontier } from './merkle-store';
import { checkpointText, openNote, parseCheckpointText, signatureLine, signedNote } from './signed-note';

/** CHECKPOINT_ORIGIN's default: operators set their own host (docs/integrity.md). */
export const DEFAULT_CHECKPOINT_ORIGIN = 'localhost/datapunk-audit';

/** The exact bytes a checkpoint signature covers. */
export const checkpointMessage = (c: Pick<Checkpoint, 'tenantId' | 'sequence' | 'chainHash' | 'issuedAt'>): string =>
  canonicalJson({ v: 1, tenantId: c.tenantId, sequence: c.sequence, chainHash: c.chainHash, issuedAt: c.issuedAt });

/** Checkpoints of trusted keys looked at (newest or oldest first) for one whose signature verifies. */
const LATEST_CANDIDATES = 20;

/** Issues and reads signed checkpoints of tenant chains. */
export class CheckpointService {
  private readonly checkpoints: CheckpointRepository;

  private readonly proofs: MerkleProofs;

  constructor(
    private readonly dataSource: DataSource,
    private readonly key: SigningKey | null,
    private readonly origin = DEFAULT_CHECKPOINT_ORIGIN,
    private readonly witnesses: WitnessSubmitter | null = null,
  ) {
    this.checkpoints = new CheckpointRepository(dataSource);
    this.proofs = new MerkleProofs(dataSource);
  }

  /** A tenant's C2SP origin, which is also the key name of its checkpoints' signature lines (ADR 0048). */
  originOf(tenantId: string): string {
    return `${this.origin}/${tenantId}`;
  }

  /**
   * The C2SP checkpoint of the tree of `size` with `root`, signed — once it is shown consistent
   * with the newest noted checkpoint this key signed before (RFC 9162 consistency proof, checked
   * against the root that checkpoint signed). CHECKPOINT_REFUSED otherwise: the tree in the
   * database is not an extension of (or a prefix of) what was signed before, so nothing is signed.
   */
  private async note(tenantId: string, size: number, root: Buffer): Promise<string> {
    const key = this.key!;
    const name = this.originOf(tenantId);
    const signer = { name, publicKey: key.publicKeyPem };
    // Only a checkpoint this key really signed (its JSON signature checked) is compared with: a row
    // someone wrote into the table must not stop the server from signing (see issue()).
    const own = [{ id: key.id, publicKeyPem: key.publicKeyPem, createdAt: new Date(0).toISOString() }];
    const previous = (await this.checkpoints.newestOfKeys(tenantId, [key.id], Number.MAX_SAFE_INTEGER, LATEST_CANDIDATES)).find(
      (c) => c.note !== null && this.signatureValid(c, own),
    );
    if (previous?.note) {
      let earlier: { size: number; root: Buffer };
      try {
        const { text, verifiedBy } = openNote(previous.note, [{ name, publicKey: createPublicKey(signer.publicKey) }]);
        if (!verifiedBy.length) throw new Error('not signed by this key');
        earlier = parseCheckpointText(text);
      } catch (error) {
        throw refused(tenantId, `its newest checkpoint's note does not verify (${(error as Error).message})`, previous.id);
      }
      const [a, b, ra, rb] = earlier.size <= size ? [earlier.size, size, earlier.root, root] : [size, earlier.size, root, earlier.root];
      let consistent: boolean;
      try {
        consistent =
          a === b
            ? ra.equals(rb)
            : verifyConsistency(a, b, ra, rb, (await this.proofs.consistency(tenantId, a, b)).hashes.map(fromBase64)).ok;
      } catch (error) {
        // The log is shorter than what was signed (rolled back), or the proof's nodes are gone.
        const code = (error as AppError).code;
        if (code !== ErrorCode.INVALID_ARGUMENT && code !== ErrorCode.PROOF_UNAVAILABLE) throw error;
        consistent = false;
      }
      if (!consistent) {
        throw refused(
          tenantId,
          `the tree of ${size} is not consistent with the tree of ${earlier.size} signed in checkpoint ${previous.id}`,
          previous.id,
        );
      }
    }
    const text = checkpointText(name, size, root);
    return signedNote(text, [signatureLine(text, name, key.privateKey, signer.publicKey)]);
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
    const [head] = await this.dataSource.query<{ sequence: unknown; chain_hash: string; merkle_frontier: string | null }[]>(
      'SELECT sequence, chain_hash, merkle_frontier FROM chain_head WHERE tenant_id = ?',
      [tenantId],
    );
    const sequence = head ? toNumber(head.sequence) : 0;
    if (sequence === 0) return null;
    // Only a checkpoint of this server's own key, signature checked, stands for the head: one someone
    // wrote into the table must not stop the server from signing the head itself.
    const own = { id: this.key.id, publicKeyPem: this.key.publicKeyPem, createdAt: new Date(0).toISOString() };
    const latest = await this.latestTrusted(tenantId, [own]);
    if (latest && latest.sequence === sequence) {
      if (latest.chainHash === String(head.chain_hash)) return latest;
      // The same size with another chain: the history it signed was rewritten in the database.
      throw refused(tenantId, `its chain at ${sequence} is not the one signed in checkpoint ${latest.id}`, latest.id);
    }
    const checkpoint: Checkpoint = {
      id: uuidv7(),
      tenantId,
      sequence,
      chainHash: String(head.chain_hash),
      issuedAt: new Date().toISOString(),
      keyId: this.key.id,
      signature: '',
      note: null,
    };
    checkpoint.signature = signMessage(this.key, checkpointMessage(checkpoint));
    // The root of the tree at the head, from the frontier read in the same statement as the head.
    let frontier: ReturnType<typeof parseFrontier>;
    try {
      frontier = parseFrontier(sequence, head.merkle_frontier);
    } catch {
      const latestId = (await this.checkpoints.latest(tenantId))?.id ?? '';
      throw refused(
        tenantId,
        `its stored Merkle frontier does not fit a tree of ${sequence} (the head or the tree was changed in the database)`,
        latestId,
      );
    }
    if (frontier) checkpoint.note = await this.note(tenantId, sequence, frontier.root());
    await this.checkpoints.insert(checkpoint);
    // Off the request path: a witness that is slow or down never holds up signing (ADR 0050).
    if (checkpoint.note) this.witnesses?.submit({ tenantId, checkpointId: checkpoint.id, size: sequence, note: checkpoint.note });
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
      note: null,
    };
    checkpoint.signature = signMessage(this.key, checkpointMessage(checkpoint));
    // The root of the tree at `sequence`, from the stored subtrees and events. A prune stopped by a
    // new hold has deleted the events it would need: that anchor carries no note (ADR 0048).
    let root: Buffer | null = null;
    try {
      root = await this.proofs.rootAt(tenantId, sequence);
    } catch (error) {
      if ((error as AppError).code !== ErrorCode.PROOF_UNAVAILABLE) throw error;
    }
    if (root) checkpoint.note = await this.note(tenantId, sequence, root);
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
    this.witnesses?.retryUnanswered();
    // Due against this key's own checkpoints: another key's at the head (a rotated-out key, or one
    // written into the table) is not a checkpoint this server made. A row of this key's id above
    // the head is not taken on trust either: unless a checkpoint this key really signed (its
    // signature checked) is at the head, the tenant is due, so a forged row cannot stop its timed
    // checkpoints, and a log rolled back below a signed size is refused here, every interval.
    const own = [{ id: this.key.id, publicKeyPem: this.key.publicKeyPem, createdAt: new Date(0).toISOString() }];
    const due: string[] = [];
    for (const { tenantId, head, checkpointed } of await this.checkpoints.headsApartFrom(this.key.id)) {
      if (checkpointed > head) {
        const signed = (await this.checkpoints.newestOfKeys(tenantId, [this.key.id], head, LATEST_CANDIDATES)).find((c) =>
          this.signatureValid(c, own),
        );
        if (signed?.sequence === head) continue;
      }
      due.push(tenantId);
    }
    // One tenant's refused checkpoint (an inconsistent tree) does not hold up the others'; the
    // first failure is thrown afterwards, for the caller to log.
    let failure: Error | null = null;
    for (const tenantId of due) {
      try {
        await this.issue(tenantId);
      } catch (error) {
        failure ??= error instanceof Error ? error : new Error(String(error));
      }
    }
    if (failure) throw failure;
    return due.length;
  }

  /**
   * After a restart, asks again the witnesses that still owe a cosignature (ADR 0050, amended
   * 2026-12-07). What is owed is derived from the database, not kept in memory: for each tenant,
   * its newest checkpoint that this key signed (signature checked) with a note that opens with the
   * key, against the witnesses whose cosignature of it is stored. Those missing are asked about it
   * off the request path; returns how many tenants were. A witness that refused before is asked
   * once more, and refuses (and is logged) again.
   */
  async resumeWitnesses(): Promise<number> {
    const submitter = this.witnesses;
    if (!this.key || !submitter?.witnesses.length) return 0;
    const own = [{ id: this.key.id, publicKeyPem: this.key.publicKeyPem, createdAt: new Date(0).toISOString() }];
    const publicKey = createPublicKey(this.key.publicKeyPem);
    let resumed = 0;
    for (const tenantId of await this.checkpoints.tenantsWithChains()) {
      const latest = await this.latestTrusted(tenantId, own);
      if (!latest?.note) continue;
      const name = this.originOf(tenantId);
      try {
        if (!openNote(latest.note, [{ name, publicKey }]).verifiedBy.length) continue;
      } catch {
        continue; // a note changed in the database: witnesses would refuse it (403)
      }
      const cosigned = new Set(await this.cosigners(latest.id));
      const owed = submitter.witnesses.map((w) => w.key.name).filter((n) => !cosigned.has(n));
      if (!owed.length) continue;
      submitter.resubmit({ tenantId, checkpointId: latest.id, size: latest.sequence, note: latest.note }, owed);
      resumed += 1;
    }
    return resumed;
  }

  /**
   * The note of a checkpoint as it is served (proof bundles, ADR 0049): the log's note and its
   * witnesses' cosignature lines (see withCosignatures). Null for a checkpoint without a note.
   */
  async servedNote(checkpoint: Checkpoint): Promise<string | null> {
    return (await this.withCosignatures([checkpoint]))[0].note;
  }

  latest(tenantId: string): Promise<Checkpoint | null> {
    return this.checkpoints.latest(tenantId);
  }

  /** Checkpoints as served: newest first, their notes with the witnesses' cosignatures (see withCosignatures). */
  async list(tenantId: string, limit: number, fromSequence = 0, toSequence = Number.MAX_SAFE_INTEGER): Promise<Checkpoint[]> {
    return this.withCosignatures(await this.checkpoints.list(tenantId, limit, fromSequence, toSequence));
  }

  /**
   * The checkpoints with their notes as served wherever a note leaves the server: the log's note
   * followed by the stored cosignature lines of its witnesses (C2SP tlog-cosignature, ADR 0050), so
   * a verifier can require k of n. The one place served notes are made.
   */
  async withCosignatures(checkpoints: readonly Checkpoint[]): Promise<Checkpoint[]> {
    const noted = checkpoints.filter((c) => c.note !== null).map((c) => c.id);
    const lines = new Map<string, string[]>();
    for (const c of await this.checkpoints.cosignaturesOf(noted)) lines.set(c.checkpointId, [...(lines.get(c.checkpointId) ?? []), c.line]);
    return checkpoints.map((c) => (c.note && lines.has(c.id) ? { ...c, note: `${c.note}${lines.get(c.id)!.join('')}` } : c));
  }

  /** Stores a witness's cosignature of a checkpoint (the submitter's answer). */
  storeCosignature(checkpointId: string, witnessName: string, line: string, timestamp: number): Promise<void> {
    return this.checkpoints.insertCosignature({
      checkpointId,
      witnessName,
      line,
      cosignedAt: new Date(timestamp * 1000).toISOString(),
      receivedAt: new Date().toISOString(),
    });
  }

  /** The witnesses whose cosignature of a checkpoint is stored. */
  async cosigners(checkpointId: string): Promise<string[]> {
    return (await this.checkpoints.cosignaturesOf([checkpointId])).map((c) => c.witnessName);
  }

  /** The largest tree size of the tenant that `witnessName` cosigned, as stored (0 when none). */
  cosignedSize(tenantId: string, witnessName: string): Promise<number> {
    return this.checkpoints.cosignedSize(tenantId, witnessName);
  }

  /** The consistency proof between two sizes of the tenant's tree, as raw hashes (for witnesses). */
  async consistencyHashes(tenantId: string, fromSize: number, toSize: number): Promise<Buffer[]> {
    return (await this.proofs.consistency(tenantId, fromSize, toSize)).hashes.map(fromBase64);
  }

  /**
   * Whether the tree of `size` with `root` (a checkpoint kept outside the database) is a prefix of
   * the stored tree now: an RFC 9162 consistency proof from the stored Merkle tree to its root at
   * the head. Not consistent, with the reason, when the proof fails or cannot be given (no tree, or
   * nodes it needs are gone). `size` is between 1 and the head.
   */
  async consistentWithStored(
    tenantId: string,
    size: number,
    root: Buffer,
  ): Promise<{ consistent: true } | { consistent: false; why: string }> {
    let proof: Awaited<ReturnType<MerkleProofs['consistency']>>;
    try {
      proof = await this.proofs.consistency(tenantId, size);
    } catch (error) {
      const code = (error as AppError).code;
      if (code !== ErrorCode.INVALID_ARGUMENT && code !== ErrorCode.PROOF_UNAVAILABLE) throw error;
      return { consistent: false, why: `no consistency proof can be given (${(error as Error).message})` };
    }
    const check = verifyConsistency(size, proof.toSize, root, fromBase64(proof.toRoot), proof.hashes.map(fromBase64));
    return check.ok
      ? { consistent: true }
      : { consistent: false, why: `the consistency proof to the tree of ${proof.toSize} fails (${check.reason})` };
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

const fromBase64 = (h: string) => Buffer.from(h, 'base64');

const refused = (tenantId: string, why: string, checkpointId: string) =>
  new AppError(ErrorCode.CHECKPOINT_REFUSED, `No checkpoint was signed for tenant ${tenantId}: ${why}. Run verifyAuditChain.`, {
    checkpointId,
  });
