import { catalogProblems } from './manifest.schema';

// Scope declarations of a framework catalog (plugin API 1.7.0, ADR 0040).

const control = (id: string, tags: string[] = []) => ({ id, title: id, description: id, evidence: [], violations: [], tags });
const base = {
  framework: { id: 'acme', name: 'Acme', version: '1', description: 'Acme' },
  controls: [control('S.1', ['core']), control('A.1', ['extra']), control('A.2', ['extra'])],
};
const dimension = {
  id: 'parts',
  name: 'part',
  description: 'Parts in scope',
  multiple: true,
  options: [
    { id: 'core', name: 'Core', description: 'Always', required: true, tags: ['core'] },
    { id: 'extra', name: 'Extra', description: 'Chosen', controls: ['A.1', 'A.2'] },
  ],
  default: ['core', 'extra'],
};
const problems = (scoping: unknown, extra: Record<string, unknown> = {}) =>
  catalogProblems({ ...base, ...extra, scoping }).map((p) => `${p.path}: ${p.message}`);

describe('scope declarations', () => {
  it('accepts dimensions whose options name controls by tag or id, and an alternative-measure tag', () => {
    expect(problems([dimension], { alternativeMeasures: { tag: 'extra', citation: '§ 1' } })).toEqual([]);
    // A tag no control carries yet is allowed: the controls may come in a later version.
    expect(
      problems([{ ...dimension, options: [...dimension.options, { id: 'later', name: 'Later', description: 'x', tags: ['pi'] }] }]),
    ).toEqual([]);
  });

  it('refuses options naming unknown controls or nothing, and repeated ids', () => {
    expect(
      problems([
        {
          ...dimension,
          options: [
            dimension.options[0],
            { id: 'extra', name: 'Extra', description: 'x', controls: ['A.9'] },
            { id: 'extra', name: 'Again', description: 'x' },
          ],
        },
        dimension,
      ]),
    ).toEqual([
      'scoping[1].id: scope dimension id "parts" is used twice',
      'scoping[0].options[2].id: scope option id "extra" is used twice',
      'scoping[0].options[1].controls[0]: names no control of this catalog ("A.9")',
      'scoping[0].options[2]: brings no control into scope: give it tags or controls',
    ]);
  });

  it('refuses a default that is no valid selection', () => {
    expect(problems([{ ...dimension, default: ['extra', 'nope', 'extra'] }])).toEqual([
      'scoping[0].default[1]: names no option of this dimension ("nope")',
      'scoping[0].default[2]: names "extra" twice',
      'scoping[0].default: must include the required option "core"',
    ]);
    const single = { ...dimension, multiple: false, options: [{ ...dimension.options[0], required: undefined }, dimension.options[1]] };
    expect(problems([{ ...single, default: ['core', 'extra'] }])).toEqual([
      'scoping[0].default: must name exactly one option: the dimension is single-choice',
    ]);
    expect(problems([{ ...single, options: dimension.options, default: ['core'] }])).toEqual([
      'scoping[0].options[0].required: a single-choice dimension cannot require an option (nothing is left to choose)',
    ]);
  });

  it('checks the shape: kebab-case ids, at least one option, no unknown field', () => {
    expect(problems([{ ...dimension, id: 'Parts', options: [], colour: 'red' }])).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^scoping\[0\]\.id: /),
        'scoping[0].options: must offer at least one option',
        'scoping[0].colour: is not a known field (a typo?)',
      ]),
    );
    expect(problems([dimension], { alternativeMeasures: { tag: 'extra' } })).toEqual(['alternativeMeasures.citation: is required']);
  });
});
