import type { FrameworkCatalog, FrameworkParameter } from '../plugin-api';
import { durationMinutes, parametersInForce, resolveControls } from './framework-parameters';

const parameters: FrameworkParameter[] = [
  { id: 'notification-deadline', description: 'Time to notify', type: 'DURATION', default: { hours: 72 } },
  { id: 'failed-logins', description: 'Failures that make a burst', type: 'INTEGER', default: 5 },
];
const catalog: FrameworkCatalog = {
  framework: { id: 'acme', name: 'Acme', version: '1', description: 'Acme policy' },
  parameters,
  controls: [
    {
      id: 'C1',
      title: 'One',
      description: 'One.',
      evidence: [],
      violations: [
        {
          id: 'brute-force',
          kind: 'BURST',
          description: 'Repeated failed logins',
          match: { outcome: ['FAILURE'] },
          count: { parameter: 'failed-logins' },
          within: { minutes: 10 },
          correlation: 'ACTOR',
        },
        {
          id: 'late',
          kind: 'NOT_FOLLOWED_BY',
          description: 'Not notified',
          trigger: { action: [{ equals: 'breach.detected' }] },
          followUp: { action: [{ equals: 'breach.notified' }] },
          within: { parameter: 'notification-deadline' },
          correlation: 'TENANT',
        },
        {
          id: 'review-missed',
          kind: 'MAX_GAP',
          description: 'No log review for too long',
          match: { action: [{ equals: 'audit.log.reviewed' }] },
          maxGap: { parameter: 'notification-deadline' },
        },
      ],
    },
    {
      id: 'C2',
      title: 'Two',
      description: 'Two.',
      evidence: [{ id: 'any', kind: 'MATCH', description: 'Any', match: {} }],
      violations: [],
    },
  ],
};

describe('framework parameters', () => {
  it('puts defaults into the rules when nothing is overridden', () => {
    const inForce = parametersInForce(parameters);
    expect(inForce.map((p) => [p.id, p.source])).toEqual([
      ['notification-deadline', 'DEFAULT'],
      ['failed-logins', 'DEFAULT'],
    ]);
    const [c1] = resolveControls(catalog, inForce);
    expect(c1.violations[0]).toMatchObject({ count: 5, within: { minutes: 10 } });
    expect(c1.violations[1]).toMatchObject({ within: { hours: 72 } });
    expect(c1.violations[2]).toMatchObject({ maxGap: { hours: 72 } });
  });

  it('puts a tenant override in place of the default, leaving the others', () => {
    const inForce = parametersInForce(parameters, { 'failed-logins': 10 });
    expect(inForce.find((p) => p.id === 'failed-logins')).toEqual({ id: 'failed-logins', type: 'INTEGER', value: 10, source: 'TENANT' });
    const [c1] = resolveControls(catalog, inForce);
    expect(c1.violations.map((r) => ('count' in r ? r.count : 'within' in r ? r.within : 'maxGap' in r ? r.maxGap : null))).toEqual([
      10,
      { hours: 72 },
      { hours: 72 },
    ]);
  });

  it("resolves a RATIO rule's atLeast from a RATIO parameter, default or overridden", () => {
    const coverage: FrameworkCatalog = {
      ...catalog,
      parameters: [{ id: 'mfa-coverage', description: 'Logins with MFA', type: 'RATIO', default: 0.95 }],
      controls: [
        {
          id: 'C3',
          title: 'MFA',
          description: 'MFA.',
          evidence: [
            {
              id: 'mfa',
              kind: 'RATIO',
              description: 'Logins use MFA',
              population: { action: [{ equals: 'auth.login.succeeded' }] },
              qualifying: { metadata: [{ path: 'mfa', equals: true }] },
              atLeast: { parameter: 'mfa-coverage' },
            },
          ],
          violations: [],
        },
      ],
    };
    const resolved = (overrides = {}) => resolveControls(coverage, parametersInForce(coverage.parameters!, overrides))[0].evidence[0];
    expect(resolved()).toMatchObject({ kind: 'RATIO', atLeast: 0.95 });
    expect(resolved({ 'mfa-coverage': 0.99 })).toMatchObject({ atLeast: 0.99 });
  });

  it("resolves a BURST response's window from a DURATION parameter, leaving the catalog unchanged", () => {
    const lockout: FrameworkCatalog = {
      ...catalog,
      controls: [
        {
          id: 'C4',
          title: 'Lockout',
          description: 'Lockout.',
          evidence: [],
          violations: [
            {
              id: 'unanswered',
              kind: 'BURST',
              description: 'Failed logins not answered by a lockout',
              match: { outcome: ['FAILURE'] },
              count: 5,
              within: { minutes: 10 },
              correlation: 'ACTOR',
              response: { match: { action: [{ equals: 'auth.lockout' }] }, within: { parameter: 'notification-deadline' } },
            },
          ],
        },
      ],
    };
    const before = JSON.stringify(lockout);
    const resolved = (overrides = {}) => resolveControls(lockout, parametersInForce(parameters, overrides))[0].violations[0];
    expect(resolved()).toMatchObject({ response: { match: { action: [{ equals: 'auth.lockout' }] }, within: { hours: 72 } } });
    expect(resolved({ 'notification-deadline': { minutes: 5 } })).toMatchObject({ response: { within: { minutes: 5 } } });
    expect(JSON.stringify(lockout)).toBe(before);
  });

  it('returns controls without references unchanged and never changes the catalog', () => {
    const before = JSON.stringify(catalog);
    const [, c2] = resolveControls(catalog, parametersInForce(parameters, { 'failed-logins': 7 }));
    expect(c2).toBe(catalog.controls[1]);
    expect(JSON.stringify(catalog)).toBe(before);
  });

  it('refuses to resolve a reference to a parameter it was not given', () => {
    expect(() => resolveControls(catalog, [])).toThrow(/undeclared parameter "failed-logins"/);
  });

  it('compares durations of different units', () => {
    expect([{ minutes: 90 }, { hours: 2 }, { days: 1 }].map(durationMinutes)).toEqual([90, 120, 1440]);
  });
});
