import { createTestEnvironment, eventInput, RECORD, type TestEnvironment, VERIFY } from '../helpers/test-environment';

describe('smoke: record, read back, verify', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env.close());

  it('records an event and verifies the chain', async () => {
    const recorded = await env.gql(RECORD, { input: { events: [eventInput(), eventInput({ action: 'auth.logout' })] } });
    expect(recorded.body.errors).toBeUndefined();
    expect(recorded.body.data!.recordAuditEvents.receipts.map((r: { sequence: number }) => r.sequence)).toEqual([1, 2]);
    const verified = await env.gql(VERIFY);
    expect(verified.body.data!.verifyAuditChain).toMatchObject({ valid: true, checkedCount: 2, headSequence: 2 });
  });
});
