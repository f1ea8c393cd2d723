import { createChainStore } from '../../src/chain/chain-store';
import type { GroupStats } from '../../src/chain/group-commit';
import { linkHash } from '../../src/chain/hashing';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/chain/merkle';
import { prepareEvents } from '../../src/ingest/event-validation';
import { createTestEnvironment, eventInput, RECORD, type TestEnvironment, VERIFY } from '../helpers/test-environment';
import { mth } from '../helpers/reference-merkle';

/**
 * Group commit (issue 13 part 6, ADR 0052): the batches waiting for a tenant's chain lock are
 * committed in one transaction, and still every call is answered alone — its own receipts, its own
 * error — after the commit that holds it. Many concurrent batches of one tenant (some with
 * idempotency keys repeated, one deliberately bad) end in one gapless chain whose hashes and Merkle
 * tree verify, with no event stored twice.
 */
const INCLUSION = `query I($sequence: SafeInt!, $treeSize: SafeInt) {
  inclusionProof(sequence: $sequence, treeSize: $treeSize) { sequence leafIndex treeSize leafHash rootHash hashes }
}`;
const CONSISTENCY = `query C($fromSize: SafeInt!, $toSize: SafeInt) {
  consistencyProof(fromSize: $fromSize, toSize: $toSize) { fromSize toSize fromRoot toRoot hashes }
}`;
const b64 = (s: string) => Buffer.from(s, 'base64');

interface Receipt {
  id: string;
  sequence: number;
  hash: string;
  chainHash: string;
  idempotencyKey: string | null;
  replayed: boolean;
}

/** One occurredAt for every event, so that an event built twice is the same payload (a retry). */
const AT = new Date(Date.now() - 60_000).toISOString();
const LIMITS = { maxStringLength: 1024, maxMetadataBytes: 16384, maxOccurredAtAgeMs: 1e12, maxClockSkewMs: 1e6 };

describe('group commit', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env?.close());

  /** The tenant's rows in sequence order: exactly 1..n, one chain from the genesis hash, no key stored twice. */
  async function expectOneChain(tenant: string): Promise<{ id: string; sequence: number; hash: string }[]> {
    const rows = await env.sql<{ id: string; sequence: unknown; hash: string; chain_hash: string }>(
      'SELECT id, sequence, hash, chain_hash FROM audit_event WHERE tenant_id = ? ORDER BY sequence',
      [tenant],
    );
    let previous = '0'.repeat(64);
    rows.forEach((r, i) => {
      if (Number(r.sequence) !== i + 1) throw new Error(`sequence ${i + 1} is missing or duplicated (found ${String(r.sequence)})`);
      if (r.chain_hash !== linkHash(previous, r.hash)) throw new Error(`the chain forks at ${i + 1}`);
      previous = r.chain_hash;
    });
    const duplicates = await env.sql(
      'SELECT idempotency_scope, idempotency_key, COUNT(*) AS n FROM audit_event WHERE tenant_id = ? AND idempotency_key IS NOT NULL GROUP BY idempotency_scope, idempotency_key HAVING COUNT(*) > 1',
      [tenant],
    );
    expect(duplicates).toEqual([]);
    const [head] = await env.sql<{ sequence: unknown; chain_hash: string }>(
      'SELECT sequence, chain_hash FROM chain_head WHERE tenant_id = ?',
      [tenant],
    );
    expect({ sequence: Number(head.sequence), chainHash: head.chain_hash }).toEqual({ sequence: rows.length, chainHash: previous });
    return rows.map((r) => ({ id: r.id, sequence: Number(r.sequence), hash: r.hash }));
  }

  /** verifyAuditChain passes, and the tree's proofs verify against the root recomputed here from the stored event hashes. */
  async function expectVerified(auditor: string, hashes: string[]): Promise<void> {
    const n = hashes.length;
    const verified = await env.gql(VERIFY, {}, auditor);
    expect(verified.body.errors).toBeUndefined();
    expect(verified.body.data!.verifyAuditChain).toMatchObject({ valid: true, firstFailure: null, checkedCount: n, headSequence: n });
    const leaves = hashes.map((h) => leafHash(Buffer.from(h, 'hex')));
    const root = mth(leaves);
    for (const sequence of [1, Math.ceil(n / 2), n]) {
      const res = await env.gql(INCLUSION, { sequence, treeSize: n }, auditor);
      expect(res.body.errors).toBeUndefined();
      const p = res.body.data!.inclusionProof;
      expect(b64(p.rootHash).equals(root)).toBe(true);
      expect(verifyInclusion(sequence - 1, n, leaves[sequence - 1], p.hashes.map(b64), root).ok).toBe(true);
    }
    const c = (await env.gql(CONSISTENCY, { fromSize: 1, toSize: n }, auditor)).body.data!.consistencyProof;
    expect(verifyConsistency(1, n, leaves[0], root, c.hashes.map(b64)).ok).toBe(true);
  }

  it('answers many concurrent batches of one tenant each alone: the bad one gets its coded error, the rest one gapless verified chain', async () => {
    const tenant = 'group-http';
    const writerA = await env.createKey('INGEST', tenant);
    const writerB = await env.createKey('INGEST', tenant);
    const auditor = await env.createKey('AUDITOR', tenant);
    const batch = (b: number, size = 20) =>
      Array.from({ length: size }, (_, i) =>
        eventInput({
          occurredAt: AT,
          action: 'group.load',
          actor: { id: `client-${b}`, type: 'SERVICE' },
          metadata: { b, i },
          ...(i % 2 ? {} : { idempotencyKey: `g-${b}-${i}` }),
        }),
      );
    // A key stored before, which the bad batch reuses for another event.
    const first = await env.gql(RECORD, { input: { events: [eventInput({ action: 'group.first', idempotencyKey: 'taken' })] } }, writerA);
    expect(first.body.errors).toBeUndefined();

    const bodies: { key: string; events: Record<string, unknown>[] }[] = [];
    for (let b = 0; b < 16; b += 1) bodies.push({ key: b % 2 ? writerB : writerA, events: batch(b) });
    const repeated = bodies.length; // batch 2 sent again, unchanged, by the same key: a retry
    bodies.push({ key: writerA, events: batch(2) });
    const overlapping = bodies.length; // batch 4's first six events again, with four new ones
    bodies.push({ key: writerA, events: [...batch(4).slice(0, 6), ...batch(40, 4)] });
    const otherScope = bodies.length; // batch 0's keys from the other API key: its own keys (ADR 0016)
    bodies.push({ key: writerB, events: batch(0).slice(0, 4) });
    const bad = bodies.length; // 'taken' for another event: IDEMPOTENCY_CONFLICT, and nothing of it stored
    bodies.push({
      key: writerA,
      events: [...batch(50, 5).map((e) => ({ ...e, action: 'group.bad' })), eventInput({ action: 'group.bad', idempotencyKey: 'taken' })],
    });
    for (let b = 60; b < 64; b += 1) bodies.push({ key: writerB, events: batch(b) });

    const answers = await Promise.all(bodies.map(({ key, events }) => env.gql(RECORD, { input: { events } }, key)));

    expect(answers[bad].body.data).toBeNull();
    expect(answers[bad].body.errors).toHaveLength(1);
    expect(answers[bad].body.errors![0].extensions!.code).toBe('IDEMPOTENCY_CONFLICT');
    const good = answers.filter((_, i) => i !== bad);
    for (const a of good) expect(a.body.errors).toBeUndefined();
    const receipts: Receipt[][] = answers.map((a, i) => (i === bad ? [] : a.body.data!.recordAuditEvents.receipts));

    // Each call's new events are one consecutive run, linked one to the next.
    for (const rs of receipts) {
      const fresh = rs.filter((r) => !r.replayed);
      fresh.forEach((r, i) => {
        if (i === 0) return;
        expect(r.sequence).toBe(fresh[0].sequence + i);
        expect(r.chainHash).toBe(linkHash(fresh[i - 1].chainHash, r.hash));
      });
    }
    // The retry answers what the original did, whichever of the two the chain took first.
    const [original, retry] = [receipts[2], receipts[repeated]];
    const keyed = (rs: Receipt[]) => rs.filter((r) => r.idempotencyKey !== null);
    expect(keyed(retry).map((r) => r.id)).toEqual(keyed(original).map((r) => r.id));
    // Unkeyed events of a retry are new events; keyed ones are the same events, replayed in exactly one answer.
    keyed(original).forEach((r, i) => expect([r.replayed, keyed(retry)[i].replayed].sort()).toEqual([false, true]));
    // The overlap's six events are batch 4's (its three keyed ones replayed, whichever came first).
    const overlapKeyed = keyed(receipts[overlapping]);
    expect(overlapKeyed.slice(0, 3).map((r) => r.id)).toEqual(
      keyed(receipts[4])
        .slice(0, 3)
        .map((r) => r.id),
    );
    // The other key's same key texts are events of their own.
    expect(receipts[otherScope].every((r) => !r.replayed)).toBe(true);
    expect(new Set(keyed(receipts[otherScope]).map((r) => r.id)).size).toBe(2);
    expect(keyed(receipts[otherScope]).some((r) => keyed(receipts[0]).some((o) => o.id === r.id))).toBe(false);

    const rows = await expectOneChain(tenant);
    // Every acknowledged new event is a stored row, and every stored row was acknowledged (or is the first event).
    const fresh = receipts.flat().filter((r) => !r.replayed);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const r of fresh) expect(byId.get(r.id)).toEqual({ id: r.id, sequence: r.sequence, hash: r.hash });
    // 16 + 4 batches of 20, the retry's 10 unkeyed events, the overlap's 3 unkeyed + 4 new, the other scope's 4, the first.
    const expected = 20 * 20 + 10 + 7 + 4 + 1;
    expect(rows).toHaveLength(expected);
    expect(new Set(fresh.map((r) => r.id)).size).toBe(expected - 1);
    const [{ n: badRows }] = await env.sql<{ n: unknown }>(
      "SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = ? AND action = 'group.bad'",
      [tenant],
    );
    expect(Number(badRows)).toBe(0);
    await expectVerified(
      auditor,
      rows.map((r) => r.hash),
    );
  });

  it('commits the calls that arrive together in one transaction; a constraint error and a conflict fail only their own call', async () => {
    const tenant = 'group-store';
    const auditor = await env.createKey('AUDITOR', tenant);
    const groups: GroupStats[] = [];
    const store = createChainStore(env.app.dataSource, { onGroup: (g) => groups.push(g) });
    const prepare = (b: number, size: number, keyed = false) =>
      prepareEvents(
        Array.from({ length: size }, (_, i) =>
          eventInput({ occurredAt: AT, action: 'group.store', metadata: { b, i }, ...(keyed ? { idempotencyKey: `s-${b}-${i}` } : {}) }),
        ) as never,
        LIMITS,
      );
    const broken = prepare(2, 3);
    // Its second event breaks a NOT NULL column: only the database can tell.
    broken[1] = { ...broken[1], payload: { ...broken[1].payload, action: null as unknown as string } };
    const conflicting = prepare(4, 2);
    conflicting[1] = { ...conflicting[1], idempotencyKey: 's-1-0' }; // call 1's key for another event

    // Handed over by one synchronous map: one group, whatever the database.
    const calls = [prepare(0, 5), prepare(1, 4, true), broken, prepare(3, 6), conflicting, prepare(1, 4, true), prepare(6, 2)];
    const answers = await Promise.allSettled(calls.map((events) => store.append(tenant, events, 'writer-1')));

    expect(groups).toEqual([{ calls: 7, events: 5 + 4 + 3 + 6 + 2 + 4 + 2 }]);
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    // The database's own refusal (SQLite: NOT NULL constraint failed; MariaDB: column cannot be null).
    expect(String((answers[2] as PromiseRejectedResult).reason)).toMatch(/null/i);
    expect((answers[4] as PromiseRejectedResult).reason).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    const value = (i: number) => (answers[i] as PromiseFulfilledResult<{ receipts: Receipt[]; written: number }>).value;
    // Sequences in call order, the refused calls leaving no gap.
    expect(value(0).receipts.map((r) => r.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(value(1).receipts.map((r) => r.sequence)).toEqual([6, 7, 8, 9]);
    expect(value(3).receipts.map((r) => r.sequence)).toEqual([10, 11, 12, 13, 14, 15]);
    // The same keys again in the same group: call 1's receipts, replayed, nothing written.
    expect(value(5).written).toBe(0);
    expect(value(5).receipts).toEqual(value(1).receipts.map((r) => ({ ...r, replayed: true })));
    expect(value(6).receipts.map((r) => r.sequence)).toEqual([16, 17]);

    const rows = await expectOneChain(tenant);
    expect(rows).toHaveLength(17);
    const [{ n: counted }] = await env.sql<{ n: unknown }>('SELECT SUM(event_count) AS n FROM audit_event_rollup WHERE tenant_id = ?', [
      tenant,
    ]);
    expect(Number(counted)).toBe(17); // the refused calls' rollup counts rolled back with them
    await expectVerified(
      auditor,
      rows.map((r) => r.hash),
    );
  });
});
