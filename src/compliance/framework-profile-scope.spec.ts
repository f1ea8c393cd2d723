import type { Control, ScopeDimension } from '../plugin-api';
import { catalog as hipaa } from '../../plugins/framework-hipaa/catalog';
import { catalog as soc2 } from '../../plugins/framework-soc2/catalog';
import { outOfScope, scopeInForce, selectionProblems } from './framework-profile-scope';

const soc2Dimensions = soc2.scoping!;
const hipaaDimensions = hipaa.scoping!;
const controls = (catalog: { controls: unknown[] }) => catalog.controls as Control[];
const selected = (dimensions: readonly ScopeDimension[], selections: Record<string, string[]>) =>
  scopeInForce(dimensions, { selections, note: '', setAt: '', setBy: '', sequence: 1 });

describe('scope selections (ADR 0040)', () => {
  it('refuses unknown and repeated options, not exactly one in a single choice, and a required option left out', () => {
    const [categories] = soc2Dimensions;
    expect(selectionProblems(categories, ['security', 'availability'])).toEqual([]);
    expect(selectionProblems(categories, ['security', 'nope', 'security'])).toEqual([
      expect.stringContaining('"nope" is not an option'),
      '"security" is given twice',
    ]);
    expect(selectionProblems(categories, ['availability'])).toEqual(['must include "security": Security is always in scope']);
    const single: ScopeDimension = { ...categories, multiple: false, options: categories.options.map((o) => ({ ...o, required: false })) };
    expect(selectionProblems(single, ['security', 'privacy'])).toEqual([expect.stringContaining('must name exactly one option')]);
    expect(selectionProblems(single, [])).toHaveLength(1);
  });

  it('falls back to the default for a dimension not selected, or whose stored selection no longer fits', () => {
    expect(scopeInForce(soc2Dimensions, null)).toEqual([
      { id: 'trust-services-categories', selected: soc2Dimensions[0].default, source: 'DEFAULT' },
    ]);
    expect(selected(soc2Dimensions, { 'trust-services-categories': ['availability'] })[0].source).toBe('DEFAULT');
    expect(selected(soc2Dimensions, { 'trust-services-categories': ['security'] })[0]).toMatchObject({
      selected: ['security'],
      source: 'TENANT',
    });
  });

  it('takes out the SOC 2 categories not selected, naming them, and keeps the common criteria', () => {
    const out = outOfScope(
      soc2.framework,
      soc2Dimensions,
      selected(soc2Dimensions, { 'trust-services-categories': ['security', 'privacy'] }),
      controls(soc2),
    );
    expect(out.get('A1.2')).toBe('Out of scope: SOC 2 category Availability is not selected.');
    expect(out.get('C1.1')).toBe('Out of scope: SOC 2 category Confidentiality is not selected.');
    expect(out.get('PI1.3')).toBe('Out of scope: SOC 2 category Processing integrity is not selected.');
    expect([...out.keys()].some((id) => /^(CC|P\d)/.test(id))).toBe(false);
    // The default takes nothing out: what assessments covered before scoping.
    expect(outOfScope(soc2.framework, soc2Dimensions, scopeInForce(soc2Dimensions, null), controls(soc2)).size).toBe(0);
  });

  it('needs a HIPAA control selected in every dimension naming it, and takes children out with their parent', () => {
    const ba = selected(hipaaDimensions, { role: ['business-associate'] });
    const out = outOfScope(hipaa.framework, hipaaDimensions, ba, controls(hipaa));
    expect([...out.keys()].sort()).toEqual([
      '164.308(a)(4)(ii)(A)',
      '164.314(a)(2)(ii)',
      '164.314(b)(1)',
      '164.314(b)(2)',
      '164.404',
      '164.406',
      '164.408',
    ]);
    expect(out.get('164.308(a)(4)(ii)(A)')).toBe('Out of scope: HIPAA Security Rule role Health care clearinghouse is not selected.');
    expect(out.get('164.314(b)(2)')).toBe('Out of scope: HIPAA Security Rule role Covered entity is not selected (through 164.314(b)(1)).');
    // A covered entity that is no governmental entity: 164.314(a)(2)(ii) out, group health plan in.
    const ce = selected(hipaaDimensions, { role: ['covered-entity'], 'covered-entity-arrangements': ['group-health-plan'] });
    const ceOut = outOfScope(hipaa.framework, hipaaDimensions, ce, controls(hipaa));
    expect(ceOut.get('164.314(a)(2)(ii)')).toBe('Out of scope: HIPAA Security Rule arrangement Governmental entity is not selected.');
    expect(ceOut.has('164.314(b)(1)')).toBe(false);
    expect(ceOut.has('164.314(a)(2)(iii)')).toBe(true);
  });
});
