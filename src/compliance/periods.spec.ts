import type { Period } from '../plugin-api';
import { nextPeriodStart, periodOfDay, periodOfLabel, periodStart, periodsBetween } from './periods';

const d = (iso: string) => new Date(iso);
const iso = (date: Date) => date.toISOString();

describe('periodStart', () => {
  it.each<[Period, string, string]>([
    ['DAY', '2026-11-26T17:45:12.345Z', '2026-11-26T00:00:00.000Z'],
    ['DAY', '2026-11-26T00:00:00.000Z', '2026-11-26T00:00:00.000Z'],
    // 2026-11-26 is a Thursday; its ISO week starts on Monday the 23rd.
    ['WEEK', '2026-11-26T17:45:00.000Z', '2026-11-23T00:00:00.000Z'],
    ['WEEK', '2026-11-23T00:00:00.000Z', '2026-11-23T00:00:00.000Z'],
    // A Sunday belongs to the week that started six days earlier, not to the next one.
    ['WEEK', '2026-11-29T23:59:59.999Z', '2026-11-23T00:00:00.000Z'],
    // Across a year boundary: Friday 2027-01-01 is in the week of Monday 2026-12-28.
    ['WEEK', '2027-01-01T08:00:00.000Z', '2026-12-28T00:00:00.000Z'],
    ['MONTH', '2026-11-26T17:45:00.000Z', '2026-11-01T00:00:00.000Z'],
    ['MONTH', '2024-02-29T23:59:59.999Z', '2024-02-01T00:00:00.000Z'],
    ['QUARTER', '2026-11-26T17:45:00.000Z', '2026-10-01T00:00:00.000Z'],
    ['QUARTER', '2026-03-31T23:59:59.999Z', '2026-01-01T00:00:00.000Z'],
    ['QUARTER', '2026-04-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
    ['YEAR', '2026-11-26T17:45:00.000Z', '2026-01-01T00:00:00.000Z'],
  ])('%s of %s starts at %s', (period, at, start) => {
    expect(iso(periodStart(period, d(at)))).toBe(start);
  });
});

describe('nextPeriodStart', () => {
  it.each<[Period, string, string]>([
    ['DAY', '2026-12-31T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['DAY', '2024-02-28T00:00:00.000Z', '2024-02-29T00:00:00.000Z'],
    ['WEEK', '2026-12-28T00:00:00.000Z', '2027-01-04T00:00:00.000Z'],
    ['MONTH', '2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'],
    ['MONTH', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['QUARTER', '2026-10-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['QUARTER', '2026-01-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
    ['YEAR', '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
  ])('%s after %s starts at %s', (period, start, next) => {
    expect(iso(nextPeriodStart(period, d(start)))).toBe(next);
  });
});

describe('periodOfDay', () => {
  it.each<[Period, string, string]>([
    ['DAY', '2026-11-26', '2026-11-26'],
    ['WEEK', '2026-11-26', '2026-W48'],
    // ISO week-numbering years: the week belongs to the year of its Thursday.
    ['WEEK', '2026-12-31', '2026-W53'],
    ['WEEK', '2027-01-01', '2026-W53'],
    ['WEEK', '2027-01-03', '2026-W53'],
    ['WEEK', '2027-01-04', '2027-W01'],
    ['WEEK', '2025-12-29', '2026-W01'],
    ['WEEK', '2026-01-01', '2026-W01'],
    ['WEEK', '2025-12-28', '2025-W52'],
    ['WEEK', '2021-01-03', '2020-W53'],
    ['WEEK', '2024-12-30', '2025-W01'],
    ['MONTH', '2026-11-26', '2026-11'],
    ['MONTH', '2026-01-31', '2026-01'],
    ['QUARTER', '2026-01-01', '2026-Q1'],
    ['QUARTER', '2026-06-30', '2026-Q2'],
    ['QUARTER', '2026-07-01', '2026-Q3'],
    ['QUARTER', '2026-11-26', '2026-Q4'],
    ['YEAR', '2026-12-31', '2026'],
  ])('%s label of %s is %s', (period, day, label) => {
    expect(periodOfDay(period, day)).toBe(label);
  });
});

describe('periodsBetween', () => {
  const summary = (spans: ReturnType<typeof periodsBetween>) => spans.map((s) => `${s.label}${s.whole ? '' : '~'}`);

  it('marks whole months and the partial months at both edges', () => {
    const spans = periodsBetween('MONTH', d('2026-01-15T00:00:00.000Z'), d('2026-04-10T12:00:00.000Z'));
    expect(summary(spans)).toEqual(['2026-01~', '2026-02', '2026-03', '2026-04~']);
    expect(spans.map((s) => [iso(s.start), iso(s.end)])).toEqual([
      ['2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'],
      ['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
      ['2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
      ['2026-04-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z'],
    ]);
  });

  it('treats a range on period boundaries as whole periods only (the end is exclusive)', () => {
    expect(summary(periodsBetween('MONTH', d('2026-08-01T00:00:00.000Z'), d('2026-11-01T00:00:00.000Z')))).toEqual([
      '2026-08',
      '2026-09',
      '2026-10',
    ]);
  });

  it('gives one partial period for a range inside a single period', () => {
    expect(summary(periodsBetween('QUARTER', d('2026-10-05T00:00:00.000Z'), d('2026-11-26T17:00:00.000Z')))).toEqual(['2026-Q4~']);
  });

  it('gives nothing for an empty range', () => {
    const at = d('2026-10-05T00:00:00.000Z');
    expect(periodsBetween('DAY', at, at)).toEqual([]);
  });

  it('labels ISO weeks across a year boundary', () => {
    expect(summary(periodsBetween('WEEK', d('2026-12-21T00:00:00.000Z'), d('2027-01-11T00:00:00.000Z')))).toEqual([
      '2026-W52',
      '2026-W53',
      '2027-W01',
    ]);
    expect(summary(periodsBetween('WEEK', d('2025-12-24T00:00:00.000Z'), d('2026-01-06T00:00:00.000Z')))).toEqual([
      '2025-W52~',
      '2026-W01',
      '2026-W02~',
    ]);
  });

  it('covers quarters and years', () => {
    expect(summary(periodsBetween('QUARTER', d('2026-02-01T00:00:00.000Z'), d('2027-01-01T00:00:00.000Z')))).toEqual([
      '2026-Q1~',
      '2026-Q2',
      '2026-Q3',
      '2026-Q4',
    ]);
    expect(summary(periodsBetween('YEAR', d('2024-01-01T00:00:00.000Z'), d('2026-11-26T00:00:00.000Z')))).toEqual([
      '2024',
      '2025',
      '2026~',
    ]);
  });

  it('keeps only the newest `limit` periods', () => {
    const spans = periodsBetween('DAY', d('2026-11-01T00:00:00.000Z'), d('2026-11-11T00:00:00.000Z'), 3);
    expect(summary(spans)).toEqual(['2026-11-08', '2026-11-09', '2026-11-10']);
  });

  it('answers ten years of days within the default limit', () => {
    const spans = periodsBetween('DAY', d('2016-11-26T00:00:00.000Z'), d('2026-11-26T00:00:00.000Z'));
    expect(spans).toHaveLength(3652);
    expect(spans[0].label).toBe('2016-11-26');
    expect(spans[spans.length - 1].label).toBe('2026-11-25');
    expect(spans.every((s) => s.whole)).toBe(true);
  });
});

describe('years before 100 (Date.UTC reads 0–99 as 1900–1999)', () => {
  it('keeps the year in period starts and labels', () => {
    expect(iso(periodStart('MONTH', d('0050-06-15T10:00:00.000Z')))).toBe('0050-06-01T00:00:00.000Z');
    expect(iso(periodStart('DAY', d('0050-06-15T10:00:00.000Z')))).toBe('0050-06-15T00:00:00.000Z');
    expect(iso(nextPeriodStart('MONTH', d('0050-06-01T00:00:00.000Z')))).toBe('0050-07-01T00:00:00.000Z');
    expect(periodOfDay('QUARTER', '0050-06-15')).toBe('0050-Q2');
  });

  it('lists the periods of a range in those years', () => {
    expect(periodsBetween('YEAR', d('0050-01-01T00:00:00.000Z'), d('0053-01-01T00:00:00.000Z')).map((s) => [s.label, s.whole])).toEqual([
      ['0050', true],
      ['0051', true],
      ['0052', true],
    ]);
  });
});

describe('periodOfLabel', () => {
  it.each([
    ['DAY', '2026-11-03', '2026-11-03T00:00:00.000Z', '2026-11-04T00:00:00.000Z'],
    ['WEEK', '2026-W01', '2025-12-29T00:00:00.000Z', '2026-01-05T00:00:00.000Z'],
    ['WEEK', '2026-W48', '2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z'],
    ['MONTH', '2026-02', '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
    ['QUARTER', '2026-Q4', '2026-10-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['YEAR', '2026', '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
  ] as const)('reads %s %s as its span', (period, text, start, end) => {
    const span = periodOfLabel(period, text);
    expect(span && { start: span.start.toISOString(), end: span.end.toISOString() }).toEqual({ start, end });
  });

  it.each([
    ['DAY', '2026-02-30'],
    ['DAY', '2026-11'],
    ['WEEK', '2026-W54'],
    ['WEEK', '2026-W00'],
    ['MONTH', '2026-13'],
    ['QUARTER', '2026-Q5'],
    ['YEAR', '26'],
    ['MONTH', ' 2026-02'],
  ] as const)('refuses %s %j', (period, text) => {
    expect(periodOfLabel(period, text)).toBeNull();
  });

  it('gives back every label periodsBetween makes', () => {
    for (const period of ['DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR'] as const) {
      for (const span of periodsBetween(period, new Date('2024-12-20T00:00:00Z'), new Date('2027-01-10T00:00:00Z'))) {
        expect(periodOfLabel(period, span.label)).toEqual({ label: span.label, start: span.start, end: span.end });
      }
    }
  });
});
