import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

/**
 * Every report type as DOCX, opened by LibreOffice Writer: converted to PDF (Writer lays the whole
 * document out) and to text (what Writer read from it). Runs where `soffice` is on the PATH
 * (Debian: `apt install libreoffice-writer-nogui`); elsewhere the suite is skipped and says so.
 */
const SOFFICE = ['soffice', 'libreoffice'].find((name) => {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
if (!SOFFICE) console.warn('reports-libreoffice: skipped, LibreOffice (soffice) is not installed');
/** pdftotext (Debian: poppler-utils) reads the pages back for the layout checks; CI installs it with LibreOffice. */
const PDFTOTEXT = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v pdftotext'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const GENERATE = `mutation G($input: GenerateReportInput!) { generateReport(input: $input) { status headSequence contentBase64 } }`;
const CREATE_TEMPLATE = `mutation C($input: CreateReportTemplateInput!) { createReportTemplate(input: $input) { id } }`;

(SOFFICE ? describe : describe.skip)('DOCX reports opened in LibreOffice Writer', () => {
  let env: TestEnvironment;
  let auditor: string;
  let dir: string;
  const TENANT = 'libreoffice';
  const PERIOD = { from: new Date(Date.now() - 7 * 86_400_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'datapunk-lo-'));
    env = await createTestEnvironment();
    auditor = await env.createKey('AUDITOR', TENANT);
    const at = (i: number) => new Date(Date.now() - 86_400_000 + i * 60_000).toISOString();
    const events = Array.from({ length: 400 }, (_, i) =>
      eventInput({
        occurredAt: at(i),
        action: ['auth.login', 'patient_record.read', 'customer.export', 'config.change'][i % 4],
        actor: { id: `user-${i % 9}@example.com`, type: 'USER' },
        resource: { type: 'record', id: `r-${i}` },
        outcome: i % 7 === 0 ? { status: 'FAILURE', reason: '<script>alert(1)</script> & “quotes”' } : { status: 'SUCCESS' },
        severity: i % 31 === 0 ? 'CRITICAL' : 'INFO',
        categories: i % 4 === 1 ? ['PHI'] : i % 4 === 2 ? ['PII'] : undefined,
      }),
    );
    const res = await env.gql(RECORD, { input: { events } }, await env.createKey('INGEST', TENANT));
    expect(res.body.errors).toBeUndefined();
    await env.app.services.checkpoints.issue(TENANT);
  });
  afterAll(async () => {
    await env?.close();
    // DATAPUNK_KEEP_REPORTS=<folder> keeps the DOCX and PDF files for a look by eye.
    const keep = process.env.DATAPUNK_KEEP_REPORTS;
    if (keep)
      for (const f of fs.readdirSync(dir).filter((f) => /\.(docx|pdf)$/.test(f))) fs.copyFileSync(path.join(dir, f), path.join(keep, f));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Converts a file with LibreOffice, returns the output path. */
  function convert(file: string, to: string): string {
    execFileSync(SOFFICE!, [`-env:UserInstallation=file://${dir}/profile`, '--headless', '--convert-to', to, '--outdir', dir, file], {
      stdio: 'pipe',
      timeout: 60_000,
    });
    const out = path.join(dir, `${path.basename(file, '.docx')}.${to.split(':')[0]}`);
    expect(fs.existsSync(out)).toBe(true);
    return out;
  }

  async function docx(name: string, input: Record<string, unknown>): Promise<{ file: string; headSequence: number }> {
    const res = await env.gql(GENERATE, { input: { ...PERIOD, format: 'docx', ...input } }, auditor);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.generateReport.status).toBe('READY');
    const file = path.join(dir, `${name}.docx`);
    fs.writeFileSync(file, Buffer.from(res.body.data!.generateReport.contentBase64, 'base64'));
    return { file, headSequence: res.body.data!.generateReport.headSequence };
  }

  const CASES = [
    ['COMPLIANCE_SUMMARY', 'soc2', ['Overview', 'Controls by status', 'How to verify this report']],
    ['CONTROL_ASSESSMENT', 'hipaa', ['Controls', 'Findings']],
    ['AUDIT_TRAIL', null, ['Events', 'r-399']],
    ['SECURITY_INCIDENTS', null, ['auth.login', 'Failures, denials and errors']],
    ['DATA_ACCESS', null, ['patient_record.read', 'PHI']],
  ] as const;
  const files = new Map<string, { file: string; headSequence: number }>();

  // All generated first, one request after another: LibreOffice takes seconds, and a request
  // after such a pause can meet the server closing its idle keep-alive connection.
  beforeAll(async () => {
    for (const [type, frameworkId] of CASES) files.set(type, await docx(type.toLowerCase(), { type, frameworkId }));
    const created = await env.gql(
      CREATE_TEMPLATE,
      {
        input: {
          name: 'branded',
          definition: {
            type: 'AUDIT_TRAIL',
            title: 'Access log <b>Q1</b> {{x}}',
            branding: { organisation: 'Acme & Co', footer: "=cmd|' /C calc'!A0", primaryColor: '#7B1FA2', accentColor: '#263238' },
            sections: [
              { id: 'events', title: 'Every event', options: { columns: ['sequence', 'occurredAt', 'actor', 'resource', 'outcome'] } },
            ],
          },
        },
      },
      auditor,
    );
    expect(created.body.errors).toBeUndefined();
    files.set('branded', await docx('branded', { type: 'AUDIT_TRAIL', templateId: created.body.data!.createReportTemplate.id }));
  });

  it.each(CASES)('lays out %s and reads back its sections, tables and integrity stamp', async (type, _frameworkId, expected) => {
    const { file, headSequence } = files.get(type)!;
    const pdf = fs.readFileSync(convert(file, 'pdf')).toString('latin1');
    expect(pdf.startsWith('%PDF-')).toBe(true);
    expect(pdf.match(/\/Type\s*\/Page[^s]/g)?.length ?? 0).toBeGreaterThanOrEqual(3); // cover, contents, body
    const text = fs.readFileSync(convert(file, 'txt:Text (encoded):UTF8'), 'utf8');
    const [head] = await env.sql<{ chain_hash: string }>('SELECT chain_hash FROM audit_event WHERE tenant_id = ? AND sequence = ?', [
      TENANT,
      headSequence,
    ]);
    expect(text).toContain(head.chain_hash);
    for (const s of expected) expect(text).toContain(s);
  });

  /** The text of each page of a PDF, laid out as on the page. */
  function pagesOf(pdf: string): string[] {
    return execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' }).split('\f').slice(0, -1);
  }

  (PDFTOTEXT ? it : it.skip)(
    'lays the audit trail out for reading: 25 rows a landscape page, short hashes, an appendix, a filled contents page',
    async () => {
      const { file } = files.get('AUDIT_TRAIL')!;
      const pages = pagesOf(convert(file, 'pdf'));
      // A row starts with its sequence number and the whole timestamp on one line: no break inside it.
      const rowStart = /^\s*(\d+)\s+(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\s/;
      const tablePages = pages.filter((page) => page.split('\n').some((line) => rowStart.test(line)));
      const rows = tablePages.map((page) => page.split('\n').filter((line) => rowStart.test(line)).length);
      expect(rows.reduce((a, b) => a + b, 0)).toBe(402);
      // Every page of the table but its last holds at least 25 events.
      for (const count of rows.slice(0, -1)) expect(count).toBeGreaterThanOrEqual(25);
      // The header's words whole, on one line, on every page of the table.
      for (const page of tablePages)
        expect(page).toMatch(/Seq\.\s+Occurred \(UTC\)\s+Actor\s+Action\s+Resource\s+Outcome\s+Severity\s+Classification\s+Event hash/);
      // Hashes short in the table, in full in the appendix against the sequence number.
      const [event] = await env.sql<{ sequence: number; hash: string }>(
        'SELECT sequence, hash FROM audit_event WHERE tenant_id = ? AND sequence = 7',
        [TENANT],
      );
      const row = tablePages.flatMap((page) => page.split('\n')).find((line) => rowStart.exec(line)?.[1] === '7')!;
      expect(row).toContain(`${event.hash.slice(0, 12)}…`);
      expect(row).not.toContain(event.hash);
      const appendixAt = pages.findIndex((page) => page.includes('Appendix: full hashes'));
      expect(appendixAt).toBeGreaterThan(pages.indexOf(tablePages.at(-1)!));
      expect(pages.slice(appendixAt).join('\n')).toMatch(new RegExp(`^\\s*7\\s+${event.hash}\\s*$`, 'm'));
      // The contents page names the sections even though LibreOffice does not update fields.
      const contents = pages.find((page) => /^\s*Contents\s*$/m.test(page))!;
      for (const title of ['Overview', 'Events', 'How to verify this report']) expect(contents).toContain(title);
      // No page holds only a page header and footer.
      for (const page of pages) expect(page.split('\n').filter((line) => line.trim() !== '').length).toBeGreaterThan(2);
    },
  );

  (PDFTOTEXT ? it : it.skip)('draws the status breakdown as a picture, the numbers beside it, on the page of its section', async () => {
    for (const type of ['COMPLIANCE_SUMMARY', 'CONTROL_ASSESSMENT']) {
      const { file } = files.get(type)!;
      const pdf = convert(file, 'pdf');
      const pages = pagesOf(pdf);
      const at = pages.findIndex((page) => page.includes('Scored controls by status'));
      expect(at).toBeGreaterThan(0);
      // The numbers: each status in words with its count, under the picture (the table may run onto the next page).
      const numbers = pages[at].slice(pages[at].indexOf('Scored controls by status')) + (pages[at + 1] ?? '');
      for (const label of ['Compliant', 'Partially compliant', 'Activity observed, duty not shown', 'Not assessed', 'Not applicable'])
        expect(numbers).toMatch(new RegExp(`^\\s*${label}\\s+\\d+\\s*$`, 'm'));
      // The picture: Writer draws the PNG fallback, at twice the chart's width.
      const images = execFileSync('pdfimages', ['-list', '-f', String(at + 1), '-l', String(at + 1), pdf], { encoding: 'utf8' })
        .split('\n')
        .slice(2)
        .map((line) => line.trim().split(/\s+/))
        .filter((columns) => columns[2] === 'image');
      expect(images.map((columns) => columns[3])).toEqual(['1280']);
      // DATAPUNK_KEEP_REPORTS=<folder> keeps that page as a PNG, to look at.
      const keep = process.env.DATAPUNK_KEEP_REPORTS;
      if (keep)
        execFileSync('pdftoppm', [
          '-png',
          '-r',
          '80',
          '-f',
          String(at + 1),
          '-l',
          String(at + 1),
          pdf,
          path.join(keep, `${type.toLowerCase()}-chart`),
        ]);
    }
  });

  it('lays out a report with a custom template, its branding and hostile strings as text', async () => {
    const { file } = files.get('branded')!;
    const text = fs.readFileSync(convert(file, 'txt:Text (encoded):UTF8'), 'utf8');
    for (const s of ['Access log <b>Q1</b> {{x}}', 'Acme & Co', 'Every event', '<script>alert(1)</script> & “quotes”'])
      expect(text).toContain(s);
    convert(file, 'pdf');
  });
});
