import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

/** A third party's pure-data catalog using the 1.4.0 rule kinds. */
const CATALOG = {
  framework: { id: 'acme-change', name: 'Acme change policy', version: '1', description: 'Changes approved, disabled accounts stay idle.' },
  controls: [
    {
      id: 'CHG-1',
      title: 'Changes are approved',
      description: 'Every deployment has an approval of the same resource in the 30 days before.',
      evidence: [
        {
          id: 'deployments-approved',
          kind: 'NOT_PRECEDED_BY',
          description: 'Deployments approved beforehand',
          trigger: { action: [{ equals: 'change.deployed' }] },
          precededBy: { action: [{ equals: 'change.approved' }] },
          within: { days: 30 },
          correlation: 'RESOURCE',
        },
      ],
      violations: [
        {
          id: 'deployment-unapproved',
          kind: 'NOT_PRECEDED_BY',
          description: 'Deployment without a prior approval',
          trigger: { action: [{ equals: 'change.deployed' }] },
          precededBy: { action: [{ equals: 'change.approved' }] },
          within: { days: 30 },
          correlation: 'RESOURCE',
        },
      ],
    },
    {
      id: 'ACC-1',
      title: 'Disabled accounts stay idle',
      description: 'No sign-in within a week after an account is disabled.',
      evidence: [
        { id: 'disabling', kind: 'MATCH', description: 'Accounts are disabled', match: { action: [{ equals: 'user.disabled' }] } },
      ],
      violations: [
        {
          id: 'active-after-disable',
          kind: 'FOLLOWED_BY',
          description: 'Sign-in after the account was disabled',
          trigger: { action: [{ equals: 'user.disabled' }] },
          followUp: { action: [{ equals: 'user.login' }] },
          within: { days: 7 },
          correlation: 'RESOURCE',
        },
      ],
    },
  ],
};

const ASSESS = `query Assess($input: AssessComplianceInput!) {
  assessCompliance(input: $input) {
    validUntil
    controls { controlId status rules { ruleId kind role verdict count pending detail } }
  }
}`;

type Assessment = {
  validUntil: string | null;
  controls: {
    controlId: string;
    status: string;
    rules: { ruleId: string; kind: string; verdict: string; count: number; pending: number | null }[];
  }[];
};

describe('NOT_PRECEDED_BY and FOLLOWED_BY in a third-party catalog', () => {
  let env: TestEnvironment;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-primitives-'));
    fs.writeFileSync(
      path.join(dir, 'datapunk-plugin.json'),
      JSON.stringify({ id: 'framework-acme-change', kind: 'framework', version: '1.0.0', apiVersion: '^1.4.0', catalog: 'catalog.json' }),
    );
    fs.writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(CATALOG));
    env = await createTestEnvironment({ DATAPUNK_PLUGINS: dir });
  });
  afterAll(async () => {
    await env?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('judges both kinds through the API, and holds the answer until the open window closes', async () => {
    const disabledLately = ago(HOUR);
    const events = [
      { occurredAt: ago(20 * DAY), action: 'change.approved', resource: { type: 'service', id: 'billing' } },
      { occurredAt: ago(10 * DAY), action: 'change.deployed', resource: { type: 'service', id: 'billing' } },
      // Approved for another service: does not count for this one.
      { occurredAt: ago(9 * DAY), action: 'change.deployed', resource: { type: 'service', id: 'search' } },
      { occurredAt: ago(10 * DAY), action: 'user.disabled', resource: { type: 'user', id: 'u-1' } },
      { occurredAt: ago(8 * DAY), action: 'user.login', resource: { type: 'user', id: 'u-1' } },
      { occurredAt: disabledLately, action: 'user.disabled', resource: { type: 'user', id: 'u-2' } },
    ];
    const recorded = await env.gql(RECORD, { input: { events: events.map((e) => eventInput(e)) } });
    expect(recorded.body.errors).toBeUndefined();

    const res = await env.gql(ASSESS, { input: { frameworkId: 'acme-change', from: ago(60 * DAY) } });
    expect(res.body.errors).toBeUndefined();
    const a = res.body.data!.assessCompliance as Assessment;
    const control = (id: string) => a.controls.find((c) => c.controlId === id)!;
    const rule = (controlId: string, ruleId: string) => control(controlId).rules.find((r) => r.ruleId === ruleId)!;

    expect(rule('CHG-1', 'deployments-approved')).toMatchObject({ kind: 'NOT_PRECEDED_BY', verdict: 'PARTIAL', count: 1, pending: 0 });
    expect(rule('CHG-1', 'deployment-unapproved')).toMatchObject({ kind: 'NOT_PRECEDED_BY', verdict: 'FINDING', count: 1 });
    expect(control('CHG-1').status).toBe('NON_COMPLIANT');
    expect(rule('ACC-1', 'active-after-disable')).toMatchObject({ kind: 'FOLLOWED_BY', verdict: 'FINDING', count: 1, pending: 1 });
    expect(control('ACC-1').status).toBe('NON_COMPLIANT');
    // u-2's window is open: the answer changes when it closes, a week after the disabling.
    expect(a.validUntil).toBe(new Date(Date.parse(disabledLately) + 7 * DAY).toISOString());
  });
});
