import { AppError, type Problem } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { ActorType, classificationRank, OutcomeStatus, severityRank } from '../audit/audit-event.model';
import { type ChainHead, chunkRows, type KeyedReceipt, LABEL_COLUMNS, planAppend, ROLLUP_COLUMNS } from './chain-append';
import { AUDIT_EVENT_COLUMNS } from '../audit/audit-event.columns';
import { type AuditEventInputShape, prepareEvents } from '../ingest/event-validation';
import type { PreparedEvent } from './prepared-event';
import { eventHash, GENESIS_CHAIN_HASH, linkHash, sha256Hex } from './hashing';

const NOW = new Date('2026-11-26T12:00:00.000Z');
const LIMITS = { maxStringLength: 1024, maxMetadataBytes: 16384, maxOccurredAtAgeMs: 365 * 86_400_000, maxClockSkewMs: 300_000 };
const GENESIS: ChainHead = { sequence: 0, chainHash: GENESIS_CHAIN_HASH };

function prepared(overrides: Partial<AuditEventInputShape> = {}): PreparedEvent {
  return prepareEvents(
    [
      {
        occurredAt: '2026-11-26T11:00:00.000Z',
        actor: { id: 'u-42', type: ActorType.USER, ip: '203.0.113.7' },
        action: 'auth.login',
        resource: { type: 'session', id: 's-1' },
        outcome: { status: OutcomeStatus.SUCCESS },
        metadata: { any: 'json' },
        ...overrides,
      },
    ],
    LIMITS,
    { now: NOW.getTime() },
  )[0];
}

/** Deterministic ids: id-1, id-2, … */
function ids(): () => string {
  let n = 0;
  return () => `id-${++n}`;
}

const col = (row: unknown[], name: (typeof AUDIT_EVENT_COLUMNS)[number]) => row[AUDIT_EVENT_COLUMNS.indexOf(name)];

function conflictOf(run: () => unknown): Problem[] {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AppError);
  expect((caught as AppError).extensions.code).toBe(ErrorCode.IDEMPOTENCY_CONFLICT);
  return (caught as AppError).extensions.problems as Problem[];
}

describe('planAppend', () => {
  it('numbers a batch on a fresh chain 1, 2, 3 and links every hash from the genesis hash', () => {
    const events = [prepared(), prepared({ action: 'auth.logout' }), prepared({ action: 'record.read', tags: ['t'] })];
    const plan = planAppend('default', GENESIS, events, new Map(), NOW, ids());

    expect(plan.receipts.map((r) => r.sequence)).toEqual([1, 2, 3]);
    expect(plan.receipts.map((r) => r.id)).toEqual(['id-1', 'id-2', 'id-3']);
    let previous = GENESIS_CHAIN_HASH;
    plan.receipts.forEach((receipt, i) => {
      const expectedHash = eventHash({
        ...events[i].payload,
        id: receipt.id,
        tenantId: 'default',
        sequence: i + 1,
        recordedAt: NOW.toISOString(),
      });
      expect(receipt.hash).toBe(expectedHash);
      expect(receipt.chainHash).toBe(linkHash(previous, expectedHash));
      expect(receipt.chainHash).toBe(sha256Hex(previous + expectedHash));
      expect(receipt).toMatchObject({ recordedAt: NOW.toISOString(), idempotencyKey: null, replayed: false });
      previous = receipt.chainHash;
    });
    expect(plan.head).toEqual({ sequence: 3, chainHash: previous });
    expect(new Set(plan.receipts.map((r) => r.hash)).size).toBe(3);
  });

  it('continues from the locked head', () => {
    const head: ChainHead = { sequence: 41, chainHash: 'a'.repeat(64) };
    const plan = planAppend('t1', head, [prepared(), prepared()], new Map(), NOW, ids());
    expect(plan.receipts.map((r) => r.sequence)).toEqual([42, 43]);
    expect(plan.receipts[0].chainHash).toBe(linkHash(head.chainHash, plan.receipts[0].hash));
    expect(plan.receipts[1].chainHash).toBe(linkHash(plan.receipts[0].chainHash, plan.receipts[1].hash));
    expect(plan.head).toEqual({ sequence: 43, chainHash: plan.receipts[1].chainHash });
  });

  it('binds the hash to tenant, sequence, id, time and every payload field', () => {
    const base = planAppend('default', GENESIS, [prepared()], new Map(), NOW, () => 'same-id').receipts[0].hash;
    const again = planAppend('default', GENESIS, [prepared()], new Map(), NOW, () => 'same-id').receipts[0].hash;
    expect(again).toBe(base);
    expect(planAppend('other', GENESIS, [prepared()], new Map(), NOW, () => 'same-id').receipts[0].hash).not.toBe(base);
    expect(
      planAppend('default', { sequence: 1, chainHash: GENESIS_CHAIN_HASH }, [prepared()], new Map(), NOW, () => 'same-id').receipts[0].hash,
    ).not.toBe(base);
    expect(planAppend('default', GENESIS, [prepared()], new Map(), NOW, () => 'other-id').receipts[0].hash).not.toBe(base);
    expect(planAppend('default', GENESIS, [prepared()], new Map(), new Date(NOW.getTime() + 1), () => 'same-id').receipts[0].hash).not.toBe(
      base,
    );
    for (const change of [
      { metadata: { any: 'jsoN' } },
      { actor: { id: 'u-43', type: ActorType.USER, ip: '203.0.113.7' } },
      { categories: ['PII'] },
      { tags: ['x'] },
      { outcome: { status: OutcomeStatus.SUCCESS, reason: 'r' } },
    ] as Partial<AuditEventInputShape>[]) {
      expect(planAppend('default', GENESIS, [prepared(change)], new Map(), NOW, () => 'same-id').receipts[0].hash).not.toBe(base);
    }
    // The idempotency key is not hashed: it is a transport detail.
    expect(planAppend('default', GENESIS, [prepared({ idempotencyKey: 'k' })], new Map(), NOW, () => 'same-id').receipts[0].hash).toBe(
      base,
    );
  });

  it('builds one event row per new event in AUDIT_EVENT_COLUMNS order and one label row per category and tag', () => {
    const event = prepared({
      severity: 'WARNING' as never,
      classification: 'CONFIDENTIAL' as never,
      categories: ['PII', 'PHI'],
      tags: ['login'],
      idempotencyKey: 'k-1',
      metadata: { b: 2, a: 1 },
    });
    const plan = planAppend('default', GENESIS, [event], new Map(), NOW, () => 'the-id');
    expect(plan.eventRows).toHaveLength(1);
    const row = plan.eventRows[0];
    expect(row).toHaveLength(AUDIT_EVENT_COLUMNS.length);
    expect(col(row, 'id')).toBe('the-id');
    expect(col(row, 'tenant_id')).toBe('default');
    expect(col(row, 'sequence')).toBe(1);
    expect(col(row, 'occurred_at')).toBe('2026-11-26 11:00:00.000');
    expect(col(row, 'recorded_at')).toBe('2026-11-26 12:00:00.000');
    expect(col(row, 'actor_id')).toBe('u-42');
    expect(col(row, 'actor_ip')).toBe('203.0.113.7');
    expect(col(row, 'actor_display_name')).toBeNull();
    expect(col(row, 'severity')).toBe(severityRank('WARNING' as never));
    expect(col(row, 'classification')).toBe(classificationRank('CONFIDENTIAL' as never));
    expect(col(row, 'metadata')).toBe('{"a":1,"b":2}');
    expect(col(row, 'idempotency_key')).toBe('k-1');
    expect(col(row, 'payload_hash')).toBe(event.payloadHash);
    expect(col(row, 'idempotency_scope')).toBe(''); // no writer given: the server's own
    expect(col(row, 'hash')).toBe(plan.receipts[0].hash);
    expect(col(row, 'chain_hash')).toBe(plan.receipts[0].chainHash);
    expect(LABEL_COLUMNS).toEqual(['event_id', 'kind', 'value', 'tenant_id', 'sequence']);
    expect(plan.labelRows).toEqual([
      ['the-id', 'category', 'PHI', 'default', 1],
      ['the-id', 'category', 'PII', 'default', 1],
      ['the-id', 'tag', 'login', 'default', 1],
    ]);
  });

  it('counts new events once per rollup key, keeping keys that differ in any field or in their categories apart', () => {
    const login = prepared();
    const phi = prepared({ categories: ['PHI'] });
    const phiPii = prepared({ categories: ['PII', 'PHI'] });
    const denied = prepared({ outcome: { status: OutcomeStatus.DENIED } });
    const replayed = prepared({ idempotencyKey: 'k' });
    const plan = planAppend('acme', GENESIS, [login, phi, login, phiPii, denied, phi, replayed, replayed], new Map(), NOW, ids());
    const rows = plan.rollupRows.map((row) => Object.fromEntries(ROLLUP_COLUMNS.map((c, i) => [c, row[i]])));
    const summary = rows.map((r) => [r.outcome_status, r.categories, r.categories_key, r.event_count, r.min_sequence, r.max_sequence]);
    expect(summary).toEqual([
      ['SUCCESS', '', '', 3, 1, 7], // login, login and the keyed event (its replay adds nothing)
      ['SUCCESS', 'PHI', sha256Hex('PHI'), 2, 2, 6],
      ['SUCCESS', 'PHI,PII', sha256Hex('PHI,PII'), 1, 4, 4],
      ['DENIED', '', '', 1, 5, 5],
    ]);
  });

  it('stores null metadata as SQL NULL', () => {
    const plan = planAppend('default', GENESIS, [prepared({ metadata: null })], new Map(), NOW, ids());
    expect(col(plan.eventRows[0], 'metadata')).toBeNull();
  });

  describe('idempotency', () => {
    it('replays a repeated key within one batch: same receipt, one row, no extra sequence', () => {
      const a = prepared({ idempotencyKey: 'k-a' });
      const plan = planAppend('default', GENESIS, [a, prepared(), { ...a }], new Map(), NOW, ids());
      expect(plan.eventRows).toHaveLength(2);
      expect(plan.receipts.map((r) => r.sequence)).toEqual([1, 2, 1]);
      expect(plan.receipts.map((r) => r.replayed)).toEqual([false, false, true]);
      const { replayed: _x, ...first } = plan.receipts[0];
      const { replayed: _y, ...third } = plan.receipts[2];
      expect(third).toEqual(first);
      expect(plan.head.sequence).toBe(2);
      expect(plan.head.chainHash).toBe(plan.receipts[1].chainHash);
    });

    it('replays a key stored by an earlier batch: the original receipt, nothing to write, head unchanged', () => {
      const first = planAppend('default', GENESIS, [prepared({ idempotencyKey: 'k-1' })], new Map(), NOW, ids());
      const original = first.receipts[0];
      const stored = new Map<string, KeyedReceipt>([
        ['k-1', { ...original, idempotencyKey: 'k-1', payloadHash: prepared({ idempotencyKey: 'k-1' }).payloadHash }],
      ]);
      const later = new Date(NOW.getTime() + 60_000);
      const retry = planAppend('default', first.head, [prepared({ idempotencyKey: 'k-1' })], stored, later, ids());
      expect(retry.eventRows).toEqual([]);
      expect(retry.labelRows).toEqual([]);
      expect(retry.head).toEqual(first.head);
      expect(retry.receipts).toEqual([{ ...original, replayed: true }]);
    });

    it('mixes replays and new events in one batch, new ones continuing the chain', () => {
      const first = planAppend('default', GENESIS, [prepared({ idempotencyKey: 'k-1' })], new Map(), NOW, ids());
      const stored = new Map<string, KeyedReceipt>([
        ['k-1', { ...first.receipts[0], idempotencyKey: 'k-1', payloadHash: prepared().payloadHash }],
      ]);
      const plan = planAppend(
        'default',
        first.head,
        [prepared({ idempotencyKey: 'k-2' }), prepared({ idempotencyKey: 'k-1' }), prepared()],
        stored,
        NOW,
        () => 'new',
      );
      expect(plan.receipts.map((r) => [r.sequence, r.replayed])).toEqual([
        [2, false],
        [1, true],
        [3, false],
      ]);
      expect(plan.eventRows.map((r) => col(r, 'sequence'))).toEqual([2, 3]);
      expect(plan.receipts[0].chainHash).toBe(linkHash(first.head.chainHash, plan.receipts[0].hash));
      expect(plan.receipts[2].chainHash).toBe(linkHash(plan.receipts[0].chainHash, plan.receipts[2].hash));
    });

    it('never deduplicates events without a key', () => {
      const plan = planAppend('default', GENESIS, [prepared(), prepared()], new Map(), NOW, ids());
      expect(plan.eventRows).toHaveLength(2);
      expect(plan.receipts.map((r) => r.replayed)).toEqual([false, false]);
    });

    it('stores a keyed event under the API key that wrote it, and an unkeyed one under no key', () => {
      const plan = planAppend('default', GENESIS, [prepared({ idempotencyKey: 'k-1' }), prepared()], new Map(), NOW, ids(), 'key-a');
      expect(plan.eventRows.map((r) => col(r, 'idempotency_scope'))).toEqual(['key-a', '']);
      expect(plan.eventRows.map((r) => col(r, 'idempotency_key'))).toEqual(['k-1', null]);
    });

    it('refuses a key stored for another payload with IDEMPOTENCY_CONFLICT naming nothing of the stored event', () => {
      const stored = new Map<string, KeyedReceipt>([
        [
          'k-1',
          {
            id: 'old',
            sequence: 7,
            hash: 'h'.repeat(64),
            chainHash: 'c'.repeat(64),
            recordedAt: NOW.toISOString(),
            idempotencyKey: 'k-1',
            payloadHash: prepared({ action: 'auth.login' }).payloadHash,
          },
        ],
      ]);
      const problems = conflictOf(() =>
        planAppend(
          'default',
          { sequence: 9, chainHash: 'c'.repeat(64) },
          [prepared(), prepared({ action: 'auth.logout', idempotencyKey: 'k-1' })],
          stored,
          NOW,
          ids(),
        ),
      );
      expect(problems.map((p) => p.path)).toEqual(['events[1].idempotencyKey']);
      // Neither its sequence, id nor hashes: a conflict must not describe what is stored.
      const text = JSON.stringify(problems);
      for (const stored of ['old', '7', 'h'.repeat(64), 'c'.repeat(64)]) expect(text).not.toContain(stored);
    });

    it('refuses a key reused within one batch for another payload, and reports every conflict', () => {
      const problems = conflictOf(() =>
        planAppend(
          'default',
          GENESIS,
          [
            prepared({ idempotencyKey: 'a' }),
            prepared({ idempotencyKey: 'b' }),
            prepared({ idempotencyKey: 'a', action: 'x.y' }),
            prepared({ idempotencyKey: 'b', metadata: { other: true } }),
            prepared({ idempotencyKey: 'a' }),
          ],
          new Map(),
          NOW,
          ids(),
        ),
      );
      expect(problems.map((p) => p.path)).toEqual(['events[2].idempotencyKey', 'events[3].idempotencyKey']);
    });

    it('treats keys as exact strings', () => {
      const plan = planAppend(
        'default',
        GENESIS,
        [prepared({ idempotencyKey: 'K' }), prepared({ idempotencyKey: 'k', action: 'other.thing' })],
        new Map(),
        NOW,
        ids(),
      );
      expect(plan.eventRows).toHaveLength(2);
    });
  });
});

describe('chunkRows', () => {
  const rows = (n: number, value: unknown = 1) => Array.from({ length: n }, (_, i) => [i, value]);

  it('returns no chunks for no rows', () => {
    expect(chunkRows([], 10)).toEqual([]);
  });

  it('cuts at maxRows and keeps every row in order', () => {
    const input = rows(25);
    const chunks = chunkRows(input, 10);
    expect(chunks.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(chunks.flat()).toEqual(input);
    expect(chunkRows(rows(20), 10).map((c) => c.length)).toEqual([10, 10]);
    expect(chunkRows(rows(3), 10).map((c) => c.length)).toEqual([3]);
  });

  it('cuts when the estimated bytes would pass maxBytes', () => {
    const big = 'x'.repeat(1000); // ~2,004 bytes as estimated + 8 for the number
    const input = rows(10, big);
    const chunks = chunkRows(input, 1000, 5000);
    expect(chunks.map((c) => c.length)).toEqual([2, 2, 2, 2, 2]);
    expect(chunks.flat()).toEqual(input);
  });

  it('puts a single row larger than maxBytes in a chunk of its own', () => {
    const input = [[1], ['x'.repeat(10_000)], [2]];
    const chunks = chunkRows(input, 1000, 100);
    expect(chunks).toEqual([[[1]], [['x'.repeat(10_000)]], [[2]]]);
  });
});
