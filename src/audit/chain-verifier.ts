import type { DataSource } from 'typeorm';
import { toNumber } from '../database/sql-format';
import { type AuditEventRepository, mapEventRow, type StoredEvent } from './audit-event.repository';
import type { Checkpoint, CheckpointService, PublicSigningKey } from './checkpoint.service';
import { eventHash, GENESIS_CHAIN_HASH, linkHash } from './hashing';

export enum ChainFailureReason {
  /** The row's content no longer hashes to its stored hash: the event was altered. */
  HASH_MISMATCH = 'HASH_MISMATCH',
  /** The stored chainHash does not follow from the previous link: a row was altered, replaced or reordered. */
  CHAIN_MISMATCH = 'CHAIN_MISMATCH',
  /** A sequence number is missing: a row was deleted. */
  SEQUENCE_GAP = 'SEQUENCE_GAP',
  /** The newest rows are gone: a signed checkpoint or the chain head names a sequence beyond the newest stored row. */
  TRUNCATED = 'TRUNCATED',
  /** The row at a checkpoint's sequence has another chainHash than the one signed: history was rewritten. */
  CHECKPOINT_MISMATCH = 'CHECKPOINT_MISMATCH',
  /** A checkpoint's signature does not verify with the key it names. */
  CHECKPOINT_SIGNATURE_INVALID = 'CHECKPOINT_SIGNATURE_INVALID',
}

export interface ChainFailure {
  sequence: number;
  reason: ChainFailureReason;
  message: string;
}

export interface ChainVerification {
  valid: boolean;
  fromSequence: number;
  toSequence: number;
  checkedCount: number;
  headSequence: number;
  headChainHash: string;
  firstFailure: ChainFailure | null;
  latestCheckpoint: Checkpoint | null;
  checkpointsChecked: number;
}

const PAGE = 1000;

/** What an auditor may bring from outside the database, so a database-level attacker cannot fool the check. */
export interface VerifyOptions {
  /** Trust only these public keys (instead of the signing_key table). */
  trustedKeys?: PublicSigningKey[];
  /** Checkpoints kept outside the database (e.g. saved from the `checkpoints` query); checked like stored ones. */
  externalCheckpoints?: Checkpoint[];
}

/**
 * Re-computes a tenant's chain from the database alone: every hash, every link, no gaps, the head
 * and every signed checkpoint in the range. Streams in pages; memory does not grow with the chain.
 */
export class ChainVerifier {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: AuditEventRepository,
    private readonly checkpoints: CheckpointService,
  ) {}

  async verify(tenantId: string, from?: number | null, to?: number | null, options: VerifyOptions = {}): Promise<ChainVerification> {
    const heads: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT sequence, chain_hash FROM chain_head WHERE tenant_id = ?',
      [tenantId],
    );
    const headSequence = heads.length ? toNumber(heads[0].sequence) : 0;
    const headChainHash = heads.length ? String(heads[0].chain_hash) : GENESIS_CHAIN_HASH;
    const latestCheckpoint = await this.checkpoints.latest(tenantId);
    const fromSequence = Math.max(1, from ?? 1);
    const external = (options.externalCheckpoints ?? []).filter((c) => c.tenantId === tenantId);
    // Rows stored past the head are checked too: rewinding chain_head must not hide an edited row.
    const maxStored = await this.events.maxSequence(tenantId);
    const maxKnown = Math.max(headSequence, maxStored, latestCheckpoint?.sequence ?? 0, ...external.map((c) => c.sequence));
    const toSequence = Math.min(to ?? maxKnown, maxKnown);
    const base = { fromSequence, toSequence, headSequence, headChainHash, latestCheckpoint };

    const keys = options.trustedKeys ?? (await this.checkpoints.publicKeys());
    const checkpoints = [
      ...(await this.checkpoints.list(tenantId, 100_000, fromSequence, toSequence)),
      ...external.filter((c) => c.sequence >= fromSequence && c.sequence <= toSequence),
    ];
    const bySequence = new Map<number, Checkpoint[]>();
    for (const c of checkpoints) bySequence.set(c.sequence, [...(bySequence.get(c.sequence) ?? []), c]);

    let checkedCount = 0;
    let checkpointsChecked = 0;
    const fail = (sequence: number, reason: ChainFailureReason, message: string): ChainVerification => ({
      ...base,
      valid: false,
      checkedCount,
      checkpointsChecked,
      firstFailure: { sequence, reason, message },
    });

    for (const c of checkpoints) {
      if (!(await this.checkpoints.signatureValid(c, keys))) {
        return fail(c.sequence, ChainFailureReason.CHECKPOINT_SIGNATURE_INVALID, `checkpoint ${c.id} is not signed by key ${c.keyId}`);
      }
    }

    // A range wholly past the newest known sequence holds nothing to check (and no event before it to link to).
    if (fromSequence > toSequence) return { ...base, valid: true, checkedCount, checkpointsChecked, firstFailure: null };

    let previous = fromSequence === 1 ? GENESIS_CHAIN_HASH : await this.events.chainHashAt(tenantId, fromSequence - 1);
    if (previous === null) return fail(fromSequence - 1, ChainFailureReason.SEQUENCE_GAP, `event ${fromSequence - 1} is missing`);
    let expected = fromSequence;

    while (expected <= toSequence) {
      const page = await this.events.findRangeRaw(tenantId, expected, toSequence, PAGE);
      if (!page.length) break;
      const labels = await this.events.labelsFor(
        tenantId,
        page.map((r) => String(r.id)),
      );
      for (const row of page) {
        const sequence = toNumber(row.sequence);
        if (sequence !== expected) {
          return fail(expected, ChainFailureReason.SEQUENCE_GAP, `event ${expected} is missing (next stored is ${sequence})`);
        }
        let event: StoredEvent;
        let recomputed: string;
        try {
          event = mapEventRow(row);
          const { hash: _h, chainHash: _c, idempotencyKey: _k, ...rest } = event;
          recomputed = eventHash({ ...rest, ...labels.get(event.id)! });
        } catch {
          // A stored value that no longer even parses (broken JSON, impossible date) is a changed row.
          return fail(
            expected,
            ChainFailureReason.HASH_MISMATCH,
            `event ${expected} holds a value that no longer parses: its content was changed`,
          );
        }
        const { hash, chainHash } = event;
        if (recomputed !== hash) {
          return fail(
            expected,
            ChainFailureReason.HASH_MISMATCH,
            `event ${expected} does not hash to its stored hash: its content was changed`,
          );
        }
        const link = linkHash(previous, hash);
        if (link !== chainHash) {
          return fail(expected, ChainFailureReason.CHAIN_MISMATCH, `event ${expected} does not link to event ${expected - 1}`);
        }
        for (const c of bySequence.get(expected) ?? []) {
          checkpointsChecked += 1;
          if (c.chainHash !== chainHash) {
            return fail(
              expected,
              ChainFailureReason.CHECKPOINT_MISMATCH,
              `checkpoint ${c.id} signed another chainHash for event ${expected}`,
            );
          }
        }
        previous = chainHash;
        checkedCount += 1;
        expected += 1;
      }
    }

    if (expected <= toSequence) {
      const signed = checkpoints.find((c) => c.sequence >= expected);
      const why = signed
        ? `checkpoint ${signed.id} signed sequence ${signed.sequence}, but the newest stored event is ${expected - 1}`
        : `the chain head says ${headSequence}, but the newest stored event is ${expected - 1}`;
      return fail(expected, ChainFailureReason.TRUNCATED, why);
    }
    if (maxStored > headSequence && toSequence > headSequence) {
      return fail(
        headSequence + 1,
        ChainFailureReason.CHAIN_MISMATCH,
        `event ${headSequence + 1} is stored past the chain head (${headSequence})`,
      );
    }
    if (toSequence === headSequence && headSequence >= fromSequence && previous !== headChainHash) {
      return fail(headSequence, ChainFailureReason.CHAIN_MISMATCH, `the chain head's chainHash differs from event ${headSequence}'s`);
    }
    return { ...base, valid: true, checkedCount, checkpointsChecked, firstFailure: null };
  }
}
