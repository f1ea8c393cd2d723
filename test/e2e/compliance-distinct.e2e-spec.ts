import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (ms: number) => new Date(ms).toISOString();

const reviews = { action: [{ equals: 'access.review.completed' }] };
const logins = { action: [{ equals: 'auth.login.succeeded' }] };

/** "At least 3 distinct reviewers a day" as docs/plugins.md writes it: a pure-data plugin with AT_LEAST distinct. */
const CATALOG = {
  framework: { id: 'acme-distinct', name: 'Acme distinct', version: '1.0.0', description: 'Duties counted in distinct keys.' },
  controls: [
    {
      id: 'REV-1',
      title: 'Reviews by several reviewers',
      description: 'At least three distinct people review access every day.',
      evidence: [
        {
          id: 'reviewers',
          kind: 'AT_LEAST',
          description: 'Three distinct reviewers a day',
          match: reviews,
          count: 3,
          period: 'DAY',
          distinct: 'ACTOR',
        },
        {
          id: 'addresses',
          kind: 'AT_LEAST',
          description: 'Reviews from three addresses a day',
          match: reviews,
          count: 3,
          period: 'DAY',
          distinct: 'IP',
        },
      ],
      violations: [
        {
          id: 'too-few-reviewers',
          kind: 'AT_LEAST',
          description: 'Fewer than three reviewers',
          match: reviews,
          count: 3,
          period: 'DAY',
          distinct: 'ACTOR',
        },
      ],
    },
    {
      id: 'MFA-1',
      title: 'Every user signs in with MFA',
      description: 'At least half of the users used MFA on every successful login; below three quarters is a finding.',
      evidence: [
        {
          id: 'mfa-per-user',
          kind: 'RATIO',
          description: 'Users whose every login used MFA',
          population: logins,
          qualifying: { metadata: [{ path: 'mfa', equals: true }] },
          atLeast: 0.5,
          distinct: 'ACTOR',
        },
      ],
      violations: [
        {
          id: 'users-without-mfa',
          kind: 'RATIO',
          description: 'Too many users signed in without MFA',
          population: logins,
          qualifying: { metadata: [{ path: 'mfa', equals: true }] },
          atLeast: 0.75,
          distinct: 'ACTOR',
        },
      ],
    },
  ],
};

const ASSESS = `query Assess($input: AssessComplianceInput!) {
  assessCompliance(input: $input) {
    controls { controlId status rules { ruleId verdict count periodsChecked periodsMet duty tested detail } }
  }
}`;

type Rule = {
  ruleId: string;
  verdict: string;
  count: number;
  periodsChecked: number;
  periodsMet: number;
  tested: number | null;
  detail: string;
};

describe('AT_LEAST distinct in a third-party catalog (reviewers a day)', () => {
  let env: TestEnvironment;
  let dir: string;
  // Three closed UTC days, ten days back.
  const d = Math.floor((Date.now() - 10 * DAY) / DAY) * DAY;
  const review = (ms: number, reviewer: string, ip?: string) =>
    eventInput({ occurredAt: at(ms), action: 'access.review.completed', actor: { id: reviewer, type: 'USER', ...(ip ? { ip } : {}) } });

  const login = (ms: number, user: string, mfa?: boolean) =>
    eventInput({
      occurredAt: at(ms),
      action: 'auth.login.succeeded',
      actor: { id: user, type: 'USER' },
      metadata: mfa === undefined ? {} : { mfa },
    });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-distinct-'));
    fs.writeFileSync(
      path.join(dir, 'datapunk-plugin.json'),
      JSON.stringify({ id: 'framework-acme-distinct', kind: 'framework', version: '1.0.0', apiVersion: '^1.8.0', catalog: 'catalog.json' }),
    );
    fs.writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(CATALOG));
    env = await createTestEnvironment({ DATAPUNK_PLUGINS: dir, EVIDENCE_RECORDING_LAG_MINUTES: '0' });
    const recorded = await env.gql(RECORD, {
      input: {
        events: [
          // Day 1: three reviewers from three addresses.
          review(d + 9 * HOUR, 'ana', '198.51.100.1'),
          review(d + 10 * HOUR, 'ben', '198.51.100.2'),
          review(d + 11 * HOUR, 'cy', '198.51.100.3'),
          // Day 2: five reviews, but by two reviewers.
          ...[9, 10, 11, 12].map((h) => review(d + DAY + h * HOUR, 'ana', '198.51.100.1')),
          review(d + DAY + 13 * HOUR, 'ben', '198.51.100.2'),
          // Day 3: three reviewers, one without an address; the last a millisecond before the day ends.
          review(d + 2 * DAY + 9 * HOUR, 'ana', '198.51.100.1'),
          review(d + 2 * DAY + 10 * HOUR, 'ben', '198.51.100.2'),
          review(d + 3 * DAY - 1, 'cy'),
          // Logins on day 1: u1 always with MFA, u2 once without, u3 never, u4 with.
          login(d + 8 * HOUR, 'u1', true),
          login(d + 9 * HOUR, 'u1', true),
          login(d + 8 * HOUR, 'u2', true),
          login(d + 9 * HOUR, 'u2', false),
          login(d + 8 * HOUR, 'u3'),
          login(d + 8 * HOUR, 'u4', true),
          // The next day, outside the range.
          review(d + 3 * DAY, 'dee', '198.51.100.4'),
        ],
      },
    });
    expect(recorded.body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await env?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const assess = async (from: number, to: number) => {
    const res = await env.gql(ASSESS, {
      input: { frameworkId: 'acme-distinct', from: at(from), to: at(to), asOf: new Date().toISOString() },
    });
    expect(res.body.errors).toBeUndefined();
    const controls = (res.body.data!.assessCompliance as { controls: { controlId: string; status: string; rules: Rule[] }[] }).controls;
    const control = controls[0];
    const mfa = controls.find((c) => c.controlId === 'MFA-1')!;
    return {
      status: control.status,
      rule: (id: string) => control.rules.find((r) => r.ruleId === id)!,
      mfa: (id: string) => mfa.rules.find((r) => r.ruleId === id)!,
    };
  };

  it('counts distinct reviewers per day, not reviews', async () => {
    const { status, rule } = await assess(d, d + 3 * DAY);
    // Days 1 and 3 have three reviewers; day 2 has five reviews by two.
    expect(rule('reviewers')).toMatchObject({ verdict: 'PARTIAL', periodsChecked: 3, periodsMet: 2, duty: true, tested: 3, count: 8 });
    expect(rule('reviewers').detail).toContain('at least 3 distinct actors per day');
    expect(rule('too-few-reviewers')).toMatchObject({ verdict: 'FINDING', count: 1 });
    expect(status).toBe('NON_COMPLIANT');
  });

  it('counts an event without the key for none', async () => {
    const { rule } = await assess(d, d + 3 * DAY);
    // By address, day 3 has two: cy's review carries none.
    expect(rule('addresses')).toMatchObject({ periodsChecked: 3, periodsMet: 1 });
  });

  it('is met over days with enough distinct reviewers, up to the last instant of the day', async () => {
    const { status, rule } = await assess(d + 2 * DAY, d + 3 * DAY);
    expect(rule('reviewers')).toMatchObject({ verdict: 'MET', periodsChecked: 1, periodsMet: 1 });
    expect(rule('too-few-reviewers')).toMatchObject({ verdict: 'CLEAR', count: 0 });
    // By address the same day has two, a recurrence missed in its only period.
    expect(rule('addresses')).toMatchObject({ verdict: 'NONE', periodsChecked: 1, periodsMet: 0 });
    expect(status).toBe('NON_COMPLIANT');
  });

  it('takes a RATIO over distinct users: a user qualifies only when every one of their logins did', async () => {
    const { mfa } = await assess(d, d + 3 * DAY);
    // u1 and u4 qualify; u2 (one login without) and u3 do not: 2 of 4 users, exactly the half.
    expect(mfa('mfa-per-user')).toMatchObject({ verdict: 'MET', count: 2, duty: true, tested: 4 });
    expect(mfa('mfa-per-user').detail).toBe('2 of 4 actors (50.0 %) qualify (all of their population events); at least 50 % required (2).');
    // Three quarters of 4 is 3: short by the two users, not by the two logins.
    expect(mfa('users-without-mfa')).toMatchObject({ verdict: 'FINDING', count: 2, tested: 4 });
  });
});
