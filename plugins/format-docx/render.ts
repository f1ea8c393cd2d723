import { Document, Footer, Header, Packer, PageOrientation, type FileChild } from 'docx';
import { randomUUID } from 'node:crypto';
import type { ReportModel } from '../../src/plugin-api';
import { section } from './blocks';
import type { Build } from './document-build';
import { contents, cover, pageFooter, pageHeader } from './front-matter';
import { repack, timestampOf } from './packaging';
import { LANDSCAPE_TEXT_WIDTH, marginsOf, PAGE, stylesOf, TEXT_WIDTH, themeOf, WIDE_TABLE } from './page-style';
import { appendixPlaceholder, withTables } from './table-stream';
import { clean } from './text-runs';

// The document is built with the docx package (front-matter.ts, blocks.ts), except for the rows of
// data tables, which stream into word/document.xml as markup (table-stream.ts) while packaging.ts
// zips the file again with its dates fixed.

const CREATOR = 'DataPunk Audit';

/** Renders a report model as a Word document (Office Open XML); the same model gives the same bytes. */
export async function renderDocx(model: ReportModel): Promise<Buffer> {
  const generatedAt = timestampOf(model.integrity.generatedAt);
  const build: Build = {
    theme: themeOf(model.branding),
    tables: [],
    marker: `datapunk-table-${randomUUID()}-`,
    width: TEXT_WIDTH,
    pictures: 0,
  };
  const document = new Document({
    title: clean(model.title),
    subject: clean(model.metadata.reportType ?? ''),
    creator: CREATOR,
    lastModifiedBy: CREATOR,
    keywords: clean(['audit report', model.metadata.reportType, model.integrity.tenantId].filter(Boolean).join(', ')),
    description: clean(
      `Audit report for tenant ${model.integrity.tenantId}, ${model.integrity.from} to ${model.integrity.to}; ` +
        `audit chain head at sequence ${model.integrity.headSequence}, chain hash ${model.integrity.headChainHash}.`,
    ),
    features: { updateFields: true },
    styles: stylesOf(build.theme),
    sections: pageRuns(model, build).map((run, index) => {
      const width = run.landscape ? LANDSCAPE_TEXT_WIDTH : TEXT_WIDTH;
      return {
        properties: {
          // The first run opens with the cover, which has no header or footer.
          titlePage: index === 0,
          page: {
            size: {
              width: PAGE.width,
              height: PAGE.height,
              orientation: run.landscape ? PageOrientation.LANDSCAPE : PageOrientation.PORTRAIT,
            },
            margin: marginsOf(PAGE.margin),
          },
        },
        headers: { default: pageHeader(model.integrity), ...(index === 0 ? { first: new Header({ children: [] }) } : {}) },
        footers: {
          default: pageFooter(model.title, model.branding?.footer, width),
          ...(index === 0 ? { first: new Footer({ children: [] }) } : {}),
        },
        children: run.children,
      };
    }),
  });
  return repack(await Packer.toBuffer(document), generatedAt, (xml) => withTables(xml, build));
}

/**
 * The document in runs of pages of one orientation: portrait, but landscape for a section with a
 * table of WIDE_TABLE columns or more (an audit trail with hashes), which portrait would squeeze.
 */
function pageRuns(model: ReportModel, build: Build): { landscape: boolean; children: FileChild[] }[] {
  const runs = [{ landscape: false, children: [...cover(model, build), ...contents(model, build)] }];
  for (const reportSection of model.sections) {
    const landscape = reportSection.blocks.some((b) => b.type === 'table' && b.columns.length >= WIDE_TABLE);
    build.width = landscape ? LANDSCAPE_TEXT_WIDTH : TEXT_WIDTH;
    const children = section(reportSection, build);
    const last = runs[runs.length - 1];
    if (last.landscape === landscape) last.children.push(...children);
    else runs.push({ landscape, children });
  }
  // Where the full hashes go when a table shortened them (table-stream.ts); removed when none did.
  runs[runs.length - 1].children.push(appendixPlaceholder(build));
  return runs;
}
