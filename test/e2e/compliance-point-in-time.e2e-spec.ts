import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

// Point-in-time assessments (ADR 0034): deadlines judged as of the period's end or an explicit
// asOf, only events recorded by asOf plus EVIDENCE_RECORDING_LAG_MINUTES counted, and follow-ups
// recorded later than the lag after they occurred not counted as timely.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Midnight UTC on day `day` of the month `monthsAgo` months before the current one, plus hours. */
const at = (monthsAgo: number, day: number, hours = 12): string => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsAgo, day, hours)).toISOString();
};
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
/** Two whole months, closed at least a month ago. */
const PERIOD = { from: at(3, 1, 0), to: at(1, 1, 0) };

const ASSESS = `query Assess($input: AssessComplianceInput!) {
  assessCompliance(input: $input) {
    score level coverage cached headSequence headChainHash asOf recordedBy validUntil
    counts { compliant partiallyCompliant nonCompliant observed notAssessed notApplicable total }
    controls { controlId status evidenceCount violationCount rules { ruleId verdict count pending tested backfilled detail } }
  }
}`;

type Assessment = {
  score: number | null;
  level: string;
  headSequence: number;
  asOf: string;
  recordedBy: string;
  validUntil: string | null;
  cached: boolean;
  counts: Record<string, number>;
  controls: {
    controlId: string;
    status: string;
    evidenceCount: number;
    violationCount: number;
    rules: {
      ruleId: string;
      verdict: string;
      count: number;
      pending: number | null;
      tested: number | null;
      backfilled: number | null;
      detail: string;
    }[];
  }[];
};

const verdicts = (a: Assessment) => ({
  score: a.score,
  level: a.level,
  counts: a.counts,
  headSequence: a.headSequence,
  controls: a.controls.map((c) => [c.controlId, c.status, c.evidenceCount, c.violationCount, c.rules.map((r) => [r.verdict, r.count])]),
});

/** Resolves once the clock has moved past `iso`, so that anything recorded from now on is recorded after it. */
async function clockPast(iso: string): Promise<void> {
  while (Date.now() <= Date.parse(iso)) await new Promise((resolve) => setImmediate(resolve));
}

function harness(overrides: Record<string, string>) {
  const h = { env: undefined as unknown as TestEnvironment };
  beforeAll(async () => {
    h.env = await createTestEnvironment(overrides);
  });
  afterAll(async () => {
    await h.env?.close();
  });
  const seed = async (tenant: string, events: Record<string, unknown>[]) => {
    const res = await h.env.gql(RECORD, { input: { events: events.map((e) => eventInput(e)) } }, await h.env.createKey('INGEST', tenant));
    expect(res.body.errors).toBeUndefined();
  };
  const assess = async (tenant: string, input: Record<string, unknown>): Promise<Assessment> => {
    const res = await h.env.gql(ASSESS, { input }, await h.env.createKey('AUDITOR', tenant));
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.assessCompliance;
  };
  const assessError = async (tenant: string, input: Record<string, unknown>) => {
    const res = await h.env.gql(ASSESS, { input }, await h.env.createKey('AUDITOR', tenant));
    return res.body.errors?.[0];
  };
  /** A report's JSON model as text. */
  const report = async (tenant: string, input: Record<string, unknown>): Promise<string> => {
    const res = await h.env.gql<{ generateReport: { contentBase64: string } }>(
      `mutation G($input: GenerateReportInput!) { generateReport(input: $input) { contentBase64 } }`,
      { input: { format: 'json', ...input } },
      await h.env.createKey('AUDITOR', tenant),
    );
    expect(res.body.errors).toBeUndefined();
    return Buffer.from(res.body.data!.generateReport.contentBase64, 'base64').toString('utf8');
  };
  return { h, seed, assess, assessError, report };
}

const control = (a: Assessment, id: string) => a.controls.find((c) => c.controlId === id)!;
const rule = (a: Assessment, controlId: string, ruleId: string) => control(a, controlId).rules.find((r) => r.ruleId === ruleId)!;
const burst = (actor: string, day: string) =>
  [0, 1, 2, 3, 4].map((i) => ({
    occurredAt: new Date(Date.parse(day) + i * 60_000).toISOString(),
    action: 'auth.login',
    outcome: { status: 'FAILURE' },
    actor: { id: actor, type: 'USER' },
  }));

describe('point-in-time assessments, recording lag of 0 minutes', () => {
  const { seed, assess } = harness({ EVIDENCE_RECORDING_LAG_MINUTES: '0' });

  it('gives the same verdicts for a closed period before and after new events arrive, backdated ones included', async () => {
    const TENANT = 'closed-period';
    await seed(TENANT, [
      { occurredAt: at(3, 10), action: 'audit.log.reviewed', resource: { type: 'log', id: 'main' } },
      { occurredAt: at(3, 12), action: 'auth.login' },
      ...burst('victim', at(2, 5)),
      { occurredAt: at(2, 8), action: 'breach.detected', resource: { type: 'breach', id: 'BR-1' }, metadata: { notifiable: true } },
    ]);
    const asOf = new Date().toISOString();
    await clockPast(asOf);
    const inputs = [
      { frameworkId: 'soc2', ...PERIOD, asOf },
      { frameworkId: 'gdpr', ...PERIOD, asOf },
      { frameworkId: 'hipaa', ...PERIOD, asOf },
      // Judged as the period closed: nothing of this trail was recorded by then.
      { frameworkId: 'soc2', ...PERIOD },
    ];
    const before = await Promise.all(inputs.map((input) => assess(TENANT, input)));
    expect(before[0]).toMatchObject({ asOf, recordedBy: asOf, validUntil: null, headSequence: 8 });
    expect(control(before[0], 'CC6.1')).toMatchObject({ status: 'NON_COMPLIANT', violationCount: 1 });
    expect(control(before[1], 'Art. 33')).toMatchObject({ status: 'NON_COMPLIANT' });
    expect(before[3]).toMatchObject({ asOf: PERIOD.to, headSequence: 0, score: null, level: 'NOT_ASSESSED' });

    // Later: the missing review, a second burst and the notification, all backdated into the period,
    // and today's activity.
    await seed(TENANT, [
      { occurredAt: at(2, 10), action: 'audit.log.reviewed', resource: { type: 'log', id: 'main' } },
      ...burst('other', at(2, 20)),
      { occurredAt: at(2, 9), action: 'breach.notified.authority', resource: { type: 'breach', id: 'BR-1' } },
      { occurredAt: ago(HOUR), action: 'auth.login' },
    ]);
    const after = await Promise.all(inputs.map((input) => assess(TENANT, input)));
    for (const [i, a] of after.entries()) {
      expect(a.cached).toBe(false);
      expect(verdicts(a)).toEqual(verdicts(before[i]));
    }
    // The same period judged as of now does see them.
    const now = await assess(TENANT, { frameworkId: 'soc2', ...PERIOD, asOf: new Date().toISOString() });
    expect(now.headSequence).toBe(16);
    expect(control(now, 'CC6.1').violationCount).toBe(2);
  });
});

describe('point-in-time assessments, default recording lag (60 minutes)', () => {
  const { h, seed, assess, assessError, report } = harness({ EVIDENCE_RECORDING_LAG_MINUTES: '60' });

  it('does not count a follow-up backdated when recorded days late as timely', async () => {
    await seed('backdated', [
      { occurredAt: ago(10 * DAY), action: 'breach.detected', resource: { type: 'breach', id: 'BR-1' }, metadata: { notifiable: true } },
      // Recorded now, claiming to have happened nine days ago, within 72 hours of the detection.
      { occurredAt: ago(9 * DAY), action: 'breach.notified.authority', resource: { type: 'breach', id: 'BR-1' } },
    ]);
    await seed('on-time', [
      { occurredAt: ago(2 * HOUR), action: 'breach.detected', resource: { type: 'breach', id: 'BR-2' }, metadata: { notifiable: true } },
      // Recorded half an hour after it happened: within the lag.
      { occurredAt: ago(30 * 60_000), action: 'breach.notified.authority', resource: { type: 'breach', id: 'BR-2' } },
    ]);
    const from = ago(30 * DAY);
    const late = await assess('backdated', { frameworkId: 'gdpr', from });
    // Flagged as backfilled: the notification would have answered, had it been recorded on time.
    const flagged = rule(late, 'Art. 33(1)', 'breach-not-notified');
    expect(flagged).toMatchObject({ verdict: 'FINDING', count: 1, backfilled: 1 });
    expect(flagged.detail).toContain(
      '1 of them answered only by a follow-up recorded later than the recording lag (backfilled, not timely)',
    );
    expect(control(late, 'Art. 33').status).toBe('NON_COMPLIANT');
    // The report says so where the control's reason is given.
    const model = await report('backdated', { type: 'CONTROL_ASSESSMENT', frameworkId: 'gdpr', from, to: new Date().toISOString() });
    expect(model).toContain('recorded later than the recording lag (backfilled, not timely)');
    const onTime = await assess('on-time', { frameworkId: 'gdpr', from });
    expect(rule(onTime, 'Art. 33(1)', 'notified-in-time')).toMatchObject({ verdict: 'MET', count: 1, tested: 1 });
    expect(rule(onTime, 'Art. 33(1)', 'breach-not-notified')).toMatchObject({ verdict: 'CLEAR', count: 0, backfilled: 0 });
  });

  it('refuses an asOf before the range or in the future, and changes nothing', async () => {
    const before = await h.env.gql('{ auditEventStats(filter: {}) { total } }', {}, await h.env.createKey('AUDITOR', 'refused'));
    for (const asOf of [ago(40 * DAY), new Date(Date.now() + DAY).toISOString()]) {
      const error = await assessError('refused', { frameworkId: 'soc2', from: ago(30 * DAY), asOf });
      expect(error).toMatchObject({ extensions: { code: 'INVALID_ARGUMENT', problems: [{ path: 'input.asOf' }] } });
    }
    const after = await h.env.gql('{ auditEventStats(filter: {}) { total } }', {}, await h.env.createKey('AUDITOR', 'refused'));
    expect(after.body).toEqual(before.body);
  });
});

describe('point-in-time assessments, history seeded at once (a century of lag)', () => {
  const { seed, assess } = harness({});

  it('judges a deadline as of the period end: pending then, a finding only when asked as of a later instant', async () => {
    const TENANT = 'deadline-as-of';
    // Detected an hour before the period closed; never notified.
    const detected = new Date(Date.parse(PERIOD.to) - HOUR).toISOString();
    await seed(TENANT, [
      { occurredAt: detected, action: 'breach.detected', resource: { type: 'breach', id: 'BR-9' }, metadata: { notifiable: true } },
    ]);
    const atEnd = await assess(TENANT, { frameworkId: 'gdpr', ...PERIOD });
    expect(atEnd.asOf).toBe(PERIOD.to);
    expect(rule(atEnd, 'Art. 33(1)', 'breach-not-notified')).toMatchObject({ verdict: 'CLEAR', pending: 1, tested: 0 });
    const fieldwork = await assess(TENANT, {
      frameworkId: 'gdpr',
      ...PERIOD,
      asOf: new Date(Date.parse(detected) + 80 * HOUR).toISOString(),
    });
    expect(rule(fieldwork, 'Art. 33(1)', 'breach-not-notified')).toMatchObject({ verdict: 'FINDING', count: 1, pending: 0 });
    expect(control(fieldwork, 'Art. 33').status).toBe('NON_COMPLIANT');
  });
});
