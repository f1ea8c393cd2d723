import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (ms: number) => new Date(ms).toISOString();

const logins = { action: [{ equals: 'auth.login.succeeded' }] };
const backups = { action: [{ prefix: 'backup.' }] };

/** MFA coverage and backup success rate as docs/plugins.md writes them: a pure-data plugin with RATIO. */
const CATALOG = {
  framework: { id: 'acme-ratios', name: 'Acme ratios', version: '1.0.0', description: 'Shares of a population that must qualify.' },
  parameters: [{ id: 'mfa-coverage', description: 'Share of successful logins that use MFA', type: 'RATIO', default: 0.95, min: 0.9 }],
  controls: [
    {
      id: 'MFA-1',
      title: 'Logins use MFA',
      description: 'At least the organisation-defined share of successful logins use MFA.',
      evidence: [
        {
          id: 'mfa-coverage',
          kind: 'RATIO',
          description: 'Successful logins use MFA',
          population: logins,
          qualifying: { metadata: [{ path: 'mfa', equals: true }] },
          atLeast: { parameter: 'mfa-coverage' },
        },
      ],
      violations: [],
    },
    {
      id: 'BAK-1',
      title: 'Backups succeed',
      description: 'At least 90 % of backups succeed; below 95 % is a finding.',
      evidence: [
        {
          id: 'backup-success',
          kind: 'RATIO',
          description: 'Backups succeed',
          population: backups,
          qualifying: { outcome: ['SUCCESS'] },
          atLeast: 0.9,
        },
      ],
      violations: [
        {
          id: 'backup-failures',
          kind: 'RATIO',
          description: 'Too many backups fail',
          population: backups,
          qualifying: { outcome: ['SUCCESS'] },
          atLeast: 0.95,
        },
      ],
    },
  ],
};

const ASSESS = `query Assess($input: AssessComplianceInput!) {
  assessCompliance(input: $input) {
    controls { controlId status rules { ruleId kind role verdict count duty tested detail } }
  }
}`;

type Rule = { ruleId: string; kind: string; verdict: string; count: number; duty: boolean; tested: number | null; detail: string };
type Assessment = { controls: { controlId: string; status: string; rules: Rule[] }[] };

/** Resolves once the clock has moved past `iso`, so that anything recorded from now on is recorded after it. */
async function clockPast(iso: string): Promise<void> {
  while (Date.now() <= Date.parse(iso)) await new Promise((resolve) => setImmediate(resolve));
}

describe('RATIO in a third-party catalog (MFA coverage, backup success rate)', () => {
  let env: TestEnvironment;
  let dir: string;
  // Three closed UTC days, ten days back.
  const d = Math.floor((Date.now() - 10 * DAY) / DAY) * DAY;

  const record = async (events: Record<string, unknown>[]) => {
    const recorded = await env.gql(RECORD, { input: { events } });
    expect(recorded.body.errors).toBeUndefined();
  };
  const login = (ms: number, mfa?: boolean) =>
    eventInput({ occurredAt: at(ms), action: 'auth.login.succeeded', metadata: mfa === undefined ? {} : { mfa } });
  const backup = (ms: number, outcome = 'SUCCESS') =>
    eventInput({ occurredAt: at(ms), action: 'backup.nightly', resource: { type: 'database', id: 'db-1' }, outcome: { status: outcome } });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-ratio-'));
    fs.writeFileSync(
      path.join(dir, 'datapunk-plugin.json'),
      JSON.stringify({ id: 'framework-acme-ratios', kind: 'framework', version: '1.0.0', apiVersion: '^1.6.0', catalog: 'catalog.json' }),
    );
    fs.writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(CATALOG));
    // The events are recorded now, days after they occurred: without a lag, asOf alone decides what counts.
    env = await createTestEnvironment({ DATAPUNK_PLUGINS: dir, EVIDENCE_RECORDING_LAG_MINUTES: '0' });
    await record([
      // 19 of 20 logins with MFA: exactly 95 %.
      ...Array.from({ length: 19 }, (_, i) => login(d + 9 * HOUR + i * 60_000, true)),
      login(d + DAY + 9 * HOUR, false),
      // 9 of 10 backups succeeded, one a day in the first hours; a login failure is not a backup.
      ...Array.from({ length: 9 }, (_, i) => backup(d + (i % 3) * DAY + (1 + i) * HOUR)),
      backup(d + 2 * DAY + 23 * HOUR, 'FAILURE'),
      eventInput({ occurredAt: at(d + 10 * HOUR), action: 'auth.login.failed', outcome: { status: 'FAILURE' } }),
    ]);
  });
  afterAll(async () => {
    await env?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const assess = async (input: Record<string, unknown>) => {
    const res = await env.gql(ASSESS, { input: { frameworkId: 'acme-ratios', from: at(d), to: at(d + 3 * DAY), ...input } });
    expect(res.body.errors).toBeUndefined();
    const a = res.body.data!.assessCompliance as Assessment;
    const control = (id: string) => a.controls.find((c) => c.controlId === id)!;
    const rule = (controlId: string, id: string) => control(controlId).rules.find((r) => r.ruleId === id)!;
    return {
      mfa: control('MFA-1').status,
      backups: control('BAK-1').status,
      coverage: rule('MFA-1', 'mfa-coverage'),
      success: rule('BAK-1', 'backup-success'),
      failures: rule('BAK-1', 'backup-failures'),
    };
  };

  it('counts the backup rate from the rollup: exactly 90 % is met, short of 95 % is a finding counting the failures', async () => {
    const { success, failures, backups } = await assess({ asOf: at(Date.now()) });
    expect(success).toMatchObject({ kind: 'RATIO', verdict: 'MET', count: 9, duty: true, tested: 10 });
    expect(success.detail).toBe('9 of 10 population events (90.0 %) qualify; at least 90 % required (9).');
    expect(failures).toMatchObject({ verdict: 'FINDING', count: 1, duty: true, tested: 10 });
    expect(failures.detail).toContain('at least 95 % required (10)');
    expect(backups).toBe('NON_COMPLIANT');
  });

  it('counts the edge of a range that starts mid-day from the events, with the whole days from the rollup', async () => {
    // From the first day's 06:00: that day's backups at 01:00 and 04:00 are left out.
    const { success } = await assess({ from: at(d + 6 * HOUR), asOf: at(Date.now()) });
    expect(success).toMatchObject({ verdict: 'PARTIAL', count: 7, tested: 8 });
  });

  it("counts MFA coverage from the events' metadata against the parameter's default", async () => {
    const { coverage, mfa } = await assess({ asOf: at(Date.now()) });
    expect(coverage).toMatchObject({ verdict: 'MET', count: 19, tested: 20 });
    expect(coverage.detail).toBe('19 of 20 population events (95.0 %) qualify; at least 95 % required (19).');
    expect(mfa).toBe('COMPLIANT');
    // Over the first day only, every login used MFA; over the second only, none did.
    expect((await assess({ to: at(d + DAY), asOf: at(Date.now()) })).coverage).toMatchObject({ verdict: 'MET', count: 19, tested: 19 });
    const second = await assess({ from: at(d + DAY), to: at(d + 2 * DAY), asOf: at(Date.now()) });
    expect(second.coverage).toMatchObject({ verdict: 'NONE', count: 0, tested: 1 });
    expect(second.mfa).toBe('PARTIALLY_COMPLIANT');
    const none = await assess({ from: at(d + 2 * DAY), asOf: at(Date.now()) });
    expect(none.coverage).toMatchObject({ verdict: 'NONE', tested: 0 });
    expect(none.coverage.detail).toBe('No population event in the range (at least 95 % required to qualify).');
  });

  it('leaves out events recorded after asOf, in the rollup and in the events', async () => {
    const asOf = at(Date.now());
    await clockPast(asOf);
    await record([backup(d + DAY + 12 * HOUR, 'FAILURE'), backup(d + DAY + 13 * HOUR, 'FAILURE'), login(d + DAY + 10 * HOUR)]);
    const before = await assess({ asOf });
    expect(before.success).toMatchObject({ verdict: 'MET', count: 9, tested: 10 });
    expect(before.coverage).toMatchObject({ verdict: 'MET', count: 19, tested: 20 });
    const after = await assess({ asOf: at(Date.now()) });
    expect(after.success).toMatchObject({ verdict: 'PARTIAL', count: 9, tested: 12 });
    expect(after.failures).toMatchObject({ verdict: 'FINDING', count: 3, tested: 12 });
    // A login without the key does not qualify: 19 of 21 is 90.4 %.
    expect(after.coverage).toMatchObject({ verdict: 'PARTIAL', count: 19, tested: 21 });
    expect(after.coverage.detail).toContain('(90.4 %)');
  });
});
