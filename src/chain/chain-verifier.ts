import { createPublicKey, type KeyObject } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Cache } from '../cache/cache';
import { toNumber } from '../database/sql-format';
import { databaseWriteState } from '../database/write-state';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { AuditEventRepository, EventLabels } from '../audit/audit-event.repository';
import type { Checkpoint } from './checkpoint.repository';
import { checkpointMessage, type CheckpointService } from './checkpoint.service';
import { AUDIT_EVENT_COLUMNS } from '../audit/audit-event.columns';
import { GENESIS_CHAIN_HASH, sha256Hex } from './hashing';
import { verifyCosignatures } from './cosignature';
import { leafHash, MerkleFrontier } from './merkle';
import { type RehashPage, rehashPage, type RehashResult } from './rehash';
import type { RehashPool } from './rehash-pool';
import { parseCheckpointText, parseNote } from './signed-note';
import type { TrustedCheckpoint, WitnessPolicy } from './verify-trust';
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
  /**
   * The log was rolled back: a checkpoint trusted from outside the database (one the auditor kept,
   * signed by a trusted key) names a tree larger than the stored head, or witnesses cosigned one.
   */
  ROLLED_BACK = 'ROLLED_BACK',
  /**
   * A checkpoint trusted from outside the database is not a prefix of the stored tree (no RFC 9162
   * consistency proof from the stored Merkle tree leads to its root), or the events up to its size
   * no longer hash to its root: history was rewritten or forked.
   */
  TRUSTED_CHECKPOINT_MISMATCH = 'TRUSTED_CHECKPOINT_MISMATCH',
  /** The newest checkpoint lacks the witness policy's quorum of valid cosignatures (WITNESS_QUORUM, or the auditor's). */
  WITNESS_QUORUM_NOT_MET = 'WITNESS_QUORUM_NOT_MET',
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
  /** True when the caller pinned the keys: only those verified checkpoints, not the server's configured ones. */
  keysPinned: boolean;
  /** Checkpoints from outside the database (the auditor's) checked against the stored tree and events. */
  trustedCheckpointsChecked: number;
  /**
   * The largest tree size a witness quorum was found to have cosigned (the newest stored
   * checkpoint's or an auditor's checkpoint); null when no witness policy applies.
   */
  cosignedSize: number | null;
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
  /**
   * C2SP checkpoints kept outside the database, their log signatures already verified
   * (verify-trust.ts): each must be a prefix of the stored tree, or the log was rolled back or forked.
   */
  trustedCheckpoints?: TrustedCheckpoint[];
  /** The witness policy instead of the verifier's configured one. */
  witnesses?: WitnessPolicy;
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
  /** The server's witness policy (WITNESSES, WITNESS_QUORUM): the newest checkpoint must carry its quorum. */
  witnesses?: WitnessPolicy;
  /** Worker threads that re-hash the pages (ADR 0051); none: hashed on this thread, in slices. */
  pool?: RehashPool | null;
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
/** Events hashed on the server's thread between two looks at the clock (no pool): ~0.1 ms each. */
const IN_THREAD_CHUNK = 8;
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
    const custom =
      options.trustedKeys !== undefined ||
      (options.externalCheckpoints?.length ?? 0) > 0 ||
      (options.trustedCheckpoints?.length ?? 0) > 0 ||
      options.witnesses !== undefined;
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
    const witnesses = options.witnesses ?? this.options.witnesses;
    const witnessed = witnesses && witnesses.keys.length > 0 ? witnesses : null;
    // Cosignatures arrive after their checkpoint, in a table the write state does not watch: they are part of the key.
    const cosigners = witnessed && latestCheckpoint ? (await this.checkpoints.cosigners(latestCheckpoint.id)).sort().join(',') : '-';

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
            cosigners,
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
      keysPinned: options.trustedKeys !== undefined,
      trustedCheckpoints: options.trustedCheckpoints ?? [],
      witnesses: witnessed,
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
      if (labels && (r.kind === 'category' || r.kind === 'tag')) (r.kind === 'category' ? labels.categories : labels.tags).push(r.value);
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

  /**
   * What the database alone cannot show, checked against what came from outside it: each trusted
   * checkpoint (the auditor's) must be no larger than the stored tree and a prefix of it, by an RFC
   * 9162 consistency proof from the stored Merkle tree; under a witness policy the newest
   * checkpoint must carry the quorum, and no stored cosignature may be of a tree beyond the head.
   */
  private async outsideTrust(
    tenantId: string,
    scope: Scope,
    report: (failure: ChainFailure) => void,
  ): Promise<{ cosignedSize: number | null }> {
    const { headSequence, latestCheckpoint } = scope;
    let cosignedSize: number | null = scope.witnesses ? 0 : null;
    const rolledBack = (size: number, by: string) =>
      report({
        sequence: headSequence + 1,
        reason: ChainFailureReason.ROLLED_BACK,
        message: `${by} a tree of ${size}, but the stored head is ${headSequence}: the newest events were removed (rolled back)`,
      });
    for (const [i, t] of scope.trustedCheckpoints.entries()) {
      if (t.cosignatures?.ok) cosignedSize = Math.max(cosignedSize ?? 0, t.size);
      if (t.size > headSequence) {
        rolledBack(t.size, `trusted checkpoint ${i + 1} signed`);
        continue;
      }
      if (t.size === 0) continue;
      const check = await this.checkpoints.consistentWithStored(tenantId, t.size, t.root);
      if (!check.consistent) {
        report({
          sequence: t.size,
          reason: ChainFailureReason.TRUSTED_CHECKPOINT_MISMATCH,
          message: `trusted checkpoint ${i + 1} (tree of ${t.size}) is not a prefix of the stored tree: ${check.why}`,
        });
      }
    }
    const policy = scope.witnesses;
    if (!policy) return { cosignedSize };
    if (latestCheckpoint) {
      const [served] = await this.checkpoints.withCosignatures([latestCheckpoint]);
      let why: string | null = null;
      if (!served.note) why = 'it carries no C2SP note for witnesses to cosign';
      else {
        try {
          const size = parseCheckpointText(parseNote(served.note).text).size;
          const c = verifyCosignatures(served.note, policy.keys, policy.quorum);
          if (size !== latestCheckpoint.sequence) why = `its note is of a tree of ${size}`;
          else if (!c.ok) {
            const bad = c.invalid.length ? `; the cosignature of ${c.invalid.join(', ')} does not verify` : '';
            why = `cosigned by ${c.cosigned.length} of ${policy.keys.length} witnesses, quorum ${policy.quorum}${bad}`;
          }
        } catch (error) {
          why = `its note does not parse (${(error as Error).message})`;
        }
      }
      if (why) {
        report({
          sequence: latestCheckpoint.sequence,
          reason: ChainFailureReason.WITNESS_QUORUM_NOT_MET,
          message: `the newest checkpoint ${latestCheckpoint.id} (sequence ${latestCheckpoint.sequence}) lacks its witness quorum: ${why}`,
        });
      } else cosignedSize = Math.max(cosignedSize ?? 0, latestCheckpoint.sequence);
    }
    for (const w of policy.keys) {
      const size = await this.checkpoints.cosignedSize(tenantId, w.name);
      if (size > headSequence) rolledBack(size, `witness ${w.name} cosigned`);
    }
    return { cosignedSize };
  }

  private async compute(tenantId: string, scope: Scope): Promise<ChainVerification> {
    const { fromSequence, toSequence, headSequence, headChainHash, latestCheckpoint, maxStored, external } = scope;
    const verifiedAt = new Date().toISOString();
    // A bad signature does not stop the walk: an earlier changed event is the first failure.
    let signatureFailure: ChainFailure | null = null;
    /** Keeps the failure found outside the walk at the lowest sequence (stored and external checkpoints come in no common order). */
    const lowerFailure = (failure: ChainFailure) => {
      if (!signatureFailure || failure.sequence < signatureFailure.sequence) signatureFailure = failure;
    };
    // A recorded prune must hold up (signed anchor, chain event) before the kept events are walked from it.
    const prune = scope.pruned ? await checkPrunedPrefix(this.dataSource, this.checkpoints, tenantId, scope.pruned, scope.keys) : null;
    const prunedPrefix = prune && 'prefix' in prune ? prune.prefix : null;
    const { cosignedSize } = await this.outsideTrust(tenantId, scope, lowerFailure);
    const base = {
      fromSequence,
      toSequence,
      headSequence,
      headChainHash,
      latestCheckpoint,
      verifiedAt,
      cached: false,
      prunedPrefix,
      keysPinned: scope.keysPinned,
      trustedCheckpointsChecked: scope.trustedCheckpoints.length,
      cosignedSize,
    };

    let checkedCount = 0;
    let checkpointsChecked = 0;
    let untrustedCheckpoints = 0;
    const fail = (sequence: number, reason: ChainFailureReason, message: string): ChainVerification => ({
      ...base,
      valid: false,
      checkedCount,
      checkpointsChecked,
      untrustedCheckpoints,
      firstFailure: signatureFailure && signatureFailure.sequence <= sequence ? signatureFailure : { sequence, reason, message },
    });

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

    // A walk from the first event also re-computes the tree up to the largest trusted checkpoint in
    // range: events re-chained in the database together with their stored tree left as it was match
    // the tree's consistency proof, but not the signed root.
    const rooted = new Map<number, TrustedCheckpoint[]>();
    if (fromSequence === 1) {
      for (const t of scope.trustedCheckpoints) {
        if (t.size >= 1 && t.size <= toSequence) rooted.set(t.size, [...(rooted.get(t.size) ?? []), t]);
      }
    }
    const rootedTo = Math.max(0, ...rooted.keys());
    const frontier = rootedTo ? MerkleFrontier.empty() : null;

    const read = async (start: number) => {
      const rows: Record<string, unknown>[] = await this.dataSource.query(PAGE_SQL, [tenantId, start, toSequence, this.page]);
      const labels = await this.labelsOf(tenantId, rows);
      return { rows, labels: rows.map((r) => labels.get(String(r.id))!) };
    };
    let since = performance.now();
    /** On this thread (no pool): in chunks, yielding once the loop was held sliceMs. */
    const hashHere = async (page: RehashPage): Promise<RehashResult> => {
      let checked = 0;
      let linkFrom = page.previous;
      while (checked < page.rows.length) {
        if (performance.now() - since >= this.sliceMs) {
          await yieldToLoop();
          this.checkAborted();
          since = performance.now();
        }
        const end = Math.min(page.rows.length, checked + IN_THREAD_CHUNK);
        const r = rehashPage({
          rows: page.rows.slice(checked, end),
          labels: page.labels.slice(checked, end),
          previous: linkFrom,
          expected: page.expected + checked,
        });
        if (r.failure) return { checked: checked + r.checked, failure: r.failure };
        linkFrom = String(page.rows[end - 1].chain_hash);
        checked = end;
      }
      return { checked, failure: null };
    };
    const pool = this.options.pool ?? null;
    // SQLite reads block, so there each page is read in its own turn of the event loop; MariaDB
    // reads are asynchronous and overlap the hashing. Pages are read ahead while earlier ones are hashed.
    const sqlite = this.dataSource.options.type === 'better-sqlite3';
    const depth = pool ? pool.size + (sqlite ? 1 : 3) : sqlite ? 1 : 2;
    const queue: { rows: Record<string, unknown>[]; hashing: Promise<RehashResult> }[] = [];
    // Each page is hashed from its predecessor's stored last chainHash: a result counts only once
    // every page before it checked out, and then that stored hash is the proven one.
    let nextStart = expected;
    let nextPrevious = previous;
    let exhausted = false;
    let reads = 0;
    const fill = async () => {
      while (!exhausted && queue.length < depth) {
        if (sqlite && reads > 0) {
          // The next SQLite read blocks too: it starts a slice of its own.
          await yieldToLoop();
          this.checkAborted();
          since = performance.now();
        }
        reads += 1;
        const { rows, labels } = await read(nextStart);
        if (!rows.length) {
          exhausted = true;
          break;
        }
        const page: RehashPage = { rows, labels, previous: nextPrevious, expected: nextStart };
        const hashing = pool ? pool.run(page) : hashHere(page);
        // Marked handled at once: a page left behind after a failure must not crash the process.
        hashing.catch(() => undefined);
        queue.push({ rows, hashing });
        const last = toNumber(rows[rows.length - 1].sequence);
        nextStart = last + 1;
        nextPrevious = String(rows[rows.length - 1].chain_hash);
        if (rows.length < this.page || last >= toSequence) exhausted = true;
      }
    };
    // Checkpoints are read for the sequences each page covers, so every one is read exactly once.
    let coveredTo = fromSequence - 1;
    let bySequence = new Map<number, Checkpoint[]>();

    await fill();
    while (queue.length) {
      const { rows: page, hashing } = queue.shift()!;
      let result: RehashResult;
      try {
        result = await hashing;
      } catch (error) {
        // Workers stopped by a shutdown: the verification ends as stopped, not as broken.
        this.checkAborted();
        throw error;
      }
      this.checkAborted();
      const last = toNumber(page[page.length - 1].sequence);
      // A short page is the last one: it covers the rest of the range.
      const pageTo = page.length === this.page && last < toSequence ? last : toSequence;
      bySequence = await checkpointsOf(coveredTo + 1, pageTo);
      coveredTo = pageTo;
      for (let i = 0; i < result.checked; i += 1) {
        const hash = String(page[i].hash);
        const chainHash = String(page[i].chain_hash);
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
        if (frontier && expected <= rootedTo) {
          frontier.append(leafHash(Buffer.from(hash, 'hex')));
          if (rooted.has(expected) && rooted.get(expected)!.some((t) => !t.root.equals(frontier.root()))) {
            lowerFailure({
              sequence: expected,
              reason: ChainFailureReason.TRUSTED_CHECKPOINT_MISMATCH,
              message: `events 1 to ${expected} no longer hash to the root a trusted checkpoint signed for that tree size`,
            });
          }
        }
        previous = chainHash;
        checkedCount += 1;
        expected += 1;
        // Every event up to a bad checkpoint checked out: it is the first failure, nothing later can come first.
        const bad = signatureFailure as ChainFailure | null; // set by checkpointsOf, which TypeScript does not follow
        if (bad && bad.sequence < expected) return fail(bad.sequence, bad.reason, bad.message);
      }
      if (result.failure) {
        switch (result.failure.kind) {
          case 'GAP':
            return missing(result.failure.sequence);
          case 'PARSE':
            return fail(
              expected,
              ChainFailureReason.HASH_MISMATCH,
              `event ${expected} holds a value that no longer parses: its content was changed`,
            );
          case 'HASH':
            return fail(
              expected,
              ChainFailureReason.HASH_MISMATCH,
              `event ${expected} does not hash to its stored hash: its content was changed`,
            );
          case 'LINK':
            return fail(expected, ChainFailureReason.CHAIN_MISMATCH, `event ${expected} does not link to event ${expected - 1}`);
        }
      }
      await fill();
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

/** What one verification runs under, resolved before it starts. */
interface Scope {
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
  keysPinned: boolean;
  trustedCheckpoints: TrustedCheckpoint[];
  witnesses: WitnessPolicy | null;
}
