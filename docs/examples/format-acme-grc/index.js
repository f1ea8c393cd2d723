// index.js: a report as XML for the Acme GRC importer: the integrity stamp, the findings and every
// table row. It streams tables (plugin API 1.1): an audit trail's rows arrive a page at a time.
const { defineFormatPlugin, neutraliseControls, tablePages } = require('datapunk-audit/plugin-api');

const entities = (text) => String(text).replace(/[&<>"'\t\r\n]/g, (c) => `&#${c.charCodeAt(0)};`);
// Control and bidirectional characters (NUL, ESC, C1, U+202E, which reorders text on screen)
// become a visible escape such as \u202E (neutraliseControls, plugin API 1.2); U+FFFE/U+FFFF,
// which XML 1.0 cannot hold, are dropped; a lone surrogate becomes U+FFFD.
const xml = (value) => entities(neutraliseControls(String(value ?? '').toWellFormed()).replace(/[\uFFFE\uFFFF]/g, ''));

/** A chart as the table of its data: a label column, then a column per series. */
function chartTable(chart) {
  const columns = [{ key: 'label' }, ...chart.series.map((series) => ({ key: series.name }))];
  const rows = chart.labels.map((label, i) => [label, ...chart.series.map((series) => series.values[i] ?? null)]);
  return { caption: chart.title, columns, rows };
}

module.exports = defineFormatPlugin({
  id: 'format-acme-grc',
  kind: 'format',
  version: '1.3.0',
  apiVersion: '^1.2.0',
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
          for await (const page of tablePages(table)) {
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
});
