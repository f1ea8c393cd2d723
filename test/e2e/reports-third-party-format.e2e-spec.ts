import fs from 'node:fs';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';
import { copyExample, thirdPartyProject } from '../helpers/third-party-project';

const GENERATE = `mutation G($input: GenerateReportInput!) {
  generateReport(input: $input) { id status format fileName mimeType sizeBytes headSequence downloadUrl }
}`;
const HOSTILE = `<script>alert(1)</script> "quoted" & 'single'`;

/** docs/examples/format-acme-grc, installed outside this repository the way a deployer would, next to datapunk-audit. */
describe('a third-party format plugin (the documented example)', () => {
  let env: TestEnvironment;
  let outside: string;
  let auditor: string;
  const TENANT = 'third-party-format';
  const PERIOD = { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };

  beforeAll(async () => {
    outside = thirdPartyProject('dpa-format-');
    env = await createTestEnvironment({ DATAPUNK_PLUGINS: copyExample(outside, 'format-acme-grc', 'acme-grc') });
    auditor = await env.createKey('AUDITOR', TENANT);
    const ingest = await env.createKey('INGEST', TENANT);
    for (let batch = 0; batch < 2; batch++) {
      const events = Array.from({ length: 900 }, (_, i) =>
        eventInput({
          action: 'record.read',
          resource: { type: 'record', id: `r-${batch * 900 + i + 1}` },
          outcome: i === 0 ? { status: 'FAILURE', reason: HOSTILE } : { status: 'SUCCESS' },
        }),
      );
      expect((await env.gql(RECORD, { input: { events } }, ingest)).body.errors).toBeUndefined();
    }
  });
  afterAll(async () => {
    await env?.close();
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('renders an audit trail of 1,800 events, streamed across pages, as its XML with every event once', async () => {
    const res = await env.gql(GENERATE, { input: { type: 'AUDIT_TRAIL', format: 'acme-grc', ...PERIOD } }, auditor);
    expect(res.body.errors).toBeUndefined();
    const report = res.body.data!.generateReport;
    expect(report).toMatchObject({ status: 'READY', format: 'acme-grc', mimeType: 'application/xml', headSequence: 1800 });
    expect(report.fileName).toMatch(/^audit-trail-.*\.xml$/);
    const download = await fetch(new URL(report.downloadUrl, env.url));
    expect(download.headers.get('content-type')).toBe('application/xml');
    const xml = Buffer.from(await download.arrayBuffer()).toString('utf8');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<report title="Audit trail" tenant="third-party-format"/);
    const [head] = await env.sql<{ chain_hash: string }>('SELECT chain_hash FROM audit_event WHERE tenant_id = ? AND sequence = 1800', [
      TENANT,
    ]);
    expect(xml).toContain(`headSequence="1800" headChainHash="${head.chain_hash}"`);
    const resources = [...xml.matchAll(/<cell name="resource">record:r-(\d+)<\/cell>/g)].map((m) => Number(m[1]));
    expect(resources).toEqual(Array.from({ length: 1800 }, (_, i) => i + 1));
    // The hostile reason is character data, not markup.
    expect(xml).not.toContain('<script>');
    expect(xml).toContain('FAILURE: &#60;script&#62;alert(1)&#60;/script&#62; &#34;quoted&#34; &#38; &#39;single&#39;');
  });

  it('shows charts as tables of their data and the signed checkpoint, as the format contract asks', async () => {
    await env.app.services.checkpoints.issue(TENANT);
    const res = await env.gql(GENERATE, { input: { type: 'SECURITY_INCIDENTS', format: 'acme-grc', ...PERIOD } }, auditor);
    expect(res.body.errors).toBeUndefined();
    const xml = Buffer.from(await (await fetch(new URL(res.body.data!.generateReport.downloadUrl, env.url))).arrayBuffer()).toString(
      'utf8',
    );
    expect(xml).toMatch(/<checkpoint sequence="\d+" chainHash="[0-9a-f]{64}" keyId="[^"]+" signature="[^"]+" issuedAt="[^"]+"\/>/);
    const chart = /<table caption="Failures, denials and errors per day">\n([\s\S]*?)\n {4}<\/table>/.exec(xml);
    expect(chart![1]).toMatch(/<row><cell name="label">\d{4}-\d{2}-\d{2}<\/cell><cell name="Events">\d+<\/cell><\/row>/);
  });

  it('is refused by name when it is not loaded, listing the formats that are', async () => {
    const res = await env.gql(GENERATE, { input: { type: 'AUDIT_TRAIL', format: 'acme-pdf', ...PERIOD } }, auditor);
    expect(res.body.errors?.[0].extensions).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(res.body.errors?.[0].message).toContain('acme-grc');
  });
});
