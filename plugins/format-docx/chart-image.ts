import type * as ResvgModule from '@resvg/resvg-js';
import { ImageRun, Paragraph } from 'docx';
import { CHART_FONT_FAMILY, CHART_WIDTH, type ChartBlock, chartDescription, chartSvg } from '../../src/plugin-api';
import type { Build } from './document-build';
import { clean } from './text-runs';

// A chart as a picture (ADR 0041): the contract's SVG, which Word 2016 and later draw, with a PNG
// that resvg rasterises from it for every other reader. The font is shipped (dejavu-fonts-ttf) and
// the system's fonts are never loaded, so the PNG has text on a machine without fonts and the
// same bytes on every machine.

const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((file) => require.resolve(`dejavu-fonts-ttf/ttf/${file}`));
/** The PNG has twice the SVG's pixels: sharp when printed, still small (tens of KiB). */
const PNG_SCALE = 2;
/** Twentieths of a point per CSS pixel (96 dpi). */
const TWIPS_PER_PIXEL = 15;

let resvg: typeof ResvgModule | undefined;

/**
 * resvg, loaded at the first chart: a native module of a few MiB that a server rendering no chart
 * (an audit trail, an HTML report) never needs in memory.
 */
function rasteriser(): typeof ResvgModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  resvg ??= require('@resvg/resvg-js') as typeof ResvgModule;
  return resvg;
}

/** The chart drawn, as the paragraph of one inline picture as wide as the text, kept with what follows. */
export function chartPicture(block: ChartBlock, build: Build): Paragraph {
  const svg = chartSvg(block);
  const height = Number(/ height="(\d+)"/.exec(svg)![1]);
  const png = new (rasteriser().Resvg)(svg, {
    fitTo: { mode: 'width', value: CHART_WIDTH * PNG_SCALE },
    background: '#FFFFFF',
    font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: CHART_FONT_FAMILY },
  })
    .render()
    .asPng();
  const width = Math.min(CHART_WIDTH, Math.floor(build.width / TWIPS_PER_PIXEL));
  build.pictures += 1;
  return new Paragraph({
    keepNext: true,
    spacing: { after: 80 },
    children: [
      new ImageRun({
        type: 'svg',
        data: Buffer.from(svg, 'utf8'),
        fallback: { type: 'png', data: png },
        transformation: { width, height: Math.round((width * height) / CHART_WIDTH) },
        // An id of the document's own: the docx package's counter runs across documents.
        altText: {
          id: String(build.pictures),
          name: `Chart ${build.pictures}`,
          title: clean(block.title),
          description: clean(chartDescription(block)),
        },
      }),
    ],
  });
}
