import path from 'node:path';
import { ErrorCode } from '../errors/error-code';
import { type Control, defineFrameworkPlugin, type EventRule, type FrameworkPlugin, type Plugin } from '../plugin-api';
import { BUILT_IN_PLUGINS } from '../../plugins/registry';
import {
  checkFrameworkPlugin,
  checkPluginEntry,
  type ContractCheckId,
  type ContractOptions,
  type ContractReport,
  formatContractReport,
} from '.';

const REPO = path.resolve(__dirname, '../..');
const fixture = (name: string) => path.join(REPO, 'test/fixtures/plugins', name);

/** The kit as `plugin check` runs it: against the server's built-in plugins, which the caller passes. */
const verify = (plugin: unknown, options: Partial<ContractOptions> = {}) =>
  checkFrameworkPlugin(plugin, { builtIns: BUILT_IN_PLUGINS, ...options });
const verifyEntry = (entry: string, options: Partial<ContractOptions> = {}) =>
  checkPluginEntry(entry, { builtIns: BUILT_IN_PLUGINS, ...options });

/** `check status` for every check, e.g. `behaviour failed`. */
const statuses = (report: ContractReport) => report.checks.map((c) => `${c.id} ${c.status}`);

/** The error problems of one check as `code path`, and the check's status. */
function errorsOf(report: ContractReport, id: ContractCheckId) {
  const check = report.checks.find((c) => c.id === id);
  expect(check).toBeDefined();
  return {
    status: check!.status,
    errors: check!.problems.filter((p) => p.level === 'error'),
  };
}

const ALL_CHECKS = ['load', 'manifest', 'options', 'dependencies', 'evidence', 'categories', 'mappings', 'behaviour', 'lifecycle'];
/** A format plugin's report lists the render check too, before lifecycle. */
const FORMAT_CHECKS = [...ALL_CHECKS.slice(0, -1), 'render', 'lifecycle'];

const failedChecks = (report: ContractReport) => report.checks.filter((c) => c.status === 'failed').map((c) => c.id);

const match = (id: string, extra: Partial<EventRule> = {}): EventRule =>
  ({ id, kind: 'MATCH', description: `Rule ${id}`, match: { action: [{ equals: 'acme.thing.done' }] }, ...extra }) as EventRule;

const control = (id: string, extra: Partial<Control> = {}): Control => ({
  id,
  title: `Control ${id}`,
  description: `What ${id} requires.`,
  evidence: [match('done')],
  violations: [],
  ...extra,
});

/** A small valid framework plugin; `change` edits its catalog. */
function acme(change: (catalog: FrameworkPlugin['catalog']) => void = () => {}, extra: Partial<FrameworkPlugin<any>> = {}): Plugin {
  const catalog: FrameworkPlugin['catalog'] = {
    framework: { id: 'acme-test', name: 'Acme test', version: '1', description: 'A framework for the contract tests.' },
    controls: [control('T-1')],
  };
  change(catalog);
  return defineFrameworkPlugin({ id: 'framework-acme-test', kind: 'framework', version: '1.0.0', apiVersion: '^1.0.0', catalog, ...extra });
}

describe('checkFrameworkPlugin', () => {
  it.each(BUILT_IN_PLUGINS.filter((p) => p.kind === 'framework').map((p) => [p.id, p] as const))(
    'passes every check for the built-in %s',
    async (_id, plugin) => {
      const report = await verify(plugin);
      expect(statuses(report)).toEqual([
        'manifest passed',
        'options passed',
        'dependencies passed',
        'evidence passed',
        'categories passed',
        'mappings passed',
        'behaviour passed',
        'lifecycle passed',
      ]);
      expect(report.checks.flatMap((c) => c.problems)).toEqual([]);
      expect(report).toMatchObject({ pluginId: plugin.id, passed: true });
    },
  );

  it('fails the behaviour check, naming the rule, when a rule can never match as written', async () => {
    const contradictory = match('never', {
      match: { action: [{ prefix: 'record.' }], outcome: ['SUCCESS'], classification: ['PUBLIC'], minClassification: 'RESTRICTED' },
    });
    const report = await verify(acme((c) => c.controls.push(control('T-2', { evidence: [match('fine'), contradictory] }))));
    expect(failedChecks(report)).toEqual(['behaviour']);
    const { errors } = errorsOf(report, 'behaviour');
    expect(errors).toEqual([expect.objectContaining({ path: 'catalog.controls[1].evidence[1]' })]);
    expect(errors[0].message).toContain('evidence rule "never" of control "T-2" never matches');
  });

  it('fails the behaviour check for a rule no client can send an event for, and for a follow-up that can never correlate', async () => {
    const report = await verify(
      acme((c) =>
        c.controls.push(
          control('T-2', {
            violations: [
              match('bad-action', { match: { action: [{ equals: 'not a dotted action' }] } }),
              {
                id: 'other-actor',
                kind: 'NOT_FOLLOWED_BY',
                description: 'A user action a service must confirm',
                trigger: { action: [{ equals: 'acme.requested' }], actorType: ['USER'] },
                followUp: { action: [{ equals: 'acme.confirmed' }], actorType: ['SERVICE'] },
                within: { hours: 1 },
                correlation: 'ACTOR',
              },
              {
                id: 'other-resource',
                kind: 'NOT_PRECEDED_BY',
                description: 'A deployment of a service approved as a ticket',
                trigger: { action: [{ equals: 'change.deployed' }], resourceType: [{ equals: 'service' }] },
                precededBy: { action: [{ equals: 'change.approved' }], resourceType: [{ equals: 'ticket' }] },
                within: { days: 30 },
                correlation: 'RESOURCE',
              },
            ],
          }),
        ),
      ),
    );
    expect(errorsOf(report, 'behaviour').errors.map((p) => [p.path, p.message.split(' (')[0]])).toEqual([
      ['catalog.controls[1].violations[0]', 'violation rule "bad-action" of control "T-2" needs an event no client can record'],
      [
        'catalog.controls[1].violations[1]',
        'violation rule "other-actor" of control "T-2" does not count a trigger followed within 1 hour by a follow-up of the same actor as followed',
      ],
      [
        'catalog.controls[1].violations[2]',
        'violation rule "other-resource" of control "T-2" does not count a trigger preceded within 30 days by an event of the same resource as preceded',
      ],
    ]);
  });

  it('exercises every rule kind of a working catalog without a problem', async () => {
    const report = await verify(
      acme((c) =>
        c.controls.push(
          control('T-2', {
            evidence: [
              {
                id: 'weekly',
                kind: 'AT_LEAST',
                description: 'Three reviews a week',
                match: { action: [{ glob: 'review.**.done' }], minSeverity: 'NOTICE', categories: ['PII', 'PHI'] },
                count: 3,
                period: 'WEEK',
              },
            ],
            violations: [
              {
                id: 'burst',
                kind: 'BURST',
                description: 'Four denied exports by one IP in a minute',
                match: { action: [{ prefix: 'data.export' }], outcome: ['DENIED', 'FAILURE'], actorType: ['USER', 'API_KEY'] },
                count: 4,
                within: { minutes: 1 },
                correlation: 'IP',
              },
              {
                id: 'unanswered',
                kind: 'NOT_FOLLOWED_BY',
                description: 'A request not answered within 30 days',
                trigger: { action: [{ equals: 'dsar.received' }], resourceType: [{ prefix: 'data_subject' }] },
                followUp: { action: [{ glob: 'dsar.*' }], resourceType: [{ glob: 'data_subject*' }], outcome: ['SUCCESS'] },
                within: { days: 30 },
                correlation: 'RESOURCE',
              },
              {
                id: 'success-after-failure',
                kind: 'FOLLOWED_BY',
                description: 'A sign-in that succeeds right after a failure',
                trigger: { action: [{ equals: 'auth.login' }], outcome: ['FAILURE'] },
                followUp: { action: [{ equals: 'auth.login' }], outcome: ['SUCCESS'] },
                within: { minutes: 5 },
                correlation: 'ACTOR',
              },
              {
                id: 'erasure-refused',
                kind: 'MATCH',
                description: 'An erasure request refused',
                match: {
                  action: [{ equals: 'dsar.decided' }],
                  metadata: [
                    { path: 'dsar.type', equals: 'erasure' },
                    { path: 'decision', in: ['refused', 'rejected'] },
                    { path: 'reason', exists: true },
                    { path: 'override', exists: false },
                  ],
                },
              },
              {
                id: 'unapproved',
                kind: 'NOT_PRECEDED_BY',
                description: 'A deployment without an approval in the 30 days before',
                trigger: { action: [{ equals: 'change.deployed' }], resourceType: [{ prefix: 'service' }] },
                precededBy: { action: [{ equals: 'change.approved' }], resourceType: [{ glob: 'service*' }] },
                within: { days: 30 },
                correlation: 'RESOURCE',
              },
              {
                id: 'review-missed',
                kind: 'MAX_GAP',
                description: 'More than 24 hours without a log review',
                match: { action: [{ equals: 'audit.log.reviewed' }], outcome: ['SUCCESS'] },
                maxGap: { hours: 24 },
              },
            ],
          }),
        ),
      ),
    );
    expect(report.checks.find((c) => c.id === 'behaviour')).toMatchObject({ status: 'passed', problems: [] });
  });

  it('exercises RATIO rules at their threshold, from the rollup and from metadata, and fails one whose qualifying events leave the population', async () => {
    type Match = Extract<EventRule, { kind: 'RATIO' }>['population'];
    const ratio = (id: string, population: Match, qualifying: Match, atLeast: number): EventRule => ({
      id,
      kind: 'RATIO',
      description: `Ratio ${id}`,
      population,
      qualifying,
      atLeast,
    });
    const logins = { action: [{ equals: 'auth.login.succeeded' }] };
    const report = await verify(
      acme((c) =>
        c.controls.push(
          control('T-2', {
            evidence: [
              ratio('mfa', logins, { metadata: [{ path: 'mfa', equals: true }] }, 0.95),
              ratio('backups', { action: [{ prefix: 'backup.' }] }, { outcome: ['SUCCESS'] }, 0.99),
              ratio('all', { action: [{ prefix: 'backup.' }] }, { action: [{ equals: 'backup.completed' }], categories: ['PII'] }, 1),
              ratio('any', logins, { actorType: ['SERVICE'] }, 0),
              ratio('tiny', logins, { outcome: ['SUCCESS'], minSeverity: 'NOTICE' }, 0.01),
            ],
            violations: [ratio('contradiction', { outcome: ['SUCCESS'] }, { outcome: ['FAILURE'] }, 0.5)],
          }),
        ),
      ),
    );
    expect(errorsOf(report, 'behaviour').errors.map((p) => [p.path, p.message.split(' (')[0]])).toEqual([
      [
        'catalog.controls[1].violations[0]',
        'violation rule "contradiction" of control "T-2" never matches the event built from its own population and qualifying',
      ],
    ]);
  });

  it('warns about a control without evidence rules, but not about a parent shown by its children', async () => {
    const report = await verify(
      acme((c) => {
        c.controls.push(control('T-2', { evidence: [] }), control('T-3', { evidence: [] }), control('T-3.1', { parentId: 'T-3' }));
      }),
    );
    expect(failedChecks(report)).toEqual([]);
    const evidence = report.checks.find((c) => c.id === 'evidence')!;
    expect(evidence.problems).toEqual([expect.objectContaining({ level: 'warning', path: 'catalog.controls[1].evidence' })]);
    expect(evidence.problems[0].message).toMatch(/^control "T-2" has no evidence rule: .*NOT_ASSESSED/);
  });

  it('fails the mappings check for a control a built-in framework does not have; mappings elsewhere are information', async () => {
    const report = await verify(
      acme((c) => {
        c.controls[0].mappings = [
          { frameworkId: 'soc2', controlId: 'CC6.1', relationship: 'INTERSECTS' },
          { frameworkId: 'soc2', controlId: 'CC99.9', relationship: 'EQUIVALENT' },
          { frameworkId: 'iso27001', controlId: 'A.5.15', relationship: 'SUBSET' },
          { frameworkId: 'iso27001', controlId: 'A.5.16', relationship: 'SUBSET' },
        ];
      }),
    );
    expect(failedChecks(report)).toEqual(['mappings']);
    const check = report.checks.find((c) => c.id === 'mappings')!;
    expect(check.problems.map((p) => [p.level, p.path])).toEqual([
      ['error', 'catalog.controls[0].mappings[1]'],
      ['info', 'catalog.controls[0].mappings[2]'],
    ]);
    expect(check.problems[0].message).toContain('soc2 "CC99.9"');
    expect(check.problems[1].message).toMatch(/^2 mappings to framework "iso27001" not checked/);
  });

  it('checks mappings into the frameworks of knownFrameworks', async () => {
    const other = acme(() => {}, { id: 'framework-other' }) as FrameworkPlugin<unknown>;
    other.catalog = { ...other.catalog, framework: { ...other.catalog.framework, id: 'other' } };
    const plugin = acme((c) => (c.controls[0].mappings = [{ frameworkId: 'other', controlId: 'T-9', relationship: 'EQUIVALENT' }]));
    const report = await verify(plugin, { knownFrameworks: [other] });
    expect(errorsOf(report, 'mappings')).toMatchObject({ status: 'failed', errors: [{ path: 'catalog.controls[0].mappings[0]' }] });
  });

  it('fails the categories check for an undeclared category, and only warns when a dependency may declare it', async () => {
    const withCategory = (c: FrameworkPlugin['catalog']) => {
      c.controls[0].evidence[0] = match('labelled', { match: { categories: ['ACME_SECRET'] } });
      c.classificationRules = [{ id: 'secrets', resourceType: [{ equals: 'vault' }], categories: ['ACME_SECRET', 'PII'] }];
    };
    const undeclared = await verify(acme(withCategory));
    expect(failedChecks(undeclared)).toEqual(['categories']);
    expect(errorsOf(undeclared, 'categories').errors.map((p) => p.path)).toEqual(['catalog.controls[0].evidence[0].match.categories[0]']);

    const declared = await verify(
      acme((c) => {
        withCategory(c);
        c.dataCategories = [{ id: 'ACME_SECRET', description: 'Acme secrets' }];
      }),
    );
    expect(declared.passed).toBe(true);

    const maybe = await verify(acme(withCategory, { dependsOn: ['framework-acme-base'] }));
    expect(maybe.passed).toBe(true);
    expect(maybe.checks.find((c) => c.id === 'categories')!.problems).toEqual([
      expect.objectContaining({ level: 'warning', path: 'catalog.controls[0].evidence[0].match.categories[0]' }),
    ]);

    const gdprCategory = (c: FrameworkPlugin['catalog']) =>
      (c.controls[0].evidence[0] = match('special', { match: { categories: ['SPECIAL_CATEGORY'] } }));
    expect(failedChecks(await verify(acme(gdprCategory)))).toEqual(['categories']);
    expect((await verify(acme(gdprCategory, { dependsOn: ['framework-gdpr'] }))).passed).toBe(true);
  });

  it("reports the host's codes: invalid manifest, unsupported API, a built-in's id, a dependency on itself", async () => {
    const invalid = await verify({ ...acme(), version: 'one' });
    expect(errorsOf(invalid, 'manifest').errors).toEqual([
      { level: 'error', path: 'version', message: expect.any(String), code: ErrorCode.PLUGIN_MANIFEST_INVALID },
    ]);
    expect(invalid.checks.filter((c) => c.status === 'skipped').map((c) => c.id)).toEqual([
      'options',
      'dependencies',
      'evidence',
      'categories',
      'mappings',
      'behaviour',
      'lifecycle',
    ]);

    const newer = await verify(acme(() => {}, { apiVersion: '^2.0.0' }));
    expect(failedChecks(newer)).toEqual(['manifest']);
    expect(errorsOf(newer, 'manifest').errors.map((p) => [p.code, p.path])).toEqual([[ErrorCode.PLUGIN_API_UNSUPPORTED, 'apiVersion']]);

    const taken = await verify(acme((c) => (c.framework.id = 'soc2'), { id: 'framework-hipaa', dependsOn: ['framework-hipaa'] }));
    expect(failedChecks(taken)).toEqual(['manifest', 'dependencies']);
    expect(taken.checks.flatMap((c) => c.problems.map((p) => [p.code, p.path]))).toEqual([
      [ErrorCode.PLUGIN_DUPLICATE_ID, 'id'],
      [ErrorCode.PLUGIN_DUPLICATE_ID, 'catalog.framework.id'],
      [ErrorCode.PLUGIN_DEPENDENCY_CYCLE, 'dependsOn[0]'],
    ]);
  });

  it('checks against the built-ins the caller passes, and has no list of its own', async () => {
    const plugin = acme((c) => {
      c.framework.id = 'soc2';
      c.controls[0].mappings = [{ frameworkId: 'hipaa', controlId: '164.999', relationship: 'EQUIVALENT' }];
    });
    const withHipaaId = { ...plugin, id: 'framework-hipaa' };

    const alone = await checkFrameworkPlugin(withHipaaId, { builtIns: [] });
    expect(alone.passed).toBe(true);
    expect(alone.checks.find((c) => c.id === 'mappings')!.problems).toEqual([expect.objectContaining({ level: 'info' })]);

    const hipaa = BUILT_IN_PLUGINS.filter((p) => p.id === 'framework-hipaa');
    const besideHipaa = await checkFrameworkPlugin(withHipaaId, { builtIns: hipaa });
    expect(failedChecks(besideHipaa)).toEqual(['manifest', 'mappings']);
    expect(errorsOf(besideHipaa, 'manifest').errors.map((p) => [p.code, p.path])).toEqual([[ErrorCode.PLUGIN_DUPLICATE_ID, 'id']]);
  });

  it('validates options as the server does and passes them to start() and stop()', async () => {
    const calls: unknown[] = [];
    const withOptions = acme(() => {}, {
      options: { safeParse: (v: unknown) => ({ success: true as const, data: { ...(v as object), filled: true } }) },
      start: ({ options }) => void calls.push(['start', options]),
      stop: () => void calls.push('stop'),
    });
    const report = await verify(withOptions, { pluginOptions: { 'framework-acme-test': { level: 2 }, other: {} } });
    expect(report.passed).toBe(true);
    expect(calls).toEqual([['start', { level: 2, filled: true }], 'stop']);

    const none = await verify(acme(), { pluginOptions: { 'framework-acme-test': { level: 2 } } });
    expect(errorsOf(none, 'options').errors.map((p) => p.code)).toEqual([ErrorCode.PLUGIN_OPTIONS_INVALID]);
  });
});

describe('checkPluginEntry', () => {
  it('passes the valid fixtures: the code format plugin skips the framework checks', async () => {
    const code = await verifyEntry(fixture('valid-code'));
    expect(code).toMatchObject({ pluginId: 'format-fixture-text', kind: 'format', passed: true });
    expect(statuses(code)).toEqual([
      'load passed',
      'manifest passed',
      'options passed',
      'dependencies passed',
      'evidence skipped',
      'categories skipped',
      'mappings skipped',
      'behaviour skipped',
      'render passed',
      'lifecycle passed',
    ]);
    expect(code.checks.find((c) => c.id === 'dependencies')!.problems.map((p) => p.code)).toEqual([ErrorCode.PLUGIN_DEPENDENCY_MISSING]);
    // It prints only the titles: passes, with a warning that the integrity stamp is missing.
    expect(code.checks.find((c) => c.id === 'render')!.problems).toEqual([expect.objectContaining({ level: 'warning', path: 'render' })]);
  });

  it('passes the valid pure-data fixture, with a warning for its violation-only control IR-1', async () => {
    const pure = await verifyEntry(fixture('valid-pure-data'));
    expect(pure.pluginId).toBe('framework-acme-policy');
    expect(failedChecks(pure)).toEqual([]);
    const evidence = pure.checks.find((c) => c.id === 'evidence')!;
    expect(evidence.problems.map((p) => [p.level, p.message])).toEqual([
      ['warning', expect.stringMatching(/^control "IR-1" has no evidence rule/)],
    ]);
  });

  it.each([
    ['with-bad-manifest', 'manifest', ErrorCode.PLUGIN_MANIFEST_INVALID, ['version', 'catalog.controls[0].evidence[0].kind'], ALL_CHECKS],
    ['with-incompatible-api', 'manifest', ErrorCode.PLUGIN_API_UNSUPPORTED, ['apiVersion'], ALL_CHECKS],
    ['with-invalid-options', 'options', ErrorCode.PLUGIN_OPTIONS_INVALID, ['endpoint'], FORMAT_CHECKS],
    ['with-throwing-load', 'load', ErrorCode.PLUGIN_LOAD_FAILED, [''], ALL_CHECKS],
    ['with-throwing-start', 'lifecycle', ErrorCode.PLUGIN_LOAD_FAILED, ['start'], FORMAT_CHECKS],
    ['does-not-exist', 'load', ErrorCode.PLUGIN_NOT_FOUND, [''], ALL_CHECKS],
  ] as const)('fails %s with the %s check and %s', async (name, check, code, paths, listed) => {
    const report = await verifyEntry(fixture(name));
    expect(report.passed).toBe(false);
    expect(failedChecks(report)).toEqual([check]);
    const { errors } = errorsOf(report, check);
    expect(errors.map((p) => p.code)).toEqual(paths.map(() => code));
    expect(errors.map((p) => p.path)).toEqual(paths);
    expect(report.checks.map((c) => c.id)).toEqual(listed);
  });

  it.each(['with-missing-dependency', 'with-dependency-cycle/a'])(
    'passes %s alone with a warning: dependencies are checked when the server loads them together',
    async (name) => {
      const report = await verifyEntry(fixture(name));
      expect(report.passed).toBe(true);
      expect(report.checks.find((c) => c.id === 'dependencies')!.problems).toEqual([
        expect.objectContaining({ level: 'warning', code: ErrorCode.PLUGIN_DEPENDENCY_MISSING, path: 'dependsOn[0]' }),
      ]);
    },
  );
});

describe('formatContractReport', () => {
  it('prints a line per check, problems indented, and the totals', async () => {
    const text = formatContractReport(await verifyEntry(fixture('with-incompatible-api')));
    const lines = text.split('\n');
    expect(lines[0]).toBe('Plugin contract of with-incompatible-api (1.0.0, framework) against plugin API 1.8.0');
    expect(lines).toContain(
      '  FAIL  manifest     ' + "manifest and catalog pass the host's validation; apiVersion accepts plugin API 1.8.0",
    );
    expect(lines).toContain('        error: PLUGIN_API_UNSUPPORTED at apiVersion: needs plugin API ^2.0.0; this server provides 1.8.0');
    expect(lines[lines.length - 1]).toBe('8 checks passed, 1 failed');
  });
});
