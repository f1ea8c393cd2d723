import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import { type AuditEventRecord, hashedView } from './audit-event.model';

/** chainHash of the (virtual) event before sequence 1. */
export const GENESIS_CHAIN_HASH = '0'.repeat(64);

export const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');

export function eventHash(e: Omit<AuditEventRecord, 'hash' | 'chainHash' | 'idempotencyKey'>): string {
  return sha256Hex(canonicalJson(hashedView(e)));
}

/** chainHash = SHA-256(previous chainHash ‖ hash), both as lowercase hex. */
export const linkHash = (previousChainHash: string, hash: string): string => sha256Hex(previousChainHash + hash);
