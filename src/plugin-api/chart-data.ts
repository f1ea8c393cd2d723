import { brandColor } from './branding';
import type { ChartBlock, TableBlock } from './report-model';

/** The most labels (bars, points, slices) a chart may have: a daily chart of almost three years. */
export const MAX_CHART_LABELS = 1000;
/** The most labels of a chart whose bars lie along them (`orientation: 'horizontal'`): each takes a row. */
export const MAX_HORIZONTAL_CHART_LABELS = 60;
/** The most series a chart may have: past a dozen, colours and a legend no longer tell them apart. */
export const MAX_CHART_SERIES = 12;
/** The longest title, label, series name or unit, in characters. */
export const MAX_CHART_TEXT = 300;
/** The longest text alternative (`description`), in characters. */
export const MAX_CHART_DESCRIPTION = 4000;

/** What {@link chartProblems} finds wrong with a chart. */
export type ChartProblemCode =
  /** A field has the wrong type, or `kind` / `orientation` is not one this API version knows. */
  | 'CHART_FIELD_INVALID'
  /** More labels than {@link MAX_CHART_LABELS} (or {@link MAX_HORIZONTAL_CHART_LABELS}), no series, more than {@link MAX_CHART_SERIES}, or a pie with other than one series. */
  | 'CHART_TOO_LARGE'
  /** A series has not exactly one value per label. */
  | 'CHART_SERIES_LENGTH'
  /** A value is not a finite number of zero or more (negative, NaN, Infinity, a string). */
  | 'CHART_VALUE_INVALID'
  /** A text is longer than {@link MAX_CHART_TEXT} (a description than {@link MAX_CHART_DESCRIPTION}). */
  | 'CHART_TEXT_TOO_LONG'
  /** A series colour is not `#RRGGBB`. */
  | 'CHART_COLOR_INVALID';

/** One problem of a chart: its code, where (`series[1].values[3]`) and what to do. */
export interface ChartProblem {
  code: ChartProblemCode;
  path: string;
  message: string;
}

const KINDS: readonly string[] = ['bar', 'stacked', 'line', 'pie'];
const ORIENTATIONS: readonly string[] = ['vertical', 'horizontal'];

/**
 * Every problem of a chart block, or none: what the host checks before a chart reaches a format,
 * and what a format can check a chart with before it draws one. A chart is drawable when it has a
 * known `kind`, at most {@link MAX_CHART_LABELS} labels, one to {@link MAX_CHART_SERIES} series
 * (exactly one for a pie) each with one finite value of zero or more per label, texts of at most
 * {@link MAX_CHART_TEXT} characters and colours `#RRGGBB`. At most one value problem is listed per
 * series, so the list stays short whatever the chart holds.
 *
 * @example
 * ```ts
 * chartProblems({ type: 'chart', kind: 'bar', title: 'T', labels: ['a', 'b'], series: [{ name: 's', values: [1, -2] }] });
 * // [{ code: 'CHART_VALUE_INVALID', path: 'series[0].values[1]', message: 'is -2; a chart value is a finite number of zero or more' }]
 * ```
 */
export function chartProblems(block: ChartBlock): ChartProblem[] {
  const problems: ChartProblem[] = [];
  const add = (code: ChartProblemCode, path: string, message: string) => problems.push({ code, path, message });
  const text = (value: unknown, path: string, max = MAX_CHART_TEXT, optional = false) => {
    if (optional && value === undefined) return;
    if (typeof value !== 'string') add('CHART_FIELD_INVALID', path, 'must be a string');
    else if (value.length > max) add('CHART_TEXT_TOO_LONG', path, `has ${value.length} characters; at most ${max}`);
  };
  if (!KINDS.includes(block.kind)) add('CHART_FIELD_INVALID', 'kind', `must be one of ${KINDS.join(', ')}`);
  if (block.orientation !== undefined && !ORIENTATIONS.includes(block.orientation))
    add('CHART_FIELD_INVALID', 'orientation', `must be one of ${ORIENTATIONS.join(', ')}`);
  text(block.title, 'title');
  text(block.unit, 'unit', MAX_CHART_TEXT, true);
  text(block.description, 'description', MAX_CHART_DESCRIPTION, true);
  if (!Array.isArray(block.labels)) add('CHART_FIELD_INVALID', 'labels', 'must be an array of strings');
  if (!Array.isArray(block.series)) add('CHART_FIELD_INVALID', 'series', 'must be an array of series');
  if (problems.some((p) => p.path === 'labels' || p.path === 'series')) return problems;

  const horizontal = block.orientation === 'horizontal' && block.kind !== 'line' && block.kind !== 'pie';
  const maxLabels = horizontal ? MAX_HORIZONTAL_CHART_LABELS : MAX_CHART_LABELS;
  if (block.labels.length > maxLabels)
    add('CHART_TOO_LARGE', 'labels', `has ${block.labels.length} labels; at most ${maxLabels}${horizontal ? ' with horizontal bars' : ''}`);
  else block.labels.forEach((label, i) => text(label, `labels[${i}]`));
  if (block.series.length === 0) add('CHART_TOO_LARGE', 'series', 'is empty; a chart has at least one series');
  if (block.series.length > MAX_CHART_SERIES)
    add('CHART_TOO_LARGE', 'series', `has ${block.series.length} series; at most ${MAX_CHART_SERIES}`);
  if (block.kind === 'pie' && block.series.length > 1) add('CHART_TOO_LARGE', 'series', 'a pie shows one series');
  if (problems.some((p) => p.code === 'CHART_TOO_LARGE')) return problems;

  block.series.forEach((series, s) => {
    const at = `series[${s}]`;
    text(series.name, `${at}.name`);
    if (series.color !== undefined && brandColor(series.color) === null) add('CHART_COLOR_INVALID', `${at}.color`, 'must be #RRGGBB');
    if (!Array.isArray(series.values)) {
      add('CHART_FIELD_INVALID', `${at}.values`, 'must be an array of numbers');
      return;
    }
    if (series.values.length !== block.labels.length)
      add(
        'CHART_SERIES_LENGTH',
        `${at}.values`,
        `has ${series.values.length} values for ${block.labels.length} labels; one value per label`,
      );
    const bad = series.values.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v) || v < 0);
    if (bad >= 0) {
      const value = series.values[bad] as unknown;
      const shown = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
      add('CHART_VALUE_INVALID', `${at}.values[${bad}]`, `is ${shown}; a chart value is a finite number of zero or more`);
    }
  });
  return problems;
}

/** A value as text: integers as they are, other numbers to at most two decimals (`0.91`, `12.5`). */
export function chartNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 100) / 100);
}

/**
 * The chart as the table of its numbers: a label column, a column per series and, for a stacked
 * chart, their total. What formats show beside a drawn chart, and instead of one they cannot draw.
 *
 * @example
 * ```ts
 * chartTable(block).rows; // [['Compliant', 12], ['Non-compliant', 3]]
 * ```
 */
export function chartTable(block: ChartBlock): TableBlock {
  const stacked = block.kind === 'stacked';
  return {
    type: 'table',
    caption: block.title,
    columns: [
      { key: 'label', title: '' },
      ...block.series.map((s, i) => ({ key: `series-${i + 1}`, title: s.name, align: 'right' as const })),
      ...(stacked ? [{ key: 'total', title: 'Total', align: 'right' as const }] : []),
    ],
    // A ragged chart (which chartProblems refuses) still shows every value, under an empty label.
    rows: Array.from({ length: Math.max(block.labels.length, ...block.series.map((s) => s.values.length)) }, (_, i) => {
      const values = block.series.map((s) => s.values[i] ?? null);
      return [block.labels[i] ?? '', ...values, ...(stacked ? [values.reduce<number>((sum, v) => sum + (v ?? 0), 0)] : [])];
    }),
  };
}

/** How many items a generated description names before it says how many more there are. */
const DESCRIBED = 12;

/**
 * The chart's text alternative: its `description`, or else one written from the data, e.g.
 * `Bar chart of Controls by status: Compliant 12, Non-compliant 3.` (at most a dozen labels named,
 * then how many more; a long chart by its range and its largest value).
 *
 * @example
 * ```ts
 * const alt = chartDescription(block); // for <desc>, alt text, an image's description
 * ```
 */
export function chartDescription(block: ChartBlock): string {
  if (block.description) return block.description;
  const kind = { bar: 'Bar chart', stacked: 'Stacked bar chart', line: 'Line chart', pie: 'Pie chart' }[block.kind] ?? 'Chart';
  const head = `${kind} of ${block.title}`;
  if (block.labels.length === 0) return `${head}: no data.`;
  const one = block.series.length === 1;
  const item = (i: number) =>
    one
      ? `${block.labels[i]} ${chartNumber(block.series[0].values[i] ?? 0)}`
      : `${block.labels[i]}: ${block.series.map((s) => `${s.name} ${chartNumber(s.values[i] ?? 0)}`).join(', ')}`;
  const named = block.labels.slice(0, DESCRIBED).map((_, i) => item(i));
  const more = block.labels.length - named.length;
  return `${head}${block.unit ? ` (${block.unit})` : ''}: ${named.join(one ? ', ' : '; ')}${more > 0 ? `; and ${more} more, to ${block.labels.at(-1)}` : ''}.`;
}
