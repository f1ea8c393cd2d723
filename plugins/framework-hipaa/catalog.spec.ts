import { type CatalogControl, type EventMatch, type ParameterisedRule, type NamePattern } from '../../src/plugin-api';
import { pluginProblems } from '../../src/plugin-host/manifest.schema';
import plugin from './index';

/** Every control: id, then for an implementation specification its standard and whether it is required or addressable. */
const EXPECTED_CONTROLS: [id: string, parentId?: string, requirement?: 'required' | 'addressable'][] = [
  ['164.308(a)(1)'],
  ['164.308(a)(1)(ii)(A)', '164.308(a)(1)', 'required'],
  ['164.308(a)(1)(ii)(B)', '164.308(a)(1)', 'required'],
  ['164.308(a)(1)(ii)(C)', '164.308(a)(1)', 'required'],
  ['164.308(a)(1)(ii)(D)', '164.308(a)(1)', 'required'],
  ['164.308(a)(2)'],
  ['164.308(a)(3)'],
  ['164.308(a)(3)(ii)(A)', '164.308(a)(3)', 'addressable'],
  ['164.308(a)(3)(ii)(B)', '164.308(a)(3)', 'addressable'],
  ['164.308(a)(3)(ii)(C)', '164.308(a)(3)', 'addressable'],
  ['164.308(a)(4)'],
  ['164.308(a)(4)(ii)(A)', '164.308(a)(4)', 'required'],
  ['164.308(a)(4)(ii)(B)', '164.308(a)(4)', 'addressable'],
  ['164.308(a)(4)(ii)(C)', '164.308(a)(4)', 'addressable'],
  ['164.308(a)(5)'],
  ['164.308(a)(5)(ii)(A)', '164.308(a)(5)', 'addressable'],
  ['164.308(a)(5)(ii)(B)', '164.308(a)(5)', 'addressable'],
  ['164.308(a)(5)(ii)(C)', '164.308(a)(5)', 'addressable'],
  ['164.308(a)(5)(ii)(D)', '164.308(a)(5)', 'addressable'],
  ['164.308(a)(6)'],
  ['164.308(a)(6)(ii)', '164.308(a)(6)', 'required'],
  ['164.308(a)(7)'],
  ['164.308(a)(7)(ii)(A)', '164.308(a)(7)', 'required'],
  ['164.308(a)(7)(ii)(B)', '164.308(a)(7)', 'required'],
  ['164.308(a)(7)(ii)(C)', '164.308(a)(7)', 'required'],
  ['164.308(a)(7)(ii)(D)', '164.308(a)(7)', 'addressable'],
  ['164.308(a)(7)(ii)(E)', '164.308(a)(7)', 'addressable'],
  ['164.308(a)(8)'],
  ['164.308(b)(1)'],
  ['164.308(b)(3)', '164.308(b)(1)', 'required'],
  ['164.310(a)(1)'],
  ['164.310(a)(2)(i)', '164.310(a)(1)', 'addressable'],
  ['164.310(a)(2)(ii)', '164.310(a)(1)', 'addressable'],
  ['164.310(a)(2)(iii)', '164.310(a)(1)', 'addressable'],
  ['164.310(a)(2)(iv)', '164.310(a)(1)', 'addressable'],
  ['164.310(b)'],
  ['164.310(c)'],
  ['164.310(d)(1)'],
  ['164.310(d)(2)(i)', '164.310(d)(1)', 'required'],
  ['164.310(d)(2)(ii)', '164.310(d)(1)', 'required'],
  ['164.310(d)(2)(iii)', '164.310(d)(1)', 'addressable'],
  ['164.310(d)(2)(iv)', '164.310(d)(1)', 'addressable'],
  ['164.312(a)(1)'],
  ['164.312(a)(2)(i)', '164.312(a)(1)', 'required'],
  ['164.312(a)(2)(ii)', '164.312(a)(1)', 'required'],
  ['164.312(a)(2)(iii)', '164.312(a)(1)', 'addressable'],
  ['164.312(a)(2)(iv)', '164.312(a)(1)', 'addressable'],
  ['164.312(b)'],
  ['164.312(c)(1)'],
  ['164.312(c)(2)', '164.312(c)(1)', 'addressable'],
  ['164.312(d)'],
  ['164.312(e)(1)'],
  ['164.312(e)(2)(i)', '164.312(e)(1)', 'addressable'],
  ['164.312(e)(2)(ii)', '164.312(e)(1)', 'addressable'],
  ['164.314(a)(1)'],
  ['164.314(a)(2)(i)', '164.314(a)(1)', 'required'],
  ['164.314(a)(2)(ii)', '164.314(a)(1)', 'required'],
  ['164.314(a)(2)(iii)', '164.314(a)(1)', 'required'],
  ['164.314(b)(1)'],
  ['164.314(b)(2)', '164.314(b)(1)', 'required'],
  ['164.316(a)'],
  ['164.316(b)(1)'],
  ['164.316(b)(2)(i)', '164.316(b)(1)', 'required'],
  ['164.316(b)(2)(ii)', '164.316(b)(1)', 'required'],
  ['164.316(b)(2)(iii)', '164.316(b)(1)', 'required'],
];

const SAFEGUARDS: Record<string, string> = {
  '164.308': 'administrative',
  '164.310': 'physical',
  '164.312': 'technical',
  '164.314': 'organizational',
  '164.316': 'documentation',
};

const GDPR_ARTICLES = [
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

/** The action names of docs/event-vocabulary.md. */
const VOCABULARY = [
  'datapunk.authorization.denied',
  'datapunk.control.attested',
  'auth.login',
  'auth.logout',
  'auth.mfa.verified',
  'auth.mfa.enrolled',
  'auth.mfa.disabled',
  'auth.password.changed',
  'auth.password.reset',
  'auth.session.expired',
  'auth.lockout',
  'user.created',
  'user.deleted',
  'user.disabled',
  'role.assigned',
  'role.revoked',
  'access.review.completed',
  'access.emergency.granted',
  'api_key.created',
  'api_key.revoked',
  'key.rotated',
  'data.export',
  'data.transfer.international',
  'data.erased',
  'data.rectified',
  'data.restricted',
  'data.encrypted',
  'data.decrypted',
  'data.integrity.verified',
  'data.retention.applied',
  'consent.given',
  'consent.withdrawn',
  'processing.objection.received',
  'dsar.received',
  'dsar.fulfilled',
  'dpia.completed',
  'processing.record.updated',
  'processor.agreement.signed',
  'vendor.review.completed',
  'audit.log.reviewed',
  'config.changed',
  'change.approved',
  'change.deployed',
  'backup.completed',
  'backup.restore.tested',
  'vulnerability.scan.completed',
  'vulnerability.remediated',
  'malware.detected',
  'risk.assessment.completed',
  'policy.approved',
  'policy.acknowledged',
  'training.completed',
  'incident.detected',
  'incident.resolved',
  'breach.detected',
  'breach.notified.authority',
  'breach.notified.subjects',
  'contingency.test.completed',
  'facility.access',
  'device.disposed',
  'media.sanitized',
  'monitoring.alert',
];

const { catalog } = plugin;
const byId = new Map(catalog.controls.map((control) => [control.id, control]));

const control = (id: string): CatalogControl => {
  const found = byId.get(id);
  if (!found) throw new Error(`no control ${id}`);
  return found;
};
const rule = (controlId: string, list: 'evidence' | 'violations', ruleId: string): ParameterisedRule | undefined =>
  control(controlId)[list].find((r) => r.id === ruleId);
const matchesOf = (r: ParameterisedRule): EventMatch[] =>
  'match' in r ? [r.match] : 'population' in r ? [r.population, r.qualifying] : [r.trigger, 'followUp' in r ? r.followUp : r.precededBy];
const covers = (pattern: NamePattern, name: string) =>
  'equals' in pattern ? name === pattern.equals : 'prefix' in pattern ? name.startsWith(pattern.prefix) : false;

describe('framework-hipaa', () => {
  it('passes the host validation', () => {
    expect(pluginProblems(plugin)).toEqual([]);
  });

  it('provides the HIPAA Security Rule framework', () => {
    expect(plugin.id).toBe('framework-hipaa');
    expect(catalog.framework).toMatchObject({ id: 'hipaa', name: 'HIPAA Security Rule', version: '45 CFR Part 164 Subpart C' });
  });

  it('has every standard and implementation specification, each once', () => {
    const ids = catalog.controls.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(EXPECTED_CONTROLS.map(([id]) => id).sort());
  });

  it('nests specifications under their standard and tags each control', () => {
    for (const [id, parentId, requirement] of EXPECTED_CONTROLS) {
      const safeguard = SAFEGUARDS[id.slice(0, 7)];
      const expected = requirement ? ['implementation-specification', requirement, safeguard] : ['standard', safeguard];
      expect({ id, parentId: control(id).parentId, tags: control(id).tags }).toEqual({ id, parentId, tags: expected });
    }
  });

  it('gives every control at least one evidence rule', () => {
    expect(catalog.controls.filter((c) => c.evidence.length === 0).map((c) => c.id)).toEqual([]);
  });

  it('names only actions of the event vocabulary', () => {
    const unknown = catalog.controls.flatMap((c) =>
      [...c.evidence, ...c.violations]
        .flatMap(matchesOf)
        .flatMap((match) =>
          (match.action ?? [])
            .filter((pattern) => !VOCABULARY.some((name) => covers(pattern, name)))
            .map((p) => `${c.id}: ${JSON.stringify(p)}`),
        ),
    );
    expect(unknown).toEqual([]);
  });

  it('reviews system activity every month, and finds a month without a review', () => {
    const match = { action: [{ equals: 'audit.log.reviewed' }] };
    expect(rule('164.308(a)(1)(ii)(D)', 'evidence', 'monthly-activity-review')).toEqual({
      id: 'monthly-activity-review',
      kind: 'AT_LEAST',
      description: expect.any(String),
      match,
      count: 1,
      period: 'MONTH',
    });
    expect(rule('164.308(a)(1)(ii)(D)', 'violations', 'missed-activity-review')).toEqual({
      id: 'missed-activity-review',
      kind: 'AT_LEAST',
      description: expect.any(String),
      match,
      count: 1,
      period: 'MONTH',
    });
  });

  it('records every sign-in and finds five failures for one account within ten minutes', () => {
    expect(rule('164.308(a)(5)(ii)(C)', 'evidence', 'logins-monitored')).toEqual({
      id: 'logins-monitored',
      kind: 'MATCH',
      description: expect.any(String),
      match: { action: [{ equals: 'auth.login' }] },
    });
    expect(rule('164.308(a)(5)(ii)(C)', 'violations', 'repeated-failed-logins')).toEqual({
      id: 'repeated-failed-logins',
      kind: 'BURST',
      description: expect.any(String),
      match: { action: [{ equals: 'auth.login' }], outcome: ['FAILURE'] },
      count: 5,
      within: { minutes: 10 },
      correlation: 'ACTOR',
    });
  });

  it('takes the whole audit trail as evidence of audit controls', () => {
    expect(rule('164.312(b)', 'evidence', 'activity-recorded')).toEqual({
      id: 'activity-recorded',
      kind: 'MATCH',
      description: expect.any(String),
      match: {},
    });
  });

  it('shows automatic logoff by expired sessions', () => {
    expect(control('164.312(a)(2)(iii)').evidence).toContainEqual(
      expect.objectContaining({ kind: 'MATCH', match: { action: [{ equals: 'auth.session.expired' }] } }),
    );
  });

  it('finds an incident not resolved within 30 days', () => {
    expect(rule('164.308(a)(6)(ii)', 'violations', 'incident-unresolved')).toEqual({
      id: 'incident-unresolved',
      kind: 'NOT_FOLLOWED_BY',
      description: expect.any(String),
      trigger: { action: [{ equals: 'incident.detected' }] },
      followUp: { action: [{ equals: 'incident.resolved' }] },
      within: { days: 30 },
      correlation: 'RESOURCE',
    });
    expect(control('164.308(a)(6)(ii)').evidence).toContainEqual(
      expect.objectContaining({ kind: 'MATCH', match: { action: [{ equals: 'incident.resolved' }] } }),
    );
  });

  it('counts allowed and refused PHI access as access control working, never as a finding', () => {
    expect(rule('164.312(a)(1)', 'evidence', 'phi-access-controlled')).toEqual({
      id: 'phi-access-controlled',
      kind: 'MATCH',
      description: expect.any(String),
      match: { categories: ['PHI'], outcome: ['SUCCESS', 'DENIED'] },
    });
    expect(control('164.312(a)(1)').violations).toEqual([]);
  });

  it('classifies patient, medical, prescription and lab resources as restricted PHI', () => {
    expect(catalog.classificationRules).toContainEqual({
      id: 'phi-resources',
      resourceType: [
        { equals: 'patient_record' },
        { prefix: 'patient_record.' },
        { prefix: 'medical_' },
        { prefix: 'prescription' },
        { prefix: 'lab_result' },
      ],
      classification: 'RESTRICTED',
      categories: ['PHI'],
    });
  });

  it('maps only to GDPR articles that exist', () => {
    const dangling = catalog.controls.flatMap((c) =>
      (c.mappings ?? [])
        .filter((m) => m.frameworkId !== 'gdpr' || !GDPR_ARTICLES.includes(m.controlId))
        .map((m) => `${c.id} → ${m.frameworkId} ${m.controlId}`),
    );
    expect(dangling).toEqual([]);
  });

  it.each([
    ['164.312(b)', 'Art. 30', 'INTERSECTS'],
    ['164.308(a)(6)(ii)', 'Art. 33', 'INTERSECTS'],
    ['164.308(a)(1)(ii)(A)', 'Art. 35', 'INTERSECTS'],
    ['164.312(a)(2)(iv)', 'Art. 32', 'SUBSET'],
    ['164.312(e)(2)(ii)', 'Art. 32', 'SUBSET'],
    ['164.314(a)(1)', 'Art. 28', 'INTERSECTS'],
    ['164.308(a)(1)', 'Art. 24', 'INTERSECTS'],
  ])('maps %s to GDPR %s (%s)', (id, article, relationship) => {
    expect(control(id).mappings).toContainEqual({ frameworkId: 'gdpr', controlId: article, relationship });
  });
});
