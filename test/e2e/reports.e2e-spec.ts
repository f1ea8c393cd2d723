import { createHash } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import mammoth from 'mammoth';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';
import { mapEventRow } from '../../src/audit/audit-event.repository';
import { canonicalEvent, storedFragments } from '../../src/chain/event-canonical';
import { linkHash, sha256Hex } from '../../src/chain/hashing';

const GENERATE = `mutation G($input: GenerateReportInput!) {
  generateReport(input: $input) { id status type format fileName mimeType sizeBytes sha256 headSequence progress downloadUrl contentBase64 createdBy }
}`;
const TYPES = ['COMPLIANCE_SUMMARY', 'CONTROL_ASSESSMENT', 'AUDIT_TRAIL', 'SECURITY_INCIDENTS', 'DATA_ACCESS'] as const;
const FORMATS = ['docx', 'html', 'json', 'csv'] as const;
const HOSTILE = `<script>alert(1)</script> {{constructor.constructor('x')()}} <%= process.exit() %>`;
const FORMULA = "=cmd|' /C calc'!A0";
/** Bidi controls (U+202E reverses "exe.txt"), ESC, NUL, DEL and a C1 control, as a client may send them. */
const CONTROLS = 'invoice\u202Etxt.exe \u2066x\u2069 \u200F\u061C ESC\u001B[31m NUL\u0000 DEL\u007F CSI\u009B';
const CONTROLS_SHOWN = 'invoice\\u202Etxt.exe \\u2066x\\u2069 \\u200F\\u061C ESC\\u001B[31m NUL\\u0000 DEL\\u007F CSI\\u009B';
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

describe('reports', () => {
  let env: TestEnvironment;
  let auditor: string;
  const TENANT = 'reports';
  const hour = (h: number) => new Date(Date.now() - (48 - h) * 3_600_000).toISOString();
  const PERIOD = { from: new Date(Date.now() - 7 * 86_400_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };

  beforeAll(async () => {
    env = await createTestEnvironment();
    auditor = await env.createKey('AUDITOR', TENANT);
    const events = [
      eventInput({ occurredAt: hour(1), action: 'auth.login' }),
      ...[0, 1, 2, 3, 4].map((i) =>
        eventInput({
          occurredAt: hour(2 + i / 100),
          action: 'auth.login',
          outcome: { status: 'FAILURE' },
          actor: { id: 'victim', type: 'USER' },
        }),
      ),
      eventInput({
        occurredAt: hour(3),
        action: 'patient_record.read',
        resource: { type: 'patient_record', id: 'p-1', name: HOSTILE },
        outcome: { status: 'SUCCESS', reason: `${HOSTILE} ${CONTROLS}` },
        classification: null,
      }),
      eventInput({
        occurredAt: hour(4),
        action: 'customer.export',
        resource: { type: 'customer', id: 'c-1' },
        actor: { id: FORMULA, type: 'USER' },
        categories: ['PII'],
        severity: 'CRITICAL',
      }),
    ];
    const res = await env.gql(RECORD, { input: { events } }, await env.createKey('INGEST', TENANT));
    expect(res.body.errors).toBeUndefined();
    expect(await env.app.services.checkpoints.issue(TENANT)).not.toBeNull();
  });
  afterAll(() => env?.close());

  async function generate(input: Record<string, unknown>, key = auditor) {
    const res = await env.gql(GENERATE, { input: { ...PERIOD, ...input } }, key);
    return res;
  }
  const fetchUrl = (path: string) => fetch(new URL(path, env.url));
  const count = async (sql: string, params: unknown[] = []) => Number((await env.sql<{ n: unknown }>(sql, params))[0].n);

  it.each(TYPES.flatMap((type) => FORMATS.map((format) => [type, format] as const)))(
    'generates %s as %s and serves the same bytes at its download URL',
    async (type, format) => {
      const res = await generate({ type, format, frameworkId: type.startsWith('C') ? 'soc2' : null });
      expect(res.body.errors).toBeUndefined();
      const report = res.body.data!.generateReport;
      expect(report).toMatchObject({ status: 'READY', type, format, progress: 100 });
      const inline = Buffer.from(report.contentBase64, 'base64');
      expect(inline.length).toBe(report.sizeBytes);
      expect(createHash('sha256').update(inline).digest('hex')).toBe(report.sha256);
      const download = await fetchUrl(report.downloadUrl);
      expect(download.status).toBe(200);
      expect(download.headers.get('content-type')).toBe(report.mimeType);
      expect(download.headers.get('content-disposition')).toContain(`filename="${report.fileName}"`);
      expect(Buffer.from(await download.arrayBuffer()).equals(inline)).toBe(true);

      const text = inline.toString('utf8');
      if (format === 'json') {
        const model = JSON.parse(text);
        expect(model.integrity).toMatchObject({ tenantId: TENANT, headSequence: report.headSequence });
        // The stamp names a signed checkpoint the report's head covers.
        expect(model.integrity.checkpoint.sequence).toBeLessThanOrEqual(model.integrity.headSequence);
        expect(model.integrity.checkpoint.signature).toMatch(/^[A-Za-z0-9+/=]{40,}$/);
        expect(model.sections.length).toBeGreaterThan(1);
      }
      if (format === 'csv') {
        const rows: string[][] = parseCsv(text.replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: true });
        expect(rows.flat()).toContain(String(report.headSequence));
        for (const cell of rows.flat()) expect(cell).not.toMatch(/^[=+@]/);
      }
      if (format === 'html') {
        expect(text).not.toContain('<script>');
        expect(text).not.toContain('<%=');
        expect(text).toContain(String(report.headSequence));
      }
      if (format === 'docx') {
        const html = await mammoth.convertToHtml({ buffer: inline });
        expect(html.messages).toEqual([]);
        expect(html.value).toContain('<h1>');
        expect(html.value).toContain('<table>');
        expect(html.value).not.toContain('<script>');
        expect((await mammoth.extractRawText({ buffer: inline })).value).toContain(String(report.headSequence));
      }
    },
  );

  it('keeps hostile strings inert: escaped in HTML and DOCX, formulas neutralised in CSV', async () => {
    const html = Buffer.from(
      (await generate({ type: 'AUDIT_TRAIL', format: 'html' })).body.data!.generateReport.contentBase64,
      'base64',
    ).toString('utf8');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const csv = Buffer.from(
      (await generate({ type: 'AUDIT_TRAIL', format: 'csv' })).body.data!.generateReport.contentBase64,
      'base64',
    ).toString('utf8');
    const cells: string[] = parseCsv(csv.replace(/^\uFEFF/, ''), { relax_column_count: true }).flat();
    expect(cells.some((c) => c.includes(`'${FORMULA}`))).toBe(true);
    const docx = Buffer.from((await generate({ type: 'AUDIT_TRAIL', format: 'docx' })).body.data!.generateReport.contentBase64, 'base64');
    expect((await mammoth.extractRawText({ buffer: docx })).value).toContain(HOSTILE);
  });

  it('writes no control or bidi character raw: CSV, HTML and DOCX show the visible escape, JSON escapes it losslessly', async () => {
    const file = async (format: string) =>
      Buffer.from((await generate({ type: 'AUDIT_TRAIL', format })).body.data!.generateReport.contentBase64, 'base64');
    for (const format of ['csv', 'html']) {
      const text = (await file(format)).toString('utf8');
      expect(RAW_CONTROL.test(text)).toBe(false);
      expect(text).toContain(CONTROLS_SHOWN);
    }
    const docx = await file('docx');
    const text = (await mammoth.extractRawText({ buffer: docx })).value;
    expect(RAW_CONTROL.test(text)).toBe(false);
    expect(text).toContain(CONTROLS_SHOWN);
    const json = (await file('json')).toString('utf8');
    expect(RAW_CONTROL.test(json)).toBe(false);
    expect(json).toContain(
      JSON.stringify(CONTROLS)
        .slice(1, -1)
        .replace(/[\u007F-\u009F\u061C\u200F\u202E\u2066\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    );
  });

  it('records generating and downloading as events in the chain', async () => {
    const before = await count("SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = ? AND action = 'datapunk.report.downloaded'", [
      TENANT,
    ]);
    const report = (await generate({ type: 'SECURITY_INCIDENTS', format: 'json' })).body.data!.generateReport;
    const [generated] = await env.sql<{ n: unknown }>(
      "SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = ? AND action = 'datapunk.report.generated' AND resource_id = ?",
      [TENANT, report.id],
    );
    expect(Number(generated.n)).toBe(1);
    expect((await fetchUrl(report.downloadUrl)).status).toBe(200);
    expect(
      await count("SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = ? AND action = 'datapunk.report.downloaded'", [TENANT]),
    ).toBe(before + 1);
  });

  it('refuses a tampered or expired download URL, and serves nothing', async () => {
    const report = (await generate({ type: 'AUDIT_TRAIL', format: 'json' })).body.data!.generateReport;
    const tampered = report.downloadUrl.replace(/sig=[^&]+/, 'sig=AAAA');
    const other = report.downloadUrl.replace(
      report.id,
      report.id.replace(/.$/, (c: string) => (c === '0' ? '1' : '0')),
    );
    for (const url of [tampered, other]) {
      const res = await fetchUrl(url);
      expect(res.status).toBe(403);
      expect(((await res.json()) as any).errors[0].extensions.code).toBe('FORBIDDEN');
    }
    const stored = (await env.app.services.reports.service.find(TENANT, report.id))!;
    const expired = env.app.services.reports.service.downloadPath(stored, 'k', Date.now() - 3_600_000);
    const res = await fetchUrl(expired);
    expect(res.status).toBe(410);
    expect(((await res.json()) as any).errors[0].extensions.code).toBe('DOWNLOAD_EXPIRED');
  });

  it('refuses to serve a file damaged in the database (500 REPORT_DAMAGED) and records no download', async () => {
    const report = (await generate({ type: 'AUDIT_TRAIL', format: 'csv' })).body.data!.generateReport;
    const downloads = () =>
      count("SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = ? AND action = 'datapunk.report.downloaded' AND resource_id = ?", [
        TENANT,
        report.id,
      ]);
    const [chunk] = await env.sql<{ data: Buffer | Uint8Array }>('SELECT data FROM report_chunk WHERE report_id = ? AND part = 0', [
      report.id,
    ]);
    const damaged = Buffer.from(chunk.data);
    damaged[damaged.length - 1] ^= 0x01; // same size, other bytes
    await env.sql('UPDATE report_chunk SET data = ? WHERE report_id = ? AND part = 0', [damaged, report.id]);
    for (const method of ['GET', 'HEAD']) {
      const res = await fetch(new URL(report.downloadUrl, env.url), { method });
      expect(res.status).toBe(500);
      if (method === 'GET') expect(((await res.json()) as any).errors[0].extensions.code).toBe('REPORT_DAMAGED');
    }
    expect(await downloads()).toBe(0);

    await env.sql('UPDATE report_chunk SET data = ? WHERE report_id = ? AND part = 0', [Buffer.from(chunk.data), report.id]);
    const head = await fetch(new URL(report.downloadUrl, env.url), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(report.sizeBytes);
    expect(await downloads()).toBe(0); // HEAD sends no file, so it is no download
    expect(Buffer.from(await (await fetchUrl(report.downloadUrl)).arrayBuffer()).equals(Buffer.from(chunk.data))).toBe(true);
    expect(await downloads()).toBe(1);
  });

  it('refuses a file forged together with its size_bytes and sha256 rows: the chain event is the reference (500 REPORT_DAMAGED)', async () => {
    const report = (await generate({ type: 'AUDIT_TRAIL', format: 'csv' })).body.data!.generateReport;
    const downloads = () =>
      count("SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = ? AND action = 'datapunk.report.downloaded' AND resource_id = ?", [
        TENANT,
        report.id,
      ]);
    const forged = Buffer.from('\uFEFFreport,,Forged,,0\r\nfield,value\r\n', 'utf8');
    await env.sql('DELETE FROM report_chunk WHERE report_id = ?', [report.id]);
    await env.sql('INSERT INTO report_chunk (report_id, part, data) VALUES (?, 0, ?)', [report.id, forged]);
    await env.sql('UPDATE report SET size_bytes = ?, sha256 = ? WHERE id = ?', [
      forged.length,
      createHash('sha256').update(forged).digest('hex'),
      report.id,
    ]);
    for (const method of ['GET', 'HEAD']) {
      const res = await fetch(new URL(report.downloadUrl, env.url), { method });
      expect(res.status).toBe(500);
      if (method === 'GET') expect(((await res.json()) as any).errors[0].extensions.code).toBe('REPORT_DAMAGED');
    }
    expect(await downloads()).toBe(0);
    // The chain event still names the genuine file.
    const [event] = await env.sql<{ metadata: string }>(
      "SELECT metadata FROM audit_event WHERE tenant_id = ? AND action = 'datapunk.report.generated' AND resource_id = ?",
      [TENANT, report.id],
    );
    expect(JSON.parse(event.metadata)).toMatchObject({ sha256: report.sha256, sizeBytes: report.sizeBytes });
  });

  it('refuses a file forged together with its rows and its chain event, rehashed or not: the event must still verify (500 REPORT_DAMAGED)', async () => {
    const report = (await generate({ type: 'AUDIT_TRAIL', format: 'csv' })).body.data!.generateReport;
    // Events after it, whose links name it and each other.
    await env.app.services.ingest.record(TENANT, [eventInput(), eventInput()] as never);
    const forged = Buffer.from('\uFEFFreport,,Forged,,0\r\nfield,value\r\n', 'utf8');
    const forgedSha = createHash('sha256').update(forged).digest('hex');
    const [original] = await env.sql<Record<string, unknown>>(
      "SELECT * FROM audit_event WHERE tenant_id = ? AND action = 'datapunk.report.generated' AND resource_id = ?",
      [TENANT, report.id],
    );
    const [next] = await env.sql<Record<string, unknown>>('SELECT hash, chain_hash FROM audit_event WHERE tenant_id = ? AND sequence = ?', [
      TENANT,
      Number(original.sequence) + 1,
    ]);
    const metadata = { ...JSON.parse(String(original.metadata)), sizeBytes: forged.length, sha256: forgedSha };
    const [chunk] = await env.sql<{ data: Buffer | Uint8Array }>('SELECT data FROM report_chunk WHERE report_id = ? AND part = 0', [
      report.id,
    ]);
    await env.sql('DELETE FROM report_chunk WHERE report_id = ?', [report.id]);
    await env.sql('INSERT INTO report_chunk (report_id, part, data) VALUES (?, 0, ?)', [report.id, forged]);
    await env.sql('UPDATE report SET size_bytes = ?, sha256 = ? WHERE id = ?', [forged.length, forgedSha, report.id]);
    const refused = async () => {
      const res = await fetch(new URL(report.downloadUrl, env.url));
      expect(res.status).toBe(500);
      expect(((await res.json()) as any).errors[0].extensions.code).toBe('REPORT_DAMAGED');
    };
    try {
      // The metadata alone: the event no longer hashes to its stored hash.
      await env.sql('UPDATE audit_event SET metadata = ? WHERE id = ?', [JSON.stringify(metadata), original.id]);
      await refused();
      // Its hash and chain hash recomputed too: the next event's link no longer matches.
      const event = mapEventRow({ ...original, metadata: JSON.stringify(metadata) });
      const labels = (await env.app.services.events.labelsFor(TENANT, [event.id])).get(event.id)!;
      const { hash: _h, chainHash: _c, idempotencyKey: _k, ...rest } = event;
      const hash = sha256Hex(canonicalEvent(storedFragments({ ...rest, ...labels }), event));
      const [previous] = await env.sql<{ chain_hash: string }>('SELECT chain_hash FROM audit_event WHERE tenant_id = ? AND sequence = ?', [
        TENANT,
        event.sequence - 1,
      ]);
      await env.sql('UPDATE audit_event SET hash = ?, chain_hash = ? WHERE id = ?', [
        hash,
        linkHash(previous.chain_hash, hash),
        original.id,
      ]);
      await refused();
      // And the next event's chain hash too: the one after that no longer links.
      await env.sql('UPDATE audit_event SET chain_hash = ? WHERE tenant_id = ? AND sequence = ?', [
        linkHash(linkHash(previous.chain_hash, hash), String(next.hash)),
        TENANT,
        event.sequence + 1,
      ]);
      await refused();
    } finally {
      await env.sql('UPDATE audit_event SET chain_hash = ? WHERE tenant_id = ? AND sequence = ?', [
        String(next.chain_hash),
        TENANT,
        Number(original.sequence) + 1,
      ]);
      await env.sql('UPDATE audit_event SET metadata = ?, hash = ?, chain_hash = ? WHERE id = ?', [
        original.metadata,
        original.hash,
        original.chain_hash,
        original.id,
      ]);
      await env.sql('DELETE FROM report_chunk WHERE report_id = ?', [report.id]);
      await env.sql('INSERT INTO report_chunk (report_id, part, data) VALUES (?, 0, ?)', [report.id, Buffer.from(chunk.data)]);
      await env.sql('UPDATE report SET size_bytes = ?, sha256 = ? WHERE id = ?', [report.sizeBytes, report.sha256, report.id]);
    }
    expect((await fetchUrl(report.downloadUrl)).status).toBe(200);
    // A checkpoint of a key no longer trusted at that event fails verifyAuditChain, not the download.
    await env.sql(
      'INSERT INTO checkpoint (id, tenant_id, sequence, chain_hash, issued_at, key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [
        'old-key-checkpoint',
        TENANT,
        Number(original.sequence),
        String(original.chain_hash),
        '2026-01-01 00:00:00.000',
        'a'.repeat(64),
        'c2lnbmF0dXJl',
      ],
    );
    try {
      expect((await fetchUrl(report.downloadUrl)).status).toBe(200);
    } finally {
      await env.sql("DELETE FROM checkpoint WHERE id = 'old-key-checkpoint'");
    }
  });

  it("withdraws a key's download URLs when the key is revoked, and answers 404 to a malformed URL", async () => {
    const { key, secret } = await env.app.services.apiKeys.create(TENANT, 'AUDITOR' as never, 'soon revoked');
    const report = (await generate({ type: 'AUDIT_TRAIL', format: 'json' }, secret)).body.data!.generateReport;
    expect((await fetchUrl(report.downloadUrl)).status).toBe(200);
    await env.app.services.apiKeys.revoke(TENANT, key.id);
    const refused = await fetchUrl(report.downloadUrl);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as any).errors[0].extensions.code).toBe('FORBIDDEN');
    const malformed = await fetchUrl(`/reports/%ZZ/${report.id}?key=a&expires=1&sig=x`);
    expect(malformed.status).toBe(404);
  });

  it('refuses bad requests with a code and stores nothing', async () => {
    const before = await count('SELECT COUNT(*) AS n FROM report');
    const cases: [Record<string, unknown>, string][] = [
      [{ type: 'COMPLIANCE_SUMMARY', format: 'docx' }, 'INVALID_ARGUMENT'],
      [{ type: 'AUDIT_TRAIL', format: 'pdf' }, 'INVALID_ARGUMENT'],
      [{ type: 'AUDIT_TRAIL', format: 'json', from: PERIOD.to, to: PERIOD.from }, 'INVALID_ARGUMENT'],
      [{ type: 'CONTROL_ASSESSMENT', format: 'json', frameworkId: 'nope' }, 'NOT_FOUND'],
    ];
    for (const [input, code] of cases) {
      const res = await generate(input);
      expect(res.body.errors?.[0].extensions?.code).toBe(code);
    }
    for (const role of ['INGEST', 'VIEWER'] as const) {
      const res = await generate({ type: 'AUDIT_TRAIL', format: 'json' }, await env.createKey(role, TENANT));
      expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
    expect(await count('SELECT COUNT(*) AS n FROM report')).toBe(before);
  });

  it("keeps each tenant's reports to itself", async () => {
    const mine = (await generate({ type: 'AUDIT_TRAIL', format: 'json' })).body.data!.generateReport;
    const other = await env.createKey('AUDITOR', 'reports-other');
    const seen = await env.gql(`query($id: ID!) { report(id: $id) { id } reports { id } }`, { id: mine.id }, other);
    expect(seen.body.data).toEqual({ report: null, reports: [] });
    const own = await env.gql(
      `query($id: ID!) { report(id: $id) { id sha256 downloadUrl } reports(first: 500) { id } }`,
      { id: mine.id },
      auditor,
    );
    expect(own.body.data!.report).toMatchObject({ id: mine.id, sha256: mine.sha256 });
    expect(own.body.data!.reports.map((r: { id: string }) => r.id)).toContain(mine.id);
  });
});
