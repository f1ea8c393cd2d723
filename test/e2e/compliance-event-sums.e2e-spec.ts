import { AssessmentQueries } from '../../src/compliance/assessment-query';
import { RuleSql } from '../../src/compliance/rule-sql';
import type { EventRule } from '../../src/plugin-api';
import { eventInput, type TestEnvironment } from '../helpers/test-environment';
import { seededWithStatementLog } from '../helpers/statement-log';

/**
 * ADR 0045, amended 2026-12-04: the event-counted sums (rules with metadata) run one statement per
 * way of finding their events, so that a set named by no action (HIPAA's clearinghouse refusals:
 * any denied PHI event of a segment) no longer sends every other set's statement over the year; a
 * match with only exceptional outcomes is a range of the outcome index on MariaDB.
 */
const DAY = 86_400_000;
/** Noon, five days ago: whole days on either side, every event in the past. */
const NOON = Math.floor((Date.now() - 5 * DAY) / DAY) * DAY + DAY / 2;

type MatchRule = EventRule & { kind: 'MATCH' };
const match = (id: string, m: MatchRule['match']): MatchRule => ({ id, kind: 'MATCH', description: id, match: m });
const clearinghouse = { metadata: [{ path: 'segment', equals: 'clearinghouse' }] };
const RULES = [
  match('refused-in-segment', { outcome: ['DENIED'], categories: ['PHI'], ...clearinghouse }),
  match('exported-in-segment', { action: [{ equals: 'claim.exported' }], ...clearinghouse }),
  match('exported-anywhere', { action: [{ equals: 'claim.exported' }], metadata: [{ path: 'segment', exists: true }] }),
];

const ev = (action: string, status: string, offsetMs: number, metadata: Record<string, unknown>, categories: string[] = ['PHI']) =>
  eventInput({ action, occurredAt: new Date(NOON + offsetMs).toISOString(), outcome: { status }, categories, metadata });
const inSegment = { segment: 'clearinghouse' };
const EVENTS = [
  ev('claim.read', 'DENIED', 0, inSegment), // refused-in-segment
  ev('claim.read', 'DENIED', -DAY, inSegment), // refused-in-segment, a day before
  ev('claim.read', 'DENIED', 0, inSegment, []), // not PHI
  ev('claim.read', 'DENIED', 0, { segment: 'provider' }),
  ev('claim.read', 'SUCCESS', 0, inSegment), // not refused
  ev('claim.exported', 'SUCCESS', 0, inSegment), // exported-in-segment, exported-anywhere
  ev('claim.exported', 'FAILURE', DAY, { segment: 'provider' }), // exported-anywhere
  ev('claim.exported', 'SUCCESS', 0, {}),
];

describe('event-counted sums, one statement per way of finding the events', () => {
  let env: TestEnvironment;
  let statements: string[];

  beforeAll(async () => {
    ({ env, statements } = await seededWithStatementLog(EVENTS));
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await env?.close();
  });

  it('counts each set as it did in one statement, with the set named by no action apart', async () => {
    statements.length = 0;
    const { measures } = await new AssessmentQueries(env.app.dataSource).measure(
      RULES.map((rule) => ({ controlId: 'c', role: 'EVIDENCE' as const, rule })),
      {
        tenantId: 'default',
        from: new Date(NOON - 2 * DAY - DAY / 2),
        to: new Date(NOON + 2 * DAY),
        now: new Date(NOON + 3 * DAY),
        recordedBy: null,
        lag: { days: 36_500 },
      },
    );
    expect(RULES.map((rule) => measures.get(rule))).toMatchObject([
      { kind: 'MATCH', count: 2 },
      { kind: 'MATCH', count: 1 },
      { kind: 'MATCH', count: 2 },
    ]);
    // The two sets named by action share a statement; the one named by no action has its own.
    const sums = statements.filter((s) => s.includes('COUNT(*) AS n, MAX(e.sequence) AS hi'));
    expect(sums).toHaveLength(2);
    expect(sums.filter((s) => s.includes('AS m0')).map((s) => s.includes('AS m1') || s.includes('AS m2'))).toEqual([false]);
  });

  it('counts the partial days at the edges of a range through the time index, one statement each (ADR 0045, amended 2026-12-07)', async () => {
    statements.length = 0;
    const counted = [match('denied', { outcome: ['DENIED'] }), match('exported', { action: [{ equals: 'claim.exported' }] })];
    // From 06:00 on NOON's day to 06:00 two days later: an 18-hour edge, a whole day, a 6-hour edge.
    const { measures } = await new AssessmentQueries(env.app.dataSource).measure(
      counted.map((rule) => ({ controlId: 'c', role: 'EVIDENCE' as const, rule })),
      {
        tenantId: 'default',
        from: new Date(NOON - DAY / 4),
        to: new Date(NOON + 2 * DAY - DAY / 4),
        now: new Date(NOON + 3 * DAY),
        recordedBy: null,
        lag: { days: 36_500 },
      },
    );
    // Three refusals at noon (an edge; the one a day before is out of range); two exports at noon
    // and one the next day (from the rollup).
    expect(counted.map((rule) => measures.get(rule))).toMatchObject([
      { kind: 'MATCH', count: 3 },
      { kind: 'MATCH', count: 3 },
    ]);
    const edges = statements.filter((s) => s.includes('COUNT(*) AS n, MAX(e.sequence) AS hi'));
    expect(edges).toHaveLength(2);
    expect(edges.every((s) => s.includes('ix_audit_event_occurred'))).toBe(true);
  });

  it('sends a match of exceptional outcomes only to the outcome index on MariaDB, and one of successes nowhere', () => {
    const mysql = new RuleSql('mysql');
    const outcomeIndex = ' FORCE INDEX (ix_audit_event_outcome_actor)';
    expect(mysql.indexHint([{ outcome: ['DENIED'] }])).toBe(outcomeIndex);
    expect(
      mysql.indexHint([
        { outcome: ['FAILURE', 'ERROR'], categories: ['PHI'] },
        { action: [{ equals: 'a' }], outcome: ['SUCCESS'] },
      ]),
    ).toBe(outcomeIndex);
    // Successes are most of a trail; an action without an outcome is not in the outcome index's range.
    expect(mysql.indexHint([{ outcome: ['DENIED', 'SUCCESS'] }])).toBe('');
    expect(mysql.indexHint([{ outcome: ['DENIED'] }, { action: [{ equals: 'a' }] }])).toBe('');
    expect(new RuleSql('sqlite').indexHint([{ outcome: ['DENIED'] }])).toBe('');
  });

  it('reads a plain BURST from the outcome index alone when the index holds every column it tests', () => {
    const mysql = new RuleSql('mysql');
    const outcomeIndex = ' FORCE INDEX (ix_audit_event_outcome_actor)';
    const bulkRead = { action: [{ glob: '**.read' }], outcome: ['SUCCESS' as const], categories: ['PHI'] };
    expect(mysql.burstHint(bulkRead, 'ACTOR')).toBe(outcomeIndex);
    expect(mysql.burstHint(bulkRead, 'IP')).toBe(outcomeIndex);
    // The resource, the severity and the metadata are not in it; without an outcome there is no range.
    expect(mysql.burstHint(bulkRead, 'RESOURCE')).toBe('');
    expect(mysql.burstHint({ ...bulkRead, minSeverity: 'WARNING' }, 'ACTOR')).toBe('');
    expect(mysql.burstHint({ ...bulkRead, metadata: [{ path: 'bulk', equals: true }] }, 'ACTOR')).toBe('');
    expect(mysql.burstHint({ action: [{ glob: '**.read' }] }, 'ACTOR')).toBe('');
    // A match an action index finds keeps indexHint's choice; SQLite takes none.
    expect(mysql.burstHint({ action: [{ equals: 'data.export' }] }, 'ACTOR')).toBe(' FORCE INDEX (ix_audit_event_action_resource)');
    expect(new RuleSql('sqlite').burstHint(bulkRead, 'ACTOR')).toBe('');
  });
});
