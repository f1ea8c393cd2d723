/**
 * The per-event part of a chain verification (ADR 0051): map a stored row, re-serialise it as
 * ingest hashed it, SHA-256, check the link to the previous chainHash. Pure and without a database,
 * so it runs the same in a worker thread (rehash-pool.ts) and on the server's thread.
 */
import type { EventLabels } from '../audit/audit-event.repository';
import { mapEventRow } from '../audit/event-row';
import type { StoredEvent } from '../audit/stored-event';
import { canonicalEvent, storedFragments } from './event-canonical';
import { linkHash, sha256Hex } from './hashing';
import { toNumber } from '../database/sql-format';

/** One page of consecutive rows as read for verification, with each row's labels (same order). */
export interface RehashPage {
  rows: Record<string, unknown>[];
  labels: EventLabels[];
  /** chainHash of the event before rows[0] (the genesis hash, or an anchor's). */
  previous: string;
  /** The sequence rows[0] must have. */
  expected: number;
}

/** Why a row failed: missing (a gap before it), unparseable, not hashing to its hash, not linking. */
export type RehashFailureKind = 'GAP' | 'PARSE' | 'HASH' | 'LINK';

export interface RehashResult {
  /** Rows that re-hashed and linked, from the first: each one's stored chainHash is then proven. */
  checked: number;
  /** The first row that did not (its index is `checked`); null when all did. */
  failure: { kind: RehashFailureKind; sequence: number } | null;
}

/** Re-hashes and links `page.rows` in order; stops at the first row that fails. */
export function rehashPage(page: RehashPage): RehashResult {
  let previous = page.previous;
  let expected = page.expected;
  for (let i = 0; i < page.rows.length; i += 1) {
    const row = page.rows[i];
    const sequence = toNumber(row.sequence);
    if (sequence !== expected) return { checked: i, failure: { kind: 'GAP', sequence } };
    let event: StoredEvent;
    let recomputed: string;
    try {
      event = mapEventRow(row);
      const { hash: _h, chainHash: _c, idempotencyKey: _k, ...rest } = event;
      // The serialiser ingest hashed with; event-canonical.spec proves it equals canonicalJson(hashedView(…)).
      recomputed = sha256Hex(canonicalEvent(storedFragments({ ...rest, ...page.labels[i] }), event));
    } catch {
      // A stored value that no longer even parses (broken JSON, impossible date) is a changed row.
      return { checked: i, failure: { kind: 'PARSE', sequence } };
    }
    if (recomputed !== event.hash) return { checked: i, failure: { kind: 'HASH', sequence } };
    if (linkHash(previous, event.hash) !== event.chainHash) return { checked: i, failure: { kind: 'LINK', sequence } };
    previous = event.chainHash;
    expected += 1;
  }
  return { checked: page.rows.length, failure: null };
}
