import type { Receipt } from '../../src/chain/chain-append';
import { createTestEnvironment, eventInput, RECORD, type TestEnvironment, VERIFY } from '../helpers/test-environment';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const EVENT_FIELDS = `id sequence occurredAt recordedAt
  actor { id type displayName ip userAgent } action resource { type id name } outcome { status reason }
  severity classification categories tags requestId sessionId sourceService metadata idempotencyKey hash chainHash`;
const EVENT = `query Event($id: String!) { auditEvent(id: $id) { ${EVENT_FIELDS} } }`;

/** Rows in every table an append writes, and the chain head. */
async function snapshot(env: TestEnvironment) {
  const [events] = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM audit_event');
  const [labels] = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM audit_event_label');
  const heads = await env.sql<{ sequence: unknown; chain_hash: string }>(
    "SELECT sequence, chain_hash FROM chain_head WHERE tenant_id = 'default'",
  );
  return {
    events: Number(events.n),
    labels: Number(labels.n),
    headSequence: heads.length ? Number(heads[0].sequence) : 0,
    headChainHash: heads.length ? heads[0].chain_hash : null,
  };
}

async function record(env: TestEnvironment, events: unknown[]) {
  const res = await env.gql<{ recordAuditEvents: { recordedCount: number; receipts: Receipt[] } }>(RECORD, { input: { events } });
  return res;
}

async function recordOk(env: TestEnvironment, events: unknown[]) {
  const res = await record(env, events);
  expect(res.body.errors).toBeUndefined();
  expect(res.status).toBe(200);
  return res.body.data!.recordAuditEvents;
}

/** Sends a request that must fail with `code` and leave every table exactly as it was. */
async function expectRejected(env: TestEnvironment, code: string, send: () => Promise<{ body: { data?: any; errors?: any[] } }>) {
  const before = await snapshot(env);
  const res = await send();
  expect(res.body.errors?.length).toBeGreaterThan(0);
  expect(res.body.errors!.map((e: { extensions?: { code?: string } }) => e.extensions?.code)).toEqual(res.body.errors!.map(() => code));
  expect(res.body.data?.recordAuditEvents ?? null).toBeNull();
  expect(await snapshot(env)).toEqual(before);
  return res.body.errors![0] as { extensions: Record<string, any> };
}

const rejectEvents = (env: TestEnvironment, code: string, events: unknown[]) => expectRejected(env, code, () => record(env, events));
const problemPaths = (error: { extensions: Record<string, any> }) => (error.extensions.problems as { path: string }[]).map((p) => p.path);

describe('recordAuditEvents', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
    // A chain that is not empty, so "head unchanged" means something.
    await recordOk(env, [eventInput({ categories: ['PII'], tags: ['seed'] }), eventInput()]);
  });
  afterAll(() => env.close());

  describe('receipts', () => {
    it('answers one receipt per event, in order, with id, next sequences, hashes and recordedAt, after the rows are committed', async () => {
      const before = await snapshot(env);
      const t0 = Date.now();
      const payload = await recordOk(env, [
        eventInput({ action: 'a.one', categories: ['PII', 'PHI'], tags: ['x'] }),
        eventInput({ action: 'a.two' }),
        eventInput({ action: 'a.three', idempotencyKey: 'receipt-key' }),
      ]);
      expect(payload.recordedCount).toBe(3);
      const receipts = payload.receipts;
      expect(receipts.map((r) => r.sequence)).toEqual([before.headSequence + 1, before.headSequence + 2, before.headSequence + 3]);
      for (const r of receipts) {
        expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/); // UUIDv7
        expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
        expect(r.chainHash).toMatch(/^[0-9a-f]{64}$/);
        expect(r.recordedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(Date.parse(r.recordedAt)).toBeGreaterThanOrEqual(t0 - 1000);
        expect(Date.parse(r.recordedAt)).toBeLessThanOrEqual(Date.now() + 1000);
        expect(r.replayed).toBe(false);
      }
      expect(receipts.map((r) => r.idempotencyKey)).toEqual([null, null, 'receipt-key']);
      // UUIDv7 ids sort by time.
      expect([...receipts.map((r) => r.id)].sort()).toEqual(receipts.map((r) => r.id));

      // Committed: visible through raw SQL from another connection, with exactly these values.
      const rows = await env.sql<{ id: string; sequence: unknown; hash: string; chain_hash: string }>(
        `SELECT id, sequence, hash, chain_hash FROM audit_event WHERE tenant_id = 'default' AND sequence > ? ORDER BY sequence`,
        [before.headSequence],
      );
      expect(rows.map((r) => ({ id: r.id, sequence: Number(r.sequence), hash: r.hash, chainHash: r.chain_hash }))).toEqual(
        receipts.map((r) => ({ id: r.id, sequence: r.sequence, hash: r.hash, chainHash: r.chainHash })),
      );
      const after = await snapshot(env);
      expect(after).toEqual({
        events: before.events + 3,
        labels: before.labels + 3,
        headSequence: before.headSequence + 3,
        headChainHash: receipts[2].chainHash,
      });

      // The receipt matches what the read API and the verifier see.
      const read = await env.gql(EVENT, { id: receipts[0].id });
      expect(read.body.data!.auditEvent).toMatchObject({
        id: receipts[0].id,
        sequence: receipts[0].sequence,
        hash: receipts[0].hash,
        chainHash: receipts[0].chainHash,
        recordedAt: receipts[0].recordedAt,
        action: 'a.one',
        categories: ['PHI', 'PII'],
        tags: ['x'],
      });
      const verified = await env.gql(VERIFY);
      expect(verified.body.data!.verifyAuditChain).toMatchObject({
        valid: true,
        headSequence: after.headSequence,
        headChainHash: receipts[2].chainHash,
      });
    });

    it('applies the documented defaults', async () => {
      const { severity: _s, classification: _c, metadata: _m, ...bare } = eventInput();
      const [receipt] = (await recordOk(env, [bare])).receipts;
      const read = await env.gql(EVENT, { id: receipt.id });
      expect(read.body.data!.auditEvent).toMatchObject({
        severity: 'INFO',
        classification: 'INTERNAL',
        metadata: null,
        categories: [],
        tags: [],
      });
    });
    it('normalises occurredAt to UTC milliseconds and de-duplicates labels', async () => {
      const at = new Date(Date.now() - 3_600_000);
      const local = new Date(at.getTime() + 2 * 3_600_000)
        .toISOString()
        .replace('Z', '')
        .replace(/\.\d{3}$/, '.123456+02:00');
      const [receipt] = (await recordOk(env, [eventInput({ occurredAt: local, categories: ['PII', 'PHI', 'PII'], tags: ['b', 'a', 'b'] })]))
        .receipts;
      const read = await env.gql(EVENT, { id: receipt.id });
      expect(read.body.data!.auditEvent).toMatchObject({
        occurredAt: `${at.toISOString().slice(0, 19)}.123Z`,
        categories: ['PHI', 'PII'],
        tags: ['a', 'b'],
      });
    });

    it('round-trips awkward metadata keys and numbers, and the chain verifies', async () => {
      const metadata = JSON.parse(
        '{"__proto__":{"polluted":true},"constructor":"c","":"empty key","10":"ten","9":"nine","é":1,"😀":[0.1,1e-7,1e21,-5,0,true,null,{}],"nested":{"z":[],"a":{}}}',
      ) as Record<string, unknown>;
      const [receipt] = (await recordOk(env, [eventInput({ metadata })])).receipts;
      const read = await env.gql(EVENT, { id: receipt.id });
      expect(read.body.data!.auditEvent.metadata).toEqual(metadata);
      expect(Object.prototype.hasOwnProperty.call(read.body.data!.auditEvent.metadata, '__proto__')).toBe(true);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((await env.gql(VERIFY)).body.data!.verifyAuditChain).toMatchObject({ valid: true });
    });
  });

  describe('idempotency', () => {
    it('answers a retry with the same key and payload with the original receipt and writes nothing', async () => {
      const event = eventInput({ action: 'payment.capture', idempotencyKey: 'idem-1', metadata: { amount: 10, currency: 'EUR' } });
      const first = await recordOk(env, [event]);
      expect(first.recordedCount).toBe(1);
      expect(first.receipts[0].replayed).toBe(false);
      const before = await snapshot(env);

      // Same payload, metadata keys in another order: still the same event.
      const retry = await recordOk(env, [{ ...event, metadata: { currency: 'EUR', amount: 10 } }]);
      expect(retry.recordedCount).toBe(0);
      expect(retry.receipts).toEqual([{ ...first.receipts[0], replayed: true }]);
      expect(await snapshot(env)).toEqual(before);
      const [{ n }] = await env.sql<{ n: unknown }>("SELECT COUNT(*) AS n FROM audit_event WHERE idempotency_key = 'idem-1'");
      expect(Number(n)).toBe(1);
    });

    it('replays the keyed events of a batch and records only the new ones', async () => {
      const a = eventInput({ action: 'batch.a', idempotencyKey: 'idem-batch-a' });
      const b = eventInput({ action: 'batch.b', idempotencyKey: 'idem-batch-b', tags: ['t1'] });
      const first = await recordOk(env, [a, b]);
      const before = await snapshot(env);
      const c = eventInput({ action: 'batch.c', idempotencyKey: 'idem-batch-c' });
      const second = await recordOk(env, [b, c, a]);
      expect(second.recordedCount).toBe(1);
      expect(second.receipts[0]).toEqual({ ...first.receipts[1], replayed: true });
      expect(second.receipts[2]).toEqual({ ...first.receipts[0], replayed: true });
      expect(second.receipts[1]).toMatchObject({ sequence: before.headSequence + 1, replayed: false, idempotencyKey: 'idem-batch-c' });
      expect(await snapshot(env)).toEqual({
        events: before.events + 1,
        labels: before.labels,
        headSequence: before.headSequence + 1,
        headChainHash: second.receipts[1].chainHash,
      });
    });

    it('writes a key repeated within one batch once', async () => {
      const before = await snapshot(env);
      const e = eventInput({ action: 'dup.inbatch', idempotencyKey: 'idem-inbatch' });
      const payload = await recordOk(env, [e, e]);
      expect(payload.recordedCount).toBe(1);
      expect(payload.receipts[1]).toEqual({ ...payload.receipts[0], replayed: true });
      expect((await snapshot(env)).events).toBe(before.events + 1);
    });

    it('lets concurrent retries of one key write exactly one row, all answered with the same receipt', async () => {
      const e = eventInput({ action: 'dup.concurrent', idempotencyKey: 'idem-concurrent' });
      const before = await snapshot(env);
      const answers = await Promise.all(Array.from({ length: 6 }, () => recordOk(env, [e])));
      const receipts = answers.map((a) => a.receipts[0]);
      expect(answers.map((a) => a.recordedCount).sort()).toEqual([0, 0, 0, 0, 0, 1]);
      expect(receipts.filter((r) => !r.replayed)).toHaveLength(1);
      for (const r of receipts) expect({ ...r, replayed: false }).toEqual({ ...receipts.find((x) => !x.replayed)!, replayed: false });
      expect((await snapshot(env)).events).toBe(before.events + 1);
    });

    it('treats keys as exact, case- and space-sensitive strings', async () => {
      const before = await snapshot(env);
      const keys = ['Exact-Key', 'exact-key', 'exact-key ', ' exact-key'];
      const events = keys.map((k, i) => eventInput({ action: `exact.k${i}`, idempotencyKey: k }));
      const payload = await recordOk(env, events);
      expect(payload.recordedCount).toBe(4);
      expect(payload.receipts.map((r) => r.idempotencyKey)).toEqual(keys);
      const retry = await recordOk(env, events);
      expect(retry.receipts).toEqual(payload.receipts.map((r) => ({ ...r, replayed: true })));
      expect((await snapshot(env)).events).toBe(before.events + 4);
    });

    it('keeps tags that differ only in case or trailing space apart', async () => {
      const tags = ['Tag', 'tag', 'tag ', 'tag  '];
      const [receipt] = (await recordOk(env, [eventInput({ action: 'tags.exact', tags })])).receipts;
      const read = await env.gql(EVENT, { id: receipt.id });
      expect(read.body.data!.auditEvent.tags).toEqual([...tags].sort());
      expect((await env.gql(VERIFY)).body.data!.verifyAuditChain.valid).toBe(true);
    });

    it('refuses the same key with another payload with IDEMPOTENCY_CONFLICT and writes nothing, not even the good events of the batch', async () => {
      const original = eventInput({ action: 'order.place', idempotencyKey: 'idem-conflict', metadata: { qty: 1 } });
      await recordOk(env, [original]);
      const error = await rejectEvents(env, 'IDEMPOTENCY_CONFLICT', [
        eventInput({ action: 'fine.one' }),
        { ...original, metadata: { qty: 2 } },
        eventInput({ action: 'fine.two', idempotencyKey: 'idem-fresh' }),
      ]);
      expect(problemPaths(error)).toEqual(['events[1].idempotencyKey']);
      // The fresh key of the refused batch was not consumed.
      const fresh = await recordOk(env, [eventInput({ action: 'other.payload', idempotencyKey: 'idem-fresh' })]);
      expect(fresh.receipts[0].replayed).toBe(false);
      // And the original still replays.
      expect((await recordOk(env, [original])).receipts[0].replayed).toBe(true);
    });

    it('refuses a key reused for two different events of one batch', async () => {
      const error = await rejectEvents(env, 'IDEMPOTENCY_CONFLICT', [
        eventInput({ action: 'x.one', idempotencyKey: 'idem-inbatch-conflict' }),
        eventInput({ action: 'x.two', idempotencyKey: 'idem-inbatch-conflict' }),
      ]);
      expect(problemPaths(error)).toEqual(['events[1].idempotencyKey']);
    });

    it('counts a changed occurredAt, actor, category or tag as another payload', async () => {
      const original = eventInput({ idempotencyKey: 'idem-fields', categories: ['PII'], tags: ['a'] });
      await recordOk(env, [original]);
      for (const change of [
        { occurredAt: new Date(Date.parse(original.occurredAt as string) + 1).toISOString() },
        { actor: { id: 'u-43', type: 'USER' } },
        { categories: ['PHI'] },
        { tags: ['b'] },
        { severity: 'ALERT' },
        { metadata: null },
      ]) {
        await rejectEvents(env, 'IDEMPOTENCY_CONFLICT', [{ ...original, ...change }]);
      }
    });
  });

  describe('invalid input: a coded error and nothing written', () => {
    const long = (n: number) => 'x'.repeat(n);
    const omit = (key: string) => {
      const e = eventInput();
      delete e[key];
      return e;
    };

    it.each([
      ['occurredAt', () => omit('occurredAt')],
      ['actor', () => omit('actor')],
      ['action', () => omit('action')],
      ['resource', () => omit('resource')],
      ['outcome', () => omit('outcome')],
      ['actor.id', () => eventInput({ actor: { type: 'USER' } })],
      ['actor.type', () => eventInput({ actor: { id: 'u-1' } })],
      ['resource.id', () => eventInput({ resource: { type: 'session' } })],
      ['outcome.status', () => eventInput({ outcome: { reason: 'why' } })],
      ['action (null)', () => eventInput({ action: null })],
    ])('missing required field %s → BAD_USER_INPUT', async (_name, make) => {
      await rejectEvents(env, 'BAD_USER_INPUT', [eventInput(), make()]);
    });

    it.each([
      ['actor.type', { actor: { id: 'u-1', type: 'ROBOT' } }],
      ['actor.type lower case', { actor: { id: 'u-1', type: 'user' } }],
      ['outcome.status', { outcome: { status: 'MAYBE' } }],
      ['severity', { severity: 'LOUD' }],
      ['classification', { classification: 'TOP_SECRET' }],
      ['severity as a number', { severity: 3 }],
    ])('wrong enum value in %s → BAD_USER_INPUT', async (_name, change) => {
      await rejectEvents(env, 'BAD_USER_INPUT', [eventInput(change)]);
    });

    it.each([
      ['a word', 'yesterday'],
      ['no time zone', '2026-11-26T10:00:00'],
      ['date only', '2026-11-26'],
      ['impossible day', '2026-02-30T10:00:00.000Z'],
      ['impossible hour', '2026-11-26T25:00:00.000Z'],
      ['epoch millis', 1795703444852],
      ['empty', ''],
    ])('bad DateTime (%s) → BAD_USER_INPUT', async (_name, occurredAt) => {
      await rejectEvents(env, 'BAD_USER_INPUT', [eventInput({ occurredAt })]);
    });

    it.each([
      ['actor.id a number', { actor: { id: 42, type: 'USER' } }],
      ['tags not a list of strings', { tags: [1, 2] }],
      ['metadata an array', { metadata: [1, 2] }],
      ['metadata a string', { metadata: 'json' }],
      ['an unknown field', { colour: 'red' }],
      ['an unknown actor field', { actor: { id: 'u', type: 'USER', email: 'a@b' } }],
    ])('wrong type: %s → BAD_USER_INPUT', async (_name, change) => {
      await rejectEvents(env, 'BAD_USER_INPUT', [eventInput(change)]);
    });

    it('events null or missing → BAD_USER_INPUT', async () => {
      await expectRejected(env, 'BAD_USER_INPUT', () => env.gql(RECORD, { input: { events: null } }));
      await expectRejected(env, 'BAD_USER_INPUT', () => env.gql(RECORD, { input: {} }));
      await expectRejected(env, 'BAD_USER_INPUT', () => env.gql(RECORD, {}));
    });

    it('an invalid enum written into the query text → GRAPHQL_VALIDATION_FAILED', async () => {
      const query = `mutation { recordAuditEvents(input: { events: [{ occurredAt: "${new Date().toISOString()}",
        actor: { id: "u", type: ROBOT }, action: "a.b", resource: { type: "t", id: "i" }, outcome: { status: SUCCESS } }] }) { recordedCount } }`;
      await expectRejected(env, 'GRAPHQL_VALIDATION_FAILED', () => env.gql(query));
    });

    it.each([
      ['too old', () => new Date(Date.now() - 3651 * 86_400_000).toISOString()],
      ['from 1970', () => '1970-01-01T00:00:00.000Z'],
      ['in the future', () => new Date(Date.now() + 3_600_000).toISOString()],
      ['far in the future', () => '2999-12-31T23:59:59.999Z'],
    ])('occurredAt %s → INVALID_EVENT', async (_name, at) => {
      const error = await rejectEvents(env, 'INVALID_EVENT', [eventInput(), eventInput({ occurredAt: at() })]);
      expect(problemPaths(error)).toEqual(['events[1].occurredAt']);
    });

    it.each([
      ['actor.id', { actor: { id: long(257), type: 'USER' } }],
      ['actor.displayName', { actor: { id: 'u', type: 'USER', displayName: long(1025) } }],
      ['actor.userAgent', { actor: { id: 'u', type: 'USER', userAgent: long(1025) } }],
      ['action', { action: `a.${long(127)}` }],
      ['resource.type', { resource: { type: long(129), id: 'i' } }],
      ['resource.id', { resource: { type: 't', id: long(257) } }],
      ['resource.name', { resource: { type: 't', id: 'i', name: long(1025) } }],
      ['outcome.reason', { outcome: { status: 'FAILURE', reason: long(1025) } }],
      ['requestId', { requestId: long(257) }],
      ['sessionId', { sessionId: long(257) }],
      ['sourceService', { sourceService: long(257) }],
      ['idempotencyKey', { idempotencyKey: long(129) }],
      ['tags[0]', { tags: [long(65)] }],
    ])('too long %s → INVALID_EVENT', async (path, change) => {
      const error = await rejectEvents(env, 'INVALID_EVENT', [eventInput(change)]);
      expect(problemPaths(error)).toContain(`events[0].${path}`);
    });

    it.each([
      ['actor.id', { actor: { id: '', type: 'USER' } }],
      ['actor.id', { actor: { id: '  ', type: 'USER' } }],
      ['action', { action: '' }],
      ['resource.type', { resource: { type: '', id: 'i' } }],
      ['resource.id', { resource: { type: 't', id: ' ' } }],
      ['idempotencyKey', { idempotencyKey: '' }],
    ])('empty %s → INVALID_EVENT', async (path, change) => {
      const error = await rejectEvents(env, 'INVALID_EVENT', [eventInput(change)]);
      expect(problemPaths(error)).toContain(`events[0].${path}`);
    });

    it.each(['localhost', '999.1.1.1', '203.0.113.7/24', '203.0.113.7:8080', '::g', '', '203.0.113.7\n'])(
      'bad IP %j → INVALID_EVENT',
      async (ip) => {
        const error = await rejectEvents(env, 'INVALID_EVENT', [eventInput({ actor: { id: 'u', type: 'USER', ip } })]);
        expect(problemPaths(error)).toEqual(['events[0].actor.ip']);
      },
    );

    it.each(['auth login', 'auth..login', '.auth', 'auth.', 'auth/login', 'auth.*', 'auth.login\n{"level":50}'])(
      'bad action %j → INVALID_EVENT',
      async (action) => {
        const error = await rejectEvents(env, 'INVALID_EVENT', [eventInput({ action })]);
        expect(problemPaths(error)).toEqual(['events[0].action']);
      },
    );

    it.each([['pii'], ['P-II'], [''], ['PII ']])('bad category %j → INVALID_EVENT', async (category) => {
      const error = await rejectEvents(env, 'INVALID_EVENT', [eventInput({ categories: ['PHI', category] })]);
      expect(problemPaths(error)).toEqual(['events[0].categories[1]']);
    });

    it('too many categories or tags → INVALID_EVENT', async () => {
      const many = (f: (i: number) => string) => Array.from({ length: 33 }, (_, i) => f(i));
      await rejectEvents(env, 'INVALID_EVENT', [eventInput({ categories: many((i) => `C${i}`) })]);
      await rejectEvents(env, 'INVALID_EVENT', [eventInput({ tags: many((i) => `t${i}`) })]);
    });

    it.each([
      ['newline', 'session\nforged'],
      ['NUL', 'session\u0000'],
      ['escape', '\u001b[2J'],
    ])('control character (%s) in resource.type → INVALID_EVENT', async (_name, type) => {
      const error = await rejectEvents(env, 'INVALID_EVENT', [eventInput({ resource: { type, id: 'i' } })]);
      expect(problemPaths(error)).toEqual(['events[0].resource.type']);
    });

    it('unpaired UTF-16 surrogates → INVALID_EVENT', async () => {
      for (const change of [
        { actor: { id: 'u\ud800', type: 'USER' } },
        { outcome: { status: 'FAILURE', reason: 'x\udc00y' } },
        { metadata: { note: 'half an emoji \ud83d' } },
        { metadata: { ['\udfff']: 'key' } },
      ]) {
        await rejectEvents(env, 'INVALID_EVENT', [eventInput(change)]);
      }
    });

    it('metadata over MAX_METADATA_BYTES (default 16 KiB) → INVALID_EVENT', async () => {
      const error = await rejectEvents(env, 'INVALID_EVENT', [eventInput({ metadata: { blob: long(16_384) } })]);
      expect(problemPaths(error)).toEqual(['events[0].metadata']);
      // Multi-byte characters count as bytes: 6,000 × 3 bytes.
      await rejectEvents(env, 'INVALID_EVENT', [eventInput({ metadata: { blob: '€'.repeat(6_000) } })]);
      // Just under the limit is fine.
      const ok = await recordOk(env, [eventInput({ action: 'meta.big', metadata: { blob: long(16_384 - 12) } })]);
      expect(ok.recordedCount).toBe(1);
    });

    it('metadata nested too deep → INVALID_EVENT', async () => {
      let deep: Record<string, unknown> = { leaf: true };
      for (let i = 0; i < 20; i += 1) deep = { d: deep };
      await rejectEvents(env, 'INVALID_EVENT', [eventInput({ metadata: deep })]);
    });

    it('pathologically deep metadata → a coded client error, not a crash', async () => {
      // 50,000 levels of [[[…]]] is 100 KB of JSON: well under MAX_REQUEST_BYTES.
      const depth = 50_000;
      const body = `{"query":${JSON.stringify(RECORD)},"variables":{"input":{"events":[${JSON.stringify(
        eventInput({ metadata: null }),
      ).replace('"metadata":null', `"metadata":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`)}]}}}`;
      await expectRejected(env, 'INVALID_EVENT', async () => {
        const res = await fetch(env.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${env.adminKey}` },
          body,
        });
        return { body: JSON.parse(await res.text()) };
      });
    });

    it('a metadata number JSON cannot represent (1e400) → INVALID_EVENT', async () => {
      const body = JSON.stringify({ query: RECORD, variables: { input: { events: [eventInput({ metadata: { n: 0 } })] } } }).replace(
        '"n":0',
        '"n":1e400',
      );
      const error = await expectRejected(env, 'INVALID_EVENT', async () => {
        const res = await fetch(env.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${env.adminKey}` },
          body,
        });
        return { body: JSON.parse(await res.text()) };
      });
      expect(problemPaths(error)).toEqual(['events[0].metadata']);
    });

    it('an empty batch → INVALID_EVENT', async () => {
      const error = await rejectEvents(env, 'INVALID_EVENT', []);
      expect(problemPaths(error)).toEqual(['events']);
    });

    it('one bad event inside a batch of good ones → INVALID_EVENT naming it; none of the good ones is written', async () => {
      const events = Array.from({ length: 20 }, (_, i) => eventInput({ action: `good.e${i}`, categories: ['PII'], tags: ['t'] }));
      events[13] = eventInput({ action: 'bad action' });
      const error = await rejectEvents(env, 'INVALID_EVENT', events);
      expect(problemPaths(error)).toEqual(['events[13].action']);
    });

    it('reports every problem of every event at once', async () => {
      const error = await rejectEvents(env, 'INVALID_EVENT', [
        eventInput({ actor: { id: 'u', type: 'USER', ip: 'nope' } }),
        eventInput(),
        eventInput({ action: 'bad action', categories: ['lower'] }),
      ]);
      expect(problemPaths(error).sort()).toEqual(['events[0].actor.ip', 'events[2].action', 'events[2].categories[0]']);
    });

    it('the chain still verifies after all these refusals', async () => {
      const verified = await env.gql(VERIFY);
      expect(verified.body.data!.verifyAuditChain).toMatchObject({ valid: true, firstFailure: null });
      const head = await snapshot(env);
      expect(verified.body.data!.verifyAuditChain.checkedCount).toBe(head.headSequence);
      expect(head.events).toBe(head.headSequence);
    });
  });

  describe('free text is stored faithfully and can never forge a log line', () => {
    const FORGED_LOG = '{"level":30,"time":1795703444852,"msg":"admin login ok","actor":"root"}';
    const nasty = [
      'line one\nline two\r\nline three',
      `\n${FORGED_LOG}\n`,
      'tab\tnul\u0000bell\u0007esc\u001b[31mred\u001b[0m del\u007f',
      'emoji 😀👩‍👩‍👧 flags 🇪🇺 and astral 𝕏',
      'quotes " \' ` backslash \\ \\n (literal backslash-n) \\u0000 (literal)',
      '\u2028\u2029 line/paragraph separators, BOM \ufeff, zero-width\u200b',
      'trailing spaces   ',
      '   leading spaces',
      "'; DROP TABLE audit_event; --",
    ];

    // A SERVICE actor: its fields are stored in clear, so the columns can be compared byte for byte
    // (a person's are sealed, ADR 0042; privacy-erasure.e2e-spec round-trips those through the API).
    it('round-trips every free-text field and metadata byte for byte, and the chain verifies', async () => {
      const events = nasty.map((text, i) =>
        eventInput({
          action: `text.case${i}`,
          actor: { id: text, type: 'SERVICE', displayName: text, ip: '2001:db8::1', userAgent: text },
          resource: { type: 'document', id: text, name: text },
          outcome: { status: 'FAILURE', reason: text },
          tags: [text.slice(0, 60)].filter((t) => !CONTROL.test(t)),
          requestId: text,
          sessionId: text,
          sourceService: text,
          metadata: { text, [text]: [text, { nested: text }], number: 1.5, flag: false, nothing: null },
          idempotencyKey: `nasty-${i}`,
        }),
      );
      const payload = await recordOk(env, events);
      expect(payload.recordedCount).toBe(nasty.length);

      for (const [i, receipt] of payload.receipts.entries()) {
        const text = nasty[i];
        const res = await env.gql(EVENT, { id: receipt.id });
        expect(res.body.errors).toBeUndefined();
        const e = res.body.data!.auditEvent;
        expect(e.actor).toEqual({ id: text, type: 'SERVICE', displayName: text, ip: '2001:db8::1', userAgent: text });
        expect(e.resource).toEqual({ type: 'document', id: text, name: text });
        expect(e.outcome).toEqual({ status: 'FAILURE', reason: text });
        expect([e.requestId, e.sessionId, e.sourceService]).toEqual([text, text, text]);
        expect(e.metadata).toEqual({ text, [text]: [text, { nested: text }], number: 1.5, flag: false, nothing: null });
        expect(e.tags).toEqual(events[i].tags);
        expect([e.hash, e.chainHash]).toEqual([receipt.hash, receipt.chainHash]);

        // In the database itself, not only through the API.
        const [row] = await env.sql<Record<string, unknown>>(
          'SELECT actor_id, actor_display_name, actor_user_agent, resource_id, resource_name, outcome_reason, request_id, session_id, source_service, metadata FROM audit_event WHERE id = ?',
          [receipt.id],
        );
        for (const column of [
          'actor_id',
          'actor_display_name',
          'actor_user_agent',
          'resource_id',
          'resource_name',
          'outcome_reason',
          'request_id',
          'session_id',
          'source_service',
        ]) {
          expect(Buffer.from(String(row[column]), 'utf8').equals(Buffer.from(text, 'utf8'))).toBe(true);
        }
        expect(JSON.parse(String(row.metadata))).toEqual(e.metadata);
      }

      // Retried unchanged, the same events are recognised as the same payloads.
      const retry = await recordOk(env, events);
      expect(retry.receipts.map((r) => r.replayed)).toEqual(nasty.map(() => true));

      const verified = await env.gql(VERIFY);
      expect(verified.body.data!.verifyAuditChain).toMatchObject({ valid: true, firstFailure: null });
    });

    it('answers with JSON in which no raw control character or newline appears', async () => {
      const [receipt] = (await recordOk(env, [eventInput({ outcome: { status: 'DENIED', reason: `x\n${FORGED_LOG}\r\u0000` } })])).receipts;
      const res = await fetch(env.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${env.adminKey}` },
        body: JSON.stringify({ query: EVENT, variables: { id: receipt.id } }),
      });
      const text = await res.text();
      // One JSON document; the only raw newline is the one that ends it.
      expect(text.replace(/\n$/, '')).not.toMatch(CONTROL);
      expect(JSON.parse(text).data.auditEvent.outcome.reason).toBe(`x\n${FORGED_LOG}\r\u0000`);
    });
  });
});

describe('recordAuditEvents limits', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment({
      MAX_EVENTS_PER_BATCH: '5',
      MAX_METADATA_BYTES: '64',
      MAX_STRING_LENGTH: '32',
      MAX_REQUEST_BYTES: '16384',
    });
    await recordOk(env, [eventInput({ metadata: null, actor: { id: 'u', type: 'USER' } })]);
  });
  afterAll(() => env.close());

  it('accepts exactly MAX_EVENTS_PER_BATCH events', async () => {
    const payload = await recordOk(
      env,
      Array.from({ length: 5 }, () => eventInput({ metadata: null, actor: { id: 'u', type: 'USER' } })),
    );
    expect(payload.receipts.map((r) => r.sequence)).toEqual([2, 3, 4, 5, 6]);
  });

  it('refuses MAX_EVENTS_PER_BATCH + 1 events with BATCH_TOO_LARGE and writes none', async () => {
    const error = await rejectEvents(
      env,
      'BATCH_TOO_LARGE',
      Array.from({ length: 6 }, () => eventInput({ metadata: null, actor: { id: 'u', type: 'USER' } })),
    );
    expect(error.extensions.max).toBe(5);
  });

  it('applies MAX_METADATA_BYTES and MAX_STRING_LENGTH from the configuration', async () => {
    await rejectEvents(env, 'INVALID_EVENT', [eventInput({ metadata: { blob: 'x'.repeat(60) } })]);
    await rejectEvents(env, 'INVALID_EVENT', [
      eventInput({ metadata: null, actor: { id: 'u', type: 'USER', displayName: 'x'.repeat(33) } }),
    ]);
    const ok = await recordOk(env, [
      eventInput({ metadata: { blob: 'x'.repeat(50) }, actor: { id: 'u', type: 'USER', displayName: 'x'.repeat(32) } }),
    ]);
    expect(ok.recordedCount).toBe(1);
  });

  it('refuses a body over MAX_REQUEST_BYTES with PAYLOAD_TOO_LARGE and writes nothing', async () => {
    const events = Array.from({ length: 5 }, () => eventInput({ metadata: null, resource: { type: 't', id: 'x'.repeat(4000) } }));
    await expectRejected(env, 'PAYLOAD_TOO_LARGE', async () => {
      const res = await env.gql(RECORD, { input: { events } });
      expect(res.status).toBe(413);
      return res;
    });
  });

  it('keeps the chain valid and gapless', async () => {
    const verified = await env.gql(VERIFY);
    expect(verified.body.data!.verifyAuditChain).toMatchObject({ valid: true, headSequence: 7, checkedCount: 7 });
  });
});

describe('recordAuditEvents is fail-closed', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
    await recordOk(env, [eventInput(), eventInput()]);
  });
  afterAll(() => env.close());

  /** Makes the database refuse a write late in the append transaction, the way a full disk or a lost connection would. */
  async function withFailingTrigger(table: string, event: 'INSERT' | 'UPDATE', condition: string, run: () => Promise<void>) {
    const name = `dpa_fail_${table}`;
    await env.sql(
      env.dialect === 'mariadb'
        ? `CREATE TRIGGER ${name} BEFORE ${event} ON ${table} FOR EACH ROW BEGIN IF ${condition} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'; END IF; END`
        : `CREATE TRIGGER ${name} BEFORE ${event} ON ${table} WHEN ${condition} BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
    );
    try {
      await run();
    } finally {
      await env.sql(`DROP TRIGGER ${name}`);
    }
  }

  it.each([
    ['the label insert fails (after the event rows)', 'audit_event_label', 'INSERT', "NEW.value = 'boom'"],
    ['the chain head update fails (the last statement)', 'chain_head', 'UPDATE', 'NEW.sequence > 3'],
  ] as const)('writes nothing when %s, and the chain carries on without a gap', async (_name, table, event, condition) => {
    const before = await snapshot(env);
    await withFailingTrigger(table, event, condition, async () => {
      const events = [
        eventInput({ action: 'failclosed.a', idempotencyKey: `fc-${table}` }),
        eventInput({ action: 'failclosed.b', tags: ['boom'] }),
      ];
      const res = await record(env, events);
      expect(res.body.errors?.map((e: { extensions?: { code?: string } }) => e.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(res.body.data?.recordAuditEvents ?? null).toBeNull();
      expect(await snapshot(env)).toEqual(before);
    });
    // The refused key was not consumed and the next append continues at the next sequence.
    const next = await recordOk(env, [eventInput({ action: 'failclosed.after', idempotencyKey: `fc-${table}` })]);
    expect(next.receipts[0]).toMatchObject({ sequence: before.headSequence + 1, replayed: false });
    const verified = await env.gql(VERIFY);
    expect(verified.body.data!.verifyAuditChain).toMatchObject({ valid: true, headSequence: before.headSequence + 1 });
  });
});
