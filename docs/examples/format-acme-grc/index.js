// index.js: a report as XML for the Acme GRC importer: the integrity stamp, the findings and every
// table row. It streams tables (plugin API 1.1): an audit trail's rows arrive a page at a time.
const entities = (text) => String(text).replace(/[&<>"'\t\r\n]/g, (c) => `&#${c.charCodeAt(0)};`);
// Control and bidirectional characters (NUL, ESC, C1, U+202E, which reorders text on screen)
// become a visible escape such as \u202E, as neutraliseControls() of the plugin API writes them;
// U+FFFE/U+FFFF, which XML 1.0 cannot hold, are dropped; a lone surrogate becomes U+FFFD.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
const visible = (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
const xml = (value) =>
  entities(
    String(value ?? '')
      .toWellFormed()
      .replace(CONTROLS, visible)
      .replace(/[\uFFFE\uFFFF]/g, ''),
  );

/** A table's rows a page at a time: `rows`, then each page of `rowPages`. */
async function* pages(table) {
  if (table.rows.length > 0) yield table.rows;
  if (table.rowPages) for await (const page of table.rowPages) yield page;
}

/** A chart as the table of its data: a label column, then a column per series. */
function chartTable(chart) {
  const columns = [{ key: 'label' }, ...chart.series.map((series) => ({ key: series.name }))];
  const rows = chart.labels.map((label, i) => [label, ...chart.series.map((series) => series.values[i] ?? null)]);
  return { caption: chart.title, columns, rows };
}

module.exports = {
  id: 'format-acme-grc',
  kind: 'format',
  version: '1.2.0',
  apiVersion: '^1.1.0',
  name: 'Acme GRC import',
  mimeType: 'application/xml',
  fileExtension: 'xml',
  streamsTables: true,
  async render(model) {
    const stamp = model.integrity;
    const out = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<report title="${xml(model.title)}" tenant="${xml(stamp.tenantId)}" from="${xml(stamp.from)}" to="${xml(stamp.to)}"` +
        ` headSequence="${stamp.headSequence}" headChainHash="${xml(stamp.headChainHash)}" generatedAt="${xml(stamp.generatedAt)}">`,
    ];
    const checkpoint = stamp.checkpoint;
    if (checkpoint) {
      out.push(
        `  <checkpoint sequence="${checkpoint.sequence}" chainHash="${xml(checkpoint.chainHash)}" keyId="${xml(checkpoint.keyId)}"` +
          ` signature="${xml(checkpoint.signature)}" issuedAt="${xml(checkpoint.issuedAt)}"/>`,
      );
    }
    for (const section of model.sections) {
      out.push(`  <section id="${xml(section.id)}" title="${xml(section.title)}">`);
      for (const block of section.blocks) {
        if (block.type === 'finding') {
          out.push(`    <finding control="${xml(block.controlId)}" status="${xml(block.status)}">${xml(block.title)}</finding>`);
        } else if (block.type === 'table' || block.type === 'chart') {
          const table = block.type === 'chart' ? chartTable(block) : block;
          out.push(`    <table caption="${xml(table.caption)}">`);
          for await (const page of pages(table)) {
            for (const row of page) {
              const cells = table.columns.map((column, i) => `<cell name="${xml(column.key)}">${xml(row[i])}</cell>`);
              out.push(`      <row>${cells.join('')}</row>`);
            }
          }
          out.push('    </table>');
        }
      }
      out.push('  </section>');
    }
    out.push('</report>', '');
    return out.join('\n');
  },
};
