import type { PreparedEvent } from '../chain/prepared-event';
import { ActorType, type EventPayload } from '../audit/audit-event.model';
import type { ListedEvent } from '../audit/audit-event.repository';
import { ERASED, type PersonalData } from '../audit/personal-data';
import { IvPool, open } from './privacy-key';
import { aad, FIELD_ORDER, type SealContext, sealEvent, type SealingSubject } from './seal-event';
import type { SealPool } from './seal-pool';
import type { SubjectVault } from './subject-vault';
import type { SealedBatch, Sealer } from '../ingest/sealer';

/** The resource types whose id names a data subject unless configured otherwise. */
export const DEFAULT_SUBJECT_RESOURCE_TYPES: readonly string[] = ['user', 'user_profile', 'customer', 'data_subject', 'patient'];

export { ACTOR_FIELDS, FIELD_ORDER, fieldMask, fieldsOfMask, PERSONAL_CATEGORIES, RESOURCE_FIELDS } from './seal-event';

/** One subject's part of an event's `sealed` column: which fields it holds (names only) and their ciphertext. */
interface SealedPart {
  fields: string[];
  ct: string;
}

export interface PersonalDataOptions {
  /** Resource types (each also as a prefix followed by `.` or `_`) whose resource id is a data subject. */
  subjectResourceTypes: readonly string[];
}

/** The longest sealing holds the event loop before it yields. */
const SLICE_MS = 8;
/**
 * The fewest events for which a batch is sealed in two parts, one on the sealing worker: below
 * it, copying the events to the worker and back costs more than the thread it frees.
 */
export const SEAL_OFFLOAD_MIN = 256;

/** Only what sealing needs of a subject goes to the worker. */
const strip = (s: SealingSubject | null): SealingSubject | null => (s === null ? null : { ref: s.ref, key: s.key });

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
    /** Seals a share of large batches off the ingest thread; null: all on it. */
    private readonly pool: SealPool | null = null,
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
    const actorOf = (i: number) => (named[i].actor === null ? null : subjects.get(named[i].actor)!);
    const resourceOf = (i: number) => (named[i].resource === null ? null : subjects.get(named[i].resource)!);
    // The fields this batch seals under each key, so that the subject's row names them (an erasure reads no event).
    const masks = new Map<string, number>();
    // A large batch: the worker seals its second part while this thread seals the first.
    const split = this.pool && events.length >= SEAL_OFFLOAD_MIN ? Math.ceil(events.length / 2) : events.length;
    const offloaded =
      split < events.length
        ? this.pool!.run({
            tenantId,
            pseudonymKey: this.vault.pseudonymKey(tenantId),
            clearMetadataKeys: [...this.clearMetadataKeys],
            events: events.slice(split),
            actors: events.slice(split).map((_, j) => strip(actorOf(split + j))),
            resources: events.slice(split).map((_, j) => strip(resourceOf(split + j))),
          })
        : null;
    // Settled even if this thread's part throws: a rejection is never left unhandled.
    offloaded?.catch(() => undefined);
    const ctx: SealContext = {
      clearMetadataKeys: this.clearMetadataKeys,
      ipPseudonym: (ip) => this.vault.ipPseudonym(tenantId, ip),
      iv: () => this.ivs.next(),
    };
    const sealed: PreparedEvent[] = [];
    let since = performance.now();
    for (let i = 0; i < split; i += 1) {
      // Sealing costs tens of microseconds an event: a large batch yields so other requests keep being answered.
      if (performance.now() - since >= SLICE_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        since = performance.now();
      }
      const n = named[i];
      sealed.push(
        n.actor === null && n.resource === null ? events[i] : sealEvent(ctx, tenantId, events[i], actorOf(i), resourceOf(i), masks),
      );
    }
    if (offloaded) {
      const rest = await offloaded;
      sealed.push(...rest.sealed);
      for (const [ref, mask] of rest.masks) masks.set(ref, (masks.get(ref) ?? 0) | mask);
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

  stale(tenantId: string, erasureEpoch: number): void {
    this.vault.stale(tenantId, erasureEpoch);
  }

  async open<E extends ListedEvent>(tenantId: string, events: E[]): Promise<E[]> {
    const parsed = events.map((e) => (e.sealed ? (JSON.parse(e.sealed) as Record<string, SealedPart>) : null));
    const refs = new Set<string>();
    for (const parts of parsed) if (parts) for (const ref of Object.keys(parts)) refs.add(ref);
    const keys = await this.vault.keysOf(tenantId, [...refs]);
    return events.map((event, i) => {
      const parts = parsed[i];
      // Nothing sealed: the event as read, copied only to drop a `sealed: null`.
      if (!parts && !('sealed' in event)) return event;
      const { sealed: _sealed, ...rest } = event;
      const e = rest as E;
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
export function withholdOthers<E extends ListedEvent>(event: E, ref: string): E {
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
