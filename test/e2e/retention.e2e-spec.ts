import { createConnection } from 'mysql2/promise';
import { main } from '../../src/cli';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

// Retention (ADR 0043): rules and holds decide a prefix of the chain; a prune deletes exactly it,
// after a signed anchor and a datapunk.retention.pruned event; the pruned chain verifies from the
// anchor (GraphQL and CLI), names the pruned prefix, and a row deleted beyond it is caught.

const DAY = 86_400_000;
const VERIFY = `query Verify($from: SafeInt) {
  verifyAuditChain(fromSequence: $from) {
    valid fromSequence toSequence checkedCount headSequence
    firstFailure { sequence reason message }
    prunedPrefix { throughSequence eventSequence occurredBefore anchor { id sequence chainHash keyId signature } }
  }
}`;
const ADD_RULE = `mutation Add($input: RetentionRuleInput!) { addRetentionRule(input: $input) { id selector value minDays maxDays } }`;
const PLACE_HOLD = `mutation Hold($input: LegalHoldInput!) { placeLegalHold(input: $input) { id subject releasedAt } }`;
const DRY_RUN = `query Dry($asOf: DateTime) {
  pruneDryRun(asOf: $asOf) { dryRun fromSequence throughSequence eventCount keptSequence keptReason deleted alreadyPrunedThrough }
}`;
const ASSESS = `query Assess($input: AssessComplianceInput!) {
  assessCompliance(input: $input) { headSequence pruned { throughSequence occurredBefore } counts { total } }
}`;

async function cli(env: Record<string, string>, args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    out: (t) => (stdout += t),
    err: (t) => (stderr += t),
    env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
  });
  return { code, stdout, stderr };
}

describe('retention: rules, holds and a signed prune', () => {
  let env: TestEnvironment;
  const TENANT = 'retention';
  let admin: string;
  let auditor: string;
  let viewer: string;
  let holdId: string;
  const started = Date.now();
  const at = (days: number) => new Date(started + days * DAY);
  const actor = (tenantId: string) => ({ tenantId, keyId: null, requestId: 'retention-test' });

  beforeAll(async () => {
    env = await createTestEnvironment();
    admin = await env.createKey('ADMIN', TENANT);
    auditor = await env.createKey('AUDITOR', TENANT);
    viewer = await env.createKey('VIEWER', TENANT);
    const ingest = await env.createKey('INGEST', TENANT);
    const events = [
      eventInput({ action: 'auth.login', actor: { id: 'u-1', type: 'USER' } }),
      eventInput({ action: 'auth.login', actor: { id: 'u-2', type: 'USER' } }),
      eventInput({ action: 'data.read', actor: { id: 'u-held', type: 'USER' }, resource: { type: 'record', id: 'r-1' } }),
      eventInput({ action: 'auth.logout', actor: { id: 'u-1', type: 'USER' } }),
      eventInput({ action: 'auth.login', actor: { id: 'u-3', type: 'USER' } }),
    ];
    const recorded = (await env.gql(RECORD, { input: { events } }, ingest)).body;
    expect(recorded.errors).toBeUndefined();
  });
  afterAll(() => env?.close());

  it('refuses bad rules and holds with INVALID_ARGUMENT, and callers below ADMIN', async () => {
    for (const input of [
      { selector: 'ACTION_PREFIX', value: 'auth.', minDays: 30, maxDays: 10 },
      { selector: 'ACTION_PREFIX', value: 'auth.' },
      { selector: 'FRAMEWORK', value: 'no-such-framework', minDays: 10 },
      { selector: 'CLASSIFICATION', value: 'SECRET', maxDays: 10 },
      { selector: 'ACTION_PREFIX', value: 'auth.', maxDays: 0 },
    ]) {
      const res = (await env.gql(ADD_RULE, { input }, admin)).body;
      expect(res.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
    }
    const hold = (await env.gql(PLACE_HOLD, { input: { reason: 'matter 1' } }, admin)).body;
    expect(hold.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
    const auditorAdds = (await env.gql(ADD_RULE, { input: { selector: 'ACTION_PREFIX', value: 'auth.', maxDays: 5 } }, auditor)).body;
    expect(auditorAdds.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const viewerReads = (await env.gql('{ retentionRules { id } }', {}, viewer)).body;
    expect(viewerReads.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // Nothing was stored by any of them.
    expect((await env.gql('{ retentionRules { id } legalHolds { id } }', {}, admin)).body.data).toEqual({
      retentionRules: [],
      legalHolds: [],
    });
  });

  it('stores rules and a hold, readable by AUDITOR, with suggestions from the frameworks', async () => {
    for (const input of [
      { selector: 'FRAMEWORK', value: 'soc2', minDays: 365, note: 'audit period' },
      { selector: 'ACTION_PREFIX', value: 'auth.', maxDays: 400 },
      { selector: 'ACTION_PREFIX', value: 'data.', maxDays: 400 },
    ]) {
      const res = (await env.gql(ADD_RULE, { input }, admin)).body;
      expect(res.errors).toBeUndefined();
    }
    const hold = (await env.gql(PLACE_HOLD, { input: { subject: 'u-held', reason: 'litigation 2026-17' } }, admin)).body;
    expect(hold.errors).toBeUndefined();
    holdId = hold.data!.placeLegalHold.id;
    const read = (
      await env.gql('{ retentionRules { selector value } legalHolds { id } retentionSuggestions { frameworkId minDays } }', {}, auditor)
    ).body;
    expect(read.data!.retentionRules).toHaveLength(3);
    expect(read.data!.legalHolds).toEqual([{ id: holdId }]);
    expect(read.data!.retentionSuggestions).toEqual(
      expect.arrayContaining([
        { frameworkId: 'hipaa', minDays: 2190 },
        { frameworkId: 'gdpr', minDays: null },
      ]),
    );
  });

  it('a dry run deletes nothing and stops at the hold, not before the maximum or the minimum', async () => {
    const before = (await env.gql(DRY_RUN, { asOf: at(200).toISOString() }, auditor)).body.data!.pruneDryRun;
    expect(before).toMatchObject({ dryRun: true, throughSequence: null, eventCount: 0, keptSequence: 1, deleted: 0 });
    expect(before.keptReason).toMatch(/keeps it 400 days/);
    const after = (await env.gql(DRY_RUN, { asOf: at(401).toISOString() }, auditor)).body.data!.pruneDryRun;
    expect(after).toMatchObject({ fromSequence: 1, throughSequence: 2, eventCount: 2, keptSequence: 3 });
    expect(after.keptReason).toBe(`legal hold ${holdId}`);
    const dry = await cli(env.env, ['prune', '--tenant', TENANT, '--dry-run', '--as-of', at(401).toISOString()]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/would delete events 1\.\.2 \(2 events/);
    expect((await cli(env.env, ['prune', '--tenant', TENANT, '--as-of', at(401).toISOString()])).code).toBe(2);
    const stored = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = ? AND sequence <= 5', [TENANT]);
    expect(Number(stored[0].n)).toBe(5);
  });

  it('a prune now deletes nothing; at day 401 exactly events 1–2, never the held event 3', async () => {
    const now = await cli(env.env, ['prune', '--tenant', TENANT]);
    expect(now.code).toBe(0);
    expect(now.stdout).toMatch(/nothing to prune/);
    const result = await env.app.services.retention.prune(actor(TENANT), { now: at(401) });
    expect(result).toMatchObject({ dryRun: false, fromSequence: 1, throughSequence: 2, deleted: 2 });
    expect(result.anchor).toMatchObject({ sequence: 2 });
    const left = await env.sql<{ sequence: unknown }>('SELECT sequence FROM audit_event WHERE tenant_id = ? ORDER BY sequence', [TENANT]);
    expect(left.map((r) => Number(r.sequence)).slice(0, 3)).toEqual([3, 4, 5]);
    const labels = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM audit_event_label WHERE tenant_id = ? AND sequence <= 2', [
      TENANT,
    ]);
    expect(Number(labels[0].n)).toBe(0);
    const [event] = await env.sql<{ action: string; metadata: string; actor_id: string }>(
      'SELECT action, metadata, actor_id FROM audit_event WHERE tenant_id = ? AND sequence = ?',
      [TENANT, result.eventSequence],
    );
    expect(event.action).toBe('datapunk.retention.pruned');
    expect(JSON.parse(event.metadata)).toMatchObject({
      fromSequence: 1,
      throughSequence: 2,
      eventCount: 2,
      anchorCheckpointId: result.anchor!.id,
    });
    // PII-free: no actor of a pruned event is named.
    expect(event.metadata).not.toMatch(/u-1|u-2|u-held/);
    // Run again: nothing more may go while the hold stands.
    expect((await env.app.services.retention.prune(actor(TENANT), { now: at(401) })).deleted).toBe(0);
  });

  it('the pruned chain verifies from its signed anchor through GraphQL and the offline CLI, naming the prefix', async () => {
    const res = (await env.gql(VERIFY, {}, auditor)).body;
    expect(res.errors).toBeUndefined();
    const v = res.data!.verifyAuditChain;
    expect(v).toMatchObject({ valid: true, fromSequence: 3, firstFailure: null });
    expect(v.checkedCount).toBe(v.headSequence - 2);
    expect(v.prunedPrefix).toMatchObject({ throughSequence: 2, anchor: { sequence: 2 } });
    // Asking from 1 is answered from the anchor too, never as a gap.
    expect((await env.gql(VERIFY, { from: 1 }, auditor)).body.data!.verifyAuditChain).toMatchObject({ valid: true, fromSequence: 3 });
    const run = await cli(env.env, ['verify-chain', '--tenant', TENANT]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^pruned: events 1\.\.2 were deleted by retention; verified from the anchor checkpoint /m);
    expect(run.stdout).toMatch(/^valid: /m);
  });

  it('an assessment over the pruned period passes the rollup check and says so', async () => {
    const input = { frameworkId: 'soc2', from: new Date(started - 2 * DAY).toISOString(), to: new Date(started + DAY).toISOString() };
    const res = (await env.gql(ASSESS, { input }, auditor)).body;
    expect(res.errors).toBeUndefined();
    expect(res.data!.assessCompliance.pruned).toMatchObject({ throughSequence: 2 });
    // A range that starts after the newest pruned event is whole.
    const later = { frameworkId: 'soc2', from: new Date(Date.now() - 1000).toISOString(), to: new Date(Date.now() + DAY).toISOString() };
    const after = (await env.gql(ASSESS, { input: later }, auditor)).body;
    expect(after.errors).toBeUndefined();
    expect(after.data!.assessCompliance.pruned).toBeNull();
    // The compliance report over the period says so in its overview.
    const report = (
      await env.gql(
        `mutation G($input: GenerateReportInput!) { generateReport(input: $input) { status contentBase64 } }`,
        { input: { type: 'COMPLIANCE_SUMMARY', format: 'html', frameworkId: 'soc2', from: input.from, to: input.to } },
        auditor,
      )
    ).body;
    expect(report.errors).toBeUndefined();
    const html = Buffer.from(report.data!.generateReport.contentBase64, 'base64').toString('utf8');
    expect(html).toMatch(/Pruned by retention/);
    expect(html).toMatch(/events 1–2, which occurred up to/);
    const rollup = await env.sql<{ n: unknown; lo: unknown }>(
      'SELECT SUM(event_count) AS n, MIN(min_sequence) AS lo FROM audit_event_rollup WHERE tenant_id = ?',
      [TENANT],
    );
    const [head] = await env.sql<{ sequence: unknown }>('SELECT sequence FROM chain_head WHERE tenant_id = ?', [TENANT]);
    expect(Number(rollup[0].n)).toBe(Number(head.sequence) - 2);
    expect(Number(rollup[0].lo)).toBeGreaterThan(2);
  });

  it('refuses to erase a subject under a hold by subject (GDPR Art. 17(3)(e)), changing nothing', async () => {
    const before = await env.sql('SELECT COUNT(*) AS n FROM audit_event');
    const erase = (
      await env.gql(
        'mutation E($input: EraseDataSubjectInput!) { eraseDataSubject(input: $input) { subjectRef } }',
        { input: { subjectId: 'u-held', reason: 'CONSENT_WITHDRAWN' } },
        admin,
      )
    ).body;
    expect(erase.errors?.[0]?.extensions?.code).toBe('SUBJECT_UNDER_LEGAL_HOLD');
    expect(erase.errors?.[0]?.extensions?.holds).toEqual([holdId]);
    expect(await env.sql('SELECT COUNT(*) AS n FROM audit_event')).toEqual(before);
    expect(await env.sql('SELECT COUNT(*) AS n FROM data_subject WHERE wrapped_key IS NULL')).toEqual([{ n: 0 }]);
  });

  it('after the hold is released, the next prune goes on to the held event', async () => {
    const released = (await env.gql(`mutation { releaseLegalHold(id: "${holdId}") { id releasedAt } }`, {}, admin)).body;
    expect(released.errors).toBeUndefined();
    expect(released.data!.releaseLegalHold.releasedAt).not.toBeNull();
    const again = (await env.gql(`mutation { releaseLegalHold(id: "${holdId}") { id } }`, {}, admin)).body;
    expect(again.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
    const result = await env.app.services.retention.prune(actor(TENANT), { now: at(401) });
    // 3..5 go; the first server event (a rule added) has no maximum and stops the prefix.
    expect(result).toMatchObject({ fromSequence: 3, throughSequence: 5, deleted: 3, keptSequence: 6 });
    expect((await env.gql(VERIFY, {}, auditor)).body.data!.verifyAuditChain).toMatchObject({
      valid: true,
      fromSequence: 6,
      prunedPrefix: { throughSequence: 5 },
    });
  });

  it('a row deleted beyond the anchor by raw SQL is PRUNED_BEYOND_ANCHOR; moving pruned_through to cover it is PRUNE_ANCHOR_INVALID', async () => {
    await env.sql('DELETE FROM audit_event_label WHERE tenant_id = ? AND sequence = 6', [TENANT]);
    await env.sql('DELETE FROM audit_event WHERE tenant_id = ? AND sequence = 6', [TENANT]);
    const broken = (await env.gql(VERIFY, {}, auditor)).body.data!.verifyAuditChain;
    expect(broken).toMatchObject({ valid: false, firstFailure: { sequence: 6, reason: 'PRUNED_BEYOND_ANCHOR' } });
    const run = await cli(env.env, ['verify-chain', '--tenant', TENANT]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/fails at sequence 6: PRUNED_BEYOND_ANCHOR/);
    await env.sql('UPDATE chain_prune SET pruned_through = 6, deleted_through = 6 WHERE tenant_id = ?', [TENANT]);
    const moved = (await env.gql(VERIFY, {}, auditor)).body.data!.verifyAuditChain;
    expect(moved).toMatchObject({ valid: false, firstFailure: { sequence: 6, reason: 'PRUNE_ANCHOR_INVALID' } });
    const cliRun = await cli(env.env, ['verify-chain', '--tenant', TENANT]);
    expect(cliRun.stdout).toMatch(/fails at sequence 6: PRUNE_ANCHOR_INVALID/);
  });
});

describe('retention: two prunes at once', () => {
  let env: TestEnvironment;
  const TENANT = 'retention-race';
  const EVENTS = 2100;

  beforeAll(async () => {
    env = await createTestEnvironment();
    const ingest = await env.createKey('INGEST', TENANT);
    for (let i = 0; i < EVENTS; i += 1000) {
      const events = Array.from({ length: Math.min(1000, EVENTS - i) }, (_, j) =>
        eventInput({ action: j % 2 ? 'auth.login' : 'auth.logout', actor: { id: `u-${(i + j) % 7}`, type: 'USER' } }),
      );
      const res = (await env.gql(RECORD, { input: { events } }, ingest)).body;
      expect(res.errors).toBeUndefined();
    }
  });
  afterAll(() => env?.close());

  it('deletes each row once, records one prune, and keeps the rollup consistent', async () => {
    const actor = { tenantId: TENANT, keyId: null, requestId: 'race' };
    await env.app.services.retention.addRule(actor, { selector: 'ACTION_PREFIX' as never, value: 'auth.', maxDays: 30 });
    const now = new Date(Date.now() + 31 * DAY);
    const outcomes = await Promise.all(
      [0, 1].map(() =>
        env.app.services.retention.prune(actor, { now }).then(
          (r) => ({ deleted: r.deleted, code: null as string | null }),
          (e: { code?: string }) => ({ deleted: 0, code: e.code ?? String(e) }),
        ),
      ),
    );
    // One of them pruned; the other found the lease taken, or nothing left.
    expect(outcomes.reduce((n, o) => n + o.deleted, 0)).toBe(EVENTS);
    for (const o of outcomes) expect([null, 'PRUNE_IN_PROGRESS']).toContain(o.code);
    const events = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = ? AND sequence <= ?', [
      TENANT,
      EVENTS,
    ]);
    expect(Number(events[0].n)).toBe(0);
    const prunes = await env.sql<{ n: unknown }>(
      "SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = ? AND action = 'datapunk.retention.pruned'",
      [TENANT],
    );
    expect(Number(prunes[0].n)).toBe(1);
    const [head] = await env.sql<{ sequence: unknown }>('SELECT sequence FROM chain_head WHERE tenant_id = ?', [TENANT]);
    const [rollup] = await env.sql<{ n: unknown }>('SELECT SUM(event_count) AS n FROM audit_event_rollup WHERE tenant_id = ?', [TENANT]);
    expect(Number(rollup.n)).toBe(Number(head.sequence) - EVENTS);
    const auditor = await env.createKey('AUDITOR', TENANT);
    const v = (await env.gql(VERIFY, {}, auditor)).body.data!.verifyAuditChain;
    expect(v).toMatchObject({ valid: true, fromSequence: EVENTS + 1, prunedPrefix: { throughSequence: EVENTS } });
    const input = { frameworkId: 'soc2', from: new Date(Date.now() - DAY).toISOString(), to: new Date(Date.now() + DAY).toISOString() };
    const assessed = (await env.gql(ASSESS, { input }, auditor)).body;
    expect(assessed.errors).toBeUndefined();
    expect(assessed.data!.assessCompliance.pruned).toMatchObject({ throughSequence: EVENTS });
  });

  it('RETENTION_SCHEDULE: a tick prunes every tenant with a maximum once a day, and nothing under its rules', async () => {
    const ingest = await env.createKey('INGEST', TENANT);
    const res = (
      await env.gql(RECORD, { input: { events: [eventInput({ action: 'auth.login' }), eventInput({ action: 'data.read' })] } }, ingest)
    ).body;
    expect(res.errors).toBeUndefined();
    const [first] = res.data!.recordAuditEvents.receipts as { sequence: number }[];
    // The rule-added event and the first prune event (no maximum) stand before these: a tick deletes nothing.
    const scheduler = env.app.services.retentionScheduler;
    expect(await scheduler.tick(new Date(Date.now() + 40 * DAY))).toBe(0);
    // Give the server's own events a maximum: the next day's tick goes up to the data.read event, which no maximum names.
    const actor = { tenantId: TENANT, keyId: null, requestId: 'race' };
    await env.app.services.retention.addRule(actor, { selector: 'ACTION_PREFIX' as never, value: 'datapunk.', maxDays: 30 });
    expect(await scheduler.tick(new Date(Date.now() + 40 * DAY))).toBe(0); // already ran that day on this node
    const deleted = await scheduler.tick(new Date(Date.now() + 41 * DAY));
    expect(deleted).toBe(first.sequence - EVENTS);
    const [kept] = await env.sql<{ sequence: unknown; action: string }>(
      'SELECT sequence, action FROM audit_event WHERE tenant_id = ? ORDER BY sequence LIMIT 1',
      [TENANT],
    );
    expect({ sequence: Number(kept.sequence), action: kept.action }).toEqual({ sequence: first.sequence + 1, action: 'data.read' });
  });
});

describe('retention: a hold placed while a prune runs (holds re-checked per batch)', () => {
  let env: TestEnvironment;
  const TENANT = 'retention-mid-hold';
  const EVENTS = 600;
  const LATE = 430; // the event of the subject the hold names, in the third SQLite batch, the second MariaDB one
  let admin: string;
  let auditor: string;

  beforeAll(async () => {
    env = await createTestEnvironment();
    admin = await env.createKey('ADMIN', TENANT);
    auditor = await env.createKey('AUDITOR', TENANT);
    const ingest = await env.createKey('INGEST', TENANT);
    const events = Array.from({ length: EVENTS }, (_, i) =>
      eventInput({ action: 'auth.login', actor: { id: i + 1 === LATE ? 'u-late' : `u-${i % 5}`, type: 'USER' } }),
    );
    const res = (await env.gql(RECORD, { input: { events } }, ingest)).body;
    expect(res.errors).toBeUndefined();
  });
  afterAll(() => env?.close());

  it('stops before the first held event, at a new signed anchor, and says so in its result and chain event', async () => {
    const actor = { tenantId: TENANT, keyId: null, requestId: 'mid-hold' };
    await env.app.services.retention.addRule(actor, { selector: 'ACTION_PREFIX' as never, value: 'auth.', maxDays: 30 });
    const now = new Date(Date.now() + 31 * DAY);
    expect((await env.app.services.retention.prune(actor, { now, dryRun: true })).throughSequence).toBe(EVENTS);
    let holdId: string | null = null;
    const seen: number[] = [];
    const result = await env.app.services.retention.prune(actor, {
      now,
      betweenBatches: async ({ deletedThrough }) => {
        seen.push(deletedThrough);
        if (holdId !== null) return;
        const hold = (await env.gql(PLACE_HOLD, { input: { subject: 'u-late', reason: 'matter placed mid-prune' } }, admin)).body;
        expect(hold.errors).toBeUndefined();
        holdId = hold.data!.placeLegalHold.id;
      },
    });
    // The hook ran after batch 1, before any event of u-late was reached.
    expect(seen[0]).toBeLessThan(LATE);
    expect(holdId).not.toBeNull();
    expect(result).toMatchObject({
      dryRun: false,
      stopped: true,
      fromSequence: 1,
      throughSequence: LATE - 1,
      plannedThroughSequence: EVENTS,
      eventCount: LATE - 1,
      deleted: LATE - 1,
      keptSequence: LATE,
      keptReason: `legal hold ${holdId}`,
      anchor: { sequence: LATE - 1 },
    });
    // Every event from the held one on is still stored.
    const left = await env.sql<{ n: unknown; lo: unknown }>(
      'SELECT COUNT(*) AS n, MIN(sequence) AS lo FROM audit_event WHERE tenant_id = ? AND sequence <= ?',
      [TENANT, EVENTS],
    );
    expect({ n: Number(left[0].n), lo: Number(left[0].lo) }).toEqual({ n: EVENTS - LATE + 1, lo: LATE });
    const [event] = await env.sql<{ action: string; metadata: string }>(
      'SELECT action, metadata FROM audit_event WHERE tenant_id = ? AND sequence = ?',
      [TENANT, result.eventSequence],
    );
    expect(event.action).toBe('datapunk.retention.pruned');
    expect(JSON.parse(event.metadata)).toMatchObject({
      stopped: true,
      throughSequence: LATE - 1,
      plannedThroughSequence: EVENTS,
      stoppedAtSequence: LATE,
      stoppedBecause: `legal hold ${holdId}`,
      anchorCheckpointId: result.anchor!.id,
    });
    expect(event.metadata).not.toMatch(/u-late/);
    const [head] = await env.sql<{ sequence: unknown }>('SELECT sequence FROM chain_head WHERE tenant_id = ?', [TENANT]);
    const [rollup] = await env.sql<{ n: unknown }>('SELECT SUM(event_count) AS n FROM audit_event_rollup WHERE tenant_id = ?', [TENANT]);
    expect(Number(rollup.n)).toBe(Number(head.sequence) - (LATE - 1));
  });

  it('the chain verifies from the new anchor through GraphQL and the offline CLI', async () => {
    const v = (await env.gql(VERIFY, {}, auditor)).body.data!.verifyAuditChain;
    expect(v).toMatchObject({ valid: true, fromSequence: LATE, firstFailure: null, prunedPrefix: { throughSequence: LATE - 1 } });
    expect(v.prunedPrefix.anchor.sequence).toBe(LATE - 1);
    const run = await cli(env.env, ['verify-chain', '--tenant', TENANT]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^pruned: events 1\\.\\.${LATE - 1} were deleted by retention`, 'm'));
  });

  it('once the hold is released, the next prune goes on from the held event', async () => {
    const holds = (await env.gql('{ legalHolds { id } }', {}, admin)).body.data!.legalHolds as { id: string }[];
    expect(holds).toHaveLength(1);
    expect((await env.gql(`mutation { releaseLegalHold(id: "${holds[0].id}") { id } }`, {}, admin)).body.errors).toBeUndefined();
    const actor = { tenantId: TENANT, keyId: null, requestId: 'mid-hold' };
    const result = await env.app.services.retention.prune(actor, { now: new Date(Date.now() + 31 * DAY) });
    expect(result).toMatchObject({ stopped: false, fromSequence: LATE, throughSequence: EVENTS, deleted: EVENTS - LATE + 1 });
    const v = (await env.gql(VERIFY, {}, auditor)).body.data!.verifyAuditChain;
    expect(v).toMatchObject({ valid: true, fromSequence: EVENTS + 1, prunedPrefix: { throughSequence: EVENTS } });
  });
});

describe('retention: a prune a crash left unfinished, resumed after a hold was placed', () => {
  let env: TestEnvironment;
  const TENANT = 'retention-resume-hold';
  const EVENTS = 600;
  const LATE = 430;

  beforeAll(async () => {
    env = await createTestEnvironment();
    const ingest = await env.createKey('INGEST', TENANT);
    const events = Array.from({ length: EVENTS }, (_, i) =>
      eventInput({ action: 'auth.login', actor: { id: i + 1 === LATE ? 'u-late' : `u-${i % 5}`, type: 'USER' } }),
    );
    expect((await env.gql(RECORD, { input: { events } }, ingest)).body.errors).toBeUndefined();
  });
  afterAll(() => env?.close());

  it('ends the recorded prune before the held event, at a new anchor, and the chain verifies', async () => {
    const actor = { tenantId: TENANT, keyId: null, requestId: 'resume-hold' };
    const retention = env.app.services.retention;
    await retention.addRule(actor, { selector: 'ACTION_PREFIX' as never, value: 'auth.', maxDays: 30 });
    const now = new Date(Date.now() + 31 * DAY);
    // The process "dies" after batch 1: the prune is recorded through EVENTS, deleted only partly.
    const crash = new Error('crashed after batch 1');
    await expect(
      retention.prune(actor, {
        now,
        betweenBatches: async () => {
          throw crash;
        },
      }),
    ).rejects.toBe(crash);
    const [state] = await env.sql<{ pruned_through: unknown; deleted_through: unknown }>(
      'SELECT pruned_through, deleted_through FROM chain_prune WHERE tenant_id = ?',
      [TENANT],
    );
    expect(Number(state.pruned_through)).toBe(EVENTS);
    expect(Number(state.deleted_through)).toBeLessThan(LATE);
    const admin = await env.createKey('ADMIN', TENANT);
    const hold = (await env.gql(PLACE_HOLD, { input: { subject: 'u-late', reason: 'placed after the crash' } }, admin)).body;
    expect(hold.errors).toBeUndefined();
    const result = await retention.prune(actor, { now });
    expect(result).toMatchObject({
      stopped: true,
      throughSequence: LATE - 1,
      plannedThroughSequence: EVENTS,
      keptSequence: LATE,
      keptReason: `legal hold ${hold.data!.placeLegalHold.id}`,
      anchor: { sequence: LATE - 1 },
    });
    const [left] = await env.sql<{ lo: unknown }>('SELECT MIN(sequence) AS lo FROM audit_event WHERE tenant_id = ?', [TENANT]);
    expect(Number(left.lo)).toBe(LATE);
    const auditor = await env.createKey('AUDITOR', TENANT);
    const v = (await env.gql(VERIFY, {}, auditor)).body.data!.verifyAuditChain;
    expect(v).toMatchObject({ valid: true, fromSequence: LATE, prunedPrefix: { throughSequence: LATE - 1 } });
  });
});

describe('retention: placing a hold waits for a running deletion batch (MariaDB row lock)', () => {
  let env: TestEnvironment;
  const TENANT = 'retention-lock';
  // On SQLite a batch is one synchronous BEGIN IMMEDIATE transaction: nothing can interleave with it.
  const mariadb = process.env.DATAPUNK_TEST_DATABASE === 'mariadb';

  beforeAll(async () => {
    // A lock wait longer than the test's polling can take.
    env = await createTestEnvironment({ DATABASE_LOCK_TIMEOUT_SECONDS: '300' });
  });
  afterAll(() => env?.close());

  (mariadb ? it : it.skip)('a hold placed while the chain_prune row is locked is written only once the lock is released', async () => {
    const admin = await env.createKey('ADMIN', TENANT);
    const batch = await createConnection(env.env.DATABASE_URL);
    try {
      // What a deletion batch holds while it re-checks the holds and deletes.
      await batch.query('INSERT IGNORE INTO chain_prune (tenant_id, pruned_through, deleted_through) VALUES (?, 0, 0)', [TENANT]);
      await batch.beginTransaction();
      await batch.query('SELECT tenant_id FROM chain_prune WHERE tenant_id = ? FOR UPDATE', [TENANT]);
      const placing = env.gql(PLACE_HOLD, { input: { actionPrefix: 'auth.', reason: 'placed during a batch' } }, admin);
      // Poll (a generous bound, no clock) until the hold's writer is waiting on that row.
      let waiting = 0;
      for (let i = 0; i < 20_000 && waiting === 0; i++) {
        const [rows] = await batch.query(
          "SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID() AND info LIKE '%chain_prune%'",
        );
        waiting = Number((rows as { n: unknown }[])[0].n);
      }
      expect(waiting).toBe(1);
      // The batch, still holding the lock, sees no hold: none is written before the lock is free.
      const [seen] = await batch.query('SELECT COUNT(*) AS n FROM legal_hold WHERE tenant_id = ?', [TENANT]);
      expect(Number((seen as { n: unknown }[])[0].n)).toBe(0);
      await batch.commit();
      const placed = (await placing).body;
      expect(placed.errors).toBeUndefined();
      expect(await env.sql('SELECT COUNT(*) AS n FROM legal_hold WHERE tenant_id = ?', [TENANT])).toEqual([{ n: 1 }]);
    } finally {
      await batch.end();
    }
  });
});
