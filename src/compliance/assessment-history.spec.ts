import { ControlStatus, ComplianceLevel } from './assessment';
import {
  type AssessmentRun,
  AssessmentTrigger,
  HistoryGranularity,
  buckets,
  lastClosedWindow,
  nonComplianceTime,
  runDigest,
  settled,
  statusChanges,
} from './assessment-history';
import { MAX_HISTORY_BUCKETS } from './assessment-history.service';
import { AssessmentScheduler } from './assessment-scheduler';
import { MAX_HISTORY_POINTS } from '../graphql/query-prices';
import { createLogger } from '../observability/logger';

const counts = Object.fromEntries(Object.values(ControlStatus).map((s) => [s, 0])) as Record<ControlStatus, number>;

function run(id: string, from: string, to: string, statuses: [string, ControlStatus][], asOf = to): AssessmentRun {
  const content = {
    id,
    tenantId: 't',
    frameworkId: 'soc2',
    frameworkVersion: '2017',
    pluginVersion: '1.0.0',
    from,
    to,
    asOf,
    recordedBy: asOf,
    headSequence: 10,
    headChainHash: 'a'.repeat(64),
    parameters: [],
    scope: [],
    summary: { score: null, assessedScore: null, level: ComplianceLevel.LOW, coverage: null, counts, total: 0 },
    statuses,
    trigger: AssessmentTrigger.ON_DEMAND,
    scheduleWindow: null,
    createdBy: 'k',
    createdAt: '2026-06-10T00:00:00.000Z',
  };
  return { ...content, digest: runDigest(content) };
}

const { COMPLIANT, NON_COMPLIANT, OBSERVED } = ControlStatus;
const d = (day: number) => `2026-06-${String(day).padStart(2, '0')}T00:00:00.000Z`;

describe('assessment history', () => {
  it('digests every stated field, so a changed status or head changes the digest', () => {
    const a = run('r1', d(1), d(2), [['CC6.1', COMPLIANT]]);
    const { digest, ...content } = a;
    expect(runDigest(content)).toBe(digest);
    expect(runDigest({ ...content, statuses: [['CC6.1', NON_COMPLIANT]] })).not.toBe(digest);
    expect(runDigest({ ...content, headSequence: 11 })).not.toBe(digest);
    // Key order does not matter (canonical JSON).
    expect(runDigest(Object.fromEntries(Object.entries(content).reverse()) as typeof content)).toBe(digest);
  });

  it('calls a run settled only when it was judged at or after the end of its range', () => {
    expect(settled(run('r', d(1), d(2), []))).toBe(true);
    expect(settled(run('r', d(1), d(3), [], '2026-06-02T12:00:00.000Z'))).toBe(false);
  });

  it('puts a run in the day or week holding the last instant of its range, the last run of a bucket winning', () => {
    const runs = [run('a', d(1), d(2), [['X', COMPLIANT]]), run('b', d(1), d(2), [['X', NON_COMPLIANT]], d(3)), run('c', d(2), d(3), [])];
    const days = buckets(HistoryGranularity.DAY, new Date(d(1)), new Date(d(4)), runs, 366);
    expect(days.map((b) => [b.label, b.run?.id ?? null])).toEqual([
      ['2026-06-01', 'b'],
      ['2026-06-02', 'c'],
      ['2026-06-03', null],
    ]);
    const weeks = buckets(HistoryGranularity.WEEK, new Date(d(3)), new Date(d(10)), runs, 366);
    expect(weeks.map((b) => [b.label, b.start.toISOString(), b.run?.id ?? null])).toEqual([
      ['2026-W23', d(1), 'c'],
      ['2026-W24', d(8), null],
    ]);
  });

  it('lists status changes between consecutive runs, a control new to the catalog included', () => {
    const r1 = run('r1', d(1), d(2), [['A', COMPLIANT]]);
    const r2 = run('r2', d(2), d(3), [
      ['A', NON_COMPLIANT],
      ['B', OBSERVED],
    ]);
    const r3 = run('r3', d(3), d(4), [
      ['A', NON_COMPLIANT],
      ['B', OBSERVED],
    ]);
    expect(statusChanges([r3, r1, r2])).toEqual([
      { controlId: 'A', from: COMPLIANT, to: NON_COMPLIANT, at: d(3), previousRunId: 'r1', runId: 'r2' },
      { controlId: 'B', from: null, to: OBSERVED, at: d(3), previousRunId: 'r1', runId: 'r2' },
    ]);
  });

  it('counts the days whose last run shows the control NON_COMPLIANT, clipped to the range', () => {
    const runs = [run('r1', d(1), d(2), [['A', NON_COMPLIANT]]), run('r2', d(2), d(3), [['A', COMPLIANT]])];
    const from = new Date('2026-06-01T12:00:00.000Z');
    const to = new Date(d(4));
    expect(nonComplianceTime('A', from, to, buckets(HistoryGranularity.DAY, from, to, runs, 366))).toEqual({
      days: 3,
      assessedDays: 2,
      nonCompliantDays: 1,
      nonCompliantSeconds: 12 * 3600,
      firstNonCompliantAt: d(1),
      lastNonCompliantAt: d(2),
    });
  });

  it('gives the last closed window once its end plus the recording lag has passed', () => {
    const now = new Date('2026-06-03T00:30:00.000Z');
    expect(lastClosedWindow('off', now, 0)).toBeNull();
    expect(lastClosedWindow('daily', now, 0)).toMatchObject({ from: new Date(d(2)), to: new Date(d(3)), key: 'DAY:2026-06-02' });
    expect(lastClosedWindow('daily', now, 3_600_000)).toMatchObject({ key: 'DAY:2026-06-01' });
    // 2026-06-03 is a Wednesday: the last closed ISO week is 25–31 May.
    expect(lastClosedWindow('weekly', now, 0)).toMatchObject({
      from: new Date('2026-05-25T00:00:00.000Z'),
      to: new Date(d(1)),
      key: 'WEEK:2026-W22',
    });
  });

  it('prices controlStatusHistory for the most buckets a history gives', () => {
    expect(MAX_HISTORY_POINTS).toBe(MAX_HISTORY_BUCKETS);
  });
});

describe('assessment scheduler', () => {
  const logger = createLogger('silent');

  it('records every tenant and framework for the window, never runs two ticks at once, and stops cleanly', async () => {
    const calls: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const scheduler = new AssessmentScheduler({
      history: {
        record: async (by, input, _now, window) => {
          calls.push(`${by.tenantId}/${input.frameworkId}/${window}/${by.keyId}`);
          await gate;
          return { run: run('x', input.from, input.to, []), created: true };
        },
      },
      tenants: async () => ['t1', 't2'],
      frameworks: () => ['soc2', 'gdpr'],
      schedule: 'daily',
      lagMs: 0,
      logger,
    });
    const first = scheduler.tick(new Date('2026-06-03T01:00:00.000Z'));
    expect(await scheduler.tick(new Date('2026-06-03T01:00:00.000Z'))).toBe(0);
    release();
    expect(await first).toBe(4);
    expect(calls).toEqual([
      't1/soc2/DAY:2026-06-02/null',
      't1/gdpr/DAY:2026-06-02/null',
      't2/soc2/DAY:2026-06-02/null',
      't2/gdpr/DAY:2026-06-02/null',
    ]);
    await scheduler.stop();
    expect(await scheduler.tick(new Date('2026-06-04T01:00:00.000Z'))).toBe(0);
    expect(calls).toHaveLength(4);
  });

  it('goes on with the other frameworks when one fails, and does nothing when off', async () => {
    const record = jest.fn(async (_by: unknown, input: { frameworkId: string; from: string; to: string }) => {
      if (input.frameworkId === 'bad') throw new Error('boom');
      return { run: run('x', input.from, input.to, []), created: true };
    });
    const deps = { history: { record }, tenants: async () => ['t'], frameworks: () => ['bad', 'soc2'], lagMs: 0, logger };
    expect(await new AssessmentScheduler({ ...deps, schedule: 'weekly' }).tick(new Date(d(3)))).toBe(1);
    record.mockClear();
    expect(await new AssessmentScheduler({ ...deps, schedule: 'off' }).tick(new Date(d(3)))).toBe(0);
    expect(record).not.toHaveBeenCalled();
  });
});
