import { hash } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import { type AuditEventRecord, hashedView } from '../audit/audit-event.model';

/** chainHash of the (virtual) event before sequence 1. */
export const GENESIS_CHAIN_HASH = '0'.repeat(64);

/** One-shot `crypto.hash` (Node ≥ 20.12): no Hash object per call, which the ingest path feels. */
export const sha256Hex = (data: string): string => hash('sha256', data, 'hex');

export function eventHash(e: Omit<AuditEventRecord, 'hash' | 'chainHash' | 'idempotencyKey'>): string {
  return sha256Hex(canonicalJson(hashedView(e)));
}

/** chainHash = SHA-256(previous chainHash ‖ hash), both as lowercase hex. */
export const linkHash = (previousChainHash: string, hash: string): string => sha256Hex(previousChainHash + hash);
