import 'reflect-metadata';
import { Role } from '../access/role';
import { ActorType, Classification, OutcomeStatus, Severity } from './audit-event.model';
import type { StoredEvent } from './audit-event.repository';
import { presentEvent } from './audit-event.presenter';

const event = (overrides: Partial<StoredEvent> = {}): StoredEvent => ({
  id: '0190a000-0000-7000-8000-000000000001',
  tenantId: 'default',
  sequence: 2,
  occurredAt: '2026-11-26T11:00:00.000Z',
  recordedAt: '2026-11-26T12:00:00.000Z',
  actor: { id: 'svc', type: ActorType.SERVICE, displayName: null, ip: null, userAgent: null },
  action: 'job.run',
  resource: { type: 'job', id: 'j-1', name: null },
  outcome: { status: OutcomeStatus.SUCCESS, reason: null },
  severity: Severity.INFO,
  classification: Classification.PUBLIC,
  requestId: null,
  sessionId: null,
  sourceService: null,
  metadata: null,
  idempotencyKey: null,
  hash: 'a'.repeat(64),
  chainHash: 'b'.repeat(64),
  ...overrides,
});

describe('presentEvent', () => {
  it('gives a VIEWER no hash or chainHash even on an event with nothing to redact (the neighbours of a redacted one)', () => {
    const seen = presentEvent(event(), Role.VIEWER);
    expect(seen).toMatchObject({ hash: null, chainHash: null, redactedFields: ['hash', 'chainHash'] });
    expect(JSON.stringify(seen)).not.toMatch(/a{64}|b{64}/);
  });

  it('withholds network identifiers and confidential metadata from a VIEWER, with the hashes', () => {
    const seen = presentEvent(
      event({
        actor: { id: 'u', type: ActorType.USER, displayName: 'Ada', ip: '10.1.2.3', userAgent: 'ua' },
        classification: Classification.RESTRICTED,
        metadata: { secret: true },
      }),
      Role.VIEWER,
    );
    expect(seen).toMatchObject({ actor: { ip: null, userAgent: null, displayName: 'Ada' }, metadata: null, hash: null, chainHash: null });
    expect(seen.redactedFields).toEqual(['actor.ip', 'actor.userAgent', 'metadata', 'hash', 'chainHash']);
  });

  it.each([Role.ADMIN, Role.AUDITOR])('shows %s everything', (role) => {
    const seen = presentEvent(
      event({ actor: { id: 'u', type: ActorType.USER, displayName: null, ip: '10.1.2.3', userAgent: 'ua' } }),
      role,
    );
    expect(seen).toMatchObject({ hash: 'a'.repeat(64), chainHash: 'b'.repeat(64), redactedFields: [], actor: { ip: '10.1.2.3' } });
  });
});
