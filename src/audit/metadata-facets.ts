import { createHash } from 'node:crypto';
import type { MetadataPredicate } from '../plugin-api';

/**
 * Metadata facets (ADR 0056): each metadata predicate a loaded rule tests, answered once per event
 * when it is recorded and kept as a label of kind `facet` beside its categories and tags, so that an
 * assessment tests an index entry instead of reading the event's row and parsing its JSON. Derived
 * data: never part of the event hash, rebuilt from the stored metadata when a new predicate appears.
 */
export const FACET_KIND = 'facet';

type Scalar = string | number | boolean;

/** What one facet holds: the value at `path` is one of `in` (type and value), or is present and not null. */
export type FacetDefinition = { path: string; in: Scalar[] } | { path: string; exists: true };

/** A predicate as a facet: `exists: false` is the complement of the `exists: true` facet. */
export interface FacetOf {
  key: string;
  negated: boolean;
  /** No event up to the assessed head carries it (set per assessment): the predicate is a constant. */
  empty?: boolean;
}

const scalarKey = (x: Scalar) => `${typeof x}:${JSON.stringify(x)}`;

/** The facet a predicate is answered by, in one normal form (`equals` is a one-value `in`; values deduplicated and sorted). */
export function facetDefinition(p: MetadataPredicate): { definition: FacetDefinition; negated: boolean } {
  if (p.exists !== undefined) return { definition: { path: p.path, exists: true }, negated: !p.exists };
  const values = [...new Map((p.in ?? [p.equals!]).map((x) => [scalarKey(x), x])).entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, x]) => x);
  return { definition: { path: p.path, in: values }, negated: false };
}

/** The label value of a facet: `md:` and 48 hex digits of the SHA-256 of its definition (the registry keeps the definition). */
export const facetKey = (definition: FacetDefinition): string =>
  `md:${createHash('sha256').update(JSON.stringify(definition)).digest('hex').slice(0, 48)}`;

/**
 * The value at a dotted path of identifiers (rule paths are validated as such), as SQLite's
 * json_extract and MariaDB's JSON_EXTRACT read `$.a.b`: each step an own key of an object (never an
 * array index, never an inherited property); undefined when a step is missing.
 */
function valueAt(metadata: unknown, path: string | readonly string[]): unknown {
  let current = metadata;
  for (const step of typeof path === 'string' ? path.split('.') : path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, step)) return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

/**
 * Whether an event's metadata has the facet, with the predicate's SQL meaning (RuleSql.metadata):
 * `in` compares the JSON type and the value (`"1"` is not `1`, `true` is not `"true"`); `exists` holds
 * for a present value other than null. Numbers compare as the doubles both databases and the
 * canonical JSON the metadata is stored as (ADR 0003) use.
 */
export function hasFacet(definition: FacetDefinition, metadata: unknown, steps?: readonly string[]): boolean {
  const value = valueAt(metadata, steps ?? definition.path);
  if ('exists' in definition) return value !== undefined && value !== null;
  return definition.in.some((x) => typeof value === typeof x && value === x);
}

/** Every metadata predicate inside rules (any rule kind, any match of it: `match`, `trigger`, `population`, …). */
export function predicatesIn(rules: readonly unknown[]): MetadataPredicate[] {
  const out: MetadataPredicate[] = [];
  const seen = new Set<unknown>();
  const walk = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) return value.forEach(walk);
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'metadata' && Array.isArray(inner)) {
        for (const p of inner)
          if (p && typeof p === 'object' && typeof (p as MetadataPredicate).path === 'string') out.push(p as MetadataPredicate);
      } else walk(inner);
    }
  };
  rules.forEach(walk);
  return out;
}

/** The facets of a set of rules: which an event has when recorded, and which facet answers a predicate. */
export class MetadataFacets {
  /** Key → definition, in a stable order. */
  readonly definitions: ReadonlyMap<string, FacetDefinition>;
  private readonly list: [string, FacetDefinition][];
  /** Each facet with its path split once. */
  private readonly compiled: { key: string; definition: FacetDefinition; steps: string[] }[];
  /**
   * `"key":` of each facet's first path step: in canonical JSON (ADR 0003) a key is written so, and
   * inside a string value its quotes would be escaped, so metadata without any of these has no facet
   * and is not parsed (most events of a trail).
   */
  private readonly needles: string[];

  constructor(predicates: Iterable<MetadataPredicate>, definitions: Iterable<FacetDefinition> = []) {
    const map = new Map<string, FacetDefinition>();
    for (const p of predicates) {
      const { definition } = facetDefinition(p);
      map.set(facetKey(definition), definition);
    }
    for (const definition of definitions) map.set(facetKey(definition), definition);
    this.list = [...map.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    this.definitions = new Map(this.list);
    this.compiled = this.list.map(([key, definition]) => ({ key, definition, steps: definition.path.split('.') }));
    this.needles = [...new Set(this.compiled.map((c) => `${JSON.stringify(c.steps[0])}:`))];
  }

  static none(): MetadataFacets {
    return new MetadataFacets([]);
  }

  get size(): number {
    return this.list.length;
  }

  /** The facet keys an event with this stored metadata (canonical JSON, or null) has. */
  keysOf(metadataJson: string | null): string[] {
    if (metadataJson === null || this.list.length === 0) return [];
    if (!this.needles.some((needle) => metadataJson.includes(needle))) return [];
    const metadata: unknown = JSON.parse(metadataJson);
    const keys: string[] = [];
    for (const { key, definition, steps } of this.compiled) if (hasFacet(definition, metadata, steps)) keys.push(key);
    return keys;
  }
}
