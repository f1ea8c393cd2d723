import { AppError, type Problem } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { ActorType, Classification, OutcomeStatus, Severity } from '../audit/audit-event.model';
import { canonicalJson } from '../chain/canonical-json';
import { canonicalPayload } from '../chain/event-canonical';
import { type AuditEventInputShape, type EventLimits, isReservedAction, prepareEvents } from './event-validation';
import { sha256Hex } from '../chain/hashing';

const NOW = Date.parse('2026-11-26T12:00:00.000Z');
const DAY = 86_400_000;
const LIMITS: EventLimits = { maxStringLength: 40, maxMetadataBytes: 200, maxOccurredAtAgeMs: 30 * DAY, maxClockSkewMs: 300_000 };

type Overrides = Partial<Omit<AuditEventInputShape, 'actor' | 'resource' | 'outcome'>> & {
  actor?: Partial<AuditEventInputShape['actor']>;
  resource?: Partial<AuditEventInputShape['resource']>;
  outcome?: Partial<AuditEventInputShape['outcome']>;
};

function input(o: Overrides = {}): AuditEventInputShape {
  const { actor, resource, outcome, ...rest } = o;
  return {
    occurredAt: '2026-11-26T11:59:00.000Z',
    action: 'auth.login',
    ...rest,
    actor: { id: 'u-42', type: ActorType.USER, ip: '203.0.113.7', ...actor },
    resource: { type: 'session', id: 's-1', ...resource },
    outcome: { status: OutcomeStatus.SUCCESS, ...outcome },
  };
}

/** Runs prepareEvents and returns the INVALID_EVENT problems (fails the test when it does not throw one). */
function problemsOf(inputs: AuditEventInputShape[], limits: EventLimits = LIMITS, now = NOW): Problem[] {
  let caught: unknown;
  try {
    prepareEvents(inputs, limits, { now });
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(AppError);
  const error = caught as AppError;
  expect(error.code).toBe(ErrorCode.INVALID_EVENT);
  expect(error.extensions.code).toBe(ErrorCode.INVALID_EVENT);
  return error.extensions.problems as Problem[];
}

const pathsOf = (inputs: AuditEventInputShape[], limits?: EventLimits, now?: number): string[] =>
  problemsOf(inputs, limits, now).map((p) => p.path);

const accepts = (o: Overrides, limits: EventLimits = LIMITS) => expect(() => prepareEvents([input(o)], limits, { now: NOW })).not.toThrow();
/** Exactly this field is reported (possibly by more than one rule), and no other. */
const rejectsAt = (o: Overrides, path: string, limits: EventLimits = LIMITS) =>
  expect([...new Set(pathsOf([input(o)], limits))]).toEqual([path]);

describe('prepareEvents', () => {
  describe('a valid event', () => {
    it('is normalised: defaults, nulls for absent optionals, sorted unique labels', () => {
      const [event] = prepareEvents(
        [
          input({
            categories: ['PII', 'PHI', 'PII'],
            tags: ['b', 'a', 'b'],
            metadata: { z: 1, a: { y: [1, 'x'], b: null } },
          }),
        ],
        LIMITS,
        { now: NOW },
      );
      expect(event.payload).toEqual({
        occurredAt: '2026-11-26T11:59:00.000Z',
        actor: { id: 'u-42', type: ActorType.USER, displayName: null, ip: '203.0.113.7', userAgent: null },
        action: 'auth.login',
        resource: { type: 'session', id: 's-1', name: null },
        outcome: { status: OutcomeStatus.SUCCESS, reason: null },
        severity: Severity.INFO,
        classification: Classification.INTERNAL,
        categories: ['PHI', 'PII'],
        tags: ['a', 'b'],
        requestId: null,
        sessionId: null,
        sourceService: null,
        metadata: { a: { b: null, y: [1, 'x'] }, z: 1 },
      });
      expect(event.idempotencyKey).toBeNull();
      expect(event.payloadHash).toBe(sha256Hex(canonicalJson(event.payload)));
      expect(event.payloadHash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('keeps every given field', () => {
      const [event] = prepareEvents(
        [
          input({
            actor: { displayName: 'Ada', userAgent: 'curl/8', type: ActorType.SERVICE },
            resource: { name: 'Login session' },
            outcome: { status: OutcomeStatus.DENIED, reason: 'bad password' },
            severity: Severity.WARNING,
            classification: Classification.RESTRICTED,
            requestId: 'r-1',
            sessionId: 'sess-1',
            sourceService: 'gateway',
            idempotencyKey: 'key-1',
          }),
        ],
        LIMITS,
        { now: NOW },
      );
      expect(event.payload).toMatchObject({
        actor: { displayName: 'Ada', userAgent: 'curl/8', type: ActorType.SERVICE },
        resource: { name: 'Login session' },
        outcome: { status: OutcomeStatus.DENIED, reason: 'bad password' },
        severity: Severity.WARNING,
        classification: Classification.RESTRICTED,
        requestId: 'r-1',
        sessionId: 'sess-1',
        sourceService: 'gateway',
      });
      expect(event.idempotencyKey).toBe('key-1');
    });

    it('hashes the payload independently of metadata key order and label order, but not of content', () => {
      const hash = (o: Overrides) => prepareEvents([input(o)], LIMITS, { now: NOW })[0].payloadHash;
      const a = hash({ metadata: { a: 1, b: { c: 2, d: 3 } }, categories: ['PII', 'PHI'], tags: ['x', 'y'] });
      expect(hash({ metadata: { b: { d: 3, c: 2 }, a: 1 }, categories: ['PHI', 'PII'], tags: ['y', 'x'] })).toBe(a);
      expect(hash({ metadata: { a: 1, b: { c: 2, d: 4 } }, categories: ['PII', 'PHI'], tags: ['x', 'y'] })).not.toBe(a);
      // The idempotency key is not part of the payload.
      expect(hash({ metadata: { a: 1, b: { c: 2, d: 3 } }, categories: ['PII', 'PHI'], tags: ['x', 'y'], idempotencyKey: 'k' })).toBe(a);
    });

    it('stores control characters, newlines and emoji in free text faithfully', () => {
      const nasty = 'line1\nline2\r\u0000\u001b[31m😀 {"level":"error","msg":"forged"}';
      const [event] = prepareEvents(
        [
          input({
            actor: { id: nasty, displayName: nasty, userAgent: nasty },
            resource: { id: nasty, name: nasty },
            outcome: { reason: nasty },
            requestId: nasty,
            metadata: { [nasty]: nasty },
          }),
        ],
        { ...LIMITS, maxStringLength: 1024 },
        { now: NOW },
      );
      expect(event.payload.actor).toMatchObject({ id: nasty, displayName: nasty, userAgent: nasty });
      expect(event.payload.resource).toMatchObject({ id: nasty, name: nasty });
      expect(event.payload.outcome.reason).toBe(nasty);
      expect(event.payload.requestId).toBe(nasty);
      expect(event.payload.metadata).toEqual({ [nasty]: nasty });
    });

    it('returns one prepared event per input, in order', () => {
      const events = prepareEvents(
        ['a.one', 'b.two', 'c.three'].map((action) => input({ action })),
        LIMITS,
        { now: NOW },
      );
      expect(events.map((e) => e.payload.action)).toEqual(['a.one', 'b.two', 'c.three']);
    });
  });

  describe('required fields', () => {
    it.each([
      ['actor.id', { actor: { id: undefined } }],
      ['actor.id', { actor: { id: null } }],
      ['action', { action: undefined }],
      ['resource.type', { resource: { type: undefined } }],
      ['resource.id', { resource: { id: null } }],
    ] as [string, Overrides][])('rejects a missing %s', (path, o) => {
      rejectsAt(o, `events[0].${path}`);
    });

    it.each([
      ['actor.id', { actor: { id: '' } }],
      ['actor.id', { actor: { id: '   ' } }],
      ['action', { action: '' }],
      ['resource.type', { resource: { type: ' \t' } }],
      ['resource.id', { resource: { id: '' } }],
    ] as [string, Overrides][])('rejects an empty or blank %s', (path, o) => {
      rejectsAt(o, `events[0].${path}`);
    });

    it('rejects an empty idempotency key', () => {
      rejectsAt({ idempotencyKey: '' }, 'events[0].idempotencyKey');
    });
  });

  describe('string lengths', () => {
    const x = (n: number) => 'x'.repeat(n);
    it.each([
      ['actor.id', 256, (v: string): Overrides => ({ actor: { id: v } })],
      ['actor.displayName', LIMITS.maxStringLength, (v: string): Overrides => ({ actor: { displayName: v } })],
      ['actor.userAgent', LIMITS.maxStringLength, (v: string): Overrides => ({ actor: { userAgent: v } })],
      ['action', 128, (v: string): Overrides => ({ action: v })],
      ['resource.type', 128, (v: string): Overrides => ({ resource: { type: v } })],
      ['resource.id', 256, (v: string): Overrides => ({ resource: { id: v } })],
      ['resource.name', LIMITS.maxStringLength, (v: string): Overrides => ({ resource: { name: v } })],
      ['outcome.reason', LIMITS.maxStringLength, (v: string): Overrides => ({ outcome: { reason: v } })],
      ['requestId', 256, (v: string): Overrides => ({ requestId: v })],
      ['sessionId', 256, (v: string): Overrides => ({ sessionId: v })],
      ['sourceService', 256, (v: string): Overrides => ({ sourceService: v })],
      ['idempotencyKey', 128, (v: string): Overrides => ({ idempotencyKey: v })],
    ])('%s accepts %i characters and rejects one more', (path, max, make) => {
      accepts(make(x(max)));
      rejectsAt(make(x(max + 1)), `events[0].${path}`);
    });

    it('counts UTF-16 code units against MAX_STRING_LENGTH (an emoji is two)', () => {
      accepts({ outcome: { reason: '😀'.repeat(LIMITS.maxStringLength / 2) } });
      rejectsAt({ outcome: { reason: '😀'.repeat(LIMITS.maxStringLength / 2) + 'x' } }, 'events[0].outcome.reason');
    });

    it('follows the configured MAX_STRING_LENGTH', () => {
      const wide = { ...LIMITS, maxStringLength: 100 };
      accepts({ actor: { displayName: x(100) } }, wide);
      rejectsAt({ actor: { displayName: x(101) } }, 'events[0].actor.displayName', wide);
    });
  });

  describe('actor.ip', () => {
    it.each(['203.0.113.7', '0.0.0.0', '2001:db8::1', '::1', '::ffff:192.0.2.1', 'fe80::1'])('accepts %s', (ip) => {
      accepts({ actor: { ip } });
    });
    it.each(['', 'localhost', '256.1.1.1', '1.2.3', '203.0.113.7:443', ' 203.0.113.7', '2001:db8:::1', '203.0.113.7\n'])(
      'rejects %j',
      (ip) => {
        expect(pathsOf([input({ actor: { ip } })])).toContain('events[0].actor.ip');
      },
    );
    it('is optional', () => {
      accepts({ actor: { ip: null } });
      accepts({ actor: { ip: undefined } });
    });
  });

  describe('action', () => {
    it.each(['auth.login', 'patient_record.read', 'a', 'a-b.c_d.E9', 'x'.repeat(128)])('accepts %s', (action) => {
      accepts({ action });
    });
    it.each(['.auth', 'auth.', 'auth..login', 'auth login', 'auth/login', 'auth.*', 'auth.lögin', 'auth.login\n', 'auth:login'])(
      'rejects %j',
      (action) => {
        rejectsAt({ action }, 'events[0].action');
      },
    );
  });

  describe('categories and tags', () => {
    it.each(['PII', 'PHI', 'PCI', 'CREDENTIALS', 'A', 'X9_Y', 'A'.repeat(64)])('accepts the category %s', (c) => {
      accepts({ categories: [c] });
    });
    it.each(['pii', 'Pii', '', '9PII', '_PII', 'PII-X', 'PII ', 'A'.repeat(65)])('rejects the category %j', (c) => {
      rejectsAt({ categories: ['PII', c] }, 'events[0].categories[1]');
    });
    it('accepts tags of 1 to 64 characters of any kind but control characters', () => {
      accepts({ tags: ['a', 't'.repeat(64), 'with space', 'ünïcödé', '😀'] });
    });
    it.each(['', 't'.repeat(65), 'a\nb', 'nul\u0000', 'del\u007f', 'x\ud800'])('rejects the tag %j', (t) => {
      rejectsAt({ tags: ['ok', t] }, 'events[0].tags[1]');
    });
    it('allows at most 32 of each', () => {
      const many = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
      accepts({ categories: many(32, (i) => `C${i}`), tags: many(32, (i) => `t${i}`) });
      rejectsAt({ categories: many(33, (i) => `C${i}`) }, 'events[0].categories');
      rejectsAt({ tags: many(33, (i) => `t${i}`) }, 'events[0].tags');
    });
  });

  describe('control characters', () => {
    it.each([
      ['resource.type', { resource: { type: 'sess\nion' } }],
      ['resource.type', { resource: { type: 'session\u0000' } }],
      ['idempotencyKey', { idempotencyKey: 'key\r\n' }],
      ['idempotencyKey', { idempotencyKey: 'key\u007f' }],
    ] as [string, Overrides][])('are refused in the identifier %s', (path, o) => {
      rejectsAt(o, `events[0].${path}`);
    });
  });

  describe('metadata', () => {
    it('is limited in bytes of canonical UTF-8 JSON, inclusive', () => {
      const limit = LIMITS.maxMetadataBytes;
      const overhead = canonicalJson({ k: '' }).length; // {"k":""}
      accepts({ metadata: { k: 'x'.repeat(limit - overhead) } });
      rejectsAt({ metadata: { k: 'x'.repeat(limit - overhead + 1) } }, 'events[0].metadata');
    });

    it('counts multi-byte characters in bytes, not characters', () => {
      const overhead = canonicalJson({ k: '' }).length;
      const chars = Math.floor((LIMITS.maxMetadataBytes - overhead) / 2) + 1; // each é is 2 bytes
      expect(chars).toBeLessThan(LIMITS.maxMetadataBytes - overhead);
      rejectsAt({ metadata: { k: 'é'.repeat(chars) } }, 'events[0].metadata');
    });

    it('follows the configured MAX_METADATA_BYTES', () => {
      const small = { ...LIMITS, maxMetadataBytes: 10 };
      accepts({ metadata: { a: 1234 } }, small); // {"a":1234} is 10 bytes
      rejectsAt({ metadata: { a: 12345 } }, 'events[0].metadata', small);
    });

    it('allows 16 levels of nesting and refuses 17', () => {
      const nest = (levels: number): Record<string, unknown> => {
        let value: Record<string, unknown> = {};
        for (let i = 1; i < levels; i += 1) value = { n: value };
        return value;
      };
      const wide = { ...LIMITS, maxMetadataBytes: 10_000 };
      accepts({ metadata: nest(16) }, wide);
      rejectsAt({ metadata: nest(17) }, 'events[0].metadata', wide);
      // Arrays count as levels too.
      let deep: unknown = [];
      for (let i = 1; i < 17; i += 1) deep = [deep];
      rejectsAt({ metadata: { a: deep } }, 'events[0].metadata', wide);
    });

    it('refuses unpaired UTF-16 surrogates in keys and values', () => {
      rejectsAt({ metadata: { text: 'a\ud800b' } }, 'events[0].metadata');
      rejectsAt({ metadata: { ['\udc00']: 1 } }, 'events[0].metadata');
      rejectsAt({ metadata: { list: ['ok', { deep: '\udfff' }] } }, 'events[0].metadata');
      accepts({ metadata: { emoji: '😀', text: 'literal \\ud800 text' } });
    });
    it('refuses numbers JSON cannot represent (1e400 parses to Infinity)', () => {
      rejectsAt({ metadata: { n: Number.POSITIVE_INFINITY } }, 'events[0].metadata');
      rejectsAt({ metadata: { list: [1, { n: Number.NaN }] } }, 'events[0].metadata');
    });

    it('reports hostile nesting as a problem instead of overflowing the stack', () => {
      let deep: unknown = [];
      for (let i = 0; i < 200_000; i += 1) deep = [deep];
      rejectsAt({ metadata: { a: deep } }, 'events[0].metadata');
    });
  });

  describe('unpaired surrogates in text', () => {
    it.each([
      ['actor.id', { actor: { id: 'u\ud800' } }],
      ['actor.displayName', { actor: { displayName: '\udc00' } }],
      ['actor.userAgent', { actor: { userAgent: 'x\ud83d' } }],
      ['resource.id', { resource: { id: '\ude00x' } }],
      ['resource.name', { resource: { name: '\ud800' } }],
      ['outcome.reason', { outcome: { reason: '\ud800' } }],
      ['requestId', { requestId: '\ud800' }],
      ['sessionId', { sessionId: '\ud800' }],
      ['sourceService', { sourceService: '\ud800' }],
      ['idempotencyKey', { idempotencyKey: 'k\ud800' }],
    ] as [string, Overrides][])('are refused in %s', (path, o) => {
      rejectsAt(o, `events[0].${path}`);
    });
  });

  describe('occurredAt', () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    it('accepts the whole window, inclusive', () => {
      accepts({ occurredAt: iso(NOW) });
      accepts({ occurredAt: iso(NOW - LIMITS.maxOccurredAtAgeMs) });
      accepts({ occurredAt: iso(NOW + LIMITS.maxClockSkewMs) });
    });
    it('rejects events older than MAX_OCCURRED_AT_AGE', () => {
      rejectsAt({ occurredAt: iso(NOW - LIMITS.maxOccurredAtAgeMs - 1) }, 'events[0].occurredAt');
      rejectsAt({ occurredAt: '1970-01-01T00:00:00.000Z' }, 'events[0].occurredAt');
    });
    it('rejects events further in the future than MAX_CLOCK_SKEW', () => {
      rejectsAt({ occurredAt: iso(NOW + LIMITS.maxClockSkewMs + 1) }, 'events[0].occurredAt');
      rejectsAt({ occurredAt: '2999-01-01T00:00:00.000Z' }, 'events[0].occurredAt');
    });
    it.each(['', 'yesterday', '2026-11-26', '2026-11-26T11:59:00Z', '2026-11-26T11:59:00.000+00:00', '2026-13-26T11:59:00.000Z'])(
      'rejects a value that is not normalised ISO-8601 UTC: %j',
      (occurredAt) => {
        rejectsAt({ occurredAt }, 'events[0].occurredAt');
      },
    );
  });

  describe('error reporting', () => {
    it('collects every problem of every event, with paths, and prepares nothing', () => {
      const problems = problemsOf([
        input(),
        input({ action: 'bad action', actor: { ip: 'nope', id: '' }, categories: ['ok'] }),
        input(),
        input({ occurredAt: '2999-01-01T00:00:00.000Z', metadata: { big: 'x'.repeat(500) }, tags: [''] }),
      ]);
      expect(problems.map((p) => p.path).sort()).toEqual(
        [
          'events[1].actor.id',
          'events[1].actor.ip',
          'events[1].action',
          'events[1].categories[0]',
          'events[3].occurredAt',
          'events[3].metadata',
          'events[3].tags[0]',
        ].sort(),
      );
      for (const p of problems) expect(typeof p.message).toBe('string');
      for (const p of problems) expect(p.message.length).toBeGreaterThan(0);
    });

    it('caps the problem list at 100', () => {
      const problems = problemsOf(Array.from({ length: 150 }, () => input({ actor: { id: '' } })));
      expect(problems).toHaveLength(100);
      expect(problems[99].path).toBe('events[99].actor.id');
    });
  });
  describe('classification rules and reserved actions', () => {
    const classify = () => ({ classification: 'RESTRICTED' as const, categories: ['PHI'] });
    const unclassified = (o: Overrides = {}) => ({ ...input(o), classification: null, categories: null });

    it('fills in what the client left out, and keeps what it sent', () => {
      const [ruled] = prepareEvents([unclassified()], LIMITS, { now: NOW, classify });
      expect(ruled.payload).toMatchObject({ classification: 'RESTRICTED', categories: ['PHI'] });
      const [own] = prepareEvents([{ ...unclassified(), classification: Classification.PUBLIC, categories: ['PII'] }], LIMITS, {
        now: NOW,
        classify,
      });
      expect(own.payload).toMatchObject({ classification: 'PUBLIC', categories: ['PII'] });
    });

    it('hashes the classified payload: the fragments are those of the event as stored', () => {
      const [ruled] = prepareEvents([unclassified({ metadata: { b: 1, a: [true] } })], LIMITS, { now: NOW, classify });
      expect(canonicalPayload(ruled.fragments)).toBe(canonicalJson(ruled.payload));
      // A rule with no categories and no level above the default changes nothing.
      const none = () => ({ classification: undefined, categories: [] });
      const [plain] = prepareEvents([unclassified()], LIMITS, { now: NOW });
      const [unruled] = prepareEvents([unclassified()], LIMITS, { now: NOW, classify: none });
      expect(unruled.fragments).toEqual(plain.fragments);
      expect(canonicalPayload(unruled.fragments)).toBe(canonicalJson(unruled.payload));
    });

    it('applies a rule level only above the default', () => {
      const [event] = prepareEvents([unclassified()], LIMITS, { now: NOW, classify: () => ({ classification: 'PUBLIC', categories: [] }) });
      expect(event.payload.classification).toBe('INTERNAL');
    });

    it('decides idempotency on what was sent, so a retry matches after the rules changed', () => {
      const [before] = prepareEvents([unclassified({ idempotencyKey: 'k' })], LIMITS, { now: NOW });
      const [after] = prepareEvents([unclassified({ idempotencyKey: 'k' })], LIMITS, { now: NOW, classify });
      expect(after.payload.classification).not.toBe(before.payload.classification);
      expect(after.payloadHash).toBe(before.payloadHash);
    });

    it('refuses datapunk. actions from clients and accepts them from the server', () => {
      expect(problemsOf([input({ action: 'datapunk.control.attested' })]).map((p) => p.path)).toEqual(['events[0].action']);
      expect(() => prepareEvents([input({ action: 'datapunk.control.attested' })], LIMITS, { now: NOW, trusted: true })).not.toThrow();
    });

    it.each(['DATAPUNK.control.attested', 'Datapunk.report.generated', 'dataPunk.authorization.denied', 'DataPunK.x'])(
      'refuses %s from clients too: the reserved prefix is case-insensitive',
      (action) => {
        expect(problemsOf([input({ action })]).map((p) => p.path)).toEqual(['events[0].action']);
        expect(isReservedAction(action)).toBe(true);
      },
    );

    it('leaves actions that only resemble the prefix to clients', () => {
      for (const action of ['datapunk', 'datapunkx.y', 'my.datapunk.z', 'data.punk']) {
        expect(isReservedAction(action)).toBe(false);
        expect(() => prepareEvents([input({ action })], LIMITS, { now: NOW })).not.toThrow();
      }
    });
  });
});
