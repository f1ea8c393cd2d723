import { BorderStyle, type IStylesOptions } from 'docx';
import { brandColor, readableTextOn, type ReportBranding } from '../../src/plugin-api';

// The look of the document: page geometry, colours and the built-in styles it uses. Only the
// built-in Normal and Heading 1-3 styles are used, with direct formatting for the rest, so that any
// reader maps the document without unknown styles.

/** A4 with 2.54 cm margins: the width text and tables may take, in twentieths of a point. */
export const PAGE = { width: 11906, height: 16838, margin: 1440 } as const;
export const TEXT_WIDTH = PAGE.width - 2 * PAGE.margin;
export const LANDSCAPE_TEXT_WIDTH = PAGE.height - 2 * PAGE.margin;
/** Tables with this many columns or more are laid out dense, on landscape pages. */
export const WIDE_TABLE = 6;
export const MUTED = '595959';
export const KEY_FILL = 'F2F2F2';
export const FINDING_FILL = 'FBFBFB';
export const GRID_COLOR = 'A6A6A6';
const GRID = { style: BorderStyle.SINGLE, size: 4, color: GRID_COLOR } as const;
export const GRID_BORDERS = { top: GRID, bottom: GRID, left: GRID, right: GRID, insideHorizontal: GRID, insideVertical: GRID };
export const CELL_MARGINS = { top: 40, bottom: 40, left: 80, right: 80 };

/** The colours a document is drawn in: the defaults, or the template's branding. */
export interface Theme {
  /** Title, headings, captions and finding frames. */
  accent: string;
  headerFill: string;
  headerText: string;
}

const DEFAULT_THEME: Theme = { accent: '1F3864', headerFill: 'D9E2F3', headerText: '000000' };

export function themeOf(branding: ReportBranding | undefined): Theme {
  const primary = brandColor(branding?.primaryColor);
  const fill = brandColor(branding?.accentColor);
  return {
    accent: primary?.slice(1) ?? DEFAULT_THEME.accent,
    headerFill: fill?.slice(1) ?? DEFAULT_THEME.headerFill,
    headerText: fill ? readableTextOn(fill).slice(1) : DEFAULT_THEME.headerText,
  };
}

/** Calibri 10 pt text; Heading 1-3 in the theme's accent. */
export function stylesOf(theme: Theme): IStylesOptions {
  const { accent } = theme;
  return {
    default: {
      document: { run: { font: 'Calibri', size: 20 } },
      heading1: { run: { font: 'Calibri', size: 32, bold: true, color: accent }, paragraph: { spacing: { before: 360, after: 160 } } },
      heading2: { run: { font: 'Calibri', size: 26, bold: true, color: accent }, paragraph: { spacing: { before: 240, after: 120 } } },
      heading3: { run: { font: 'Calibri', size: 22, bold: true, color: accent }, paragraph: { spacing: { before: 200, after: 80 } } },
    },
  };
}

export function marginsOf(margin: number) {
  return { top: margin, bottom: margin, left: margin, right: margin, header: 708, footer: 708 };
}
