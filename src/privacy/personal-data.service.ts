import { canonicalJson } from '../chain/canonical-json';
import { sealedFragments } from '../chain/event-canonical';
import type { PreparedEvent } from '../chain/prepared-event';
import { ActorType, type EventPayload } from '../audit/audit-event.model';
import type { StoredEvent } from '../audit/audit-event.repository';
import { ERASED, type PersonalData } from '../audit/personal-data';
import { hmac, IvPool, open, seal } from './privacy-key';
import type { Subject, SubjectVault } from './subject-vault';
import type { SealedBatch, Sealer } from '../ingest/sealer';

/** Categories that make an event's metadata personal (ADR 0042). */
export const PERSONAL_CATEGORIES: ReadonlySet<string> = new Set(['PII', 'PHI', 'SPECIAL_CATEGORY']);

/** The resource types whose id names a data subject unless configured otherwise. */
export const DEFAULT_SUBJECT_RESOURCE_TYPES: readonly string[] = ['user', 'user_profile', 'customer', 'data_subject', 'patient'];

export const ACTOR_FIELDS = ['actor.id', 'actor.displayName', 'actor.ip', 'actor.userAgent'] as const;
export const RESOURCE_FIELDS = ['resource.id', 'resource.name'] as const;
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

const ACTOR_MASK = fieldMask(ACTOR_FIELDS);
const RESOURCE_MASK = fieldMask(RESOURCE_FIELDS);
const METADATA_MASK = fieldMask(['metadata']);
/** The JSON of a part's `fields` by its mask (field names only, in sorted order — which FIELD_ORDER's bits give here). */
const FIELDS_JSON: string[] = [];
const fieldsJsonOf = (mask: number): string => (FIELDS_JSON[mask] ??= JSON.stringify(fieldsOfMask(mask).sort()));

/** One subject's part of an event's `sealed` column: which fields it holds (names only) and their ciphertext. */
interface SealedPart {
  fields: string[];
  ct: string;
}

export interface PersonalDataOptions {
  /** Resource types (each also as a prefix followed by `.` or `_`) whose resource id is a data subject. */
  subjectResourceTypes: readonly string[];
}

/** What one batch's sealing computes once: the subjects' AADs, the addresses' pseudonyms. */
interface BatchMemo {
  aads: Map<string, Buffer>;
  ips: Map<string, string>;
}

const aad = (tenantId: string, ref: string) => `${tenantId}\u0000${ref}`;
/** The longest sealing holds the event loop before it yields. */
const SLICE_MS = 8;

/**
 * Seals personal fields at ingest and opens them at read (ADR 0042). Implements ingest's Sealer
 * (`seal`) and reads' PersonalData port.
 */
export class PersonalDataService implements PersonalData, Sealer {
  /** Metadata keys some loaded rule reads: kept in clear (they are enumerations the rules test). */
  private clearMetadataKeys: ReadonlySet<string> = new Set();
  private readonly ivs = new IvPool();

  constructor(
    private readonly vault: SubjectVault,
    private readonly options: PersonalDataOptions,
  ) {}

  /** The metadata keys the loaded frameworks' rules read (known once the plugins are loaded). */
  keepInClear(keys: ReadonlySet<string>): void {
    this.clearMetadataKeys = keys;
  }

  isSubjectResource(type: string): boolean {
    return this.options.subjectResourceTypes.some((t) => type === t || type.startsWith(`${t}.`) || type.startsWith(`${t}_`));
  }

  /** The subject ids an event names: its actor when a person, its resource when a data subject. */
  subjectsOf(p: EventPayload): { actor: string | null; resource: string | null } {
    return {
      actor: p.actor.type === ActorType.USER ? p.actor.id : null,
      resource: this.isSubjectResource(p.resource.type) ? p.resource.id : null,
    };
  }

  async seal(tenantId: string, events: PreparedEvent[]): Promise<SealedBatch> {
    const named = events.map((e) => this.subjectsOf(e.payload));
    const ids = new Set<string>();
    for (const n of named) {
      if (n.actor !== null) ids.add(n.actor);
      if (n.resource !== null) ids.add(n.resource);
    }
    if (!ids.size) return { events, erasureEpoch: null };
    // Held across batches while no subject of the tenant is erased (the append checks the epoch).
    const { subjects, epoch } = await this.vault.resolveForSealing(tenantId, [...ids]);
    // The fields this batch seals under each key, so that the subject's row names them (an erasure reads no event).
    const masks = new Map<string, number>();
    // For this batch only: each subject's AAD encoded once, each address pseudonymised once.
    const batch: BatchMemo = { aads: new Map(), ips: new Map() };
    const sealed: PreparedEvent[] = [];
    let since = performance.now();
    for (const [i, e] of events.entries()) {
      // Sealing costs tens of microseconds an event: a large batch yields so other requests keep being answered.
      if (performance.now() - since >= SLICE_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        since = performance.now();
      }
      const n = named[i];
      sealed.push(
        n.actor === null && n.resource === null
          ? e
          : this.sealOne(
              tenantId,
              e,
              n.actor === null ? null : subjects.get(n.actor)!,
              n.resource === null ? null : subjects.get(n.resource)!,
              masks,
              batch,
            ),
      );
    }
    // Recorded before the events are appended: a failed append leaves a field named that no event holds, never the reverse.
    const grown = new Map<string, number>();
    for (const subject of subjects.values()) {
      const mask = masks.get(subject.ref) ?? 0;
      if (subject.sealedFields !== null && (subject.sealedFields & mask) !== mask) grown.set(subject.ref, mask);
    }
    if (grown.size) {
      await this.vault.addSealedFields(tenantId, grown);
      for (const subject of subjects.values()) if (subject.sealedFields !== null) subject.sealedFields |= masks.get(subject.ref) ?? 0;
    }
    return { events: sealed, erasureEpoch: epoch };
  }

  /** The IP pseudonym, computed once per address in a batch (the memo lives for that batch only). */
  private ipPseudonym(tenantId: string, ip: string, batch: BatchMemo): string {
    let pseudonym = batch.ips.get(ip);
    if (pseudonym === undefined) batch.ips.set(ip, (pseudonym = this.vault.ipPseudonym(tenantId, ip)));
    return pseudonym;
  }

  stale(tenantId: string, erasureEpoch: number): void {
    this.vault.stale(tenantId, erasureEpoch);
  }

  private sealOne(
    tenantId: string,
    e: PreparedEvent,
    actorSubject: Subject | null,
    resourceSubject: Subject | null,
    masks: Map<string, number>,
    batch: BatchMemo,
  ): PreparedEvent {
    const p = e.payload;
    // One part per subject (the actor's and the resource's, or one when they are the same subject),
    // its fields as a mask (their names are written in sorted order: actor.*, metadata, resource.*).
    const parts: { subject: Subject; mask: number; values: Record<string, unknown> }[] = [];
    const partOf = (subject: Subject) => {
      let part = parts.length && parts[0].subject.ref === subject.ref ? parts[0] : parts[1];
      if (!part || part.subject.ref !== subject.ref) parts.push((part = { subject, mask: 0, values: {} }));
      return part;
    };
    let { actor, resource, metadata } = p;
    if (actorSubject) {
      const part = partOf(actorSubject);
      part.mask |= ACTOR_MASK;
      part.values['actor.id'] = actor.id;
      part.values['actor.displayName'] = actor.displayName;
      part.values['actor.ip'] = actor.ip;
      part.values['actor.userAgent'] = actor.userAgent;
      actor = {
        id: actorSubject.ref,
        type: actor.type,
        displayName: null,
        ip: actor.ip === null ? null : this.ipPseudonym(tenantId, actor.ip, batch),
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
        if (this.clearMetadataKeys.has(key)) clear[key] = value;
        else {
          personal[key] = value;
          personalKeys += 1;
        }
      }
      if (personalKeys) {
        const part = partOf(owner);
        part.mask |= METADATA_MASK;
        part.values.metadata = personal;
        metadata = personalKeys < Object.keys(metadata).length ? clear : null;
        metadataChanged = true;
      }
    }
    if (resourceSubject) {
      const part = partOf(resourceSubject);
      part.mask |= RESOURCE_MASK;
      part.values['resource.id'] = resource.id;
      part.values['resource.name'] = resource.name;
      resource = { type: resource.type, id: resourceSubject.ref, name: null };
    }
    // The envelope's canonical JSON written out (refs sorted, `ct` before `fields`, every value
    // ASCII; `ct` is base64 made here, so it needs no escaping); the plaintext inside as plain JSON
    // (it is never hashed).
    if (parts.length === 2 && parts[1].subject.ref < parts[0].subject.ref) parts.reverse();
    let sealed = '{';
    for (const [i, part] of parts.entries()) {
      const { ref, key } = part.subject;
      masks.set(ref, (masks.get(ref) ?? 0) | part.mask);
      let aadBytes = batch.aads.get(ref);
      if (!aadBytes) batch.aads.set(ref, (aadBytes = Buffer.from(aad(tenantId, ref), 'utf8')));
      const ct = seal(key, JSON.stringify(part.values), aadBytes, this.ivs.next());
      sealed += `${i ? ',' : ''}${JSON.stringify(ref)}:{"ct":"${ct}","fields":${fieldsJsonOf(part.mask)}}`;
    }
    sealed += '}';
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
  async open(tenantId: string, events: StoredEvent[]): Promise<StoredEvent[]> {
    const parsed = events.map((e) => (e.sealed ? (JSON.parse(e.sealed) as Record<string, SealedPart>) : null));
    const refs = new Set<string>();
    for (const parts of parsed) if (parts) for (const ref of Object.keys(parts)) refs.add(ref);
    const keys = await this.vault.keysOf(tenantId, [...refs]);
    return events.map((event, i) => {
      const { sealed: _sealed, ...e } = event;
      const parts = parsed[i];
      if (!parts) return e;
      const actor = { ...e.actor };
      const resource = { ...e.resource };
      let metadata = e.metadata;
      const erasedFields: string[] = [];
      const set = (field: string, value: unknown) => {
        if (field === 'metadata') metadata = { ...(metadata ?? {}), ...(value as Record<string, unknown>) };
        else if (field.startsWith('actor.')) (actor as Record<string, unknown>)[field.slice(6)] = value;
        else (resource as Record<string, unknown>)[field.slice(9)] = value;
      };
      for (const [ref, part] of Object.entries(parts)) {
        const key = keys.get(ref);
        if (key) {
          const values = JSON.parse(open(key, part.ct, aad(tenantId, ref))) as Record<string, unknown>;
          for (const field of part.fields) set(field, values[field]);
        } else {
          for (const field of part.fields) {
            if (field !== 'metadata') set(field, ERASED);
            erasedFields.push(field);
          }
        }
      }
      erasedFields.sort((x, y) => FIELD_ORDER.indexOf(x) - FIELD_ORDER.indexOf(y));
      return {
        ...e,
        actor,
        resource,
        metadata,
        erasedFields,
        stored: { actor: e.actor, resource: e.resource, metadata: e.metadata, sealed: event.sealed! },
      };
    });
  }

  refsOf(tenantId: string, ids: readonly string[]): Promise<Map<string, string>> {
    return this.vault.refsOf(tenantId, ids);
  }

  idsOf(tenantId: string, refs: readonly string[]): Promise<Map<string, string>> {
    return this.vault.idsOf(tenantId, refs);
  }

  pseudonymOf(tenantId: string, value: string): string {
    return this.vault.readPseudonymOf(tenantId, value);
  }
}

/** What a subject access export shows in place of a field sealed under another data subject's key. */
export const WITHHELD = '[withheld]';

/**
 * An opened event as one subject's export shows it: the fields sealed under another subject's key
 * (the person who acted on the subject, the person the subject acted on) withheld, sealed metadata
 * of another subject's reduced to its clear keys. GDPR Art. 15(4): the copy must not adversely
 * affect the rights and freedoms of others.
 */
export function withholdOthers(event: StoredEvent, ref: string): StoredEvent {
  const { stored } = event;
  if (!stored) return event;
  let { actor, resource, metadata } = event;
  for (const [owner, part] of Object.entries(JSON.parse(stored.sealed) as Record<string, SealedPart>)) {
    if (owner === ref) continue;
    for (const field of part.fields) {
      // A field of an erased subject already reads `[erased]`: that stays (it says more, and is true).
      if (event.erasedFields?.includes(field)) continue;
      if (field === 'metadata') metadata = stored.metadata;
      else if (field.startsWith('actor.')) actor = { ...actor, [field.slice(6)]: WITHHELD };
      else resource = { ...resource, [field.slice(9)]: WITHHELD };
    }
  }
  return { ...event, actor, resource, metadata };
}

/** Every metadata key a rule of the catalogs reads (the first segment of each `metadata[].path`). */
export function metadataKeysReadBy(catalogs: readonly unknown[]): Set<string> {
  const keys = new Set<string>();
  const seen = new Set<object>();
  const walk = (value: unknown) => {
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) {
      value.forEach(walk);
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      if (k === 'metadata' && Array.isArray(v)) {
        for (const p of v)
          if (p && typeof p === 'object' && typeof (p as { path?: unknown }).path === 'string')
            keys.add((p as { path: string }).path.split('.')[0]);
      }
      walk(v);
    }
  };
  catalogs.forEach(walk);
  return keys;
}
