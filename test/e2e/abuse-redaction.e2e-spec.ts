import type { AuditEventInputShape } from '../../src/ingest/event-validation';
import { Role } from '../../src/access/role';
import { HEALTH_MAX_MS, whileProbing } from '../helpers/health-probe';
import { createTestEnvironment, eventInput, RECORD, type GraphQLResponse, type TestEnvironment } from '../helpers/test-environment';

/**
 * Attacks on redaction (ADR 0016), each sent to a server in its own process while /healthz is
 * probed: a VIEWER collecting chain material to check guesses of redacted fields offline, another
 * API key using an idempotency answer as an oracle for a guessed payload, and a client forging the
 * server's `datapunk.` actions by changing their letter case.
 */
type Server = Awaited<ReturnType<TestEnvironment['spawnServer']>>;

async function post(url: string, key: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) };
}

const codesOf = (res: GraphQLResponse) => (res.body.errors ?? []).map((e) => e.extensions?.code);

const EVENT_FIELDS =
  'id sequence occurredAt recordedAt action classification idempotencyKey hash chainHash redactedFields metadata requestId sessionId sourceService actor { id type displayName ip userAgent } resource { type id name } outcome { status reason } categories tags';

describe('abuse: redaction', () => {
  let env: TestEnvironment;
  let server: Server;
  let viewer: string;
  let auditor: string;
  let ingest: string;

  beforeAll(async () => {
    env = await createTestEnvironment();
    viewer = await env.createKey('VIEWER');
    auditor = await env.createKey('AUDITOR');
    ingest = await env.createKey('INGEST');
    server = await env.spawnServer();
  });
  afterAll(async () => {
    await server?.stop();
    await env?.close();
  });

  it('gives a VIEWER no hash or chainHash of any event, checkpoint or head on any path it can reach', async () => {
    // Event n (RESTRICTED, with an address to guess) between neighbours that have nothing to redact:
    // before, their hashes were shown, and chainHash(n-1) with hash(n+1) confirmed a guess of n offline.
    const neighbour = (id: string) => eventInput({ actor: { id, type: 'SERVICE' }, metadata: null, classification: 'PUBLIC' });
    const victim = eventInput({
      actor: { id: 'u-victim', type: 'USER', ip: '10.20.30.40', userAgent: 'victim-agent' },
      classification: 'RESTRICTED',
      metadata: { diagnosis: 'secret' },
      idempotencyKey: 'victim-key',
    });
    const recorded = await post(server.url, ingest, RECORD, {
      input: { events: [neighbour('svc-before'), victim, neighbour('svc-after')] },
    });
    expect(recorded.body.errors).toBeUndefined();
    const ids = (recorded.body.data!.recordAuditEvents.receipts as { id: string }[]).map((r) => r.id);
    expect((await post(server.url, env.adminKey, 'mutation { createCheckpoint { id } }')).body.errors).toBeUndefined();
    expect((await post(server.url, auditor, 'mutation { createCheckpoint { id } }')).body.errors).toBeUndefined();
    const attested = await post(
      server.url,
      auditor,
      `mutation($input: AttestControlInput!) { attestControl(input: $input) { sequence } }`,
      {
        input: {
          frameworkId: 'soc2',
          controlId: 'CC6.1',
          status: 'COMPLIANT',
          note: 'reviewed',
          expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
        },
      },
    );
    expect(attested.body.errors).toBeUndefined();
    const report = await post(
      server.url,
      env.adminKey,
      'mutation { generateReport(input: { type: AUDIT_TRAIL, format: "csv", from: "2020-01-01T00:00:00.000Z", to: "2100-01-01T00:00:00.000Z" }) { id } }',
    );
    expect(report.body.errors).toBeUndefined();
    const reportId = report.body.data!.generateReport.id as string;

    const readable: [string, Record<string, unknown>?][] = [
      [`{ auditEvents(first: 100, order: ASC) { totalCount edges { cursor node { ${EVENT_FIELDS} } } pageInfo { endCursor } } }`],
      [
        `{ auditEvents(first: 100, filter: { control: { frameworkId: "soc2", controlId: "CC6.1" } }) { edges { node { ${EVENT_FIELDS} } } } }`,
      ],
      [`{ control(frameworkId: "soc2", id: "CC6.1") { id evidence(first: 100) { totalCount edges { node { ${EVENT_FIELDS} } } } } }`],
      ...ids.map((id): [string, Record<string, unknown>] => [`query($id: String!) { auditEvent(id: $id) { ${EVENT_FIELDS} } }`, { id }]),
      ...['ACTION', 'SEVERITY', 'OUTCOME', 'ACTOR', 'ACTOR_TYPE', 'RESOURCE_TYPE', 'CLASSIFICATION', 'DAY'].map((g): [string] => [
        `{ auditEventStats(groupBy: ${g}) { groupBy total groups { key count } } }`,
      ]),
      ['{ viewer { keyId role tenant { id name } } signingKeys { id algorithm publicKeyPem createdAt } }'],
    ];
    // Chain-only answers a VIEWER does not get at all: a coded refusal.
    const refused: [string, Record<string, unknown>?][] = [
      ['{ verifyAuditChain { valid headSequence headChainHash latestCheckpoint { chainHash } } }'],
      ['{ checkpoints(first: 500) { id sequence chainHash signature } }'],
      ['mutation { createCheckpoint { id sequence chainHash } }'],
      [
        '{ assessCompliance(input: { frameworkId: "soc2", from: "2020-01-01T00:00:00.000Z" }) { headChainHash controls { sampleEvents { hash chainHash } } } }',
      ],
      ['{ reports { id sha256 downloadUrl contentBase64 } }'],
      ['query($id: ID!) { report(id: $id) { id downloadUrl contentBase64 } }', { id: reportId }],
      [
        'mutation { generateReport(input: { type: AUDIT_TRAIL, format: "csv", from: "2020-01-01T00:00:00.000Z", to: "2100-01-01T00:00:00.000Z" }) { id contentBase64 downloadUrl } }',
      ],
      [RECORD, { input: { events: [eventInput({ idempotencyKey: 'victim-key' })] } }],
    ];

    const { result: answers, probe } = await whileProbing(server.url, async () => {
      const out: { query: string; res: GraphQLResponse; refused: boolean }[] = [];
      for (const [query, variables] of readable) out.push({ query, res: await post(server.url, viewer, query, variables), refused: false });
      for (const [query, variables] of refused) out.push({ query, res: await post(server.url, viewer, query, variables), refused: true });
      return out;
    });

    for (const { query, res, refused: mustRefuse } of answers) {
      if (mustRefuse) expect({ query, codes: codesOf(res) }).toEqual({ query, codes: ['FORBIDDEN'] });
      else expect({ query, errors: res.body.errors }).toEqual({ query, errors: undefined });
    }
    const events = answers[0].res.body.data!.auditEvents.edges.map((e: { node: Record<string, unknown> }) => e.node);
    expect(events.length).toBeGreaterThanOrEqual(3);
    for (const event of events) {
      expect(event).toMatchObject({ hash: null, chainHash: null });
      expect(event.redactedFields).toEqual(expect.arrayContaining(['hash', 'chainHash']));
    }
    expect(answers[2].res.body.data!.control.evidence.edges.length).toBeGreaterThan(0);

    // Every hash the tenant has stored — events (the refusals just recorded too), checkpoints, the head.
    const stored = [
      ...(
        await env.sql<{ hash: string; chain_hash: string }>("SELECT hash, chain_hash FROM audit_event WHERE tenant_id = 'default'")
      ).flatMap((r) => [r.hash, r.chain_hash]),
      ...(await env.sql<{ chain_hash: string }>("SELECT chain_hash FROM checkpoint WHERE tenant_id = 'default'")).map((r) => r.chain_hash),
      ...(await env.sql<{ chain_hash: string }>("SELECT chain_hash FROM chain_head WHERE tenant_id = 'default'")).map((r) => r.chain_hash),
    ];
    expect(stored.length).toBeGreaterThan(10);
    const seen = answers.map((a) => JSON.stringify(a.res.body)).join('\n');
    const leaked = stored.filter((hash) => seen.includes(hash));
    expect(leaked).toEqual([]);
    for (const hidden of ['10.20.30.40', 'victim-agent', 'secret']) expect(seen).not.toContain(hidden);

    expect(probe.failures).toBe(0);
    expect(probe.max).toBeLessThan(HEALTH_MAX_MS);
  });

  it('keeps idempotency keys to the API key that wrote them: another key learns nothing about a guessed payload', async () => {
    const keyA = await env.app.services.apiKeys.create('default', Role.INGEST, 'writer A');
    const attackers = [
      await env.app.services.apiKeys.create('default', Role.INGEST, 'attacker B'),
      await env.app.services.apiKeys.create('default', Role.INGEST, 'attacker C'),
    ];
    const K = 'payment-2026-0042';
    const occurredAt = new Date(Date.now() - 60_000).toISOString();
    const guess = (i: number) =>
      eventInput({ occurredAt, actor: { id: 'u-payer', type: 'USER', ip: `10.0.0.${i}` }, idempotencyKey: K, metadata: null });
    const SECRET = 5; // A's payload is guess(5)
    const original = await post(server.url, keyA.secret, RECORD, { input: { events: [guess(SECRET)] } });
    expect(original.body.errors).toBeUndefined();
    const receiptA = original.body.data!.recordAuditEvents.receipts[0];

    // B starts with a wrong guess, C with the right one; each then tries all 16 under A's key K.
    const orders = [
      [0, ...Array.from({ length: 16 }, (_, i) => i)],
      [SECRET, ...Array.from({ length: 16 }, (_, i) => i)],
    ];
    const { result, probe } = await whileProbing(server.url, async () => {
      const all: GraphQLResponse[][] = [];
      for (const [n, attacker] of attackers.entries()) {
        const answers: GraphQLResponse[] = [];
        for (const i of orders[n]) answers.push(await post(server.url, attacker.secret, RECORD, { input: { events: [guess(i)] } }));
        all.push(answers);
      }
      return all;
    });

    for (const [n, answers] of result.entries()) {
      const guesses = orders[n];
      // The first try is a new event of the attacker's own, whether it matched A's payload or not.
      const first = answers[0].body.data!.recordAuditEvents;
      expect(first).toMatchObject({ recordedCount: 1, receipts: [{ replayed: false, idempotencyKey: K }] });
      expect(first.receipts[0].id).not.toBe(receiptA.id);
      // Every later try is judged against that own event only: a replay if equal to it, else the same
      // coded refusal — whether or not it is A's payload.
      const refusals: GraphQLResponse[] = [];
      for (const [j, res] of answers.entries()) {
        if (j > 0 && guesses[j] === guesses[0]) {
          expect(res.body.data!.recordAuditEvents).toMatchObject({
            recordedCount: 0,
            receipts: [{ replayed: true, id: first.receipts[0].id }],
          });
        } else if (j > 0) {
          expect(codesOf(res)).toEqual(['IDEMPOTENCY_CONFLICT']);
          refusals.push(res);
        }
        for (const secret of [receiptA.id, receiptA.hash, receiptA.chainHash]) expect(JSON.stringify(res.body)).not.toContain(secret);
      }
      expect(refusals).toHaveLength(15);
      for (const res of refusals) expect(res.body).toEqual(refusals[0].body); // the same refusal, byte for byte
    }
    // The answers to A's real payload and to a wrong one are the same for both attackers.
    const atSecret = result[0][orders[0].indexOf(SECRET, 1)];
    const atWrong = result[0][orders[0].indexOf(SECRET + 1, 1)];
    expect(atSecret.body).toEqual(atWrong.body);

    // A itself still gets its replay and its conflict.
    const replay = await post(server.url, keyA.secret, RECORD, { input: { events: [guess(SECRET)] } });
    expect(replay.body.data!.recordAuditEvents).toEqual({ recordedCount: 0, receipts: [{ ...receiptA, replayed: true }] });
    const conflict = await post(server.url, keyA.secret, RECORD, { input: { events: [guess(SECRET + 1)] } });
    expect(codesOf(conflict)).toEqual(['IDEMPOTENCY_CONFLICT']);

    const rows = await env.sql<{ idempotency_scope: string }>(
      'SELECT idempotency_scope FROM audit_event WHERE idempotency_key = ? ORDER BY sequence',
      [K],
    );
    expect(rows.map((r) => r.idempotency_scope)).toEqual([keyA.key.id, attackers[0].key.id, attackers[1].key.id]);
    expect((await post(server.url, env.adminKey, '{ verifyAuditChain { valid } }')).body.data!.verifyAuditChain.valid).toBe(true);

    expect(probe.failures).toBe(0);
    expect(probe.max).toBeLessThan(HEALTH_MAX_MS);
  });

  it('refuses the server’s datapunk. actions from clients in any letter case, writing nothing', async () => {
    const before = (await env.sql<{ n: number }>("SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = 'default'"))[0].n;
    const forged = ['DATAPUNK.control.attested', 'Datapunk.report.generated', 'dAtApUnK.authorization.denied', 'datapunk.control.attested'];
    const { result, probe } = await whileProbing(server.url, async () => {
      const out: GraphQLResponse[] = [];
      for (const key of [ingest, env.adminKey]) {
        for (const action of forged) {
          out.push(
            await post(server.url, key, RECORD, {
              input: {
                events: [eventInput({ action, resource: { type: 'control', id: 'soc2:CC6.1' }, metadata: { status: 'COMPLIANT' } })],
              },
            }),
          );
        }
      }
      return out;
    });
    for (const res of result) {
      expect(codesOf(res)).toEqual(['INVALID_EVENT']);
      expect(res.body.errors![0].extensions!.problems.map((p: { path: string }) => p.path)).toEqual(['events[0].action']);
    }
    const after = (await env.sql<{ n: number }>("SELECT COUNT(*) AS n FROM audit_event WHERE tenant_id = 'default'"))[0].n;
    expect(Number(after)).toBe(Number(before));
    expect(probe.failures).toBe(0);
    expect(probe.max).toBeLessThan(HEALTH_MAX_MS);
  });

  it('does not take a case variant of a server action in the chain for the server’s own (an attestation)', async () => {
    // As a client could record it before the prefix check ignored case: written past the check here.
    const forged = (action: string) =>
      env.app.services.ingest.record(
        'default',
        [
          eventInput({
            action,
            resource: { type: 'compliance_control', id: 'soc2:CC1.1' },
            metadata: {
              frameworkId: 'soc2',
              controlId: 'CC1.1',
              status: 'NOT_APPLICABLE',
              note: 'forged',
              expiresAt: '2099-01-01T00:00:00.000Z',
            },
          }) as unknown as AuditEventInputShape,
        ],
        { trusted: true },
      );
    await forged('DATAPUNK.control.attested');
    await forged('Datapunk.control.attested');
    const res = await post(
      server.url,
      auditor,
      '{ assessCompliance(input: { frameworkId: "soc2", from: "2020-01-01T00:00:00.000Z" }) { controls { controlId status attestation { sequence } } } }',
    );
    expect(res.body.errors).toBeUndefined();
    const control = res.body.data!.assessCompliance.controls.find((c: { controlId: string }) => c.controlId === 'CC1.1');
    expect(control.attestation).toBeNull();
    expect(control.status).not.toBe('NOT_APPLICABLE');
  });
});
