import { types } from 'node:util';
import type { FormatPlugin, ReportModel, TableCell } from '../plugin-api';
import { type ContractProblem, error, messageOf, SILENT } from './contract-report';
import { contentProblems } from './content-checks';
import { sampleReportModel } from './sample-report';

/**
 * f. Render: the sample report rendered twice (the same bytes), a third time with its tables
 * streamed for a plugin that says it streams them, then the file checked for its format.
 */
export async function renderProblems(plugin: FormatPlugin<unknown>, options: unknown): Promise<ContractProblem[]> {
  const files: Buffer[] = [];
  for (let i = 0; i < 2; i++) {
    let file: unknown;
    try {
      file = await plugin.render(sampleReportModel(), { options, logger: SILENT });
    } catch (e) {
      return [error('render', `render() threw on the sample report: ${messageOf(e)}`)];
    }
    if (typeof file !== 'string' && !types.isUint8Array(file)) {
      const got = file === null ? 'null' : typeof file === 'object' ? 'an object' : typeof file;
      return [error('render', `render() returned ${got}: return the file as a Buffer, a Uint8Array or a string`)];
    }
    const bytes = typeof file === 'string' ? Buffer.from(file, 'utf8') : Buffer.from(file);
    if (!bytes.length) return [error('render', 'render() returned an empty file')];
    files.push(bytes);
  }
  const [first, second] = files;
  if (!first.equals(second)) {
    let at = 0;
    while (at < first.length && first[at] === second[at]) at++;
    return [
      error(
        'render',
        `two renders of the same report differ from byte ${at} on: the same model must give the same bytes. ` +
          'Take any date written into the file (the entry dates of a zip too, folder entries included) from model.integrity.generatedAt, not the clock, and avoid random ids',
      ),
    ];
  }
  if (plugin.streamsTables) {
    // A plugin that streams tables must not care how the rows arrive.
    let streamed: unknown;
    try {
      streamed = await plugin.render(inPages(sampleReportModel()), { options, logger: SILENT });
    } catch (e) {
      return [error('render', `render() threw on the sample report with its tables streamed (rowPages): ${messageOf(e)}`)];
    }
    const bytes =
      typeof streamed === 'string' ? Buffer.from(streamed, 'utf8') : types.isUint8Array(streamed) ? Buffer.from(streamed) : null;
    if (!bytes || !bytes.equals(first)) {
      return [
        error(
          'render',
          'the sample report renders differently with its tables streamed (a few rows in rows, the rest in rowPages) than whole: ' +
            'streamsTables promises the same bytes either way; read every table with tablePages()',
        ),
      ];
    }
  }
  return contentProblems(plugin.mimeType, first);
}

/** The model with each table's rows after the first two moved into pages of seven, as the host streams them. */
function inPages(model: ReportModel): ReportModel {
  const pages = async function* (rows: TableCell[][]) {
    for (let at = 0; at < rows.length; at += 7) yield rows.slice(at, at + 7);
  };
  return {
    ...model,
    sections: model.sections.map((section) => ({
      ...section,
      blocks: section.blocks.map((block) =>
        block.type === 'table' ? { ...block, rows: block.rows.slice(0, 2), rowPages: pages(block.rows.slice(2)) } : block,
      ),
    })),
  };
}
