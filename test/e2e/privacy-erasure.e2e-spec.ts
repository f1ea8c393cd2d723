import { execFile } from 'node:child_process';
import { createHash, createPublicKey, verify } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createClient } from '@keyv/redis';
import { type AuditEventRecord, hashedView } from '../../src/audit/audit-event.model';
import { canonicalJson } from '../../src/chain/canonical-json';
import { canonicalPayload, payloadFragments } from '../../src/chain/event-canonical';
import { createTestEnvironment, eventInput, RECORD, REPO_ROOT, type TestEnvironment, VERIFY } from '../helpers/test-environment';

/**
 * Crypto-shredding (ADR 0042), end to end on the configured database: a person's fields are
 * sealed at ingest, read back in clear, filtered and grouped by their pseudonyms, and after
 * eraseDataSubject nothing stored or served gives them back, while the chain still verifies.
 */

const ALICE = {
  id: 'alice.liddell@example.com',
  displayName: 'Alice Pleasance Liddell',
  ip: '10.77.12.34',
  userAgent: 'AliceBrowser/7.3 (Wonderland)',
  secret: 'violet-rabbit-hole-secret',
};
const BOB = { id: 'bob.builder@example.com', displayName: 'Bob Builder', ip: '10.77.200.5' };
const PLAINTEXTS = [ALICE.id, ALICE.displayName, ALICE.ip, ALICE.userAgent, ALICE.secret];

const EVENT_FIELDS = `id sequence actor { id type displayName ip userAgent } action resource { type id name }
  metadata categories hash chainHash erasedFields redactedFields`;
const EVENT = `query Event($id: String!) { auditEvent(id: $id) { ${EVENT_FIELDS} } }`;
const EVENTS = `query Events($filter: AuditEventFilter) { auditEvents(filter: $filter, first: 100, order: ASC) { totalCount edges { node { ${EVENT_FIELDS} } } } }`;
const STATS = `query Stats($filter: AuditEventFilter) { auditEventStats(groupBy: ACTOR, filter: $filter) { total groups { key count } } }`;
const ERASE = `mutation Erase($input: EraseDataSubjectInput!) {
  eraseDataSubject(input: $input) { subjectRef erasedFields eventCount reason erasedAt sequence chainHash keyId message signature }
}`;
const FULL_EVENT = `query Event($id: String!) { auditEvent(id: $id) { id tenant { id } sequence occurredAt recordedAt
  actor { id type displayName ip userAgent } action resource { type id name } outcome { status reason }
  severity classification categories tags requestId sessionId sourceService metadata idempotencyKey hash chainHash } }`;
const GENERATE = `mutation G($input: GenerateReportInput!) { generateReport(input: $input) { id status contentBase64 } }`;
const REPORTS = '{ reports { id } }';
const SIGNING_KEYS = '{ signingKeys { id publicKeyPem } }';

const aliceEvents = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    eventInput({
      action: i % 2 ? 'customer.profile.read' : 'auth.login',
      outcome: { status: i % 3 === 0 ? 'FAILURE' : 'SUCCESS' },
      actor: { id: ALICE.id, type: 'USER', displayName: ALICE.displayName, ip: ALICE.ip, userAgent: ALICE.userAgent },
      resource: { type: 'customer', id: ALICE.id, name: ALICE.displayName },
      categories: ['PII'],
      metadata: { legalBasis: 'consent', favourite: ALICE.secret, n: i },
      idempotencyKey: `alice-${i}`,
    }),
  );
const bobEvent = eventInput({
  action: 'auth.login',
  actor: { id: BOB.id, type: 'USER', displayName: BOB.displayName, ip: BOB.ip },
});
/** A service, not a person: stored in clear and hashed in the version-1 form, as every event was before ADR 0042. */
const serviceEvent = eventInput({
  action: 'backup.completed',
  actor: { id: 'backup-service', type: 'SERVICE', ip: '10.77.99.1' },
  resource: { type: 'database', id: 'primary' },
});

/** Every value of every table, as text: what an attacker with a dump of the database holds. */
async function tableContents(env: TestEnvironment): Promise<string[]> {
  const tables =
    env.dialect === 'sqlite'
      ? (await env.sql<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")).map((t) => t.name)
      : (await env.sql<Record<string, string>>('SHOW TABLES')).map((t) => Object.values(t)[0]);
  const values: string[] = [];
  for (const table of tables) {
    for (const row of await env.sql<Record<string, unknown>>(`SELECT * FROM ${table}`)) {
      for (const v of Object.values(row)) {
        if (v === null || v === undefined) continue;
        values.push(Buffer.isBuffer(v) ? v.toString('utf8') : v instanceof Date ? v.toISOString() : String(v));
      }
    }
  }
  return values;
}

/** The SQLite database files themselves (main file, WAL), byte for byte. */
function databaseFiles(env: TestEnvironment): Buffer[] {
  const dir = env.env.DATA_DIR;
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('datapunk-audit.sqlite'))
    .map((f) => fs.readFileSync(path.join(dir, f)));
}

function cli(env: TestEnvironment, ...args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(REPO_ROOT, 'dist/src/cli.js'), 'verify-chain', ...args],
      { env: { ...process.env, ...env.env, LOG_LEVEL: 'silent' }, timeout: 60_000 },
      (error, stdout) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout }),
    );
  });
}

const sha256 = (s: string, encoding: 'hex' | 'base64' | 'base64url') => createHash('sha256').update(s).digest(encoding);

/**
 * Tries every address of 10.77.0.0/16 against `values` the way an attacker would: the address
 * itself, its SHA-256 (hex, base64, base64url), and the event hash and idempotency payload hash of
 * each `known` event recomputed with the guess in place of its address (everything else granted).
 * The addresses it confirms.
 */
function confirmedAddresses(
  values: ReadonlySet<string>,
  known: Omit<AuditEventRecord, 'hash' | 'chainHash' | 'idempotencyKey'>[],
): string[] {
  // Each recomputed text with the address cut out, so a guess costs a join and a hash.
  const templates = known.flatMap((e) => {
    const guess = { ...e, sealed: null, actor: { ...e.actor, ip: 'IP-GUESS' } };
    const metadataJson = guess.metadata === null ? null : canonicalJson(guess.metadata);
    return [canonicalJson(hashedView(guess)), canonicalPayload(payloadFragments(guess, metadataJson))].map((t) => t.split('"IP-GUESS"'));
  });
  const found: string[] = [];
  for (let a = 0; a < 256; a += 1) {
    for (let b = 0; b < 256; b += 1) {
      const ip = `10.77.${a}.${b}`;
      const quoted = JSON.stringify(ip);
      if (
        values.has(ip) ||
        values.has(sha256(ip, 'hex')) ||
        values.has(sha256(ip, 'base64')) ||
        values.has(sha256(ip, 'base64url')) ||
        templates.some((parts) => values.has(sha256(parts.join(quoted), 'hex')))
      ) {
        found.push(ip);
      }
    }
  }
  return found;
}

describe('crypto-shredding: eraseDataSubject', () => {
  let env: TestEnvironment;
  let auditor: string;
  const aliceBatch = aliceEvents(6);
  let aliceIds: string[];
  let bobId: string;
  let serviceId: string;
  const PERIOD = { from: new Date(Date.now() - 7 * 86_400_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };

  beforeAll(async () => {
    env = await createTestEnvironment();
    auditor = await env.createKey('AUDITOR');
    const res = await env.gql(RECORD, { input: { events: [...aliceBatch, bobEvent, serviceEvent] } });
    expect(res.body.errors).toBeUndefined();
    const receipts = res.body.data!.recordAuditEvents.receipts as { id: string }[];
    aliceIds = receipts.slice(0, 6).map((r) => r.id);
    bobId = receipts[6].id;
    serviceId = receipts[7].id;
  });
  afterAll(() => env?.close());

  it('stores a person’s fields sealed: refs, keyed pseudonyms and ciphertext, no plaintext anywhere in the database', async () => {
    const [row] = await env.sql<Record<string, unknown>>(
      'SELECT actor_id, actor_display_name, actor_ip, actor_user_agent, resource_id, resource_name, metadata, sealed FROM audit_event WHERE id = ?',
      [aliceIds[0]],
    );
    expect(String(row.actor_id)).toMatch(/^s_[A-Za-z0-9_-]{22}$/);
    expect(row.resource_id).toBe(row.actor_id); // the same person as actor and as the customer acted on
    expect([row.actor_display_name, row.actor_user_agent, row.resource_name]).toEqual([null, null, null]);
    expect(String(row.actor_ip)).toMatch(/^ip_[A-Za-z0-9_-]{43}$/);
    // legalBasis is read by the GDPR rules: it stays in clear; the rest of the metadata is sealed.
    expect(JSON.parse(String(row.metadata))).toEqual({ legalBasis: 'consent' });
    expect(Object.keys(JSON.parse(String(row.sealed)))).toEqual([row.actor_id]);
    const dump = (await tableContents(env)).join('\n');
    for (const text of PLAINTEXTS) expect(dump).not.toContain(text);
    // The service's event is not a person's: stored as sent.
    const [service] = await env.sql<Record<string, unknown>>('SELECT actor_id, actor_ip, sealed FROM audit_event WHERE id = ?', [
      serviceId,
    ]);
    expect(service).toEqual({ actor_id: 'backup-service', actor_ip: '10.77.99.1', sealed: null });
  });

  it('reads the person’s fields back in clear, and filters and groups by them', async () => {
    const res = await env.gql(EVENT, { id: aliceIds[1] }, auditor);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.auditEvent).toMatchObject({
      actor: { id: ALICE.id, type: 'USER', displayName: ALICE.displayName, ip: ALICE.ip, userAgent: ALICE.userAgent },
      resource: { type: 'customer', id: ALICE.id, name: ALICE.displayName },
      metadata: { legalBasis: 'consent', favourite: ALICE.secret, n: 1 },
      erasedFields: [],
    });
    const byActor = await env.gql(EVENTS, { filter: { actorId: ALICE.id } }, auditor);
    expect(byActor.body.data!.auditEvents.totalCount).toBe(6);
    const byResource = await env.gql(EVENTS, { filter: { resourceId: ALICE.id } }, auditor);
    expect(byResource.body.data!.auditEvents.totalCount).toBe(6);
    const stats = await env.gql(STATS, {}, auditor);
    expect(stats.body.data!.auditEventStats.groups).toEqual(
      expect.arrayContaining([
        { key: ALICE.id, count: 6 },
        { key: BOB.id, count: 1 },
        { key: 'backup-service', count: 1 },
      ]),
    );
    // An idempotent retry is still recognised (the payload hash is keyed by the subject's key).
    const retry = await env.gql(RECORD, { input: { events: aliceBatch } });
    expect(retry.body.data!.recordAuditEvents.receipts.map((r: { replayed: boolean }) => r.replayed)).toEqual(Array(6).fill(true));
    // The chain mixes both hash versions and verifies.
    expect((await env.gql(VERIFY, {})).body.data!.verifyAuditChain).toMatchObject({ valid: true, checkedCount: 8 });
  });

  it('serves ADMIN and AUDITOR the exact object each event is hashed over (version 2 sealed, 1 otherwise), never VIEWER', async () => {
    const viewer = await env.createKey('VIEWER');
    const HASHED = 'query Event($id: String!) { auditEvent(id: $id) { hash hashedView } }';
    for (const [id, version] of [
      [aliceIds[0], 2],
      [bobId, 2],
      [serviceId, 1],
    ] as const) {
      const { hash, hashedView: view } = (await env.gql(HASHED, { id }, auditor)).body.data!.auditEvent;
      expect(view.v).toBe(version);
      expect(sha256(canonicalJson(view), 'hex')).toBe(hash);
      if (version === 2) expect(JSON.stringify(view)).not.toContain(ALICE.displayName);
      expect((await env.gql(HASHED, { id }, viewer)).body.data!.auditEvent).toEqual({ hash: null, hashedView: null });
    }
  });

  it('finds a change to a sealed column (hash version 2) at its sequence', async () => {
    const [row] = await env.sql<{ sealed: string; sequence: unknown }>('SELECT sealed, sequence FROM audit_event WHERE id = ?', [
      aliceIds[2],
    ]);
    const changed = row.sealed.replace(/"ct":"(.)/, (_m, c: string) => `"ct":"${c === 'A' ? 'B' : 'A'}`);
    expect(changed).not.toBe(row.sealed);
    await env.sql('UPDATE audit_event SET sealed = ? WHERE id = ?', [changed, aliceIds[2]]);
    try {
      const verified = (await env.gql(VERIFY, {})).body.data!.verifyAuditChain;
      expect(verified).toMatchObject({ valid: false, firstFailure: { sequence: Number(row.sequence), reason: 'HASH_MISMATCH' } });
    } finally {
      await env.sql('UPDATE audit_event SET sealed = ? WHERE id = ?', [row.sealed, aliceIds[2]]);
    }
    expect((await env.gql(VERIFY, {})).body.data!.verifyAuditChain.valid).toBe(true);
  });

  it('refuses bad input with a coded error and changes nothing; only ADMIN may erase', async () => {
    const before = await env.sql('SELECT COUNT(*) AS n FROM audit_event');
    const empty = await env.gql(ERASE, { input: { subjectId: '', reason: 'CONSENT_WITHDRAWN' } });
    expect(empty.body.errors?.[0].extensions?.code).toBe('INVALID_ARGUMENT');
    const unknown = await env.gql(ERASE, { input: { subjectId: 'nobody@example.com', reason: 'CONSENT_WITHDRAWN' } });
    expect(unknown.body.errors?.[0].extensions?.code).toBe('SUBJECT_NOT_FOUND');
    const badReason = await env.gql(ERASE, { input: { subjectId: ALICE.id, reason: 'BECAUSE' } });
    expect(badReason.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(await env.sql('SELECT COUNT(*) AS n FROM audit_event')).toEqual(before);
    // A refusal is recorded as a denial event (ADR 0019), and erases nothing.
    const asAuditor = await env.gql(ERASE, { input: { subjectId: ALICE.id, reason: 'CONSENT_WITHDRAWN' } }, auditor);
    expect(asAuditor.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await env.sql('SELECT COUNT(*) AS n FROM data_subject WHERE wrapped_key IS NULL')).toEqual([{ n: 0 }]);
    expect((await env.gql(EVENT, { id: aliceIds[0] }, auditor)).body.data!.auditEvent.actor.id).toBe(ALICE.id);
  });

  it('refuses to erase a subject whose events a legal hold by action prefix preserves, changing nothing', async () => {
    const place = async (input: Record<string, unknown>) =>
      (await env.gql(`mutation H($input: LegalHoldInput!) { placeLegalHold(input: $input) { id } }`, { input })).body.data!.placeLegalHold
        .id as string;
    const release = (id: string) => env.gql(`mutation { releaseLegalHold(id: "${id}") { id } }`, {});
    const byPrefix = await place({ actionPrefix: 'customer.profile.', reason: 'regulator inquiry' });
    const unrelated = await place({ actionPrefix: 'backup.', reason: 'backup audit' });
    try {
      const before = await env.sql('SELECT COUNT(*) AS n FROM audit_event');
      const refused = await env.gql(ERASE, { input: { subjectId: ALICE.id, reason: 'CONSENT_WITHDRAWN' } });
      expect(refused.body.errors?.[0].extensions?.code).toBe('SUBJECT_UNDER_LEGAL_HOLD');
      // A hold by action prefix that matches one of the subject's events preserves it; one that matches none does not.
      expect(refused.body.errors?.[0].extensions?.holds).toEqual([byPrefix]);
      // Nothing changed: no key destroyed, no erasure event, the subject still reads in clear.
      expect(await env.sql('SELECT COUNT(*) AS n FROM data_subject WHERE wrapped_key IS NULL')).toEqual([{ n: 0 }]);
      expect(await env.sql('SELECT COUNT(*) AS n FROM audit_event')).toEqual(before);
      expect(await env.sql("SELECT COUNT(*) AS n FROM audit_event WHERE action = 'datapunk.subject.erased'")).toEqual([{ n: 0 }]);
      expect((await env.gql(EVENT, { id: aliceIds[0] }, auditor)).body.data!.auditEvent.actor.id).toBe(ALICE.id);
    } finally {
      await release(byPrefix);
      await release(unrelated);
    }
  });

  it('stores a hold by subject as the subject’s reference only, which still matches its events and refuses its erasure', async () => {
    const HOLD = `mutation H($input: LegalHoldInput!) { placeLegalHold(input: $input) { id subject subjectRef } }`;
    const placed = (await env.gql(HOLD, { input: { subject: ALICE.id, reason: 'litigation hold on a customer' } })).body;
    expect(placed.errors).toBeUndefined();
    const hold = placed.data!.placeLegalHold as { id: string; subject: string; subjectRef: string };
    const [alice] = await env.sql<{ actor_id: string; tenant_id: string }>('SELECT actor_id, tenant_id FROM audit_event WHERE id = ?', [
      aliceIds[0],
    ]);
    // The reference her sealed events store, never her id.
    expect(hold).toEqual({ id: hold.id, subject: ALICE.id, subjectRef: alice.actor_id });
    const [row] = await env.sql<Record<string, unknown>>('SELECT subject_ref, legacy_subject FROM legal_hold WHERE id = ?', [hold.id]);
    expect(row).toEqual({ subject_ref: alice.actor_id, legacy_subject: null });
    // A hold stored before 2026-12-04 kept the id in clear: it is converted before holds are matched, and still matches.
    const legacyId = '01900000-0000-7000-8000-00000000a11c';
    const releasedId = '01900000-0000-7000-8000-0000000ca201';
    const CAROL = 'carol.never-seen@example.com';
    await env.sql('INSERT INTO legal_hold (id, tenant_id, legacy_subject, reason, created_at) VALUES (?, ?, ?, ?, ?)', [
      legacyId,
      alice.tenant_id,
      ALICE.id,
      'an older matter',
      '2026-12-01 00:00:00.000',
    ]);
    await env.sql('INSERT INTO legal_hold (id, tenant_id, legacy_subject, reason, created_at, released_at) VALUES (?, ?, ?, ?, ?, ?)', [
      releasedId,
      alice.tenant_id,
      CAROL,
      'a closed matter',
      '2026-11-01 00:00:00.000',
      '2026-11-02 00:00:00.000',
    ]);
    const subjectsBefore = await env.sql('SELECT COUNT(*) AS n FROM data_subject');
    try {
      const refused = await env.gql(ERASE, { input: { subjectId: ALICE.id, reason: 'CONSENT_WITHDRAWN' } });
      expect(refused.body.errors?.[0].extensions?.code).toBe('SUBJECT_UNDER_LEGAL_HOLD');
      expect([...(refused.body.errors?.[0].extensions?.holds as string[])].sort()).toEqual([hold.id, legacyId].sort());
      const converted = await env.sql<Record<string, unknown>>(
        'SELECT id, subject_ref, legacy_subject FROM legal_hold WHERE id IN (?, ?) ORDER BY id',
        [legacyId, releasedId],
      );
      expect(converted[0]).toEqual({ id: legacyId, subject_ref: alice.actor_id, legacy_subject: null });
      // A released hold whose subject is not live gets a keyed pseudonym, and makes no subject.
      expect(converted[1]).toMatchObject({ id: releasedId, legacy_subject: null });
      expect(String(converted[1].subject_ref)).toMatch(/^h_[A-Za-z0-9_-]{43}$/);
      expect(await env.sql('SELECT COUNT(*) AS n FROM data_subject')).toEqual(subjectsBefore);
      expect(await env.app.services.retention.sealLegacyHolds()).toBe(0); // the start-up pass finds nothing left
      // AUDITOR reads the id, opened with the subject's key; the database holds none of Alice's values, nor Carol's id.
      const read = (await env.gql('{ legalHolds(includeReleased: true) { id subject subjectRef } }', {}, auditor)).body.data!.legalHolds;
      expect(read).toEqual(
        expect.arrayContaining([
          { id: hold.id, subject: ALICE.id, subjectRef: alice.actor_id },
          { id: legacyId, subject: ALICE.id, subjectRef: alice.actor_id },
        ]),
      );
      const dump = (await tableContents(env)).join('\n');
      for (const text of [...PLAINTEXTS, CAROL]) expect(dump).not.toContain(text);
      expect(await env.sql('SELECT COUNT(*) AS n FROM data_subject WHERE wrapped_key IS NULL')).toEqual([{ n: 0 }]);
    } finally {
      for (const id of [hold.id, legacyId]) {
        expect((await env.gql(`mutation { releaseLegalHold(id: "${id}") { id } }`, {})).body.errors).toBeUndefined();
      }
    }
  });

  describe('after erasure', () => {
    let receipt: Record<string, any>;
    let reportId: string;
    let opened: Set<string>;
    let knownToAttacker: Omit<AuditEventRecord, 'hash' | 'chainHash' | 'idempotencyKey'>[];

    beforeAll(async () => {
      // A report rendered before the erasure holds Alice's fields in clear.
      const report = await env.gql(GENERATE, { input: { ...PERIOD, type: 'AUDIT_TRAIL', format: 'html' } }, auditor);
      expect(report.body.errors).toBeUndefined();
      expect(Buffer.from(report.body.data!.generateReport.contentBase64, 'base64').toString('utf8')).toContain(ALICE.displayName);
      reportId = report.body.data!.generateReport.id;
      // What the API serves before the erasure, and what an attacker knows of Alice's events but the address.
      const page = (await env.gql(EVENTS, {}, auditor)).body.data!.auditEvents.edges.map((e: { node: unknown }) => e.node);
      opened = new Set(
        JSON.stringify(page)
          .match(/"[^"]*"/g)!
          .map((s) => JSON.parse(s) as string),
      );
      // The attacker is granted every field of the two events as served in clear, but the address.
      knownToAttacker = [];
      for (const id of [aliceIds[0], serviceId]) {
        const full = (await env.gql(FULL_EVENT, { id }, auditor)).body.data!.auditEvent;
        const { hash: _h, chainHash: _c, idempotencyKey: _k, tenant, ...rest } = full;
        knownToAttacker.push({ ...rest, tenantId: tenant.id });
      }

      // A reader looked Alice up by her id (ADR 0044): the record of that read is in the chain
      // before the erasure, and names her only by a keyed pseudonym.
      for (const query of [EVENTS, STATS]) {
        const looked = await env.gql(query, { filter: { actorId: ALICE.id } }, auditor);
        expect(looked.body.errors).toBeUndefined();
      }
      await env.app.services.reads.flush();
      const scopes = await env.sql<{ metadata: string }>(
        "SELECT metadata FROM audit_event WHERE action = 'datapunk.log.read' AND (metadata LIKE '%auditEvents%' OR metadata LIKE '%auditEventStats%')",
      );
      expect(scopes.map((r) => JSON.parse(r.metadata).scope?.filter?.actorId)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^p_[A-Za-z0-9_-]{43}$/)]),
      );

      const res = await env.gql(ERASE, { input: { subjectId: ALICE.id, reason: 'CONSENT_WITHDRAWN' } });
      expect(res.body.errors).toBeUndefined();
      receipt = res.body.data!.eraseDataSubject;
    });

    it('returns a receipt signed with the checkpoint key, naming what was erased and the chain head it applies from', async () => {
      expect(receipt).toMatchObject({
        eventCount: 6,
        erasedFields: ['actor.id', 'actor.displayName', 'actor.ip', 'actor.userAgent', 'resource.id', 'resource.name', 'metadata'],
        reason: 'CONSENT_WITHDRAWN',
      });
      const keys = (await env.gql(SIGNING_KEYS)).body.data!.signingKeys as { id: string; publicKeyPem: string }[];
      const key = keys.find((k) => k.id === receipt.keyId)!;
      expect(verify(null, Buffer.from(receipt.message), createPublicKey(key.publicKeyPem), Buffer.from(receipt.signature, 'base64'))).toBe(
        true,
      );
      expect(
        verify(
          null,
          Buffer.from(receipt.message.replace('"eventCount":6', '"eventCount":5')),
          createPublicKey(key.publicKeyPem),
          Buffer.from(receipt.signature, 'base64'),
        ),
      ).toBe(false);
      expect(JSON.parse(receipt.message)).toMatchObject({
        v: 1,
        type: 'datapunk.subject.erased',
        tenantId: 'default',
        subjectRef: receipt.subjectRef,
        sequence: receipt.sequence,
        chainHash: receipt.chainHash,
        erasedAt: receipt.erasedAt,
      });
      // The erasure is in the chain at that sequence, and names nobody.
      const [event] = await env.sql<Record<string, unknown>>(
        'SELECT action, actor_type, resource_id, metadata, sealed, chain_hash FROM audit_event WHERE sequence = ? AND tenant_id = ?',
        [receipt.sequence, 'default'],
      );
      expect(event).toMatchObject({
        action: 'datapunk.subject.erased',
        actor_type: 'API_KEY',
        resource_id: receipt.subjectRef,
        sealed: null,
        chain_hash: receipt.chainHash,
      });
      for (const text of PLAINTEXTS) expect(String(event.metadata)).not.toContain(text);
    });

    it('shows a marked tombstone for every erased field, on every read path, and leaves others readable', async () => {
      const one = (await env.gql(EVENT, { id: aliceIds[3] }, auditor)).body.data!.auditEvent;
      expect(one).toMatchObject({
        actor: { id: '[erased]', type: 'USER', displayName: '[erased]', ip: '[erased]', userAgent: '[erased]' },
        resource: { type: 'customer', id: '[erased]', name: '[erased]' },
        metadata: { legalBasis: 'consent' },
        erasedFields: receipt.erasedFields,
      });
      const page = await env.gql(EVENTS, {}, auditor);
      const served = JSON.stringify(page.body);
      for (const text of PLAINTEXTS) expect(served).not.toContain(text);
      expect(served).toContain(BOB.displayName);
      expect((await env.gql(EVENT, { id: bobId }, auditor)).body.data!.auditEvent).toMatchObject({
        actor: { id: BOB.id, displayName: BOB.displayName, ip: BOB.ip },
        erasedFields: [],
      });
      expect((await env.gql(EVENTS, { filter: { actorId: ALICE.id } }, auditor)).body.data!.auditEvents.totalCount).toBe(0);
      const stats = (await env.gql(STATS, {}, auditor)).body.data!.auditEventStats.groups as { key: string; count: number }[];
      expect(stats).toContainEqual({ key: `[erased] ${receipt.subjectRef}`, count: 6 });
      expect(JSON.stringify(stats)).not.toContain(ALICE.id);
    });

    it('purges the reports rendered before the erasure that covered the subject’s events', async () => {
      const reports = (await env.gql(REPORTS, {}, auditor)).body.data!.reports as { id: string }[];
      expect(reports.map((r) => r.id)).not.toContain(reportId);
      expect(await env.sql('SELECT report_id FROM report_chunk WHERE report_id = ?', [reportId])).toEqual([]);
      // A report rendered now shows the tombstones.
      const after = await env.gql(GENERATE, { input: { ...PERIOD, type: 'AUDIT_TRAIL', format: 'html' } }, auditor);
      const html = Buffer.from(after.body.data!.generateReport.contentBase64, 'base64').toString('utf8');
      for (const text of PLAINTEXTS) expect(html).not.toContain(text);
      expect(html).toContain('[erased]');
    });

    it('keeps her released holds by reference only, and shows their subject as erased', async () => {
      const holds = (await env.gql('{ legalHolds(includeReleased: true) { subject subjectRef } }', {}, auditor)).body.data!.legalHolds;
      const hers = (holds as { subject: string | null; subjectRef: string | null }[]).filter((h) => h.subjectRef === receipt.subjectRef);
      expect(hers).toHaveLength(2);
      for (const h of hers) expect(h.subject).toBe('[erased]');
    });

    it('leaves no plaintext in the database: not in any table, not in the SQLite files', async () => {
      const dump = (await tableContents(env)).join('\n');
      for (const text of PLAINTEXTS) expect(dump).not.toContain(text);
      if (env.dialect === 'sqlite') {
        for (const file of databaseFiles(env)) for (const text of PLAINTEXTS) expect(file.includes(Buffer.from(text))).toBe(false);
      }
      // Nothing stored links the id to the reference any more, and it cannot be erased twice.
      const again = await env.gql(ERASE, { input: { subjectId: ALICE.id, reason: 'CONSENT_WITHDRAWN' } });
      expect(again.body.errors?.[0].extensions?.code).toBe('SUBJECT_NOT_FOUND');
      const byRef = await env.gql(ERASE, { input: { subjectId: receipt.subjectRef, reason: 'CONSENT_WITHDRAWN' } });
      expect(byRef.body.errors?.[0].extensions?.code).toBe('SUBJECT_NOT_FOUND');
    });

    it('erases again by the receipt’s reference in a database restored from a backup taken before', async () => {
      const ref = receipt.subjectRef as string;
      // The restore brings a wrapped key back (simulated with another subject's: any key makes the row live again).
      const [other] = await env.sql<{ wrapped_key: string }>(
        "SELECT wrapped_key FROM data_subject WHERE tenant_id = 'default' AND ref <> ? AND wrapped_key IS NOT NULL",
        [ref],
      );
      await env.sql('UPDATE data_subject SET wrapped_key = ? WHERE ref = ?', [other.wrapped_key, ref]);
      const res = await env.gql(ERASE, { input: { subjectId: ref, reason: 'CONSENT_WITHDRAWN' } });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.eraseDataSubject).toMatchObject({ subjectRef: ref, eventCount: 6 });
      expect(await env.sql('SELECT wrapped_key FROM data_subject WHERE ref = ?', [ref])).toEqual([{ wrapped_key: null }]);
    });

    it('confirms no address of the /16 against anything stored or served once the key is gone (and would have before)', async () => {
      // The search works: on what was served before the erasure it finds Alice's address, and from its
      // event hash alone the address of the service's event (stored in clear, hashed in version 1).
      expect(confirmedAddresses(opened, knownToAttacker)).toContain(ALICE.ip);
      const serviceHash = (await env.sql<{ hash: string }>('SELECT hash FROM audit_event WHERE id = ?', [serviceId]))[0].hash;
      expect(confirmedAddresses(new Set([serviceHash]), knownToAttacker)).toEqual(['10.77.99.1']);
      // After: everything stored in every table and everything served (events, hashes, stats) confirms
      // the addresses still readable in clear (the service's, Bob's), and nothing of Alice's.
      const served = JSON.stringify([(await env.gql(EVENTS, {}, auditor)).body, (await env.gql(STATS, {}, auditor)).body]);
      const values = new Set([...(await tableContents(env)), ...served.match(/"[^"]*"/g)!.map((s) => JSON.parse(s) as string)]);
      expect(confirmedAddresses(values, knownToAttacker)).toEqual(['10.77.99.1', BOB.ip]);
    });

    it('still verifies the whole chain through GraphQL and the offline CLI', async () => {
      const verified = (await env.gql(VERIFY, {})).body.data!.verifyAuditChain;
      expect(verified).toMatchObject({ valid: true, firstFailure: null });
      expect(verified.checkedCount).toBeGreaterThan(receipt.sequence); // the erasure and what came after
      const offline = await cli(env, '--tenant', 'default', '--json');
      expect(offline.code).toBe(0);
      expect(JSON.parse(offline.stdout)).toMatchObject({ valid: true, firstFailure: null });
    });

    it('gives a new event by the same id a new subject, readable and erasable on its own', async () => {
      const res = await env.gql(RECORD, {
        input: { events: [eventInput({ action: 'auth.login', actor: { id: ALICE.id, type: 'USER', displayName: ALICE.displayName } })] },
      });
      const id = res.body.data!.recordAuditEvents.receipts[0].id;
      const event = (await env.gql(EVENT, { id }, auditor)).body.data!.auditEvent;
      expect(event.actor).toMatchObject({ id: ALICE.id, displayName: ALICE.displayName });
      const [row] = await env.sql<{ actor_id: string }>('SELECT actor_id FROM audit_event WHERE id = ?', [id]);
      expect(row.actor_id).not.toBe(receipt.subjectRef);
      const second = await env.gql(ERASE, { input: { subjectId: ALICE.id, reason: 'OBJECTION' } });
      expect(second.body.data!.eraseDataSubject).toMatchObject({ eventCount: 1, subjectRef: row.actor_id });
    });
  });
});

describe('crypto-shredding turned off (DATAPUNK_PRIVACY=off)', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment({ DATAPUNK_PRIVACY: 'off' });
  });
  afterAll(() => env?.close());

  it('stores a person’s fields in clear, hashed in version 1, and has nobody to erase', async () => {
    const res = await env.gql(RECORD, { input: { events: aliceEvents(1) } });
    const [{ id }] = res.body.data!.recordAuditEvents.receipts;
    const [row] = await env.sql<Record<string, unknown>>('SELECT actor_id, actor_ip, sealed FROM audit_event WHERE id = ?', [id]);
    expect(row).toEqual({ actor_id: ALICE.id, actor_ip: ALICE.ip, sealed: null });
    expect((await env.gql(EVENT, { id })).body.data!.auditEvent.erasedFields).toEqual([]);
    const erase = await env.gql(ERASE, { input: { subjectId: ALICE.id, reason: 'CONSENT_WITHDRAWN' } });
    expect(erase.body.errors?.[0].extensions?.code).toBe('SUBJECT_NOT_FOUND');
    expect((await env.gql(VERIFY, {})).body.data!.verifyAuditChain.valid).toBe(true);
  });
});

describe('crypto-shredding with Redis as the cache', () => {
  let env: TestEnvironment;
  const namespace = `dpa-test-shred-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    env = await createTestEnvironment({ REDIS_URL: 'redis://127.0.0.1:6379', CACHE_NAMESPACE: namespace });
  });
  afterAll(() => env?.close());

  /** Every key of this test's namespace and its value, as text. */
  async function keyspace(): Promise<string> {
    const client = createClient({ url: 'redis://127.0.0.1:6379' });
    await client.connect();
    try {
      const out: string[] = [];
      for await (const key of client.scanIterator({ MATCH: `*${namespace}*`, COUNT: 1000 })) {
        for (const k of Array.isArray(key) ? key : [key]) out.push(k, String(await client.get(k)));
      }
      return out.join('\n');
    } finally {
      await client.quit();
    }
  }

  it('caches events sealed: the keyspace holds no plaintext before or after the erasure, and reads show tombstones', async () => {
    expect(env.app.cache.kind).toBe('redis');
    const res = await env.gql(RECORD, { input: { events: aliceEvents(3) } });
    const ids = res.body.data!.recordAuditEvents.receipts.map((r: { id: string }) => r.id) as string[];
    for (const id of ids) expect((await env.gql(EVENT, { id })).body.data!.auditEvent.actor.displayName).toBe(ALICE.displayName);
    const before = await keyspace();
    expect(before).toContain(ids[0]); // the events are cached …
    for (const text of PLAINTEXTS) expect(before).not.toContain(text); // … sealed
    expect((await env.gql(ERASE, { input: { subjectId: ALICE.id, reason: 'NO_LONGER_NECESSARY' } })).body.errors).toBeUndefined();
    // Served from the cache again, opened per request: the key is gone, so tombstones.
    for (const id of ids) expect((await env.gql(EVENT, { id })).body.data!.auditEvent.actor.displayName).toBe('[erased]');
    const after = await keyspace();
    for (const text of PLAINTEXTS) expect(after).not.toContain(text);
  });
});
