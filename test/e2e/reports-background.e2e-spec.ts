import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import mammoth from 'mammoth';
import { main } from '../../src/cli';
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
      REPORT_MAX_PENDING_PER_TENANT: '2',
      DATAPUNK_PLUGINS: ['format-failing-render', 'format-slow-render']
        .map((p) => path.join(REPO_ROOT, 'test/fixtures/plugins', p))
        .join(','),
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

  /** Polls report(id) until it leaves PENDING (at most ~30 s). */
  async function settled(id: string, key = auditor) {
    for (let i = 0; i < 300; i += 1) {
      const res = await env.gql(REPORT, { id }, key);
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

  it('stores the proof bundle file of a background report with the report, and it verifies offline', async () => {
    const res = await env.gql(GENERATE, { input: { type: 'AUDIT_TRAIL', format: 'csv', ...PERIOD, proofBundles: true } }, auditor);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.generateReport.status).toBe('PENDING');
    const report = await settled(res.body.data!.generateReport.id);
    expect(report.status).toBe('READY');
    const file = await env.gql(`query B($id: ID!) { reportProofBundles(id: $id) }`, { id: report.id }, auditor);
    expect(file.body.errors).toBeUndefined();
    const text = file.body.data!.reportProofBundles as string;
    // The CSV's rows and the bundles name the same events.
    const csv = Buffer.from(
      await (await fetch(new URL(report.downloadUrl, env.url), { headers: { authorization: `Bearer ${auditor}` } })).arrayBuffer(),
    ).toString('utf8');
    const sequences = (parseCsv(csv, { relax_column_count: true }) as string[][])
      .filter((row) => /^\d+$/.test(row[0] ?? ''))
      .map((row) => Number(row[0]));
    expect(sequences.length).toBeGreaterThanOrEqual(2);
    expect([...text.matchAll(/^index (\d+)$/gm)].map((m) => Number(m[1]) + 1)).toEqual(sequences);
    const keys = await env.gql('{ signingKeys { publicKeyPem trusted } }', {}, auditor);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-bg-bundles-'));
    try {
      fs.writeFileSync(path.join(dir, 'log.pem'), keys.body.data!.signingKeys.find((k: { trusted: boolean }) => k.trusted).publicKeyPem);
      fs.writeFileSync(path.join(dir, 'report.tlog-proofs'), text);
      let out = '';
      const code = await main(['verify-proof', '--key', path.join(dir, 'log.pem'), path.join(dir, 'report.tlog-proofs')], {
        out: (t) => (out += t),
        err: (t) => (out += t),
        env: {},
      });
      expect(out).toMatch(new RegExp(`^valid: ${sequences.length} bundle\\(s\\) verified$`, 'm'));
      expect(code).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
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

  describe('a 2,500-event audit trail, read from the database a page at a time', () => {
    const LARGE = 'background-large';
    let largeAuditor: string;
    beforeAll(async () => {
      largeAuditor = await env.createKey('AUDITOR', LARGE);
      const ingest = await env.createKey('INGEST', LARGE);
      for (let batch = 0; batch < 3; batch++) {
        const events = Array.from({ length: batch < 2 ? 1000 : 500 }, (_, i) =>
          eventInput({ action: 'record.read', resource: { type: 'record', id: `r-${batch * 1000 + i + 1}` } }),
        );
        const res = await env.gql(RECORD, { input: { events } }, ingest);
        expect(res.body.errors).toBeUndefined();
      }
    });

    async function download(format: string): Promise<{ bytes: Buffer; headSequence: number }> {
      const res = await env.gql(GENERATE, { input: { type: 'AUDIT_TRAIL', format, ...PERIOD } }, largeAuditor);
      expect(res.body.errors).toBeUndefined();
      const ready = await settled(res.body.data!.generateReport.id, largeAuditor);
      expect(ready).toMatchObject({ status: 'READY', progress: 100 });
      const file = await fetch(new URL(ready.downloadUrl, env.url));
      return { bytes: Buffer.from(await file.arrayBuffer()), headSequence: ready.headSequence };
    }

    it('lists every event once, in order, in a DOCX (a format that streams tables)', async () => {
      const { bytes, headSequence } = await download('docx');
      expect(headSequence).toBe(2500);
      const html = (await mammoth.convertToHtml({ buffer: bytes })).value;
      const sequences = [...html.matchAll(/<tr><td><p>(\d+)<\/p><\/td><td><p>\d{4}-/g)].map((m) => Number(m[1]));
      expect(sequences).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
      expect(html).toContain('r-2500');
    });

    it('serves a file of many chunks whole: an HTML page over 0.5 MiB, its SHA-256 as recorded', async () => {
      const res = await env.gql(GENERATE, { input: { type: 'AUDIT_TRAIL', format: 'html', ...PERIOD } }, largeAuditor);
      const ready = await settled(res.body.data!.generateReport.id, largeAuditor);
      const file = Buffer.from(await (await fetch(new URL(ready.downloadUrl, env.url))).arrayBuffer());
      expect(file.length).toBe(ready.sizeBytes);
      expect(file.length).toBeGreaterThan(8 * 60_000);
      expect(createHash('sha256').update(file).digest('hex')).toBe(ready.sha256);
      expect(file.toString('utf8')).toContain('record:r-2500');

      // Read as it is sent, a file damaged meanwhile stops before its last chunk.
      const service = env.app.services.reports.service;
      const stored = (await service.find(LARGE, ready.id))!;
      const chunks = Math.ceil(file.length / 60_000);
      await env.sql('UPDATE report_chunk SET data = ? WHERE report_id = ? AND part = ?', [Buffer.from('tampered'), ready.id, chunks - 1]);
      let yielded = 0;
      await expect(
        (async () => {
          for await (const _chunk of service.content(stored)) yielded += 1;
        })(),
      ).rejects.toThrow(/is damaged/);
      expect(yielded).toBe(chunks - 1);
    });

    it('lists every event once, in order, in a CSV (a format given whole tables)', async () => {
      const { bytes, headSequence } = await download('csv');
      const records: string[][] = parseCsv(bytes.toString('utf8'), { relax_column_count: true });
      const resources = records.flatMap((r) => r.filter((cell) => /^record:r-\d+$/.test(cell)));
      expect(resources).toEqual(Array.from({ length: 2500 }, (_, i) => `record:r-${i + 1}`));
      expect(headSequence).toBeGreaterThan(2500); // the DOCX's generated and downloaded events came after
    });
  });

  it('refuses a third report in the background for a tenant with two under way (REPORT_QUEUE_FULL), storing nothing', async () => {
    const QUEUE = 'background-queue';
    const key = await env.createKey('AUDITOR', QUEUE);
    await env.gql(RECORD, { input: { events: [eventInput(), eventInput()] } }, await env.createKey('INGEST', QUEUE));
    const ask = () => env.gql(GENERATE, { input: { type: 'AUDIT_TRAIL', format: 'slow', ...PERIOD } }, key);
    const first = (await ask()).body.data!.generateReport;
    const second = (await ask()).body.data!.generateReport;
    expect([first.status, second.status]).toEqual(['PENDING', 'PENDING']);
    const third = await ask();
    expect(third.body.errors?.[0].extensions).toMatchObject({ code: 'REPORT_QUEUE_FULL', max: 2 });
    const stored = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM report WHERE tenant_id = ?', [QUEUE]);
    expect(Number(stored[0].n)).toBe(2);
    // Another tenant is not held up by this one.
    expect((await env.gql(GENERATE, { input: { type: 'AUDIT_TRAIL', format: 'json', ...PERIOD } }, auditor)).body.errors).toBeUndefined();
    expect(await settled(first.id, key)).toMatchObject({ status: 'READY' });
    expect(await settled(second.id, key)).toMatchObject({ status: 'READY' });
    expect((await ask()).body.data!.generateReport.status).toBe('PENDING');
    await env.app.services.reports.service.drain(10_000);
  });

  it('does not count reports left PENDING for over an hour (a crashed server) against the limit', async () => {
    const STALE = 'background-stale';
    const key = await env.createKey('AUDITOR', STALE);
    await env.gql(RECORD, { input: { events: [eventInput(), eventInput()] } }, await env.createKey('INGEST', STALE));
    for (const id of ['01900000-0000-7000-8000-0000000000a1', '01900000-0000-7000-8000-0000000000a2']) {
      await env.sql(
        "INSERT INTO report (id, tenant_id, type, format, status, progress, period_from, period_to, file_name, mime_type, created_by, created_at) VALUES (?, ?, 'AUDIT_TRAIL', 'json', 'PENDING', 10, ?, ?, 'x.json', 'application/json', 'k', ?)",
        [id, STALE, '2026-01-01 00:00:00.000', '2026-02-01 00:00:00.000', '2026-01-01 00:00:00.000'],
      );
    }
    const res = await env.gql(GENERATE, { input: { type: 'AUDIT_TRAIL', format: 'json', ...PERIOD } }, key);
    expect(res.body.errors).toBeUndefined();
    expect(await settled(res.body.data!.generateReport.id, key)).toMatchObject({ status: 'READY' });
  });

  it('finishes a report whose progress cannot be saved: progress is best effort', async () => {
    const { dataSource } = env.app;
    const query = dataSource.query.bind(dataSource);
    const spy = jest
      .spyOn(dataSource, 'query')
      .mockImplementation((sql: string, params?: unknown[]) =>
        sql.startsWith('UPDATE report SET progress') ? Promise.reject(new Error('lock wait timeout')) : query(sql, params),
      );
    try {
      const res = await env.gql(GENERATE, { input: { type: 'AUDIT_TRAIL', format: 'json', ...PERIOD } }, auditor);
      expect(await settled(res.body.data!.generateReport.id)).toMatchObject({ status: 'READY', progress: 100 });
      expect(spy.mock.calls.some(([sql]) => String(sql).startsWith('UPDATE report SET progress'))).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });

  it('marks its own unfinished reports FAILED when it stops before they are done, and never stores them', async () => {
    const res = await env.gql(GENERATE, { input: { type: 'AUDIT_TRAIL', format: 'slow', ...PERIOD } }, auditor);
    const { id } = res.body.data!.generateReport;
    await env.app.services.reports.service.drain(50);
    const stopped = await env.gql(REPORT, { id }, auditor);
    expect(stopped.body.data!.report).toMatchObject({ status: 'FAILED', downloadUrl: null });
    expect(stopped.body.data!.report.error).toMatch(/stopped before it was done/);
    await env.app.services.reports.service.drain(10_000); // the render finishes after all
    const later = await env.gql(REPORT, { id }, auditor);
    expect(later.body.data!.report).toMatchObject({ status: 'FAILED', sizeBytes: null });
    const chunks = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM report_chunk WHERE report_id = ?', [id]);
    expect(Number(chunks[0].n)).toBe(0);
  });

  it('marks reports a stopped server left PENDING as FAILED', async () => {
    await env.sql(
      "INSERT INTO report (id, tenant_id, type, format, status, progress, period_from, period_to, file_name, mime_type, created_by, created_at) VALUES (?, ?, 'AUDIT_TRAIL', 'json', 'PENDING', 10, ?, ?, 'x.json', 'application/json', 'k', ?)",
      ['01900000-0000-7000-8000-000000000001', TENANT, '2026-01-01 00:00:00.000', '2026-02-01 00:00:00.000', '2026-01-01 00:00:00.000'],
    );
    await env.app.services.reports.service.failAbandoned();
    const report = await env.gql(REPORT, { id: '01900000-0000-7000-8000-000000000001' }, auditor);
    expect(report.body.data!.report).toMatchObject({ status: 'FAILED', downloadUrl: null });
    expect(report.body.data!.report.error).toMatch(/stopped before it was done/);
  });
});
