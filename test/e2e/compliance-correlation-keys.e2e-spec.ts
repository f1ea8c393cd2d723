import { AssessmentQueries, type MeasureScope } from '../../src/compliance/assessment-query';
import type { RuleMeasure } from '../../src/compliance/assessment';
import { RuleSql } from '../../src/compliance/rule-sql';
import type { EventRule } from '../../src/plugin-api';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** A whole hour three days ago: every event is in the past, none too old to record. */
const BASE = Math.floor((Date.now() - 3 * 24 * HOUR) / HOUR) * HOUR;
const t = (offsetMs: number) => new Date(BASE + offsetMs).toISOString();

/**
 * Correlation keys made of two columns (RESOURCE: type and id) whose plain concatenations agree:
 * `ab`+`c` and `a`+`bc` are both `abc`, and `a:b`+`c` and `a`+`b:c` are both `a:b:c` with a `:`
 * between. On MariaDB the key is one hash of the pair (rule-sql.ts, correlationColumns), so these
 * must stay apart; on SQLite the columns are compared as they are. Each resource pair below holds
 * a trigger on one side and its would-be answer on the other.
 */
const ev = (action: string, type: string, id: string, offsetMs: number) =>
  eventInput({ action, occurredAt: t(offsetMs), resource: { type, id }, actor: { id: 'u-1', type: 'USER' } });

const EVENTS = [
  // Concatenation without a separator: abc = abc.
  ev('key.opened', 'ab', 'c', 0),
  ev('key.closed', 'a', 'bc', 5 * MINUTE),
  // With a separator inside a value: a:b:c = a:b:c.
  ev('key.opened', 'a:b', 'c', 0),
  ev('key.closed', 'a', 'b:c', 5 * MINUTE),
  // The same pair: answered, preceded, a burst, one distinct key.
  ev('key.opened', 'same', 'x', 0),
  ev('key.closed', 'same', 'x', 5 * MINUTE),
];

const follow: EventRule = {
  id: 'follow',
  kind: 'NOT_FOLLOWED_BY',
  description: 'opened, then closed',
  trigger: { action: [{ equals: 'key.opened' }] },
  followUp: { action: [{ equals: 'key.closed' }] },
  within: { hours: 1 },
  correlation: 'RESOURCE',
};
const precede: EventRule = {
  id: 'precede',
  kind: 'NOT_PRECEDED_BY',
  description: 'closed only once opened',
  trigger: { action: [{ equals: 'key.closed' }] },
  precededBy: { action: [{ equals: 'key.opened' }] },
  within: { hours: 1 },
  correlation: 'RESOURCE',
};
const burst: EventRule = {
  id: 'burst',
  kind: 'BURST',
  description: 'two key events of one resource within ten minutes',
  match: { action: [{ prefix: 'key.' }] },
  count: 2,
  within: { minutes: 10 },
  correlation: 'RESOURCE',
};
const distinct: EventRule = {
  id: 'distinct',
  kind: 'AT_LEAST',
  description: 'resources with a key event',
  match: { action: [{ prefix: 'key.' }] },
  count: 1,
  period: 'DAY',
  distinct: 'RESOURCE',
};

describe('two-column correlation keys never merge two pairs whose concatenations agree', () => {
  let env: TestEnvironment;
  let queries: AssessmentQueries;

  const scope: () => MeasureScope = () => ({
    tenantId: 'default',
    from: new Date(BASE - HOUR),
    to: new Date(BASE + 2 * HOUR),
    now: new Date(BASE + 24 * HOUR),
    recordedBy: null,
    lag: { days: 36_500 },
  });
  const measure = async (rule: EventRule): Promise<RuleMeasure> => {
    const { measures } = await queries.measure([{ controlId: 'c', role: 'VIOLATION', rule }], scope());
    return measures.get(rule)!;
  };

  beforeAll(async () => {
    env = await createTestEnvironment();
    queries = new AssessmentQueries(env.app.dataSource);
    const res = await env.gql(RECORD, { input: { events: EVENTS } });
    expect(res.body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('follows up only on the same pair', async () => {
    expect(await measure(follow)).toMatchObject({ kind: 'NOT_FOLLOWED_BY', triggers: 3, followed: 1, overdue: 2 });
  });

  it('is preceded only on the same pair', async () => {
    expect(await measure(precede)).toMatchObject({ kind: 'NOT_PRECEDED_BY', triggers: 3, preceded: 1, notPreceded: 2 });
  });

  it('finds a burst only on the same pair', async () => {
    expect(await measure(burst)).toMatchObject({ kind: 'BURST', keys: 1, windows: 1 });
  });

  it('counts every pair as its own key', async () => {
    const m = (await measure(distinct)) as Extract<RuleMeasure, { kind: 'AT_LEAST' }>;
    expect([...m.byDay.values()].reduce((a, b) => a + b, 0)).toBe(5);
  });
});

describe('RuleSql.indexHint', () => {
  const mysql = new RuleSql('mysql');
  it('sends a scan of named actions to an action index on MariaDB, and names none otherwise', () => {
    const failed = { action: [{ equals: 'auth.login' }], outcome: ['FAILURE' as const] };
    const locked = { action: [{ prefix: 'auth.lock' }], outcome: ['SUCCESS' as const] };
    expect(mysql.indexHint([failed, locked])).toBe(' FORCE INDEX (ix_audit_event_outcome_actor)');
    expect(mysql.indexHint([failed, { action: [{ glob: 'deploy.*' }] }])).toBe(' FORCE INDEX (ix_audit_event_action_resource)');
    // A glob without a literal prefix, or a match without actions, has no index range.
    expect(mysql.indexHint([failed, { action: [{ glob: '*.read' }] }])).toBe('');
    expect(mysql.indexHint([failed, { categories: ['PHI'] }])).toBe('');
    expect(mysql.indexHint([])).toBe('');
    expect(new RuleSql('sqlite').indexHint([failed])).toBe('');
  });
});
