import type { DataSource } from 'typeorm';
import { fromSqlDateTime, toNumber } from '../database/sql-format';
import type { Checkpoint } from './checkpoint.repository';

// The state of a tenant's pruned prefix (ADR 0043), apart from the verifier's checks: assessments
// read it in their snapshot, and the plugin test kit loads the assessment queries without the
// event repository and its GraphQL types.

/** The action of the event a prune records itself with (ADR 0043). */
export const PRUNED_ACTION = 'datapunk.retention.pruned';
/** Its resource type; the resource id is `prune:<throughSequence>`. */
export const PRUNED_RESOURCE = 'chain';
/** source_service of the server's own events (ingest's SERVER_SOURCE; chain sits below ingest). */
export const SERVER_SOURCE = 'datapunk-audit';

/** A tenant's `chain_prune` row, as the chain module reads it. */
export interface PruneState {
  prunedThrough: number;
  deletedThrough: number;
  anchorCheckpointId: string | null;
  eventSequence: number | null;
  occurredBefore: string | null;
  recordedBefore: string | null;
  prunedAt: string | null;
}

/** What a verification reports of a pruned chain: the prefix, and what proves it was pruned on purpose. */
export interface PrunedPrefix {
  /** Events 1..throughSequence were deleted by retention. */
  throughSequence: number;
  /** The signed checkpoint at throughSequence whose chainHash the first kept event links to. */
  anchor: Checkpoint;
  /** Sequence of the datapunk.retention.pruned event that recorded the prune. */
  eventSequence: number;
  prunedAt: string | null;
  /** Newest occurredAt among the pruned events. */
  occurredBefore: string | null;
}

export const PRUNE_STATE_SQL =
  'SELECT pruned_through, deleted_through, anchor_checkpoint_id, event_sequence, occurred_before, recorded_before, pruned_at FROM chain_prune WHERE tenant_id = ?';

export const pruneStateOf = (rows: readonly Record<string, unknown>[]): PruneState | null => {
  const r = rows[0];
  if (!r || toNumber(r.pruned_through) === 0) return null;
  const date = (v: unknown) => (v === null || v === undefined ? null : fromSqlDateTime(v));
  return {
    prunedThrough: toNumber(r.pruned_through),
    deletedThrough: toNumber(r.deleted_through),
    anchorCheckpointId: r.anchor_checkpoint_id === null ? null : String(r.anchor_checkpoint_id),
    eventSequence: r.event_sequence === null ? null : toNumber(r.event_sequence),
    occurredBefore: date(r.occurred_before),
    recordedBefore: date(r.recorded_before),
    prunedAt: date(r.pruned_at),
  };
};

export async function readPruneState(dataSource: DataSource, tenantId: string): Promise<PruneState | null> {
  return pruneStateOf(await dataSource.query(PRUNE_STATE_SQL, [tenantId]));
}
