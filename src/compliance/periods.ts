import type { Period } from '../plugin-api';

/** A calendar period in UTC: `[start, end)`, with its label (`2026-11`, `2026-W48`, `2026-Q4`, …). */
export interface PeriodSpan {
  label: string;
  start: Date;
  end: Date;
}

const DAY_MS = 86_400_000;
/** Midnight UTC; setUTCFullYear, because Date.UTC reads years 0–99 as 1900–1999. */
const utc = (y: number, m: number, d: number) => {
  const date = new Date(0);
  date.setUTCFullYear(y, m, d);
  return date;
};

/** The start of the period that holds `at`. Weeks start on Monday (ISO 8601). */
export function periodStart(period: Period, at: Date): Date {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  const d = at.getUTCDate();
  switch (period) {
    case 'DAY':
      return utc(y, m, d);
    case 'WEEK':
      return utc(y, m, d - ((at.getUTCDay() + 6) % 7));
    case 'MONTH':
      return utc(y, m, 1);
    case 'QUARTER':
      return utc(y, m - (m % 3), 1);
    case 'YEAR':
      return utc(y, 0, 1);
  }
}

/** The start of the period after the one that starts at `start`. */
export function nextPeriodStart(period: Period, start: Date): Date {
  const y = start.getUTCFullYear();
  const m = start.getUTCMonth();
  const d = start.getUTCDate();
  switch (period) {
    case 'DAY':
      return utc(y, m, d + 1);
    case 'WEEK':
      return utc(y, m, d + 7);
    case 'MONTH':
      return utc(y, m + 1, 1);
    case 'QUARTER':
      return utc(y, m + 3, 1);
    case 'YEAR':
      return utc(y + 1, 0, 1);
  }
}

function label(period: Period, start: Date): string {
  const iso = start.toISOString();
  switch (period) {
    case 'DAY':
      return iso.slice(0, 10);
    case 'WEEK': {
      // ISO week-numbering year: the year of the week's Thursday.
      const thursday = new Date(start.getTime() + 3 * DAY_MS);
      const firstThursday = periodStart('WEEK', utc(thursday.getUTCFullYear(), 0, 4));
      const week = Math.round((start.getTime() - firstThursday.getTime()) / (7 * DAY_MS)) + 1;
      return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
    }
    case 'MONTH':
      return iso.slice(0, 7);
    case 'QUARTER':
      return `${iso.slice(0, 4)}-Q${Math.floor(start.getUTCMonth() / 3) + 1}`;
    case 'YEAR':
      return iso.slice(0, 4);
  }
}

/**
 * The periods that overlap `[from, end)`, each marked whole (entirely inside) or not. At most
 * `limit` (the newest are kept): a daily rule over ten years is 3,653 periods, not millions.
 */
export function periodsBetween(period: Period, from: Date, end: Date, limit = 5000): (PeriodSpan & { whole: boolean })[] {
  const spans: (PeriodSpan & { whole: boolean })[] = [];
  for (let start = periodStart(period, from); start < end; start = nextPeriodStart(period, start)) {
    const stop = nextPeriodStart(period, start);
    spans.push({ label: label(period, start), start, end: stop, whole: start >= from && stop <= end });
    if (spans.length > limit) spans.shift();
  }
  return spans;
}

/**
 * The span a period label names (`2026-11`, `2026-W48`, `2026-Q4`, `2026`, `2026-11-03`), or null
 * when the text is not a label of that period: read by its shape, then checked by labelling the
 * start again, so `2026-02-30` or `2026-W54` are refused.
 */
export function periodOfLabel(period: Period, text: string): PeriodSpan | null {
  const shapes: Record<Period, RegExp> = {
    DAY: /^(\d{4})-(\d{2})-(\d{2})$/,
    WEEK: /^(\d{4})-W(\d{2})$/,
    MONTH: /^(\d{4})-(\d{2})$/,
    QUARTER: /^(\d{4})-Q([1-4])$/,
    YEAR: /^(\d{4})$/,
  };
  const m = shapes[period].exec(text);
  if (!m) return null;
  const [y, a, b] = [Number(m[1]), Number(m[2] ?? 1), Number(m[3] ?? 1)];
  const start =
    period === 'WEEK'
      ? new Date(periodStart('WEEK', utc(y, 0, 4)).getTime() + (a - 1) * 7 * DAY_MS)
      : period === 'QUARTER'
        ? utc(y, (a - 1) * 3, 1)
        : utc(y, a - 1, b);
  if (label(period, start) !== text) return null;
  return { label: text, start, end: nextPeriodStart(period, start) };
}

/** The period label of a day (`YYYY-MM-DD`, as the day-grouped counts come back). */
export const periodOfDay = (period: Period, day: string): string => label(period, periodStart(period, new Date(`${day}T00:00:00.000Z`)));
