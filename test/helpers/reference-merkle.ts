import { EMPTY_ROOT, nodeHash } from '../../src/chain/merkle';

/**
 * MTH over leaf hashes, as RFC 9162 §2.1.1 writes it (recursive, on the leaves): the root the
 * tests hold the server's stored, incremental tree and its proofs to.
 */
export function mth(d: Buffer[]): Buffer {
  if (d.length === 0) return EMPTY_ROOT;
  if (d.length === 1) return d[0];
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)));
}
