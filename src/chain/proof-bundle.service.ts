import type { AuditEventRepository } from '../audit/audit-event.repository';
import { hashedView } from '../audit/audit-event.model';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { canonicalJson } from './canonical-json';
import type { Checkpoint } from './checkpoint.repository';
import type { CheckpointService } from './checkpoint.service';
import { sha256Hex } from './hashing';
import type { InclusionProof, MerkleProofs } from './merkle-store';
import { bundleExtra, formatProofBundle } from './proof-bundle';
import type { PublicSigningKey } from './signing-key';

/** Events a report's bundle file holds at most. */
export const MAX_BUNDLED_EVENTS = 10_000;
/** Events whose proofs are read together (each names its stored subtrees and leaf runs in the statements). */
const INCLUSION_BATCH = 32;

/**
 * Builds offline proof bundles (ADR 0049): each event as its hash covers it, its inclusion proof in
 * the tree of the newest noted checkpoint of a trusted key that covers it, and that checkpoint's
 * note as served. When no such checkpoint covers the events yet, a server that can sign signs its
 * head first (as createCheckpoint would).
 */
export class ProofBundles {
  constructor(
    private readonly deps: {
      events: AuditEventRepository;
      proofs: MerkleProofs;
      checkpoints: CheckpointService;
      trustedKeys: readonly PublicSigningKey[];
    },
  ) {}

  /** The bundle of the event at `sequence`, and the size of the tree it proves against. */
  async forEvent(tenantId: string, sequence: number): Promise<{ bundle: string; treeSize: number }> {
    if (!Number.isSafeInteger(sequence) || sequence < 1) throw new AppError(ErrorCode.INVALID_ARGUMENT, 'sequence must be at least 1.');
    const [bundle] = await this.forEvents(tenantId, [sequence]);
    return bundle;
  }

  /** The bundles of these events, in the order given (each once). */
  async forEvents(tenantId: string, sequences: readonly number[]): Promise<{ bundle: string; treeSize: number }[]> {
    const wanted = [...new Set(sequences)];
    if (!wanted.length) return [];
    if (wanted.length > MAX_BUNDLED_EVENTS) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `A bundle file holds at most ${MAX_BUNDLED_EVENTS} events; narrow the report.`);
    }
    const highest = Math.max(...wanted);
    const checkpoint = await this.covering(tenantId, highest);
    const note = await this.deps.checkpoints.servedNote(checkpoint);
    if (note === null) throw new Error(`checkpoint ${checkpoint.id} lost its note`);
    const stored = new Map((await this.deps.events.storedBySequences(tenantId, wanted)).map((e) => [e.sequence, e]));
    const labels = await this.deps.events.labelsFor(
      tenantId,
      [...stored.values()].map((e) => e.id),
    );
    const proofs = new Map<number, InclusionProof>();
    const present = wanted.filter((s) => stored.has(s));
    for (let i = 0; i < present.length; i += INCLUSION_BATCH) {
      const batch = present.slice(i, i + INCLUSION_BATCH);
      for (const proof of await this.deps.proofs.inclusions(tenantId, batch, checkpoint.sequence)) proofs.set(proof.sequence, proof);
    }
    const bundles: { bundle: string; treeSize: number }[] = [];
    for (const sequence of wanted) {
      const event = stored.get(sequence);
      if (!event) {
        throw new AppError(ErrorCode.PROOF_UNAVAILABLE, `Event ${sequence} is not stored (never recorded, or pruned).`, { sequence });
      }
      const { hash, chainHash: _c, idempotencyKey: _k, ...rest } = event;
      // The stored form, sealed fields as ciphertext (ADR 0042): what the hash covers, nothing opened.
      const view = hashedView({ ...rest, ...labels.get(event.id)! });
      if (sha256Hex(canonicalJson(view)) !== hash) {
        throw new AppError(
          ErrorCode.PROOF_UNAVAILABLE,
          `Event ${sequence} does not hash to its stored hash (changed in the database); run verifyAuditChain.`,
          { sequence },
        );
      }
      const proof = proofs.get(sequence)!;
      const text = formatProofBundle({
        extra: bundleExtra(view),
        index: proof.leafIndex,
        hashes: proof.hashes.map((h) => Buffer.from(h, 'base64')),
        note,
      });
      bundles.push({ bundle: text, treeSize: proof.treeSize });
    }
    return bundles;
  }

  /** The newest noted checkpoint of a trusted key at or above `sequence`; the head signed now if there is none. */
  private async covering(tenantId: string, sequence: number): Promise<Checkpoint> {
    const { checkpoints, trustedKeys } = this.deps;
    let latest = await checkpoints.latestTrusted(tenantId, trustedKeys);
    if ((!latest?.note || latest.sequence < sequence) && checkpoints.canSign) latest = await checkpoints.issue(tenantId);
    if (!latest?.note || latest.sequence < sequence) {
      throw new AppError(
        ErrorCode.PROOF_UNAVAILABLE,
        `No signed checkpoint note covers event ${sequence} yet: call createCheckpoint, or wait for CHECKPOINT_INTERVAL_SECONDS.`,
        { sequence },
      );
    }
    return latest;
  }
}
