import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

// Stored assessment runs and their history (ADR 0039): recordAssessment stores a run and records
// its digest in the chain; the history, time in non-compliance and status changes read the runs,
// each checked against its event; the scheduler stores each closed window once.

const RECORD_RUN = `mutation Run($input: RecordAssessmentInput!) {
  recordAssessment(input: $input) {
    id frameworkId from to asOf headSequence headChainHash trigger scheduleWindow digest settled level
    counts { nonCompliant total } controls { controlId status }
  }
}`;
const RUN = `query Run($id: String!) { assessmentRun(id: $id) { id digest controls { controlId status } } }`;
const HISTORY = `query History($f: String!, $c: String!, $from: DateTime!, $to: DateTime!, $g: HistoryGranularity!) {
  controlStatusHistory(frameworkId: $f, controlId: $c, from: $from, to: $to, granularity: $g) { label start end status settled runId asOf }
}`;
const NON_COMPLIANCE = `query Time($f: String!, $c: String!, $from: DateTime!, $to: DateTime!) {
  timeInNonCompliance(frameworkId: $f, controlId: $c, from: $from, to: $to) {
    days assessedDays nonCompliantDays nonCompliantSeconds firstNonCompliantAt lastNonCompliantAt
  }
}`;
const CHANGES = `query Changes($f: String!, $since: DateTime!, $first: Int, $after: String) {
  assessmentChanges(frameworkId: $f, since: $since, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { controlId from to at previousRunId runId } }
  }
}`;
const ASSESS = `query Assess($input: AssessComplianceInput!) { assessCompliance(input: $input) { headSequence controls { controlId status } } }`;
const RECORDED = `query Recorded { auditEvents(filter: { action: "datapunk.assessment.recorded" }, first: 50) {
  edges { node { sequence actor { id type } resource { type id } metadata } }
} }`;

type Run = {
  id: string;
  from: string;
  to: string;
  asOf: string;
  headSequence: number;
  trigger: string;
  scheduleWindow: string | null;
  digest: string;
  settled: boolean;
  controls: { controlId: string; status: string }[];
};

const DAY = 86_400_000;
// Fixed days in the past (a Monday to a Thursday): the verdicts of closed days never change.
const D1 = '2026-06-01T00:00:00.000Z';
const D2 = '2026-06-02T00:00:00.000Z';
const D3 = '2026-06-03T00:00:00.000Z';
const D4 = '2026-06-04T00:00:00.000Z';
const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
const CONTROL = 'CC6.1';

describe('assessment history', () => {
  let env: TestEnvironment;
  let auditor: string;
  const TENANT = 'history';

  const seed = async (tenant: string, events: Record<string, unknown>[]) => {
    const res = await env.gql(RECORD, { input: { events: events.map((e) => eventInput(e)) } }, await env.createKey('INGEST', tenant));
    expect(res.body.errors).toBeUndefined();
  };
  const record = async (input: Record<string, unknown>, key = auditor): Promise<Run> => {
    const res = await env.gql<{ recordAssessment: Run }>(RECORD_RUN, { input }, key);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.recordAssessment;
  };
  const count = async (tenant: string) =>
    Number((await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM assessment_run WHERE tenant_id = ?', [tenant]))[0].n);
  const head = async (tenant: string) =>
    Number((await env.sql<{ sequence: unknown }>('SELECT sequence FROM chain_head WHERE tenant_id = ?', [tenant]))[0].sequence);

  beforeAll(async () => {
    env = await createTestEnvironment();
    auditor = await env.createKey('AUDITOR', TENANT);
    // Day 1: sign-ins that work; day 2: a burst of failed sign-ins (CC6.1's violation rule); day 3: quiet.
    await seed(TENANT, [
      eventInput({ occurredAt: plus(D1, 9 * 3_600_000), action: 'auth.login' }),
      eventInput({ occurredAt: plus(D1, 10 * 3_600_000), action: 'auth.mfa.challenge' }),
      ...[0, 1, 2, 3, 4, 5].map((i) =>
        eventInput({ occurredAt: plus(D2, 9 * 3_600_000 + i * 1000), action: 'auth.login', outcome: { status: 'FAILURE' } }),
      ),
    ]);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('stores a run per day with its digest in the chain, and gives the history, the time non-compliant and the changes', async () => {
    const r1 = await record({ frameworkId: 'soc2', from: D1, to: D2 });
    const r2 = await record({ frameworkId: 'soc2', from: D2, to: D3 });
    const r3 = await record({ frameworkId: 'soc2', from: D3, to: D4 });
    expect(r1).toMatchObject({ from: D1, to: D2, asOf: D2, trigger: 'ON_DEMAND', scheduleWindow: null, settled: true });
    expect(r1.digest).toMatch(/^[0-9a-f]{64}$/);
    // Each run says what assessCompliance says of its range.
    const assessed = await env.gql(ASSESS, { input: { frameworkId: 'soc2', from: D2, to: D3 } }, auditor);
    expect(assessed.body.errors).toBeUndefined();
    expect(r2.controls).toEqual(assessed.body.data!.assessCompliance.controls);
    const status = (r: Run) => r.controls.find((c) => c.controlId === CONTROL)!.status;
    expect(status(r2)).toBe('NON_COMPLIANT');
    expect(status(r1)).not.toBe('NON_COMPLIANT');

    // The chain holds one datapunk.assessment.recorded event per run, with its id and digest.
    const events = await env.gql(RECORDED, {}, auditor);
    expect(events.body.errors).toBeUndefined();
    const recorded = events.body.data!.auditEvents.edges.map((e: { node: Record<string, any> }) => e.node);
    expect(recorded.map((e: Record<string, any>) => [e.resource.id, e.metadata.digest, e.actor.type]).sort()).toEqual(
      [r1, r2, r3].map((r) => [`soc2:${r.id}`, r.digest, 'API_KEY']).sort(),
    );
    const byId = await env.gql(RUN, { id: r2.id }, auditor);
    expect(byId.body.data!.assessmentRun).toMatchObject({ id: r2.id, digest: r2.digest });

    const history = await env.gql(HISTORY, { f: 'soc2', c: CONTROL, from: D1, to: plus(D4, DAY), g: 'DAY' }, auditor);
    expect(history.body.errors).toBeUndefined();
    expect(history.body.data!.controlStatusHistory).toEqual([
      { label: '2026-06-01', start: D1, end: D2, status: status(r1), settled: true, runId: r1.id, asOf: D2 },
      { label: '2026-06-02', start: D2, end: D3, status: 'NON_COMPLIANT', settled: true, runId: r2.id, asOf: D3 },
      { label: '2026-06-03', start: D3, end: D4, status: status(r3), settled: true, runId: r3.id, asOf: D4 },
      { label: '2026-06-04', start: D4, end: plus(D4, DAY), status: null, settled: null, runId: null, asOf: null },
    ]);
    const weekly = await env.gql(HISTORY, { f: 'soc2', c: CONTROL, from: D1, to: D4, g: 'WEEK' }, auditor);
    expect(weekly.body.data!.controlStatusHistory).toEqual([
      { label: '2026-W23', start: D1, end: plus(D1, 7 * DAY), status: status(r3), settled: true, runId: r3.id, asOf: D4 },
    ]);

    const time = await env.gql(NON_COMPLIANCE, { f: 'soc2', c: CONTROL, from: D1, to: plus(D4, DAY) }, auditor);
    expect(time.body.errors).toBeUndefined();
    expect(time.body.data!.timeInNonCompliance).toEqual({
      days: 4,
      assessedDays: 3,
      nonCompliantDays: status(r3) === 'NON_COMPLIANT' ? 2 : 1,
      nonCompliantSeconds: (status(r3) === 'NON_COMPLIANT' ? 2 : 1) * 86_400,
      firstNonCompliantAt: D2,
      lastNonCompliantAt: status(r3) === 'NON_COMPLIANT' ? D4 : D3,
    });

    // Changes since day 2: measured from day 1's run; paged one at a time, they add up to the same list.
    const all = await env.gql(CHANGES, { f: 'soc2', since: D2 }, auditor);
    expect(all.body.errors).toBeUndefined();
    const changes = all.body.data!.assessmentChanges;
    expect(changes.edges.map((e: { node: unknown }) => e.node)).toContainEqual({
      controlId: CONTROL,
      from: status(r1),
      to: 'NON_COMPLIANT',
      at: D3,
      previousRunId: r1.id,
      runId: r2.id,
    });
    expect(changes.totalCount).toBe(changes.edges.length);
    const paged: unknown[] = [];
    let after: string | null = null;
    do {
      const page: { body: { data?: Record<string, any> | null } } = await env.gql(
        CHANGES,
        { f: 'soc2', since: D2, first: 1, after },
        auditor,
      );
      const conn = page.body.data!.assessmentChanges;
      paged.push(...conn.edges.map((e: { node: unknown }) => e.node));
      after = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
    } while (after);
    expect(paged).toEqual(changes.edges.map((e: { node: unknown }) => e.node));
    // Since day 3 only the changes day 3's run shows.
    const later = await env.gql(CHANGES, { f: 'soc2', since: D4 }, auditor);
    expect(later.body.data!.assessmentChanges.edges.every((e: { node: { runId: string } }) => e.node.runId === r3.id)).toBe(true);

    // The report builder's trend: counts by status per day, from the same runs.
    const trend = await env.app.services.history.statusTrend(TENANT, 'soc2', D1, D4, 'DAY' as never);
    expect(trend.map((t) => [t.date, t.runId, t.counts?.NON_COMPLIANT ?? null])).toEqual([
      [D1, r1.id, expect.any(Number)],
      [D2, r2.id, expect.any(Number)],
      [D3, r3.id, expect.any(Number)],
    ]);
    expect(trend[1].counts!.NON_COMPLIANT).toBeGreaterThan(trend[0].counts!.NON_COMPLIANT);

    // COMPLIANCE_SUMMARY draws the same runs as its status trend, a stacked bar per day with a run.
    const sectionOf = async (key: string) => {
      const res = await env.gql<{ generateReport: { contentBase64: string } }>(
        `mutation G($input: GenerateReportInput!) { generateReport(input: $input) { contentBase64 } }`,
        { input: { type: 'COMPLIANCE_SUMMARY', format: 'json', frameworkId: 'soc2', from: D1, to: D4 } },
        key,
      );
      expect(res.body.errors).toBeUndefined();
      const report = JSON.parse(Buffer.from(res.body.data!.generateReport.contentBase64, 'base64').toString('utf8'));
      return report.sections.find((s: { id: string }) => s.id === 'status-trend') as { blocks: Record<string, any>[] };
    };
    const section = await sectionOf(auditor);
    const chart = section.blocks.find((b) => b.type === 'chart')!;
    expect(chart).toMatchObject({ kind: 'stacked', labels: ['2026-06-01', '2026-06-02', '2026-06-03'] });
    const nonCompliant = chart.series.find((s: { name: string }) => s.name === 'Non-compliant');
    expect(nonCompliant.values).toEqual(trend.map((t) => t.counts!.NON_COMPLIANT));
    expect(section.blocks.find((b) => b.type === 'paragraph')!.text).toContain('3 of 3 days of the period have a stored run');
    // A tenant with no stored run is told how to store them, and no chart is drawn.
    const none = await sectionOf(await env.createKey('AUDITOR', 'history-none'));
    expect(none.blocks.map((b) => b.type)).toEqual(['paragraph']);
    expect(none.blocks[0].text).toContain('No assessment run of soc2 is stored for this period');
  });

  it('refuses bad input and roles without rights, storing nothing and recording nothing', async () => {
    const runsBefore = await count(TENANT);
    const headBefore = await head(TENANT);
    const cases: [Record<string, unknown>, string][] = [
      [{ frameworkId: 'soc2', from: D2, to: D1 }, 'INVALID_ARGUMENT'],
      [{ frameworkId: 'soc2', from: '2999-01-01T00:00:00.000Z', to: '2999-01-02T00:00:00.000Z' }, 'INVALID_ARGUMENT'],
      [{ frameworkId: 'no-such-framework', from: D1, to: D2 }, 'NOT_FOUND'],
    ];
    for (const [input, code] of cases) {
      const res = await env.gql(RECORD_RUN, { input }, auditor);
      expect(res.body.errors?.[0].extensions?.code).toBe(code);
    }
    expect(await head(TENANT)).toBe(headBefore);
    for (const role of ['VIEWER', 'INGEST'] as const) {
      const res = await env.gql(RECORD_RUN, { input: { frameworkId: 'soc2', from: D1, to: D2 } }, await env.createKey(role, TENANT));
      expect(res.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      const read = await env.gql(HISTORY, { f: 'soc2', c: CONTROL, from: D1, to: D2, g: 'DAY' }, await env.createKey(role, TENANT));
      expect(read.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
    const tooLong = await env.gql(HISTORY, { f: 'soc2', c: CONTROL, from: D1, to: plus(D1, 400 * DAY), g: 'DAY' }, auditor);
    expect(tooLong.body.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
    const unknownControl = await env.gql(NON_COMPLIANCE, { f: 'soc2', c: 'XX9.9', from: D1, to: D2 }, auditor);
    expect(unknownControl.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const badCursor = await env.gql(CHANGES, { f: 'soc2', since: D1, after: 'bm9wZQ' }, auditor);
    expect(badCursor.body.errors?.[0].extensions?.code).toBe('INVALID_CURSOR');
    const bigPage = await env.gql(CHANGES, { f: 'soc2', since: D1, first: 100_000 }, auditor);
    expect(bigPage.body.errors?.[0].extensions?.code).toBe('PAGE_SIZE_EXCEEDED');
    // No run was stored (the forbidden requests are recorded as denials, as every denial is).
    expect(await count(TENANT)).toBe(runsBefore);
  });

  it('fails with ASSESSMENT_RUN_TAMPERED when a stored run is changed or removed in the database', async () => {
    const tenant = 'history-tamper';
    const key = await env.createKey('AUDITOR', tenant);
    await seed(tenant, [eventInput({ occurredAt: plus(D1, 3_600_000), action: 'auth.login' })]);
    const run = await record({ frameworkId: 'soc2', from: D1, to: D2 }, key);
    const vars = { f: 'soc2', c: CONTROL, from: D1, to: D3, g: 'DAY' };
    expect((await env.gql(HISTORY, vars, key)).body.errors).toBeUndefined();

    const [row] = await env.sql<{ statuses: string }>('SELECT statuses FROM assessment_run WHERE id = ?', [run.id]);
    const altered = JSON.stringify((JSON.parse(row.statuses) as [string, string][]).map(([id]) => [id, 'COMPLIANT']));
    await env.sql('UPDATE assessment_run SET statuses = ? WHERE id = ?', [altered, run.id]);
    for (const [query, variables] of [
      [HISTORY, vars],
      [NON_COMPLIANCE, { f: 'soc2', c: CONTROL, from: D1, to: D3 }],
      [CHANGES, { f: 'soc2', since: D1 }],
      [RUN, { id: run.id }],
    ] as const) {
      const res = await env.gql(query, variables, key);
      expect(res.body.errors?.[0].extensions?.code).toBe('ASSESSMENT_RUN_TAMPERED');
      expect(res.body.data?.[Object.keys(res.body.data ?? {})[0]] ?? null).toBeNull();
    }
    // Re-digesting the altered row does not help: the chain event keeps the original digest.
    await env.sql('UPDATE assessment_run SET statuses = ?, digest = ? WHERE id = ?', [altered, 'f'.repeat(64), run.id]);
    expect((await env.gql(HISTORY, vars, key)).body.errors?.[0].extensions?.code).toBe('ASSESSMENT_RUN_TAMPERED');
    // A run removed from the table is missed: its event still names it.
    await env.sql('DELETE FROM assessment_run WHERE id = ?', [run.id]);
    expect((await env.gql(HISTORY, vars, key)).body.errors?.[0].extensions?.code).toBe('ASSESSMENT_RUN_TAMPERED');
  });
});

describe('assessment scheduler', () => {
  let env: TestEnvironment;
  const TENANT = 'scheduled';
  // A clock the test owns: one hour into 2026-06-03, so the last closed day is 2026-06-02.
  const NOW = new Date('2026-06-03T01:00:00.000Z');

  beforeAll(async () => {
    env = await createTestEnvironment({ ASSESSMENT_SCHEDULE: 'daily', EVIDENCE_RECORDING_LAG_MINUTES: '30' });
    const res = await env.gql(
      RECORD,
      { input: { events: [eventInput({ occurredAt: '2026-06-02T09:00:00.000Z' })] } },
      await env.createKey('INGEST', TENANT),
    );
    expect(res.body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await env?.close();
  });

  const runs = () =>
    env.sql<{ framework_id: string; schedule_window: string; trigger: string }>(
      'SELECT framework_id, schedule_window, `trigger` FROM assessment_run WHERE tenant_id = ? ORDER BY framework_id'.replace(
        /`/g,
        env.dialect === 'sqlite' ? '"' : '`',
      ),
      [TENANT],
    );

  it('records each framework once for the last closed day, and a restarted node does not record it again', async () => {
    const frameworks = env.app.services.catalog
      .frameworks()
      .map((f) => f.framework.id)
      .sort();
    // Within the recording lag of the day's end, the day is not closed yet: the day before is the last closed one.
    const early = await env.app.services.scheduler.tick(new Date('2026-06-03T00:10:00.000Z'));
    expect(early).toBe(frameworks.length);
    expect((await runs()).map((r) => r.schedule_window)).toEqual(frameworks.map(() => 'DAY:2026-06-01'));

    expect(await env.app.services.scheduler.tick(NOW)).toBe(frameworks.length);
    expect(await env.app.services.scheduler.tick(NOW)).toBe(0);
    await env.restart();
    expect(await env.app.services.scheduler.tick(NOW)).toBe(0);
    const stored = await runs();
    expect(stored.filter((r) => r.schedule_window === 'DAY:2026-06-02').map((r) => [r.framework_id, r.trigger])).toEqual(
      frameworks.map((f) => [f, 'SCHEDULED']),
    );
    expect(stored).toHaveLength(2 * frameworks.length);

    // The runs are part of the history like any other, recorded in the chain by the scheduler itself.
    const key = await env.createKey('AUDITOR', TENANT);
    const history = await env.gql(
      HISTORY,
      { f: 'soc2', c: CONTROL, from: '2026-06-01T00:00:00.000Z', to: '2026-06-03T00:00:00.000Z', g: 'DAY' },
      key,
    );
    expect(history.body.errors).toBeUndefined();
    expect(
      history.body.data!.controlStatusHistory.map((p: { runId: string | null; settled: boolean }) => [p.runId !== null, p.settled]),
    ).toEqual([
      [true, true],
      [true, true],
    ]);
    const events = await env.gql(RECORDED, {}, key);
    const actors = events.body.data!.auditEvents.edges.map((e: { node: { actor: { id: string; type: string } } }) => e.node.actor);
    expect(actors).toHaveLength(2 * frameworks.length);
    expect(new Set(actors.map((a: { id: string; type: string }) => `${a.type}:${a.id}`))).toEqual(
      new Set(['SYSTEM:datapunk-assessment-scheduler']),
    );
  });
  it('records a window again when a crash left its row without a chain event, once the row is old enough to be abandoned', async () => {
    const frameworks = env.app.services.catalog.frameworks().length;
    // A crash between the two statements of a record (ADR 0039): soc2's row for 2026-06-03, stored
    // but never recorded in the chain — a copy of the recorded 2026-06-02 row under a new id.
    const q = (name: string) => (env.dialect === 'sqlite' ? `"${name}"` : `\`${name}\``);
    const copied = [
      'tenant_id',
      'framework_id',
      'framework_version',
      'plugin_version',
      'period_from',
      'period_to',
      'as_of',
      'recorded_by',
      'head_sequence',
      'head_chain_hash',
      'parameters',
      'scope',
      'summary',
      'statuses',
      q('trigger'),
      'created_by',
      'digest',
    ];
    const orphan = async (id: string, createdAt: string) =>
      env.sql(
        `INSERT INTO assessment_run (id, schedule_window, created_at, ${copied.join(', ')})
         SELECT ?, 'DAY:2026-06-03', ?, ${copied.join(', ')} FROM assessment_run
         WHERE tenant_id = ? AND framework_id = 'soc2' AND schedule_window = 'DAY:2026-06-02'`,
        [id, createdAt, TENANT],
      );
    const soc2Window = () =>
      env.sql<{ id: string }>(
        "SELECT id FROM assessment_run WHERE tenant_id = ? AND framework_id = 'soc2' AND schedule_window = 'DAY:2026-06-03'",
        [TENANT],
      );
    const tick = new Date('2026-06-04T01:00:00.000Z');
    // Five minutes old: perhaps a record under way on another node. Left alone; the other frameworks are recorded.
    await orphan('00000000-0000-7000-8000-000000000001', '2026-06-04 00:55:00.000');
    expect(await env.app.services.scheduler.tick(tick)).toBe(frameworks - 1);
    expect((await soc2Window()).map((r) => r.id)).toEqual(['00000000-0000-7000-8000-000000000001']);
    // Fifteen minutes later it has no event still: removed, and the window recorded in the chain.
    expect(await env.app.services.scheduler.tick(new Date(tick.getTime() + 15 * 60_000))).toBe(1);
    const [recorded] = await soc2Window();
    expect(recorded.id).not.toBe('00000000-0000-7000-8000-000000000001');
    const key = await env.createKey('AUDITOR', TENANT);
    const history = await env.gql(
      HISTORY,
      { f: 'soc2', c: CONTROL, from: '2026-06-03T00:00:00.000Z', to: '2026-06-04T00:00:00.000Z', g: 'DAY' },
      key,
    );
    expect(history.body.errors).toBeUndefined();
    expect(history.body.data!.controlStatusHistory.map((p: { runId: string | null }) => p.runId)).toEqual([recorded.id]);
    // Recorded once: the next tick stores nothing.
    expect(await env.app.services.scheduler.tick(new Date(tick.getTime() + 30 * 60_000))).toBe(0);
  });
});
