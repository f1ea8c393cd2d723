import { catalogProblems, pluginProblems, pureDataManifestSchema, schemaProblems } from './manifest.schema';

const rule = { id: 'logins', kind: 'MATCH', description: 'Logins', match: { action: [{ prefix: 'auth.login' }] } };
const control = { id: 'CC6.1', title: 'Logical access', description: 'Access is restricted.', evidence: [rule], violations: [] };
const catalog = { framework: { id: 'soc2', name: 'SOC 2', version: '2017', description: 'TSC' }, controls: [control] };
const framework = { id: 'framework-test', kind: 'framework', version: '1.0.0', apiVersion: '^1.0.0', catalog };

/** `path: message` of every problem, for compact assertions on paths. */
const paths = (check: (value: unknown) => { path: string }[], value: unknown) => check(value).map((p) => p.path);
const pureData = (value: unknown) => {
  const result = pureDataManifestSchema.safeParse(value);
  return result.success ? [] : schemaProblems(result.error);
};

describe('plugin manifest validation', () => {
  it('accepts a complete framework plugin and a format plugin', () => {
    expect(paths(pluginProblems, framework)).toEqual([]);
    expect(
      paths(pluginProblems, {
        id: 'format-text',
        kind: 'format',
        version: '1.0.0-beta.1',
        apiVersion: '1.x',
        mimeType: 'text/plain',
        fileExtension: 'txt',
        render: () => '',
        start: async () => undefined,
      }),
    ).toEqual([]);
  });

  it('names the path of each bad manifest field', () => {
    expect(
      paths(pluginProblems, {
        ...framework,
        id: 'Framework_Test',
        version: '1.0',
        apiVersion: 'latest',
        dependsOn: ['ok', 'Not OK'],
      }).sort(),
    ).toEqual(['apiVersion', 'dependsOn[1]', 'id', 'version']);
    expect(paths(pluginProblems, { ...framework, kind: 'widget' })).toEqual(['kind']);
    expect(paths(pluginProblems, { ...framework, start: 'soon', options: {} }).sort()).toEqual(['options', 'start']);
    expect(
      paths(pluginProblems, {
        id: 'format-x',
        kind: 'format',
        version: '1.0.0',
        apiVersion: '^1.0.0',
        mimeType: 'text',
        fileExtension: '.txt',
      }).sort(),
    ).toEqual(['fileExtension', 'mimeType', 'render']);
  });

  it('names the path of bad catalog fields, down to a rule', () => {
    const bad = {
      ...catalog,
      controls: [
        control,
        { ...control, parentId: 'CC9.9', evidence: [{ ...rule, match: { action: [{ prefix: 'a', glob: 'b' }], minSeverity: 'LOUD' } }] },
        {
          ...control,
          id: 'CC7.2',
          violations: [
            {
              id: 'late',
              kind: 'NOT_FOLLOWED_BY',
              description: 'x',
              trigger: {},
              followUp: {},
              within: { weeks: 1 },
              correlation: 'ACTOR',
            },
          ],
          mappings: [{ frameworkId: 'hipaa', controlId: '164.312(b)', relationship: 'SAME' }],
        },
        { ...control, id: 'CC8.1', evidence: [rule, { ...rule, kind: 'SOMETIMES' }] },
      ],
    };
    expect(paths(catalogProblems, bad).sort()).toEqual([
      'controls[1].evidence[0].match.action[0]',
      'controls[1].evidence[0].match.minSeverity',
      'controls[1].id',
      'controls[1].parentId',
      'controls[2].mappings[0].relationship',
      'controls[2].violations[0].within',
      'controls[2].violations[0].within.weeks',
      'controls[3].evidence[1].id',
      'controls[3].evidence[1].kind',
    ]);
  });

  it('checks NOT_PRECEDED_BY rules like the other temporal kinds', () => {
    const preceded = {
      id: 'approved',
      kind: 'NOT_PRECEDED_BY',
      description: 'x',
      trigger: {},
      precededBy: {},
      within: { days: 30 },
      correlation: 'RESOURCE',
    };
    expect(paths(catalogProblems, { ...catalog, controls: [{ ...control, violations: [preceded] }] })).toEqual([]);
    expect(
      paths(catalogProblems, {
        ...catalog,
        controls: [
          { ...control, violations: [{ ...preceded, precededBy: undefined, followUp: {}, within: { days: 0 }, correlation: 'USER' }] },
        ],
      }).sort(),
    ).toEqual([
      'controls[0].violations[0].correlation',
      'controls[0].violations[0].followUp',
      'controls[0].violations[0].precededBy',
      'controls[0].violations[0].within.days',
    ]);
  });

  it('checks RECENT rules: a match, a count of at least 1 and a window, no period', () => {
    const recent = { id: 'risk', kind: 'RECENT', description: 'x', match: {}, count: 1, within: { days: 365 } };
    const withRules = (evidence: unknown[]) => ({ ...catalog, controls: [{ ...control, evidence }] });
    expect(paths(catalogProblems, withRules([recent]))).toEqual([]);
    expect(
      paths(
        catalogProblems,
        withRules([
          { ...recent, count: 0 },
          { ...recent, id: 'no-window', within: undefined },
          { ...recent, id: 'period', period: 'YEAR' },
        ]),
      ).sort(),
    ).toEqual(['controls[0].evidence[0].count', 'controls[0].evidence[1].within', 'controls[0].evidence[2].period']);
  });

  it('checks RATIO rules: a population, a qualifying match and atLeast from 0 to 1, nothing else', () => {
    const ratio = { id: 'mfa', kind: 'RATIO', description: 'x', population: {}, qualifying: { outcome: ['SUCCESS'] }, atLeast: 0.95 };
    const withRules = (evidence: unknown[]) => ({ ...catalog, controls: [{ ...control, evidence }] });
    expect(paths(catalogProblems, withRules([ratio, { ...ratio, id: 'none', atLeast: 0 }, { ...ratio, id: 'all', atLeast: 1 }]))).toEqual(
      [],
    );
    expect(
      paths(
        catalogProblems,
        withRules([
          { ...ratio, atLeast: 1.5 },
          { ...ratio, id: 'negative', atLeast: -0.1 },
          { ...ratio, id: 'percent', atLeast: '95%' },
          { ...ratio, id: 'missing', atLeast: undefined, qualifying: undefined },
          { ...ratio, id: 'extra', match: {} },
        ]),
      ).sort(),
    ).toEqual([
      'controls[0].evidence[0].atLeast',
      'controls[0].evidence[1].atLeast',
      'controls[0].evidence[2].atLeast',
      'controls[0].evidence[3].atLeast',
      'controls[0].evidence[3].qualifying',
      'controls[0].evidence[4].match',
    ]);
  });

  it('checks MAX_GAP rules: a match and a positive duration, nothing else', () => {
    const gap = { id: 'reviewed', kind: 'MAX_GAP', description: 'x', match: {}, maxGap: { hours: 24 } };
    expect(paths(catalogProblems, { ...catalog, controls: [{ ...control, evidence: [gap], violations: [gap] }] })).toEqual([]);
    expect(
      paths(catalogProblems, {
        ...catalog,
        controls: [
          {
            ...control,
            evidence: [
              { ...gap, maxGap: { hours: 0 }, within: { hours: 1 } },
              { ...gap, id: 'other', maxGap: undefined },
            ],
          },
        ],
      }).sort(),
    ).toEqual(['controls[0].evidence[0].maxGap.hours', 'controls[0].evidence[0].within', 'controls[0].evidence[1].maxGap']);
  });

  it('accepts FOLLOWED_BY as a violation and refuses it as evidence, saying where it belongs', () => {
    const followed = {
      id: 'after',
      kind: 'FOLLOWED_BY',
      description: 'x',
      trigger: {},
      followUp: {},
      within: { days: 1 },
      correlation: 'ACTOR',
    };
    expect(catalogProblems({ ...catalog, controls: [{ ...control, violations: [followed] }] })).toEqual([]);
    const problems = catalogProblems({ ...catalog, controls: [{ ...control, evidence: [rule, followed] }] });
    expect(problems.map((p) => p.path)).toEqual(['controls[0].evidence[1].kind']);
    expect(problems[0].message).toMatch(/violation rule only.*NOT_FOLLOWED_BY as evidence/);
  });

  it('checks metadata predicates: a dotted path of identifiers and exactly one test', () => {
    const withMetadata = (metadata: unknown) => ({ ...catalog, controls: [{ ...control, evidence: [{ ...rule, match: { metadata } }] }] });
    expect(
      catalogProblems(
        withMetadata([
          { path: 'dsar.type', equals: 'erasure' },
          { path: 'n', in: [1, true] },
          { path: 'x', exists: false },
        ]),
      ),
    ).toEqual([]);
    const problems = catalogProblems(
      withMetadata([
        { path: 'dsar..type', equals: 'x' },
        { path: "a'); DROP", equals: 'x' },
        { path: 'a', equals: 'x', exists: true },
        { path: 'a' },
        { path: 'a', equals: { nested: 1 } },
        { path: 'a', in: [] },
      ]),
    );
    const at = 'controls[0].evidence[0].match.metadata';
    expect(problems.map((p) => p.path)).toEqual([
      `${at}[0].path`,
      `${at}[1].path`,
      `${at}[2]`,
      `${at}[3]`,
      `${at}[4].equals`,
      `${at}[5].in`,
    ]);
    expect(problems[0].message).toBe('must be identifiers joined by dots, e.g. dsar.type');
    expect(paths(catalogProblems, withMetadata([]))).toEqual([at]);
  });

  it('refuses a control that is its own ancestor, naming the loop', () => {
    const looped = {
      ...catalog,
      controls: [
        { ...control, id: 'A', parentId: 'B' },
        { ...control, id: 'B', parentId: 'A' },
        { ...control, id: 'C', parentId: 'C' },
        { ...control, id: 'D', parentId: 'A' },
      ],
    };
    expect(catalogProblems(looped)).toEqual([
      { path: 'controls[0].parentId', message: 'makes the control its own ancestor: A → B → A' },
      { path: 'controls[1].parentId', message: 'makes the control its own ancestor: B → A → B' },
      { path: 'controls[2].parentId', message: 'makes the control its own ancestor: C → C' },
    ]);
  });

  it('reports unknown fields by name, so a typo is not silently ignored', () => {
    expect(paths(catalogProblems, { ...catalog, controls: [{ ...control, evidense: [] }] })).toEqual(['controls[0].evidense']);
  });

  it('checks classification rules and extra categories', () => {
    expect(
      paths(catalogProblems, {
        ...catalog,
        classificationRules: [
          { id: 'phi', resourceType: [{ prefix: 'patient_record' }], classification: 'RESTRICTED', categories: ['PHI'] },
          { id: 'empty' },
        ],
        dataCategories: [{ id: 'genetic', description: 'Genetic data' }],
      }).sort(),
    ).toEqual(['classificationRules[1]', 'classificationRules[1]', 'dataCategories[0].id']);
  });

  it('allows only framework catalogs in a pure-data manifest, inside the plugin folder', () => {
    const manifest = { id: 'framework-x', kind: 'framework', version: '1.0.0', apiVersion: '^1.0.0', catalog: 'catalog.json' };
    expect(paths(pureData, manifest)).toEqual([]);
    expect(paths(pureData, { ...manifest, kind: 'format' })).toEqual(['kind']);
    expect(paths(pureData, { ...manifest, catalog: '../../etc/catalog.json' })).toEqual(['catalog']);
    expect(paths(pureData, { ...manifest, catalog: 'catalog.yaml' })).toEqual([]);
    expect(paths(pureData, { ...manifest, catalog: 'catalog.toml' })).toEqual(['catalog']);
  });
});
