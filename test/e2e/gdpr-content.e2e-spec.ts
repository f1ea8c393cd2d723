import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

/**
 * The GDPR review points of issue 11 as assessments: Art. 30 is the register, follow-ups need
 * `SUCCESS`, deadlines are parameters, processing after a withdrawal or objection is a finding, a
 * failure re-run in time is none, health data is special-category data, transfers name their
 * ground. Each case has a tenant of its own, an open range (judged as of now) and events days in
 * the past, so every window is closed or open by days.
 */
const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = Date.now();
/** An instant `days` days (and `hours` hours) before the test started. */
const ago = (days: number, hours = 0): string => new Date(START - days * DAY - hours * HOUR).toISOString();

const ASSESS = `query Assess($input: AssessComplianceInput!) {
  assessCompliance(input: $input) {
    controls { controlId status violationCount reason rules { ruleId role verdict count pending duty tested } }
    parameters { id value source }
  }
}`;
const SET_PARAMETERS = `mutation S($input: SetFrameworkParametersInput!) { setFrameworkParameters(input: $input) { id value source } }`;
const SET_SCOPE = `mutation S($input: SetFrameworkScopeInput!) { setFrameworkScope(input: $input) { id selected source } }`;

type Rule = { ruleId: string; role: string; verdict: string; count: number; pending: number | null; duty: boolean; tested: number | null };
type Control = { controlId: string; status: string; violationCount: number; reason: string; rules: Rule[] };
type Assessed = {
  control: (id: string) => Control;
  rule: (id: string, ruleId: string) => Rule;
  parameters: { id: string; value: unknown; source: string }[];
};

describe('GDPR content: duties, outcomes and deadlines an auditor tests', () => {
  let env: TestEnvironment;
  let tenants = 0;

  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(async () => {
    await env?.close();
  });

  /** Records `events` in a fresh tenant, runs `setup` with its ADMIN key, and assesses `frameworkId` from `from` days ago. */
  async function assess(
    events: Record<string, unknown>[],
    options: { from?: number; frameworkId?: string; setup?: (admin: string) => Promise<void> } = {},
  ): Promise<Assessed> {
    const tenant = `gdpr-content-${++tenants}`;
    const ingest = await env.createKey('INGEST', tenant);
    const recorded = await env.gql(RECORD, { input: { events: events.map((e) => eventInput(e)) } }, ingest);
    expect(recorded.body.errors).toBeUndefined();
    if (options.setup) await options.setup(await env.createKey('ADMIN', tenant));
    const res = await env.gql(
      ASSESS,
      { input: { frameworkId: options.frameworkId ?? 'gdpr', from: ago(options.from ?? 20) } },
      await env.createKey('AUDITOR', tenant),
    );
    expect(res.body.errors).toBeUndefined();
    const { controls, parameters } = res.body.data!.assessCompliance as { controls: Control[]; parameters: Assessed['parameters'] };
    const control = (id: string) => controls.find((c) => c.controlId === id)!;
    return { control, rule: (id, ruleId) => control(id).rules.find((r) => r.ruleId === ruleId)!, parameters };
  }
  const on = (type: string, id: string) => ({ resource: { type, id } });
  const failed = (status = 'FAILURE') => ({ outcome: { status } });

  it('Art. 30: the register is shown by its recent update, not by recorded processing of personal data', async () => {
    const processing = [5, 4, 3].map((d) => ({ occurredAt: ago(d), action: 'customer.read', ...on('customer', `c-${d}`) }));
    const activity = await assess(processing);
    expect(activity.control('Art. 30')).toMatchObject({ status: 'NOT_ASSESSED' });

    // The trail began more than a year ago, so the whole window can be judged.
    const trail = { occurredAt: ago(400), action: 'auth.login' };
    const lapsed = await assess([
      trail,
      ...processing,
      { occurredAt: ago(380), action: 'processing.record.updated', ...on('register', 'main') },
    ]);
    expect(lapsed.rule('Art. 30', 'record-current')).toMatchObject({ verdict: 'NONE', duty: true, tested: 1 });
    expect(lapsed.control('Art. 30').status).toBe('NON_COMPLIANT');

    const current = await assess([
      trail,
      ...processing,
      { occurredAt: ago(200), action: 'processing.record.updated', ...on('register', 'main') },
    ]);
    expect(current.rule('Art. 30', 'record-current')).toMatchObject({ verdict: 'MET', count: 1, tested: 1 });
    expect(current.control('Art. 30').status).toBe('COMPLIANT');
  });

  it('Art. 33(1): a notification that FAILED answers nothing; a breach decided not notifiable needs none; an undecided one does', async () => {
    const a = await assess([
      { occurredAt: ago(12), action: 'breach.detected', metadata: { notifiable: true }, ...on('breach', 'b-1') },
      { occurredAt: ago(11), action: 'breach.notified.authority', ...failed(), ...on('breach', 'b-1') },
      { occurredAt: ago(10), action: 'breach.detected', metadata: { notifiable: true }, ...on('breach', 'b-2') },
      { occurredAt: ago(10, -30), action: 'breach.notified.authority', ...on('breach', 'b-2') },
      { occurredAt: ago(9), action: 'breach.detected', metadata: { notifiable: false }, ...on('breach', 'b-3') },
      { occurredAt: ago(8), action: 'breach.detected', ...on('breach', 'b-4') },
    ]);
    expect(a.rule('Art. 33(1)', 'breach-not-notified')).toMatchObject({ verdict: 'FINDING', count: 1, duty: true, tested: 2 });
    expect(a.rule('Art. 33(1)', 'notified-in-time')).toMatchObject({ verdict: 'PARTIAL', count: 1, tested: 2 });
    expect(a.rule('Art. 33(1)', 'undecided-breach-not-notified')).toMatchObject({ verdict: 'FINDING', count: 1, tested: 1 });
    // 33(5): the undecided breach is not documented.
    expect(a.rule('Art. 33(5)', 'breach-undocumented')).toMatchObject({ verdict: 'FINDING', count: 1 });
    expect(a.control('Art. 33(1)')).toMatchObject({ status: 'NON_COMPLIANT', violationCount: 2 });
    // The article rolls its paragraphs up, in framework-neutral words.
    expect(a.control('Art. 33').status).toBe('NON_COMPLIANT');
    expect(a.control('Art. 33').reason).toMatch(/^Child controls: .*NON_COMPLIANT/);
    expect(a.parameters).toContainEqual({ id: 'breach-notification-window', value: { hours: 72 }, source: 'DEFAULT' });
  });

  it('Art. 33(1): the window is the organisation’s, never longer than the law’s 72 hours', async () => {
    const events = [
      { occurredAt: ago(10), action: 'breach.detected', metadata: { notifiable: true }, ...on('breach', 'b-1') },
      { occurredAt: ago(10, -30), action: 'breach.notified.authority', ...on('breach', 'b-1') },
    ];
    const set = (hours: number) => async (admin: string) => {
      const res = await env.gql(
        SET_PARAMETERS,
        { input: { frameworkId: 'gdpr', values: [{ id: 'breach-notification-window', value: { hours } }], note: 'Breach policy v2' } },
        admin,
      );
      if (hours > 72) expect(res.body.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
      else expect(res.body.errors).toBeUndefined();
    };
    const strict = await assess(events, { setup: set(24) });
    expect(strict.rule('Art. 33(1)', 'breach-not-notified')).toMatchObject({ verdict: 'FINDING', count: 1 });
    expect(strict.parameters).toContainEqual({ id: 'breach-notification-window', value: { hours: 24 }, source: 'TENANT' });
    // Refused, so the default holds and the 30-hour notification is in time.
    const loose = await assess(events, { setup: set(96) });
    expect(loose.rule('Art. 33(1)', 'breach-not-notified')).toMatchObject({ verdict: 'CLEAR', tested: 1 });
  });

  it('Art. 33(2): a processor tells its controller without undue delay; only the processor role has the duty', async () => {
    const events = [
      { occurredAt: ago(10), action: 'breach.detected', metadata: { controller: 'acme', notifiable: false }, ...on('breach', 'b-1') },
      { occurredAt: ago(10, -2), action: 'breach.notified.controller', ...on('breach', 'b-1') },
      { occurredAt: ago(8), action: 'breach.detected', metadata: { controller: 'acme', notifiable: false }, ...on('breach', 'b-2') },
      { occurredAt: ago(8, -30), action: 'breach.notified.controller', ...on('breach', 'b-2') },
    ];
    const both = await assess(events);
    expect(both.rule('Art. 33(2)', 'controller-not-told')).toMatchObject({ verdict: 'FINDING', count: 1, tested: 2 });
    const controller = await assess(events, {
      setup: async (admin) => {
        const res = await env.gql(
          SET_SCOPE,
          { input: { frameworkId: 'gdpr', selections: [{ dimensionId: 'role', options: ['controller'] }], note: 'Controller only' } },
          admin,
        );
        expect(res.body.errors).toBeUndefined();
      },
    });
    expect(controller.control('Art. 33(2)')).toMatchObject({
      status: 'NOT_APPLICABLE',
      reason: 'Out of scope: GDPR role Processor is not selected.',
    });
    expect(controller.control('Art. 33(1)').status).not.toBe('NOT_APPLICABLE');
  });

  it('Art. 12(3) and 15: a fulfilment with ERROR answers nothing; an extension allows three months', async () => {
    const access = { metadata: { type: 'access' } };
    const a = await assess(
      [
        // Extended within the month, fulfilled on day 70: in time.
        { occurredAt: ago(100), action: 'dsar.received', ...access, ...on('dsar', 'r-1') },
        { occurredAt: ago(80), action: 'dsar.extended', ...on('dsar', 'r-1') },
        { occurredAt: ago(30), action: 'dsar.fulfilled', ...on('dsar', 'r-1') },
        // "Fulfilled" with ERROR on day 5, then nothing.
        { occurredAt: ago(100), action: 'dsar.received', ...access, ...on('dsar', 'r-2') },
        { occurredAt: ago(95), action: 'dsar.fulfilled', ...failed('ERROR'), ...on('dsar', 'r-2') },
        // Answered on day 20.
        { occurredAt: ago(50), action: 'dsar.received', ...access, ...on('dsar', 'r-3') },
        { occurredAt: ago(30), action: 'dsar.fulfilled', ...on('dsar', 'r-3') },
        // An erasure request left unanswered: Art. 12 judges it, Art. 15 does not.
        { occurredAt: ago(60), action: 'dsar.received', metadata: { type: 'erasure' }, ...on('dsar', 'r-4') },
      ],
      { from: 120 },
    );
    expect(a.rule('Art. 15', 'request-not-answered')).toMatchObject({ verdict: 'FINDING', count: 1, tested: 3 });
    expect(a.rule('Art. 15', 'requests-answered-in-time')).toMatchObject({ verdict: 'PARTIAL', count: 2, tested: 3 });
    expect(a.rule('Art. 15', 'request-past-extended-limit')).toMatchObject({ verdict: 'FINDING', count: 1, tested: 3 });
    expect(a.rule('Art. 12', 'request-not-answered')).toMatchObject({ verdict: 'FINDING', count: 2, tested: 4 });
    expect(a.rule('Art. 17', 'request-not-answered')).toMatchObject({ verdict: 'FINDING', count: 1, tested: 1 });
    expect(a.control('Art. 15').status).toBe('NON_COMPLIANT');
  });

  it('Art. 7(3) and 21: processing on the withdrawn or objected basis afterwards is a finding, other processing is not', async () => {
    const c = (id: string) => on('customer', id);
    const withdrawn = await assess([
      { occurredAt: ago(12), action: 'customer.read', metadata: { legalBasis: 'consent' }, ...c('c-1') },
      { occurredAt: ago(10), action: 'consent.withdrawn', ...c('c-1') },
      { occurredAt: ago(10), action: 'consent.withdrawn', ...c('c-2') },
      { occurredAt: ago(6), action: 'customer.read', metadata: { legalBasis: 'contract' }, ...c('c-2') },
    ]);
    expect(withdrawn.rule('Art. 7', 'processing-after-withdrawal')).toMatchObject({ verdict: 'CLEAR', count: 0 });

    const processed = await assess([
      { occurredAt: ago(10), action: 'consent.withdrawn', ...c('c-1') },
      { occurredAt: ago(5), action: 'customer.update', metadata: { legalBasis: 'consent' }, ...c('c-1') },
      // A withdrawal that failed stops nothing yet (and is retried in time).
      { occurredAt: ago(10), action: 'consent.withdrawn', ...failed(), ...c('c-2') },
      { occurredAt: ago(10, -1), action: 'consent.withdrawn', ...c('c-2') },
    ]);
    expect(processed.rule('Art. 7', 'processing-after-withdrawal')).toMatchObject({ verdict: 'FINDING', count: 1 });
    expect(processed.rule('Art. 7', 'failed-withdrawal-not-retried')).toMatchObject({ verdict: 'CLEAR', tested: 1 });
    expect(processed.control('Art. 7').status).toBe('NON_COMPLIANT');

    const objected = await assess([
      { occurredAt: ago(15), action: 'processing.objection.received', ...c('c-1') },
      { occurredAt: ago(14), action: 'data.restricted', ...c('c-1') },
      { occurredAt: ago(10), action: 'customer.read', metadata: { legalBasis: 'legitimate-interests' }, ...c('c-1') },
    ]);
    expect(objected.rule('Art. 21', 'objection-not-actioned')).toMatchObject({ verdict: 'CLEAR', tested: 1 });
    expect(objected.rule('Art. 21', 'processing-after-objection')).toMatchObject({ verdict: 'FINDING', count: 1 });
  });

  it('Art. 17: a failed erasure retried in time is no finding, one never completed is — the same verdict as SOC 2 P4.3', async () => {
    const events = [
      { occurredAt: ago(10), action: 'data.erased', ...failed(), ...on('customer', 'c-1') },
      { occurredAt: ago(10, -2), action: 'data.erased', ...on('customer', 'c-1') },
      { occurredAt: ago(8), action: 'data.erased', ...failed('ERROR'), ...on('customer', 'c-2') },
    ];
    const gdpr = await assess(events);
    const soc2 = await assess(events, { frameworkId: 'soc2' });
    for (const [a, id] of [
      [gdpr, 'Art. 17'],
      [soc2, 'P4.3'],
    ] as const) {
      expect(a.rule(id, 'failed-erasure-not-retried')).toMatchObject({ verdict: 'FINDING', count: 1, tested: 2 });
      expect(a.control(id).status).toBe('NON_COMPLIANT');
    }
  });

  it('Art. 9: health data classified PHI at ingest is special-category data; Art. 10 sees criminal-offence data', async () => {
    const a = await assess([
      { occurredAt: ago(5), action: 'patient_record.read', ...on('patient_record', 'p-1') },
      { occurredAt: ago(4), action: 'patient_record.read', ...failed('DENIED'), ...on('patient_record', 'p-2') },
      { occurredAt: ago(3), action: 'case.read', categories: ['CRIMINAL_OFFENCE'], ...on('case', 'k-1') },
    ]);
    expect(a.rule('Art. 9', 'special-category-processing-recorded')).toMatchObject({ verdict: 'MET', count: 1 });
    expect(a.rule('Art. 9', 'special-category-access-refused')).toMatchObject({ verdict: 'MET', count: 1 });
    expect(a.rule('Art. 10', 'criminal-offence-processing-recorded')).toMatchObject({ verdict: 'MET', count: 1 });
  });

  it('Art. 44, 46 and 49: every transfer names its ground, and a derogation names its situation', async () => {
    const transfer = (id: string, metadata: Record<string, unknown>) => ({
      occurredAt: ago(5),
      action: 'data.transfer.international',
      metadata,
      ...on('transfer', id),
    });
    const a = await assess([
      transfer('t-1', { mechanism: 'standard-contractual-clauses' }),
      transfer('t-2', { destination: 'US' }),
      transfer('t-3', { mechanism: 'derogation', derogation: 'explicit-consent' }),
      transfer('t-4', { mechanism: 'derogation' }),
    ]);
    expect(a.rule('Art. 44', 'transfer-without-ground')).toMatchObject({ verdict: 'FINDING', count: 1, tested: 4 });
    expect(a.rule('Art. 46', 'safeguarded-transfers')).toMatchObject({ verdict: 'MET', count: 1 });
    expect(a.rule('Art. 49', 'derogation-not-named')).toMatchObject({ verdict: 'FINDING', count: 1, tested: 2 });
  });

  it('Art. 13 and 14: collection needs the notice at or before it (direct) or within a month after (indirect)', async () => {
    const c = (id: string) => on('customer', id);
    const a = await assess(
      [
        { occurredAt: ago(30, 1), action: 'privacy.notice.provided', ...c('c-1') },
        { occurredAt: ago(30), action: 'data.collected', metadata: { collection: 'direct' }, ...c('c-1') },
        { occurredAt: ago(30), action: 'data.collected', metadata: { collection: 'direct' }, ...c('c-2') },
        { occurredAt: ago(50), action: 'data.collected', metadata: { collection: 'indirect' }, ...c('c-3') },
        { occurredAt: ago(10), action: 'privacy.notice.provided', ...c('c-3') },
      ],
      { from: 60 },
    );
    expect(a.rule('Art. 13', 'collected-without-notice')).toMatchObject({ verdict: 'FINDING', count: 1, tested: 2 });
    expect(a.rule('Art. 14', 'not-informed-after-indirect-collection')).toMatchObject({ verdict: 'FINDING', count: 1, tested: 1 });
  });

  it('Art. 36: an impact assessment with a high residual risk needs a consultation of the authority', async () => {
    const a = await assess(
      [
        { occurredAt: ago(50), action: 'dpia.completed', metadata: { residualRisk: 'high' }, ...on('dpia', 'd-1') },
        { occurredAt: ago(45), action: 'dpia.completed', metadata: { residualRisk: 'high' }, ...on('dpia', 'd-2') },
        { occurredAt: ago(40), action: 'authority.consulted', ...on('dpia', 'd-2') },
        { occurredAt: ago(40), action: 'dpia.completed', metadata: { residualRisk: 'low' }, ...on('dpia', 'd-3') },
      ],
      { from: 60 },
    );
    expect(a.rule('Art. 36', 'high-risk-not-consulted')).toMatchObject({ verdict: 'FINDING', count: 1, tested: 2 });
    expect(a.control('Art. 36').status).toBe('NON_COMPLIANT');
  });

  it('Art. 33(3) and 34: a notification without its content shows 33(3) in part; a high-risk breach told to nobody successfully is a finding', async () => {
    const content = { nature: 'lost laptop', contact: 'dpo@example.com', consequences: 'exposure', measures: 'remote wipe' };
    const a = await assess([
      { occurredAt: ago(10), action: 'breach.detected', metadata: { notifiable: true, highRisk: true }, ...on('breach', 'b-1') },
      { occurredAt: ago(10, -5), action: 'breach.notified.authority', metadata: content, ...on('breach', 'b-1') },
      { occurredAt: ago(10, -6), action: 'breach.notified.subjects', ...failed(), ...on('breach', 'b-1') },
      { occurredAt: ago(8), action: 'breach.detected', metadata: { notifiable: true, highRisk: false }, ...on('breach', 'b-2') },
      { occurredAt: ago(8, -5), action: 'breach.notified.authority', metadata: { nature: 'misdirected email' }, ...on('breach', 'b-2') },
    ]);
    expect(a.rule('Art. 33(3)', 'notifications-complete')).toMatchObject({ verdict: 'PARTIAL', count: 1, tested: 2 });
    expect(a.control('Art. 33(3)').status).toBe('PARTIALLY_COMPLIANT');
    expect(a.rule('Art. 34', 'high-risk-not-communicated')).toMatchObject({ verdict: 'FINDING', count: 1, tested: 1 });
    expect(a.control('Art. 34').status).toBe('NON_COMPLIANT');
  });

  it('Art. 5(1)(e): retention deletions more than the interval apart show storage limitation only in part', async () => {
    const run = (d: number) => ({ occurredAt: ago(d), action: 'data.retention.applied', ...on('retention_job', 'nightly') });
    const a = await assess([run(58), run(50), run(10)], { from: 60 });
    expect(a.rule('Art. 5(1)(e)', 'retention-runs')).toMatchObject({ verdict: 'PARTIAL', duty: true });
    expect(a.control('Art. 5(1)(e)').status).toBe('PARTIALLY_COMPLIANT');
    // The article rolls its paragraphs up: the others are not shown, so Art. 5 is not compliant.
    expect(a.control('Art. 5').status).toBe('PARTIALLY_COMPLIANT');
  });
});
