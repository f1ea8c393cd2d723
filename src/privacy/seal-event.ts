import { canonicalJson } from '../chain/canonical-json';
import { sealedFragments } from '../chain/event-canonical';
import type { PreparedEvent } from '../chain/prepared-event';
import type { EventPayload } from '../audit/audit-event.model';
import { hmac, seal } from './privacy-key';

/**
 * How one event's personal fields are sealed (ADR 0042): a pure function of the event, its
 * subjects' keys and the tenant's pseudonym key, so that the ingest thread and the sealing workers
 * (seal-pool.ts, ADR 0052 amended 2026-12-07) run the same code.
 */

/** Categories that make an event's metadata personal (ADR 0042). */
export const PERSONAL_CATEGORIES: ReadonlySet<string> = new Set(['PII', 'PHI', 'SPECIAL_CATEGORY']);

export const ACTOR_FIELDS = ['actor.id', 'actor.displayName', 'actor.ip', 'actor.userAgent'] as const;
export const RESOURCE_FIELDS = ['resource.id', 'resource.name'] as const;
const SORTED_ACTOR_FIELDS = [...ACTOR_FIELDS].sort();
const SORTED_RESOURCE_FIELDS = [...RESOURCE_FIELDS].sort();
/** The order erased fields are named in, everywhere. */
export const FIELD_ORDER: readonly string[] = [...ACTOR_FIELDS, ...RESOURCE_FIELDS, 'metadata'];

/** The bits of `fields` in a `data_subject.sealed_fields` mask: bit i is FIELD_ORDER[i]. */
export function fieldMask(fields: readonly string[]): number {
  let mask = 0;
  for (const f of fields) mask |= 1 << FIELD_ORDER.indexOf(f);
  return mask;
}

/** The fields of a `sealed_fields` mask, in FIELD_ORDER. */
export const fieldsOfMask = (mask: number): string[] => FIELD_ORDER.filter((_, i) => (mask & (1 << i)) !== 0);

export const aad = (tenantId: string, ref: string) => `${tenantId}\u0000${ref}`;

/** The keyed pseudonym of an IP address, stored in place of it (under the tenant's pseudonym key). */
export const ipPseudonymWith = (pseudonymKey: Buffer, ip: string): string => `ip_${hmac(pseudonymKey, `ip\u0000${ip}`)}`;

/** A data subject as sealing needs it: its reference and its data key. */
export interface SealingSubject {
  ref: string;
  key: Buffer;
}

/** What sealing a tenant's events needs beside the subjects. */
export interface SealContext {
  /** Metadata keys some loaded rule reads: kept in clear. */
  clearMetadataKeys: ReadonlySet<string>;
  ipPseudonym: (ip: string) => string;
  /** A fresh 96-bit IV. */
  iv: () => Buffer;
}

/**
 * The event with its personal fields sealed under its subjects' keys; `masks` gains, per subject
 * reference, the fields sealed under it.
 */
export function sealEvent(
  ctx: SealContext,
  tenantId: string,
  e: PreparedEvent,
  actorSubject: SealingSubject | null,
  resourceSubject: SealingSubject | null,
  masks: Map<string, number>,
): PreparedEvent {
  const p = e.payload;
  // One part per subject (the actor's and the resource's, or one when they are the same subject),
  // its field names pushed in sorted order: actor.*, metadata, resource.*.
  const parts: { subject: SealingSubject; fields: string[]; values: Record<string, unknown> }[] = [];
  const partOf = (subject: SealingSubject) => {
    let part = parts.find((x) => x.subject.ref === subject.ref);
    if (!part) parts.push((part = { subject, fields: [], values: {} }));
    return part;
  };
  let { actor, resource, metadata } = p;
  if (actorSubject) {
    const part = partOf(actorSubject);
    part.fields.push(...SORTED_ACTOR_FIELDS);
    part.values['actor.id'] = actor.id;
    part.values['actor.displayName'] = actor.displayName;
    part.values['actor.ip'] = actor.ip;
    part.values['actor.userAgent'] = actor.userAgent;
    actor = {
      id: actorSubject.ref,
      type: actor.type,
      displayName: null,
      ip: actor.ip === null ? null : ctx.ipPseudonym(actor.ip),
      userAgent: null,
    };
  }
  const owner = resourceSubject ?? actorSubject!;
  let metadataChanged = false;
  if (metadata !== null && p.categories.some((c) => PERSONAL_CATEGORIES.has(c))) {
    const clear: Record<string, unknown> = {};
    const personal: Record<string, unknown> = {};
    let personalKeys = 0;
    for (const [key, value] of Object.entries(metadata)) {
      if (ctx.clearMetadataKeys.has(key)) clear[key] = value;
      else {
        personal[key] = value;
        personalKeys += 1;
      }
    }
    if (personalKeys) {
      const part = partOf(owner);
      part.fields.push('metadata');
      part.values.metadata = personal;
      metadata = personalKeys < Object.keys(metadata).length ? clear : null;
      metadataChanged = true;
    }
  }
  if (resourceSubject) {
    const part = partOf(resourceSubject);
    part.fields.push(...SORTED_RESOURCE_FIELDS);
    part.values['resource.id'] = resource.id;
    part.values['resource.name'] = resource.name;
    resource = { type: resource.type, id: resourceSubject.ref, name: null };
  }
  // The envelope's canonical JSON written out (refs sorted, `ct` before `fields`, every value ASCII);
  // the plaintext inside as plain JSON (it is never hashed).
  if (parts.length === 2 && parts[1].subject.ref < parts[0].subject.ref) parts.reverse();
  const envelope = parts.map((part) => {
    const { ref, key } = part.subject;
    masks.set(ref, (masks.get(ref) ?? 0) | fieldMask(part.fields));
    const ct = seal(key, JSON.stringify(part.values), aad(tenantId, ref), ctx.iv());
    return `${JSON.stringify(ref)}:{"ct":${JSON.stringify(ct)},"fields":${JSON.stringify(part.fields)}}`;
  });
  const sealed = `{${envelope.join(',')}}`;
  const metadataJson = !metadataChanged ? e.metadataJson : metadata === null ? null : canonicalJson(metadata);
  const payload: EventPayload = { ...p, actor, resource, metadata, sealed };
  return {
    ...e,
    payload,
    metadataJson,
    // Only what sealing changed is serialised again.
    fragments: sealedFragments(e.fragments, payload, metadataJson, {
      actor: actorSubject !== null,
      resource: resourceSubject !== null,
      metadata: metadataChanged,
    }),
    // Keyed by the subject's own key: once it is destroyed, nobody can test a guess of the payload against it.
    payloadHash: hmac(owner.key, `payload\u0000${e.payloadHash}`),
  };
}
