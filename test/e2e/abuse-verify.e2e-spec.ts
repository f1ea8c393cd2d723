import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { createTestEnvironment, eventInput, RECORD, TEST_DIALECT, type TestEnvironment } from '../helpers/test-environment';
import { HEALTH_MAX_MS, whileProbing } from '../helpers/health-probe';
import { ChainVerifier } from '../../src/chain/chain-verifier';
import { databaseWriteState } from '../../src/database/write-state';
import { keyIdOf } from '../../src/chain/signing-key';
import { toSqlDateTime } from '../../src/database/sql-format';

const TENANT = "tenant_id = 'default'";

const VERIFY_ALL = `query Verify($from: SafeInt, $to: SafeInt) {
  verifyAuditChain(fromSequence: $from, toSequence: $to) {
    valid checkedCount checkpointsChecked untrustedCheckpoints headSequence headChainHash fromSequence toSequence
    verifiedAt cached firstFailure { sequence reason message } latestCheckpoint { id sequence keyId }
  }
}`;

interface Verification {
  valid: boolean;
  checkedCount: number;
  checkpointsChecked: number;
  untrustedCheckpoints: number;
  headSequence: number;
  verifiedAt: string;
  cached: boolean;
  firstFailure: { sequence: number; reason: string } | null;
}

async function gqlAt(url: string, key: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] } };
}

async function verify(env: TestEnvironment, variables: Record<string, unknown> = {}): Promise<Verification> {
  const res = await env.gql(VERIFY_ALL, variables);
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.verifyAuditChain as Verification;
}

/** Records `count` events through the ingest service, a thousand per batch (the chain is what matters, not HTTP). */
async function seed(env: TestEnvironment, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, count - i) }, (_, j) =>
      eventInput({ requestId: `seed-${i + j}`, tags: ['seed'], metadata: { n: i + j } }),
    );
    await env.app.services.ingest.record('default', batch as never);
  }
}

/**
 * The database's write state becomes usable for caching once nothing was written in the current
 * second (MariaDB's UPDATE_TIME has whole seconds; SQLite is usable at once). Waits for that,
 * bounded, so the cache tests do not depend on how fast the previous step ran.
 */
async function settled(env: TestEnvironment): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    if ((await databaseWriteState(env.app.dataSource)) !== null) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the database write state never settled');
}

/** Counts the statements that read pages of events (the re-hash), leaving every other query alone. */
function countPageReads(env: TestEnvironment): { count(): number; restore(): void } {
  const spy = jest.spyOn(env.app.dataSource, 'query');
  return {
    count: () => spy.mock.calls.filter(([sql]) => /FROM audit_event WHERE tenant_id = \? AND sequence >= \?/.test(String(sql))).length,
    restore: () => spy.mockRestore(),
  };
}

/** A checkpoint over the current chain head signed with `privateKey`, written straight into the database. */
async function insertCheckpoint(env: TestEnvironment, key: { publicKey: KeyObject; privateKey: KeyObject }, register: boolean) {
  const [head] = await env.sql<{ sequence: unknown; chain_hash: string }>(`SELECT sequence, chain_hash FROM chain_head WHERE ${TENANT}`);
  const keyId = keyIdOf(key.publicKey);
  const issuedAt = new Date().toISOString();
  if (register) {
    await env.sql('INSERT INTO signing_key (id, public_key_pem, created_at) VALUES (?, ?, ?)', [
      keyId,
      key.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      toSqlDateTime(issuedAt),
    ]);
  }
  const sequence = Number(head.sequence);
  const message = `{"chainHash":"${head.chain_hash}","issuedAt":"${issuedAt}","sequence":${sequence},"tenantId":"default","v":1}`;
  const id = randomUUID();
  await env.sql('INSERT INTO checkpoint (id, tenant_id, sequence, chain_hash, issued_at, key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    id,
    'default',
    sequence,
    head.chain_hash,
    toSqlDateTime(issuedAt),
    keyId,
    sign(null, Buffer.from(message), key.privateKey).toString('base64'),
  ]);
  return { id, keyId, sequence };
}

describe('abuse: one verifyAuditChain over a 60,000-event chain', () => {
  const EVENTS = 60_000;
  let env: TestEnvironment;
  let server: Awaited<ReturnType<TestEnvironment['spawnServer']>>;
  let auditor: string;

  beforeAll(async () => {
    env = await createTestEnvironment();
    await seed(env, EVENTS);
    auditor = await env.createKey('AUDITOR');
    server = await env.spawnServer();
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
    await env?.close();
  });

  it('comes back valid while /healthz keeps answering', async () => {
    const { result, probe } = await whileProbing(server.url, () => gqlAt(server.url, auditor, VERIFY_ALL));
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.verifyAuditChain).toMatchObject({
      valid: true,
      checkedCount: EVENTS,
      headSequence: EVENTS,
      untrustedCheckpoints: 0,
      cached: false,
      firstFailure: null,
    });
    expect(probe.failures).toBe(0);
    expect(probe.max).toBeLessThan(HEALTH_MAX_MS);
  }, 120_000);
});

describe('abuse: a checkpoint signed by a key the attacker put into signing_key', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
    const res = await env.gql(RECORD, { input: { events: Array.from({ length: 8 }, (_, i) => eventInput({ requestId: `k-${i}` })) } });
    expect(res.body.errors).toBeUndefined();
    expect((await env.gql('mutation { createCheckpoint { sequence } }')).body.data!.createCheckpoint.sequence).toBe(8);
  });
  afterAll(() => env.close());

  it('is reported (UNKNOWN_SIGNING_KEY, untrustedCheckpoints) and the chain is not valid', async () => {
    expect(await verify(env)).toMatchObject({ valid: true, checkpointsChecked: 1, untrustedCheckpoints: 0 });
    // The newest checkpoint now comes from the attacker's key, registered as if it were the server's.
    const attacker = generateKeyPairSync('ed25519');
    const forged = await insertCheckpoint(env, attacker, true);
    const result = await verify(env);
    expect(result).toMatchObject({
      valid: false,
      untrustedCheckpoints: 1,
      cached: false,
      firstFailure: { sequence: forged.sequence, reason: 'UNKNOWN_SIGNING_KEY' },
    });
    // signingKeys shows both, and which one verification trusts.
    const keys = (await env.gql('{ signingKeys { id trusted } }')).body.data!.signingKeys as { id: string; trusted: boolean }[];
    expect(keys.find((k) => k.id === forged.keyId)).toEqual({ id: forged.keyId, trusted: false });
    expect(keys.filter((k) => k.trusted)).toHaveLength(1);
    // Without registering the key at all, the same.
    await env.sql('DELETE FROM checkpoint WHERE id = ?', [forged.id]);
    await env.sql('DELETE FROM signing_key WHERE id = ?', [forged.keyId]);
    await insertCheckpoint(env, generateKeyPairSync('ed25519'), false);
    expect(await verify(env)).toMatchObject({ valid: false, untrustedCheckpoints: 1, firstFailure: { reason: 'UNKNOWN_SIGNING_KEY' } });
  });

  it("never names an untrusted checkpoint as the latest, and still signs a head someone else's checkpoint claims", async () => {
    await env.sql(`DELETE FROM checkpoint WHERE ${TENANT}`);
    const res = await env.gql(RECORD, { input: { events: [eventInput({ requestId: 'k-latest' })] } });
    expect(res.body.errors).toBeUndefined();
    const [head] = await env.sql<{ sequence: unknown }>(`SELECT sequence FROM chain_head WHERE ${TENANT}`);
    const own = (await env.gql('mutation { createCheckpoint { id sequence keyId } }')).body.data!.createCheckpoint;
    expect(own.sequence).toBe(Number(head.sequence));
    // A newer-looking checkpoint of the attacker's key over the same head.
    const forged = await insertCheckpoint(env, generateKeyPairSync('ed25519'), false);
    const result = (await env.gql(VERIFY_ALL)).body.data!.verifyAuditChain;
    expect(result).toMatchObject({ valid: false, untrustedCheckpoints: 1, latestCheckpoint: { id: own.id, keyId: own.keyId } });
    // The attacker's checkpoint at the head does not stand in for the server's own.
    await env.sql(`DELETE FROM checkpoint WHERE ${TENANT} AND id = ?`, [own.id]);
    const again = (await env.gql('mutation { createCheckpoint { id sequence keyId } }')).body.data!.createCheckpoint;
    expect(again).toMatchObject({ sequence: own.sequence, keyId: own.keyId });
    expect(again.id).not.toBe(forged.id);
    expect((await env.gql(VERIFY_ALL)).body.data!.verifyAuditChain.latestCheckpoint).toMatchObject({ id: again.id });
    // The periodic signer does the same: a head covered only by a foreign key's checkpoint is due.
    await env.sql(`DELETE FROM checkpoint WHERE ${TENANT} AND id = ?`, [again.id]);
    expect(await env.app.services.checkpoints.issueDue()).toBeGreaterThanOrEqual(1);
    const [signed] = await env.sql<{ n: unknown }>(`SELECT COUNT(*) AS n FROM checkpoint WHERE ${TENANT} AND key_id = ?`, [own.keyId]);
    expect(Number(signed.n)).toBe(1);
  });
});

describe('abuse: a checkpoint to catch hidden behind 100,000 others', () => {
  const COPIES = 100_000;
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
    await seed(env, 600);
    // 100,000 genuine copies of the server's own checkpoint of the head: every signature verifies.
    const own = await env.app.services.checkpoints.issue('default');
    const copy = (id: string, from: string) =>
      `INSERT INTO checkpoint (id, tenant_id, sequence, chain_hash, issued_at, key_id, signature) SELECT ${id}, tenant_id, sequence, chain_hash, issued_at, key_id, signature FROM checkpoint, ${from} WHERE checkpoint.id = ?`;
    await env.sql(
      TEST_DIALECT === 'mariadb'
        ? copy("CONCAT('copy-', seq)", `seq_1_to_${COPIES}`)
        : `WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < ${COPIES}) ${copy("'copy-' || value", 'n')}`,
      [own!.id],
    );
  }, 120_000);
  afterAll(() => env.close());

  it('checks every checkpoint, however many: an untrusted one below them all is found', async () => {
    // One verification only (100,000 signatures take a while): the oldest sequence of all, where a listing of the newest 100,000 would never look.
    const [row] = await env.sql<{ chain_hash: string }>(`SELECT chain_hash FROM audit_event WHERE ${TENANT} AND sequence = 5`);
    const attacker = generateKeyPairSync('ed25519').privateKey;
    const issuedAt = new Date().toISOString();
    const message = `{"chainHash":"${row.chain_hash}","issuedAt":"${issuedAt}","sequence":5,"tenantId":"default","v":1}`;
    await env.sql(
      'INSERT INTO checkpoint (id, tenant_id, sequence, chain_hash, issued_at, key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [
        randomUUID(),
        'default',
        5,
        row.chain_hash,
        toSqlDateTime(issuedAt),
        'f'.repeat(64),
        sign(null, Buffer.from(message), attacker).toString('base64'),
      ],
    );
    expect(await verify(env)).toMatchObject({
      valid: false,
      untrustedCheckpoints: 1,
      firstFailure: { sequence: 5, reason: 'UNKNOWN_SIGNING_KEY' },
    });
  }, 120_000);
});

describe('key rotation: DATAPUNK_TRUSTED_KEYS_FILE', () => {
  let dir: string;
  const previous = generateKeyPairSync('ed25519');
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-trusted-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('trusts checkpoints signed by a previous key named in the file, besides the current key', async () => {
    const file = path.join(dir, 'trusted.pem');
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    fs.writeFileSync(file, `# old keys\n${previous.publicKey.export({ type: 'spki', format: 'pem' }).toString()}\n${other}`);
    const env = await createTestEnvironment({ DATAPUNK_TRUSTED_KEYS_FILE: file });
    try {
      expect((await env.gql(RECORD, { input: { events: [eventInput(), eventInput()] } })).body.errors).toBeUndefined();
      const old = await insertCheckpoint(env, previous, true);
      expect((await env.gql(RECORD, { input: { events: [eventInput()] } })).body.errors).toBeUndefined();
      expect((await env.gql('mutation { createCheckpoint { sequence } }')).body.data!.createCheckpoint.sequence).toBe(3);
      expect(await verify(env)).toMatchObject({ valid: true, checkedCount: 3, checkpointsChecked: 2, untrustedCheckpoints: 0 });
      const keys = (await env.gql('{ signingKeys { id trusted } }')).body.data!.signingKeys as { id: string; trusted: boolean }[];
      expect(keys.filter((k) => k.trusted)).toHaveLength(3);
      expect(keys.find((k) => k.id === old.keyId)?.trusted).toBe(true);
    } finally {
      await env.close();
    }
  });

  it('refuses to start on a file that is missing, empty, or holds anything but Ed25519 public keys (SIGNING_KEY_INVALID)', async () => {
    const write = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const privatePem = previous.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    for (const file of [
      path.join(dir, 'missing.pem'),
      write('empty.pem', ''),
      write('text.pem', 'not a key'),
      write('rsa.pem', rsa),
      write('private.pem', privatePem),
      write('broken.pem', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'),
    ]) {
      await expect(createTestEnvironment({ DATAPUNK_TRUSTED_KEYS_FILE: file })).rejects.toMatchObject({
        code: 'SIGNING_KEY_INVALID',
      });
    }
  });
});

describe('verification cache: under the chain head and the database write state', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment();
    await seed(env, 300);
  });
  afterAll(() => env.close());

  it('answers a repeat from the cache without reading a single event page', async () => {
    await settled(env);
    const reads = countPageReads(env);
    try {
      const first = await verify(env);
      expect(first).toMatchObject({ valid: true, checkedCount: 300, cached: false });
      const firstReads = reads.count();
      expect(firstReads).toBeGreaterThan(0);
      const second = await verify(env);
      expect(second).toEqual({ ...first, cached: true });
      expect(reads.count()).toBe(firstReads);
      // Another range is another entry.
      expect(await verify(env, { from: 2 })).toMatchObject({ cached: false, checkedCount: 299 });
      expect(reads.count()).toBeGreaterThan(firstReads);
    } finally {
      reads.restore();
    }
  });

  it('stays cached across /readyz probes, which write but not to the chain', async () => {
    await settled(env);
    const readyz = () => fetch(env.url.replace('/graphql', '/readyz')).then((res) => res.status);
    expect(await verify(env)).toMatchObject({ valid: true });
    expect(await verify(env)).toMatchObject({ cached: true });
    expect(await readyz()).toBe(200);
    expect(await readyz()).toBe(200);
    await settled(env);
    expect(await verify(env)).toMatchObject({ valid: true, cached: true });
  });

  it('lets identical verifications running at once share one re-hash', async () => {
    const { services, dataSource } = env.app;
    const uncached = new ChainVerifier(dataSource, services.events, services.checkpoints, {
      trustedKeys: [...services.verifier.trustedKeys],
    });
    await settled(env);
    const reads = countPageReads(env);
    try {
      const pair = await Promise.all([services.verifier.verify('default', 3), services.verifier.verify('default', 3)]);
      expect(pair.map((r) => r.cached).sort()).toEqual([false, true]);
      expect(pair[0]).toEqual({ ...pair[1], cached: pair[0].cached });
      const shared = reads.count();
      expect(await uncached.verify('default', 3)).toMatchObject({ valid: true, checkedCount: 298, cached: false });
      expect(reads.count() - shared).toBe(shared);
    } finally {
      reads.restore();
    }
  });

  it('never hides a row changed in the database after the answer was cached, although the head did not move', async () => {
    await settled(env);
    expect(await verify(env)).toMatchObject({ valid: true });
    expect(await verify(env)).toMatchObject({ valid: true, cached: true });
    const [row] = await env.sql<{ hash: string }>(`SELECT hash FROM audit_event WHERE ${TENANT} AND sequence = 5`);
    await env.sql(`UPDATE audit_event SET hash = ? WHERE ${TENANT} AND sequence = 5`, ['f'.repeat(64)]);
    try {
      expect(await verify(env)).toMatchObject({
        valid: false,
        cached: false,
        headSequence: 300,
        firstFailure: { sequence: 5, reason: 'HASH_MISMATCH' },
      });
    } finally {
      await env.sql(`UPDATE audit_event SET hash = ? WHERE ${TENANT} AND sequence = 5`, [row.hash]);
    }
    expect(await verify(env)).toMatchObject({ valid: true, cached: false });
  });

  it('misses after a new event, and for another set of trusted keys', async () => {
    await settled(env);
    expect(await verify(env)).toMatchObject({ valid: true });
    expect(await verify(env)).toMatchObject({ cached: true });
    expect((await env.gql(RECORD, { input: { events: [eventInput()] } })).body.errors).toBeUndefined();
    await settled(env);
    expect(await verify(env)).toMatchObject({ valid: true, cached: false, headSequence: 301 });
    expect(await verify(env)).toMatchObject({ cached: true, headSequence: 301 });

    // The same database state, the same shared cache, one more trusted key: not the cached answer.
    const { services, dataSource, cache } = env.app;
    const extra = generateKeyPairSync('ed25519').publicKey;
    const wider = new ChainVerifier(dataSource, services.events, services.checkpoints, {
      trustedKeys: [
        ...services.verifier.trustedKeys,
        {
          id: keyIdOf(extra),
          publicKeyPem: extra.export({ type: 'spki', format: 'pem' }).toString(),
          createdAt: new Date(0).toISOString(),
        },
      ],
      cache,
      cacheTtlMs: 60_000,
    });
    expect(await wider.verify('default')).toMatchObject({ valid: true, cached: false });
    expect(await wider.verify('default')).toMatchObject({ cached: true });
    expect(await services.verifier.verify('default')).toMatchObject({ cached: true });
  });
});

describe('shutdown: a running verification is stopped', () => {
  it('ends with SERVICE_UNAVAILABLE once the app closes, instead of hashing on', async () => {
    const env = await createTestEnvironment({ VERIFY_CACHE_TTL_SECONDS: '0' });
    try {
      await seed(env, 2000);
      const { verifier } = env.app.services;
      // Close the app as soon as the first page of events has been read: the next slice must stop.
      const original = env.app.dataSource.query.bind(env.app.dataSource);
      let closing = null as Promise<void> | null;
      const spy = jest.spyOn(env.app.dataSource, 'query').mockImplementation(async (sql: string, params?: unknown[]) => {
        const rows = await original(sql, params);
        if (!closing && /FROM audit_event WHERE tenant_id = \? AND sequence >= \?/.test(sql)) closing = env.app.close();
        return rows;
      });
      const running = verifier.verify('default');
      await expect(running).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
      spy.mockRestore();
      await closing;
    } finally {
      await env.close();
    }
  });
});
