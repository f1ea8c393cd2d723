import type { PreparedEvent } from '../chain/prepared-event';

/** A batch as it is to be stored and hashed, and the tenant's erasure epoch its subjects were read at. */
export interface SealedBatch {
  events: PreparedEvent[];
  /** Null when nothing was sealed (no person's event in the batch). */
  erasureEpoch: number | null;
}

/**
 * Seals the personal fields of validated events under their data subjects' keys before they are
 * hashed and stored (ADR 0042). Ingest's port: the privacy module implements it, the composition
 * root passes it in.
 */
export interface Sealer {
  seal(tenantId: string, events: PreparedEvent[]): Promise<SealedBatch>;
  /**
   * The append refused a batch sealed at `erasureEpoch` (a subject may have been erased since):
   * forget the subjects read at it, so that the next seal reads them afresh.
   */
  stale(tenantId: string, erasureEpoch: number): void;
}
