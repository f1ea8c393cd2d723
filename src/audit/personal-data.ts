import type { ListedEvent } from './stored-event';

/** What a read shows in place of a field whose data subject was erased (ADR 0042). */
export const ERASED = '[erased]';

/**
 * Reads' port to the personal data sealed in events (ADR 0042): the privacy module implements it,
 * the composition root passes it in. Without it events read as stored.
 */
export interface PersonalData {
  /** The events with their sealed fields opened, or tombstoned (`ERASED`, named in `erasedFields`) when the key is gone. */
  open<E extends ListedEvent>(tenantId: string, events: E[]): Promise<E[]>;
  /** The stored references of the (not erased) data subjects among `ids`. */
  refsOf(tenantId: string, ids: readonly string[]): Promise<Map<string, string>>;
  /** The subject ids behind stored references; a reference whose subject was erased is missing. */
  idsOf(tenantId: string, refs: readonly string[]): Promise<Map<string, string>>;
  /**
   * A keyed pseudonym of a value a reader filtered by (an actor or resource id), for the record of
   * the read (ADR 0044): the same for the same value, not confirmable without the privacy key, and
   * never the value itself, so an erased subject is not named by the reads that looked for them.
   */
  pseudonymOf(tenantId: string, value: string): string;
}
