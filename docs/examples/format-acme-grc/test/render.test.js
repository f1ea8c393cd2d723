// test/render.test.js (`npm test`): the plugin contract, as `datapunk-audit plugin check` runs it, and
// the escaping of the hostile sample report, read back from the XML.
const assert = require('node:assert/strict');
const path = require('node:path');
const test = require('node:test');
const { checkPluginEntry, formatContractReport, SAMPLE_HOSTILE_STRINGS, sampleReportModel } = require('datapunk-audit/testing');
const plugin = require('..');

test('passes the DataPunk Audit plugin contract', async () => {
  const report = await checkPluginEntry(path.resolve(__dirname, '..'));
  assert.equal(report.passed, true, formatContractReport(report));
});

test('writes every hostile string of the sample as character data', async () => {
  const xml = String(await plugin.render(sampleReportModel({ rows: 20 }), { options: {}, logger: console }));
  for (const hostile of SAMPLE_HOSTILE_STRINGS.filter((s) => s.includes('<'))) assert.ok(!xml.includes(hostile), hostile);
  assert.match(xml, /<cell name="actor">&#60;script&#62;alert\(1\)&#60;\/script&#62;<\/cell>/);
});
