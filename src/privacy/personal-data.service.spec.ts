import { ActorType, Classification, OutcomeStatus, Severity } from '../audit/audit-event.model';
import type { StoredEvent } from '../audit/audit-event.repository';
import { randomBytes } from 'node:crypto';
import type { PreparedEvent } from '../chain/prepared-event';
import { prepareEvents } from '../ingest/event-validation';
import { PersonalDataService, SEAL_OFFLOAD_MIN, WITHHELD, withholdOthers } from './personal-data.service';
import { open } from './privacy-key';
import { ipPseudonymWith } from './seal-event';
import { SealPool } from './seal-pool';
import type { SubjectVault } from './subject-vault';

const ALICE = 's_aliceaaaaaaaaaaaaaaaaa';
const BOB = 's_bobbbbbbbbbbbbbbbbbbbb';

/** Bob (a person) acting on customer Alice, opened: Bob's actor fields and Alice's resource fields and metadata in clear. */
function opened(erasedFields: string[] = []): StoredEvent {
  const sealed = JSON.stringify({
    [ALICE]: { ct: 'x', fields: ['metadata', 'resource.id', 'resource.name'] },
    [BOB]: { ct: 'y', fields: ['actor.displayName', 'actor.id', 'actor.ip', 'actor.userAgent'] },
  });
  return {
    id: 'e1',
    tenantId: 't',
    sequence: 7,
    occurredAt: '2026-12-04T10:00:00.000Z',
    recordedAt: '2026-12-04T10:00:00.000Z',
    actor: { id: 'bob@example.com', type: ActorType.USER, displayName: 'Bob', ip: '10.0.0.2', userAgent: 'B/1' },
    action: 'customer.profile.read',
    resource: { type: 'customer', id: 'alice@example.com', name: 'Alice' },
    outcome: { status: OutcomeStatus.SUCCESS, reason: null },
    severity: Severity.INFO,
    classification: Classification.CONFIDENTIAL,
    requestId: null,
    sessionId: null,
    sourceService: null,
    metadata: { legalBasis: 'consent', note: 'Alice asked for a copy' },
    sealed: null,
    idempotencyKey: null,
    hash: 'h',
    chainHash: 'c',
    erasedFields,
    stored: {
      actor: { id: BOB, type: ActorType.USER, displayName: null, ip: 'ip_x', userAgent: null },
      resource: { type: 'customer', id: ALICE, name: null },
      metadata: { legalBasis: 'consent' },
      sealed,
    },
  };
}

describe('withholdOthers', () => {
  it('keeps the exported subject’s fields and withholds the other subject’s, metadata down to its clear keys', () => {
    const forAlice = withholdOthers(opened(), ALICE);
    expect(forAlice.actor).toEqual({ id: WITHHELD, type: ActorType.USER, displayName: WITHHELD, ip: WITHHELD, userAgent: WITHHELD });
    expect(forAlice.resource).toEqual({ type: 'customer', id: 'alice@example.com', name: 'Alice' });
    expect(forAlice.metadata).toEqual({ legalBasis: 'consent', note: 'Alice asked for a copy' });

    const forBob = withholdOthers(opened(), BOB);
    expect(forBob.actor).toEqual(opened().actor);
    expect(forBob.resource).toEqual({ type: 'customer', id: WITHHELD, name: WITHHELD });
    expect(forBob.metadata).toEqual({ legalBasis: 'consent' });
  });

  it('leaves an erased subject’s tombstones as they are, and an event without sealed fields untouched', () => {
    const erased = opened(['resource.id', 'resource.name', 'metadata']);
    erased.resource = { type: 'customer', id: '[erased]', name: '[erased]' };
    expect(withholdOthers(erased, BOB).resource).toEqual({ type: 'customer', id: '[erased]', name: '[erased]' });
    const clear = { ...opened(), stored: undefined };
    expect(withholdOthers(clear, ALICE)).toBe(clear);
  });
});

describe('sealing a large batch in two parts, one on the sealing worker (ADR 0052 amended 2026-12-07)', () => {
  const limits = { maxStringLength: 1024, maxMetadataBytes: 16384, maxOccurredAtAgeMs: 1e12, maxClockSkewMs: 1e9 };
  const pseudonymKey = randomBytes(32);
  const subjects = new Map<string, { ref: string; key: Buffer; sealedFields: number | null }>();
  const grown: Map<string, number>[] = [];
  const vault = {
    // Each call its own copies: sealing records the fields it added on the subjects it was given.
    resolveForSealing: async (_t: string, ids: string[]) => ({
      epoch: 0,
      subjects: new Map(
        ids.map((id) => {
          let s = subjects.get(id);
          if (!s) subjects.set(id, (s = { ref: `s_${randomBytes(16).toString('base64url')}`, key: randomBytes(32), sealedFields: 0 }));
          return [id, { ...s }] as const;
        }),
      ),
    }),
    ipPseudonym: (_t: string, ip: string) => ipPseudonymWith(pseudonymKey, ip),
    pseudonymKey: () => pseudonymKey,
    addSealedFields: async (_t: string, masks: Map<string, number>) => void grown.push(masks),
  } as unknown as SubjectVault;
  // People acting on customers and on records, some with personal metadata: one or two subjects an event.
  const batch = prepareEvents(
    Array.from({ length: SEAL_OFFLOAD_MIN + 45 }, (_, i) => ({
      occurredAt: new Date(Date.now() - 1000 + i).toISOString(),
      actor: { id: `user-${i % 37}`, type: i % 5 ? ActorType.USER : ActorType.SERVICE, displayName: `User ${i}`, ip: `10.0.0.${i % 250}` },
      action: 'customer.profile.read',
      resource: { type: i % 2 ? 'customer' : 'record', id: `c-${i % 11}`, name: 'N' },
      outcome: { status: OutcomeStatus.SUCCESS },
      categories: i % 3 ? ['PII'] : [],
      metadata: { note: `n${i}`, legalBasis: 'consent' },
    })),
    limits,
  );
  const opened = (tenantId: string, e: PreparedEvent) => {
    if (e.payload.sealed === undefined || e.payload.sealed === null) return null;
    const parts = JSON.parse(e.payload.sealed) as Record<string, { ct: string; fields: string[] }>;
    const byRef = new Map([...subjects.values()].map((s) => [s.ref, s.key]));
    return Object.entries(parts).map(([ref, p]) => [ref, p.fields, JSON.parse(open(byRef.get(ref)!, p.ct, `${tenantId}\u0000${ref}`))]);
  };

  it('gives what sealing on one thread gives: the same stored fields, payload hashes, plaintexts and field masks', async () => {
    const pool = new SealPool();
    try {
      const alone = new PersonalDataService(vault, { subjectResourceTypes: ['customer'] });
      const shared = new PersonalDataService(vault, { subjectResourceTypes: ['customer'] }, pool);
      for (const s of [alone, shared]) s.keepInClear(new Set(['legalBasis']));
      const one = (await alone.seal('t', batch)).events;
      const run = jest.spyOn(pool, 'run');
      const two = (await shared.seal('t', batch)).events;
      expect(run).toHaveBeenCalledTimes(1);
      expect(run.mock.calls[0][0].events).toHaveLength(batch.length - Math.ceil(batch.length / 2));
      expect(two).toHaveLength(one.length);
      two.forEach((e, i) => {
        const { sealed: _a, ...payload } = e.payload;
        const { sealed: _b, ...expected } = one[i].payload;
        expect(payload).toEqual(expected);
        expect(e.payloadHash).toBe(one[i].payloadHash);
        expect(e.metadataJson).toBe(one[i].metadataJson);
        expect({ ...e.fragments, s: '' }).toEqual({ ...one[i].fragments, s: '' });
        expect(opened('t', e)).toEqual(opened('t', one[i]));
      });
      // Both kinds are in the worker's part: events naming subjects, and events naming none.
      const rest = two.slice(Math.ceil(two.length / 2));
      expect(rest.some((e) => e.payload.sealed) && rest.some((e) => !e.payload.sealed)).toBe(true);
      expect(grown[1]).toEqual(grown[0]);
      // Small batches stay on this thread.
      await shared.seal('t', batch.slice(0, SEAL_OFFLOAD_MIN - 1));
      expect(run).toHaveBeenCalledTimes(1);
    } finally {
      await pool.close();
    }
  });

  it('refuses the batch when the worker fails', async () => {
    const failing = { run: () => Promise.reject(new Error('the sealing worker exited (1)')) } as unknown as SealPool;
    const service = new PersonalDataService(vault, { subjectResourceTypes: ['customer'] }, failing);
    await expect(service.seal('t', batch)).rejects.toThrow('the sealing worker exited (1)');
  });
});
