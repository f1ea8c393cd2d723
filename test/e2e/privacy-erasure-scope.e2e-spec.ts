import { createTestEnvironment, eventInput, RECORD, type TestEnvironment, VERIFY } from '../helpers/test-environment';

/**
 * An erasure's scope from the indexes and the subject's row (ADR 0042, amended 2026-12-06): the
 * fields sealed under a key are recorded on its data_subject row at sealing, so the count, period
 * and fields of an erasure need no event row; a subject made before that record existed is erased
 * by reading its events, with the same receipt.
 */

const ERASE = `mutation Erase($input: EraseDataSubjectInput!) {
  eraseDataSubject(input: $input) { subjectRef erasedFields eventCount }
}`;
const ACTOR_FIELDS = ['actor.id', 'actor.displayName', 'actor.ip', 'actor.userAgent'];
const ALL_FIELDS = [...ACTOR_FIELDS, 'resource.id', 'resource.name', 'metadata'];

const person = (id: string) => ({ id, type: 'USER', displayName: `Name of ${id}`, ip: '10.1.2.3', userAgent: 'jest' });

describe('erasure scope by index', () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await createTestEnvironment();
  });
  afterAll(() => env?.close());

  const record = async (events: Record<string, unknown>[]) => {
    const res = await env.gql(RECORD, { input: { events } });
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.recordAuditEvents.receipts as { id: string; sequence: number }[];
  };
  const refOf = async (eventId: string) =>
    (await env.sql<{ actor_id: string }>('SELECT actor_id FROM audit_event WHERE id = ?', [eventId]))[0].actor_id;
  const maskOf = async (ref: string) =>
    (await env.sql<{ sealed_fields: unknown }>('SELECT sealed_fields FROM data_subject WHERE ref = ?', [ref]))[0].sealed_fields;
  const erase = async (subjectId: string) => {
    const res = await env.gql(ERASE, { input: { subjectId, reason: 'CONSENT_WITHDRAWN' } });
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.eraseDataSubject as { subjectRef: string; erasedFields: string[]; eventCount: number };
  };

  it('names exactly the fields sealed under the key, and counts an event naming the subject as actor and resource once', async () => {
    const [erinFirst] = await record([
      // Erin acts only, on records that are not data subjects, without personal metadata: actor fields only.
      ...[1, 2, 3].map((n) => eventInput({ actor: person('erin@example.com'), resource: { type: 'record', id: `r-${n}` } })),
      // Carol acts, acts on her own customer record (one event naming her twice), and Dave reads it with personal metadata.
      eventInput({ actor: person('carol@example.com'), resource: { type: 'record', id: 'r-9' } }),
      eventInput({ actor: person('carol@example.com'), resource: { type: 'customer', id: 'carol@example.com', name: 'Carol' } }),
      eventInput({
        actor: person('dave@example.com'),
        action: 'customer.profile.read',
        resource: { type: 'customer', id: 'carol@example.com', name: 'Carol' },
        categories: ['PII'],
        metadata: { note: 'Carol asked about her invoice' },
      }),
      // A service is not a person: nothing of it is sealed.
      eventInput({ actor: { id: 'billing', type: 'SERVICE' }, resource: { type: 'customer', id: 'carol@example.com' } }),
    ]);
    const erinRef = await refOf(erinFirst.id);
    expect(Number(await maskOf(erinRef))).toBe(0b1111);

    expect(await erase('erin@example.com')).toMatchObject({ subjectRef: erinRef, erasedFields: ACTOR_FIELDS, eventCount: 3 });
    expect(await erase('carol@example.com')).toMatchObject({ erasedFields: ALL_FIELDS, eventCount: 4 });
    expect((await env.gql(VERIFY, {})).body.data!.verifyAuditChain.valid).toBe(true);
  });

  it('finishes a retried erasure with the same count: its own chain event, which names the reference, is not one of the subject’s', async () => {
    const [first] = await record(
      [1, 2].map((n) => eventInput({ actor: person('fay@example.com'), resource: { type: 'record', id: `f-${n}` } })),
    );
    const ref = await refOf(first.id);
    const [{ lookup }] = await env.sql<{ lookup: string }>('SELECT lookup FROM data_subject WHERE ref = ?', [ref]);
    expect(await erase('fay@example.com')).toMatchObject({ eventCount: 2, erasedFields: ACTOR_FIELDS });
    // As if the erasure had failed after its chain event, before it forgot the lookup: a retry finishes it.
    await env.sql('UPDATE data_subject SET lookup = ? WHERE ref = ?', [lookup, ref]);
    const events = await env.sql<{ n: unknown }>(
      "SELECT COUNT(*) AS n FROM audit_event WHERE resource_id = ? AND action = 'datapunk.subject.erased'",
      [ref],
    );
    expect(Number(events[0].n)).toBe(1);
    expect(await erase('fay@example.com')).toMatchObject({ subjectRef: ref, eventCount: 2, erasedFields: ACTOR_FIELDS });
  });

  it('erases a subject whose sealed fields were never recorded (made before) by reading its events, with the same receipt', async () => {
    const [first] = await record([
      eventInput({ actor: person('gus@example.com'), resource: { type: 'record', id: 'g-1' } }),
      eventInput({
        actor: { id: 'crm', type: 'SERVICE' },
        resource: { type: 'patient', id: 'gus@example.com', name: 'Gus' },
        categories: ['PHI'],
        metadata: { diagnosis: 'none' },
      }),
    ]);
    const ref = await refOf(first.id);
    await env.sql('UPDATE data_subject SET sealed_fields = NULL WHERE ref = ?', [ref]);
    // A later event does not make up a record from one batch: the row stays unknown.
    await record([eventInput({ actor: person('gus@example.com'), resource: { type: 'record', id: 'g-2' } })]);
    expect(await maskOf(ref)).toBeNull();
    expect(await erase('gus@example.com')).toMatchObject({ subjectRef: ref, erasedFields: ALL_FIELDS, eventCount: 3 });
  });
});
