import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

// A tenant's values of organisation-defined parameters (ADR 0038): validated, recorded in the
// chain, used by assessments as of a later instant and shown with the values in force.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A pure-data plugin whose notification deadline is a parameter: 72 hours by default, at most 72. */
const CATALOG = {
  framework: { id: 'notify', name: 'Breach notification', version: '1', description: 'Breaches are notified in time.' },
  parameters: [
    {
      id: 'notify-within',
      type: 'DURATION',
      description: 'Time to notify the authority of a breach',
      default: { hours: 72 },
      min: { hours: 1 },
      max: { hours: 72 },
    },
    { id: 'share', type: 'RATIO', description: 'An unused share', default: 0.9 },
  ],
  controls: [
    {
      id: 'N.1',
      title: 'Breaches are notified in time',
      description: 'Every breach is notified within the organisation-defined time.',
      evidence: [],
      violations: [
        {
          id: 'not-notified',
          kind: 'NOT_FOLLOWED_BY',
          description: 'A breach not notified in time',
          trigger: { action: [{ equals: 'breach.detected' }] },
          followUp: { action: [{ equals: 'breach.notified' }] },
          within: { parameter: 'notify-within' },
          correlation: 'RESOURCE',
        },
      ],
    },
  ],
};

const ASSESS = `query A($input: AssessComplianceInput!) {
  assessCompliance(input: $input) {
    parameters { id type value source default min max }
    controls { controlId status rules { ruleId verdict count } findings { eventSequence } }
  }
}`;
const SET = `mutation S($input: SetFrameworkParametersInput!) { setFrameworkParameters(input: $input) { id value source } }`;
const HEAD = `query { verifyAuditChain { headSequence } }`;

describe('framework parameters set by the tenant', () => {
  let env: TestEnvironment;
  let dir: string;
  let admin: string;
  const TENANT = 'profile';
  const start = Date.now() - 20 * DAY;
  const period = { frameworkId: 'notify', from: new Date(start - DAY).toISOString(), to: new Date(start + 5 * DAY).toISOString() };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-profile-'));
    fs.writeFileSync(
      path.join(dir, 'datapunk-plugin.json'),
      JSON.stringify({ id: 'framework-notify', kind: 'framework', version: '1.0.0', apiVersion: '^1.5.0', catalog: 'catalog.json' }),
    );
    fs.writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(CATALOG));
    env = await createTestEnvironment({ DATAPUNK_PLUGINS: dir });
    admin = await env.createKey('ADMIN', TENANT);
    const res = await env.gql(
      RECORD,
      {
        input: {
          events: [
            // Notified 30 hours after detection: in time under 72 hours, late under 24.
            eventInput({ occurredAt: new Date(start).toISOString(), action: 'breach.detected', resource: { type: 'breach', id: 'B-1' } }),
            eventInput({
              occurredAt: new Date(start + 30 * HOUR).toISOString(),
              action: 'breach.notified',
              resource: { type: 'breach', id: 'B-1' },
            }),
          ],
        },
      },
      await env.createKey('INGEST', TENANT),
    );
    expect(res.body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await env?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  type Result = {
    parameters: { id: string; value: unknown; source: string }[];
    controls: { status: string; rules: { verdict: string; count: number }[]; findings: { eventSequence: number }[] }[];
  };
  const assess = async (asOf?: string): Promise<Result> => {
    const res = await env.gql<{ assessCompliance: Result }>(ASSESS, { input: { ...period, asOf } }, admin);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.assessCompliance;
  };
  const head = async () =>
    (await env.gql<{ verifyAuditChain: { headSequence: number } }>(HEAD, {}, admin)).body.data!.verifyAuditChain.headSequence;

  it('refuses values that do not fit their declaration, and a key that is not ADMIN, recording nothing', async () => {
    const before = await head();
    const set = (values: unknown[], key = admin) => env.gql(SET, { input: { frameworkId: 'notify', values, note: 'policy v2' } }, key);
    const cases: [unknown[], string][] = [
      [[{ id: 'notify-within', value: { hours: 96 } }], 'input.values[0].value'],
      [[{ id: 'notify-within', value: 24 }], 'input.values[0].value'],
      [[{ id: 'notify-within', value: { hours: 24, days: 1 } }], 'input.values[0].value'],
      [[{ id: 'share', value: 1.5 }], 'input.values[0].value'],
      [[{ id: 'nope', value: 1 }], 'input.values[0].id'],
      [
        [
          { id: 'share', value: 0.5 },
          { id: 'share', value: 0.6 },
        ],
        'input.values[1].id',
      ],
    ];
    for (const [values, at] of cases) {
      const res = await set(values);
      expect(res.body.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
      expect((res.body.errors?.[0].extensions?.problems as { path: string }[])[0].path).toBe(at);
    }
    const blank = await env.gql(SET, { input: { frameworkId: 'notify', values: [], note: ' ' } }, admin);
    expect(blank.body.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
    expect(await head()).toBe(before);
    // Refused by role (the denial itself is recorded, as every denial is; the profile is not).
    const auditor = await set([{ id: 'notify-within', value: { hours: 24 } }], await env.createKey('AUDITOR', TENANT));
    expect(auditor.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const profiles = await env.sql<{ n: unknown }>(
      `SELECT COUNT(*) AS n FROM audit_event WHERE action = 'datapunk.framework.parameters_set'`,
    );
    expect(Number(profiles[0].n)).toBe(0);
  });

  it('judges with the tenant’s value from the instant it is recorded, and says which values it used', async () => {
    const byDefault = await assess();
    expect(byDefault.parameters).toEqual([
      {
        id: 'notify-within',
        type: 'DURATION',
        value: { hours: 72 },
        source: 'DEFAULT',
        default: { hours: 72 },
        min: { hours: 1 },
        max: { hours: 72 },
      },
      { id: 'share', type: 'RATIO', value: 0.9, source: 'DEFAULT', default: 0.9, min: null, max: null },
    ]);
    expect(byDefault.controls[0]).toMatchObject({ status: 'COMPLIANT', rules: [{ verdict: 'CLEAR', count: 0 }], findings: [] });

    const before = await head();
    const set = await env.gql(
      SET,
      { input: { frameworkId: 'notify', values: [{ id: 'notify-within', value: { hours: 24 } }], note: 'policy v2' } },
      admin,
    );
    expect(set.body.errors).toBeUndefined();
    expect(set.body.data).toEqual({
      setFrameworkParameters: [
        { id: 'notify-within', value: { hours: 24 }, source: 'TENANT' },
        { id: 'share', value: 0.9, source: 'DEFAULT' },
      ],
    });
    expect(await head()).toBe(before + 1);

    // Judged now (fieldwork), the 24-hour policy applies: the 30-hour notification is late, and listed.
    const now = await assess(new Date().toISOString());
    expect(now.parameters[0]).toMatchObject({ value: { hours: 24 }, source: 'TENANT' });
    expect(now.controls[0]).toMatchObject({
      status: 'NON_COMPLIANT',
      rules: [{ verdict: 'FINDING', count: 1 }],
      findings: [{ eventSequence: 1 }],
    });
    // Judged at the period's end, before the profile was recorded, the answer is what it was.
    expect(await assess()).toEqual(byDefault);

    // The compliance reports name the values used.
    const report = await env.gql<{ generateReport: { contentBase64: string } }>(
      `mutation G($input: GenerateReportInput!) { generateReport(input: $input) { contentBase64 } }`,
      { input: { type: 'COMPLIANCE_SUMMARY', format: 'json', ...period, asOf: new Date().toISOString() } },
      admin,
    );
    expect(report.body.errors).toBeUndefined();
    const text = Buffer.from(report.body.data!.generateReport.contentBase64, 'base64').toString('utf8');
    expect(text).toContain('Parameter notify-within');
    expect(text).toContain('24 hours (your organisation’s value)');

    // An empty profile returns every parameter to its default.
    const reset = await env.gql(SET, { input: { frameworkId: 'notify', values: [], note: 'back to the default' } }, admin);
    expect(reset.body.errors).toBeUndefined();
    const after = await env.gql(`query { frameworkParameters(frameworkId: "notify") { id source } }`, {}, admin);
    expect(after.body.data).toEqual({
      frameworkParameters: [
        { id: 'notify-within', source: 'DEFAULT' },
        { id: 'share', source: 'DEFAULT' },
      ],
    });
  });
});
