import { createPublicKey, type KeyObject } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Cache } from '../cache/cache';
import { toNumber } from '../database/sql-format';
import { databaseWriteState } from '../database/write-state';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { type AuditEventRepository, type EventLabels, mapEventRow, type StoredEvent } from '../audit/audit-event.repository';
import type { Checkpoint } from './checkpoint.repository';
import { checkpointMessage, type CheckpointService } from './checkpoint.service';
import { AUDIT_EVENT_COLUMNS } from '../audit/audit-event.columns';
import { canonicalEvent, storedFragments } from './event-canonical';
import { GENESIS_CHAIN_HASH, linkHash, sha256Hex } from './hashing';
import { type PublicSigningKey, trustFingerprint, verifySignature } from './signing-key';
import { checkPrunedPrefix, type PrunedPrefix, type PruneState, readPruneState } from './pruned-prefix';

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
  /** A checkpoint's signature does not verify with the trusted key it names. */
  CHECKPOINT_SIGNATURE_INVALID = 'CHECKPOINT_SIGNATURE_INVALID',
  /**
   * A checkpoint names a key the verifier does not trust (not the configured signing key, nor in
   * DATAPUNK_TRUSTED_KEYS_FILE, nor `--public-key`): whoever signed it, it proves nothing.
   */
  UNKNOWN_SIGNING_KEY = 'UNKNOWN_SIGNING_KEY',
  /** The chain is recorded as pruned (ADR 0043), but no checkpoint of a trusted key, signature valid, anchors the pruned sequence. */
  PRUNE_ANCHOR_INVALID = 'PRUNE_ANCHOR_INVALID',
  /** The chain is recorded as pruned, but the datapunk.retention.pruned event that must record it is missing, altered or names another prune. */
  PRUNE_UNRECORDED = 'PRUNE_UNRECORDED',
  /** The first event after the signed prune anchor is missing: a row was deleted beyond what retention pruned and signed for. */
  PRUNED_BEYOND_ANCHOR = 'PRUNED_BEYOND_ANCHOR',
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
  /** Checkpoints in the range signed by a key that is not trusted (each one makes the result invalid). */
  untrustedCheckpoints: number;
  /** When the events were re-hashed (earlier than now for a cached answer). */
  verifiedAt: string;
  /** True when the answer came from the cache: nothing was written to the database since verifiedAt (the /readyz probe aside). */
  cached: boolean;
  /**
   * The prefix deleted by retention (ADR 0043), checked against its signed anchor and its chain
   * event: verification starts after it. Null for a chain never pruned (or a prune that does not check out).
   */
  prunedPrefix: PrunedPrefix | null;
}

/** What an auditor may bring from outside the database, so a database-level attacker cannot fool the check. */
export interface VerifyOptions {
  /** Trust only these public keys (instead of the verifier's configured ones). */
  trustedKeys?: PublicSigningKey[];
  /** Checkpoints kept outside the database (e.g. saved from the `checkpoints` query); checked like stored ones. */
  externalCheckpoints?: Checkpoint[];
  /**
   * 'skip': a checkpoint of a key the verifier does not trust is passed over (counted, not a
   * failure), for a check of events that must not fail because an old key was left out of the
   * trusted set. Default 'fail' (UNKNOWN_SIGNING_KEY), as for verifyAuditChain.
   */
  untrusted?: 'fail' | 'skip';
}

export interface ChainVerifierOptions {
  /** The keys checkpoints must be signed with: the server's signing key plus configured previous ones. */
  trustedKeys: PublicSigningKey[];
  /** Where results are kept under the chain head and the database's write state; none: never cached. */
  cache?: Cache;
  /** How long a cached result may be served at most (VERIFY_CACHE_TTL_SECONDS); 0: never cached. */
  cacheTtlMs?: number;
  /** Aborted when the server stops: a running verification ends with SERVICE_UNAVAILABLE. */
  signal?: AbortSignal;
  /** Longest the event loop is held by hashing before a yield, in ms. */
  sliceMs?: number;
  /** Events read per statement (SQLite reads block the event loop, so its pages stay small). */
  pageEvents?: number;
}

/**
 * Hashing yields to the event loop once it has held it this long (wall time, so a loaded machine
 * gets shorter slices rather than longer stalls): /healthz waits at most about this much.
 */
export const DEFAULT_SLICE_MS = 8;
/**
 * Events per page read. An SQLite read blocks the process: 64 events read in ~2 ms on an idle core
 * (bench/verify.ts). MariaDB reads are asynchronous and overlap the hashing, so pages are larger.
 */
export const SQLITE_PAGE_EVENTS = 64;
export const MYSQL_PAGE_EVENTS = 250;

/** One page of a range, as AuditEventRepository.findRangeRaw reads it, without the query builder's cost per page. */
const PAGE_SQL = `SELECT ${AUDIT_EVENT_COLUMNS.filter((c) => c !== 'payload_hash').join(', ')} FROM audit_event WHERE tenant_id = ? AND sequence >= ? AND sequence <= ? ORDER BY sequence LIMIT ?`;
/** Signatures checked between two yields (Ed25519 verify: ~60 µs each). */
const SIGNATURE_SLICE = 100;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Cached {
  result: ChainVerification;
  until: number;
}

/**
 * Re-computes a tenant's chain from the database alone: every hash, every link, no gaps, the head
 * and every signed checkpoint in the range, each signature against a trusted key. Streams in pages
 * and yields to the event loop between slices, so memory does not grow with the chain and other
 * requests keep being answered. Results are cached under the chain head and the database's write
 * state: a repeat is answered without re-hashing only while nothing was written (the /readyz probe aside).
 */
export class ChainVerifier {
  private readonly sliceMs: number;
  private readonly page: number;
  /** Verifications running now, by cache key: an identical request waits for the same result. */
  private readonly running = new Map<string, Promise<ChainVerification>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: AuditEventRepository,
    private readonly checkpoints: CheckpointService,
    private readonly options: ChainVerifierOptions,
  ) {
    const sqlite = dataSource.options.type === 'better-sqlite3';
    this.sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
    this.page = options.pageEvents ?? (sqlite ? SQLITE_PAGE_EVENTS : MYSQL_PAGE_EVENTS);
  }

  /** The keys checkpoints are verified with unless a call names others. */
  get trustedKeys(): readonly PublicSigningKey[] {
    return this.options.trustedKeys;
  }

  async verify(tenantId: string, from?: number | null, to?: number | null, options: VerifyOptions = {}): Promise<ChainVerification> {
    this.checkAborted();
    const custom = options.trustedKeys !== undefined || (options.externalCheckpoints?.length ?? 0) > 0;
    const cacheable = !custom && this.options.cache !== undefined && (this.options.cacheTtlMs ?? 0) > 0;
    // Read before anything else: a write after this point changes it, so it can only make a later look-up miss.
    const written = cacheable ? await databaseWriteState(this.dataSource) : null;

    // Rows stored past the head are checked too: rewinding chain_head must not hide an edited row.
    // Read before the head: an append committed in between then moves the head, never a row past it.
    const maxStored = await this.events.maxSequence(tenantId);
    // Read before the head too: a prune appends its event (moving the head) before it records itself here.
    const pruned = await readPruneState(this.dataSource, tenantId);
    const heads: Record<string, unknown>[] = await this.dataSource.query(
      'SELECT sequence, chain_hash FROM chain_head WHERE tenant_id = ?',
      [tenantId],
    );
    const headSequence = heads.length ? toNumber(heads[0].sequence) : 0;
    const headChainHash = heads.length ? String(heads[0].chain_hash) : GENESIS_CHAIN_HASH;
    // The newest of any key bounds the range (a checkpoint past the stored events is a truncation);
    // the one reported is the newest a trusted key signed, with a signature that verifies.
    const newest = await this.checkpoints.latest(tenantId);
    const keys = [...(options.trustedKeys ?? this.options.trustedKeys)];
    const latestCheckpoint = newest && (await this.checkpoints.latestTrusted(tenantId, keys));
    // A pruned chain is verified from its anchor: the events before it are gone on purpose.
    const fromSequence = Math.max(1, from ?? 1, pruned ? pruned.prunedThrough + 1 : 1);
    const external = (options.externalCheckpoints ?? []).filter((c) => c.tenantId === tenantId);
    const maxKnown = Math.max(headSequence, maxStored, newest?.sequence ?? 0, ...external.map((c) => c.sequence));
    const toSequence = Math.min(to ?? maxKnown, maxKnown);

    const cacheKey =
      written === null
        ? null
        : [
            'verification',
            tenantId,
            fromSequence,
            toSequence,
            headSequence,
            headChainHash,
            maxStored,
            newest ? sha256Hex(JSON.stringify(newest)) : '-',
            trustFingerprint(keys),
            options.untrusted ?? 'fail',
            pruned ? sha256Hex(JSON.stringify(pruned)) : '-',
            written,
          ].join(':');
    if (cacheKey) {
      const [hit] = await this.options.cache!.getMany<Cached>([cacheKey]);
      if (hit && hit.until > Date.now()) return { ...hit.result, cached: true };
    }

    const scope = {
      fromSequence,
      toSequence,
      headSequence,
      headChainHash,
      latestCheckpoint,
      maxStored,
      external,
      keys,
      skipUntrusted: options.untrusted === 'skip',
      pruned,
    };
    if (!cacheKey) return this.compute(tenantId, scope);
    const same = this.running.get(cacheKey);
    if (same) return { ...(await same), cached: true };
    const computing = this.compute(tenantId, scope);
    this.running.set(cacheKey, computing);
    try {
      const result = await computing;
      await this.options.cache!.setMany<Cached>([{ key: cacheKey, value: { result, until: Date.now() + this.options.cacheTtlMs! } }]);
      return result;
    } finally {
      this.running.delete(cacheKey);
    }
  }

  /**
   * The labels of a page, as AuditEventRepository.labelsFor returns them, but looked up by the
   * primary key (event_id first): with `tenant_id = ?` in the statement SQLite walks the tenant's
   * whole label index instead, ~15 ms a page at 30,000 events and growing with the chain.
   */
  private async labelsOf(tenantId: string, rows: Record<string, unknown>[]): Promise<Map<string, EventLabels>> {
    const map = new Map<string, EventLabels>(rows.map((r) => [String(r.id), { categories: [], tags: [] }]));
    if (!rows.length) return map;
    const found: { event_id: string; kind: string; value: string; tenant_id: string }[] = await this.dataSource.query(
      `SELECT event_id, kind, value, tenant_id FROM audit_event_label WHERE event_id IN (${rows.map(() => '?').join(',')})`,
      [...map.keys()],
    );
    for (const r of found) {
      const labels = r.tenant_id === tenantId ? map.get(r.event_id) : undefined;
      if (labels) (r.kind === 'category' ? labels.categories : labels.tags).push(r.value);
    }
    for (const labels of map.values()) {
      labels.categories.sort();
      labels.tags.sort();
    }
    return map;
  }

  private checkAborted(): void {
    if (this.options.signal?.aborted) {
      throw new AppError(
        ErrorCode.SERVICE_UNAVAILABLE,
        'The server is shutting down; the verification was stopped. Retry on another node.',
      );
    }
  }

  private async compute(
    tenantId: string,
    scope: {
      fromSequence: number;
      toSequence: number;
      headSequence: number;
      headChainHash: string;
      latestCheckpoint: Checkpoint | null;
      maxStored: number;
      external: Checkpoint[];
      keys: PublicSigningKey[];
      skipUntrusted: boolean;
      pruned: PruneState | null;
    },
  ): Promise<ChainVerification> {
    const { fromSequence, toSequence, headSequence, headChainHash, latestCheckpoint, maxStored, external } = scope;
    const verifiedAt = new Date().toISOString();
    // A recorded prune must hold up (signed anchor, chain event) before the kept events are walked from it.
    const prune = scope.pruned ? await checkPrunedPrefix(this.dataSource, this.checkpoints, tenantId, scope.pruned, scope.keys) : null;
    const prunedPrefix = prune && 'prefix' in prune ? prune.prefix : null;
    const base = { fromSequence, toSequence, headSequence, headChainHash, latestCheckpoint, verifiedAt, cached: false, prunedPrefix };

    let checkedCount = 0;
    let checkpointsChecked = 0;
    let untrustedCheckpoints = 0;
    // A bad signature does not stop the walk: an earlier changed event is the first failure.
    let signatureFailure: ChainFailure | null = null;
    const fail = (sequence: number, reason: ChainFailureReason, message: string): ChainVerification => ({
      ...base,
      valid: false,
      checkedCount,
      checkpointsChecked,
      untrustedCheckpoints,
      firstFailure: signatureFailure && signatureFailure.sequence <= sequence ? signatureFailure : { sequence, reason, message },
    });

    /** Keeps the bad checkpoint at the lowest sequence (stored and external ones come in no common order). */
    const lowerFailure = (failure: ChainFailure) => {
      if (!signatureFailure || failure.sequence < signatureFailure.sequence) signatureFailure = failure;
    };
    // Only the trusted keys' own material verifies: a key id is a hash of its key, so none can be borrowed.
    const trusted = new Map<string, KeyObject>(scope.keys.map((k) => [k.id, createPublicKey(k.publicKeyPem)]));
    /**
     * The checkpoints of one page's sequences, stored and external, signatures checked (yielding
     * every SIGNATURE_SLICE). Read page by page with the events: however many a chain has, every
     * one is checked and only one page's are held.
     */
    const checkpointsOf = async (first: number, last: number): Promise<Map<number, Checkpoint[]>> => {
      const found = [
        ...(await this.checkpoints.inRange(tenantId, first, last)),
        ...external.filter((c) => c.sequence >= first && c.sequence <= last),
      ];
      const bySequence = new Map<number, Checkpoint[]>();
      for (const [i, c] of found.entries()) {
        if (i > 0 && i % SIGNATURE_SLICE === 0) {
          await yieldToLoop();
          this.checkAborted();
        }
        const key = trusted.get(c.keyId);
        if (!key) untrustedCheckpoints += 1;
        if (!key && scope.skipUntrusted) continue;
        const same = bySequence.get(c.sequence);
        if (same) same.push(c);
        else bySequence.set(c.sequence, [c]);
        if (!key) {
          lowerFailure({
            sequence: c.sequence,
            reason: ChainFailureReason.UNKNOWN_SIGNING_KEY,
            message: `checkpoint ${c.id} is signed by key ${c.keyId}, which this verifier does not trust`,
          });
        } else if (!verifySignature(key, checkpointMessage(c), c.signature)) {
          lowerFailure({
            sequence: c.sequence,
            reason: ChainFailureReason.CHECKPOINT_SIGNATURE_INVALID,
            message: `checkpoint ${c.id} is not signed by key ${c.keyId}`,
          });
        }
      }
      return bySequence;
    };

    const done = (): ChainVerification =>
      signatureFailure
        ? fail(signatureFailure.sequence, signatureFailure.reason, signatureFailure.message)
        : { ...base, valid: true, checkedCount, checkpointsChecked, untrustedCheckpoints, firstFailure: null };
    if (prune && 'problem' in prune) {
      return fail(prune.problem.sequence, ChainFailureReason[prune.problem.reason], prune.problem.message);
    }
    // A range wholly past the newest known sequence holds nothing to check (and no event before it to link to).
    if (fromSequence > toSequence) return done();

    // The first kept event of a pruned chain links to its anchor's signed chainHash.
    const firstKept = prunedPrefix ? prunedPrefix.throughSequence + 1 : 1;
    let previous =
      fromSequence === 1
        ? GENESIS_CHAIN_HASH
        : fromSequence === firstKept && prunedPrefix
          ? prunedPrefix.anchor.chainHash
          : await this.events.chainHashAt(tenantId, fromSequence - 1);
    if (previous === null) return fail(fromSequence - 1, ChainFailureReason.SEQUENCE_GAP, `event ${fromSequence - 1} is missing`);
    let expected = fromSequence;
    const missing = (next: number | null): ChainVerification =>
      prunedPrefix && expected === firstKept
        ? fail(
            expected,
            ChainFailureReason.PRUNED_BEYOND_ANCHOR,
            `event ${expected}, the first after the signed prune anchor at ${prunedPrefix.throughSequence}, is missing${next === null ? '' : ` (next stored is ${next})`}: more was deleted than retention pruned`,
          )
        : fail(expected, ChainFailureReason.SEQUENCE_GAP, `event ${expected} is missing (next stored is ${next})`);

    const read = async (start: number) => {
      const rows: Record<string, unknown>[] = await this.dataSource.query(PAGE_SQL, [tenantId, start, toSequence, this.page]);
      return { rows, labels: await this.labelsOf(tenantId, rows) };
    };
    // Marked handled at once: a prefetch that fails while a slice is hashed must not crash the process.
    const start = (sequence: number) => {
      const reading = read(sequence);
      reading.catch(() => undefined);
      return reading;
    };
    // MariaDB reads are asynchronous: the next page is fetched while this one is hashed. SQLite reads
    // block, so there each page is read in its own turn of the event loop.
    const prefetch = this.dataSource.options.type !== 'better-sqlite3';
    let pending: ReturnType<typeof read> | null = start(expected);
    let since = performance.now();
    // Checkpoints are read for the sequences each page covers, so every one is read exactly once.
    let coveredTo = fromSequence - 1;
    let bySequence = new Map<number, Checkpoint[]>();

    while (pending) {
      const { rows: page, labels } = await pending;
      pending = null;
      if (!page.length) break;
      const last = toNumber(page[page.length - 1].sequence);
      if (prefetch && last < toSequence) pending = start(last + 1);
      // A short page is the last one: it covers the rest of the range.
      const pageTo = page.length === this.page && last < toSequence ? last : toSequence;
      bySequence = await checkpointsOf(coveredTo + 1, pageTo);
      coveredTo = pageTo;
      for (const row of page) {
        if (performance.now() - since >= this.sliceMs) {
          await yieldToLoop();
          this.checkAborted();
          since = performance.now();
        }
        const sequence = toNumber(row.sequence);
        if (sequence !== expected) return missing(sequence);
        let event: StoredEvent;
        let recomputed: string;
        try {
          event = mapEventRow(row);
          const { hash: _h, chainHash: _c, idempotencyKey: _k, ...rest } = event;
          // The serialiser ingest hashed with; event-canonical.spec proves it equals canonicalJson(hashedView(…)).
          recomputed = sha256Hex(canonicalEvent(storedFragments({ ...rest, ...labels.get(event.id)! }), event));
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
        // Every event up to a bad checkpoint checked out: it is the first failure, nothing later can come first.
        const bad = signatureFailure as ChainFailure | null; // set by checkpointsOf, which TypeScript does not follow
        if (bad && bad.sequence < expected) return fail(bad.sequence, bad.reason, bad.message);
      }
      if (!prefetch && expected <= toSequence && page.length === this.page) {
        // The next SQLite read blocks too: it starts a slice of its own.
        await yieldToLoop();
        this.checkAborted();
        since = performance.now();
        pending = start(expected);
      }
    }

    if (coveredTo < toSequence) {
      bySequence = await checkpointsOf(coveredTo + 1, toSequence);
      coveredTo = toSequence;
    }
    if (expected <= toSequence) {
      const signed = [...bySequence.values()].flat().find((c) => c.sequence >= expected);
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
    return done();
  }
}
