import { v7 as uuidv7 } from 'uuid';
import { AppError, type Problem } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { toSqlDateTime } from '../database/sql-format';
import { classificationRank, severityRank } from '../audit/audit-event.model';
import { batchFields, canonicalBatchEvent } from './event-canonical';
import type { PreparedEvent } from './prepared-event';
import { FACET_KIND, type MetadataFacets } from '../audit/metadata-facets';
import { linkHash, sha256Hex } from './hashing';

export interface ChainHead {
  sequence: number;
  chainHash: string;
}

/** What the client gets back for each event, in input order. */
export interface Receipt {
  id: string;
  sequence: number;
  hash: string;
  chainHash: string;
  recordedAt: string;
  idempotencyKey: string | null;
  /** True when this is the original receipt of an earlier request with the same idempotency key. */
  replayed: boolean;
}

/** An already-recorded event found by idempotency key. */
export interface KeyedReceipt extends Omit<Receipt, 'replayed'> {
  payloadHash: string;
}

export interface AppendPlan {
  /** Column values for the audit_event INSERT, in AUDIT_EVENT_COLUMNS order. */
  eventRows: unknown[][];
  /** Column values for the audit_event_label INSERT, in LABEL_COLUMNS order. */
  labelRows: unknown[][];
  /** Column values for the audit_event_rollup upsert, in ROLLUP_COLUMNS order. */
  rollupRows: unknown[][];
  receipts: Receipt[];
  head: ChainHead;
}

export const LABEL_COLUMNS = ['event_id', 'kind', 'value', 'tenant_id', 'sequence'] as const;

/**
 * The idempotency scope of an event (ADR 0016): the id of the API key that wrote it when it carries
 * an idempotency key, so that only that key's retries find it; '' otherwise.
 */
export const idempotencyScope = (e: PreparedEvent, writer: string | null): string => (e.idempotencyKey !== null ? (writer ?? '') : '');

/**
 * An event's column values that do not depend on its place in the chain (AUDIT_EVENT_COLUMNS order);
 * `writer` is the id of the API key that sends it (null for the server's own events).
 */
export function staticEventValues(
  tenantId: string,
  id: string,
  e: PreparedEvent,
  writer: string | null = null,
): (string | number | null)[] {
  const p = e.payload;
  return [
    id,
    tenantId,
    toSqlDateTime(p.occurredAt),
    p.actor.id,
    p.actor.type,
    p.actor.displayName,
    p.actor.ip,
    p.actor.userAgent,
    p.action,
    p.resource.type,
    p.resource.id,
    p.resource.name,
    p.outcome.status,
    p.outcome.reason,
    severityRank(p.severity),
    classificationRank(p.classification),
    p.requestId,
    p.sessionId,
    p.sourceService,
    e.metadataJson,
    e.idempotencyKey,
    e.payloadHash,
    idempotencyScope(e, writer),
    p.sealed ?? null,
  ];
}

/** An event that gets a new place in the chain. */
export interface Link {
  /** Index in the batch. */
  index: number;
  id: string;
  sequence: number;
  hash: string;
  chainHash: string;
}

export interface LinkedBatch {
  links: Link[];
  receipts: Receipt[];
  head: ChainHead;
  recordedAt: string;
}

/**
 * The heart of an append, run while the chain head is locked: given the head and the receipts
 * already stored under the batch's idempotency keys by the same API key (`stored` holds no other
 * key's events), assigns sequences and hashes. Replays get their original receipt; a key reused for
 * another payload throws IDEMPOTENCY_CONFLICT (the caller rolls back). `ids[i]` is event i's id,
 * generated before the lock.
 */
export function linkEvents(
  tenantId: string,
  head: ChainHead,
  events: PreparedEvent[],
  ids: string[],
  stored: Map<string, KeyedReceipt>,
  now: Date = new Date(),
): LinkedBatch {
  const recordedAt = now.toISOString();
  const links: Link[] = [];
  const receipts: Receipt[] = [];
  const conflicts: Problem[] = [];
  const inBatch = new Map<string, KeyedReceipt>();
  let { sequence, chainHash } = head;

  const batch = batchFields(tenantId, recordedAt);

  for (let index = 0; index < events.length; index += 1) {
    const { fragments, payloadHash, idempotencyKey } = events[index];
    if (idempotencyKey !== null) {
      const earlier = stored.get(idempotencyKey) ?? inBatch.get(idempotencyKey);
      if (earlier) {
        if (earlier.payloadHash !== payloadHash) {
          conflicts.push({
            path: `events[${index}].idempotencyKey`,
            // Only that this API key used it for another payload: nothing about the stored event.
            message: 'was already used by this API key for a different event',
          });
        }
        const { payloadHash: _ignored, ...receipt } = earlier;
        receipts.push({ ...receipt, replayed: true });
        continue;
      }
    }
    sequence += 1;
    const id = ids[index];
    const hash = sha256Hex(canonicalBatchEvent(fragments, id, sequence, batch));
    chainHash = linkHash(chainHash, hash);
    links.push({ index, id, sequence, hash, chainHash });
    if (idempotencyKey !== null) inBatch.set(idempotencyKey, { id, sequence, hash, chainHash, recordedAt, idempotencyKey, payloadHash });
    receipts.push({ id, sequence, hash, chainHash, recordedAt, idempotencyKey, replayed: false });
  }

  if (conflicts.length) {
    throw new AppError(
      ErrorCode.IDEMPOTENCY_CONFLICT,
      'An idempotency key this API key already used was sent with a different event; nothing was recorded. Use a new key for a new event, or resend the original payload unchanged.',
      { problems: conflicts },
    );
  }
  return { links, receipts, head: { sequence, chainHash }, recordedAt };
}

/** linkEvents plus the rows to insert, as bound-parameter values (the SQLite path, the benchmark). */
export function planAppend(
  tenantId: string,
  head: ChainHead,
  events: PreparedEvent[],
  stored: Map<string, KeyedReceipt>,
  now: Date = new Date(),
  newId: () => string = uuidv7,
  writer: string | null = null,
  facets?: MetadataFacets,
): AppendPlan {
  const ids = events.map(() => newId());
  const linked = linkEvents(tenantId, head, events, ids, stored, now);
  return appendRows(
    tenantId,
    events,
    events.map((e, i) => staticEventValues(tenantId, ids[i], e, writer)),
    linked,
    facets,
  );
}

/**
 * The rows of a linked batch: `staticRows[i]` is event i's staticEventValues, made before the lock
 * (the group commit prepares them while the previous group holds it, ADR 0052).
 */
export function appendRows(
  tenantId: string,
  events: readonly PreparedEvent[],
  staticRows: readonly (string | number | null)[][],
  linked: LinkedBatch,
  facets?: MetadataFacets,
): AppendPlan {
  const recordedAtSql = toSqlDateTime(linked.recordedAt);
  const eventRows: unknown[][] = [];
  const labelRows: unknown[][] = [];
  for (const { index, id, sequence, hash, chainHash } of linked.links) {
    const event = events[index];
    eventRows.push([...staticRows[index], sequence, recordedAtSql, hash, chainHash]);
    for (const value of event.payload.categories) labelRows.push([id, 'category', value, tenantId, sequence]);
    for (const value of event.payload.tags) labelRows.push([id, 'tag', value, tenantId, sequence]);
    // The metadata facets of the loaded rules (ADR 0056): derived, not hashed.
    if (facets) for (const value of facets.keysOf(event.metadataJson)) labelRows.push([id, FACET_KIND, value, tenantId, sequence]);
  }
  const rollupRows = rollupGroups(events, rollupName, linked.links).map((g) => [
    ...rollupKey(tenantId, g.key),
    g.count,
    g.minSequence,
    g.maxSequence,
  ]);
  return { eventRows, labelRows, rollupRows, receipts: linked.receipts, head: linked.head };
}

/** audit_event_rollup: the key columns (the primary key), then the categories and the three sums. */
export const ROLLUP_KEY_COLUMNS = [
  'tenant_id',
  'day',
  'action',
  'outcome_status',
  'severity',
  'classification',
  'resource_type',
  'actor_type',
  'categories_key',
] as const;
export const ROLLUP_COLUMNS = [...ROLLUP_KEY_COLUMNS, 'categories', 'event_count', 'min_sequence', 'max_sequence'] as const;

/** The columns of an event the rollup groups by, as stored (ranks, not names). */
export interface RollupFields {
  day: string;
  action: string;
  outcomeStatus: string;
  severity: number;
  classification: number;
  resourceType: string;
  actorType: string;
  /** Sorted, unique. */
  categories: readonly string[];
}

/** The rollup key columns plus the categories (ROLLUP_COLUMNS up to `categories`). */
export function rollupKeyOf(tenantId: string, f: RollupFields): (string | number)[] {
  const categories = f.categories.join(',');
  return [
    tenantId,
    f.day,
    f.action,
    f.outcomeStatus,
    f.severity,
    f.classification,
    f.resourceType,
    f.actorType,
    categories ? sha256Hex(categories) : '',
    categories,
  ];
}

/** An event's rollup key, known before the lock. */
export const rollupKey = (tenantId: string, { payload: p }: PreparedEvent): (string | number)[] =>
  rollupKeyOf(tenantId, {
    day: p.occurredAt.slice(0, 10),
    action: p.action,
    outcomeStatus: p.outcome.status,
    severity: severityRank(p.severity),
    classification: classificationRank(p.classification),
    resourceType: p.resource.type,
    actorType: p.actor.type,
    categories: p.categories, // sorted and unique since validation
  });

/**
 * Tells an event's rollup key apart from the other keys of a tenant's batch without building it:
 * the fields joined by NUL, which none of them can hold (validation refuses control characters in
 * resource types and categories; actions, days and enums have fixed alphabets).
 */
export const rollupName = ({ payload: p }: PreparedEvent): string =>
  `${p.occurredAt.slice(0, 10)}\u0000${p.action}\u0000${p.outcome.status}\u0000${p.severity}\u0000${p.classification}\u0000${p.resource.type}\u0000${p.actor.type}\u0000${p.categories.join(',')}`;

/** One rollup row's worth of a batch: the events of one key, counted. */
export interface RollupGroup<K> {
  key: K;
  count: number;
  minSequence: number;
  maxSequence: number;
}

/** The batch's new events (replays excluded) counted per rollup key; `id` tells keys apart. */
export function rollupGroups<K>(
  keys: readonly K[],
  id: (key: K) => string,
  links: readonly { index: number; sequence: number }[],
): RollupGroup<K>[] {
  const groups = new Map<string, RollupGroup<K>>();
  for (const { index, sequence } of links) {
    const key = keys[index];
    const name = id(key);
    const group = groups.get(name);
    if (!group) groups.set(name, { key, count: 1, minSequence: sequence, maxSequence: sequence });
    else {
      group.count += 1;
      group.maxSequence = sequence; // links come in sequence order
    }
  }
  return [...groups.values()];
}

/** Splits rows for multi-row INSERTs: at most `maxRows` a statement and roughly `maxBytes` of values. */
export function chunkRows(rows: unknown[][], maxRows: number, maxBytes = 4 * 1024 * 1024): unknown[][][] {
  const chunks: unknown[][][] = [];
  let current: unknown[][] = [];
  let bytes = 0;
  for (const row of rows) {
    let size = 0;
    for (const value of row) size += typeof value === 'string' ? value.length * 2 + 4 : 8;
    if (current.length && (current.length >= maxRows || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length) chunks.push(current);
  return chunks;
}
