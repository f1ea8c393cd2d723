import { ControlStatus, STATUS_LABELS } from '../../compliance/assessment';
import type { ChartBlock } from '../../plugin-api';

/**
 * A colour per status, the same in every chart: green for shown, orange for partly shown, red
 * for a deviation, blue for activity without the duty, greys for what was not assessed or does
 * not apply (Okabe–Ito tones, told apart with the common colour-vision deficiencies).
 */
export const STATUS_COLORS: Readonly<Record<ControlStatus, string>> = {
  COMPLIANT: '#009E73',
  ADDRESSED_BY_ALTERNATIVE: '#005C43',
  PARTIALLY_COMPLIANT: '#E69F00',
  NON_COMPLIANT: '#D55E00',
  OBSERVED: '#56B4E9',
  NOT_ASSESSED: '#7F7F7F',
  NOT_APPLICABLE: '#BFBFBF',
};

/** The statuses in the order charts show them: from shown to not applicable. */
const ORDER: readonly ControlStatus[] = [
  ControlStatus.COMPLIANT,
  ControlStatus.ADDRESSED_BY_ALTERNATIVE,
  ControlStatus.PARTIALLY_COMPLIANT,
  ControlStatus.NON_COMPLIANT,
  ControlStatus.OBSERVED,
  ControlStatus.NOT_ASSESSED,
  ControlStatus.NOT_APPLICABLE,
];

/** The scored controls by status: a bar per status, in words, lying along the labels, with its count beside it. */
export function statusBreakdownChart(counts: Readonly<Record<ControlStatus, number>>): ChartBlock {
  return {
    type: 'chart',
    kind: 'bar',
    orientation: 'horizontal',
    title: 'Scored controls by status',
    unit: 'Controls',
    labels: ORDER.map((status) => STATUS_LABELS[status]),
    series: [{ name: 'Controls', values: ORDER.map((status) => counts[status] ?? 0), color: '#0072B2' }],
  };
}

/** One point of a status trend: the day (or week) and how many controls had each status then. */
export interface StatusTrendPoint {
  /** `YYYY-MM-DD`, the label under the point's bar. */
  date: string;
  counts: Readonly<Partial<Record<ControlStatus, number>>>;
}

/**
 * A status trend as a chart: a stacked bar per point, oldest first, a segment per status in its
 * colour; statuses no point has are left out of the legend. The points come ordered from the
 * stored assessment runs (the history of issue 11 item 4).
 */
export function statusTrendChart(points: readonly StatusTrendPoint[], title = 'Controls by status over time'): ChartBlock {
  const present = ORDER.filter((status) => points.some((p) => (p.counts[status] ?? 0) > 0));
  return {
    type: 'chart',
    kind: 'stacked',
    title,
    unit: 'Controls',
    labels: points.map((p) => p.date),
    series: present.map((status) => ({
      name: STATUS_LABELS[status],
      values: points.map((p) => p.counts[status] ?? 0),
      color: STATUS_COLORS[status],
    })),
  };
}
