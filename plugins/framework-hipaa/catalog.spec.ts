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
  ['164.404'],
  ['164.406'],
  ['164.408'],
  ['164.410'],
  ['164.412'],
  ['164.414'],
];

const SAFEGUARDS: Record<string, string> = {
  '164.308': 'administrative',
  '164.310': 'physical',
  '164.312': 'technical',
  '164.314': 'organizational',
  '164.316': 'documentation',
  '164.404': 'breach-notification',
  '164.406': 'breach-notification',
  '164.408': 'breach-notification',
  '164.410': 'breach-notification',
  '164.412': 'breach-notification',
  '164.414': 'breach-notification',
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

/** The server's read records (ADR 0044). */
const READ_RECORDS = [{ equals: 'datapunk.log.read' }, { equals: 'datapunk.report.generated' }, { equals: 'datapunk.report.downloaded' }];

/** The action names of docs/event-vocabulary.md. */
const VOCABULARY = [
  'datapunk.authorization.denied',
  'datapunk.control.attested',
  'datapunk.log.read',
  'datapunk.report.generated',
  'datapunk.report.downloaded',
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
  'malware.quarantined',
  'access.emergency.reviewed',
  'breach.notified.media',
  'breach.notified.controller',
  'breach.notification.delayed',
  '<resource>.read',
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
const parameter = (id: string) => {
  const found = (catalog.parameters ?? []).find((p) => p.id === id);
  if (!found) throw new Error(`no parameter ${id}`);
  return found;
};
const allRules = catalog.controls.flatMap((c) => [...c.evidence, ...c.violations].map((r) => ({ control: c.id, rule: r })));
const covers = (pattern: NamePattern, name: string) =>
  'equals' in pattern
    ? name === pattern.equals
    : 'prefix' in pattern
      ? name.startsWith(pattern.prefix)
      : // The vocabulary's `<resource>.read`: any data read.
        pattern.glob === '**.read' && name === '<resource>.read';

describe('framework-hipaa', () => {
  it('passes the host validation', () => {
    expect(pluginProblems(plugin)).toEqual([]);
  });

  it('provides the HIPAA Security Rule framework', () => {
    expect(plugin.id).toBe('framework-hipaa');
    expect(catalog.framework).toMatchObject({ id: 'hipaa', name: 'HIPAA Security Rule', version: '45 CFR Part 164 Subparts C and D' });
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

  it('reviews system activity every month, and finds a month without a review and a bulk read of PHI', () => {
    const match = { action: [{ equals: 'audit.log.reviewed' }], outcome: ['SUCCESS'] };
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
    expect(rule('164.308(a)(1)(ii)(D)', 'violations', 'phi-bulk-read')).toEqual({
      id: 'phi-bulk-read',
      kind: 'BURST',
      description: expect.any(String),
      match: { action: [{ glob: '**.read' }], outcome: ['SUCCESS'], categories: ['PHI'] },
      count: { parameter: 'phi-bulk-read-count' },
      within: { parameter: 'phi-bulk-read-window' },
      correlation: 'ACTOR',
    });
    expect(parameter('phi-bulk-read-count')).toMatchObject({ type: 'INTEGER', default: 100 });
    expect(parameter('phi-bulk-read-window')).toMatchObject({ type: 'DURATION', default: { minutes: 10 } });
  });

  it('takes failed sign-ins and lockouts as log-in monitoring at work, not as findings', () => {
    expect(rule('164.308(a)(5)(ii)(C)', 'evidence', 'logins-monitored')).toEqual({
      id: 'logins-monitored',
      kind: 'MATCH',
      description: expect.any(String),
      match: { action: [{ equals: 'auth.login' }] },
    });
    expect(rule('164.308(a)(5)(ii)(C)', 'evidence', 'accounts-locked')).toMatchObject({
      kind: 'MATCH',
      match: { action: [{ equals: 'auth.lockout' }], outcome: ['SUCCESS'] },
    });
    // A burst of failures is the lockout's trigger; the finding is a burst the lockout did not answer, as in SOC 2 CC6.1.
    expect(control('164.308(a)(5)(ii)(C)').violations).toEqual([
      {
        id: 'failed-logins-not-locked',
        kind: 'BURST',
        description: expect.any(String),
        match: { action: [{ equals: 'auth.login' }], outcome: ['FAILURE'] },
        count: 5,
        within: { minutes: 10 },
        correlation: 'ACTOR',
        response: {
          match: { action: [{ equals: 'auth.lockout' }], outcome: ['SUCCESS'] },
          within: { parameter: 'lockout-response-window' },
        },
      },
    ]);
  });

  it('shows audit controls by reviews with no gap longer than the parameter, not by the trail recording itself', () => {
    expect(control('164.312(b)').evidence).toEqual([
      {
        id: 'audit-logs-reviewed',
        kind: 'MAX_GAP',
        description: expect.any(String),
        match: { action: [{ equals: 'audit.log.reviewed' }], outcome: ['SUCCESS'] },
        maxGap: { parameter: 'audit-log-review-gap' },
      },
      // The server's read records show the log being examined: activity (MATCH), never the duty (ADR 0044).
      {
        id: 'audit-log-reads-recorded',
        kind: 'MATCH',
        description: expect.any(String),
        match: { action: READ_RECORDS, outcome: ['SUCCESS'] },
      },
    ]);
  });

  it('takes the read records of the log as activity of the monthly activity review, never as the review', () => {
    const evidence = control('164.308(a)(1)(ii)(D)').evidence;
    expect(evidence.map((r) => [r.id, r.kind])).toEqual([
      ['monthly-activity-review', 'AT_LEAST'],
      ['activity-records-read', 'MATCH'],
    ]);
    expect(evidence[1]).toMatchObject({ match: { action: READ_RECORDS, outcome: ['SUCCESS'] } });
    expect(
      control('164.308(a)(1)(ii)(D)')
        .violations.flatMap(matchesOf)
        .flatMap((m) => m.action ?? []),
    ).not.toContainEqual(READ_RECORDS[0]);
  });

  it('does not take session expiry as workstation security', () => {
    const names = [...control('164.310(c)').evidence, ...control('164.310(c)').violations]
      .flatMap(matchesOf)
      .flatMap((m) => m.action ?? []);
    expect(names).not.toContainEqual({ equals: 'auth.session.expired' });
  });

  it('does not take a policy approval as six-year retention', () => {
    const names = control('164.316(b)(2)(i)')
      .evidence.flatMap(matchesOf)
      .flatMap((m) => m.action ?? []);
    expect(names).toEqual([{ equals: 'data.retention.applied' }]);
  });

  it.each([
    ['164.308(a)(4)(ii)(A)', 'segment'],
    ['164.314(a)(2)(ii)', 'agreement.type'],
    ['164.314(a)(2)(iii)', 'agreement.type'],
    ['164.314(b)(1)', 'policy.type'],
  ])('%s counts only events about its own arrangement (metadata %s)', (id, path) => {
    const own = control(id).evidence.filter((r) => matchesOf(r).some((m) => m.metadata?.some((p) => p.path === path)));
    expect(own.length).toBeGreaterThan(0);
    // Rules without that predicate may only be activity of a kind no other control counts alone (vendor reviews).
    const other = control(id).evidence.filter((r) => !own.includes(r));
    expect(other.flatMap(matchesOf).flatMap((m) => m.action ?? [])).not.toContainEqual({ equals: 'policy.approved' });
    expect(other.flatMap(matchesOf).flatMap((m) => m.action ?? [])).not.toContainEqual({ equals: 'processor.agreement.signed' });
  });

  it('finds an incident not resolved successfully within the window', () => {
    expect(rule('164.308(a)(6)(ii)', 'violations', 'incident-unresolved')).toEqual({
      id: 'incident-unresolved',
      kind: 'NOT_FOLLOWED_BY',
      description: expect.any(String),
      trigger: { action: [{ equals: 'incident.detected' }] },
      followUp: { action: [{ equals: 'incident.resolved' }], outcome: ['SUCCESS'] },
      within: { parameter: 'incident-resolution-window' },
      correlation: 'RESOURCE',
    });
    expect(control('164.308(a)(6)(ii)').evidence).toContainEqual(
      expect.objectContaining({ kind: 'MATCH', match: { action: [{ equals: 'incident.resolved' }] } }),
    );
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
    expect(new Set(declared).size).toBe(declared.length);
  });

  it('never makes a failure that a working control handles a finding by itself (issue 11: one meaning per fact, as SOC 2)', () => {
    const handled = [
      'backup.completed',
      'vulnerability.scan.completed',
      'malware.detected',
      'access.emergency.granted',
      'backup.restore.tested',
      'contingency.test.completed',
      'data.retention.applied',
      'auth.lockout',
      'data.integrity.verified',
      'data.encrypted',
      'media.sanitized',
      'device.disposed',
      'user.disabled',
      'user.deleted',
      'role.revoked',
      'auth.login',
      'auth.mfa.verified',
    ];
    const plainFindings = catalog.controls
      .flatMap((c) => c.violations.map((r) => ({ control: c.id, rule: r })))
      // A burst is a finding only when no response answers it (plugin API 1.8.0).
      .filter(({ rule: r }) => r.kind === 'MATCH' || (r.kind === 'BURST' && !r.response))
      .filter(({ rule: r }) => 'match' in r && (r.match.action ?? []).some((p) => 'equals' in p && handled.includes(p.equals)));
    expect(plainFindings.map(({ control: id, rule: r }) => `${id}/${r.id}`)).toEqual([]);
  });

  it.each([
    ['164.308(a)(5)(ii)(B)', 'malware-not-quarantined', 'malware.detected', 'malware.quarantined', 'malware-quarantine-window'],
    [
      '164.312(a)(2)(ii)',
      'emergency-access-not-reviewed',
      'access.emergency.granted',
      'access.emergency.reviewed',
      'emergency-access-review-window',
    ],
    ['164.308(a)(7)(ii)(A)', 'failed-backup-not-recovered', 'backup.completed', 'backup.completed', 'failed-job-retry-window'],
    [
      '164.308(a)(7)(ii)(D)',
      'failed-contingency-test-not-retested',
      'contingency.test.completed',
      'contingency.test.completed',
      'recovery-retest-window',
    ],
    [
      '164.312(c)(1)',
      'failed-integrity-check-not-resolved',
      'data.integrity.verified',
      'data.integrity.verified',
      'failed-job-retry-window',
    ],
  ])('%s finds the missing response with %s, answered only by a successful event', (id, ruleId, trigger, answer, window) => {
    expect(rule(id, 'violations', ruleId)).toMatchObject({
      kind: 'NOT_FOLLOWED_BY',
      trigger: { action: [{ equals: trigger }] },
      followUp: { action: [{ equals: answer }], outcome: ['SUCCESS'] },
      within: { parameter: window },
      correlation: 'RESOURCE',
    });
  });

  describe('Breach Notification Rule', () => {
    it.each([
      ['164.404', 'individuals-not-notified', 'breach.notified.subjects', 'individual-notice-window'],
      ['164.406', 'media-not-notified', 'breach.notified.media', 'media-notice-window'],
      ['164.408', 'secretary-not-notified-large', 'breach.notified.authority', 'secretary-notice-window'],
      ['164.408', 'secretary-not-notified-small', 'breach.notified.authority', 'secretary-annual-log-window'],
      ['164.410', 'covered-entity-not-notified', 'breach.notified.controller', 'business-associate-notice-window'],
    ])('%s: %s needs a successful %s within %s after a PHI breach', (id, ruleId, answer, window) => {
      const found = rule(id, 'violations', ruleId)!;
      expect(found).toMatchObject({
        kind: 'NOT_FOLLOWED_BY',
        trigger: { action: [{ equals: 'breach.detected' }], categories: ['PHI'] },
        followUp: { action: [{ equals: answer }], outcome: ['SUCCESS'] },
        within: { parameter: window },
        correlation: 'RESOURCE',
      });
    });

    it('never lets a deadline exceed the rule’s', () => {
      for (const [id, days] of [
        ['individual-notice-window', 60],
        ['media-notice-window', 60],
        ['secretary-notice-window', 60],
        ['business-associate-notice-window', 60],
        ['secretary-annual-log-window', 425],
      ] as const) {
        expect(parameter(id)).toMatchObject({ default: { days }, max: { days } });
      }
    });

    it('needs a notifiable decision, the affected band and the Secretary as the authority where the rule does', () => {
      expect(rule('164.406', 'violations', 'media-not-notified')).toMatchObject({
        trigger: {
          metadata: [
            { path: 'notifiable', equals: true },
            { path: 'affected.stateOver500', equals: true },
          ],
        },
      });
      expect(rule('164.408', 'violations', 'secretary-not-notified-small')).toMatchObject({
        trigger: {
          metadata: [
            { path: 'notifiable', equals: true },
            { path: 'affected.band', equals: 'under-500' },
          ],
        },
        followUp: { metadata: [{ path: 'authority', equals: 'hhs' }] },
      });
      expect(rule('164.414', 'violations', 'notification-undecided')).toMatchObject({
        kind: 'MATCH',
        match: { action: [{ equals: 'breach.detected' }], categories: ['PHI'], metadata: [{ path: 'notifiable', exists: false }] },
      });
    });

    it('scopes covered-entity notices to covered entities and the notice to the covered entity to business associates', () => {
      const role = catalog.scoping!.find((d) => d.id === 'role')!;
      const option = (id: string) => role.options.find((o) => o.id === id)!.controls;
      expect(option('covered-entity')).toEqual(expect.arrayContaining(['164.404', '164.406', '164.408']));
      expect(option('business-associate')).toContain('164.410');
      expect(role.options.flatMap((o) => o.controls ?? [])).not.toContain('164.412');
      expect(role.options.flatMap((o) => o.controls ?? [])).not.toContain('164.414');
    });
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
    ['164.312(b)', 'Art. 32', 'INTERSECTS'],
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
