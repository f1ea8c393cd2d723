import fs from 'node:fs';
import path from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { createTestEnvironment, eventInput, RECORD, type TestEnvironment, VERIFY } from '../helpers/test-environment';

/**
 * Subject access (issue 12 part 3, GDPR Art. 15): exportDataSubject gives every event by or about
 * one data subject, its personal fields opened, as a SUBJECT_ACCESS report (stored, downloadable);
 * the export is a read record naming the subject by its keyed pseudonym; an erasure deletes the
 * export and refuses the next one; the chain verifies throughout.
 */

const ALICE = {
  id: 'alice.export@example.com',
  displayName: 'Alice Exportable Liddell',
  ip: '10.88.12.34',
  userAgent: 'AliceExportBrowser/7.3',
  secret: 'marmalade-jar-secret',
};
const BOB = { id: 'bob.export@example.com', displayName: 'Bob Exportable Builder', ip: '10.88.200.5', userAgent: 'BobAgent/1.0' };
const ALICE_TEXTS = [ALICE.id, ALICE.displayName, ALICE.ip, ALICE.userAgent, ALICE.secret];
const BOB_TEXTS = [BOB.id, BOB.displayName, BOB.ip, BOB.userAgent];

const EXPORT = `mutation X($input: ExportDataSubjectInput!) {
  exportDataSubject(input: $input) { id status type format fileName from to downloadUrl contentBase64 }
}`;
const ERASE = `mutation E($input: EraseDataSubjectInput!) { eraseDataSubject(input: $input) { subjectRef eventCount } }`;
const GENERATE = `mutation G($input: GenerateReportInput!) { generateReport(input: $input) { id } }`;
const REPORT = `query R($id: ID!) { report(id: $id) { id } }`;
const EVENTS = `query Q($filter: AuditEventFilter) { auditEvents(filter: $filter, first: 10) { edges { node { id } } } }`;

const alice = { id: ALICE.id, type: 'USER', displayName: ALICE.displayName, ip: ALICE.ip, userAgent: ALICE.userAgent };
const bob = { id: BOB.id, type: 'USER', displayName: BOB.displayName, ip: BOB.ip, userAgent: BOB.userAgent };
const aliceCustomer = { type: 'customer', id: ALICE.id, name: ALICE.displayName };
const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

/** The batch, in order: Alice's five events first (by her, about her, or both), then Bob's own and a service's. */
const BATCH = [
  eventInput({ occurredAt: at(50), action: 'auth.login', actor: alice }),
  eventInput({
    occurredAt: at(40),
    action: 'customer.profile.update',
    actor: alice,
    resource: aliceCustomer,
    categories: ['PII'],
    metadata: { legalBasis: 'consent', favourite: ALICE.secret },
  }),
  eventInput({ occurredAt: at(30), action: 'auth.logout', actor: alice }),
  // About Alice, by a service: hers (the resource), in clear apart from the resource.
  eventInput({
    occurredAt: at(25),
    action: 'customer.record.sync',
    actor: { id: 'crm-sync', type: 'SERVICE' },
    resource: aliceCustomer,
  }),
  // About Alice, by Bob: in both exports; each shows the other's fields withheld.
  eventInput({ occurredAt: at(20), action: 'customer.profile.read', actor: bob, resource: aliceCustomer }),
  eventInput({ occurredAt: at(15), action: 'auth.login', actor: bob }),
  eventInput({
    occurredAt: at(10),
    action: 'backup.completed',
    actor: { id: 'backup-service', type: 'SERVICE' },
    resource: { type: 'database', id: 'primary' },
  }),
];

interface ExportedTable {
  overview: Record<string, string>;
  rows: Record<string, string | number>[];
}

/** The subject reference in the overview and the event rows by column key, from a JSON export. */
function tableOf(json: string): ExportedTable {
  const doc = JSON.parse(json) as { sections: { id: string; blocks: any[] }[] };
  const overview = doc.sections.find((s) => s.id === 'overview')!.blocks.filter((b) => b.type === 'keyValue');
  const table = doc.sections.find((s) => s.id === 'events')!.blocks.find((b) => b.type === 'table');
  const keys = (table.columns as { key: string }[]).map((c) => c.key);
  return {
    overview: Object.fromEntries(overview.flatMap((b) => b.items.map((i: { key: string; value: string }) => [i.key, i.value]))),
    rows: (table.rows as (string | number)[][]).map((row) => Object.fromEntries(row.map((v, i) => [keys[i], v]))),
  };
}

describe('subject access: exportDataSubject', () => {
  let env: TestEnvironment;
  let auditor: string;
  let viewer: string;
  let sequences: number[];
  let aliceRef: string;

  const flush = () => env.app.services.reads.flush();
  async function head(): Promise<number> {
    await flush();
    const [row] = await env.sql<{ n: unknown }>("SELECT sequence AS n FROM chain_head WHERE tenant_id = 'default'");
    return Number(row.n);
  }
  const exportOf = (subjectId: string, format: string, key = auditor) => env.gql(EXPORT, { input: { subjectId, format } }, key);

  beforeAll(async () => {
    env = await createTestEnvironment();
    auditor = await env.createKey('AUDITOR');
    viewer = await env.createKey('VIEWER');
    const res = await env.gql(RECORD, { input: { events: BATCH } });
    expect(res.body.errors).toBeUndefined();
    sequences = (res.body.data!.recordAuditEvents.receipts as { sequence: number }[]).map((r) => r.sequence);
    const [row] = await env.sql<{ actor_id: string }>("SELECT actor_id FROM audit_event WHERE tenant_id = 'default' AND sequence = ?", [
      sequences[0],
    ]);
    aliceRef = row.actor_id;
    expect(aliceRef).toMatch(/^s_/);
  });
  afterAll(() => env?.close());

  it('gives exactly the subject’s events, by or about it, with its personal fields opened and another subject’s withheld (JSON)', async () => {
    const res = await exportOf(ALICE.id, 'json');
    expect(res.body.errors).toBeUndefined();
    const report = res.body.data!.exportDataSubject;
    expect(report).toMatchObject({ status: 'READY', type: 'SUBJECT_ACCESS', format: 'json' });
    expect(report.fileName).toMatch(/^subject-access-.*\.json$/);
    const json = Buffer.from(report.contentBase64, 'base64').toString('utf8');
    const { overview, rows } = tableOf(json);
    expect(overview).toMatchObject({ 'Subject reference': aliceRef, Events: '5' });
    expect(rows.map((r) => r.sequence)).toEqual(sequences.slice(0, 5));
    expect(rows[1]).toMatchObject({
      actor: `${ALICE.displayName} (${ALICE.id})`,
      actorIp: ALICE.ip,
      actorUserAgent: ALICE.userAgent,
      resource: `customer:${ALICE.id}`,
      resourceName: ALICE.displayName,
    });
    expect(JSON.parse(String(rows[1].metadata))).toEqual({ legalBasis: 'consent', favourite: ALICE.secret });
    expect(rows[3]).toMatchObject({ actor: 'crm-sync', actorType: 'SERVICE', resource: `customer:${ALICE.id}` });
    // Bob read Alice's profile: the event is Alice's too, but Bob's fields are his (Art. 15(4)).
    expect(rows[4]).toMatchObject({
      actor: '[withheld]',
      actorIp: '[withheld]',
      actorUserAgent: '[withheld]',
      resource: `customer:${ALICE.id}`,
    });
    for (const text of BOB_TEXTS) expect(json).not.toContain(text);
    // The same bytes at the download URL.
    const download = await fetch(new URL(report.downloadUrl, env.url));
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).toString('utf8')).toBe(json);

    // Bob's export: his two events, and none of Alice's fields.
    const bobs = Buffer.from((await exportOf(BOB.id, 'json')).body.data!.exportDataSubject.contentBase64, 'base64').toString('utf8');
    const bobRows = tableOf(bobs).rows;
    expect(bobRows.map((r) => r.sequence)).toEqual([sequences[4], sequences[5]]);
    expect(bobRows[0]).toMatchObject({
      actor: `${BOB.displayName} (${BOB.id})`,
      resource: 'customer:[withheld]',
      resourceName: '[withheld]',
    });
    for (const text of ALICE_TEXTS) expect(bobs).not.toContain(text);
  });

  it('renders a valid DOCX holding the subject’s values', async () => {
    const res = await exportOf(ALICE.id, 'docx');
    expect(res.body.errors).toBeUndefined();
    const files = unzipSync(new Uint8Array(Buffer.from(res.body.data!.exportDataSubject.contentBase64, 'base64')));
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['[Content_Types].xml', 'word/document.xml']));
    const xml = strFromU8(files['word/document.xml']);
    for (const text of ALICE_TEXTS) expect(xml).toContain(text);
    expect(xml).toContain(aliceRef);
    for (const text of BOB_TEXTS) expect(xml).not.toContain(text);
  });

  it('records the export in the chain as a read naming the subject by its keyed pseudonym and the count, never in clear', async () => {
    const before = await head();
    expect((await exportOf(ALICE.id, 'json')).body.errors).toBeUndefined();
    // The same pseudonym a read filtered by the subject's id is recorded with (ADR 0044).
    expect((await env.gql(EVENTS, { filter: { actorId: ALICE.id } }, auditor)).body.errors).toBeUndefined();
    await flush();
    const written = await env.sql<Record<string, unknown>>(
      "SELECT action, resource_id, actor_id, actor_display_name, resource_name, outcome_reason, metadata FROM audit_event WHERE tenant_id = 'default' AND sequence > ? ORDER BY sequence",
      [before],
    );
    const metadataOf = (r: Record<string, unknown>) => (typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata);
    const exportRead = written.filter((r) => r.action === 'datapunk.log.read' && r.resource_id === 'Mutation.exportDataSubject');
    expect(exportRead).toHaveLength(1);
    const recorded = metadataOf(exportRead[0]);
    expect(recorded).toMatchObject({ operation: 'Mutation.exportDataSubject', role: 'AUDITOR', requestCount: 1, rowCount: 5 });
    expect(recorded.scope.subject).toMatch(/^p_[A-Za-z0-9_-]{43}$/);
    expect(recorded.scope.format).toBe('json');
    const filtered = metadataOf(written.find((r) => r.action === 'datapunk.log.read' && r.resource_id === 'Query.auditEvents')!);
    expect(filtered.scope.filter.actorId).toBe(recorded.scope.subject);
    expect(written.map((r) => r.action)).toContain('datapunk.report.generated');
    const stored = JSON.stringify(written);
    for (const text of ALICE_TEXTS) expect(stored).not.toContain(text);
    expect(stored).not.toContain(aliceRef);
  });

  it('refuses VIEWER, unknown subjects and bad input with a coded error, and writes nothing', async () => {
    expect((await exportOf(ALICE.id, 'json', viewer)).body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const before = await head();
    const [reports] = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM report');
    expect((await exportOf('nobody@example.com', 'json')).body.errors?.[0].extensions?.code).toBe('SUBJECT_NOT_FOUND');
    expect((await exportOf('', 'json')).body.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
    expect((await exportOf(ALICE.id, 'pdf-of-doom')).body.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
    // The type is the export's own: generateReport cannot make one without a subject.
    const period = { from: at(120), to: at(-1) };
    const generic = await env.gql(GENERATE, { input: { type: 'SUBJECT_ACCESS', format: 'json', ...period } }, auditor);
    expect(generic.body.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
    expect(await head()).toBe(before);
    expect(await env.sql('SELECT COUNT(*) AS n FROM report')).toEqual([reports]);
  });

  it('after an erasure the earlier export is gone, a new one is refused, and the chain still verifies', async () => {
    const earlier = (await exportOf(ALICE.id, 'json')).body.data!.exportDataSubject;
    expect((await env.gql(REPORT, { id: earlier.id }, auditor)).body.data!.report).toEqual({ id: earlier.id });
    const erased = await env.gql(ERASE, { input: { subjectId: ALICE.id, reason: 'CONSENT_WITHDRAWN' } });
    expect(erased.body.errors).toBeUndefined();
    expect(erased.body.data!.eraseDataSubject).toEqual({ subjectRef: aliceRef, eventCount: 5 });

    expect((await env.gql(REPORT, { id: earlier.id }, auditor)).body.data!.report).toBeNull();
    expect(await env.sql('SELECT report_id FROM report_chunk WHERE report_id = ?', [earlier.id])).toEqual([]);
    expect((await fetch(new URL(earlier.downloadUrl, env.url))).status).toBe(404);
    // No stored report, of any kind, holds a value of Alice's; on SQLite not even the freed pages of the files.
    for (const { data } of await env.sql<{ data: Buffer }>('SELECT data FROM report_chunk')) {
      for (const text of ALICE_TEXTS) expect(Buffer.from(data).toString('utf8')).not.toContain(text);
    }
    if (env.dialect === 'sqlite') {
      const dir = env.env.DATA_DIR;
      const files = fs.readdirSync(dir).filter((f) => f.startsWith('datapunk-audit.sqlite'));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const bytes = fs.readFileSync(path.join(dir, file));
        for (const text of ALICE_TEXTS) expect(bytes.includes(Buffer.from(text))).toBe(false);
      }
    }

    const before = await head();
    expect((await exportOf(ALICE.id, 'json')).body.errors?.[0].extensions?.code).toBe('SUBJECT_NOT_FOUND');
    expect((await exportOf(aliceRef, 'json')).body.errors?.[0].extensions?.code).toBe('SUBJECT_NOT_FOUND');
    expect(await head()).toBe(before);

    // Bob's export still works; the event he shares with Alice shows her fields erased.
    const bobs = Buffer.from((await exportOf(BOB.id, 'json')).body.data!.exportDataSubject.contentBase64, 'base64').toString('utf8');
    expect(tableOf(bobs).rows[0]).toMatchObject({ sequence: sequences[4], resource: 'customer:[erased]' });
    for (const text of ALICE_TEXTS) expect(bobs).not.toContain(text);

    expect((await env.gql(VERIFY, {})).body.data!.verifyAuditChain).toMatchObject({ valid: true, firstFailure: null });
  });
});

describe('subject access: a large export, generated in the background', () => {
  let env: TestEnvironment;
  let auditor: string;

  beforeAll(async () => {
    // Every export with an event row goes to the background.
    env = await createTestEnvironment({ REPORT_SYNC_MAX_ROWS: '0' });
    auditor = await env.createKey('AUDITOR');
    expect((await env.gql(RECORD, { input: { events: BATCH } })).body.errors).toBeUndefined();
  });
  afterAll(() => env?.close());

  /** Polls report(id) until it is no longer PENDING (at most 1,200 polls, 25 ms apart). */
  async function settled(id: string): Promise<{ status: string; downloadUrl: string | null }> {
    for (let i = 0; i < 1200; i += 1) {
      const report = (await env.gql(`query R($id: ID!) { report(id: $id) { status downloadUrl } }`, { id }, auditor)).body.data!.report;
      if (report.status !== 'PENDING') return report;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`report ${id} still PENDING`);
  }

  it('answers PENDING, records the read at once, serves the whole export when READY, and the erasure deletes it', async () => {
    const res = await env.gql(EXPORT, { input: { subjectId: ALICE.id, format: 'json' } }, auditor);
    expect(res.body.errors).toBeUndefined();
    const pending = res.body.data!.exportDataSubject;
    expect(pending).toMatchObject({ status: 'PENDING', type: 'SUBJECT_ACCESS', contentBase64: null });
    await env.app.services.reads.flush();
    const reads = await env.sql<{ metadata: unknown }>(
      "SELECT metadata FROM audit_event WHERE tenant_id = 'default' AND action = 'datapunk.log.read' AND resource_id = 'Mutation.exportDataSubject'",
    );
    expect(reads.map((r) => (typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata))).toEqual([
      expect.objectContaining({ rowCount: 5, scope: expect.objectContaining({ reportId: pending.id }) }),
    ]);

    const ready = await settled(pending.id);
    expect(ready.status).toBe('READY');
    const download = await fetch(new URL(ready.downloadUrl!, env.url));
    expect(download.status).toBe(200);
    const json = Buffer.from(await download.arrayBuffer()).toString('utf8');
    expect(tableOf(json).rows).toHaveLength(5);
    expect(json).toContain(ALICE.secret);

    expect((await env.gql(ERASE, { input: { subjectId: ALICE.id, reason: 'OBJECTION' } })).body.errors).toBeUndefined();
    expect((await fetch(new URL(ready.downloadUrl!, env.url))).status).toBe(404);
    expect(await env.sql('SELECT report_id FROM report_chunk WHERE report_id = ?', [pending.id])).toEqual([]);
    expect((await env.gql(VERIFY, {})).body.data!.verifyAuditChain.valid).toBe(true);
  });
});
