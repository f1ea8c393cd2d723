import { READ_OPERATIONS } from '../../src/audit/read-record';
import { main } from '../../src/cli';
import { createTestEnvironment, eventInput, RECORD, type TestEnvironment, VERIFY } from '../helpers/test-environment';

/**
 * Auditors audited (issue 12 part 5, ADR 0044): every read of the log is a `datapunk.log.read`
 * event naming the key, the scope and the count, one per request and aggregated per window; ADMIN
 * and AUDITOR keys see them, VIEWER keys never do; the chain verifies with them in it; the built-in
 * frameworks count them as evidence of the log being read.
 */

const READ = 'datapunk.log.read';
const READ_RECORDS = [READ, 'datapunk.report.generated', 'datapunk.report.downloaded'];
const EVENTS = `query E($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) { totalCount edges { node { id action actor { id } metadata } } pageInfo { hasNextPage endCursor } }
}`;
const EVENT = `query One($id: String!) { auditEvent(id: $id) { id action } }`;
const STATS = `query S($filter: AuditEventFilter) { auditEventStats(groupBy: ACTION, filter: $filter) { total groups { key count } } }`;
const EVIDENCE = `query C($f: String!, $c: String!) { control(frameworkId: $f, id: $c) { evidence(first: 100) { totalCount edges { node { id action } } } } }`;
const ASSESS = `query A($input: AssessComplianceInput!) {
  assessCompliance(input: $input) { controls { controlId status rules { ruleId role verdict count } } }
}`;
const GENERATE = `mutation G($input: GenerateReportInput!) { generateReport(input: $input) { id status downloadUrl } }`;
const KEY_ID = `{ viewer { keyId } }`;

interface ReadRecord {
  sequence: number;
  actorId: string;
  resourceId: string;
  metadata: Record<string, any>;
}

describe('reads of the log recorded in the chain', () => {
  let env: TestEnvironment;
  let auditor: string;
  let viewer: string;
  let ingest: string;
  let auditorId: string;
  const from = new Date(Date.now() - 3 * 86_400_000).toISOString();

  /** Appends what the node has noted so far (READ_AUDIT_FLUSH_SECONDS is 0 in the test kit: no timer). */
  const flush = () => env.app.services.reads.flush();

  /** The read records of the default tenant after `after`, oldest first, straight from the table. */
  async function records(after: number, action = READ): Promise<ReadRecord[]> {
    const rows = await env.sql<Record<string, unknown>>(
      "SELECT sequence, actor_id, resource_id, metadata FROM audit_event WHERE tenant_id = 'default' AND action = ? AND sequence > ? ORDER BY sequence",
      [action, after],
    );
    return rows.map((r) => ({
      sequence: Number(r.sequence),
      actorId: String(r.actor_id),
      resourceId: String(r.resource_id),
      metadata: typeof r.metadata === 'string' ? JSON.parse(r.metadata) : (r.metadata as Record<string, any>),
    }));
  }

  /** The head now, with everything noted before it written. */
  async function head(): Promise<number> {
    await flush();
    const [row] = await env.sql<{ n: unknown }>("SELECT sequence AS n FROM chain_head WHERE tenant_id = 'default'");
    return Number(row.n);
  }

  beforeAll(async () => {
    env = await createTestEnvironment();
    auditor = await env.createKey('AUDITOR');
    viewer = await env.createKey('VIEWER');
    ingest = await env.createKey('INGEST');
    auditorId = (await env.gql(KEY_ID, {}, auditor)).body.data!.viewer.keyId;
    const batch = (n: number, action: string) =>
      Array.from({ length: n }, (_, i) => eventInput({ action, occurredAt: new Date(Date.now() - 3_600_000 + i).toISOString() }));
    for (const events of [batch(500, 'auth.login'), batch(100, 'data.export')]) {
      const res = await env.gql(RECORD, { input: { events } }, ingest);
      expect(res.body.errors).toBeUndefined();
    }
  });

  afterAll(async () => {
    await env?.close();
  });

  it('records a page of 500 events as one event with count 500, naming the key and the scope, and writes nothing on the request path', async () => {
    const before = await head();
    const res = await env.gql(EVENTS, { filter: { actionPrefix: 'auth.' }, first: 500 }, auditor);
    expect(res.body.data!.auditEvents.edges).toHaveLength(500);
    // Served, noted, not yet in the chain: the read did not wait on the chain lock.
    expect((await records(before)).length).toBe(0);
    await flush();
    const written = await records(before);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({
      actorId: auditorId,
      resourceId: 'Query.auditEvents',
      metadata: {
        operation: 'Query.auditEvents',
        role: 'AUDITOR',
        scope: { filter: { actionPrefix: 'auth.' }, first: 500, after: null, order: 'DESC' },
        requestCount: 1,
        rowCount: 500,
      },
    });
    const metrics = await (await fetch(new URL('/metrics', env.url))).text();
    expect(Number(/^datapunk_read_records_written_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/^datapunk_read_records_pending 0$/m);
  });

  it('records auditEvent, auditEventStats, Control.evidence and verifyAuditChain with their scopes and counts', async () => {
    const before = await head();
    const some = (await env.gql(EVENTS, { filter: { action: 'data.export' }, first: 1 }, auditor)).body.data!.auditEvents.edges[0].node;
    expect((await env.gql(EVENT, { id: some.id }, auditor)).body.data!.auditEvent.id).toBe(some.id);
    expect((await env.gql(EVENT, { id: 'no-such-event' }, auditor)).body.data!.auditEvent).toBeNull();
    const stats = (await env.gql(STATS, { filter: { action: 'data.export' } }, auditor)).body.data!.auditEventStats;
    expect(stats.total).toBe(100);
    const evidence = await env.gql(EVIDENCE, { f: 'hipaa', c: '164.312(b)' }, auditor);
    expect(evidence.body.errors).toBeUndefined();
    const verified = (await env.gql(VERIFY, {}, auditor)).body.data!.verifyAuditChain;
    expect(verified.valid).toBe(true);
    await flush();
    const byOperation = (op: string) => records(before).then((list) => list.filter((r) => r.resourceId === op));
    expect((await byOperation('Query.auditEvent')).map((r) => [r.metadata.scope, r.metadata.rowCount])).toEqual([
      [{ id: some.id }, 1],
      [{ id: 'no-such-event' }, 0],
    ]);
    expect((await byOperation('Query.auditEventStats')).map((r) => [r.metadata.scope, r.metadata.rowCount])).toEqual([
      [{ groupBy: 'ACTION', filter: { action: 'data.export' }, limit: 100 }, 100],
    ]);
    const [ev] = await byOperation('Control.evidence');
    expect(ev.metadata).toMatchObject({
      scope: { frameworkId: 'hipaa', controlId: '164.312(b)', first: 100, after: null },
      requestCount: 1,
    });
    expect(ev.metadata.rowCount).toBe(evidence.body.data!.control.evidence.edges.length);
    const [check] = await byOperation('Query.verifyAuditChain');
    expect(check.metadata).toMatchObject({ scope: { fromSequence: null, toSequence: null }, rowCount: verified.checkedCount });
  });

  it('bounds a flood: 40 identical requests make one record with the total count; 30 distinct scopes make READ_AUDIT_SCOPES_PER_KEY + 1', async () => {
    const before = await head();
    for (let i = 0; i < 40; i++) await env.gql(EVENTS, { filter: { action: 'data.export' }, first: 10 }, auditor);
    await flush();
    const same = await records(before);
    expect(same).toHaveLength(1);
    expect(same[0].metadata).toMatchObject({ requestCount: 40, rowCount: 400 });

    const middle = await head();
    for (let i = 0; i < 30; i++) await env.gql(EVENTS, { filter: { resourceId: `r-${i}` }, first: 5 }, auditor);
    await flush();
    const varied = await records(middle);
    expect(varied).toHaveLength(21); // the default READ_AUDIT_SCOPES_PER_KEY (20), then one folded record
    expect(varied.filter((r) => r.metadata.scope === null).map((r) => r.metadata)).toEqual([
      expect.objectContaining({ scopesFolded: 10, requestCount: 10 }),
    ]);
    expect(varied.reduce((n, r) => n + r.metadata.requestCount, 0)).toBe(30);
  });

  it('records report generation and download with the period, and the chain still verifies through GraphQL and the CLI', async () => {
    const before = await head();
    const to = new Date(Date.now() + 60_000).toISOString();
    const report = (await env.gql(GENERATE, { input: { type: 'AUDIT_TRAIL', format: 'json', from, to } }, auditor)).body.data!
      .generateReport;
    expect(report.status).toBe('READY');
    expect((await fetch(new URL(report.downloadUrl, env.url))).status).toBe(200);
    const [generated] = await records(before, 'datapunk.report.generated');
    const [downloaded] = await records(before, 'datapunk.report.downloaded');
    for (const r of [generated, downloaded]) expect(r).toMatchObject({ actorId: auditorId, metadata: { type: 'AUDIT_TRAIL', from, to } });

    await flush();
    const verified = (await env.gql(VERIFY, {}, auditor)).body.data!.verifyAuditChain;
    expect(verified).toMatchObject({ valid: true, firstFailure: null });
    expect((await records(0)).length).toBeGreaterThan(20);
    let out = '';
    const code = await main(['verify-chain', '--json'], {
      out: (t) => (out += t),
      err: () => undefined,
      env: { ...process.env, ...env.env },
    });
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ valid: true, headSequence: verified.headSequence });
  });

  it('shows read records to AUDITOR and ADMIN keys and never to a VIEWER, on every path', async () => {
    await head();
    const all = await records(0);
    expect(all.length).toBeGreaterThan(0);
    const someRecord = (await env.gql(EVENTS, { filter: { action: READ }, first: 1 }, auditor)).body.data!.auditEvents.edges[0].node;
    for (const key of [auditor, env.adminKey]) {
      const res = (await env.gql(EVENTS, { filter: { action: READ }, first: 500 }, key)).body.data!.auditEvents;
      expect(res.totalCount).toBeGreaterThanOrEqual(all.length);
      expect((await env.gql(EVENT, { id: someRecord.id }, key)).body.data!.auditEvent.action).toBe(READ);
    }

    const counted = Number(
      (
        await env.sql<{ n: unknown }>(
          `SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = 'default' AND action NOT IN (${READ_RECORDS.map(() => '?').join(', ')})`,
          READ_RECORDS,
        )
      )[0].n,
    );
    for (const action of READ_RECORDS) {
      const res = (await env.gql(EVENTS, { filter: { action }, first: 500 }, viewer)).body.data!.auditEvents;
      expect(res).toMatchObject({ totalCount: 0, edges: [] });
    }
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: any = (await env.gql(EVENTS, { first: 500, after }, viewer)).body.data!.auditEvents;
      seen.push(...page.edges.map((e: any) => e.node.action));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(seen.filter((a) => READ_RECORDS.includes(a))).toEqual([]);
    expect(seen.length).toBe(counted);
    expect((await env.gql(EVENT, { id: someRecord.id }, viewer)).body.data!.auditEvent).toBeNull();
    const stats = (await env.gql(STATS, {}, viewer)).body.data!.auditEventStats;
    expect(stats.groups.map((g: { key: string }) => g.key).filter((k: string) => READ_RECORDS.includes(k))).toEqual([]);
    expect(stats.total).toBe(counted);
    const byControl = { control: { frameworkId: 'hipaa', controlId: '164.312(b)' } };
    const viewerByControl = (await env.gql(EVENTS, { filter: byControl, first: 500 }, viewer)).body.data!.auditEvents;
    expect(viewerByControl.edges.filter((e: any) => READ_RECORDS.includes(e.node.action))).toEqual([]);
    expect(viewerByControl.totalCount).toBe(viewerByControl.edges.length);
    const auditorByControl = (await env.gql(EVENTS, { filter: byControl, first: 500 }, auditor)).body.data!.auditEvents;
    expect(auditorByControl.edges.some((e: any) => e.node.action === READ)).toBe(true);
    const evidence = (await env.gql(EVIDENCE, { f: 'hipaa', c: '164.312(b)' }, viewer)).body.data!.control.evidence;
    expect(evidence.edges.filter((e: any) => READ_RECORDS.includes(e.node.action))).toEqual([]);
    expect(evidence.totalCount).toBe(evidence.edges.length);
    const auditorEvidence = (await env.gql(EVIDENCE, { f: 'hipaa', c: '164.312(b)' }, auditor)).body.data!.control.evidence;
    expect(auditorEvidence.edges.some((e: any) => e.node.action === READ)).toBe(true);

    // The VIEWER's own reads are recorded too, and it cannot see them either.
    const before = await head();
    expect((await records(before)).filter((r) => r.metadata.role === 'VIEWER')).toEqual([]);
    await flush();
    expect((await records(0)).some((r) => r.metadata.role === 'VIEWER')).toBe(true);
  });

  it('records the sample events of an assessment and an attestation’s event: every read operation of the schema writes its record', async () => {
    const before = await head();
    const to = new Date(Date.now() + 60_000).toISOString();
    const assessed = await env.gql(
      `query A($input: AssessComplianceInput!) { assessCompliance(input: $input) { controls { controlId sampleEvents { id } rules { ruleId sampleEvents { id } } } } }`,
      { input: { frameworkId: 'hipaa', from, to } },
      auditor,
    );
    expect(assessed.body.errors).toBeUndefined();
    const controls = assessed.body.data!.assessCompliance.controls as { sampleEvents: unknown[]; rules: { sampleEvents: unknown[] }[] }[];
    const controlSamples = controls.reduce((n, c) => n + c.sampleEvents.length, 0);
    const ruleSamples = controls.reduce((n, c) => n + c.rules.reduce((m, r) => m + r.sampleEvents.length, 0), 0);
    expect(controlSamples).toBeGreaterThan(0);
    const attested = await env.gql(
      `mutation A($input: AttestControlInput!) { attestControl(input: $input) { sequence event { action } } }`,
      {
        input: {
          frameworkId: 'soc2',
          controlId: 'CC2.3',
          status: 'COMPLIANT',
          note: 'Reviewed.',
          expiresAt: new Date(Date.now() + 90 * 86_400_000).toISOString(),
        },
      },
      auditor,
    );
    expect(attested.body.errors).toBeUndefined();
    expect(attested.body.data!.attestControl.event.action).toBe('datapunk.control.attested');
    const proved = await env.gql(
      `{ inclusionProof(sequence: 2) { treeSize hashes } consistencyProof(fromSize: 1) { toSize hashes } proofBundle(sequence: 3) }`,
      {},
      auditor,
    );
    expect(proved.body.errors).toBeUndefined();
    // A subject access export (issue 12 part 3) of the person every event of this suite is by.
    const exported = await env.gql(
      `mutation X($input: ExportDataSubjectInput!) { exportDataSubject(input: $input) { id status } }`,
      { input: { subjectId: 'u-42', format: 'json' } },
      auditor,
    );
    expect(exported.body.errors).toBeUndefined();
    // A report's proof bundle file (ADR 0049): its count is the report's bundles.
    const withBundles = await env.gql(
      `mutation G($input: GenerateReportInput!) { generateReport(input: $input) { id } }`,
      {
        input: {
          type: 'AUDIT_TRAIL',
          format: 'json',
          from: new Date(Date.now() - 400 * 86_400_000).toISOString(),
          to: new Date(Date.now() + 3_600_000).toISOString(),
          filter: { action: 'datapunk.control.attested' },
          proofBundles: true,
        },
      },
      auditor,
    );
    expect(withBundles.body.errors).toBeUndefined();
    const reportId = withBundles.body.data!.generateReport.id as string;
    const bundleFile = await env.gql(`query R($id: ID!) { reportProofBundles(id: $id) }`, { id: reportId }, auditor);
    expect(bundleFile.body.errors).toBeUndefined();
    const bundleCount = (bundleFile.body.data!.reportProofBundles as string).split('c2sp.org/tlog-proof@v1\n').length - 1;
    expect(bundleCount).toBe(1);
    await flush();
    const written = await records(before);
    const one = (op: string) => written.filter((r) => r.resourceId === op).map((r) => r.metadata);
    expect(one('ControlAssessment.sampleEvents')).toEqual([
      expect.objectContaining({ scope: { frameworkId: 'hipaa' }, requestCount: 1, rowCount: controlSamples }),
    ]);
    expect(one('RuleAssessment.sampleEvents')).toEqual([expect.objectContaining({ requestCount: 1, rowCount: ruleSamples })]);
    expect(one('Query.inclusionProof')).toEqual([
      expect.objectContaining({ scope: { sequence: 2, treeSize: proved.body.data!.inclusionProof.treeSize }, rowCount: 1 }),
    ]);
    expect(one('Query.consistencyProof')).toEqual([
      expect.objectContaining({ scope: { fromSize: 1, toSize: proved.body.data!.consistencyProof.toSize }, rowCount: 0 }),
    ]);
    const bundleSize = Number(/\n(\d+)\n/.exec(proved.body.data!.proofBundle as string)![1]);
    expect(one('Query.proofBundle')).toEqual([expect.objectContaining({ scope: { sequence: 3, treeSize: bundleSize }, rowCount: 1 })]);
    expect(one('Query.reportProofBundles')).toEqual([expect.objectContaining({ scope: { reportId }, rowCount: bundleCount })]);
    expect(one('ControlAttestation.event')).toEqual([
      expect.objectContaining({ scope: { sequence: attested.body.data!.attestControl.sequence }, rowCount: 1 }),
    ]);
    expect(one('Mutation.exportDataSubject')).toEqual([
      expect.objectContaining({ scope: expect.objectContaining({ subject: expect.stringMatching(/^p_/) }), rowCount: 600 }),
    ]);
    const recorded = new Set((await records(0)).map((r) => r.resourceId));
    expect(READ_OPERATIONS.filter((op) => !recorded.has(op))).toEqual([]);
  });

  it('the built-in frameworks count the read records where they speak of examining the audit log', async () => {
    await flush();
    const readRecords = (await records(0)).length;
    const reports = (await records(0, 'datapunk.report.generated')).length + (await records(0, 'datapunk.report.downloaded')).length;
    const to = new Date(Date.now() + 60_000).toISOString();
    const rule = async (frameworkId: string, controlId: string, ruleId: string) => {
      const res = await env.gql(ASSESS, { input: { frameworkId, from, to } }, auditor);
      expect(res.body.errors).toBeUndefined();
      const control = res.body.data!.assessCompliance.controls.find((c: { controlId: string }) => c.controlId === controlId);
      return control.rules.find((r: { ruleId: string }) => r.ruleId === ruleId);
    };
    const expected = readRecords + reports;
    for (const [framework, control, id] of [
      ['hipaa', '164.312(b)', 'audit-log-reads-recorded'],
      ['hipaa', '164.308(a)(1)(ii)(D)', 'activity-records-read'],
      ['soc2', 'CC7.2', 'audit-log-reads-recorded'],
      ['gdpr', 'Art. 32(1)(b)', 'audit-trail-reads-recorded'],
    ]) {
      const outcome = await rule(framework, control, id);
      expect(outcome).toMatchObject({ role: 'EVIDENCE' });
      // Every read record in the period counts (these assessments select no events, so they note no reads).
      expect(outcome.count).toBe(expected);
    }
  });

  it('two nodes on one database: each records its own reads, none is lost, and the chain verifies', async () => {
    const before = await head();
    const other = await env.spawnServer();
    try {
      const ask = async (url: string) => {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${auditor}` },
          body: JSON.stringify({ query: EVENTS, variables: { filter: { actionPrefix: 'data.' }, first: 2 } }),
        });
        const body = (await res.json()) as { errors?: unknown; data?: { auditEvents: { edges: unknown[] } } };
        expect(body.errors).toBeUndefined();
        expect(body.data!.auditEvents.edges).toHaveLength(2);
      };
      // The same key and scope on both nodes at once: each node aggregates its own requests.
      await Promise.all([...Array.from({ length: 7 }, () => ask(env.url)), ...Array.from({ length: 5 }, () => ask(other.url))]);
      // Both append at once: the other node on its way out (it flushes on SIGTERM), this one by flush().
      await Promise.all([other.stop(), flush()]);
    } finally {
      await other.stop();
    }
    const written = (await records(before)).filter((r) => JSON.stringify(r.metadata.scope?.filter) === '{"actionPrefix":"data."}');
    expect(written.map((r) => r.metadata.requestCount).sort()).toEqual([5, 7]);
    expect(written.reduce((n, r) => n + r.metadata.rowCount, 0)).toBe(24);
    expect(new Set(written.map((r) => r.actorId))).toEqual(new Set([auditorId]));
    const verified = (await env.gql(VERIFY, {}, auditor)).body;
    expect(verified.errors).toBeUndefined();
    expect(verified.data!.verifyAuditChain.valid).toBe(true);
  });

  it('writes the reads still pending when the server stops', async () => {
    const before = await head();
    await env.gql(EVENTS, { filter: { actionPrefix: 'data.' }, first: 3 }, auditor);
    await env.restart();
    const written = await records(before);
    expect(written.map((r) => [r.metadata.scope.filter, r.metadata.rowCount])).toEqual([[{ actionPrefix: 'data.' }, 3]]);
  });
});
