import type { DataSource } from 'typeorm';
import { AUDIT_EVENT_COLUMNS } from '../audit/audit-event.columns';
import { mapEventRow } from '../audit/audit-event.repository';
import type { CheckpointService } from './checkpoint.service';
import { canonicalEvent, storedFragments } from './event-canonical';
import { sha256Hex } from './hashing';
import type { PublicSigningKey } from './signing-key';

export {
  PRUNED_ACTION,
  PRUNED_RESOURCE,
  PRUNE_STATE_SQL,
  pruneStateOf,
  readPruneState,
  type PruneState,
  type PrunedPrefix,
} from './prune-state';
import { PRUNED_ACTION, SERVER_SOURCE, type PruneState, type PrunedPrefix } from './prune-state';

/** Why a recorded prune does not hold up, for the verifier to report. */
export type PruneProblem = { reason: 'PRUNE_ANCHOR_INVALID' | 'PRUNE_UNRECORDED'; sequence: number; message: string };

/**
 * Checks a tenant's recorded prune (ADR 0043): the anchor checkpoint is at `pruned_through` and
 * signed by a trusted key, and the event at `event_sequence` re-hashes, is the server's
 * datapunk.retention.pruned and names exactly this range end and anchor. Null: the chain was never
 * pruned. The walk over the kept events is the verifier's.
 */
export async function checkPrunedPrefix(
  dataSource: DataSource,
  checkpoints: CheckpointService,
  tenantId: string,
  state: PruneState,
  trusted: readonly PublicSigningKey[],
): Promise<{ prefix: PrunedPrefix } | { problem: PruneProblem }> {
  const through = state.prunedThrough;
  const anchors = state.anchorCheckpointId
    ? (await checkpoints.inRange(tenantId, through, through)).filter((c) => c.id === state.anchorCheckpointId)
    : [];
  const anchor = anchors[0];
  if (!anchor || !checkpoints.signatureValid(anchor, trusted)) {
    return {
      problem: {
        reason: 'PRUNE_ANCHOR_INVALID',
        sequence: through,
        message: anchor
          ? `the prune anchor ${anchor.id} at sequence ${through} is not signed by a trusted key`
          : `the chain is recorded as pruned through ${through}, but no checkpoint ${state.anchorCheckpointId ?? '(none named)'} anchors that sequence`,
      },
    };
  }
  const unrecorded = (message: string) => ({
    problem: { reason: 'PRUNE_UNRECORDED' as const, sequence: state.eventSequence ?? through, message },
  });
  if (state.eventSequence === null) return unrecorded(`no datapunk.retention.pruned event is named for the prune through ${through}`);
  const [row]: Record<string, unknown>[] = await dataSource.query(
    `SELECT ${AUDIT_EVENT_COLUMNS.filter((c) => c !== 'payload_hash').join(', ')} FROM audit_event WHERE tenant_id = ? AND sequence = ?`,
    [tenantId, state.eventSequence],
  );
  if (!row) return unrecorded(`event ${state.eventSequence}, which should record the prune through ${through}, is missing`);
  const labels: { kind: string; value: string }[] = await dataSource.query('SELECT kind, value FROM audit_event_label WHERE event_id = ?', [
    String(row.id),
  ]);
  let metadata: Record<string, unknown> | null;
  try {
    const event = mapEventRow(row);
    const { hash: _h, chainHash: _c, idempotencyKey: _k, ...rest } = event;
    const categories = labels
      .filter((l) => l.kind === 'category')
      .map((l) => l.value)
      .sort();
    const tags = labels
      .filter((l) => l.kind === 'tag')
      .map((l) => l.value)
      .sort();
    if (sha256Hex(canonicalEvent(storedFragments({ ...rest, categories, tags }), event)) !== event.hash) {
      return unrecorded(`event ${state.eventSequence}, which records the prune, does not hash to its stored hash`);
    }
    if (event.action !== PRUNED_ACTION || event.sourceService !== SERVER_SOURCE) {
      return unrecorded(`event ${state.eventSequence} is not the server's ${PRUNED_ACTION} event`);
    }
    metadata = event.metadata;
  } catch {
    return unrecorded(`event ${state.eventSequence}, which records the prune, holds a value that no longer parses`);
  }
  if (
    metadata?.throughSequence !== through ||
    metadata?.anchorCheckpointId !== anchor.id ||
    metadata?.anchorChainHash !== anchor.chainHash
  ) {
    return unrecorded(`event ${state.eventSequence} records another prune than the one through ${through} anchored by ${anchor.id}`);
  }
  return {
    prefix: {
      throughSequence: through,
      anchor,
      eventSequence: state.eventSequence,
      prunedAt: state.prunedAt,
      occurredBefore: state.occurredBefore,
    },
  };
}
