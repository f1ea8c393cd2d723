import { canonicalJson } from './canonical-json';
import { ActorType, Classification, type EventPayload, hashedView, OutcomeStatus, Severity } from '../audit/audit-event.model';
import {
  canonicalEvent,
  canonicalPayload,
  classifiedFragments,
  payloadFragments,
  sealedFragments,
  storedFragments,
} from './event-canonical';

const base: EventPayload = {
  occurredAt: '2026-11-26T10:00:00.000Z',
  actor: { id: 'u-42', type: ActorType.USER, displayName: null, ip: '203.0.113.7', userAgent: null },
  action: 'auth.login',
  resource: { type: 'session', id: 's-1', name: null },
  outcome: { status: OutcomeStatus.SUCCESS, reason: null },
  severity: Severity.INFO,
  classification: Classification.INTERNAL,
  categories: [],
  tags: [],
  requestId: null,
  sessionId: null,
  sourceService: null,
  metadata: null,
};

const variants: EventPayload[] = [
  base,
  {
    ...base,
    actor: { id: 'a\u0000"\\\n', type: ActorType.SERVICE, displayName: 'Zoë 😀', ip: '::1', userAgent: '\r\n{"level":50}' },
    resource: { type: 'patient_record', id: 'p-1', name: '\u2028' },
    outcome: { status: OutcomeStatus.DENIED, reason: 'nope' },
    severity: Severity.EMERGENCY,
    classification: Classification.RESTRICTED,
    categories: ['PHI', 'PII'],
    tags: ['a', 'b c', 'é'],
    requestId: 'r',
    sessionId: 's',
    sourceService: 'svc',
    metadata: { z: [1, 0.5, -0, 1e21, { b: null, a: true }], '\u20ac': 'x', '1': { nested: 'y' }, A: '' },
  },
];

describe('fast event canonicalisation', () => {
  it.each(variants.map((v, i) => [i, v]))('variant %i equals the generic RFC 8785 serialisation', (_i, payload) => {
    const p = payload;
    const fragments = payloadFragments(p, p.metadata === null ? null : canonicalJson(p.metadata));
    expect(canonicalPayload(fragments)).toBe(canonicalJson(p));
    const server = {
      id: '01a21844-4bd2-75d3-aa2e-6681d33a7120',
      tenantId: 'acme',
      sequence: 9007199254740991,
      recordedAt: '2026-11-26T10:00:01.000Z',
    };
    expect(canonicalEvent(fragments, server)).toBe(canonicalJson(hashedView({ ...p, ...server })));
    expect(canonicalEvent(storedFragments(p), server)).toBe(canonicalJson(hashedView({ ...p, ...server })));
  });

  it('changes when any field changes', () => {
    const server = { id: 'x', tenantId: 't', sequence: 1, recordedAt: '2026-11-26T10:00:01.000Z' };
    const a = canonicalEvent(storedFragments(base), server);
    expect(canonicalEvent(storedFragments({ ...base, actor: { ...base.actor, ip: '203.0.113.8' } }), server)).not.toBe(a);
    expect(canonicalEvent(storedFragments(base), { ...server, sequence: 2 })).not.toBe(a);
  });

  it.each([
    [true, false, false],
    [false, true, false],
    [false, false, true],
    [true, true, true],
  ])('sealedFragments (actor %p, resource %p, metadata %p) equals serialising the sealed payload again', (actor, resource, metadata) => {
    const before = variants[1];
    const after: EventPayload = {
      ...before,
      ...(actor ? { actor: { ...before.actor, id: 's_ref', displayName: null, ip: 'ip_x', userAgent: null } } : {}),
      ...(resource ? { resource: { ...before.resource, id: 's_other', name: null } } : {}),
      ...(metadata ? { metadata: { A: '' } } : {}),
      sealed: '{"s_ref":{"ct":"AAAA","fields":["actor.id"]}}',
    };
    const metadataJson = after.metadata === null ? null : canonicalJson(after.metadata);
    const fragments = sealedFragments(payloadFragments(before, canonicalJson(before.metadata)), after, metadataJson, {
      actor,
      resource,
      metadata,
    });
    expect(fragments).toEqual(payloadFragments(after, metadataJson));
  });

  it.each(variants.map((v, i) => [i, v]))(
    'classifiedFragments of variant %i equals serialising the classified payload again',
    (_i, before) => {
      const metadataJson = before.metadata === null ? null : canonicalJson(before.metadata);
      const after: EventPayload = { ...before, classification: Classification.CONFIDENTIAL, categories: ['PCI', 'PHI'] };
      const fragments = classifiedFragments(payloadFragments(before, metadataJson), after);
      expect(fragments).toEqual(payloadFragments(after, metadataJson));
      expect(canonicalPayload(fragments)).toBe(canonicalJson(after));
    },
  );
});
