import { ControlStatus, STATUS_LABELS } from '../../compliance/assessment';
import { chartProblems, chartSvg, chartTable } from '../../plugin-api';
import { STATUS_COLORS, statusBreakdownChart, statusTrendChart } from './status-charts';

const counts = Object.fromEntries(Object.values(ControlStatus).map((s) => [s, 0])) as Record<ControlStatus, number>;

describe('status charts', () => {
  it('draws the breakdown as a bar per status in words, with each count beside its bar', () => {
    const chart = statusBreakdownChart({ ...counts, COMPLIANT: 8, NON_COMPLIANT: 5, OBSERVED: 31, NOT_ASSESSED: 64 });
    expect(chartProblems(chart)).toEqual([]);
    expect(chartTable(chart).rows).toEqual([
      ['Compliant', 8],
      ['Addressed by an alternative measure', 0],
      ['Partially compliant', 0],
      ['Non-compliant', 5],
      ['Activity observed, duty not shown', 31],
      ['Not assessed', 64],
      ['Not applicable', 0],
    ]);
    const svg = chartSvg(chart);
    for (const text of ['>Activity observed, duty not shown<', '>31<', '>64<']) expect(svg).toContain(text);
    expect(svg).not.toContain('OBSERVED');
  });

  it('draws a trend as a stacked bar per date, a segment per status present in its colour', () => {
    const chart = statusTrendChart([
      { date: '2026-03-01', counts: { COMPLIANT: 4, NON_COMPLIANT: 2 } },
      { date: '2026-03-02', counts: { COMPLIANT: 5, NON_COMPLIANT: 1, NOT_ASSESSED: 0 } },
      { date: '2026-03-03', counts: { COMPLIANT: 6 } },
    ]);
    expect(chartProblems(chart)).toEqual([]);
    expect(chart.series.map((s) => [s.name, s.color, s.values])).toEqual([
      [STATUS_LABELS.COMPLIANT, STATUS_COLORS.COMPLIANT, [4, 5, 6]],
      [STATUS_LABELS.NON_COMPLIANT, STATUS_COLORS.NON_COMPLIANT, [2, 1, 0]],
    ]);
    expect(chartTable(chart).rows.map((row) => row.at(-1))).toEqual([6, 6, 6]);
    expect(chartSvg(chart).match(new RegExp(`fill="${STATUS_COLORS.NON_COMPLIANT}"`, 'g'))).toHaveLength(3); // two segments and the legend
  });
});
