import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventMatch, ParameterisedRule } from '../../src/plugin-api';
// The host's own validation is the point of this test; plugins otherwise import only the plugin API.
import { pluginProblems } from '../../src/plugin-host/manifest.schema';
import plugin from './index';

const { catalog } = plugin;

// prettier-ignore
const CONTROL_IDS = [
  'Art. 5', 'Art. 5(1)(a)', 'Art. 5(1)(b)', 'Art. 5(1)(c)', 'Art. 5(1)(d)', 'Art. 5(1)(e)', 'Art. 5(1)(f)', 'Art. 6', 'Art. 7', 'Art. 9',
  'Art. 10', 'Art. 12', 'Art. 13', 'Art. 14', 'Art. 15', 'Art. 16', 'Art. 17', 'Art. 18', 'Art. 19', 'Art. 20', 'Art. 21', 'Art. 22',
  'Art. 24', 'Art. 25', 'Art. 28', 'Art. 30', 'Art. 32', 'Art. 32(1)(a)', 'Art. 32(1)(b)', 'Art. 32(1)(c)', 'Art. 32(1)(d)', 'Art. 33',
  'Art. 33(1)', 'Art. 33(2)', 'Art. 33(3)', 'Art. 33(5)', 'Art. 34', 'Art. 35', 'Art. 36', 'Art. 44', 'Art. 46', 'Art. 49',
];
const PARENTS = ['Art. 5', 'Art. 32', 'Art. 33'];

const CHAPTERS = ['principles', 'data-subject-rights', 'controller-and-processor', 'security', 'transfers'];

function control(id: string) {
  const found = catalog.controls.find((c) => c.id === id);
  if (!found) throw new Error(`no control ${id}`);
  return found;
}

function rule(controlId: string, list: 'evidence' | 'violations', ruleId: string): ParameterisedRule {
  const found = control(controlId)[list].find((r) => r.id === ruleId);
  if (!found) throw new Error(`no ${list} rule ${ruleId} in ${controlId}`);
  return found;
}

const matchesOf = (r: ParameterisedRule): EventMatch[] =>
  'match' in r ? [r.match] : 'population' in r ? [r.population, r.qualifying] : [r.trigger, 'followUp' in r ? r.followUp : r.precededBy];
const allRules = catalog.controls.flatMap((c) => [...c.evidence, ...c.violations].map((r) => ({ control: c.id, rule: r })));
const action = (name: string) => ({ action: [{ equals: name }] });

describe('framework-gdpr', () => {
  it('passes the host validation', () => {
    expect(pluginProblems(plugin)).toEqual([]);
  });

  it('names the framework', () => {
    expect(plugin.id).toBe('framework-gdpr');
    expect(catalog.framework).toMatchObject({ id: 'gdpr', name: 'GDPR', version: 'Regulation (EU) 2016/679' });
  });

  it('has the GDPR articles and the paragraphs auditors test, each once, paragraphs under their article', () => {
    const ids = catalog.controls.map((c) => c.id);
    expect(ids).toEqual(CONTROL_IDS);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of catalog.controls) {
      const parent = PARENTS.find((p) => c.id.startsWith(`${p}(`));
      expect({ id: c.id, parentId: c.parentId }).toEqual({ id: c.id, parentId: parent });
    }
  });

  it('gives every paragraph and article without paragraphs evidence, one chapter tag and no mappings', () => {
    for (const c of catalog.controls) {
      if (!PARENTS.includes(c.id)) expect({ id: c.id, evidence: c.evidence.length > 0 }).toEqual({ id: c.id, evidence: true });
      expect({ id: c.id, chapters: (c.tags ?? []).filter((t) => CHAPTERS.includes(t)).length }).toEqual({ id: c.id, chapters: 1 });
      expect(c.mappings ?? []).toEqual([]);
    }
    expect(control('Art. 9').tags).toContain('special-categories');
  });

  it('names only actions of the event vocabulary and known data categories', () => {
    const vocabulary = readFileSync(join(__dirname, '../../docs/event-vocabulary.md'), 'utf8');
    const documented = new Set([...vocabulary.matchAll(/`([a-z_.]+)`/g)].map((m) => m[1]));
    const matches = allRules.flatMap(({ rule: r }) => matchesOf(r));
    const actions = matches.flatMap((m) => m.action ?? []).flatMap((p) => ('equals' in p ? [p.equals] : []));
    expect(actions.filter((a) => !documented.has(a))).toEqual([]);
    const known = new Set(['PII', 'PHI', ...(catalog.dataCategories ?? []).map((d) => d.id)]);
    expect(matches.flatMap((m) => m.categories ?? []).filter((c) => !known.has(c))).toEqual([]);
  });

  it('has no rule that matches every event (a tautology shows nothing)', () => {
    const matchAll = allRules.filter(({ rule: r }) => matchesOf(r).some((m) => Object.keys(m).length === 0));
    expect(matchAll.map(({ control: id, rule: r }) => `${id}/${r.id}`)).toEqual([]);
  });

  it('names only declared parameters, and uses every one it declares', () => {
    const declared = (catalog.parameters ?? []).map((p) => p.id);
    const named = new Set(
      JSON.stringify(catalog.controls)
        .match(/"parameter":"[a-z0-9-]+"/g)!
        .map((m) => m.slice('"parameter":"'.length, -1)),
    );
    expect([...named].sort()).toEqual([...declared].sort());
    // A legal deadline is the default and the most a tenant may set.
    expect(catalog.parameters!.find((p) => p.id === 'breach-notification-window')).toMatchObject({
      default: { hours: 72 },
      max: { hours: 72 },
    });
  });

  it('names every control in the role scope, so that no new paragraph escapes it', () => {
    const [role] = catalog.scoping!;
    const named = (id: string) =>
      role.options
        .filter((o) => (o.controls ?? []).includes(id) || (o.tags ?? []).some((t) => (control(id).tags ?? []).includes(t)))
        .map((o) => o.id);
    const unnamed = catalog.controls.filter((c) => named(c.id).length === 0).map((c) => c.id);
    expect(unnamed).toEqual([]);
    expect(named('Art. 33(2)')).toEqual(['processor']);
    for (const id of ['Art. 33(1)', 'Art. 33(3)', 'Art. 33(5)', 'Art. 36', 'Art. 5(1)(c)', 'Art. 13', 'Art. 14'])
      expect(named(id)).toEqual(['controller']);
    for (const id of ['Art. 30', 'Art. 32(1)(a)', 'Art. 32(1)(d)', 'Art. 33', 'Art. 46', 'Art. 49'])
      expect(named(id)).toEqual(['controller', 'processor']);
  });

  it('answers every deadline, request and failure only with a successful event (follow-ups respect outcome)', () => {
    const answers = allRules.flatMap(({ control: id, rule: r }) =>
      r.kind === 'NOT_FOLLOWED_BY'
        ? [{ at: `${id}/${r.id}`, outcome: r.followUp.outcome }]
        : r.kind === 'NOT_PRECEDED_BY'
          ? [{ at: `${id}/${r.id}`, outcome: r.precededBy.outcome }]
          : [],
    );
    expect(answers.length).toBeGreaterThan(20);
    expect(answers.filter((a) => JSON.stringify(a.outcome) !== '["SUCCESS"]')).toEqual([]);
  });

  it('never makes a failure the process handles a finding by itself (one meaning per fact, as SOC 2)', () => {
    const plainFailures = allRules.filter(
      ({ rule: r }) =>
        r.kind === 'MATCH' && catalog.controls.some((c) => c.violations.includes(r)) && r.match.outcome?.some((o) => o !== 'SUCCESS'),
    );
    expect(plainFailures.map(({ control: id, rule: r }) => `${id}/${r.id}`)).toEqual([]);
    expect(rule('Art. 17', 'violations', 'failed-erasure-not-retried')).toEqual({
      id: 'failed-erasure-not-retried',
      kind: 'NOT_FOLLOWED_BY',
      description: expect.any(String),
      trigger: { ...action('data.erased'), outcome: ['FAILURE', 'ERROR'] },
      followUp: { ...action('data.erased'), outcome: ['SUCCESS'] },
      within: { parameter: 'failed-job-retry-window' },
      correlation: 'RESOURCE',
    });
  });

  it('Art. 30 is the register of processing, shown by its recent update and never by activity', () => {
    expect(rule('Art. 30', 'evidence', 'record-current')).toEqual({
      id: 'record-current',
      kind: 'RECENT',
      description: expect.any(String),
      match: { ...action('processing.record.updated'), outcome: ['SUCCESS'] },
      count: 1,
      within: { parameter: 'processing-record-interval' },
    });
    const rules = [...control('Art. 30').evidence, ...control('Art. 30').violations];
    expect(rules.flatMap(matchesOf).filter((m) => !m.action)).toEqual([]);
  });

  it('Art. 33(1): a notifiable or undecided breach needs a successful notification within the window', () => {
    const late = (ruleId: string, notifiable: object) => ({
      id: ruleId,
      kind: 'NOT_FOLLOWED_BY',
      description: expect.any(String),
      trigger: { ...action('breach.detected'), metadata: [{ path: 'notifiable', ...notifiable }] },
      followUp: { ...action('breach.notified.authority'), outcome: ['SUCCESS'] },
      within: { parameter: 'breach-notification-window' },
      correlation: 'RESOURCE',
    });
    expect(rule('Art. 33(1)', 'violations', 'breach-not-notified')).toEqual(late('breach-not-notified', { equals: true }));
    expect(rule('Art. 33(1)', 'violations', 'undecided-breach-not-notified')).toEqual(
      late('undecided-breach-not-notified', { exists: false }),
    );
    expect(rule('Art. 33(2)', 'violations', 'controller-not-told')).toMatchObject({
      kind: 'NOT_FOLLOWED_BY',
      followUp: { ...action('breach.notified.controller'), outcome: ['SUCCESS'] },
      within: { parameter: 'processor-breach-notice-window' },
    });
  });

  it('Art. 12(3) and 15: requests answered or extended within one month, and fulfilled within the extended limit', () => {
    expect(rule('Art. 15', 'violations', 'request-not-answered')).toEqual({
      id: 'request-not-answered',
      kind: 'NOT_FOLLOWED_BY',
      description: expect.any(String),
      trigger: { ...action('dsar.received'), metadata: [{ path: 'type', equals: 'access' }] },
      followUp: { action: [{ equals: 'dsar.fulfilled' }, { equals: 'dsar.extended' }], outcome: ['SUCCESS'] },
      within: { parameter: 'dsar-response-window' },
      correlation: 'RESOURCE',
    });
    expect(rule('Art. 12', 'violations', 'request-past-extended-limit')).toMatchObject({
      trigger: action('dsar.received'),
      followUp: { ...action('dsar.fulfilled'), outcome: ['SUCCESS'] },
      within: { parameter: 'dsar-extended-response-window' },
    });
  });

  it('Art. 7(3) and 21: processing on the withdrawn or objected basis afterwards is a finding (FOLLOWED_BY)', () => {
    expect(rule('Art. 7', 'violations', 'processing-after-withdrawal')).toMatchObject({
      kind: 'FOLLOWED_BY',
      trigger: { ...action('consent.withdrawn'), outcome: ['SUCCESS'] },
      followUp: { outcome: ['SUCCESS'], metadata: [{ path: 'legalBasis', in: ['consent'] }] },
      correlation: 'RESOURCE',
    });
    expect(rule('Art. 21', 'violations', 'processing-after-objection')).toMatchObject({
      kind: 'FOLLOWED_BY',
      trigger: action('processing.objection.received'),
      followUp: { outcome: ['SUCCESS'], metadata: [{ path: 'legalBasis', in: ['legitimate-interests', 'public-task'] }] },
    });
  });

  it('Art. 44, 46 and 49 judge transfers by their mechanism', () => {
    expect(rule('Art. 44', 'violations', 'transfer-without-ground')).toMatchObject({ kind: 'RATIO', atLeast: 1 });
    expect(rule('Art. 49', 'violations', 'derogation-not-named')).toMatchObject({
      kind: 'RATIO',
      population: { metadata: [{ path: 'mechanism', equals: 'derogation' }] },
    });
  });

  it('counts health data (PHI) as special-category data in every Art. 9 rule (Art. 4(15), 9(1))', () => {
    const ids = (catalog.dataCategories ?? []).map((d) => d.id);
    expect(ids).toEqual(expect.arrayContaining(['SPECIAL_CATEGORY', 'CRIMINAL_OFFENCE']));
    const evidence = control('Art. 9').evidence;
    expect(evidence.length).toBeGreaterThan(0);
    for (const r of evidence)
      expect(matchesOf(r).some((m) => m.categories?.includes('SPECIAL_CATEGORY') && m.categories.includes('PHI'))).toBe(true);
    for (const r of control('Art. 10').evidence) expect(matchesOf(r)[0].categories).toEqual(['CRIMINAL_OFFENCE']);
  });

  it('does not count refused access to personal data as a finding', () => {
    const denied = allRules
      .filter(({ rule: r }) => catalog.controls.some((c) => c.violations.includes(r)))
      .flatMap(({ rule: r }) => matchesOf(r))
      .filter((m) => m.outcome?.includes('DENIED'));
    expect(denied).toEqual([]);
  });

  it('classifies personal data and subject requests', () => {
    expect(catalog.classificationRules).toEqual([
      {
        id: 'personal-data-resources',
        resourceType: [{ equals: 'user_profile' }, { prefix: 'user_profile.' }, { prefix: 'customer' }, { prefix: 'data_subject' }],
        classification: 'CONFIDENTIAL',
        categories: ['PII'],
      },
      {
        id: 'consent-and-requests',
        action: [{ prefix: 'consent.' }, { prefix: 'dsar.' }],
        classification: 'CONFIDENTIAL',
        categories: ['PII'],
      },
    ]);
  });
});
