import type { DataSource } from 'typeorm';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { toNumber } from '../database/sql-format';
import {
  buildProof,
  consistencyPlan,
  HASH_BYTES,
  inclusionPlan,
  leafHash,
  MerkleFrontier,
  nodeHash,
  planSubtrees,
  type ProofPlan,
  rangeSubtrees,
  rootFrom,
  type SubtreeRef,
} from './merkle';

/**
 * How a tenant's RFC 9162 tree is kept (ADR 0047, amended 2026-12-07). The leaves are the events'
 * own hashes (`audit_event.hash`, leaf i = sequence i + 1), so they are not stored twice. Beside the
 * chain head, `chain_head.merkle_frontier` holds the frontier (the right edge, one hash per 1 bit of
 * the tree size), updated in the append's transaction. `merkle_node` holds every perfect subtree of
 * 2^TILE_LEVEL leaves and every one of 2^STORED_LEVEL leaves or more as it completes: one row per
 * 14 events on average. A proof reads at most ~log2(n) of the upper rows by key, at most 15 rows of
 * level 4 (what levels 5 to 7 are folded from) and at most 16 event hashes, in one statement.
 */
export const STORED_LEVEL = 8;
/** The one level below STORED_LEVEL that is stored too: subtrees of 16 leaves. */
export const TILE_LEVEL = 4;
/** Whether the subtrees of a level are kept in merkle_node as they complete. */
export const isStoredLevel = (level: number): boolean => level === TILE_LEVEL || level >= STORED_LEVEL;

/** The frontier as stored: its hashes in hex, largest subtree first, concatenated. */
export const frontierText = (frontier: MerkleFrontier): string => frontier.subtrees.map((h) => h.toString('hex')).join('');

/** The frontier of a tree of `size` from its stored text; null when the tenant has no tree. */
export function parseFrontier(size: number, text: string | null | undefined): MerkleFrontier | null {
  if (text === null || text === undefined) return size === 0 ? MerkleFrontier.empty() : null;
  const hashes: Buffer[] = [];
  for (let i = 0; i < text.length; i += HASH_BYTES * 2) hashes.push(Buffer.from(text.slice(i, i + HASH_BYTES * 2), 'hex'));
  return MerkleFrontier.of(size, hashes);
}

/** A perfect subtree to store: [level, index, hash hex]. */
export type NodeRow = [number, number, string];

/**
 * The tree after appending the new events' hashes (in sequence order, right after the head), and
 * the perfect subtrees of the stored levels they completed. `frontier` null: the tenant has no
 * tree (its chain was pruned before trees existed, ADR 0047, or its frontier no longer fits its
 * head: the head or the tree was changed in the database) and none is started.
 */
export function extendTree(
  headSequence: number,
  stored: string | null | undefined,
  added: readonly { sequence: number; hash: string }[],
): { frontier: string | null; nodes: NodeRow[] } {
  let frontier: MerkleFrontier | null;
  try {
    frontier = parseFrontier(headSequence, stored);
  } catch {
    // A frontier that does not fit the head: the head or the tree was changed in the database. The
    // chain goes on; the tree ends here (proofs answer PROOF_UNAVAILABLE, checkpoints carry no note).
    frontier = null;
  }
  if (!frontier) return { frontier: null, nodes: [] };
  const nodes: NodeRow[] = [];
  for (const { sequence, hash } of added) {
    if (sequence !== frontier.size + 1) throw new Error(`tree of ${frontier.size} cannot take sequence ${sequence}`);
    frontier.append(leafHash(Buffer.from(hash, 'hex')), (ref, h) => {
      if (isStoredLevel(ref.level)) nodes.push([ref.level, ref.index, h.toString('hex')]);
    });
  }
  return { frontier: frontierText(frontier), nodes };
}

/** An inclusion proof as served: base64 hashes, as the C2SP tlog formats write them. */
export interface InclusionProof {
  sequence: number;
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  rootHash: string;
  hashes: string[];
}

export interface ConsistencyProof {
  fromSize: number;
  toSize: number;
  fromRoot: string;
  toRoot: string;
  hashes: string[];
}

const unavailable = (message: string, extensions: Record<string, unknown> = {}) =>
  new AppError(ErrorCode.PROOF_UNAVAILABLE, message, extensions);

const key = (r: SubtreeRef) => `${r.level}:${r.index}`;

/** Builds proofs from a tenant's stored tree and event hashes. */
export class MerkleProofs {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The tree now: its size (the head sequence) and, from the frontier, the hashes of the perfect
   * subtrees of the whole tree, which a proof against the tree now needs without reading anything
   * more. PROOF_UNAVAILABLE when the tenant has no tree.
   */
  private async tree(tenantId: string): Promise<{ size: number; known: Map<string, Buffer> }> {
    const [row] = await this.dataSource.query<HeadRecord[]>('SELECT sequence, merkle_frontier FROM chain_head WHERE tenant_id = ?', [
      tenantId,
    ]);
    const size = row ? toNumber(row.sequence) : 0;
    const frontier = parseFrontier(size, row?.merkle_frontier);
    if (!frontier) {
      throw unavailable(
        'Your chain has no Merkle tree: it was pruned before trees were kept, so the hashes of its first events are gone (ADR 0047). verifyAuditChain still verifies it from its signed anchor.',
      );
    }
    const known = new Map<string, Buffer>();
    rangeSubtrees(0, size).forEach((ref, i) => known.set(key(ref), frontier.subtrees[i]));
    return { size, known };
  }

  private checkSize(treeSize: number, size: number): void {
    if (!Number.isSafeInteger(treeSize) || treeSize < 1 || treeSize > size) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `treeSize must be between 1 and the tree size now (${size}).`, { treeSize: size });
    }
  }

  /** The root of the tenant's tree of `size` (at most the head); null when the tenant has no tree. */
  async rootAt(tenantId: string, size: number): Promise<Buffer | null> {
    let tree: { size: number; known: Map<string, Buffer> };
    try {
      tree = await this.tree(tenantId);
    } catch (error) {
      if ((error as AppError).code === ErrorCode.PROOF_UNAVAILABLE) return null;
      throw error;
    }
    this.checkSize(size, tree.size);
    return rootFrom(size, await this.subtrees(tenantId, rangeSubtrees(0, size), tree.known));
  }

  async inclusion(tenantId: string, sequence: number, treeSize?: number | null): Promise<InclusionProof> {
    const { size, known } = await this.tree(tenantId);
    const n = treeSize ?? size;
    this.checkSize(n, size);
    if (!Number.isSafeInteger(sequence) || sequence < 1 || sequence > n) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `sequence must be between 1 and treeSize (${n}).`);
    }
    const plan = inclusionPlan(sequence - 1, n);
    const leaf = { level: 0, index: sequence - 1 };
    const hashes = await this.subtrees(tenantId, [leaf, ...planSubtrees(plan), ...rangeSubtrees(0, n)], known);
    return {
      sequence,
      leafIndex: sequence - 1,
      treeSize: n,
      leafHash: hashes(leaf).toString('base64'),
      rootHash: rootFrom(n, hashes).toString('base64'),
      hashes: buildProof(plan, hashes).map((h) => h.toString('base64')),
    };
  }

  /**
   * Inclusion proofs of several events in the tree of `treeSize`, the subtrees of all of them read
   * together (a report's proof bundles, ADR 0049). Callers keep the list short (the statements
   * name each stored subtree and leaf range): ProofBundles asks INCLUSION_BATCH at a time.
   */
  async inclusions(tenantId: string, sequences: readonly number[], treeSize: number): Promise<InclusionProof[]> {
    const { size, known } = await this.tree(tenantId);
    this.checkSize(treeSize, size);
    for (const sequence of sequences) {
      if (!Number.isSafeInteger(sequence) || sequence < 1 || sequence > treeSize) {
        throw new AppError(ErrorCode.INVALID_ARGUMENT, `sequence must be between 1 and treeSize (${treeSize}).`);
      }
    }
    const plans = sequences.map((s) => inclusionPlan(s - 1, treeSize));
    const leaves = sequences.map((s) => ({ level: 0, index: s - 1 }));
    const hashes = await this.subtrees(tenantId, [...leaves, ...plans.flatMap(planSubtrees), ...rangeSubtrees(0, treeSize)], known);
    const rootHash = rootFrom(treeSize, hashes).toString('base64');
    return sequences.map((sequence, i) => ({
      sequence,
      leafIndex: sequence - 1,
      treeSize,
      leafHash: hashes(leaves[i]).toString('base64'),
      rootHash,
      hashes: buildProof(plans[i], hashes).map((h) => h.toString('base64')),
    }));
  }

  async consistency(tenantId: string, fromSize: number, toSize?: number | null): Promise<ConsistencyProof> {
    const { size, known } = await this.tree(tenantId);
    const n = toSize ?? size;
    this.checkSize(n, size);
    if (!Number.isSafeInteger(fromSize) || fromSize < 1 || fromSize > n) {
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `fromSize must be between 1 and toSize (${n}).`);
    }
    const plan: ProofPlan = fromSize === n ? [] : consistencyPlan(fromSize, n);
    const hashes = await this.subtrees(tenantId, [...planSubtrees(plan), ...rangeSubtrees(0, fromSize), ...rangeSubtrees(0, n)], known);
    return {
      fromSize,
      toSize: n,
      fromRoot: rootFrom(fromSize, hashes).toString('base64'),
      toRoot: rootFrom(n, hashes).toString('base64'),
      hashes: buildProof(plan, hashes).map((h) => h.toString('base64')),
    };
  }

  /**
   * Before a prune deletes events up to `through` (ADR 0047), keeps the subtrees left of the first
   * kept event below STORED_LEVEL — at most one per level, those the proofs of every later event
   * and size need — so the tree still answers for everything the prune keeps. No tree: nothing.
   */
  async keepBoundary(tenantId: string, through: number): Promise<void> {
    if (through < 1) return;
    const [row] = await this.dataSource.query<HeadRecord[]>('SELECT sequence, merkle_frontier FROM chain_head WHERE tenant_id = ?', [
      tenantId,
    ]);
    if (!row || row.merkle_frontier === null || row.merkle_frontier === undefined) return;
    const refs = rangeSubtrees(0, through).filter((r) => r.level < STORED_LEVEL);
    if (!refs.length) return;
    const hashes = await this.subtrees(tenantId, refs, new Map());
    const ignore = this.dataSource.options.type === 'better-sqlite3' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
    await this.dataSource.query(
      `${ignore} INTO merkle_node (tenant_id, node_level, node_index, hash) VALUES ${refs.map(() => '(?, ?, ?, ?)').join(', ')}`,
      refs.flatMap((r) => [tenantId, r.level, r.index, hashes(r).toString('hex')]),
    );
  }

  /**
   * The hashes of the perfect subtrees named, beyond those `known` already, in one statement: those
   * of a stored level by key (level 4 and STORED_LEVEL up), levels 5 to 7 folded from the level-4
   * rows under them, levels 0 to 3 from the events' hashes, plus the few smaller subtrees a prune
   * kept (keepBoundary). A level-4 subtree not stored (its 16 events were pruned before level 4 was
   * kept, ADR 0047 amended 2026-12-07) is folded from what is left of it, read in a second one.
   */
  private async subtrees(tenantId: string, refs: SubtreeRef[], known: Map<string, Buffer>): Promise<(ref: SubtreeRef) => Buffer> {
    const found = new Map(known);
    const wanted = [...new Map(refs.filter((r) => !found.has(key(r))).map((r) => [key(r), r])).values()];
    const leaves = new Map<number, Buffer>();
    if (wanted.length) {
      const high = wanted.filter((r) => r.level >= STORED_LEVEL);
      const tiles = mergedRanges(wanted.filter((r) => r.level >= TILE_LEVEL && r.level < STORED_LEVEL).map((r) => down(r, TILE_LEVEL)));
      const leafRanges = mergedRanges(wanted.filter((r) => r.level < TILE_LEVEL).map((r) => down(r, 0)));
      const parts: string[] = [];
      const params: unknown[] = [];
      // One SELECT per level, each an index look-up: an OR of (level, index) pairs would scan the tenant's nodes.
      const byLevel = new Map<number, number[]>();
      for (const r of high) byLevel.set(r.level, [...(byLevel.get(r.level) ?? []), r.index]);
      for (const [level, indexes] of byLevel) {
        parts.push(`${NODE_SELECT} AND node_level = ? AND node_index IN (${indexes.map(() => '?').join(', ')})`);
        params.push(tenantId, level, ...indexes);
      }
      for (const [lo, hi] of tiles) {
        parts.push(`${NODE_SELECT} AND node_level = ? AND node_index >= ? AND node_index < ?`);
        params.push(tenantId, TILE_LEVEL, lo, hi);
      }
      if (tiles.length || leafRanges.length) {
        // What prunes kept below STORED_LEVEL (keepBoundary): at most a few rows a prune; two index ranges around level 4.
        parts.push(`${NODE_SELECT} AND node_level < ?`);
        parts.push(`${NODE_SELECT} AND node_level > ? AND node_level < ?`);
        params.push(tenantId, TILE_LEVEL, tenantId, TILE_LEVEL, STORED_LEVEL);
      }
      for (const [lo, hi] of leafRanges) {
        parts.push(EVENT_SELECT);
        params.push(tenantId, lo, hi);
      }
      this.collect(await this.dataSource.query<NodeRecord[]>(parts.join(' UNION ALL '), params), found, leaves);
      const lost = high.find((r) => !found.has(key(r)));
      if (lost)
        throw unavailable(`A stored node of your tree is missing (level ${lost.level}, index ${lost.index}); run verifyAuditChain.`);
      // Level-4 subtrees not stored: folded from the smaller subtrees and events under them.
      const missing: number[] = [];
      const walk = (ref: SubtreeRef): void => {
        if (found.has(key(ref))) return;
        if (ref.level === 0) {
          if (!leaves.has(ref.index) && !within(leafRanges, ref.index)) missing.push(ref.index);
          return;
        }
        walk({ level: ref.level - 1, index: ref.index * 2 });
        walk({ level: ref.level - 1, index: ref.index * 2 + 1 });
      };
      for (const r of wanted) if (r.level < STORED_LEVEL) walk(r);
      const ranges = mergedRanges(missing.map((i) => [i, i + 1] as [number, number]));
      if (ranges.length) {
        this.collect(
          await this.dataSource.query<NodeRecord[]>(
            ranges.map(() => EVENT_SELECT).join(' UNION ALL '),
            ranges.flatMap(([lo, hi]) => [tenantId, lo, hi]),
          ),
          found,
          leaves,
        );
      }
    }
    const resolve = (ref: SubtreeRef): Buffer => {
      const done = found.get(key(ref));
      if (done) return done;
      let hash: Buffer;
      if (ref.level === 0) {
        const leaf = leaves.get(ref.index);
        if (!leaf) {
          throw unavailable(`Event ${ref.index + 1}, which this proof needs, is not stored (pruned, or deleted outside the service).`, {
            sequence: ref.index + 1,
          });
        }
        hash = leaf;
      } else {
        hash = nodeHash(
          resolve({ level: ref.level - 1, index: ref.index * 2 }),
          resolve({ level: ref.level - 1, index: ref.index * 2 + 1 }),
        );
      }
      found.set(key(ref), hash);
      return hash;
    };
    for (const r of wanted) resolve(r);
    return (ref) => {
      const hash = found.get(key(ref));
      if (!hash) throw new Error(`subtree ${key(ref)} was not fetched`);
      return hash;
    };
  }

  /** Rows of a subtrees statement into the stored subtrees (`found`) and the leaves by index. */
  private collect(rows: NodeRecord[], found: Map<string, Buffer>, leaves: Map<number, Buffer>): void {
    for (const r of rows) {
      const level = toNumber(r.l);
      if (level === EVENT_ROW) leaves.set(toNumber(r.i) - 1, leafHash(Buffer.from(r.hash, 'hex')));
      else found.set(`${level}:${toNumber(r.i)}`, Buffer.from(r.hash, 'hex'));
    }
  }
}

/** The `l` of an event's hash in a subtrees statement (its `i` is the sequence): no tree level. */
const EVENT_ROW = -1;
const NODE_SELECT = 'SELECT node_level AS l, node_index AS i, hash FROM merkle_node WHERE tenant_id = ?';
const EVENT_SELECT = `SELECT ${EVENT_ROW} AS l, sequence AS i, hash FROM audit_event WHERE tenant_id = ? AND sequence > ? AND sequence <= ?`;

interface HeadRecord {
  sequence: unknown;
  merkle_frontier: string | null;
}

/** A row of a subtrees statement: a stored subtree (level, index) or an event's hash (EVENT_ROW, sequence). */
interface NodeRecord {
  l: unknown;
  i: unknown;
  hash: string;
}

/** The subtrees of `level` under `ref` (at or above it), as the index range [start, end) at that level. */
const down = (ref: SubtreeRef, level: number): [number, number] => [
  ref.index * 2 ** (ref.level - level),
  (ref.index + 1) * 2 ** (ref.level - level),
];

const within = (ranges: readonly [number, number][], i: number): boolean => ranges.some(([lo, hi]) => i >= lo && i < hi);

/** Index ranges [start, end), merged where they touch or overlap. */
function mergedRanges(input: [number, number][]): [number, number][] {
  const ranges = input.sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of ranges) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}
