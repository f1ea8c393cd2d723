import {
  CHART_PALETTE,
  type ChartBlock,
  chartDescription,
  chartProblems,
  chartSvg,
  chartTable,
  MAX_CHART_LABELS,
  MAX_CHART_SERIES,
  MAX_HORIZONTAL_CHART_LABELS,
} from './index';

const days = (count: number) => Array.from({ length: count }, (_, i) => new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10));

const STATUS: ChartBlock = {
  type: 'chart',
  kind: 'bar',
  orientation: 'horizontal',
  unit: 'Controls',
  title: 'Scored controls by status',
  labels: ['Compliant', 'Non-compliant', 'Activity observed, duty not shown'],
  series: [{ name: 'Controls', values: [8, 5, 31], color: '#1B7F3B' }],
};

const TREND: ChartBlock = {
  type: 'chart',
  kind: 'stacked',
  title: 'Status over time',
  labels: days(3),
  series: [
    { name: 'Compliant', values: [4, 5, 6] },
    { name: 'Non-compliant', values: [2, 1, 0] },
  ],
};

const codes = (block: ChartBlock) => chartProblems(block).map((p) => `${p.code} ${p.path}`);

describe('chartProblems', () => {
  it('accepts a chart of each kind', () => {
    for (const block of [STATUS, TREND, { ...TREND, kind: 'line' as const }, { ...STATUS, kind: 'pie' as const, orientation: undefined }])
      expect(chartProblems(block)).toEqual([]);
  });

  it('refuses negative, NaN, infinite and non-number values, one problem per series', () => {
    const bad = {
      ...TREND,
      series: [
        { name: 'a', values: [1, -2, Number.NaN] },
        { name: 'b', values: [Infinity, 0, 1] },
        { name: 'c', values: ['3' as never, 0, 1] },
      ],
    };
    expect(codes(bad)).toEqual([
      'CHART_VALUE_INVALID series[0].values[1]',
      'CHART_VALUE_INVALID series[1].values[0]',
      'CHART_VALUE_INVALID series[2].values[0]',
    ]);
  });

  it('refuses a series without one value per label', () => {
    expect(codes({ ...TREND, series: [{ name: 'a', values: [1, 2] }] })).toEqual(['CHART_SERIES_LENGTH series[0].values']);
  });

  it('bounds labels, series, texts and a pie to one series, whatever a request asks for', () => {
    const many = days(MAX_CHART_LABELS + 1);
    expect(codes({ ...TREND, labels: many, series: [{ name: 'a', values: many.map(() => 1) }] })).toEqual(['CHART_TOO_LARGE labels']);
    expect(
      chartProblems({ ...TREND, labels: days(MAX_CHART_LABELS), series: [{ name: 'a', values: days(MAX_CHART_LABELS).map(() => 1) }] }),
    ).toEqual([]);
    const rows = Array.from({ length: MAX_HORIZONTAL_CHART_LABELS + 1 }, (_, i) => `row ${i}`);
    expect(codes({ ...STATUS, labels: rows, series: [{ name: 'a', values: rows.map(() => 1) }] })).toEqual(['CHART_TOO_LARGE labels']);
    const series = Array.from({ length: MAX_CHART_SERIES + 1 }, (_, i) => ({ name: `s${i}`, values: [1, 1, 1] }));
    expect(codes({ ...TREND, series })).toEqual(['CHART_TOO_LARGE series']);
    expect(codes({ ...TREND, series: [] })).toEqual(['CHART_TOO_LARGE series']);
    expect(codes({ ...TREND, kind: 'pie' })).toEqual(['CHART_TOO_LARGE series']);
    expect(codes({ ...TREND, title: 'x'.repeat(301), labels: ['a', 'y'.repeat(301), 'c'] })).toEqual([
      'CHART_TEXT_TOO_LONG title',
      'CHART_TEXT_TOO_LONG labels[1]',
    ]);
  });

  it('refuses an unknown kind or orientation, a colour that is not #RRGGBB and non-string texts', () => {
    expect(codes({ ...STATUS, kind: 'radar' as never, orientation: 'diagonal' as never })).toEqual([
      'CHART_FIELD_INVALID kind',
      'CHART_FIELD_INVALID orientation',
    ]);
    expect(codes({ ...STATUS, series: [{ name: 'a', values: [1, 2, 3], color: 'red' }] })).toEqual(['CHART_COLOR_INVALID series[0].color']);
    expect(codes({ ...STATUS, labels: ['a', 7 as never, 'c'] })).toEqual(['CHART_FIELD_INVALID labels[1]']);
    expect(codes({ ...STATUS, series: 'x' as never })).toEqual(['CHART_FIELD_INVALID series']);
  });
});

describe('chartSvg', () => {
  it('gives the same bytes for the same chart, and other bytes for other numbers', () => {
    expect(chartSvg(structuredClone(TREND))).toBe(chartSvg(TREND));
    expect(chartSvg({ ...TREND, series: [TREND.series[0], { name: 'Non-compliant', values: [2, 1, 1] }] })).not.toBe(chartSvg(TREND));
  });

  it('draws a bar per label with its value beside it, the labels, the title and the text alternative', () => {
    const svg = chartSvg(STATUS);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="640"')).toBe(true);
    expect(svg.match(/<rect [^>]*fill="#1B7F3B"/g)).toHaveLength(3);
    for (const text of ['>8<', '>5<', '>31<', '>Compliant<', '>Activity observed, duty not shown<', '>Controls<'])
      expect(svg).toContain(text);
    expect(svg).toContain('<title>Scored controls by status</title>');
    expect(svg).toContain(`<desc>${chartDescription(STATUS)}</desc>`);
    expect(chartDescription(STATUS)).toBe(
      'Bar chart of Scored controls by status (Controls): Compliant 8, Non-compliant 5, Activity observed, duty not shown 31.',
    );
  });

  it('stacks the series of a stacked chart, totals above each bar and a legend', () => {
    const svg = chartSvg(TREND);
    // 3 + 2 segments (the zero is not drawn), plus the two legend swatches.
    expect(svg.match(new RegExp(`<rect [^>]*fill="${CHART_PALETTE[0]}"`, 'g'))).toHaveLength(4);
    expect(svg.match(new RegExp(`<rect [^>]*fill="${CHART_PALETTE[1]}"`, 'g'))).toHaveLength(3);
    for (const total of ['>6<', '>6<', '>6<', '>Compliant<', '>Non-compliant<']) expect(svg).toContain(total);
  });

  it('thins the labels of a long series so that they do not overlap', () => {
    const labels = days(365);
    const svg = chartSvg({
      type: 'chart',
      kind: 'line',
      title: 'A year',
      labels,
      series: [{ name: 'n', values: labels.map((_, i) => i % 9) }],
    });
    const shown = labels.filter((l) => svg.includes(`>${l}<`));
    expect(shown.length).toBeGreaterThan(4);
    expect(shown.length).toBeLessThan(12);
    expect(shown).toContain('2026-12-31');
    const xs = [...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+" text-anchor="middle" fill="#595959">2026-/g)].map((m) => Number(m[1]));
    for (let i = 1; i < xs.length; i++) expect(xs[i] - xs[i - 1]).toBeGreaterThan(64); // ten characters of 11 px DejaVu Sans
  });

  it('escapes every text and makes control characters visible', () => {
    const svg = chartSvg({ ...STATUS, title: '<script>alert(1)</script>', labels: ['a & b', 'invoice\u202Etxt.exe', '"q"'] });
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('\u202E');
    expect(svg).toContain('invoice\\u202Etxt.exe');
    expect(svg).toContain('a &#38; b');
  });

  it('says "No data" for a chart without labels, and throws with the problems of a bad chart', () => {
    expect(chartSvg({ ...TREND, labels: [], series: [{ name: 'a', values: [] }] })).toContain('>No data<');
    expect(() => chartSvg({ ...TREND, series: [{ name: 'a', values: [1, -1, 2] }] })).toThrow(
      /CHART_VALUE_INVALID at series\[0\]\.values\[1\]/,
    );
  });
});

describe('chartTable', () => {
  it('lists labels by series, with a total for a stacked chart', () => {
    expect(chartTable(TREND)).toMatchObject({
      caption: 'Status over time',
      columns: [{ title: '' }, { title: 'Compliant' }, { title: 'Non-compliant' }, { title: 'Total' }],
      rows: [
        ['2026-01-01', 4, 2, 6],
        ['2026-01-02', 5, 1, 6],
        ['2026-01-03', 6, 0, 6],
      ],
    });
    expect(chartTable(STATUS).rows).toEqual([
      ['Compliant', 8],
      ['Non-compliant', 5],
      ['Activity observed, duty not shown', 31],
    ]);
  });
});
