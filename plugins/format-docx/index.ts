import { defineFormatPlugin } from '../../src/plugin-api';
import { renderDocx } from './render';

export default defineFormatPlugin({
  id: 'format-docx',
  kind: 'format',
  version: '1.2.0',
  apiVersion: '^1.2.0',
  name: 'Word (DOCX)',
  description:
    'Renders reports as Word documents: a cover with the integrity stamp, a table of contents, tables whose header row repeats on every page, and page numbers.',
  mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  fileExtension: 'docx',
  // Large tables arrive a page at a time and are deflated as they come (render.ts).
  streamsTables: true,
  render: (model) => renderDocx(model),
});
