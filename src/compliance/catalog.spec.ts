import type { Control, ControlMapping, DataCategory, FrameworkPlugin } from '../plugin-api';
import { BUILT_IN_PLUGINS } from '../../plugins/registry';
import { BUILT_IN_CATEGORIES, ComplianceCatalog } from './catalog';

const control = (id: string, mappings: ControlMapping[] = [], parentId?: string): Control => ({
  id,
  title: id,
  description: id,
  parentId,
  evidence: [],
  violations: [],
  mappings,
});

const framework = (id: string, controls: Control[], dataCategories?: DataCategory[]): FrameworkPlugin<unknown> => ({
  id: `framework-${id}`,
  kind: 'framework',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  catalog: { framework: { id, name: id, version: '1', description: id }, controls, dataCategories },
});

const view = (catalog: ComplianceCatalog, frameworkId: string, controlId: string) =>
  catalog.mappings(frameworkId, controlId).map((m) => `${m.frameworkId}:${m.controlId} ${m.relationship} ${m.direction}`);

describe('ComplianceCatalog', () => {
  describe('with the built-in plugins', () => {
    const catalog = new ComplianceCatalog(BUILT_IN_PLUGINS.filter((p): p is FrameworkPlugin<unknown> => p.kind === 'framework'));

    it('lists the frameworks in start order with their controls', () => {
      expect(catalog.frameworks().map((f) => [f.framework.id, f.plugin.id, f.controls.length])).toEqual([
        ['soc2', 'framework-soc2', 61],
        ['hipaa', 'framework-hipaa', 71],
        ['gdpr', 'framework-gdpr', 42],
      ]);
      expect(catalog.framework('nope')).toBeUndefined();
      expect(catalog.control('soc2', 'CC6.1')?.title).toBe('Logical access security');
      expect(catalog.control('hipaa', 'CC6.1')).toBeUndefined();
    });

    it('shows hipaa 164.312(b) the soc2 mapping declared towards it and its own gdpr mapping', () => {
      // Not GDPR Art. 30: that is the register of processing, not an activity log (issue 11).
      expect(view(catalog, 'hipaa', '164.312(b)')).toEqual(['soc2:CC7.2 INTERSECTS INVERSE', 'gdpr:Art. 32 INTERSECTS DECLARED']);
      expect(view(catalog, 'soc2', 'CC7.2')).toContain('hipaa:164.312(b) INTERSECTS DECLARED');
      expect(view(catalog, 'gdpr', 'Art. 32')).toEqual(expect.arrayContaining(['hipaa:164.312(b) INTERSECTS INVERSE']));
    });

    it('inverts SUBSET and SUPERSET for the other side', () => {
      expect(view(catalog, 'soc2', 'CC6.1')).toContain('gdpr:Art. 32 SUBSET DECLARED');
      expect(view(catalog, 'gdpr', 'Art. 32')).toContain('soc2:CC6.1 SUPERSET INVERSE');
      expect(view(catalog, 'hipaa', '164.312(d)')).toContain('gdpr:Art. 32 SUBSET DECLARED');
      expect(view(catalog, 'gdpr', 'Art. 32')).toContain('hipaa:164.312(d) SUPERSET INVERSE');
    });

    it('gives every mapping of a control once per other control', () => {
      for (const { framework: f, controls } of catalog.frameworks()) {
        for (const c of controls) {
          const others = catalog.mappings(f.id, c.id).map((m) => `${m.frameworkId}:${m.controlId}`);
          expect(new Set(others).size).toBe(others.length);
        }
      }
    });

    it('knows the children of a HIPAA standard, in catalog order', () => {
      expect(catalog.children('hipaa', '164.308(a)(1)').map((c) => c.id)).toEqual([
        '164.308(a)(1)(ii)(A)',
        '164.308(a)(1)(ii)(B)',
        '164.308(a)(1)(ii)(C)',
        '164.308(a)(1)(ii)(D)',
      ]);
      expect(catalog.children('hipaa', '164.312(b)')).toEqual([]);
      expect(catalog.children('soc2', '164.308(a)(1)')).toEqual([]);
    });

    it('lists the built-in categories first, then those of plugins with their source', () => {
      const categories = catalog.categories();
      expect(categories.slice(0, BUILT_IN_CATEGORIES.length).map((c) => [c.id, c.source])).toEqual(
        BUILT_IN_CATEGORIES.map((c) => [c.id, 'built-in']),
      );
      expect(categories.slice(BUILT_IN_CATEGORIES.length).map((c) => [c.id, c.source])).toEqual([
        ['SPECIAL_CATEGORY', 'framework-gdpr'],
        ['CRIMINAL_OFFENCE', 'framework-gdpr'],
      ]);
    });
  });

  describe('with plugins that map to each other', () => {
    it('lets a DECLARED mapping win over the INVERSE of the same pair, whichever plugin comes first', () => {
      const a = framework('a', [control('A1', [{ frameworkId: 'b', controlId: 'B1', relationship: 'SUBSET' }])]);
      const b = framework('b', [control('B1', [{ frameworkId: 'a', controlId: 'A1', relationship: 'INTERSECTS' }])]);
      for (const plugins of [
        [a, b],
        [b, a],
      ]) {
        const catalog = new ComplianceCatalog(plugins);
        expect(view(catalog, 'a', 'A1')).toEqual(['b:B1 SUBSET DECLARED']);
        expect(view(catalog, 'b', 'B1')).toEqual(['a:A1 INTERSECTS DECLARED']);
      }
    });

    it('shows a one-sided mapping from both ends, SUPERSET inverted to SUBSET', () => {
      const catalog = new ComplianceCatalog([
        framework('a', [control('A1', [{ frameworkId: 'b', controlId: 'B1', relationship: 'SUPERSET' }])]),
        framework('b', [control('B1'), control('B2')]),
      ]);
      expect(view(catalog, 'a', 'A1')).toEqual(['b:B1 SUPERSET DECLARED']);
      expect(view(catalog, 'b', 'B1')).toEqual(['a:A1 SUBSET INVERSE']);
      expect(view(catalog, 'b', 'B2')).toEqual([]);
    });

    it('keeps EQUIVALENT and INTERSECTS as they are on the other side', () => {
      const catalog = new ComplianceCatalog([
        framework('a', [
          control('A1', [
            { frameworkId: 'b', controlId: 'B1', relationship: 'EQUIVALENT' },
            { frameworkId: 'b', controlId: 'B2', relationship: 'INTERSECTS' },
          ]),
        ]),
        framework('b', [control('B1'), control('B2')]),
      ]);
      expect(view(catalog, 'b', 'B1')).toEqual(['a:A1 EQUIVALENT INVERSE']);
      expect(view(catalog, 'b', 'B2')).toEqual(['a:A1 INTERSECTS INVERSE']);
    });

    it('ignores a category a plugin declares again, keeping the first source', () => {
      const catalog = new ComplianceCatalog([
        framework(
          'a',
          [],
          [
            { id: 'PHI', description: 'again' },
            { id: 'GENETIC', description: 'genes' },
          ],
        ),
        framework('b', [], [{ id: 'GENETIC', description: 'genes, again' }]),
      ]);
      const byId = new Map(catalog.categories().map((c) => [c.id, c]));
      expect(catalog.categories()).toHaveLength(BUILT_IN_CATEGORIES.length + 1);
      expect(byId.get('PHI')).toMatchObject({
        source: 'built-in',
        description: BUILT_IN_CATEGORIES.find((c) => c.id === 'PHI')!.description,
      });
      expect(byId.get('GENETIC')).toEqual({ id: 'GENETIC', description: 'genes', source: 'framework-a' });
    });

    it('indexes children per framework', () => {
      const catalog = new ComplianceCatalog([
        framework('a', [control('P'), control('P.1', [], 'P'), control('P.2', [], 'P')]),
        framework('b', [control('P'), control('P.9', [], 'P')]),
      ]);
      expect(catalog.children('a', 'P').map((c) => c.id)).toEqual(['P.1', 'P.2']);
      expect(catalog.children('b', 'P').map((c) => c.id)).toEqual(['P.9']);
    });
  });
});
