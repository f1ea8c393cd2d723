import mammoth from 'mammoth';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

const CREATE = `mutation($input: CreateReportTemplateInput!) { createReportTemplate(input: $input) { id name type version definition updatedAt } }`;
const UPDATE = `mutation($input: UpdateReportTemplateInput!) { updateReportTemplate(input: $input) { id version definition } }`;
const DELETE = `mutation($input: DeleteReportTemplateInput!) { deleteReportTemplate(input: $input) { id } }`;
const GENERATE = `mutation($input: GenerateReportInput!) { generateReport(input: $input) { id templateId templateVersion contentBase64 } }`;

describe('report templates', () => {
  let env: TestEnvironment;
  let auditor: string;
  const TENANT = 'templates';
  const PERIOD = { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };
  const definition = (overrides: Record<string, unknown> = {}) => ({
    type: 'AUDIT_TRAIL',
    title: 'Quarterly access log',
    branding: { organisation: 'Acme Health <script>alert(1)</script>', footer: 'Confidential', primaryColor: '#1F4E79' },
    sections: [
      { id: 'events', title: 'What happened', options: { limit: 10, columns: ['sequence', 'action', 'outcome'] } },
      { id: 'verification', title: 'Checking it' },
    ],
    ...overrides,
  });

  beforeAll(async () => {
    env = await createTestEnvironment();
    auditor = await env.createKey('AUDITOR', TENANT);
    const res = await env.gql(
      RECORD,
      { input: { events: [eventInput(), eventInput({ action: 'auth.logout' })] } },
      await env.createKey('INGEST', TENANT),
    );
    expect(res.body.errors).toBeUndefined();
  });
  afterAll(() => env?.close());

  const docxOf = async (templateId: string | null) => {
    const res = await env.gql(GENERATE, { input: { type: 'AUDIT_TRAIL', format: 'docx', ...PERIOD, templateId } }, auditor);
    expect(res.body.errors).toBeUndefined();
    const report = res.body.data!.generateReport;
    const html = (await mammoth.convertToHtml({ buffer: Buffer.from(report.contentBase64, 'base64') })).value;
    return { report, html, h1: [...html.matchAll(/<h1>(.*?)<\/h1>/g)].map((m) => m[1]) };
  };

  it('changes the sections and branding of the next DOCX, and versions every update', async () => {
    const standard = await docxOf(null);
    // The event table's hashes are shortened, so the appendix of full hashes closes the document.
    expect(standard.h1).toEqual(['Overview', 'Events', 'How to verify this report', 'Appendix: full hashes']);

    const created = await env.gql(CREATE, { input: { name: 'Q1 log', definition: definition() } }, auditor);
    expect(created.body.errors).toBeUndefined();
    const template = created.body.data!.createReportTemplate;
    expect(template).toMatchObject({ name: 'Q1 log', type: 'AUDIT_TRAIL', version: 1 });

    const custom = await docxOf(template.id);
    expect(custom.report).toMatchObject({ templateId: template.id, templateVersion: 1 });
    expect(custom.h1).toEqual(['What happened', 'Checking it']);
    expect(custom.html).toContain('Quarterly access log');
    expect(custom.html).toContain('Acme Health &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(custom.html).not.toContain('<script>');

    const updated = await env.gql(
      UPDATE,
      { input: { id: template.id, definition: definition({ sections: [{ id: 'overview', title: 'At a glance' }] }) } },
      auditor,
    );
    expect(updated.body.data!.updateReportTemplate).toMatchObject({ id: template.id, version: 2 });
    const next = await docxOf(template.id);
    expect(next.report.templateVersion).toBe(2);
    expect(next.h1).toEqual(['At a glance']);
    const versions = await env.sql('SELECT version FROM report_template_version WHERE template_id = ? ORDER BY version', [template.id]);
    expect(versions.map((v: any) => Number(v.version))).toEqual([1, 2]);
    const events = await env.sql('SELECT action FROM audit_event WHERE tenant_id = ? AND resource_id = ? ORDER BY sequence', [
      TENANT,
      template.id,
    ]);
    expect(events.map((e: any) => e.action)).toEqual(['datapunk.report.template.created', 'datapunk.report.template.updated']);
  });

  it('refuses invalid templates with every bad field named, and stores nothing', async () => {
    const before = Number((await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM report_template'))[0].n);
    const bad = definition({
      sections: [{ id: 'by-actor' }, { id: 'events', options: { limit: 0, columns: ['password'] } }, { id: 'events' }],
      branding: { primaryColor: 'red' },
      layout: '<%= process.exit() %>',
    });
    const res = await env.gql(CREATE, { input: { name: 'bad', definition: bad } }, auditor);
    expect(res.body.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
    const paths = (res.body.errors![0].extensions!.problems as { path: string }[]).map((p) => p.path).sort();
    expect(paths).toEqual(
      [
        'input.definition',
        'input.definition.branding.primaryColor',
        'input.definition.sections.0.id',
        'input.definition.sections.1.options.columns.0',
        'input.definition.sections.1.options.limit',
        'input.definition.sections.2.id',
      ].sort(),
    );
    for (const name of ['', 'x'.repeat(129)]) {
      const named = await env.gql(CREATE, { input: { name, definition: definition() } }, auditor);
      expect(named.body.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
    }
    expect(Number((await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM report_template'))[0].n)).toBe(before);
  });

  it('refuses a template of another type, a duplicate name, and keeps templates to their tenant', async () => {
    const summary = (
      await env.gql(
        CREATE,
        { input: { name: 'summary', definition: { type: 'COMPLIANCE_SUMMARY', sections: [{ id: 'overview' }] } } },
        auditor,
      )
    ).body.data!.createReportTemplate;
    const wrong = await env.gql(GENERATE, { input: { type: 'AUDIT_TRAIL', format: 'json', ...PERIOD, templateId: summary.id } }, auditor);
    expect(wrong.body.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
    const again = await env.gql(CREATE, { input: { name: 'summary', definition: definition() } }, auditor);
    expect(again.body.errors?.[0].extensions?.problems).toEqual([{ path: 'input.name', message: 'is taken' }]);
    const retype = await env.gql(UPDATE, { input: { id: summary.id, definition: definition() } }, auditor);
    expect(retype.body.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');

    const other = await env.createKey('AUDITOR', 'templates-other');
    const seen = await env.gql('{ reportTemplates { id } }', {}, other);
    expect(seen.body.data!.reportTemplates).toEqual([]);
    for (const query of [DELETE, UPDATE]) {
      const res = await env.gql(
        query,
        {
          input: {
            id: summary.id,
            ...(query === UPDATE ? { definition: definition({ type: 'COMPLIANCE_SUMMARY', sections: [{ id: 'overview' }] }) } : {}),
          },
        },
        other,
      );
      expect(res.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    }
    const foreign = await env.gql(
      GENERATE,
      { input: { type: 'COMPLIANCE_SUMMARY', format: 'json', frameworkId: 'soc2', ...PERIOD, templateId: summary.id } },
      other,
    );
    expect(foreign.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');

    expect((await env.gql(DELETE, { input: { id: summary.id } }, auditor)).body.errors).toBeUndefined();
    const gone = await env.gql(
      GENERATE,
      { input: { type: 'COMPLIANCE_SUMMARY', format: 'json', frameworkId: 'soc2', ...PERIOD, templateId: summary.id } },
      auditor,
    );
    expect(gone.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
