import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

/**
 * The HIPAA review points of issue 11 as assessments: a working control is evidence and only its
 * missing response is a finding (the same event means the same in SOC 2), specifications of other
 * roles need their own evidence, no tautology, a PHI bulk read is a finding, and the Breach
 * Notification Rule. Each case has a tenant of its own and a closed range at fixed instants, judged
 * as of its end (the test environment's recording lag covers seeding it today).
 */
const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** The range: 1 January to 1 June 2026; events are placed in days (and hours) after its start. */
const FROM = Date.parse('2026-01-01T00:00:00Z');
const RANGE = { from: new Date(FROM).toISOString(), to: '2026-06-01T00:00:00.000Z' };
const at = (days: number, hours = 0, ms = 0): string => new Date(FROM + days * DAY + hours * HOUR + ms).toISOString();

const ASSESS = `query Assess($input: AssessComplianceInput!) {
  assessCompliance(input: $input) {
    controls { controlId status evidenceCount violationCount reason rules { ruleId role verdict count pending duty tested } }
    parameters { id value }
  }
}`;
const SET_SCOPE = `mutation S($input: SetFrameworkScopeInput!) { setFrameworkScope(input: $input) { id selected source } }`;

type Rule = { ruleId: string; role: string; verdict: string; count: number; pending: number | null; duty: boolean; tested: number | null };
type Control = { controlId: string; status: string; evidenceCount: number; violationCount: number; reason: string; rules: Rule[] };
type Assessed = { control: (id: string) => Control; rule: (id: string, ruleId: string) => Rule };

describe('HIPAA content: working controls are evidence, missing responses are findings', () => {
  let env: TestEnvironment;
  let tenants = 0;

  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(async () => {
    await env?.close();
  });

  /** Records `events` in a fresh tenant; `assess` then judges a framework over the range (or another one). */
  async function tenantWith(events: Record<string, unknown>[]) {
    const tenant = `hipaa-content-${++tenants}`;
    const recorded = await env.gql(RECORD, { input: { events: events.map((e) => eventInput(e)) } }, await env.createKey('INGEST', tenant));
    expect(recorded.body.errors).toBeUndefined();
    const auditor = await env.createKey('AUDITOR', tenant);
    return {
      tenant,
      assess: async (frameworkId = 'hipaa', range: Record<string, string> = RANGE): Promise<Assessed> => {
        const res = await env.gql(ASSESS, { input: { frameworkId, ...range } }, auditor);
        expect(res.body.errors).toBeUndefined();
        const controls: Control[] = res.body.data!.assessCompliance.controls;
        const control = (id: string) => controls.find((c) => c.controlId === id)!;
        return { control, rule: (id, ruleId) => control(id).rules.find((r) => r.ruleId === ruleId)! };
      },
    };
  }
  const assess = async (events: Record<string, unknown>[], frameworkId = 'hipaa') => (await tenantWith(events)).assess(frameworkId);
  const on = (type: string, id: string) => ({ resource: { type, id } });

  it('164.308(a)(5)(ii)(B): malware quarantined in time is no finding, in HIPAA as in SOC 2 CC6.8; left for two days it is one in both', async () => {
    const handled = await tenantWith([
      { occurredAt: at(10), action: 'malware.detected', ...on('malware_detection', 'd-1') },
      { occurredAt: at(10, 1), action: 'malware.quarantined', ...on('malware_detection', 'd-1') },
    ]);
    const hipaa = await handled.assess();
    expect(hipaa.rule('164.308(a)(5)(ii)(B)', 'malware-not-quarantined')).toMatchObject({
      verdict: 'CLEAR',
      count: 0,
      duty: true,
      tested: 1,
    });
    expect(hipaa.rule('164.308(a)(5)(ii)(B)', 'malware-quarantined')).toMatchObject({ verdict: 'MET', count: 1 });
    expect(hipaa.control('164.308(a)(5)(ii)(B)').status).toBe('COMPLIANT');
    expect((await handled.assess('soc2')).rule('CC6.8', 'malware-not-quarantined')).toMatchObject({ verdict: 'CLEAR', tested: 1 });

    const left = await tenantWith([
      { occurredAt: at(10), action: 'malware.detected', ...on('malware_detection', 'd-1') },
      { occurredAt: at(12), action: 'malware.quarantined', ...on('malware_detection', 'd-1') },
      // Another detection's quarantine in time does not answer it.
      { occurredAt: at(10, 1), action: 'malware.quarantined', ...on('malware_detection', 'd-2') },
    ]);
    expect((await left.assess()).rule('164.308(a)(5)(ii)(B)', 'malware-not-quarantined')).toMatchObject({ verdict: 'FINDING', count: 1 });
    expect((await left.assess()).control('164.308(a)(5)')).toMatchObject({ status: 'NON_COMPLIANT' });
    expect((await left.assess('soc2')).rule('CC6.8', 'malware-not-quarantined')).toMatchObject({ verdict: 'FINDING', count: 1 });
  });

  it('164.312(a)(2)(ii): a break-glass use is evidence; one not reviewed successfully in time is the finding, as in SOC 2 CC6.3', async () => {
    const reviewed = await assess([
      { occurredAt: at(20), action: 'access.emergency.granted', ...on('emergency_access', 'g-1') },
      { occurredAt: at(20, 3), action: 'access.emergency.reviewed', ...on('emergency_access', 'g-1') },
    ]);
    expect(reviewed.rule('164.312(a)(2)(ii)', 'emergency-access-used')).toMatchObject({ verdict: 'MET', count: 1 });
    expect(reviewed.rule('164.312(a)(2)(ii)', 'emergency-access-not-reviewed')).toMatchObject({ verdict: 'CLEAR', tested: 1 });
    expect(reviewed.control('164.312(a)(2)(ii)').status).toBe('COMPLIANT');

    const unreviewed = await tenantWith([
      { occurredAt: at(20), action: 'access.emergency.granted', ...on('emergency_access', 'g-1') },
      // A review that errored answers nothing.
      { occurredAt: at(20, 3), action: 'access.emergency.reviewed', outcome: { status: 'ERROR' }, ...on('emergency_access', 'g-1') },
    ]);
    expect((await unreviewed.assess()).rule('164.312(a)(2)(ii)', 'emergency-access-not-reviewed')).toMatchObject({
      verdict: 'FINDING',
      count: 1,
    });
    expect((await unreviewed.assess()).control('164.312(a)(2)(ii)').status).toBe('NON_COMPLIANT');
    expect((await unreviewed.assess('soc2')).rule('CC6.3', 'emergency-access-not-reviewed')).toMatchObject({
      verdict: 'FINDING',
      count: 1,
    });
  });

  it('164.308(a)(7)(ii)(A): a failed backup retried two hours later is no finding; one not retried in a day is, as in SOC 2 A1.2', async () => {
    const weekly = [3, 10, 17].map((d) => ({ occurredAt: at(d), action: 'backup.completed', ...on('backup_job', 'nightly') }));
    const retried = await tenantWith([
      ...weekly,
      { occurredAt: at(8), action: 'backup.completed', outcome: { status: 'FAILURE' }, ...on('backup_job', 'nightly') },
      { occurredAt: at(8, 2), action: 'backup.completed', ...on('backup_job', 'nightly') },
    ]);
    expect((await retried.assess()).rule('164.308(a)(7)(ii)(A)', 'failed-backup-not-recovered')).toMatchObject({
      verdict: 'CLEAR',
      tested: 1,
    });
    expect((await retried.assess('soc2')).rule('A1.2', 'failed-backup-not-recovered')).toMatchObject({ verdict: 'CLEAR', tested: 1 });

    const notRetried = await tenantWith([
      ...weekly,
      { occurredAt: at(8), action: 'backup.completed', outcome: { status: 'ERROR' }, ...on('backup_job', 'weekly-offsite') },
      { occurredAt: at(8, 2), action: 'backup.completed', ...on('backup_job', 'nightly') },
    ]);
    const hipaa = await notRetried.assess();
    expect(hipaa.rule('164.308(a)(7)(ii)(A)', 'failed-backup-not-recovered')).toMatchObject({ verdict: 'FINDING', count: 1 });
    expect(hipaa.control('164.308(a)(7)(ii)(A)').status).toBe('NON_COMPLIANT');
    expect((await notRetried.assess('soc2')).rule('A1.2', 'failed-backup-not-recovered')).toMatchObject({ verdict: 'FINDING', count: 1 });
  });

  it('164.308(a)(1)(ii)(D): 120 PHI record reads by one account within ten minutes are a finding; near misses are not', async () => {
    const reads = (n: number, actor: (i: number) => string, type = 'patient_record') =>
      Array.from({ length: n }, (_, i) => ({
        occurredAt: at(30, 9, i * 4_000),
        action: `${type}.read`,
        actor: { id: actor(i), type: 'USER' },
        ...on(type, `p-${i}`),
      }));
    const bulk = await assess(reads(120, () => 'clerk-1'));
    expect(bulk.rule('164.308(a)(1)(ii)(D)', 'phi-bulk-read')).toMatchObject({ verdict: 'FINDING', count: 1 });
    expect(bulk.control('164.308(a)(1)(ii)(D)').status).toBe('NON_COMPLIANT');
    // The reads were classified PHI at ingest, so they show access control at work too.
    expect(bulk.rule('164.312(a)(1)', 'phi-access-controlled')).toMatchObject({ verdict: 'MET', count: 120 });

    // 120 reads shared by two accounts, 99 by one, and 120 reads of records that are not PHI.
    for (const events of [reads(120, (i) => `clerk-${i % 2}`), reads(99, () => 'clerk-1'), reads(120, () => 'clerk-1', 'invoice')]) {
      expect((await assess(events)).rule('164.308(a)(1)(ii)(D)', 'phi-bulk-read')).toMatchObject({ verdict: 'CLEAR', count: 0 });
    }
    // Reads spread over more than the window by one account.
    const slow = Array.from({ length: 120 }, (_, i) => ({
      occurredAt: at(30, 9, i * 6 * MINUTE),
      action: 'patient_record.read',
      actor: { id: 'clerk-1', type: 'USER' },
      ...on('patient_record', `p-${i}`),
    }));
    expect((await assess(slow)).rule('164.308(a)(1)(ii)(D)', 'phi-bulk-read')).toMatchObject({ verdict: 'CLEAR' });
  });

  it('uses the same defaults as SOC 2 for the windows both frameworks judge the same fact by', async () => {
    const auditor = await env.createKey('AUDITOR', `hipaa-content-${++tenants}`);
    const PARAMETERS = 'query P($id: String!) { frameworkParameters(frameworkId: $id) { id default } }';
    const defaults = async (frameworkId: string) => {
      const res = await env.gql(PARAMETERS, { id: frameworkId }, auditor);
      expect(res.body.errors).toBeUndefined();
      return new Map((res.body.data!.frameworkParameters as { id: string; default: unknown }[]).map((p) => [p.id, p.default]));
    };
    const [hipaa, soc2] = [await defaults('hipaa'), await defaults('soc2')];
    const shared = [...hipaa.keys()].filter((id) => soc2.has(id));
    expect(shared).toEqual(
      expect.arrayContaining([
        'lockout-response-window',
        'malware-quarantine-window',
        'emergency-access-review-window',
        'failed-job-retry-window',
        'recovery-retest-window',
      ]),
    );
    for (const id of shared) expect({ id, default: hipaa.get(id) }).toEqual({ id, default: soc2.get(id) });
  });

  it('164.308(a)(5)(ii)(C): a brute force blocked by a lockout is monitoring at work, not a finding', async () => {
    const a = await assess([
      ...[0, 1, 2, 3, 4].map((i) => ({
        occurredAt: at(40, 9, i * MINUTE),
        action: 'auth.login',
        outcome: { status: 'FAILURE' },
        actor: { id: 'nurse-7', type: 'USER' },
      })),
      { occurredAt: at(40, 9, 5 * MINUTE), action: 'auth.lockout', actor: { id: 'nurse-7', type: 'USER' }, ...on('user', 'nurse-7') },
    ]);
    expect(a.rule('164.308(a)(5)(ii)(C)', 'failed-logins-recorded')).toMatchObject({ verdict: 'MET', count: 5 });
    expect(a.rule('164.308(a)(5)(ii)(C)', 'accounts-locked')).toMatchObject({ verdict: 'MET', count: 1 });
    expect(a.rule('164.308(a)(5)(ii)(C)', 'failed-logins-not-locked')).toMatchObject({ verdict: 'CLEAR', count: 0, tested: 1 });
    expect(a.control('164.308(a)(5)(ii)(C)')).toMatchObject({ status: 'COMPLIANT', violationCount: 0 });
  });

  it('164.308(a)(5)(ii)(C) and 164.312(d): a burst the lockout did not answer in time is the finding, as in SOC 2 CC6.1', async () => {
    const burst = (action: string, actor: string) =>
      [0, 1, 2, 3, 4].map((i) => ({
        occurredAt: at(40, 9, i * MINUTE),
        action,
        outcome: { status: 'FAILURE' },
        actor: { id: actor, type: 'USER' },
      }));
    const lockout = (actor: string, ms: number) => ({
      occurredAt: at(40, 9, ms),
      action: 'auth.lockout',
      actor: { id: actor, type: 'USER' },
      ...on('user', actor),
    });
    const a = await assess([
      // Locked exactly at the deadline (5 minutes after the fifth failure): answered.
      ...burst('auth.login', 'on-time'),
      lockout('on-time', 4 * MINUTE + 5 * MINUTE),
      // Locked a second later: the finding, in HIPAA and in SOC 2.
      ...burst('auth.login', 'late'),
      lockout('late', 4 * MINUTE + 5 * MINUTE + 1000),
      // Refused second factors, never locked.
      ...burst('auth.mfa.verified', 'mfa'),
    ]);
    expect(a.rule('164.308(a)(5)(ii)(C)', 'failed-logins-not-locked')).toMatchObject({ verdict: 'FINDING', count: 1, tested: 2 });
    expect(a.rule('164.312(d)', 'failed-second-factors-not-locked')).toMatchObject({ verdict: 'FINDING', count: 1, tested: 1 });
    expect(a.control('164.308(a)(5)(ii)(C)').status).toBe('NON_COMPLIANT');
    const soc2 = await assess(
      [
        ...burst('auth.login', 'on-time'),
        lockout('on-time', 9 * MINUTE),
        ...burst('auth.login', 'late'),
        lockout('late', 9 * MINUTE + 1000),
      ],
      'soc2',
    );
    expect(soc2.rule('CC6.1', 'repeated-failed-logins')).toMatchObject({ verdict: 'FINDING', count: 1, tested: 2 });
  });

  it('takes clearinghouse, other-arrangement and group-health-plan specifications only from their own evidence', async () => {
    const unrelated = await assess([
      { occurredAt: at(5), action: 'patient_record.read', outcome: { status: 'DENIED' }, ...on('patient_record', 'p-1') },
      { occurredAt: at(6), action: 'processor.agreement.signed', ...on('agreement', 'baa-1') },
      { occurredAt: at(7), action: 'policy.approved', ...on('policy', 'security') },
    ]);
    for (const id of ['164.308(a)(4)(ii)(A)', '164.314(a)(2)(ii)', '164.314(b)(1)', '164.314(b)(2)']) {
      expect(unrelated.control(id)).toMatchObject({ status: 'NOT_ASSESSED', evidenceCount: 0 });
    }
    // The unrelated events still show what they are about.
    expect(unrelated.control('164.312(a)(1)').status).toBe('OBSERVED');
    expect(unrelated.control('164.314(a)(2)(i)').status).toBe('OBSERVED');

    const own = await assess([
      {
        occurredAt: at(5),
        action: 'patient_record.read',
        outcome: { status: 'DENIED' },
        metadata: { segment: 'clearinghouse' },
        ...on('patient_record', 'p-1'),
      },
      {
        occurredAt: at(6),
        action: 'processor.agreement.signed',
        metadata: { agreement: { type: 'memorandum-of-understanding' } },
        ...on('agreement', 'mou-1'),
      },
      { occurredAt: at(7), action: 'policy.approved', metadata: { policy: { type: 'plan-documents' } }, ...on('policy', 'plan') },
    ]);
    for (const id of ['164.308(a)(4)(ii)(A)', '164.314(a)(2)(ii)', '164.314(b)(1)', '164.314(b)(2)']) {
      expect(own.control(id).status).toBe('OBSERVED');
    }
    expect(own.rule('164.308(a)(4)(ii)(A)', 'clearinghouse-access-refused')).toMatchObject({ verdict: 'MET', count: 1 });
    expect(own.rule('164.314(a)(2)(ii)', 'other-arrangements-signed')).toMatchObject({ verdict: 'MET', count: 1 });
  });

  it('does not take session expiry as workstation security, a policy approval as six-year retention, or any event as audit controls', async () => {
    const a = await assess([
      { occurredAt: at(5), action: 'auth.session.expired', ...on('session', 's-1') },
      { occurredAt: at(6), action: 'policy.approved', ...on('policy', 'retention') },
      { occurredAt: at(7), action: 'auth.login', ...on('session', 's-2') },
    ]);
    expect(a.control('164.312(a)(2)(iii)').status).toBe('OBSERVED');
    expect(a.control('164.310(c)')).toMatchObject({ status: 'NOT_ASSESSED', evidenceCount: 0 });
    expect(a.control('164.316(b)(2)(i)')).toMatchObject({ status: 'NOT_ASSESSED', evidenceCount: 0 });
    // Recording is not examining: without a log review the trail's own stretch is too long (MAX_GAP), never met.
    expect(a.control('164.312(b)').evidenceCount).toBe(0);
    expect(a.control('164.312(b)').status).not.toBe('COMPLIANT');
    expect(a.rule('164.312(b)', 'audit-logs-reviewed').verdict).not.toBe('MET');
  });

  it('164.312(b): weekly log reviews show audit controls; a ten-day gap shows them in part', async () => {
    const month = { from: at(0), to: at(28) };
    const reviews = (days: number[]) =>
      days.map((d) => ({ occurredAt: at(d, 9), action: 'audit.log.reviewed', ...on('audit_log', 'main') }));
    const weekly = await tenantWith(reviews([0, 6, 13, 20, 27]));
    expect((await weekly.assess('hipaa', month)).rule('164.312(b)', 'audit-logs-reviewed')).toMatchObject({
      verdict: 'MET',
      duty: true,
      tested: 6,
    });
    expect((await weekly.assess('hipaa', month)).control('164.312(b)').status).toBe('COMPLIANT');

    const gap = await tenantWith(reviews([0, 6, 16, 20, 27]));
    expect((await gap.assess('hipaa', month)).rule('164.312(b)', 'audit-logs-reviewed')).toMatchObject({ verdict: 'PARTIAL', duty: true });
    expect((await gap.assess('hipaa', month)).control('164.312(b)').status).toBe('PARTIALLY_COMPLIANT');
  });

  describe('Breach Notification Rule', () => {
    const breach = (id: string, days: number, metadata: Record<string, unknown>) => ({
      occurredAt: at(days),
      action: 'breach.detected',
      categories: ['PHI'],
      metadata,
      ...on('breach', id),
    });
    const notice = (id: string, days: number, action: string, extra: Record<string, unknown> = {}) => ({
      occurredAt: at(days),
      action,
      ...on('breach', id),
      ...extra,
    });
    const LARGE = { notifiable: true, affected: { band: '500-or-more', stateOver500: true } };

    it('a large breach notified to individuals, media and the Secretary within 60 days meets 164.404–164.408 and 164.414', async () => {
      const a = await assess([
        breach('b-1', 10, LARGE),
        notice('b-1', 40, 'breach.notified.subjects'),
        notice('b-1', 40, 'breach.notified.media'),
        notice('b-1', 41, 'breach.notified.authority', { metadata: { authority: 'hhs' } }),
        notice('b-1', 20, 'breach.notified.controller'),
      ]);
      expect(a.rule('164.404', 'individuals-notified')).toMatchObject({ verdict: 'MET', duty: true, tested: 1 });
      expect(a.rule('164.404', 'individuals-not-notified')).toMatchObject({ verdict: 'CLEAR', tested: 1 });
      expect(a.rule('164.406', 'media-not-notified')).toMatchObject({ verdict: 'CLEAR', tested: 1 });
      expect(a.rule('164.408', 'secretary-not-notified-large')).toMatchObject({ verdict: 'CLEAR', tested: 1 });
      expect(a.rule('164.408', 'secretary-not-notified-small')).toMatchObject({ verdict: 'CLEAR', tested: 0 });
      expect(a.rule('164.410', 'covered-entity-not-notified')).toMatchObject({ verdict: 'CLEAR', tested: 1 });
      expect(a.rule('164.414', 'notification-decided')).toMatchObject({ verdict: 'MET', tested: 1 });
      for (const id of ['164.404', '164.406', '164.408', '164.410', '164.414']) expect(a.control(id).status).toBe('COMPLIANT');
    });

    it('a notice that failed, one after 60 days, the wrong authority and an undecided breach are findings', async () => {
      const a = await assess([
        breach('b-1', 10, LARGE),
        // Failed: notifies no one; the media heard on day 75, too late; an EU supervisory authority is not the Secretary.
        notice('b-1', 30, 'breach.notified.subjects', { outcome: { status: 'FAILURE' } }),
        notice('b-1', 75, 'breach.notified.media'),
        notice('b-1', 30, 'breach.notified.authority', { metadata: { authority: 'ico' } }),
        breach('b-2', 12, { affected: { band: 'under-500' } }),
      ]);
      expect(a.rule('164.404', 'individuals-not-notified')).toMatchObject({ verdict: 'FINDING', count: 1 });
      expect(a.rule('164.406', 'media-not-notified')).toMatchObject({ verdict: 'FINDING', count: 1 });
      expect(a.rule('164.408', 'secretary-not-notified-large')).toMatchObject({ verdict: 'FINDING', count: 1 });
      expect(a.rule('164.414', 'notification-undecided')).toMatchObject({ verdict: 'FINDING', count: 1 });
      expect(a.rule('164.414', 'notification-decided')).toMatchObject({ verdict: 'PARTIAL', tested: 2 });
      // Neither breach was told to the covered entity: both are findings for a business associate.
      expect(a.rule('164.410', 'covered-entity-not-notified')).toMatchObject({ verdict: 'FINDING', count: 2 });
    });

    it('a small breach is judged by the annual log’s outer bound, pending within it', async () => {
      // Discovered on day 80: the 60 days to tell the individuals have run by the end of the range, the annual log's have not.
      const a = await assess([breach('b-1', 80, { notifiable: true, affected: { band: 'under-500' } })]);
      expect(a.rule('164.408', 'secretary-not-notified-small')).toMatchObject({ verdict: 'CLEAR', pending: 1 });
      expect(a.rule('164.404', 'individuals-not-notified')).toMatchObject({ verdict: 'FINDING', count: 1 });
      // A breach without PHI is none of HIPAA's business.
      const other = await assess([{ ...breach('b-9', 10, LARGE), categories: ['PII'] }]);
      expect(other.control('164.404')).toMatchObject({ status: 'NOT_ASSESSED', violationCount: 0 });
    });

    it('scopes the covered entity’s notices and the business associate’s notice to their roles', async () => {
      const t = await tenantWith([breach('b-1', 10, LARGE)]);
      const admin = await env.createKey('ADMIN', t.tenant);
      const res = await env.gql(
        SET_SCOPE,
        { input: { frameworkId: 'hipaa', selections: [{ dimensionId: 'role', options: ['covered-entity'] }], note: 'test' } },
        admin,
      );
      expect(res.body.errors).toBeUndefined();
      // The scope applies from when it was recorded: judge the period as of now, during "fieldwork".
      const scoped = await t.assess('hipaa', { ...RANGE, asOf: new Date().toISOString() });
      expect(scoped.control('164.410').status).toBe('NOT_APPLICABLE');
      expect(scoped.control('164.404').status).toBe('NON_COMPLIANT');
      expect(scoped.control('164.414').status).toBe('COMPLIANT');
    });
  });
});
