import { AlignmentType, Footer, Header, PageBreak, PageNumber, Paragraph, Tab, TableOfContents, TextRun, type FileChild } from 'docx';
import type { IntegrityStamp, ReportModel } from '../../src/plugin-api';
import { caption, keyValueTable } from './blocks';
import type { Build } from './document-build';
import { MUTED } from './page-style';
import { labelOf, runs } from './text-runs';

// What comes before the report's sections and around every page: the cover with the integrity
// stamp, the table of contents, the page header and footer.

export function cover(model: ReportModel, build: Build): FileChild[] {
  const metadata = Object.entries(model.metadata).map(([key, value]) => ({ key: labelOf(key), value }));
  return [
    new Paragraph({
      spacing: { before: 2400, after: 360 },
      children: runs(model.title, { bold: true, size: 52, color: build.theme.accent }),
    }),
    ...(metadata.length > 0 ? [keyValueTable(metadata)] : []),
    caption('Integrity of the audit log', build),
    keyValueTable(integrityItems(model.integrity), 16),
    new Paragraph({
      spacing: { before: 120 },
      children: runs('Verify these values against the audit chain to confirm that the report covers an unaltered log.', {
        size: 16,
        color: MUTED,
      }),
    }),
    new Paragraph({ children: [new PageBreak()] }),
  ];
}

function integrityItems(stamp: IntegrityStamp): { key: string; value: string }[] {
  const checkpoint = stamp.checkpoint;
  return [
    { key: 'Tenant', value: stamp.tenantId },
    { key: 'Period from', value: stamp.from },
    { key: 'Period to (exclusive)', value: stamp.to },
    { key: 'Head sequence', value: String(stamp.headSequence) },
    { key: 'Head chain hash', value: stamp.headChainHash },
    ...(checkpoint
      ? [
          { key: 'Latest checkpoint sequence', value: String(checkpoint.sequence) },
          { key: 'Checkpoint chain hash', value: checkpoint.chainHash },
          { key: 'Checkpoint key id', value: checkpoint.keyId },
          { key: 'Checkpoint signature', value: checkpoint.signature },
          { key: 'Checkpoint issued at', value: checkpoint.issuedAt },
        ]
      : [{ key: 'Latest checkpoint', value: 'none' }]),
    { key: 'Generated at', value: stamp.generatedAt },
  ];
}

export function contents(model: ReportModel, build: Build): FileChild[] {
  return [
    new Paragraph({ spacing: { after: 200 }, children: runs('Contents', { bold: true, size: 32, color: build.theme.accent }) }),
    // A field whose shown result lists the sections, so that a reader that does not update fields
    // (LibreOffice, a viewer, a print) shows them; Word fills in headings and page numbers on opening.
    new TableOfContents('Contents', {
      hyperlink: true,
      headingStyleRange: '1-3',
      contentChildren: model.sections.map(
        (reportSection) => new Paragraph({ spacing: { after: 60 }, children: runs(reportSection.title) }),
      ),
    }),
    new Paragraph({
      spacing: { before: 120 },
      children: runs('Word adds the page numbers when it opens the document: accept its prompt to update the fields.', {
        italics: true,
        size: 16,
        color: MUTED,
      }),
    }),
    new Paragraph({ children: [new PageBreak()] }),
  ];
}

export function pageHeader(stamp: IntegrityStamp): Header {
  return new Header({
    children: [
      new Paragraph({
        alignment: AlignmentType.RIGHT,
        children: runs(`Tenant ${stamp.tenantId} · ${stamp.from} – ${stamp.to} · head sequence ${stamp.headSequence}`, {
          size: 14,
          color: MUTED,
        }),
      }),
    ],
  });
}

export function pageFooter(title: string, footer: string | undefined, width: number): Footer {
  return new Footer({
    children: [
      new Paragraph({
        tabStops: [{ type: 'right', position: width }],
        children: [
          ...runs(footer ? `${footer} · ${title}` : title, { size: 16, color: MUTED }),
          new TextRun({ size: 16, color: MUTED, children: [new Tab(), 'Page ', PageNumber.CURRENT, ' of ', PageNumber.TOTAL_PAGES] }),
        ],
      }),
    ],
  });
}
