import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import http from 'node:http';
import { RECORD, REPO_ROOT, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

const GENERATE = `mutation G($input: GenerateReportInput!) { generateReport(input: $input) { id status error } }`;
const REPORT = `query R($id: ID!) { report(id: $id) { id status error downloadUrl sizeBytes } }`;
const sqlTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Background reports have an owner (a node id made at start) and a heartbeat
 * (REPORT_HEARTBEAT_SECONDS, 1 here): a node killed mid-generation leaves them PENDING, and any
 * other node fails them once their heartbeat is three beats old; until then, and from then on,
 * they are told apart by state, never by waiting a fixed time.
 */
describe('fault: a node killed while it generates background reports', () => {
  let env: TestEnvironment;
  let auditor: string;
  const TENANT = 'fault-reports';
  const PERIOD = { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };

  beforeAll(async () => {
    env = await createTestEnvironment({
      REPORT_SYNC_MAX_ROWS: '1',
      REPORT_MAX_PENDING_PER_TENANT: '3',
      REPORT_HEARTBEAT_SECONDS: '1',
      DATAPUNK_PLUGINS: path.join(REPO_ROOT, 'test/fixtures/plugins/format-hanging-render'),
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

  /**
   * A GraphQL request on a connection of its own (no keep-alive): a pooled socket the server
   * closes while idle cannot reset it, however long the test waited before.
   */
  function gqlAt(url: string, query: string, variables: Record<string, unknown>, key = auditor) {
    const body = JSON.stringify({ query, variables });
    return new Promise<{ data?: any; errors?: { extensions?: { code?: string } }[] }>((resolve, reject) => {
      const req = http.request(
        url,
        {
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${key}` },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Polls report(id) on the in-process node until it leaves PENDING (a bounded loop, not a timed wait). */
  async function settled(id: string, key = auditor) {
    for (let i = 0; i < 1200; i += 1) {
      const report = (await gqlAt(env.url, REPORT, { id }, key)).data.report;
      if (report.status !== 'PENDING') return report;
      await pause(50);
    }
    throw new Error(`report ${id} stayed PENDING`);
  }

  it('fails its reports from another node, and a new generateReport is accepted instead of REPORT_QUEUE_FULL', async () => {
    const started = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-render-started-'));
    // Until the kill, only the spawned node beats: a starved test runner cannot fail its reports early.
    const survivor = env.app.services.reports.service;
    survivor.stop();
    const node = await env.spawnServer({ DATAPUNK_TEST_RENDER_STARTED_DIR: started });
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await gqlAt(node.url, GENERATE, { input: { type: 'AUDIT_TRAIL', format: 'hang', ...PERIOD } });
      expect(res.errors).toBeUndefined();
      expect(res.data.generateReport).toMatchObject({ status: 'PENDING', error: null });
      ids.push(res.data.generateReport.id);
    }
    // Mid-generation: each of the three renders has begun (the fixture says so) before the kill.
    for (let i = 0; fs.readdirSync(started).length < 3; i += 1) {
      if (i > 1200) throw new Error('the renders did not start');
      await pause(25);
    }
    const owned = await env.sql<{ status: string; owner_node: string | null }>(
      `SELECT status, owner_node FROM report WHERE id IN (?, ?, ?)`,
      ids,
    );
    expect(owned.map((r) => r.status)).toEqual(['PENDING', 'PENDING', 'PENDING']);
    expect(new Set(owned.map((r) => r.owner_node)).size).toBe(1);
    expect(owned[0].owner_node).not.toBe(env.app.services.reports.service.nodeId);
    node.process.kill('SIGKILL');
    await once(node.process, 'exit');
    await survivor.start();

    for (const id of ids) {
      const report = await settled(id);
      expect(report).toMatchObject({ status: 'FAILED', downloadUrl: null, sizeBytes: null });
      expect(report.error).toMatch(/stopped before it was done/);
    }
    const [chunks] = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM report_chunk WHERE report_id IN (?, ?, ?)', ids);
    expect(Number(chunks.n)).toBe(0);

    const again = await gqlAt(env.url, GENERATE, { input: { type: 'AUDIT_TRAIL', format: 'json', ...PERIOD } });
    expect(again.errors).toBeUndefined();
    expect(again.data.generateReport).toMatchObject({ status: 'PENDING', error: null });
    expect(await settled(again.data.generateReport.id)).toMatchObject({ status: 'READY' });
    fs.rmSync(started, { recursive: true, force: true });
  });

  it('stops counting reports with a stale heartbeat against REPORT_MAX_PENDING_PER_TENANT at once, before any sweep fails them', async () => {
    const tenant = 'fault-reports-stale';
    const key = await env.createKey('AUDITOR', tenant);
    await env.gql(RECORD, { input: { events: [eventInput(), eventInput()] } }, await env.createKey('INGEST', tenant));
    const service = env.app.services.reports.service;
    service.stop(); // no sweep in this test: only the heartbeats decide
    try {
      const ids = ['01900000-0000-7000-8000-00000000f001', '01900000-0000-7000-8000-00000000f002', '01900000-0000-7000-8000-00000000f003'];
      for (const id of ids) {
        await env.sql(
          "INSERT INTO report (id, tenant_id, type, format, status, progress, period_from, period_to, file_name, mime_type, created_by, created_at, owner_node, heartbeat_at) VALUES (?, ?, 'AUDIT_TRAIL', 'json', 'PENDING', 10, ?, ?, 'x.json', 'application/json', 'k', ?, 'another-node', ?)",
          [id, tenant, sqlTime(Date.now() - 86_400_000), sqlTime(Date.now()), sqlTime(Date.now()), sqlTime(Date.now() + 3_600_000)],
        );
      }
      const input = { input: { type: 'AUDIT_TRAIL', format: 'json', ...PERIOD } };
      const refused = await gqlAt(env.url, GENERATE, input, key);
      expect(refused.errors?.[0].extensions?.code).toBe('REPORT_QUEUE_FULL');

      await env.sql('UPDATE report SET heartbeat_at = ? WHERE tenant_id = ?', [sqlTime(Date.now() - 3_600_000), tenant]);
      const accepted = await gqlAt(env.url, GENERATE, input, key);
      expect(accepted.errors).toBeUndefined();
      expect(accepted.data.generateReport.status).toBe('PENDING');
      // Still PENDING (nothing swept them) until a heartbeat of any node fails them.
      const before = await env.sql<{ status: string }>('SELECT status FROM report WHERE id IN (?, ?, ?)', ids);
      expect(before.map((r) => r.status)).toEqual(['PENDING', 'PENDING', 'PENDING']);
      await service.beat();
      const after = await env.sql<{ status: string }>('SELECT status FROM report WHERE id IN (?, ?, ?)', ids);
      expect(after.map((r) => r.status)).toEqual(['FAILED', 'FAILED', 'FAILED']);
      expect((await settled(accepted.data.generateReport.id, key)).status).toBe('READY');
    } finally {
      await service.start();
    }
  });
});
