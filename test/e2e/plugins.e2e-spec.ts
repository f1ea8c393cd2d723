import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErrorCode } from '../../src/errors/error-code';
import { PluginLoadError } from '../../src/plugin-host/plugin-load-error';
import { RECORD, REPO_ROOT, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/plugins');
const PLUGINS = `query { plugins { id kind version apiVersion source name description dependsOn } }`;

describe('plugins', () => {
  let env: TestEnvironment;
  let outside: string;

  beforeAll(async () => {
    // A third party's pure-data plugin lives outside this repository.
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-third-party-'));
    fs.cpSync(path.join(FIXTURES, 'valid-pure-data'), path.join(outside, 'acme-policy'), { recursive: true });
    env = await createTestEnvironment({
      DATAPUNK_PLUGINS: `${path.join(FIXTURES, 'valid-code')},${path.join(outside, 'acme-policy')}`,
      DATAPUNK_PLUGIN_OPTIONS: JSON.stringify({ 'format-fixture-text': { lineEnding: 'CRLF' } }),
    });
  });

  afterAll(async () => {
    await env?.close();
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('lists the loaded plugins, dependencies first, to any role', async () => {
    for (const role of ['VIEWER', 'INGEST', 'AUDITOR'] as const) {
      const res = await env.gql(PLUGINS, {}, await env.createKey(role));
      expect(res.body.errors).toBeUndefined();
      const plugins = res.body.data!.plugins as { id: string; source: string }[];
      expect(plugins.slice(0, 7).map((p) => [p.id, p.source])).toEqual([
        ['framework-soc2', 'BUILT_IN'],
        ['framework-hipaa', 'BUILT_IN'],
        ['framework-gdpr', 'BUILT_IN'],
        ['format-docx', 'BUILT_IN'],
        ['format-html', 'BUILT_IN'],
        ['format-json', 'BUILT_IN'],
        ['format-csv', 'BUILT_IN'],
      ]);
      expect(plugins.slice(7)).toEqual([
        {
          id: 'framework-acme-policy',
          kind: 'FRAMEWORK',
          version: '1.2.0',
          apiVersion: '^1.0.0',
          source: 'PATH',
          name: 'Acme security policy',
          description: "Acme's internal access and incident policy.",
          dependsOn: [],
        },
        {
          id: 'format-fixture-text',
          kind: 'FORMAT',
          version: '0.3.1',
          apiVersion: '>=1.0.0 <2.0.0',
          source: 'PATH',
          name: 'Plain text (fixture)',
          description: 'Renders the title and section titles as plain text.',
          dependsOn: ['framework-acme-policy'],
        },
      ]);
    }
    expect(env.app.services.plugins.get('format-fixture-text')?.options).toEqual({ lineEnding: 'CRLF' });
  });

  it("assesses the third-party pure-data framework's controls from events, its classification rule included", async () => {
    const ingest = await env.createKey('INGEST', 'acme');
    const now = new Date();
    // Two whole months before the current one; the monthly review happened in one of them only.
    const at = (monthsAgo: number, day: number, minute = 0) =>
      new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsAgo, day, 9, minute)).toISOString();
    const events = [
      eventInput({ occurredAt: at(2, 1), action: 'auth.login' }),
      eventInput({ occurredAt: at(2, 2), action: 'access.review.completed', resource: { type: 'access', id: 'q' } }),
      // An ERROR-level incident notified four days later: late.
      eventInput({ occurredAt: at(1, 3), action: 'incident.detected', severity: 'ERROR', resource: { type: 'incident', id: 'i-1' } }),
      eventInput({ occurredAt: at(1, 7), action: 'incident.regulator.notified', resource: { type: 'incident', id: 'i-1' } }),
      // No classification sent: the plugin's rule makes customer records CONFIDENTIAL and PII.
      { ...eventInput({ occurredAt: at(1, 8), action: 'customer.read', resource: { type: 'customer', id: 'c-1' } }), classification: null },
    ];
    const recorded = await env.gql(RECORD, { input: { events } }, ingest);
    expect(recorded.body.errors).toBeUndefined();
    const classified = await env.gql(
      'query($id: String!) { auditEvent(id: $id) { classification categories } }',
      { id: recorded.body.data!.recordAuditEvents.receipts[4].id },
      await env.createKey('AUDITOR', 'acme'),
    );
    expect(classified.body.data!.auditEvent).toEqual({ classification: 'CONFIDENTIAL', categories: ['PII'] });

    const res = await env.gql(
      `query($input: AssessComplianceInput!) { assessCompliance(input: $input) { frameworkId controls { controlId status violationCount rules { ruleId verdict periodsChecked periodsMet } } } }`,
      { input: { frameworkId: 'acme-policy', from: at(2, 1, 0), to: at(0, 1, 0).replace(/T09:00/, 'T00:00') } },
      await env.createKey('AUDITOR', 'acme'),
    );
    expect(res.body.errors).toBeUndefined();
    const byId = Object.fromEntries(res.body.data!.assessCompliance.controls.map((c: { controlId: string }) => [c.controlId, c])) as Record<
      string,
      {
        status: string;
        violationCount: number;
        rules: { ruleId: string; verdict: string; periodsChecked: number | null; periodsMet: number | null }[];
      }
    >;
    // AC-1's own rule is met; it rolls up its child AC-1.1, whose monthly review was missed once.
    expect(byId['AC-1'].rules.find((r) => r.ruleId === 'logins')?.verdict).toBe('MET');
    expect(byId['AC-1'].status).toBe('PARTIALLY_COMPLIANT');
    expect(byId['AC-1.1'].status).toBe('PARTIALLY_COMPLIANT');
    expect(byId['AC-1.1'].rules[0]).toMatchObject({ ruleId: 'monthly-review', verdict: 'PARTIAL', periodsChecked: 2, periodsMet: 1 });
    expect(byId['IR-1']).toMatchObject({ status: 'NON_COMPLIANT', violationCount: 1 });
  });

  it('needs an API key', async () => {
    const res = await env.gql(PLUGINS, {}, null);
    expect(res.body.errors?.[0].extensions?.code).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it('refuses to start with broken plugins, listing every problem by plugin id and code in one error', async () => {
    const broken = [
      'with-bad-manifest',
      'with-duplicate-id/first',
      'with-duplicate-id/second',
      'with-incompatible-api',
      'with-missing-dependency',
      'with-dependency-cycle/a',
      'with-dependency-cycle/b',
      'with-invalid-options',
      'with-throwing-load',
      'with-throwing-start',
      'valid-pure-data',
    ].map((name) => path.join(FIXTURES, name));
    const error = await createTestEnvironment({ DATAPUNK_PLUGINS: [...broken, path.join(outside, 'missing')].join(',') }).then(
      async (started) => {
        await started.close();
        throw new Error('the server started with broken plugins');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PluginLoadError);
    const codes = new Set((error as PluginLoadError).problems.map((p) => `${p.pluginId} ${p.code}`));
    expect([...codes].sort()).toEqual(
      [
        `with-bad-manifest ${ErrorCode.PLUGIN_MANIFEST_INVALID}`,
        `with-duplicate-id ${ErrorCode.PLUGIN_DUPLICATE_ID}`,
        `with-incompatible-api ${ErrorCode.PLUGIN_API_UNSUPPORTED}`,
        `with-missing-dependency ${ErrorCode.PLUGIN_DEPENDENCY_MISSING}`,
        `with-dependency-cycle-a ${ErrorCode.PLUGIN_DEPENDENCY_CYCLE}`,
        `with-dependency-cycle-b ${ErrorCode.PLUGIN_DEPENDENCY_CYCLE}`,
        `with-invalid-options ${ErrorCode.PLUGIN_OPTIONS_INVALID}`,
        `${path.join(FIXTURES, 'with-throwing-load')} ${ErrorCode.PLUGIN_LOAD_FAILED}`,
        `${path.join(outside, 'missing')} ${ErrorCode.PLUGIN_NOT_FOUND}`,
      ].sort(),
    );
  });

  it('fails the start when a plugin throws in start()', async () => {
    const error = await createTestEnvironment({ DATAPUNK_PLUGINS: path.join(FIXTURES, 'with-throwing-start') }).then(
      async (started) => {
        await started.close();
        throw new Error('the server started although a plugin failed in start()');
      },
      (e: unknown) => e,
    );
    expect((error as PluginLoadError).problems).toEqual([
      expect.objectContaining({ pluginId: 'with-throwing-start', code: ErrorCode.PLUGIN_LOAD_FAILED }),
    ]);
  });
});
