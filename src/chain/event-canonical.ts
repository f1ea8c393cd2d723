import { canonicalJson } from './canonical-json';
import type { AuditEventRecord, EventPayload } from '../audit/audit-event.model';

/**
 * The hot-path serialiser: produces exactly `canonicalJson(payload)` and
 * `canonicalJson(hashedView(record))` (a spec proves it), but with the key order written out once
 * instead of sorted per event, and the payload serialised once for both hashes. Event keys in
 * RFC 8785 order: action actor categories classification id metadata occurredAt outcome
 * recordedAt requestId resource [sealed] sequence sessionId severity sourceService tags tenantId v
 * (`sealed` and `"v":2` only for an event with sealed personal fields, ADR 0042).
 */
export interface PayloadFragments {
  /** action … classification */
  a: string;
  /** metadata … outcome */
  b: string;
  /** requestId, resource */
  c: string;
  /** sessionId … tags */
  d: string;
  /** `"sealed":…,` for an event with sealed fields (version 2); '' otherwise (version 1). */
  s: string;
}

const str = (value: string | null): string => (value === null ? 'null' : JSON.stringify(value));
const list = (values: string[]): string => `[${values.map((v) => JSON.stringify(v)).join(',')}]`;

/** `metadataJson` is the canonical JSON of the metadata object (or null). */
export function payloadFragments(p: EventPayload, metadataJson: string | null): PayloadFragments {
  return {
    a: fragmentA(p),
    b: fragmentB(p, metadataJson),
    c: fragmentC(p),
    d:
      `"sessionId":${str(p.sessionId)},"severity":${JSON.stringify(p.severity)},` +
      `"sourceService":${str(p.sourceService)},"tags":${list(p.tags)}`,
    s: fragmentS(p),
  };
}

/**
 * The fragments of `p`, made from `base` (the fragments of the same event before sealing, ADR 0042)
 * by writing again only what sealing changed: the actor, the resource, the metadata, `sealed`.
 */
export function sealedFragments(
  base: PayloadFragments,
  p: EventPayload,
  metadataJson: string | null,
  changed: { actor: boolean; resource: boolean; metadata: boolean },
): PayloadFragments {
  return {
    a: changed.actor ? fragmentA(p) : base.a,
    b: changed.metadata ? fragmentB(p, metadataJson) : base.b,
    c: changed.resource ? fragmentC(p) : base.c,
    d: base.d,
    s: fragmentS(p),
  };
}

/** The fragments of `p`, made from `base` (the same event before classification rules applied) by writing again the one that holds classification and categories. */
export const classifiedFragments = (base: PayloadFragments, p: EventPayload): PayloadFragments => ({ ...base, a: fragmentA(p) });

function fragmentA(p: EventPayload): string {
  const { actor } = p;
  return (
    `"action":${JSON.stringify(p.action)},` +
    `"actor":{"displayName":${str(actor.displayName)},"id":${JSON.stringify(actor.id)},"ip":${str(actor.ip)},"type":${JSON.stringify(actor.type)},"userAgent":${str(actor.userAgent)}},` +
    `"categories":${list(p.categories)},"classification":${JSON.stringify(p.classification)}`
  );
}

function fragmentB(p: EventPayload, metadataJson: string | null): string {
  return (
    `"metadata":${metadataJson ?? 'null'},"occurredAt":${JSON.stringify(p.occurredAt)},` +
    `"outcome":{"reason":${str(p.outcome.reason)},"status":${JSON.stringify(p.outcome.status)}}`
  );
}

function fragmentC(p: EventPayload): string {
  const { resource } = p;
  return (
    `"requestId":${str(p.requestId)},` +
    `"resource":{"id":${JSON.stringify(resource.id)},"name":${str(resource.name)},"type":${JSON.stringify(resource.type)}}`
  );
}

const fragmentS = (p: EventPayload): string => (p.sealed === undefined || p.sealed === null ? '' : `"sealed":${JSON.stringify(p.sealed)},`);

/** canonicalJson(payload). */
export const canonicalPayload = (f: PayloadFragments): string => `{${f.a},${f.b},${f.c},${f.d}}`;

/** The server fields an append gives all events of a batch, serialised once for the batch. */
export interface BatchFields {
  /** `"recordedAt":…,` */
  recordedAt: string;
  /** `,"tenantId":…,"v":1}` */
  tail: string;
  /** `,"tenantId":…,"v":2}`, for events with sealed fields. */
  tailSealed: string;
}

export const batchFields = (tenantId: string, recordedAt: string): BatchFields => ({
  recordedAt: `"recordedAt":${JSON.stringify(recordedAt)},`,
  tail: `,"tenantId":${JSON.stringify(tenantId)},"v":1}`,
  tailSealed: `,"tenantId":${JSON.stringify(tenantId)},"v":2}`,
});

/** canonicalEvent for an event of a batch whose shared fields are already serialised. */
export const canonicalBatchEvent = (f: PayloadFragments, id: string, sequence: number, batch: BatchFields): string =>
  `{${f.a},"id":${JSON.stringify(id)},${f.b},${batch.recordedAt}${f.c},${f.s}"sequence":${sequence},${f.d}${f.s ? batch.tailSealed : batch.tail}`;

/** canonicalJson(hashedView(record)) for the record made of the payload plus these server fields. */
export const canonicalEvent = (
  f: PayloadFragments,
  server: Pick<AuditEventRecord, 'id' | 'tenantId' | 'sequence' | 'recordedAt'>,
): string => canonicalBatchEvent(f, server.id, server.sequence, batchFields(server.tenantId, server.recordedAt));

/** Fragments for an event read back from storage (the verifier's path). */
export const storedFragments = (p: EventPayload): PayloadFragments =>
  payloadFragments(p, p.metadata === null ? null : canonicalJson(p.metadata));
