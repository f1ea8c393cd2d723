import { defineFormatPlugin, type ReportModel, UNSAFE_CONTROL_CHARACTERS } from '../../src/plugin-api';

// JSON.stringify escapes C0 controls itself; DEL, C1 and the bidi controls it leaves raw.
const RAW_CONTROLS = new RegExp(UNSAFE_CONTROL_CHARACTERS.source, 'g');
const jsonEscape = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

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
 * Numbers that JSON cannot carry (`NaN`, `Infinity`) become `null`. No control character is
 * written raw: JSON.stringify escapes C0 controls, and DEL, the C1 controls and the bidirectional
 * controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) are written as JSON `\u` escapes
 * too, so a viewer cannot be made to reorder the text while a parser still gets the exact string.
 */
export default defineFormatPlugin({
  id: 'format-json',
  kind: 'format',
  version: '1.1.0',
  apiVersion: '^1.2.0',
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
    // Only inside strings can such a character occur, so its \u escape is lossless: a parser gets the exact string back.
    return Buffer.from(`${JSON.stringify(document, null, 2).replace(RAW_CONTROLS, jsonEscape)}\n`, 'utf8');
  },
});
