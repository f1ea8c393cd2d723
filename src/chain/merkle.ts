/**
 * RFC 9162 (Certificate Transparency 2.0, §2.1) Merkle tree hashing, proofs and their
 * verification, over any store of the tree's perfect subtrees (issue 13).
 *
 * The tree over n leaves D[0:n] is the RFC's MTH: the empty tree hashes to SHA-256(""), a leaf to
 * SHA-256(0x00 ‖ d), an inner node to SHA-256(0x01 ‖ left ‖ right), and D[0:n] splits at k, the
 * largest power of two below n. Every subtree a proof names is then either *perfect* (2^level
 * leaves starting at a multiple of 2^level, named by (level, index)) or the right edge of a tree,
 * which is a fold of perfect subtrees. Proofs are therefore built in two steps: `*Plan` says which
 * perfect subtrees are needed (so a store can fetch them in one query), and `build*` folds them.
 *
 * Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 literally, including the check that the path
 * was fully consumed (sn = 0 at the end), which is what catches a proof with hashes added or
 * removed. It is pure and synchronous: `verify-proof` runs it with no database.
 */
import { createHash } from 'node:crypto';

/** Size of every hash in the tree (SHA-256). */
export const HASH_BYTES = 32;

/** MTH({}) = SHA-256 of the empty string. */
export const EMPTY_ROOT = createHash('sha256').digest();

/** SHA-256(0x00 ‖ data): the hash of one leaf. */
export function leafHash(data: Buffer): Buffer {
  return createHash('sha256').update(Buffer.of(0)).update(data).digest();
}

/** SHA-256(0x01 ‖ left ‖ right): the hash of an inner node. */
export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(Buffer.of(1)).update(left).update(right).digest();
}

/** A perfect subtree: 2^level leaves from index × 2^level. Level 0 is a single leaf. */
export interface SubtreeRef {
  level: number;
  index: number;
}

/** The largest power of two strictly below n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The perfect subtrees whose fold is MTH(D[start:end]), largest first, for a range the RFC's
 * recursion produces: `start` is a multiple of a power of two at least `end - start`.
 */
export function rangeSubtrees(start: number, end: number): SubtreeRef[] {
  const refs: SubtreeRef[] = [];
  let at = start;
  while (at < end) {
    let level = 0;
    while (2 ** (level + 1) <= end - at) level += 1;
    const index = at / 2 ** level;
    if (!Number.isInteger(index)) throw new RangeError(`leaves ${start}–${end} are not a subtree of the tree's recursion`);
    refs.push({ level, index });
    at += 2 ** level;
  }
  return refs;
}

/** Folds the perfect subtrees of a range (largest first) into its hash: node(a, node(b, …)). */
function foldRange(hashes: Buffer[]): Buffer {
  let result = hashes[hashes.length - 1];
  for (let i = hashes.length - 2; i >= 0; i -= 1) result = nodeHash(hashes[i], result);
  return result;
}

/** A proof as the ranges of leaves whose hashes it lists, in proof order. */
export type ProofPlan = { start: number; end: number }[];

/** RFC 9162 §2.1.3.1 PATH(m, D[0:n]) as ranges of leaves. */
export function inclusionPlan(m: number, n: number): ProofPlan {
  assertSize(n, 'tree size');
  if (!Number.isSafeInteger(m) || m < 0 || m >= n) throw new RangeError(`leaf index ${m} is not in a tree of ${n}`);
  const plan: ProofPlan = [];
  let start = 0;
  let end = n;
  // Walk down from the root, noting the sibling of each subtree on the way to leaf m.
  while (end - start > 1) {
    const k = split(end - start);
    if (m < start + k) {
      plan.push({ start: start + k, end });
      end = start + k;
    } else {
      plan.push({ start, end: start + k });
      start += k;
    }
  }
  return plan.reverse();
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[0:n]) as ranges of leaves (0 < m ≤ n). */
export function consistencyPlan(m: number, n: number): ProofPlan {
  assertSize(n, 'tree size');
  if (!Number.isSafeInteger(m) || m <= 0 || m > n) throw new RangeError(`tree size ${m} cannot be proved consistent with ${n}`);
  const plan: ProofPlan = [];
  // SUBPROOF(m, D[start:end], b), unrolled: the recursion only ever narrows one side.
  let start = 0;
  let end = n;
  let whole = true;
  let mm = m;
  while (mm !== end - start) {
    const k = split(end - start);
    if (mm <= k) {
      plan.push({ start: start + k, end });
      end = start + k;
    } else {
      plan.push({ start, end: start + k });
      start += k;
      mm -= k;
      whole = false;
    }
  }
  if (!whole) plan.push({ start, end });
  return plan.reverse();
}

/** Every perfect subtree a plan needs, each once. */
export function planSubtrees(plan: ProofPlan): SubtreeRef[] {
  const seen = new Map<string, SubtreeRef>();
  for (const { start, end } of plan) for (const ref of rangeSubtrees(start, end)) seen.set(`${ref.level}:${ref.index}`, ref);
  return [...seen.values()];
}

/** Looks up a perfect subtree's hash among those fetched for a plan. */
export type SubtreeHashes = (ref: SubtreeRef) => Buffer;

/** The proof's hashes, in order, from the perfect subtrees of its plan. */
export function buildProof(plan: ProofPlan, hashes: SubtreeHashes): Buffer[] {
  return plan.map(({ start, end }) => foldRange(rangeSubtrees(start, end).map(hashes)));
}

/** MTH(D[0:n]) from the perfect subtrees of the tree (its frontier). */
export function rootFrom(n: number, hashes: SubtreeHashes): Buffer {
  assertSize(n, 'tree size');
  return n === 0 ? EMPTY_ROOT : foldRange(rangeSubtrees(0, n).map(hashes));
}

/**
 * The right edge of a growing tree: the hashes of its perfect subtrees, largest first (the
 * "compact range" of Trillian/Tessera). Appending a leaf merges equal-sized subtrees, so an append
 * is O(log n) hashes and the root is a fold of at most log2(n) + 1 hashes. `completed` receives
 * every perfect subtree finished by an append, so a store can keep them for proofs.
 */
export class MerkleFrontier {
  private constructor(
    private readonly hashes: Buffer[],
    private count: number,
  ) {}

  static empty(): MerkleFrontier {
    return new MerkleFrontier([], 0);
  }

  /** A frontier as stored: the tree size and its perfect subtrees' hashes, largest first. */
  static of(size: number, hashes: readonly Buffer[]): MerkleFrontier {
    assertSize(size, 'tree size');
    const expected = rangeSubtrees(0, size).length;
    if (hashes.length !== expected) throw new RangeError(`a tree of ${size} has ${expected} frontier hashes, not ${hashes.length}`);
    for (const h of hashes) assertHash(h, 'frontier hash');
    return new MerkleFrontier([...hashes], size);
  }

  get size(): number {
    return this.count;
  }

  /** The frontier's hashes, largest subtree first (what a store keeps beside the chain head). */
  get subtrees(): readonly Buffer[] {
    return this.hashes;
  }

  /** Appends the hash of a leaf (leafHash of its data); reports each perfect subtree it completes. */
  append(leaf: Buffer, completed?: (ref: SubtreeRef, hash: Buffer) => void): void {
    assertHash(leaf, 'leaf hash');
    let hash = leaf;
    let level = 0;
    let index = this.count;
    completed?.({ level, index }, hash);
    // Each trailing 1 bit of the old size is a subtree of the same size to merge with.
    for (let size = this.count; size % 2 === 1; size = Math.floor(size / 2)) {
      hash = nodeHash(this.hashes.pop()!, hash);
      level += 1;
      index = Math.floor(index / 2);
      completed?.({ level, index }, hash);
    }
    this.hashes.push(hash);
    this.count += 1;
  }

  /** MTH of the tree so far. */
  root(): Buffer {
    return this.count === 0 ? EMPTY_ROOT : foldRange(this.hashes);
  }
}

/** Why a proof did not verify (stable codes a verifier reports). */
export type ProofFailure =
  | 'MALFORMED' // a hash of the wrong length, or sizes out of range
  | 'WRONG_LENGTH' // the path has hashes missing or left over
  | 'ROOT_MISMATCH'; // the path is well-formed but leads to another root

export type ProofCheck = { ok: true } | { ok: false; failure: ProofFailure; reason: string };

const ok: ProofCheck = { ok: true };
const fail = (failure: ProofFailure, reason: string): ProofCheck => ({ ok: false, failure, reason });

/**
 * RFC 9162 §2.1.3.2: is the leaf with hash `leaf` at `index` in the tree of `size` with `root`,
 * according to `path`?
 */
export function verifyInclusion(index: number, size: number, leaf: Buffer, path: readonly Buffer[], root: Buffer): ProofCheck {
  if (!Number.isSafeInteger(size) || !Number.isSafeInteger(index) || index < 0 || index >= size) {
    return fail('MALFORMED', `leaf index ${index} is not in a tree of ${size}`);
  }
  if (!isHash(leaf) || !isHash(root) || !path.every(isHash)) return fail('MALFORMED', `every hash must be ${HASH_BYTES} bytes`);
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) return fail('WRONG_LENGTH', 'the path is longer than the tree is high');
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) return fail('WRONG_LENGTH', 'the path ends below the root');
  return r.equals(root) ? ok : fail('ROOT_MISMATCH', 'the path leads to another root');
}

/**
 * RFC 9162 §2.1.4.2: is the tree of `firstSize` with `firstRoot` a prefix of the tree of
 * `secondSize` with `secondRoot`, according to `path`? A tree is consistent with itself by an empty
 * path; the empty tree is a prefix of every tree, which no path can show, so it is refused.
 */
export function verifyConsistency(
  firstSize: number,
  secondSize: number,
  firstRoot: Buffer,
  secondRoot: Buffer,
  path: readonly Buffer[],
): ProofCheck {
  if (!Number.isSafeInteger(firstSize) || !Number.isSafeInteger(secondSize) || firstSize < 1 || secondSize < firstSize) {
    return fail('MALFORMED', `tree size ${firstSize} cannot be proved consistent with ${secondSize}`);
  }
  if (!isHash(firstRoot) || !isHash(secondRoot) || !path.every(isHash)) return fail('MALFORMED', `every hash must be ${HASH_BYTES} bytes`);
  if (firstSize === secondSize) {
    if (path.length) return fail('WRONG_LENGTH', 'a tree is consistent with itself by an empty path');
    return firstRoot.equals(secondRoot) ? ok : fail('ROOT_MISMATCH', 'two roots for one tree size');
  }
  if (!path.length) return fail('WRONG_LENGTH', 'the path is empty');
  const hashes = isPowerOfTwo(firstSize) ? [firstRoot, ...path] : [...path];
  let fn = BigInt(firstSize - 1);
  let sn = BigInt(secondSize - 1);
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = hashes[0];
  let sr = hashes[0];
  for (const c of hashes.slice(1)) {
    if (sn === 0n) return fail('WRONG_LENGTH', 'the path is longer than the trees are high');
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) return fail('WRONG_LENGTH', 'the path ends below the second root');
  if (!fr.equals(firstRoot)) return fail('ROOT_MISMATCH', 'the path does not lead to the first root');
  return sr.equals(secondRoot) ? ok : fail('ROOT_MISMATCH', 'the path does not lead to the second root');
}

function isPowerOfTwo(n: number): boolean {
  const b = BigInt(n);
  return b > 0n && (b & (b - 1n)) === 0n;
}

function isHash(h: Buffer): boolean {
  return Buffer.isBuffer(h) && h.length === HASH_BYTES;
}

function assertHash(h: Buffer, what: string): void {
  if (!isHash(h)) throw new RangeError(`a ${what} must be ${HASH_BYTES} bytes`);
}

function assertSize(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`a ${what} must be a whole number ≥ 0, not ${n}`);
}
