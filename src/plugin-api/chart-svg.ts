import { brandColor } from './branding';
import { chartDescription, chartNumber, chartProblems } from './chart-data';
import type { ChartBlock } from './report-model';
import { neutraliseControls } from './text';

/** The width of every drawn chart, in SVG user units (CSS pixels): a text column of A4 at 96 dpi. */
export const CHART_WIDTH = 640;

/** The font a drawn chart names; a rasteriser should load it (format-docx ships DejaVu Sans). */
export const CHART_FONT_FAMILY = 'DejaVu Sans';

/**
 * The colours of series without their own: the Okabe–Ito palette, told apart with the common
 * colour-vision deficiencies, then darker tones.
 */
export const CHART_PALETTE: readonly string[] = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#D55E00',
  '#56B4E9',
  '#CC79A7',
  '#7A6A00',
  '#555555',
  '#003F63',
  '#8C5A00',
  '#005C43',
  '#7F3300',
];

const FONT = 11;
const LINE = 14;
const PLOT_HEIGHT = 220;
const PAD = 8;
const AXIS = '#595959';
const GRID = '#D9D9D9';
const INK = '#1B1B1B';

/** Text for SVG character data and attributes: controls made visible, no XML-invalid character, markup escaped. */
function xml(text: string): string {
  return neutraliseControls(text.toWellFormed())
    .replace(/[\uFFFE\uFFFF]/g, '')
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A coordinate with at most two decimals, never `-0`. */
const n = (value: number) => String(Math.round(value * 100) / 100 || 0);

/** The width of `text` in the chart font at `size`, estimated per character (wide glyphs counted wide). */
function textWidth(text: string, size = FONT): number {
  let em = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x2e80) em += 1;
    else if (/[A-Z]/.test(ch)) em += 0.72;
    else if (/[0-9]/.test(ch)) em += 0.64;
    else if (/[ il.,:;'|!()[\]]/.test(ch)) em += 0.34;
    else if (/[mwMW%@]/.test(ch)) em += 0.95;
    else em += 0.62;
  }
  return em * size;
}

/** `text` cut to fit `width`, ending in an ellipsis when cut. */
function fit(text: string, width: number, size = FONT): string {
  if (textWidth(text, size) <= width) return text;
  const chars = [...text];
  while (chars.length > 0 && textWidth(`${chars.join('')}…`, size) > width) chars.pop();
  return `${chars.join('').trimEnd()}…`;
}

/** `text` in at most `lines` lines of `width`, broken between words; the last line cut to fit. */
function wrap(text: string, width: number, lines: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (!line || textWidth(next) <= width || out.length === lines - 1) line = next;
    else {
      out.push(line);
      line = word;
    }
  }
  return [...out, line].map((l) => fit(l, width));
}

function label(x: number, y: number, text: string, anchor: 'start' | 'middle' | 'end' = 'start', fill = INK): string {
  return `<text x="${n(x)}" y="${n(y)}" text-anchor="${anchor}" fill="${fill}">${xml(text)}</text>`;
}

/** A value-axis scale: a round step and a top of at least `max`. */
function scale(max: number, integers: boolean): { top: number; ticks: number[] } {
  const rough = (max > 0 ? max : 1) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough)!;
  if (integers) step = Math.max(1, Math.ceil(step));
  const top = Math.max(step, Math.ceil(max / step - 1e-9) * step);
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => Number((i * step).toPrecision(12)));
  return { top, ticks };
}

interface Series {
  name: string;
  values: number[];
  color: string;
}

/** The legend: a swatch and a name per series, in rows across the width; its markup and height. */
function legend(series: Series[], y: number): { markup: string[]; height: number } {
  const markup: string[] = [];
  let x = PAD;
  let row = 0;
  for (const s of series) {
    const name = fit(s.name, CHART_WIDTH / 2);
    const width = 16 + textWidth(name) + 14;
    if (x + width > CHART_WIDTH - PAD && x > PAD) {
      x = PAD;
      row++;
    }
    const top = y + row * LINE;
    markup.push(`<rect x="${n(x)}" y="${n(top + 2)}" width="10" height="10" fill="${s.color}"/>`, label(x + 14, top + 11, name));
    x += width;
  }
  return { markup, height: (row + 1) * LINE + PAD };
}

/** Bars upright over the labels, or a line per series: value axis on the left, labels below. */
function upright(block: ChartBlock, series: Series[], top: number): { markup: string[]; height: number } {
  const stacked = block.kind === 'stacked';
  const count = block.labels.length;
  const totals = block.labels.map((_, i) => series.reduce((sum, s) => sum + s.values[i], 0));
  const max = stacked ? Math.max(0, ...totals) : Math.max(0, ...series.flatMap((s) => s.values));
  const { top: ceiling, ticks } = scale(
    max,
    series.every((s) => s.values.every(Number.isInteger)),
  );
  const unitHeight = block.unit ? LINE : 0;
  const axisWidth = Math.max(...ticks.map((t) => textWidth(chartNumber(t)))) + 6;
  const left = PAD + axisWidth;
  const plotTop = top + unitHeight + 6;
  // Room on the right for half the last label, which is centred under the last bar.
  const plotWidth = CHART_WIDTH - left - Math.max(PAD * 2, Math.min(textWidth(block.labels[count - 1]), 160) / 2 + 2);
  const bottom = plotTop + PLOT_HEIGHT;
  const y = (value: number) => bottom - (value / ceiling) * PLOT_HEIGHT;
  const slot = plotWidth / count;
  const markup: string[] = [];
  if (block.unit) markup.push(label(PAD, top + 11, fit(block.unit, CHART_WIDTH - 2 * PAD)));
  for (const t of ticks) {
    markup.push(`<line x1="${n(left)}" y1="${n(y(t))}" x2="${n(left + plotWidth)}" y2="${n(y(t))}" stroke="${GRID}" stroke-width="1"/>`);
    markup.push(label(left - 4, y(t) + 4, chartNumber(t), 'end', AXIS));
  }
  const group = slot * (block.kind === 'line' ? 1 : 0.72);
  const valueText = (value: number, x: number, width: number) =>
    count <= 40 && textWidth(chartNumber(value)) + 2 <= Math.max(width, slot - 2)
      ? [label(x, y(value) - 3, chartNumber(value), 'middle')]
      : [];
  if (block.kind === 'line') {
    for (const s of series) {
      const points = s.values.map((v, i) => `${n(left + slot * (i + 0.5))},${n(y(v))}`).join(' ');
      markup.push(`<polyline points="${points}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"/>`);
      if (count <= 60)
        s.values.forEach((v, i) => markup.push(`<circle cx="${n(left + slot * (i + 0.5))}" cy="${n(y(v))}" r="2.5" fill="${s.color}"/>`));
    }
  } else {
    block.labels.forEach((_, i) => {
      const x0 = left + slot * i + (slot - group) / 2;
      if (stacked) {
        let base = 0;
        for (const s of series) {
          const v = s.values[i];
          if (v > 0) markup.push(rect(x0, y(base + v), group, y(base) - y(base + v), s.color));
          base += v;
        }
        markup.push(...valueText(totals[i], x0 + group / 2, group));
      } else {
        const width = group / series.length;
        series.forEach((s, k) => {
          const v = s.values[i];
          if (v > 0) markup.push(rect(x0 + k * width, y(v), width, bottom - y(v), s.color));
          if (series.length === 1) markup.push(...valueText(v, x0 + width / 2, width));
        });
      }
    });
  }
  markup.push(`<line x1="${n(left)}" y1="${n(bottom)}" x2="${n(left + plotWidth)}" y2="${n(bottom)}" stroke="${AXIS}" stroke-width="1"/>`);
  // Every k-th label counted back from the last, so that none overlaps the next.
  const widest = Math.max(...block.labels.map((l) => Math.min(textWidth(l), 160)));
  const every = Math.max(1, Math.ceil((widest + 8) / slot));
  const room = Math.min(160, slot * every - 6);
  block.labels.forEach((text, i) => {
    if ((count - 1 - i) % every !== 0) return;
    const shown = fit(text, room);
    const half = textWidth(shown) / 2;
    const centre = Math.min(Math.max(left + slot * (i + 0.5), half + 1), CHART_WIDTH - half - 1);
    markup.push(label(centre, bottom + LINE, shown, 'middle', AXIS));
  });
  return { markup, height: bottom + LINE + PAD - top };
}

function rect(x: number, y: number, width: number, height: number, fill: string): string {
  return `<rect x="${n(x)}" y="${n(y)}" width="${n(Math.max(width, 0.5))}" height="${n(height)}" fill="${fill}"/>`;
}

/** Bars lying along the labels: labels on the left (up to two lines), the value at each bar's end. */
function lying(block: ChartBlock, series: Series[], top: number): { markup: string[]; height: number } {
  const stacked = block.kind === 'stacked';
  const totals = block.labels.map((_, i) => series.reduce((sum, s) => sum + s.values[i], 0));
  const max = stacked ? Math.max(0, ...totals) : Math.max(0, ...series.flatMap((s) => s.values));
  const { top: ceiling, ticks } = scale(
    max,
    series.every((s) => s.values.every(Number.isInteger)),
  );
  const gutterMax = CHART_WIDTH * 0.38;
  const lines = block.labels.map((l) => wrap(l, gutterMax, 2));
  const gutter = Math.min(gutterMax, Math.max(...lines.flat().map((l) => textWidth(l)))) + PAD;
  const valueRoom =
    Math.max(...(stacked || series.length === 1 ? totals : series.flatMap((s) => s.values)).map((v) => textWidth(chartNumber(v)))) + 8;
  const left = PAD + gutter;
  const plotWidth = CHART_WIDTH - left - PAD - valueRoom;
  const bars = stacked ? 1 : series.length;
  const barHeight = bars === 1 ? 16 : 10;
  const row = Math.max(lines.some((l) => l.length > 1) ? 2 * LINE + 6 : LINE + 10, bars * barHeight + 10);
  const x = (value: number) => left + (value / ceiling) * plotWidth;
  const markup: string[] = [];
  const plotTop = top + (block.unit ? LINE + 4 : 0);
  const bottom = plotTop + row * block.labels.length;
  for (const t of ticks) {
    markup.push(`<line x1="${n(x(t))}" y1="${n(plotTop)}" x2="${n(x(t))}" y2="${n(bottom)}" stroke="${GRID}" stroke-width="1"/>`);
    markup.push(label(x(t), bottom + LINE, chartNumber(t), 'middle', AXIS));
  }
  if (block.unit) markup.push(label(left, top + 11, fit(block.unit, plotWidth)));
  block.labels.forEach((_, i) => {
    const rowTop = plotTop + row * i;
    const textTop = rowTop + row / 2 - (lines[i].length * LINE) / 2 + 11;
    lines[i].forEach((line, k) => markup.push(label(left - PAD, textTop + k * LINE, line, 'end')));
    const y0 = rowTop + (row - bars * barHeight) / 2;
    if (stacked) {
      let base = 0;
      for (const s of series) {
        const v = s.values[i];
        if (v > 0) markup.push(rect(x(base), y0, x(base + v) - x(base), barHeight, s.color));
        base += v;
      }
      markup.push(label(x(totals[i]) + 4, y0 + barHeight / 2 + 4, chartNumber(totals[i])));
    } else {
      series.forEach((s, k) => {
        const v = s.values[i];
        if (v > 0) markup.push(rect(left, y0 + k * barHeight, x(v) - left, barHeight, s.color));
        markup.push(label(x(v) + 4, y0 + k * barHeight + barHeight / 2 + 4, chartNumber(v)));
      });
    }
  });
  markup.push(`<line x1="${n(left)}" y1="${n(plotTop)}" x2="${n(left)}" y2="${n(bottom)}" stroke="${AXIS}" stroke-width="1"/>`);
  return { markup, height: bottom + LINE + PAD - top };
}

/** One series as slices of a circle, with a legend of labels, values and shares on its right. */
function pie(block: ChartBlock, series: Series, top: number): { markup: string[]; height: number } {
  const radius = 100;
  const cx = PAD + radius;
  const cy = top + radius + PAD;
  const total = series.values.reduce((a, b) => a + b, 0);
  const colors = block.labels.map((_, i) => CHART_PALETTE[i % CHART_PALETTE.length]);
  const markup: string[] = [];
  if (total === 0) markup.push(`<circle cx="${n(cx)}" cy="${n(cy)}" r="${radius}" fill="none" stroke="${GRID}" stroke-width="1"/>`);
  let angle = -Math.PI / 2;
  series.values.forEach((v, i) => {
    if (v <= 0) return;
    if (v === total) {
      markup.push(`<circle cx="${n(cx)}" cy="${n(cy)}" r="${radius}" fill="${colors[i]}"/>`);
      return;
    }
    const end = angle + (v / total) * 2 * Math.PI;
    const [x1, y1, x2, y2] = [
      cx + radius * Math.cos(angle),
      cy + radius * Math.sin(angle),
      cx + radius * Math.cos(end),
      cy + radius * Math.sin(end),
    ];
    const large = end - angle > Math.PI ? 1 : 0;
    markup.push(
      `<path d="M${n(cx)} ${n(cy)}L${n(x1)} ${n(y1)}A${radius} ${radius} 0 ${large} 1 ${n(x2)} ${n(y2)}Z" fill="${colors[i]}" stroke="#FFFFFF" stroke-width="1"/>`,
    );
    angle = end;
  });
  const legendLeft = cx + radius + 3 * PAD;
  block.labels.forEach((text, i) => {
    const y = top + PAD + i * LINE;
    const share = total > 0 ? ` (${chartNumber((series.values[i] / total) * 100)} %)` : '';
    const value = `${chartNumber(series.values[i])}${share}`;
    markup.push(`<rect x="${n(legendLeft)}" y="${n(y + 2)}" width="10" height="10" fill="${colors[i]}"/>`);
    markup.push(label(legendLeft + 14, y + 11, `${fit(text, CHART_WIDTH - legendLeft - 24 - textWidth(value) - 8)} ${value}`));
  });
  return { markup, height: Math.max(2 * radius + 2 * PAD, block.labels.length * LINE + 2 * PAD) };
}

/**
 * The chart as a standalone SVG document (`<svg>…</svg>`, UTF-8 text, {@link CHART_WIDTH} wide):
 * bars, stacked bars, lines or a pie over a value axis with round steps, the labels (as many as
 * fit without overlapping: every k-th of a long series), a legend when there are several series,
 * the value at each bar where it fits, and `<title>` and `<desc>` (the title and the
 * {@link chartDescription text alternative}) for screen readers. Text is in
 * {@link CHART_FONT_FAMILY}; every model string is escaped and its control characters made
 * visible, so the markup can go inline into HTML as it is. Deterministic: the same block gives
 * the same bytes, with no id, date or random number in them. Throws, listing the
 * {@link chartProblems}, for a chart those refuse.
 *
 * @example
 * ```ts
 * const svg = chartSvg({ type: 'chart', kind: 'bar', title: 'Controls by status', labels: ['Compliant', 'Non-compliant'],
 *   series: [{ name: 'Controls', values: [12, 3] }], orientation: 'horizontal', unit: 'Controls' });
 * ```
 */
export function chartSvg(block: ChartBlock): string {
  const problems = chartProblems(block);
  if (problems.length > 0)
    throw new Error(
      `chartSvg: the chart "${block.title}" cannot be drawn: ${problems.map((p) => `${p.code} at ${p.path}: ${p.message}`).join('; ')}`,
    );
  const series: Series[] = block.series.map((s, i) => ({
    name: s.name,
    values: s.values,
    color: brandColor(s.color) ?? CHART_PALETTE[i % CHART_PALETTE.length],
  }));
  const markup: string[] = [];
  let height: number;
  if (block.labels.length === 0) {
    markup.push(label(CHART_WIDTH / 2, 34, 'No data', 'middle', AXIS));
    height = 56;
  } else {
    const key = block.kind !== 'pie' && (series.length > 1 || block.kind === 'stacked') ? legend(series, PAD) : { markup: [], height: 0 };
    const top = PAD + key.height;
    const body =
      block.kind === 'pie'
        ? pie(block, series[0], top)
        : block.orientation === 'horizontal' && block.kind !== 'line'
          ? lying(block, series, top)
          : upright(block, series, top);
    markup.push(...key.markup, ...body.markup);
    height = Math.ceil(top + body.height + PAD);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${height}" viewBox="0 0 ${CHART_WIDTH} ${height}" role="img" font-family="${CHART_FONT_FAMILY}, Verdana, sans-serif" font-size="${FONT}">`,
    `<title>${xml(block.title)}</title>`,
    `<desc>${xml(chartDescription(block))}</desc>`,
    `<rect width="${CHART_WIDTH}" height="${height}" fill="#FFFFFF"/>`,
    ...markup,
    '</svg>',
  ].join('\n');
}
