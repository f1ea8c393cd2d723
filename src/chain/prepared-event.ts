import type { EventPayload } from '../audit/audit-event.model';
import type { PayloadFragments } from './event-canonical';

/** A validated event ready for the chain. */
export interface PreparedEvent {
  payload: EventPayload;
  /** Canonical JSON pieces of the payload, reused for the event hash (see event-canonical.ts). */
  fragments: PayloadFragments;
  /** Canonical JSON of the metadata, as stored. */
  metadataJson: string | null;
  /** SHA-256 of the canonical payload as sent (before classification rules): tells an idempotent retry from a conflicting one. */
  payloadHash: string;
  idempotencyKey: string | null;
}
