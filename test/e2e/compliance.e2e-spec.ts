import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

/** Midnight UTC on day `day` of the month `monthsAgo` months before the current one, plus hours. */
const at = (monthsAgo: number, day: number, hours = 12, minutes = 0): string => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsAgo, day, hours, minutes)).toISOString();
};
/** Three whole months before the current one. */
const RANGE = { from: at(3, 1, 0), to: at(0, 1, 0) };

const ASSESS = `query Assess($input: AssessComplianceInput!) {
  assessCompliance(input: $input) {
    frameworkId score level coverage cached headSequence headChainHash validUntil
    counts { compliant partiallyCompliant nonCompliant observed notAssessed notApplicable total }
    controls {
      controlId status evidenceCount violationCount reason scored
      attestation { status note sequence attestedBy }
      rules { ruleId role verdict count periodsChecked periodsMet pending duty tested detail sampleEvents { action sequence } }
      sampleEvents { action sequence }
    }
  }
}`;

type Assessment = {
  controls: {
    controlId: string;
    status: string;
    evidenceCount: number;
    violationCount: number;
    reason: string;
    rules: {
      ruleId: string;
      role: string;
      verdict: string;
      count: number;
      periodsChecked: number | null;
      periodsMet: number | null;
      pending: number | null;
      duty: boolean;
      tested: number | null;
      sampleEvents: { action: string }[];
    }[];
    sampleEvents: { action: string; sequence: number }[];
    attestation: { status: string } | null;
  }[];
  [key: string]: any;
};

describe('compliance assessment', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(async () => {
    await env?.close();
  });

  async function seed(key: string, events: Record<string, unknown>[]) {
    const res = await env.gql(RECORD, { input: { events: events.map((e) => eventInput(e)) } }, key);
    expect(res.body.errors).toBeUndefined();
  }
  async function assess(key: string, frameworkId: string, range: { from: string; to?: string | null } = RANGE): Promise<Assessment> {
    const res = await env.gql(ASSESS, { input: { frameworkId, ...range } }, key);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.assessCompliance;
  }
  const control = (a: Assessment, id: string) => a.controls.find((c) => c.controlId === id)!;

  it('SOC 2: one of two logins with a second factor makes CC6.1 partially compliant (MFA coverage is a duty), monthly reviews make CC7.2 compliant, a burst of failures makes CC6.1 non-compliant, CC1.1 is not assessed', async () => {
    const good = await env.createKey('INGEST', 'soc2-good');
    await seed(good, [
      { occurredAt: at(2, 3), action: 'auth.login', metadata: { mfa: true } },
      { occurredAt: at(2, 4), action: 'auth.login' },
      ...[3, 2, 1].map((m) => ({ occurredAt: at(m, 10), action: 'audit.log.reviewed', resource: { type: 'log', id: 'main' } })),
    ]);
    const a = await assess(await env.createKey('AUDITOR', 'soc2-good'), 'soc2');
    expect(control(a, 'CC6.1')).toMatchObject({ status: 'PARTIALLY_COMPLIANT', evidenceCount: 3, violationCount: 0 });
    expect(control(a, 'CC6.1').rules.find((r) => r.ruleId === 'mfa-coverage')).toMatchObject({ verdict: 'PARTIAL', duty: true, tested: 2 });
    expect(control(a, 'CC6.1').sampleEvents.map((e) => e.action)).toEqual(['auth.login', 'auth.login']);
    expect(control(a, 'CC7.2')).toMatchObject({ status: 'COMPLIANT' });
    expect(control(a, 'CC7.2').rules.find((r) => r.ruleId === 'logs-reviewed')).toMatchObject({
      verdict: 'MET',
      periodsChecked: 3,
      periodsMet: 3,
    });
    expect(control(a, 'CC1.1')).toMatchObject({ status: 'NOT_ASSESSED', evidenceCount: 0 });
    expect(a.counts.total).toBe(61);

    const bad = await env.createKey('INGEST', 'soc2-bad');
    await seed(bad, [
      { occurredAt: at(2, 3), action: 'auth.login' },
      // five failures for one account in four minutes: a finding; four for another: not one
      ...[0, 1, 2, 3, 4].map((i) => ({
        occurredAt: at(2, 5, 9, i),
        action: 'auth.login',
        outcome: { status: 'FAILURE' },
        actor: { id: 'victim', type: 'USER' },
      })),
      ...[0, 1, 2, 3].map((i) => ({
        occurredAt: at(2, 5, 9, i),
        action: 'auth.login',
        outcome: { status: 'FAILURE' },
        actor: { id: 'typo', type: 'USER' },
      })),
    ]);
    const b = await assess(await env.createKey('AUDITOR', 'soc2-bad'), 'soc2');
    expect(control(b, 'CC6.1')).toMatchObject({ status: 'NON_COMPLIANT', violationCount: 1 });
    expect(control(b, 'CC6.1').rules.find((r) => r.ruleId === 'repeated-failed-logins')).toMatchObject({ verdict: 'FINDING', count: 1 });
  });

  it('ten events of ten kinds on one day score no level above LOW in any framework', async () => {
    const TENANT = 'ten-kinds';
    const day = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const kinds = [
      'auth.login',
      'auth.mfa.verified',
      'role.assigned',
      'backup.completed',
      'audit.log.reviewed',
      'policy.approved',
      'risk.assessment.completed',
      'change.deployed',
      'breach.detected',
      'dsar.received',
    ];
    await seed(
      await env.createKey('INGEST', TENANT),
      kinds.map((action, i) => ({
        occurredAt: `${day}T${String(8 + i).padStart(2, '0')}:00:00.000Z`,
        action,
        resource: { type: 'thing', id: `t-${i}` },
      })),
    );
    const auditor = await env.createKey('AUDITOR', TENANT);
    const ranks = ['CRITICAL', 'LOW', 'MODERATE', 'HIGH'];
    for (const frameworkId of ['soc2', 'hipaa', 'gdpr']) {
      for (const range of [{ from: `${new Date().getUTCFullYear() - 1}-12-01T00:00:00.000Z` }, { from: `${day}T00:00:00.000Z` }]) {
        const a = await assess(auditor, frameworkId, range);
        expect({ frameworkId, level: a.level }).toEqual({ frameworkId, level: expect.stringMatching(/^(LOW|CRITICAL)$/) });
        expect(ranks.indexOf(a.level)).toBeLessThanOrEqual(1);
        expect(a.score).toBeLessThan(0.4);
        expect(a.counts.observed).toBeGreaterThan(0);
      }
    }
  });

  it('GDPR Art. 33(1): a breach notified after 72 hours is non-compliant, within 72 hours compliant', async () => {
    const notifiable = { notifiable: true };
    const content = { nature: 'credential stuffing', contact: 'dpo@example.com', consequences: 'account takeover', measures: 'resets' };
    const late = await env.createKey('INGEST', 'gdpr-late');
    await seed(late, [
      { occurredAt: at(2, 1, 8), action: 'breach.detected', resource: { type: 'breach', id: 'BR-1' }, metadata: notifiable },
      { occurredAt: at(2, 4, 9), action: 'breach.notified.authority', resource: { type: 'breach', id: 'BR-1' }, metadata: content },
      { occurredAt: at(2, 10, 8), action: 'breach.detected', resource: { type: 'breach', id: 'BR-2' }, metadata: notifiable },
      { occurredAt: at(2, 10, 20), action: 'breach.notified.authority', resource: { type: 'breach', id: 'BR-2' }, metadata: content },
    ]);
    const a = await assess(await env.createKey('AUDITOR', 'gdpr-late'), 'gdpr');
    expect(control(a, 'Art. 33(1)')).toMatchObject({ status: 'NON_COMPLIANT', violationCount: 1 });
    expect(control(a, 'Art. 33')).toMatchObject({ status: 'NON_COMPLIANT', violationCount: 1 });
    // The population of two breaches has one exception: the evidence rule holds only in part.
    expect(control(a, 'Art. 33(1)').rules.find((r) => r.ruleId === 'notified-in-time')).toMatchObject({
      verdict: 'PARTIAL',
      count: 1,
      duty: true,
      tested: 2,
    });

    const onTime = await env.createKey('INGEST', 'gdpr-on-time');
    await seed(onTime, [
      { occurredAt: at(2, 10, 8), action: 'breach.detected', resource: { type: 'breach', id: 'BR-2' }, metadata: notifiable },
      { occurredAt: at(2, 13, 7), action: 'breach.notified.authority', resource: { type: 'breach', id: 'BR-2' }, metadata: content },
    ]);
    const b = await assess(await env.createKey('AUDITOR', 'gdpr-on-time'), 'gdpr');
    for (const id of ['Art. 33(1)', 'Art. 33(3)', 'Art. 33(5)'])
      expect(control(b, id)).toMatchObject({ status: 'COMPLIANT', violationCount: 0 });
    // 33(2), the processor's notice, had no breach to judge: the article is shown in part.
    expect(control(b, 'Art. 33(2)').status).toBe('NOT_ASSESSED');
    expect(control(b, 'Art. 33')).toMatchObject({ status: 'PARTIALLY_COMPLIANT', violationCount: 0 });
  });

  it('HIPAA 164.308(a)(1)(ii)(D): a month without an activity review is a finding that rolls up to the standard', async () => {
    const key = await env.createKey('INGEST', 'hipaa-gap');
    await seed(
      key,
      [3, 1].map((m) => ({ occurredAt: at(m, 10), action: 'audit.log.reviewed', resource: { type: 'log', id: 'ehr' } })),
    );
    const a = await assess(await env.createKey('AUDITOR', 'hipaa-gap'), 'hipaa');
    const review = control(a, '164.308(a)(1)(ii)(D)');
    expect(review).toMatchObject({ status: 'NON_COMPLIANT', violationCount: 1 });
    expect(review.rules.find((r) => r.ruleId === 'monthly-activity-review')).toMatchObject({
      verdict: 'PARTIAL',
      periodsChecked: 3,
      periodsMet: 2,
    });
    expect(control(a, '164.308(a)(1)').status).toBe('NON_COMPLIANT');
    // The audit-controls standard asks for reviews with no gap over seven days (MAX_GAP): two months apart show it in part.
    expect(control(a, '164.312(b)').status).toBe('PARTIALLY_COMPLIANT');
  });

  it('caches under the chain head and recomputes after a new event', async () => {
    const auditor = await env.createKey('AUDITOR', 'soc2-good');
    const first = await assess(auditor, 'soc2');
    const again = await assess(auditor, 'soc2');
    expect(again.cached).toBe(true);
    expect(again.headSequence).toBe(first.headSequence);
    await seed(await env.createKey('INGEST', 'soc2-good'), [
      { occurredAt: at(1, 2), action: 'policy.approved', resource: { type: 'policy', id: 'p' } },
    ]);
    const fresh = await assess(auditor, 'soc2');
    expect(fresh.cached).toBe(false);
    expect(fresh.headSequence).toBe(first.headSequence + 1);
    expect(control(fresh, 'CC1.1').status).toBe('OBSERVED');
  });

  it('an attestation flips a NOT_ASSESSED control and is an event in the chain', async () => {
    const auditor = await env.createKey('AUDITOR', 'soc2-attest');
    await seed(await env.createKey('INGEST', 'soc2-attest'), [{ occurredAt: at(1, 2), action: 'auth.login' }]);
    const before = await assess(auditor, 'soc2', { from: RANGE.from });
    expect(control(before, 'CC2.3').status).toBe('NOT_ASSESSED');
    const res = await env.gql(
      `mutation A($input: AttestControlInput!) { attestControl(input: $input) { status note sequence event { action resource { type id } } } }`,
      {
        input: {
          frameworkId: 'soc2',
          controlId: 'CC2.3',
          status: 'COMPLIANT',
          note: 'Reviewed the vendor contracts.',
          expiresAt: new Date(Date.now() + 86_400_000 * 90).toISOString(),
        },
      },
      auditor,
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.attestControl).toMatchObject({
      status: 'COMPLIANT',
      event: { action: 'datapunk.control.attested', resource: { type: 'compliance_control', id: 'soc2:CC2.3' } },
    });
    const after = await assess(auditor, 'soc2', { from: RANGE.from });
    expect(after.cached).toBe(false);
    expect(control(after, 'CC2.3')).toMatchObject({ status: 'COMPLIANT', attestation: { status: 'COMPLIANT' } });
  });
  it('filters auditEvents and auditEventStats by a control, as its evidence connection lists them', async () => {
    const key = await env.createKey('AUDITOR', 'soc2-good');
    const filter = { control: { frameworkId: 'soc2', controlId: 'CC6.1' } };
    const list = await env.gql(
      `query($filter: AuditEventFilter) { auditEvents(filter: $filter, first: 10) { totalCount edges { node { action outcome { status } } } } }`,
      { filter },
      key,
    );
    expect(list.body.errors).toBeUndefined();
    const evidence = await env.gql(
      `{ control(frameworkId: "soc2", id: "CC6.1") { evidence(first: 10) { totalCount edges { node { action outcome { status } } } } } }`,
      {},
      key,
    );
    expect(list.body.data!.auditEvents).toEqual(evidence.body.data!.control.evidence);
    // Two successful sign-ins, plus this key's own refusals (none): CC6.1 evidence is sign-ins and refusals.
    expect(list.body.data!.auditEvents.edges.map((e: any) => e.node.action)).toEqual(['auth.login', 'auth.login']);
    const stats = await env.gql(
      `query($filter: AuditEventFilter) { auditEventStats(groupBy: ACTION, filter: $filter) { total groups { key count } } }`,
      { filter },
      key,
    );
    expect(stats.body.data!.auditEventStats).toEqual({ total: 2, groups: [{ key: 'auth.login', count: 2 }] });
    const unknown = await env.gql(
      `{ auditEvents(filter: { control: { frameworkId: "soc2", controlId: "CC99.9" } }) { totalCount } }`,
      {},
      key,
    );
    expect(unknown.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
  const ATTEST = `mutation A($input: AttestControlInput!) { attestControl(input: $input) { status sequence } }`;
  const attest = async (key: string, frameworkId: string, controlId: string, status: string) => {
    const res = await env.gql(
      ATTEST,
      {
        input: {
          frameworkId,
          controlId,
          status,
          note: 'Scoped by the audit plan.',
          expiresAt: new Date(Date.now() + 86_400_000 * 30).toISOString(),
        },
      },
      key,
    );
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.attestControl as { sequence: number };
  };

  it('takes the implementation specifications of a standard attested NOT_APPLICABLE out of scope with it', async () => {
    const auditor = await env.createKey('AUDITOR', 'hipaa-scope');
    await seed(await env.createKey('INGEST', 'hipaa-scope'), [{ occurredAt: at(1, 2), action: 'facility.access' }]);
    const before = await assess(auditor, 'hipaa', { from: RANGE.from });
    await attest(auditor, 'hipaa', '164.310(a)(1)', 'NOT_APPLICABLE');
    const after = await assess(auditor, 'hipaa', { from: RANGE.from });
    const specs = ['164.310(a)(2)(i)', '164.310(a)(2)(ii)', '164.310(a)(2)(iii)', '164.310(a)(2)(iv)'];
    expect(['164.310(a)(1)', ...specs].map((id) => control(after, id).status)).toEqual(new Array(5).fill('NOT_APPLICABLE'));
    expect(control(after, specs[0]).reason).toMatch(/^Out of scope: 164\.310\(a\)\(1\) was attested NOT_APPLICABLE/);
    expect(after.counts.notApplicable).toBe(before.counts.notApplicable + 4);
  });

  it('does not trust a datapunk.control.attested event recorded before those actions were reserved', async () => {
    const TENANT = 'legacy-attest';
    const auditor = await env.createKey('AUDITOR', TENANT);
    // Stands for a row a client could record before the upgrade: below the tenant's server-action floor.
    await env.app.services.ingest.record(
      TENANT,
      [
        {
          occurredAt: new Date(Date.now() - 60_000).toISOString(),
          actor: { id: 'ingest-bot', type: 'SERVICE' as never },
          action: 'datapunk.control.attested',
          resource: { type: 'compliance_control', id: 'soc2:CC2.1' },
          outcome: { status: 'SUCCESS' as never },
          metadata: {
            frameworkId: 'soc2',
            controlId: 'CC2.1',
            status: 'NOT_APPLICABLE',
            note: 'forged',
            expiresAt: '2030-01-01T00:00:00.000Z',
          },
        },
      ],
      { trusted: true },
    );
    const [{ sequence }] = await env.sql<{ sequence: unknown }>('SELECT sequence FROM chain_head WHERE tenant_id = ?', [TENANT]);
    await env.sql('INSERT INTO server_action_floor (tenant_id, sequence) VALUES (?, ?)', [TENANT, Number(sequence)]);
    expect(control(await assess(auditor, 'soc2', { from: RANGE.from }), 'CC2.1')).toMatchObject({
      status: 'NOT_ASSESSED',
      attestation: null,
    });
    await attest(auditor, 'soc2', 'CC2.1', 'NOT_APPLICABLE');
    expect(control(await assess(auditor, 'soc2', { from: RANGE.from }), 'CC2.1')).toMatchObject({
      status: 'NOT_APPLICABLE',
      attestation: { status: 'NOT_APPLICABLE', note: 'Scoped by the audit plan.' },
    });
  });
});
