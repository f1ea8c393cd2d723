import { catalogProblems } from './manifest.schema';

const notified = {
  id: 'breach-notified',
  kind: 'NOT_FOLLOWED_BY',
  description: 'Breach notified in time',
  trigger: { action: [{ equals: 'breach.detected' }] },
  followUp: { action: [{ equals: 'breach.notified' }] },
  within: { parameter: 'notification-deadline' },
  correlation: 'TENANT',
};
const burst = {
  id: 'brute-force',
  kind: 'BURST',
  description: 'Repeated failed logins',
  match: { action: [{ prefix: 'auth.login' }], outcome: ['FAILURE'] },
  count: { parameter: 'failed-logins' },
  within: { minutes: 10 },
  correlation: 'ACTOR',
};
const parameters = [
  { id: 'notification-deadline', description: 'Time to notify', type: 'DURATION', default: { hours: 72 }, max: { days: 3 } },
  { id: 'failed-logins', description: 'Failures that make a burst', type: 'INTEGER', default: 5, min: 3, max: 20 },
  { id: 'mfa-share', description: 'Logins with MFA', type: 'RATIO', default: 0.95 },
];
const catalogWith = (rules: unknown[], declared: unknown[] = parameters) => ({
  framework: { id: 'acme', name: 'Acme', version: '1', description: 'Acme policy' },
  parameters: declared,
  controls: [{ id: 'C1', title: 'One', description: 'One.', evidence: [], violations: rules }],
});
const problems = (catalog: unknown) => catalogProblems(catalog).map((p) => `${p.path}: ${p.message}`);

describe('organisation-defined parameters in a catalog', () => {
  it('accepts declared parameters referenced by fields of their type', () => {
    expect(problems(catalogWith([notified, burst]))).toEqual([]);
  });

  it('validates a BURST response: its match, a positive window, and a DURATION parameter for it (plugin API 1.8.0)', () => {
    const response = { match: { action: [{ equals: 'auth.lockout' }] }, within: { parameter: 'notification-deadline' } };
    expect(problems(catalogWith([{ ...burst, response }]))).toEqual([]);
    expect(problems(catalogWith([{ ...burst, response: { ...response, within: { minutes: 0 } } }]))).toEqual([
      expect.stringMatching(/^controls\[0\]\.violations\[0\]\.response\.within\.minutes: must be at least 1/),
    ]);
    expect(problems(catalogWith([{ ...burst, response: { ...response, within: { parameter: 'failed-logins' } } }]))).toEqual([
      expect.stringMatching(/^controls\[0\]\.violations\[0\]\.response\.within\.parameter: names the INTEGER parameter/),
    ]);
    expect(problems(catalogWith([{ ...burst, response: { ...response, within: { parameter: 'lockout-window' } } }]))).toEqual([
      expect.stringMatching(/^controls\[0\]\.violations\[0\]\.response\.within\.parameter: names no parameter/),
    ]);
    expect(problems(catalogWith([{ ...burst, response: { ...response, match: { action: [] } } }]))).toEqual([
      expect.stringMatching(/^controls\[0\]\.violations\[0\]\.response\.match\.action: must hold at least one pattern/),
    ]);
    expect(problems(catalogWith([{ ...burst, response: { match: response.match } }]))).toHaveLength(1);
  });

  it('refuses a reference to an undeclared parameter', () => {
    const out = problems(catalogWith([{ ...burst, count: { parameter: 'lockout-threshold' } }]));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^controls\[0\]\.violations\[0\]\.count\.parameter: names no parameter/);
  });

  it('refuses a reference to a parameter of the wrong type', () => {
    const out = problems(catalogWith([{ ...notified, within: { parameter: 'failed-logins' } }]));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^controls\[0\]\.violations\[0\]\.within\.parameter: names the INTEGER parameter/);
  });

  it("takes a DURATION parameter for a MAX_GAP rule's maxGap, and refuses one of another type", () => {
    const review = {
      id: 'logs-reviewed',
      kind: 'MAX_GAP',
      description: 'Logs reviewed',
      match: { action: [{ equals: 'audit.log.reviewed' }] },
      maxGap: { parameter: 'notification-deadline' },
    };
    expect(problems(catalogWith([review]))).toEqual([]);
    const out = problems(catalogWith([{ ...review, maxGap: { parameter: 'failed-logins' } }]));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^controls\[0\]\.violations\[0\]\.maxGap\.parameter: names the INTEGER parameter/);
  });

  it("takes a RATIO parameter for a RATIO rule's atLeast, and refuses one of another type", () => {
    const coverage = {
      id: 'mfa-coverage',
      kind: 'RATIO',
      description: 'Logins use MFA',
      population: { action: [{ equals: 'auth.login.succeeded' }] },
      qualifying: { metadata: [{ path: 'mfa', equals: true }] },
      atLeast: { parameter: 'mfa-share' },
    };
    expect(problems(catalogWith([coverage]))).toEqual([]);
    const out = problems(catalogWith([{ ...coverage, atLeast: { parameter: 'failed-logins' } }]));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^controls\[0\]\.violations\[0\]\.atLeast\.parameter: names the INTEGER parameter/);
  });

  it('refuses a malformed reference and still checks literals', () => {
    expect(catalogProblems(catalogWith([{ ...burst, count: { parameter: 'Bad Id' } }])).map((p) => p.path)).toEqual([
      'controls[0].violations[0].count.parameter',
      'controls[0].violations[0].count.parameter',
    ]);
    expect(catalogProblems(catalogWith([{ ...burst, count: 0 }])).map((p) => p.path)).toEqual(['controls[0].violations[0].count']);
    expect(catalogProblems(catalogWith([{ ...burst, count: undefined }])).map((p) => p.message)).toEqual(['is required']);
  });

  it('refuses repeated ids, defaults out of bounds, inverted bounds and bad types', () => {
    const declared = [
      parameters[0],
      { ...parameters[0], description: 'again' },
      { id: 'too-many', description: 'x', type: 'INTEGER', default: 30, max: 20 },
      { id: 'too-few', description: 'x', type: 'INTEGER', default: 2, min: 3 },
      { id: 'inverted', description: 'x', type: 'DURATION', default: { hours: 1 }, min: { days: 1 }, max: { minutes: 30 } },
      { id: 'share', description: 'x', type: 'RATIO', default: 1.5 },
      { id: 'odd', description: 'x', type: 'PERCENT', default: 1 },
    ];
    expect(
      catalogProblems(catalogWith([notified], declared))
        .map((p) => p.path)
        .sort(),
    ).toEqual([
      'parameters[1].id',
      'parameters[2].default',
      'parameters[3].default',
      'parameters[4].default',
      'parameters[4].default',
      'parameters[4].max',
      'parameters[5].default',
      'parameters[6].type',
    ]);
  });
});
