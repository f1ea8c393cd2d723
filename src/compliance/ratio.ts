/**
 * RATIO thresholds in exact arithmetic (ADR 0035). A threshold is read as the decimal it is written
 * as (0.95 is 95/100, not the binary double just below it), so a share is compared with it on
 * whole numbers: `qualifying / population >= n / d` ⇔ `qualifying · d >= n · population`.
 */

/** `value` (from 0 to 1) as the fraction of its shortest decimal form: 0.95 → 95/100, 1e-7 → 1/10⁷. */
export function decimalFraction(value: number): { n: bigint; d: bigint } {
  const parts = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (!parts) throw new Error(`not a ratio: ${value}`);
  const [, whole, fraction = '', exponent = '0'] = parts;
  const shift = Number(exponent) - fraction.length;
  const digits = BigInt(whole + fraction);
  return shift >= 0 ? { n: digits * 10n ** BigInt(shift), d: 1n } : { n: digits, d: 10n ** BigInt(-shift) };
}

/** The fewest of `population` events that must qualify for a share of at least `atLeast`: ⌈atLeast · population⌉. */
export function ratioRequired(atLeast: number, population: number): number {
  const { n, d } = decimalFraction(atLeast);
  return Number((n * BigInt(population) + d - 1n) / d);
}

/** `atLeast` as a percentage, exactly as written: 0.95 → `95 %`, 0.999 → `99.9 %`. */
export function ratioPercent(atLeast: number): string {
  const { n, d } = decimalFraction(atLeast);
  const places = String(d).length - 3;
  if (places <= 0) return `${n * 10n ** BigInt(-places)} %`;
  const digits = String(n).padStart(places + 1, '0');
  return `${digits.slice(0, -places)}.${digits.slice(-places)} %`;
}

/** A share as a percentage to one decimal, rounded down: never shown as reaching a threshold it misses. */
export function sharePercent(part: number, whole: number): string {
  const tenths = Math.floor((part * 1000) / whole);
  return `${Math.floor(tenths / 10)}.${tenths % 10} %`;
}
