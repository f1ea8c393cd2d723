import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

// Findings with a lifecycle (ADR 0036): transitions through GraphQL, each one a chain event,
// refused ones recording nothing, and the state at asOf derived from transitions made by then.

const FINDING = `query Finding($ref: FindingRefInput!, $asOf: DateTime) {
  finding(ref: $ref, asOf: $asOf) { id state stateLabel history { from to note owner dueDate sequence } }
}`;
const TRANSITION = `mutation Transition($input: TransitionFindingInput!) {
  transitionFinding(input: $input) { id state stateLabel history { from to note sequence } }
}`;
const HEAD = `query { verifyAuditChain { valid headSequence } }`;

describe('findings lifecycle', () => {
  let env: TestEnvironment;
  let admin: string;
  const TENANT = 'findings';
  const ref = { frameworkId: 'soc2', controlId: 'CC6.1', ruleId: 'repeated-failed-logins', eventSequence: 5 };

  beforeAll(async () => {
    env = await createTestEnvironment();
    admin = await env.createKey('ADMIN', TENANT);
    const events = [0, 1, 2, 3, 4].map((i) =>
      eventInput({
        occurredAt: new Date(Date.now() - 40 * 86_400_000 + i * 60_000).toISOString(),
        action: 'auth.login',
        outcome: { status: 'FAILURE' },
      }),
    );
    const res = await env.gql(RECORD, { input: { events } }, await env.createKey('INGEST', TENANT));
    expect(res.body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await env?.close();
  });

  const head = async () => {
    const res = await env.gql<{ verifyAuditChain: { valid: boolean; headSequence: number } }>(HEAD, {}, admin);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.verifyAuditChain;
  };
  const transition = (input: Record<string, unknown>, key = admin) => env.gql(TRANSITION, { input: { ...ref, ...input } }, key);

  it('moves a finding through its states, each transition a chain event, and refuses what the table does not allow', async () => {
    const open = await env.gql(FINDING, { ref }, admin);
    expect(open.body.errors).toBeUndefined();
    expect(open.body.data).toMatchObject({ finding: { state: 'OPEN', stateLabel: 'Open', history: [] } });
    const id = (open.body.data as { finding: { id: string } }).finding.id;
    // A VIEWER may not transition (the denial itself is recorded, as every denial is).
    const viewer = await transition({ to: 'INVESTIGATED_CONFIRMED', note: 'x' }, await env.createKey('VIEWER', TENANT));
    expect(viewer.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const before = await head();

    // Refused: not allowed from OPEN, and a blank note; neither records anything.
    const refused = await transition({ to: 'REMEDIATED', note: 'fixed' });
    expect(refused.body.errors?.[0].extensions?.code).toBe('INVALID_TRANSITION');
    const blank = await transition({ to: 'INVESTIGATED_CONFIRMED', note: '  ' });
    expect(blank.body.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
    const noOwner = await transition({ to: 'REMEDIATION_PLANNED', note: 'plan' });
    expect(noOwner.body.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
    expect((await head()).headSequence).toBe(before.headSequence);

    const confirmed = await transition({ to: 'INVESTIGATED_CONFIRMED', note: 'brute force from one address' });
    expect(confirmed.body.errors).toBeUndefined();
    expect(confirmed.body.data).toMatchObject({
      transitionFinding: { id, state: 'INVESTIGATED_CONFIRMED', stateLabel: 'Investigated: confirmed' },
    });
    const planned = await transition({
      to: 'REMEDIATION_PLANNED',
      note: 'add MFA',
      owner: 'sec-team',
      dueDate: '2030-01-01T00:00:00.000Z',
    });
    expect(planned.body.errors).toBeUndefined();
    const after = await head();
    expect(after).toEqual({ valid: true, headSequence: before.headSequence + 2 });

    const now = await env.gql(FINDING, { ref }, admin);
    expect(now.body.data).toMatchObject({
      finding: {
        id,
        state: 'REMEDIATION_PLANNED',
        history: [
          { from: 'OPEN', to: 'INVESTIGATED_CONFIRMED', sequence: before.headSequence + 1 },
          { from: 'INVESTIGATED_CONFIRMED', to: 'REMEDIATION_PLANNED', owner: 'sec-team', dueDate: '2030-01-01T00:00:00.000Z' },
        ],
      },
    });

    // As of an instant before the transitions (the period's end, say), none applies.
    const past = await env.gql(FINDING, { ref, asOf: new Date(Date.now() - 30 * 86_400_000).toISOString() }, admin);
    expect(past.body.data).toMatchObject({ finding: { id, state: 'OPEN', history: [] } });

    // Another tenant's finding on the same rule and sequence is another finding, untouched.
    const other = await env.gql(FINDING, { ref }, await env.createKey('AUDITOR', 'findings-other'));
    expect(other.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses an event that is not a deviation of the rule, and records nothing', async () => {
    // Event 1 is a failed login, but the burst is completed by the fifth: the first names nothing.
    const before = await head();
    const notDeviation = await env.gql(FINDING, { ref: { ...ref, eventSequence: 1 } }, admin);
    expect(notDeviation.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(notDeviation.body.errors?.[0].message).toContain('is not a deviation of rule "repeated-failed-logins"');
    const moved = await transition({ eventSequence: 4, to: 'INVESTIGATED_CONFIRMED', note: 'x' });
    expect(moved.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await head()).headSequence).toBe(before.headSequence);
  });

  it('refuses a rule that is not a violation rule of the control, and an event beyond the chain', async () => {
    const noRule = await env.gql(FINDING, { ref: { ...ref, ruleId: 'successful-logins' } }, admin);
    expect(noRule.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const noEvent = await env.gql(FINDING, { ref: { ...ref, eventSequence: 10_000 } }, admin);
    expect(noEvent.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});

// Findings listed from an assessment (ControlAssessment.findings), and a disposition's effect on
// verdicts: findings investigated and found not to be deviations leave the rule's count; with
// none left the rule is CLEAR. Judged as of the period's end, a disposition made later does not
// apply; judged as of now (fieldwork), it does.
const ASSESS = `query Assess($input: AssessComplianceInput!) {
  assessCompliance(input: $input) {
    controls {
      controlId status
      rules { ruleId verdict count dismissed detail }
      findings { id ruleId ruleDescription eventSequence state }
    }
  }
}`;

describe('findings in an assessment', () => {
  let env: TestEnvironment;
  let admin: string;
  const TENANT = 'findings-listed';
  const DAY = 86_400_000;
  const base = Date.now() - 40 * DAY;
  const period = { frameworkId: 'soc2', from: new Date(base - DAY).toISOString(), to: new Date(base + DAY).toISOString() };
  type Control = {
    controlId: string;
    status: string;
    rules: { ruleId: string; verdict: string; count: number; dismissed: number | null; detail: string }[];
    findings: { id: string; ruleId: string; ruleDescription: string; eventSequence: number; state: string }[];
  };

  beforeAll(async () => {
    env = await createTestEnvironment();
    admin = await env.createKey('ADMIN', TENANT);
    const at = (minutes: number) => new Date(base + minutes * 60_000).toISOString();
    const events = [
      // 1–5: a burst of failed sign-ins by one actor, completed by the fifth.
      ...[0, 1, 2, 3, 4].map((i) => eventInput({ occurredAt: at(i), action: 'auth.login', outcome: { status: 'FAILURE' } })),
      // 6, 7: two second factors removed.
      eventInput({ occurredAt: at(30), action: 'auth.mfa.disabled' }),
      eventInput({ occurredAt: at(60), action: 'auth.mfa.disabled' }),
    ];
    const res = await env.gql(RECORD, { input: { events } }, await env.createKey('INGEST', TENANT));
    expect(res.body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await env?.close();
  });

  const cc61 = async (asOf?: string): Promise<Control> => {
    const res = await env.gql<{ assessCompliance: { controls: Control[] } }>(ASSESS, { input: { ...period, asOf } }, admin);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.assessCompliance.controls.find((c) => c.controlId === 'CC6.1')!;
  };
  const move = async (ruleId: string, eventSequence: number, to: string) => {
    const res = await env.gql(
      `mutation T($input: TransitionFindingInput!) { transitionFinding(input: $input) { state } }`,
      { input: { frameworkId: 'soc2', controlId: 'CC6.1', ruleId, eventSequence, to, note: 'investigated' } },
      admin,
    );
    expect(res.body.errors).toBeUndefined();
  };

  it('lists each deviation once, named by its event, and applies dispositions as of the instant asked', async () => {
    const open = await cc61();
    expect(open.status).toBe('NON_COMPLIANT');
    expect(open.rules.find((r) => r.ruleId === 'repeated-failed-logins')).toMatchObject({ verdict: 'FINDING', count: 1, dismissed: 0 });
    expect(open.rules.find((r) => r.ruleId === 'mfa-disabled')).toMatchObject({ verdict: 'FINDING', count: 2, dismissed: 0 });
    expect(open.findings.map((f) => [f.ruleId, f.eventSequence, f.state])).toEqual([
      ['repeated-failed-logins', 5, 'OPEN'],
      ['mfa-disabled', 7, 'OPEN'],
      ['mfa-disabled', 6, 'OPEN'],
    ]);
    expect(open.findings[0].ruleDescription).toBe(
      'Five or more failed sign-ins to one account within ten minutes not answered by a lockout of that account in time (organisation-defined; by default within 5 minutes)',
    );
    expect(new Set(open.findings.map((f) => f.id)).size).toBe(3);

    await move('repeated-failed-logins', 5, 'INVESTIGATED_NOT_A_DEVIATION');
    await move('mfa-disabled', 6, 'INVESTIGATED_NOT_A_DEVIATION');
    const fieldwork = await cc61(new Date().toISOString());
    expect(fieldwork.rules.find((r) => r.ruleId === 'repeated-failed-logins')).toMatchObject({ verdict: 'CLEAR', count: 0, dismissed: 1 });
    const mfa = fieldwork.rules.find((r) => r.ruleId === 'mfa-disabled')!;
    expect(mfa).toMatchObject({ verdict: 'FINDING', count: 1, dismissed: 1 });
    expect(mfa.detail).toContain('1 finding investigated and found not to be a deviation; 1 still stand');
    expect(fieldwork.status).toBe('NON_COMPLIANT');
    expect(fieldwork.findings.map((f) => [f.eventSequence, f.state])).toEqual([
      [5, 'INVESTIGATED_NOT_A_DEVIATION'],
      [7, 'OPEN'],
      [6, 'INVESTIGATED_NOT_A_DEVIATION'],
    ]);

    // With the last one dismissed no finding stands, and the control is no longer NON_COMPLIANT;
    // reopened, it stands again.
    await move('mfa-disabled', 7, 'INVESTIGATED_NOT_A_DEVIATION');
    const cleared = await cc61(new Date().toISOString());
    expect(cleared.rules.find((r) => r.ruleId === 'mfa-disabled')).toMatchObject({ verdict: 'CLEAR', count: 0, dismissed: 2 });
    expect(cleared.status).not.toBe('NON_COMPLIANT');
    expect(cleared.findings).toHaveLength(3);
    await move('mfa-disabled', 7, 'OPEN');
    const reopened = await cc61(new Date().toISOString());
    expect(reopened.rules.find((r) => r.ruleId === 'mfa-disabled')).toMatchObject({ verdict: 'FINDING', count: 1, dismissed: 1 });
    expect(reopened.status).toBe('NON_COMPLIANT');

    // As of the period's end (the default for a closed period), none of the later dispositions applies.
    const periodEnd = await cc61();
    expect(periodEnd).toEqual(open);
  });

  it('lets any event that completes a burst name its finding, as a range starting mid-burst names a later one', async () => {
    const tenant = 'findings-mid-burst';
    const key = await env.createKey('ADMIN', tenant);
    const at = (minutes: number) => new Date(base + minutes * 60_000).toISOString();
    const events = [0, 1, 2, 3, 4, 5, 6].map((i) =>
      eventInput({ occurredAt: at(i), action: 'auth.login', outcome: { status: 'FAILURE' } }),
    );
    expect((await env.gql(RECORD, { input: { events } }, await env.createKey('INGEST', tenant))).body.errors).toBeUndefined();
    const listed = async (from: string) => {
      const res = await env.gql<{ assessCompliance: { controls: Control[] } }>(ASSESS, { input: { ...period, from } }, key);
      expect(res.body.errors).toBeUndefined();
      return res.body.data!.assessCompliance.controls.find((c) => c.controlId === 'CC6.1')!.findings.map((f) => f.eventSequence);
    };
    expect(await listed(period.from)).toEqual([5]);
    // From the third event on, the fifth of the range (event 7) completes the burst first.
    expect(await listed(at(1.5))).toEqual([7]);
    const res = await env.gql(
      `mutation T($input: TransitionFindingInput!) { transitionFinding(input: $input) { state } }`,
      {
        input: {
          frameworkId: 'soc2',
          controlId: 'CC6.1',
          ruleId: 'repeated-failed-logins',
          eventSequence: 7,
          to: 'INVESTIGATED_CONFIRMED',
          note: 'one burst',
        },
      },
      key,
    );
    expect(res.body.errors).toBeUndefined();
    // An event that completes no window still names nothing.
    const first = await env.gql(
      FINDING,
      { ref: { frameworkId: 'soc2', controlId: 'CC6.1', ruleId: 'repeated-failed-logins', eventSequence: 3 } },
      key,
    );
    expect(first.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('shows the findings register in the compliance reports, with states as of the instant asked', async () => {
    const report = async (type: string, format: string, asOf?: string) => {
      const res = await env.gql<{ generateReport: { contentBase64: string } }>(
        `mutation G($input: GenerateReportInput!) { generateReport(input: $input) { contentBase64 } }`,
        { input: { type, format, ...period, asOf } },
        admin,
      );
      expect(res.body.errors).toBeUndefined();
      return Buffer.from(res.body.data!.generateReport.contentBase64, 'base64').toString('utf8');
    };
    type Model = { sections: { id: string; blocks: { type: string; rows?: unknown[][] }[] }[] };
    const register = (json: string) =>
      (JSON.parse(json) as Model).sections.find((s) => s.id === 'finding-register')!.blocks.find((b) => b.type === 'table')!.rows!;
    const now = new Date().toISOString();
    for (const type of ['CONTROL_ASSESSMENT', 'COMPLIANCE_SUMMARY']) {
      const rows = register(await report(type, 'json', now));
      const cc61Rows = rows.filter((r) => r[0] === 'CC6.1').map((r) => [r[2], r[3], r[5]]);
      expect(cc61Rows).toEqual([
        [5, 'Investigated: not a deviation', 'investigated'],
        [7, 'Open', 'investigated'],
        [6, 'Investigated: not a deviation', 'investigated'],
      ]);
      // Judged at the period's end, the register shows the findings as they stood then.
      const atEnd = register(await report(type, 'json')).filter((r) => r[0] === 'CC6.1');
      expect(atEnd.map((r) => [r[2], r[3]])).toEqual([
        [5, 'Open'],
        [7, 'Open'],
        [6, 'Open'],
      ]);
    }
    expect(await report('CONTROL_ASSESSMENT', 'html', now)).toContain('Investigated: not a deviation');
  });
});
