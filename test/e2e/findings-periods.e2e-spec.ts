import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

// AT_LEAST findings are named by the period short of events (ADR 0036, amended): listed in an
// assessment, dispositioned through GraphQL as chain events, refused for a period that is not
// short or not a label, and taken out of the rule's count once investigated as not a deviation.

const CATALOG = {
  framework: { id: 'monthly-review', name: 'Monthly review', version: '1.0.0', description: 'Access reviewed every month.' },
  controls: [
    {
      id: 'AR.1',
      title: 'Access is reviewed monthly',
      description: 'At least one completed access review in every calendar month.',
      evidence: [],
      violations: [
        {
          id: 'month-without-review',
          kind: 'AT_LEAST',
          description: 'A month without a completed access review',
          match: { action: [{ equals: 'access.review.completed' }], outcome: ['SUCCESS'] },
          count: 1,
          period: 'MONTH',
        },
      ],
    },
  ],
};

const ASSESS = `query Assess($input: AssessComplianceInput!) {
  assessCompliance(input: $input) {
    controls { controlId status rules { ruleId verdict count dismissed shortPeriods } findings { id eventSequence period state } }
  }
}`;
const TRANSITION = `mutation Transition($input: TransitionFindingInput!) {
  transitionFinding(input: $input) { id period eventSequence state history { from to sequence } }
}`;
const FINDING = `query Finding($ref: FindingRefInput!) { finding(ref: $ref) { id period state } }`;
const HEAD = `query { verifyAuditChain { headSequence } }`;

type Found = { id: string; eventSequence: number | null; period: string | null; state: string };
type Assessed = {
  assessCompliance: {
    controls: {
      controlId: string;
      status: string;
      rules: { verdict: string; count: number; dismissed: number; shortPeriods: string[] }[];
      findings: Found[];
    }[];
  };
};

describe('AT_LEAST findings named by period', () => {
  let env: TestEnvironment;
  let dir: string;
  let admin: string;
  const TENANT = 'period-findings';
  // January to April 2026: reviews in January and April, none in February or March.
  const input = { frameworkId: 'monthly-review', from: '2026-01-01T00:00:00.000Z', to: '2026-05-01T00:00:00.000Z' };
  const ref = { frameworkId: 'monthly-review', controlId: 'AR.1', ruleId: 'month-without-review' };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-period-findings-'));
    fs.writeFileSync(
      path.join(dir, 'datapunk-plugin.json'),
      JSON.stringify({
        id: 'framework-monthly-review',
        kind: 'framework',
        version: '1.0.0',
        apiVersion: '^1.5.0',
        catalog: 'catalog.json',
      }),
    );
    fs.writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(CATALOG));
    env = await createTestEnvironment({ DATAPUNK_PLUGINS: dir });
    admin = await env.createKey('ADMIN', TENANT);
    const review = (iso: string) => eventInput({ occurredAt: iso, action: 'access.review.completed', outcome: { status: 'SUCCESS' } });
    const res = await env.gql(
      RECORD,
      { input: { events: [review('2026-01-15T10:00:00.000Z'), review('2026-04-15T10:00:00.000Z')] } },
      await env.createKey('INGEST', TENANT),
    );
    expect(res.body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await env?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const assess = async () => {
    // As of now: dispositions made during fieldwork, after the period, apply to it.
    const res = await env.gql<Assessed>(ASSESS, { input: { ...input, asOf: new Date().toISOString() } }, admin);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.assessCompliance.controls[0];
  };
  const head = async () =>
    (await env.gql<{ verifyAuditChain: { headSequence: number } }>(HEAD, {}, admin)).body.data!.verifyAuditChain.headSequence;

  it('lists each short month as a finding, newest first, named by its label', async () => {
    const control = await assess();
    expect(control.status).toBe('NON_COMPLIANT');
    expect(control.rules[0]).toMatchObject({ verdict: 'FINDING', count: 2, dismissed: 0, shortPeriods: ['2026-02', '2026-03'] });
    expect(control.findings.map(({ period, eventSequence, state }) => ({ period, eventSequence, state }))).toEqual([
      { period: '2026-03', eventSequence: null, state: 'OPEN' },
      { period: '2026-02', eventSequence: null, state: 'OPEN' },
    ]);
    // The same id through the finding query.
    const one = await env.gql<{ finding: Found }>(FINDING, { ref: { ...ref, period: '2026-02' } }, admin);
    expect(one.body.errors).toBeUndefined();
    expect(one.body.data!.finding).toMatchObject({ id: control.findings[1].id, period: '2026-02', state: 'OPEN' });
  });

  it('refuses a month that is not short, a label that is not a month, an event sequence, and records nothing', async () => {
    const before = await head();
    const tries: [Record<string, unknown>, string][] = [
      [{ period: '2026-01' }, 'NOT_FOUND'],
      [{ period: '2026-13' }, 'INVALID_ARGUMENT'],
      [{ period: '2026-Q1' }, 'INVALID_ARGUMENT'],
      [{ period: '2026-02', eventSequence: 1 }, 'INVALID_ARGUMENT'],
      [{ eventSequence: 1 }, 'INVALID_ARGUMENT'],
      [{}, 'INVALID_ARGUMENT'],
    ];
    for (const [key, code] of tries) {
      const res = await env.gql(TRANSITION, { input: { ...ref, ...key, to: 'INVESTIGATED_CONFIRMED', note: 'x' } }, admin);
      expect({ key, code: res.body.errors?.[0].extensions?.code }).toEqual({ key, code });
    }
    expect(await head()).toBe(before);
  });

  it('records a disposition as a chain event and takes a month found not to be a deviation out of the count', async () => {
    const before = await head();
    const moved = await env.gql<{ transitionFinding: Found & { history: { sequence: number }[] } }>(
      TRANSITION,
      { input: { ...ref, period: '2026-02', to: 'INVESTIGATED_NOT_A_DEVIATION', note: 'review held on paper on 2026-02-27' } },
      admin,
    );
    expect(moved.body.errors).toBeUndefined();
    expect(moved.body.data!.transitionFinding).toMatchObject({
      period: '2026-02',
      eventSequence: null,
      state: 'INVESTIGATED_NOT_A_DEVIATION',
    });
    expect(moved.body.data!.transitionFinding.history.map((t) => t.sequence)).toEqual([before + 1]);
    expect(await head()).toBe(before + 1);

    const control = await assess();
    expect(control.rules[0]).toMatchObject({ verdict: 'FINDING', count: 1, dismissed: 1 });
    expect(control.findings.map((f) => [f.period, f.state])).toEqual([
      ['2026-03', 'OPEN'],
      ['2026-02', 'INVESTIGATED_NOT_A_DEVIATION'],
    ]);

    // March too: no deviation left, so the rule is clear.
    const march = await env.gql(
      TRANSITION,
      { input: { ...ref, period: '2026-03', to: 'INVESTIGATED_NOT_A_DEVIATION', note: 'review held on paper on 2026-03-30' } },
      admin,
    );
    expect(march.body.errors).toBeUndefined();
    expect((await assess()).rules[0]).toMatchObject({ verdict: 'CLEAR', count: 0, dismissed: 2 });
  });
});
