import { defineFormatPlugin, type ReportModel } from '../../src/plugin-api';

/**
 * The report as one JSON document, for programs: the whole model, pretty-printed, under a header
 * that names the format and its version, so a reader can tell a DataPunk report from other JSON
 * and refuse a version it does not know:
 *
 * ```json
 * { "format": "datapunk-report", "version": 1, "title": "…", "metadata": {}, "integrity": {}, "sections": [] }
 * ```
 *
 * Chart blocks stay data (`labels`, `series`). Written by `JSON.stringify` only, so every string is
 * escaped as JSON requires and a reader gets back exactly the strings of the model. Keys come in a
 * fixed order at the top and in the model's order below it: the same model gives the same bytes.
 * Numbers that JSON cannot carry (`NaN`, `Infinity`) become `null`.
 */
export default defineFormatPlugin({
  id: 'format-json',
  kind: 'format',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  name: 'JSON',
  description: 'Renders reports as one JSON document: the whole report model, with the integrity stamp, for programs to read.',
  mimeType: 'application/json',
  fileExtension: 'json',
  render: (model: ReportModel) => {
    const document = {
      format: 'datapunk-report',
      version: 1,
      title: model.title,
      metadata: model.metadata,
      integrity: model.integrity,
      sections: model.sections,
    };
    return Buffer.from(`${JSON.stringify(document, null, 2)}\n`, 'utf8');
  },
});
