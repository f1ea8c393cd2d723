import path from 'node:path';
import { RECORD, REPO_ROOT, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

const GENERATE = `mutation G($input: GenerateReportInput!) {
  generateReport(input: $input) { id status progress error sizeBytes sha256 downloadUrl contentBase64 }
}`;
const REPORT = `query R($id: ID!) { report(id: $id) { id status progress error sizeBytes sha256 headSequence downloadUrl } }`;

/** With REPORT_SYNC_MAX_ROWS=1, any report listing two events or more is generated in the background. */
describe('reports generated in the background', () => {
  let env: TestEnvironment;
  let auditor: string;
  const TENANT = 'background';
  const PERIOD = { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };

  beforeAll(async () => {
    env = await createTestEnvironment({
      REPORT_SYNC_MAX_ROWS: '1',
      DATAPUNK_PLUGINS: path.join(REPO_ROOT, 'test/fixtures/plugins/format-failing-render'),
    });
    auditor = await env.createKey('AUDITOR', TENANT);
    const res = await env.gql(
      RECORD,
      { input: { events: [eventInput(), eventInput({ action: 'auth.logout' })] } },
      await env.createKey('INGEST', TENANT),
    );
    expect(res.body.errors).toBeUndefined();
  });
  afterAll(() => env?.close());

  /** Polls report(id) until it leaves PENDING (at most ~20 s). */
  async function settled(id: string) {
    for (let i = 0; i < 200; i += 1) {
      const res = await env.gql(REPORT, { id }, auditor);
      const report = res.body.data!.report;
      if (report.status !== 'PENDING') return report;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the report stayed PENDING');
  }

  it('answers PENDING at once, then becomes READY with the file, its hash and a download URL', async () => {
    const res = await env.gql(GENERATE, { input: { type: 'AUDIT_TRAIL', format: 'docx', ...PERIOD } }, auditor);
    expect(res.body.errors).toBeUndefined();
    const pending = res.body.data!.generateReport;
    expect(pending).toMatchObject({
      status: 'PENDING',
      sizeBytes: null,
      sha256: null,
      downloadUrl: null,
      contentBase64: null,
      error: null,
    });
    expect(pending.progress).toBeLessThan(100);

    const ready = await settled(pending.id);
    expect(ready).toMatchObject({ status: 'READY', progress: 100, error: null, headSequence: 2 });
    const download = await fetch(new URL(ready.downloadUrl, env.url));
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBe(ready.sizeBytes);
    const [event] = await env.sql<{ n: unknown }>(
      "SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = ? AND action = 'datapunk.report.generated' AND resource_id = ?",
      [TENANT, pending.id],
    );
    expect(Number(event.n)).toBe(1);
  });

  it('ends FAILED with the reason when rendering fails, and serves nothing', async () => {
    const res = await env.gql(GENERATE, { input: { type: 'AUDIT_TRAIL', format: 'broken', ...PERIOD } }, auditor);
    expect(res.body.errors).toBeUndefined();
    const failed = await settled(res.body.data!.generateReport.id);
    expect(failed).toMatchObject({ status: 'FAILED', error: 'the printer is on fire', downloadUrl: null, sizeBytes: null });
    const chunks = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM report_chunk WHERE report_id = ?', [failed.id]);
    expect(Number(chunks[0].n)).toBe(0);
  });

  it('still generates a small report within the request', async () => {
    const res = await env.gql(GENERATE, { input: { type: 'COMPLIANCE_SUMMARY', format: 'json', frameworkId: 'soc2', ...PERIOD } }, auditor);
    expect(res.body.data!.generateReport).toMatchObject({ status: 'READY', progress: 100 });
    expect(res.body.data!.generateReport.contentBase64).not.toBeNull();
  });

  it('marks reports a stopped server left PENDING as FAILED', async () => {
    await env.sql(
      "INSERT INTO report (id, tenant_id, type, format, status, progress, period_from, period_to, file_name, mime_type, created_by, created_at) VALUES (?, ?, 'AUDIT_TRAIL', 'json', 'PENDING', 10, ?, ?, 'x.json', 'application/json', 'k', ?)",
      ['01900000-0000-7000-8000-000000000001', TENANT, '2026-01-01 00:00:00.000', '2026-02-01 00:00:00.000', '2026-01-01 00:00:00.000'],
    );
    await env.app.services.reports.service.failAbandoned(60);
    const report = await env.gql(REPORT, { id: '01900000-0000-7000-8000-000000000001' }, auditor);
    expect(report.body.data!.report).toMatchObject({ status: 'FAILED', downloadUrl: null });
    expect(report.body.data!.report.error).toMatch(/stopped before it was done/);
  });
});
