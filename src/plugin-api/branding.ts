/**
 * A branding colour as `#RRGGBB` in upper case, or null when `value` is not one. The host checks
 * template colours already; a format checks again before writing one into its file.
 *
 * @example
 * ```ts
 * brandColor('#1f4e79'); // '#1F4E79'
 * brandColor('red'); // null
 * ```
 */
export function brandColor(value: unknown): string | null {
  return typeof value === 'string' && /^#[0-9a-fA-F]{6}$/.test(value) ? value.toUpperCase() : null;
}

/**
 * Black or white, whichever reads better as text on `fill` (a `#RRGGBB` colour), by the WCAG
 * contrast ratio.
 *
 * @example
 * ```ts
 * readableTextOn('#263238'); // '#FFFFFF'
 * readableTextOn('#FFF2CC'); // '#000000'
 * ```
 */
export function readableTextOn(fill: string): '#000000' | '#FFFFFF' {
  const channel = (offset: number) => {
    const value = parseInt(fill.slice(offset, offset + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.05 ? '#FFFFFF' : '#000000';
}
