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
  const ref = { frameworkId: 'soc2', controlId: 'CC6.1', ruleId: 'repeated-failed-logins', eventSequence: 1 };

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
    const other = await env.gql(FINDING, { ref: { ...ref, eventSequence: 1 } }, await env.createKey('AUDITOR', 'findings-other'));
    expect(other.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses a rule that is not a violation rule of the control, and an event beyond the chain', async () => {
    const noRule = await env.gql(FINDING, { ref: { ...ref, ruleId: 'successful-logins' } }, admin);
    expect(noRule.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const noEvent = await env.gql(FINDING, { ref: { ...ref, eventSequence: 10_000 } }, admin);
    expect(noEvent.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
