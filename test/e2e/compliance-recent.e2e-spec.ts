import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (ms: number) => new Date(ms).toISOString();

const assessed = { action: [{ equals: 'risk.assessment.completed' }], outcome: ['SUCCESS'] };

/** "A risk assessment within the last N days", as docs/plugins.md writes it, as evidence and as a violation. */
const CATALOG = {
  framework: {
    id: 'acme-recent',
    name: 'Acme recency',
    version: '1.0.0',
    description: 'Duties judged over a window back from the period end.',
  },
  parameters: [
    { id: 'risk-interval', description: 'How recent the last risk assessment must be', type: 'DURATION', default: { days: 30 } },
  ],
  controls: [
    {
      id: 'RA-1',
      title: 'Risk is assessed regularly',
      description: 'A risk assessment within the organisation-defined interval before the period end.',
      evidence: [
        {
          id: 'risk-assessed',
          kind: 'RECENT',
          description: 'A recent risk assessment',
          match: assessed,
          count: 1,
          within: { parameter: 'risk-interval' },
        },
      ],
      violations: [],
    },
    {
      id: 'RA-2',
      title: 'Two reviews in the last ten days',
      description: 'Lapsed reviews are findings.',
      evidence: [],
      violations: [
        {
          id: 'reviews-lapsed',
          kind: 'RECENT',
          description: 'Fewer than two reviews in ten days',
          match: assessed,
          count: 2,
          within: { days: 10 },
        },
      ],
    },
  ],
};

const ASSESS = `query Assess($input: AssessComplianceInput!) {
  assessCompliance(input: $input) {
    validUntil
    controls { controlId status reason rules { ruleId kind role verdict count duty tested detail } }
  }
}`;
type Rule = { ruleId: string; kind: string; verdict: string; count: number; duty: boolean; tested: number | null; detail: string };
type Assessment = { validUntil: string | null; controls: { controlId: string; status: string; reason: string; rules: Rule[] }[] };

describe('RECENT in a third-party catalog (a risk assessment within the last N days)', () => {
  let env: TestEnvironment;
  let dir: string;
  let tenants = 0;
  // A UTC midnight well in the past: the period is the fortnight that ends there.
  const end = Math.floor((Date.now() - 20 * DAY) / DAY) * DAY;
  const period = { from: at(end - 14 * DAY), to: at(end) };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-recent-'));
    fs.writeFileSync(
      path.join(dir, 'datapunk-plugin.json'),
      JSON.stringify({ id: 'framework-acme-recent', kind: 'framework', version: '1.0.0', apiVersion: '^1.7.0', catalog: 'catalog.json' }),
    );
    fs.writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(CATALOG));
    env = await createTestEnvironment({ DATAPUNK_PLUGINS: dir });
  });
  afterAll(async () => {
    await env?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh tenant whose trail begins at `trailStart` (an unrelated event) and holds risk assessments at `times`. */
  async function tenantWith(trailStart: number, times: number[]): Promise<string> {
    const tenant = `recent-${++tenants}`;
    const key = await env.createKey('INGEST', tenant);
    const events = [
      eventInput({ occurredAt: at(trailStart), action: 'auth.login' }),
      ...times.map((t, i) =>
        eventInput({ occurredAt: at(t), action: 'risk.assessment.completed', resource: { type: 'risk_register', id: `ra-${i}` } }),
      ),
    ];
    const res = await env.gql(RECORD, { input: { events } }, key);
    expect(res.body.errors).toBeUndefined();
    return env.createKey('AUDITOR', tenant);
  }
  async function assess(
    key: string,
    input: Record<string, unknown> = period,
  ): Promise<Assessment & { rule: (c: string, r: string) => Rule; status: (c: string) => string }> {
    const res = await env.gql(ASSESS, { input: { frameworkId: 'acme-recent', ...input } }, key);
    expect(res.body.errors).toBeUndefined();
    const a = res.body.data!.assessCompliance as Assessment;
    const control = (id: string) => a.controls.find((c) => c.controlId === id)!;
    return { ...a, status: (id) => control(id).status, rule: (c, r) => control(c).rules.find((x) => x.ruleId === r)! };
  }

  it('looks back before the range start: an assessment 20 days before the end shows the duty over a fortnight', async () => {
    const a = await assess(await tenantWith(end - 60 * DAY, [end - 20 * DAY]));
    expect(a.rule('RA-1', 'risk-assessed')).toMatchObject({ kind: 'RECENT', verdict: 'MET', count: 1, duty: true, tested: 1 });
    expect(a.rule('RA-1', 'risk-assessed').detail).toBe(`1 matching event within 30 days before ${at(end)} (1 needed).`);
    expect(a.status('RA-1')).toBe('COMPLIANT');
  });

  it('includes the window start and excludes the end itself', async () => {
    const edge = await assess(await tenantWith(end - 60 * DAY, [end - 30 * DAY]));
    expect(edge.rule('RA-1', 'risk-assessed')).toMatchObject({ verdict: 'MET', count: 1 });
    const early = await assess(await tenantWith(end - 60 * DAY, [end - 30 * DAY - 1000, end]));
    expect(early.rule('RA-1', 'risk-assessed')).toMatchObject({ verdict: 'NONE', count: 0, tested: 1 });
  });

  it('makes a lapsed duty non-compliant, and a lapse of the violation rule one finding', async () => {
    const a = await assess(await tenantWith(end - 60 * DAY, [end - 45 * DAY, end - 5 * DAY]));
    expect(a.rule('RA-1', 'risk-assessed')).toMatchObject({ verdict: 'MET', count: 1 });
    // One review in the last ten days where two are needed.
    expect(a.rule('RA-2', 'reviews-lapsed')).toMatchObject({ verdict: 'FINDING', count: 1, duty: true, tested: 1 });
    expect(a.status('RA-2')).toBe('NON_COMPLIANT');

    const lapsed = await assess(await tenantWith(end - 60 * DAY, [end - 45 * DAY]));
    expect(lapsed.rule('RA-1', 'risk-assessed')).toMatchObject({ verdict: 'NONE', count: 0, tested: 1 });
    expect(lapsed.status('RA-1')).toBe('NON_COMPLIANT');
    expect(lapsed.controls.find((c) => c.controlId === 'RA-1')!.reason).toContain('0 matching events within 30 days before');
  });

  it('does not judge a window that reaches before the trail began, unless it already holds enough', async () => {
    const young = await assess(await tenantWith(end - 8 * DAY, []));
    expect(young.rule('RA-1', 'risk-assessed')).toMatchObject({ verdict: 'NONE', tested: 0 });
    expect(young.rule('RA-1', 'risk-assessed').detail).toContain('the trail begins after');
    expect(young.rule('RA-2', 'reviews-lapsed')).toMatchObject({ verdict: 'CLEAR', count: 0, tested: 0 });
    expect(young.status('RA-1')).not.toBe('NON_COMPLIANT');

    const youngButDone = await assess(await tenantWith(end - 8 * DAY, [end - 3 * DAY]));
    expect(youngButDone.rule('RA-1', 'risk-assessed')).toMatchObject({ verdict: 'MET', tested: 1 });
  });

  it('follows the tenant profile: a 60-day interval set by the tenant reaches the older assessment', async () => {
    const key = await tenantWith(end - 90 * DAY, [end - 45 * DAY]);
    const tenant = `recent-${tenants}`;
    const admin = await env.createKey('ADMIN', tenant);
    const set = await env.gql(
      `mutation S($input: SetFrameworkParametersInput!) { setFrameworkParameters(input: $input) { id value source } }`,
      {
        input: {
          frameworkId: 'acme-recent',
          note: 'Risk policy v2: every 60 days.',
          values: [{ id: 'risk-interval', value: { days: 60 } }],
        },
      },
      admin,
    );
    expect(set.body.errors).toBeUndefined();
    // Judged as of now, so that the profile recorded just now is in force.
    const a = await assess(key, { ...period, asOf: at(Date.now()) });
    expect(a.rule('RA-1', 'risk-assessed')).toMatchObject({ verdict: 'MET', count: 1 });
  });

  it('says when an open range will lapse: validUntil is when the newest assessment leaves the window', async () => {
    const last = Date.now() - 25 * DAY;
    const a = await assess(await tenantWith(Date.now() - 90 * DAY, [last]), { from: at(Date.now() - 7 * DAY) });
    expect(a.rule('RA-1', 'risk-assessed')).toMatchObject({ verdict: 'MET' });
    expect(Date.parse(a.validUntil!)).toBeLessThanOrEqual(last + 30 * DAY);
  });
});
