import { createTestEnvironment, eventInput, RECORD, type TestEnvironment, VERIFY } from '../helpers/test-environment';

/**
 * Two nodes on one database (ADR 0042, amended 2026-12-04): node B has sealed and read a person's
 * events, so it holds the unwrapped data key in its memory; node A erases the person. From the
 * erasure's commit on, node B can neither read the old fields nor seal a new event under the old
 * key: every use of a key reads the subject's row first, and the erased row has none.
 */
type Server = Awaited<ReturnType<TestEnvironment['spawnServer']>>;

const CAROL = { id: 'carol.two-nodes@example.com', displayName: 'Carol Two Nodes', ip: '10.88.1.2' };
const EVENT = 'query Event($id: String!) { auditEvent(id: $id) { id actor { id displayName ip } erasedFields } }';
const ERASE = `mutation Erase($input: EraseDataSubjectInput!) { eraseDataSubject(input: $input) { subjectRef eventCount } }`;

async function post(url: string, key: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body: any = await res.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const carolEvent = (n: number) =>
  eventInput({
    actor: { id: CAROL.id, type: 'USER', displayName: CAROL.displayName, ip: CAROL.ip },
    categories: ['PII'],
    metadata: { n },
  });

describe('crypto-shredding across two nodes', () => {
  let env: TestEnvironment;
  let nodeB: Server;

  beforeAll(async () => {
    env = await createTestEnvironment();
    nodeB = await env.spawnServer();
  });
  afterAll(async () => {
    await nodeB?.stop();
    await env?.close();
  });

  it('an erasure on node A leaves node B unable to read or seal with the key it had in memory', async () => {
    // Node B seals two batches (the second finds the subject and its key in B's memory) and reads one back.
    const first = await post(nodeB.url, env.adminKey, RECORD, { input: { events: [carolEvent(1)] } });
    await post(nodeB.url, env.adminKey, RECORD, { input: { events: [carolEvent(2)] } });
    const id = first.recordAuditEvents.receipts[0].id as string;
    const before = (await post(nodeB.url, env.adminKey, EVENT, { id })).auditEvent;
    expect(before.actor).toMatchObject({ id: CAROL.id, displayName: CAROL.displayName, ip: CAROL.ip });
    expect(before.erasedFields).toEqual([]);
    const [stored] = await env.sql<{ actor_id: string }>('SELECT actor_id FROM audit_event WHERE id = ?', [id]);

    // Node A erases Carol.
    const receipt = (await post(env.url, env.adminKey, ERASE, { input: { subjectId: CAROL.id, reason: 'CONSENT_WITHDRAWN' } }))
      .eraseDataSubject;
    expect(receipt).toEqual({ subjectRef: stored.actor_id, eventCount: 2 });

    // Node B: the old fields are tombstones now.
    const after = (await post(nodeB.url, env.adminKey, EVENT, { id })).auditEvent;
    expect(after.actor.displayName).toBe('[erased]');
    expect(after.actor.id).toBe('[erased]');
    expect(after.erasedFields).toEqual(expect.arrayContaining(['actor.id', 'actor.displayName', 'actor.ip']));

    // Node B: a new event by the same id is sealed under a new subject (new ref, new key), readable;
    // nothing new is sealed under the erased reference (the erasure event names it, in clear, unsealed).
    const next = await post(nodeB.url, env.adminKey, RECORD, { input: { events: [carolEvent(3)] } });
    const nextId = next.recordAuditEvents.receipts[0].id as string;
    const [nextRow] = await env.sql<{ actor_id: string; sealed: string }>('SELECT actor_id, sealed FROM audit_event WHERE id = ?', [
      nextId,
    ]);
    expect(nextRow.actor_id).not.toBe(receipt.subjectRef);
    expect(nextRow.sealed).not.toContain(receipt.subjectRef);
    expect((await post(nodeB.url, env.adminKey, EVENT, { id: nextId })).auditEvent.actor).toMatchObject({
      id: CAROL.id,
      displayName: CAROL.displayName,
    });
    const [{ n }] = await env.sql<{ n: unknown }>(
      'SELECT COUNT(*) AS n FROM audit_event WHERE (actor_id = ? OR resource_id = ?) AND sealed IS NOT NULL',
      [receipt.subjectRef, receipt.subjectRef],
    );
    expect(Number(n)).toBe(2);
  });

  it('a node that holds a subject between batches seals afresh once another node has erased it (the erasure epoch)', async () => {
    const dave = (n: number) =>
      eventInput({
        actor: { id: 'dave.epoch@example.com', type: 'USER', displayName: 'Dave Epoch' },
        categories: ['PII'],
        metadata: { n },
      });
    // This node seals Dave's first batch: it now holds Dave's subject (reference and key) for the next ones.
    const first = await post(env.url, env.adminKey, RECORD, { input: { events: [dave(1)] } });
    const [{ actor_id: oldRef }] = await env.sql<{ actor_id: string }>('SELECT actor_id FROM audit_event WHERE id = ?', [
      first.recordAuditEvents.receipts[0].id,
    ]);
    // Another node's erasure, as it writes it: the key destroyed and the tenant's epoch bumped in
    // one transaction, then the lookup forgotten.
    await env.sql('UPDATE data_subject SET wrapped_key = NULL, sealed_id = NULL WHERE ref = ?', [oldRef]);
    await env.sql('UPDATE chain_head SET erasure_epoch = erasure_epoch + 1 WHERE tenant_id = ?', ['default']);
    await env.sql('UPDATE data_subject SET lookup = NULL WHERE ref = ?', [oldRef]);
    // The next batch was sealed with the subject held from before: the append refuses it under the
    // head lock, and it is sealed again under a new subject — nothing under the destroyed key.
    const next = await post(env.url, env.adminKey, RECORD, { input: { events: [dave(2)] } });
    const nextId = next.recordAuditEvents.receipts[0].id as string;
    const [row] = await env.sql<{ actor_id: string; sealed: string }>('SELECT actor_id, sealed FROM audit_event WHERE id = ?', [nextId]);
    expect(row.actor_id).not.toBe(oldRef);
    expect(row.sealed).not.toContain(oldRef);
    expect((await post(env.url, env.adminKey, EVENT, { id: nextId })).auditEvent.actor).toMatchObject({ id: 'dave.epoch@example.com' });
    expect(await env.sql('SELECT id FROM audit_event WHERE actor_id = ?', [oldRef])).toHaveLength(1);
    expect((await post(env.url, env.adminKey, VERIFY)).verifyAuditChain).toMatchObject({ valid: true });
  });
});
