import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventMatch, ParameterisedRule } from '../../src/plugin-api';
// The host's own validation is the point of this test; plugins otherwise import only the plugin API.
import { pluginProblems } from '../../src/plugin-host/manifest.schema';
import plugin from './index';

const { catalog } = plugin;

const CONTROL_IDS = [
  'Art. 5',
  'Art. 6',
  'Art. 7',
  'Art. 9',
  'Art. 12',
  'Art. 15',
  'Art. 16',
  'Art. 17',
  'Art. 18',
  'Art. 19',
  'Art. 20',
  'Art. 21',
  'Art. 22',
  'Art. 24',
  'Art. 25',
  'Art. 28',
  'Art. 30',
  'Art. 32',
  'Art. 33',
  'Art. 34',
  'Art. 35',
  'Art. 44',
];

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
const allRules = catalog.controls.flatMap((c) => [...c.evidence, ...c.violations]);
const action = (name: string) => ({ action: [{ equals: name }] });

describe('framework-gdpr', () => {
  it('passes the host validation', () => {
    expect(pluginProblems(plugin)).toEqual([]);
  });

  it('names the framework', () => {
    expect(plugin.id).toBe('framework-gdpr');
    expect(catalog.framework).toMatchObject({ id: 'gdpr', name: 'GDPR', version: 'Regulation (EU) 2016/679' });
  });

  it('has exactly the GDPR articles, flat, each once', () => {
    const ids = catalog.controls.map((c) => c.id);
    expect(ids).toEqual(CONTROL_IDS);
    expect(new Set(ids).size).toBe(ids.length);
    expect(catalog.controls.filter((c) => c.parentId !== undefined)).toEqual([]);
  });

  it('gives every control evidence, one chapter tag and no mappings', () => {
    for (const c of catalog.controls) {
      expect({ id: c.id, evidence: c.evidence.length > 0 }).toEqual({ id: c.id, evidence: true });
      expect({ id: c.id, chapters: (c.tags ?? []).filter((t) => CHAPTERS.includes(t)).length }).toEqual({ id: c.id, chapters: 1 });
      expect(c.mappings ?? []).toEqual([]);
    }
    expect(control('Art. 9').tags).toContain('special-categories');
  });

  it('names only actions of the event vocabulary and known data categories', () => {
    const vocabulary = readFileSync(join(__dirname, '../../docs/event-vocabulary.md'), 'utf8');
    const documented = new Set([...vocabulary.matchAll(/`([a-z_.]+)`/g)].map((m) => m[1]));
    const matches = allRules.flatMap(matchesOf);
    const actions = matches.flatMap((m) => m.action ?? []).flatMap((p) => ('equals' in p ? [p.equals] : []));
    expect(actions.filter((a) => !documented.has(a))).toEqual([]);
    const known = new Set(['PII', ...(catalog.dataCategories ?? []).map((d) => d.id)]);
    expect(matches.flatMap((m) => m.categories ?? []).filter((c) => !known.has(c))).toEqual([]);
  });

  it('requires breach notification to the authority within 72 hours (Art. 33)', () => {
    const pairing = {
      kind: 'NOT_FOLLOWED_BY',
      description: expect.any(String),
      trigger: action('breach.detected'),
      followUp: action('breach.notified.authority'),
      within: { hours: 72 },
      correlation: 'RESOURCE',
    };
    expect(rule('Art. 33', 'violations', 'breach-not-notified-72h')).toEqual({ id: 'breach-not-notified-72h', ...pairing });
    expect(rule('Art. 33', 'evidence', 'breach-notified-72h')).toEqual({ id: 'breach-notified-72h', ...pairing });
    expect(rule('Art. 33', 'evidence', 'authority-notified')).toMatchObject({ kind: 'MATCH', match: action('breach.notified.authority') });
  });

  it('counts notifications of data subjects (Art. 34)', () => {
    expect(rule('Art. 34', 'evidence', 'subjects-notified')).toEqual({
      id: 'subjects-notified',
      kind: 'MATCH',
      description: expect.any(String),
      match: action('breach.notified.subjects'),
    });
  });

  it('requires access requests to be fulfilled within 30 days (Art. 15)', () => {
    expect(rule('Art. 15', 'violations', 'access-request-overdue')).toEqual({
      id: 'access-request-overdue',
      kind: 'NOT_FOLLOWED_BY',
      description: expect.any(String),
      trigger: action('dsar.received'),
      followUp: action('dsar.fulfilled'),
      within: { days: 30 },
      correlation: 'RESOURCE',
    });
    expect(rule('Art. 15', 'evidence', 'access-requests-fulfilled')).toEqual({
      id: 'access-requests-fulfilled',
      kind: 'MATCH',
      description: expect.any(String),
      match: action('dsar.fulfilled'),
    });
  });

  it('allows at most the extended three months for any request (Art. 12)', () => {
    expect(rule('Art. 12', 'violations', 'request-unanswered-90d')).toMatchObject({
      kind: 'NOT_FOLLOWED_BY',
      trigger: action('dsar.received'),
      followUp: action('dsar.fulfilled'),
      within: { days: 90 },
      correlation: 'RESOURCE',
    });
  });

  it('requires an objection to be followed by a restriction within 30 days (Art. 21)', () => {
    expect(rule('Art. 21', 'violations', 'objection-not-actioned')).toEqual({
      id: 'objection-not-actioned',
      kind: 'NOT_FOLLOWED_BY',
      description: expect.any(String),
      trigger: action('processing.objection.received'),
      followUp: action('data.restricted'),
      within: { days: 30 },
      correlation: 'RESOURCE',
    });
  });

  it('counts erasures, consent, records of processing, security measures and transfers', () => {
    expect(rule('Art. 17', 'evidence', 'erasures')).toMatchObject({
      kind: 'MATCH',
      match: { ...action('data.erased'), outcome: ['SUCCESS'] },
    });
    expect(rule('Art. 7', 'evidence', 'consent-given')).toMatchObject({ kind: 'MATCH', match: action('consent.given') });
    expect(rule('Art. 7', 'evidence', 'consent-withdrawn')).toMatchObject({ kind: 'MATCH', match: action('consent.withdrawn') });
    expect(rule('Art. 30', 'evidence', 'activity-recorded')).toEqual({
      id: 'activity-recorded',
      kind: 'MATCH',
      description: expect.any(String),
      match: { categories: ['PII'] },
    });
    expect(rule('Art. 30', 'evidence', 'record-updated')).toMatchObject({ kind: 'MATCH', match: action('processing.record.updated') });
    const security = control('Art. 32')
      .evidence.flatMap(matchesOf)
      .flatMap((m) => m.action ?? []);
    for (const name of ['data.encrypted', 'key.rotated', 'backup.restore.tested', 'vulnerability.scan.completed']) {
      expect(security).toContainEqual({ equals: name });
    }
    expect(rule('Art. 44', 'evidence', 'international-transfers')).toMatchObject({
      kind: 'MATCH',
      match: { ...action('data.transfer.international'), outcome: ['SUCCESS'] },
    });
  });

  it('does not count refused access to personal data as a finding', () => {
    const deniedPersonalData = control('Art. 32')
      .violations.flatMap(matchesOf)
      .filter((m) => m.outcome?.includes('DENIED') && m.categories);
    expect(deniedPersonalData).toEqual([]);
  });

  it('shows special-category processing with its own data category (Art. 9)', () => {
    const ids = (catalog.dataCategories ?? []).map((d) => d.id);
    expect(ids).toEqual(expect.arrayContaining(['SPECIAL_CATEGORY', 'CRIMINAL_OFFENCE']));
    const evidence = control('Art. 9').evidence;
    expect(evidence.length).toBeGreaterThan(0);
    for (const r of evidence) expect(matchesOf(r).some((m) => m.categories?.includes('SPECIAL_CATEGORY'))).toBe(true);
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
