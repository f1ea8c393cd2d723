import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

/**
 * The SOC 2 review points of issue 11 as assessments: a failure the process handles is evidence,
 * and only its missing response is a finding. Each case has a tenant of its own, an open range
 * (judged as of now) and events days in the past, so every window is closed or open by days.
 */
const DAY = 86_400_000;
const HOUR = 3_600_000;
/** An instant `days` days (and `hours` hours) before the test started. */
const START = Date.now();
const ago = (days: number, hours = 0): string => new Date(START - days * DAY - hours * HOUR).toISOString();
const RANGE = { from: ago(20) };

const ASSESS = `query Assess($input: AssessComplianceInput!) {
  assessCompliance(input: $input) {
    controls { controlId status violationCount reason rules { ruleId role verdict count pending duty tested } }
    parameters { id value }
  }
}`;

type Rule = { ruleId: string; role: string; verdict: string; count: number; pending: number | null; duty: boolean; tested: number | null };
type Control = { controlId: string; status: string; violationCount: number; reason: string; rules: Rule[] };

describe('SOC 2 content: handled failures are evidence, missing responses are findings', () => {
  let env: TestEnvironment;
  let tenants = 0;

  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(async () => {
    await env?.close();
  });

  /** Records `events` in a fresh tenant and assesses SOC 2 over the open range. */
  async function assess(
    events: Record<string, unknown>[],
  ): Promise<{ control: (id: string) => Control; rule: (id: string, ruleId: string) => Rule }> {
    const tenant = `soc2-content-${++tenants}`;
    const ingest = await env.createKey('INGEST', tenant);
    const recorded = await env.gql(RECORD, { input: { events: events.map((e) => eventInput(e)) } }, ingest);
    expect(recorded.body.errors).toBeUndefined();
    const res = await env.gql(ASSESS, { input: { frameworkId: 'soc2', ...RANGE } }, await env.createKey('AUDITOR', tenant));
    expect(res.body.errors).toBeUndefined();
    const controls: Control[] = res.body.data!.assessCompliance.controls;
    const control = (id: string) => controls.find((c) => c.controlId === id)!;
    return { control, rule: (id, ruleId) => control(id).rules.find((r) => r.ruleId === ruleId)! };
  }
  const on = (type: string, id: string) => ({ resource: { type, id } });

  it('CC6.8: malware caught and quarantined is no finding; caught and left for two days is one', async () => {
    const handled = await assess([
      { occurredAt: ago(5), action: 'malware.detected', outcome: { status: 'SUCCESS' }, ...on('malware_detection', 'd-1') },
      { occurredAt: ago(5, -1), action: 'malware.quarantined', ...on('malware_detection', 'd-1') },
    ]);
    expect(handled.rule('CC6.8', 'malware-not-quarantined')).toMatchObject({ verdict: 'CLEAR', count: 0, duty: true, tested: 1 });
    expect(handled.rule('CC6.8', 'malware-quarantined')).toMatchObject({ verdict: 'MET', count: 1 });
    expect(handled.control('CC6.8').status).not.toBe('NON_COMPLIANT');

    const left = await assess([
      { occurredAt: ago(5), action: 'malware.detected', ...on('malware_detection', 'd-1') },
      // Quarantined after two days (the window is 24 hours), and another detection's quarantine in time does not answer it.
      { occurredAt: ago(3), action: 'malware.quarantined', ...on('malware_detection', 'd-1') },
      { occurredAt: ago(5, -1), action: 'malware.quarantined', ...on('malware_detection', 'd-2') },
    ]);
    expect(left.rule('CC6.8', 'malware-not-quarantined')).toMatchObject({ verdict: 'FINDING', count: 1 });
    expect(left.control('CC6.8').status).toBe('NON_COMPLIANT');
  });

  it('CC6.3: a break-glass use reviewed the same day is no finding; one never reviewed is, and one from an hour ago is pending', async () => {
    const reviewed = await assess([
      { occurredAt: ago(4), action: 'access.emergency.granted', ...on('emergency_access', 'g-1') },
      { occurredAt: ago(4, -3), action: 'access.emergency.reviewed', ...on('emergency_access', 'g-1') },
    ]);
    expect(reviewed.rule('CC6.3', 'emergency-access-not-reviewed')).toMatchObject({ verdict: 'CLEAR', tested: 1 });

    const unreviewed = await assess([
      { occurredAt: ago(4), action: 'access.emergency.granted', ...on('emergency_access', 'g-1') },
      // A review that errored answers nothing.
      { occurredAt: ago(4, -3), action: 'access.emergency.reviewed', outcome: { status: 'ERROR' }, ...on('emergency_access', 'g-1') },
      { occurredAt: ago(0, 1), action: 'access.emergency.granted', ...on('emergency_access', 'g-2') },
    ]);
    expect(unreviewed.rule('CC6.3', 'emergency-access-not-reviewed')).toMatchObject({ verdict: 'FINDING', count: 1, pending: 1 });
  });

  it('CC6.1: a burst of failed sign-ins answered by a lockout within 5 minutes is no finding; one locked out a second too late is', async () => {
    const alice = { actor: { id: 'alice', type: 'USER' }, ...on('user', 'alice') };
    const MINUTE = 60_000;
    /** Five failed sign-ins a minute apart, ten days ago, and a lockout `after` ms after the fifth. */
    const burst = (after: number) => {
      const at = Date.parse(ago(10));
      return [
        ...Array.from({ length: 5 }, (_, i) => ({
          occurredAt: new Date(at + i * MINUTE).toISOString(),
          action: 'auth.login',
          outcome: { status: 'FAILURE' },
          ...alice,
        })),
        { occurredAt: new Date(at + 4 * MINUTE + after).toISOString(), action: 'auth.lockout', ...alice },
      ];
    };
    const answered = await assess(burst(5 * MINUTE));
    expect(answered.rule('CC6.1', 'repeated-failed-logins')).toMatchObject({ verdict: 'CLEAR', count: 0, duty: true, tested: 1 });
    expect(answered.control('CC6.1').status).not.toBe('NON_COMPLIANT');

    const late = await assess(burst(5 * MINUTE + 1_000));
    expect(late.rule('CC6.1', 'repeated-failed-logins')).toMatchObject({ verdict: 'FINDING', count: 1, tested: 1 });
    expect(late.control('CC6.1').status).toBe('NON_COMPLIANT');
  });

  it('CC8.1: a failed deployment rolled back is no finding; a deployment with no prior approval of the same change is', async () => {
    const a = await assess([
      { occurredAt: ago(10), action: 'change.approved', ...on('change', 'c-1') },
      { occurredAt: ago(9), action: 'change.deployed', outcome: { status: 'FAILURE' }, ...on('change', 'c-1') },
      { occurredAt: ago(8), action: 'change.deployed', ...on('change', 'c-1') },
      // Approved only after it went live, and another change's approval: neither counts.
      { occurredAt: ago(6), action: 'change.deployed', ...on('change', 'c-2') },
      { occurredAt: ago(5), action: 'change.approved', ...on('change', 'c-2') },
    ]);
    expect(a.rule('CC8.1', 'deployment-not-approved')).toMatchObject({ verdict: 'FINDING', count: 1, tested: 2 });
    expect(a.control('CC8.1').status).toBe('NON_COMPLIANT');

    const approved = await assess([
      { occurredAt: ago(10), action: 'change.approved', ...on('change', 'c-1') },
      { occurredAt: ago(9), action: 'change.deployed', outcome: { status: 'FAILURE' }, ...on('change', 'c-1') },
      { occurredAt: ago(8), action: 'change.deployed', ...on('change', 'c-1') },
    ]);
    expect(approved.rule('CC8.1', 'deployment-not-approved')).toMatchObject({ verdict: 'CLEAR', count: 0, tested: 1 });
    expect(approved.control('CC8.1').status).toBe('COMPLIANT');
  });

  it('A1.2: a failed backup retried two hours later is no finding; one not retried within a day is', async () => {
    const weekly = [19, 12, 5].map((d) => ({ occurredAt: ago(d), action: 'backup.completed', ...on('backup_job', 'nightly') }));
    const retried = await assess([
      ...weekly,
      { occurredAt: ago(8), action: 'backup.completed', outcome: { status: 'FAILURE' }, ...on('backup_job', 'nightly') },
      { occurredAt: ago(8, -2), action: 'backup.completed', ...on('backup_job', 'nightly') },
    ]);
    expect(retried.rule('A1.2', 'failed-backup-not-recovered')).toMatchObject({ verdict: 'CLEAR', tested: 1 });

    const notRetried = await assess([
      ...weekly,
      { occurredAt: ago(8), action: 'backup.completed', outcome: { status: 'ERROR' }, ...on('backup_job', 'weekly-offsite') },
      { occurredAt: ago(8, -2), action: 'backup.completed', ...on('backup_job', 'nightly') },
    ]);
    expect(notRetried.rule('A1.2', 'failed-backup-not-recovered')).toMatchObject({ verdict: 'FINDING', count: 1 });
    expect(notRetried.control('A1.2').status).toBe('NON_COMPLIANT');
  });

  it('CC6.2: a successful sign-in to an account after it was disabled is a finding; a refused one is not', async () => {
    const account = on('user', 'alice');
    const a = await assess([
      { occurredAt: ago(10), action: 'user.disabled', actor: { id: 'admin-1', type: 'USER' }, ...account },
      { occurredAt: ago(9), action: 'auth.login', outcome: { status: 'FAILURE' }, actor: { id: 'alice', type: 'USER' }, ...account },
    ]);
    expect(a.rule('CC6.2', 'sign-in-after-disable')).toMatchObject({ verdict: 'CLEAR', count: 0 });

    const b = await assess([
      { occurredAt: ago(10), action: 'user.disabled', actor: { id: 'admin-1', type: 'USER' }, ...account },
      { occurredAt: ago(9), action: 'auth.login', actor: { id: 'alice', type: 'USER' }, ...account },
    ]);
    expect(b.rule('CC6.2', 'sign-in-after-disable')).toMatchObject({ verdict: 'FINDING', count: 1 });
    expect(b.control('CC6.2').status).toBe('NON_COMPLIANT');
  });

  it('P5.1 and P6.6: a fulfilment that errored and a notification that failed answer nothing', async () => {
    const a = await assess([
      { occurredAt: ago(15), action: 'dsar.received', ...on('dsar', 'r-1') },
      { occurredAt: ago(14), action: 'dsar.fulfilled', outcome: { status: 'ERROR' }, ...on('dsar', 'r-1') },
      { occurredAt: ago(12), action: 'breach.detected', ...on('breach', 'b-1') },
      { occurredAt: ago(11), action: 'breach.notified.authority', outcome: { status: 'FAILURE' }, ...on('breach', 'b-1') },
    ]);
    // The request is still within its 30 days: pending, not answered by the error.
    expect(a.rule('P5.1', 'dsar-unfulfilled')).toMatchObject({ verdict: 'CLEAR', pending: 1, tested: 0 });
    expect(a.rule('P6.6', 'breach-not-notified')).toMatchObject({ verdict: 'FINDING', count: 1 });
  });

  it('CC3.2: a short range fails the yearly risk assessment when none was done in the year before its end (RECENT)', async () => {
    // The trail began more than a year ago, so the whole window can be judged.
    const trail = { occurredAt: ago(400), action: 'auth.login' };
    const lapsed = await assess([trail, { occurredAt: ago(380), action: 'risk.assessment.completed', ...on('risk_register', 'main') }]);
    expect(lapsed.rule('CC3.2', 'risk-assessment-current')).toMatchObject({ verdict: 'NONE', duty: true, tested: 1 });
    expect(lapsed.control('CC3.2').status).toBe('NON_COMPLIANT');

    const current = await assess([trail, { occurredAt: ago(200), action: 'risk.assessment.completed', ...on('risk_register', 'main') }]);
    expect(current.rule('CC3.2', 'risk-assessment-current')).toMatchObject({ verdict: 'MET', count: 1, tested: 1 });
    expect(current.control('CC3.2').status).toBe('COMPLIANT');
  });

  it('PI1.3: a failed job re-run in time is no finding, and the success rate is a duty with its parameter', async () => {
    const a = await assess([
      ...Array.from({ length: 99 }, (_, i) => ({ occurredAt: ago(10, -i), action: 'job.completed', ...on('job', `batch-${i}`) })),
      { occurredAt: ago(9), action: 'job.completed', outcome: { status: 'FAILURE' }, ...on('job', 'batch-7') },
      { occurredAt: ago(9, -1), action: 'job.completed', ...on('job', 'batch-7') },
    ]);
    expect(a.rule('PI1.3', 'failed-job-not-rerun')).toMatchObject({ verdict: 'CLEAR', tested: 1 });
    // 100 of 101 runs succeeded: 99.0 % against the default 0.99.
    expect(a.rule('PI1.3', 'jobs-succeed')).toMatchObject({ verdict: 'MET', duty: true, tested: 101 });
    expect(a.control('PI1.3').status).toBe('COMPLIANT');
  });
});
