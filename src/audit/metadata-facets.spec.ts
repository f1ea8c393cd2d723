import { facetDefinition, facetKey, hasFacet, MetadataFacets, predicatesIn } from './metadata-facets';

describe('metadata facets (ADR 0056)', () => {
  it('gives a predicate one normal form: equals is a one-value in, values deduplicated and sorted, exists: false the complement', () => {
    const key = (p: Parameters<typeof facetDefinition>[0]) => facetKey(facetDefinition(p).definition);
    expect(key({ path: 'a', equals: 'x' })).toBe(key({ path: 'a', in: ['x'] }));
    expect(key({ path: 'a', in: ['y', 'x', 'y'] })).toBe(key({ path: 'a', in: ['x', 'y'] }));
    // The string "1" and the number 1 are two values, not one.
    expect(key({ path: 'a', in: ['1', 1] })).not.toBe(key({ path: 'a', in: [1] }));
    expect(facetDefinition({ path: 'a', in: ['1', 1] }).definition).toEqual({ path: 'a', in: [1, '1'] });
    expect(facetDefinition({ path: 'a', exists: false })).toEqual({ definition: { path: 'a', exists: true }, negated: true });
    expect(key({ path: 'a', exists: false })).toBe(key({ path: 'a', exists: true }));
    expect(key({ path: 'a.b', equals: 'x' })).toMatch(/^md:[0-9a-f]{48}$/);
  });

  it('reads a path the way the databases read $.a.b: own keys of objects, never an array index', () => {
    const isX = { path: 'a.b', in: ['x'] };
    expect(hasFacet(isX, { a: { b: 'x' } })).toBe(true);
    expect(hasFacet(isX, { a: { b: 'X' } })).toBe(false);
    expect(hasFacet(isX, { 'a.b': 'x' })).toBe(false);
    expect(hasFacet(isX, { a: [{ b: 'x' }] })).toBe(false);
    expect(hasFacet({ path: 'a.0', in: ['x'] }, { a: ['x'] })).toBe(false);
    expect(hasFacet({ path: 'a.length', in: [1] }, { a: 'x' })).toBe(false);
    expect(hasFacet({ path: 'toString', exists: true }, {})).toBe(false);
    expect(hasFacet({ path: 'a', in: [1] }, { a: '1' })).toBe(false);
    expect(hasFacet({ path: 'a', in: [true] }, { a: 'true' })).toBe(false);
    expect(hasFacet({ path: 'a', in: [1] }, { a: 1.0 })).toBe(true);
    expect(hasFacet({ path: 'a', exists: true }, { a: null })).toBe(false);
    expect(hasFacet({ path: 'a', exists: true }, { a: false })).toBe(true);
    expect(hasFacet({ path: 'a', exists: true }, null)).toBe(false);
  });

  it('labels stored metadata with the facets it has, and skips metadata holding none of their first keys', () => {
    const facets = new MetadataFacets(
      predicatesIn([
        { evidence: [{ match: { metadata: [{ path: 'mfa', equals: true }] } }] },
        {
          trigger: {
            metadata: [
              { path: 'dsar.type', in: ['erasure'] },
              { path: 'dsar.type', exists: false },
            ],
          },
        },
      ]),
    );
    expect(facets.size).toBe(3);
    const key = (p: Parameters<typeof facetDefinition>[0]) => facetKey(facetDefinition(p).definition);
    expect(facets.keysOf(JSON.stringify({ mfa: true }))).toEqual([key({ path: 'mfa', equals: true })]);
    expect(facets.keysOf(JSON.stringify({ dsar: { type: 'erasure' } })).sort()).toEqual(
      [key({ path: 'dsar.type', equals: 'erasure' }), key({ path: 'dsar.type', exists: true })].sort(),
    );
    // "mfa" as a value, not a key: parsed, no facet.
    expect(facets.keysOf(JSON.stringify({ note: 'mfa' }))).toEqual([]);
    expect(facets.keysOf(JSON.stringify({ other: 1 }))).toEqual([]);
    expect(facets.keysOf(null)).toEqual([]);
    expect(MetadataFacets.none().keysOf(JSON.stringify({ mfa: true }))).toEqual([]);
  });
});
