import { linkHash } from '../../src/chain/hashing';
import { createTestEnvironment, eventInput, RECORD, type TestEnvironment, VERIFY } from '../helpers/test-environment';

interface Receipt {
  id: string;
  sequence: number;
  hash: string;
  chainHash: string;
  replayed: boolean;
}

/** POSTs a GraphQL request to any server of the environment (the in-process one or a spawned one). */
async function gqlAt(url: string, key: string, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: JSON.parse(await res.text()) as { data?: any; errors?: any[] } };
}

/** One client: sends `total` events in batches of `batchSize`, one request at a time; returns the receipts of each batch. */
async function runClient(url: string, key: string, client: string, total: number, batchSize: number): Promise<Receipt[][]> {
  const batches: Receipt[][] = [];
  for (let sent = 0; sent < total; sent += batchSize) {
    const events = Array.from({ length: Math.min(batchSize, total - sent) }, (_, i) =>
      eventInput({
        action: `load.${client}`,
        actor: { id: client, type: 'SERVICE' },
        tags: [client],
        metadata: { client, n: sent + i },
      }),
    );
    const res = await gqlAt(url, key, RECORD, { input: { events } });
    expect(res.body.errors).toBeUndefined();
    expect(res.status).toBe(200);
    batches.push(res.body.data.recordAuditEvents.receipts);
  }
  return batches;
}

/**
 * Every receipt is a stored row, the tenant's sequences are exactly 1..total, every batch got a
 * consecutive run, each client's batches are in its own order, and the chain re-computes.
 */
async function expectGaplessChain(env: TestEnvironment, tenant: string, key: string, clients: Receipt[][][], total: number) {
  const receipts = clients.flat(2);
  expect(receipts).toHaveLength(total);
  expect(receipts.every((r) => !r.replayed)).toBe(true);
  const sequences = receipts.map((r) => r.sequence).sort((a, b) => a - b);
  expect(sequences[0]).toBe(1);
  expect(sequences[total - 1]).toBe(total);
  expect(new Set(sequences).size).toBe(total);

  for (const batches of clients) {
    let last = 0;
    for (const batch of batches) {
      // A batch is appended atomically under the chain lock: one consecutive run of sequences…
      batch.forEach((r, i) => expect(r.sequence).toBe(batch[0].sequence + i));
      // …linked to each other…
      for (let i = 1; i < batch.length; i += 1) expect(batch[i].chainHash).toBe(linkHash(batch[i - 1].chainHash, batch[i].hash));
      // …and after the client's previous (awaited) batch.
      expect(batch[0].sequence).toBeGreaterThan(last);
      last = batch[batch.length - 1].sequence;
    }
  }

  const rows = await env.sql<{ id: string; sequence: unknown; hash: string; chain_hash: string }>(
    'SELECT id, sequence, hash, chain_hash FROM audit_event WHERE tenant_id = ? ORDER BY sequence',
    [tenant],
  );
  expect(rows).toHaveLength(total);
  rows.forEach((row, i) => {
    if (Number(row.sequence) !== i + 1) throw new Error(`sequence ${i + 1} is missing or duplicated (found ${String(row.sequence)})`);
  });
  const bySequence = new Map(receipts.map((r) => [r.sequence, r]));
  let previous = '0'.repeat(64);
  for (const row of rows) {
    const receipt = bySequence.get(Number(row.sequence))!;
    if (row.id !== receipt.id || row.hash !== receipt.hash || row.chain_hash !== receipt.chainHash) {
      throw new Error(`row ${String(row.sequence)} differs from its receipt`);
    }
    // One chain, not a fork: every stored link follows from the one before it.
    if (row.chain_hash !== linkHash(previous, row.hash)) throw new Error(`the chain forks at ${String(row.sequence)}`);
    previous = row.chain_hash;
  }
  const [head] = await env.sql<{ sequence: unknown; chain_hash: string }>(
    'SELECT sequence, chain_hash FROM chain_head WHERE tenant_id = ?',
    [tenant],
  );
  expect({ sequence: Number(head.sequence), chainHash: head.chain_hash }).toEqual({ sequence: total, chainHash: previous });

  const verified = await gqlAt(env.url, key, VERIFY);
  expect(verified.body.errors).toBeUndefined();
  expect(verified.body.data.verifyAuditChain).toMatchObject({ valid: true, firstFailure: null, checkedCount: total, headSequence: total });
}

async function expectPerClientCounts(env: TestEnvironment, tenant: string, expected: Record<string, number>) {
  const rows = await env.sql<{ actor_id: string; n: unknown }>(
    'SELECT actor_id, COUNT(*) AS n FROM audit_event WHERE tenant_id = ? GROUP BY actor_id',
    [tenant],
  );
  expect(Object.fromEntries(rows.map((r) => [r.actor_id, Number(r.n)]))).toEqual(expected);
  const [labels] = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM audit_event_label WHERE tenant_id = ?', [tenant]);
  expect(Number(labels.n)).toBe(Object.values(expected).reduce((a, b) => a + b, 0));
}

const names = (n: number, prefix = 'client') => Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);

describe('concurrent ingestion', () => {
  let env: TestEnvironment;
  afterEach(async () => {
    await env?.close();
  });

  it('8 concurrent clients × 250 events (batches of 50) → sequences exactly 1..2000, one valid chain', async () => {
    env = await createTestEnvironment();
    const clients = names(8);
    const results = await Promise.all(clients.map((c) => runClient(env.url, env.adminKey, c, 250, 50)));
    await expectGaplessChain(env, 'default', env.adminKey, results, 2000);
    await expectPerClientCounts(env, 'default', Object.fromEntries(clients.map((c) => [c, 250])));
  });

  it('10,000 events from 4 concurrent clients (batches of 500) → none lost, gapless, valid', async () => {
    env = await createTestEnvironment();
    const clients = names(4);
    const results = await Promise.all(clients.map((c) => runClient(env.url, env.adminKey, c, 2500, 500)));
    await expectGaplessChain(env, 'default', env.adminKey, results, 10_000);
    await expectPerClientCounts(env, 'default', Object.fromEntries(clients.map((c) => [c, 2500])));
  });

  it('keeps one gapless chain per tenant when two tenants are written at once', async () => {
    env = await createTestEnvironment();
    const acmeIngest = await env.createKey('INGEST', 'acme');
    const acmeAuditor = await env.createKey('AUDITOR', 'acme');
    const defaultClients = names(3, 'default');
    const acmeClients = names(3, 'acme');
    const [ours, theirs] = await Promise.all([
      Promise.all(defaultClients.map((c) => runClient(env.url, env.adminKey, c, 200, 40))),
      Promise.all(acmeClients.map((c) => runClient(env.url, acmeIngest, c, 200, 40))),
    ]);
    await expectGaplessChain(env, 'default', env.adminKey, ours, 600);
    await expectGaplessChain(env, 'acme', acmeAuditor, theirs, 600);
    await expectPerClientCounts(env, 'acme', Object.fromEntries(acmeClients.map((c) => [c, 200])));
  });

  it('concurrent retries of the same keyed batches write each event once', async () => {
    env = await createTestEnvironment();
    const batches = Array.from({ length: 4 }, (_, b) =>
      Array.from({ length: 25 }, (_, i) => eventInput({ action: 'retry.storm', idempotencyKey: `storm-${b}-${i}` })),
    );
    // Each batch is sent by three clients at once.
    const answers = await Promise.all(
      batches.flatMap((events) => [0, 1, 2].map(() => gqlAt(env.url, env.adminKey, RECORD, { input: { events } }))),
    );
    for (const a of answers) expect(a.body.errors).toBeUndefined();
    const recorded = answers.map((a) => a.body.data.recordAuditEvents.recordedCount as number);
    expect(recorded.reduce((x, y) => x + y, 0)).toBe(100);
    const [{ n }] = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM audit_event');
    expect(Number(n)).toBe(100);
    const verified = await gqlAt(env.url, env.adminKey, VERIFY);
    expect(verified.body.data.verifyAuditChain).toMatchObject({ valid: true, checkedCount: 100, headSequence: 100 });
  });

  it('several server processes writing to the same tenant never fork the chain', async () => {
    env = await createTestEnvironment();
    // MariaDB is the multi-process deployment; SQLite is built for one process, but its IMMEDIATE
    // write lock must keep the chain whole even so.
    const extra = await Promise.all(Array.from({ length: env.dialect === 'mariadb' ? 3 : 2 }, () => env.spawnServer()));
    try {
      const urls = [env.url, ...extra.map((s) => s.url)];
      const clients = names(8);
      const results = await Promise.all(clients.map((c, i) => runClient(urls[i % urls.length], env.adminKey, c, 200, 40)));
      await expectGaplessChain(env, 'default', env.adminKey, results, 1600);
      await expectPerClientCounts(env, 'default', Object.fromEntries(clients.map((c) => [c, 200])));
      // Every process answers verification the same way.
      for (const url of urls) {
        const verified = await gqlAt(url, env.adminKey, VERIFY);
        expect(verified.body.data.verifyAuditChain).toMatchObject({ valid: true, headSequence: 1600 });
      }
    } finally {
      await Promise.all(extra.map((s) => s.stop()));
    }
  });
});
