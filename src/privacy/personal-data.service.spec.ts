import { ActorType, Classification, OutcomeStatus, Severity } from '../audit/audit-event.model';
import type { StoredEvent } from '../audit/audit-event.repository';
import { WITHHELD, withholdOthers } from './personal-data.service';

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
