import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { ChainVerifier, type ChainVerification } from '../../src/chain/chain-verifier';
import { checkpointMessage } from '../../src/chain/checkpoint.service';
import { RehashPool } from '../../src/chain/rehash-pool';
import { checkpointText, parseCheckpointText, parseNote, signatureLine, signedNote, verifierKey } from '../../src/chain/signed-note';
import { keyIdOf } from '../../src/chain/signing-key';
import { createTestEnvironment, eventInput, RECORD, type TestEnvironment } from '../helpers/test-environment';
import { toSqlDateTime } from '../../src/database/sql-format';
import { mapEventRow } from '../../src/audit/event-row';
import { canonicalEvent, storedFragments } from '../../src/chain/event-canonical';
import { linkHash, sha256Hex } from '../../src/chain/hashing';

/**
 * verifyAuditChain trusts only what it should (issue 13 part 5, ADR 0051): keys an auditor pins,
 * checkpoints they kept outside the database, and what a database-level attacker can do about
 * neither — roll the log back with its checkpoints, or add a key of their own and sign with it.
 * The witness-backed half is in witnesses.e2e-spec.ts (it needs two witnesses running).
 */
const TENANT = 'trusty';
const ORIGIN = `localhost/datapunk-audit/${TENANT}`;
const VERIFY = `query V($trust: ChainTrustInput, $from: SafeInt, $to: SafeInt) {
  verifyAuditChain(trust: $trust, fromSequence: $from, toSequence: $to) {
    valid checkedCount headSequence checkpointsChecked untrustedCheckpoints keysPinned trustedCheckpointsChecked cosignedSize
    firstFailure { sequence reason message }
  }
}`;
const CREATE = 'mutation { createCheckpoint { id sequence chainHash note } }';

interface Verification {
  valid: boolean;
  checkedCount: number;
  headSequence: number;
  checkpointsChecked: number;
  untrustedCheckpoints: number;
  keysPinned: boolean;
  trustedCheckpointsChecked: number;
  cosignedSize: number | null;
  firstFailure: { sequence: number; reason: string; message: string } | null;
}

const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();

/**
 * What an attacker with the database does: changes event 10, re-computes every hash and link after
 * it and the head, and deletes the stored checkpoints that would show it. The chain alone verifies.
 */
async function rechainFromEvent10(env: TestEnvironment): Promise<void> {
  const rows = await env.sql<Record<string, unknown>>(
    'SELECT * FROM audit_event WHERE tenant_id = ? AND sequence >= 10 ORDER BY sequence',
    [TENANT],
  );
  const labels = await env.app.services.events.labelsFor(
    TENANT,
    rows.map((r) => String(r.id)),
  );
  let previous = (
    await env.sql<{ chain_hash: string }>('SELECT chain_hash FROM audit_event WHERE tenant_id = ? AND sequence = 9', [TENANT])
  )[0].chain_hash;
  for (const row of rows) {
    if (Number(row.sequence) === 10) row.action = 'auth.rewritten';
    const event = mapEventRow(row);
    const { hash: _h, chainHash: _c, idempotencyKey: _k, ...rest } = event;
    const hash = sha256Hex(canonicalEvent(storedFragments({ ...rest, ...labels.get(event.id)! }), event));
    previous = linkHash(previous, hash);
    await env.sql('UPDATE audit_event SET action = ?, hash = ?, chain_hash = ? WHERE id = ?', [row.action, hash, previous, event.id]);
  }
  await env.sql('UPDATE chain_head SET chain_hash = ? WHERE tenant_id = ?', [previous, TENANT]);
  await env.sql('DELETE FROM checkpoint WHERE tenant_id = ?', [TENANT]);
}

describe('verifyAuditChain with pinned keys and trusted checkpoints', () => {
  let env: TestEnvironment;
  let auditor: string;
  let ingest: string;
  const signing = generateKeyPairSync('ed25519');
  const stranger = generateKeyPairSync('ed25519');
  let noteA: string;
  let noteB: string;
  let headAtA: Record<string, unknown>;

  const record = async (n: number, action = 'auth.login') => {
    const res = await env.gql(RECORD, { input: { events: Array.from({ length: n }, () => eventInput({ action })) } }, ingest);
    expect(res.body.errors).toBeUndefined();
  };
  const create = async (): Promise<{ id: string; sequence: number; note: string }> => {
    const res = await env.gql(CREATE, {}, auditor);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.createCheckpoint;
  };
  const verify = async (trust?: Record<string, unknown>, range: { from?: number; to?: number } = {}): Promise<Verification> => {
    const res = await env.gql<{ verifyAuditChain: Verification }>(VERIFY, { trust, ...range }, auditor);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.verifyAuditChain;
  };
  const head = async () =>
    (
      await env.sql<Record<string, unknown>>('SELECT sequence, chain_hash, merkle_frontier FROM chain_head WHERE tenant_id = ?', [TENANT])
    )[0];

  beforeAll(async () => {
    env = await createTestEnvironment({ DATAPUNK_SIGNING_KEY: signing.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    auditor = await env.createKey('AUDITOR', TENANT);
    ingest = await env.createKey('INGEST', TENANT);
    await record(40);
    noteA = (await create()).note;
    headAtA = await head();
    await record(30);
    noteB = (await create()).note;
  });
  afterAll(async () => {
    await env?.close();
  });

  it('trusts a pinned key (PEM or C2SP verifier key) and reports the checkpoints of a key not pinned', async () => {
    for (const key of [pem(signing.publicKey), verifierKey(ORIGIN, signing.publicKey)]) {
      expect(await verify({ publicKeys: [key] })).toMatchObject({
        valid: true,
        keysPinned: true,
        checkpointsChecked: 2,
        untrustedCheckpoints: 0,
      });
    }
    // Pinning someone else's key: the server's own checkpoints are then of an untrusted key.
    const foreign = await verify({ publicKeys: [pem(stranger.publicKey)] });
    // Counted up to the first failure: how many depends on the page the walk stopped in.
    expect(foreign).toMatchObject({ valid: false, keysPinned: true, untrustedCheckpoints: expect.any(Number) });
    expect(foreign.untrustedCheckpoints).toBeGreaterThanOrEqual(1);
    expect(foreign.firstFailure).toMatchObject({ sequence: 40, reason: 'UNKNOWN_SIGNING_KEY' });
    expect(await verify()).toMatchObject({ valid: true, keysPinned: false, trustedCheckpointsChecked: 0, cosignedSize: null });
  });

  it('checks kept checkpoints against the stored tree: both prefixes of it, so valid', async () => {
    expect(await verify({ checkpoints: [noteA, noteB] })).toMatchObject({ valid: true, trustedCheckpointsChecked: 2 });
    expect(await verify({ checkpoints: [noteB], publicKeys: [verifierKey(ORIGIN, signing.publicKey)] })).toMatchObject({
      valid: true,
      trustedCheckpointsChecked: 1,
    });
    // A range verification still checks them (against the tree; the events only when walked from 1).
    expect(await verify({ checkpoints: [noteA] }, { from: 20, to: 50 })).toMatchObject({ valid: true, checkedCount: 31 });
  });

  it('refuses unusable trust arguments with INVALID_ARGUMENT, naming each, and records nothing', async () => {
    await env.app.services.reads.flush();
    const before = await head();
    const foreignText = checkpointText(ORIGIN, 70, Buffer.alloc(32, 7));
    const foreignNote = signedNote(foreignText, [signatureLine(foreignText, ORIGIN, stranger.privateKey, stranger.publicKey)]);
    const otherOrigin = noteB.replace(ORIGIN, 'localhost/datapunk-audit/default');
    const cases: [Record<string, unknown>, string][] = [
      [{ publicKeys: ['not a key'] }, 'trust.publicKeys[0]'],
      [{ publicKeys: [verifierKey('someone.else/log', signing.publicKey)] }, 'trust.publicKeys[0]'],
      [{ publicKeys: [] }, 'trust.publicKeys'],
      [{ checkpoints: ['garbage\n'] }, 'trust.checkpoints[0]'],
      [{ checkpoints: [noteA, foreignNote] }, 'trust.checkpoints[1]'],
      [{ checkpoints: [otherOrigin] }, 'trust.checkpoints[0]'],
      [{ checkpoints: [noteB.replace(/\n\n— /, '\n\n— x')] }, 'trust.checkpoints[0]'],
      [{ checkpoints: [noteA], publicKeys: [pem(stranger.publicKey)] }, 'trust.checkpoints[0]'],
      [{ witnessKeys: ['w+00000000+AAAA'] }, 'trust.witnessKeys[0]'],
      [{ witnessQuorum: 1 }, 'trust.witnessQuorum'],
      [{ witnessKeys: [], witnessQuorum: 0 }, 'trust.witnessQuorum'],
      [{ checkpoints: Array.from({ length: 101 }, () => noteA) }, 'trust.checkpoints'],
    ];
    for (const [trust, path] of cases) {
      const res = await env.gql(VERIFY, { trust }, auditor);
      expect({ trust, code: res.body.errors?.[0]?.extensions?.code, data: res.body.data?.verifyAuditChain ?? null }).toEqual({
        trust,
        code: 'INVALID_ARGUMENT',
        data: null,
      });
      expect((res.body.errors![0].extensions!.problems as { path: string }[]).map((p) => p.path)).toContain(path);
    }
    // Nothing ran, so nothing was recorded: the flushed read log appends no datapunk.log.read.
    await env.app.services.reads.flush();
    expect(await head()).toEqual(before);
  });

  it('a key and a checkpoint inserted by SQL are not trusted: UNKNOWN_SIGNING_KEY by default, pinned or not', async () => {
    const forged = generateKeyPairSync('ed25519');
    const keyId = keyIdOf(forged.publicKey);
    await env.sql('INSERT INTO signing_key (id, public_key_pem, created_at) VALUES (?, ?, ?)', [
      keyId,
      pem(forged.publicKey),
      toSqlDateTime('2026-01-01T00:00:00.000Z'),
    ]);
    const now = await head();
    const checkpoint = {
      id: uuidv7(),
      tenantId: TENANT,
      sequence: Number(now.sequence),
      chainHash: String(now.chain_hash),
      issuedAt: new Date().toISOString(),
    };
    const signature = sign(null, Buffer.from(checkpointMessage(checkpoint)), forged.privateKey).toString('base64');
    await env.sql(
      'INSERT INTO checkpoint (id, tenant_id, sequence, chain_hash, issued_at, key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [checkpoint.id, TENANT, checkpoint.sequence, checkpoint.chainHash, toSqlDateTime(checkpoint.issuedAt), keyId, signature],
    );
    const keys = (await env.gql('{ signingKeys { id trusted } }', {}, auditor)).body.data!.signingKeys as {
      id: string;
      trusted: boolean;
    }[];
    expect(keys.find((k) => k.id === keyId)).toEqual({ id: keyId, trusted: false });
    for (const trust of [undefined, { publicKeys: [pem(signing.publicKey)] }]) {
      const result = await verify(trust);
      expect(result).toMatchObject({ valid: false, untrustedCheckpoints: 1 });
      expect(result.firstFailure).toMatchObject({ sequence: checkpoint.sequence, reason: 'UNKNOWN_SIGNING_KEY' });
    }
    // Its note, handed in as a kept checkpoint, is refused: no trusted key signed it.
    const text = checkpointText(ORIGIN, checkpoint.sequence, parseCheckpointText(parseNote(noteB).text).root);
    const res = await env.gql(
      VERIFY,
      { trust: { checkpoints: [signedNote(text, [signatureLine(text, ORIGIN, forged.privateKey, forged.publicKey)])] } },
      auditor,
    );
    expect(res.body.errors?.[0]?.extensions?.code).toBe('INVALID_ARGUMENT');
    await env.sql('DELETE FROM checkpoint WHERE id = ?', [checkpoint.id]);
    await env.sql('DELETE FROM signing_key WHERE id = ?', [keyId]);
    expect((await verify()).valid).toBe(true);
  });

  it('a tree changed in the database is caught by a kept checkpoint: TRUSTED_CHECKPOINT_MISMATCH', async () => {
    const now = await head();
    const frontier = String(now.merkle_frontier);
    const changed = `${frontier[0] === '0' ? '1' : '0'}${frontier.slice(1)}`;
    await env.sql('UPDATE chain_head SET merkle_frontier = ? WHERE tenant_id = ?', [changed, TENANT]);
    try {
      expect((await verify()).valid).toBe(true); // the chain alone does not show it
      const result = await verify({ checkpoints: [noteA] });
      expect(result).toMatchObject({ valid: false, trustedCheckpointsChecked: 1 });
      expect(result.firstFailure).toMatchObject({ sequence: 40, reason: 'TRUSTED_CHECKPOINT_MISMATCH' });
    } finally {
      await env.sql('UPDATE chain_head SET merkle_frontier = ? WHERE tenant_id = ?', [frontier, TENANT]);
    }
  });

  it('a rollback (newest rows and their checkpoints deleted, head and tree rewound) passes the database alone, but not a kept checkpoint', async () => {
    const later = await env.sql<{ id: string }>('SELECT id FROM checkpoint WHERE tenant_id = ? AND sequence > ?', [TENANT, 40]);
    expect(later.length).toBe(1);
    await env.sql('DELETE FROM checkpoint WHERE tenant_id = ? AND sequence > ?', [TENANT, 40]);
    await env.sql('DELETE FROM audit_event_label WHERE event_id IN (SELECT id FROM audit_event WHERE tenant_id = ? AND sequence > ?)', [
      TENANT,
      40,
    ]);
    await env.sql('DELETE FROM audit_event WHERE tenant_id = ? AND sequence > ?', [TENANT, 40]);
    await env.sql('UPDATE chain_head SET sequence = ?, chain_hash = ?, merkle_frontier = ? WHERE tenant_id = ?', [
      headAtA.sequence,
      headAtA.chain_hash,
      headAtA.merkle_frontier,
      TENANT,
    ]);
    expect(await verify()).toMatchObject({ valid: true, headSequence: 40 });
    const rolledBack = await verify({ checkpoints: [noteA, noteB] });
    expect(rolledBack).toMatchObject({ valid: false, checkedCount: 40 });
    expect(rolledBack.firstFailure).toMatchObject({ sequence: 41, reason: 'ROLLED_BACK' });
    // Grown past the kept size again, the log is a fork of it: no consistency proof leads to its root.
    await record(35, 'auth.logout');
    expect(await verify()).toMatchObject({ valid: true, headSequence: 75 });
    const forked = await verify({ checkpoints: [noteB] });
    expect(forked.firstFailure).toMatchObject({ sequence: 70, reason: 'TRUSTED_CHECKPOINT_MISMATCH' });
    expect((await verify({ checkpoints: [noteA] })).valid).toBe(true);
  });

  it('re-hashes the same on worker threads as on the server’s thread, tampered chain or not', async () => {
    const { dataSource, services } = env.app;
    const pool = new RehashPool(2);
    const keys = [...services.verifier.trustedKeys];
    const onWorkers = new ChainVerifier(dataSource, services.events, services.checkpoints, { trustedKeys: keys, pool, pageEvents: 16 });
    const onThread = new ChainVerifier(dataSource, services.events, services.checkpoints, {
      trustedKeys: keys,
      pool: null,
      pageEvents: 16,
    });
    const both = async (): Promise<ChainVerification> => {
      const [a, b] = await Promise.all([onWorkers.verify(TENANT), onThread.verify(TENANT)]);
      expect({ ...a, verifiedAt: '' }).toEqual({ ...b, verifiedAt: '' });
      return a;
    };
    try {
      expect((await both()).valid).toBe(true);
      const at = async (sequence: number) =>
        (
          await env.sql<Record<string, unknown>>(
            'SELECT id, metadata, hash, chain_hash FROM audit_event WHERE tenant_id = ? AND sequence = ?',
            [TENANT, sequence],
          )
        )[0];
      const e33 = await at(33);
      await env.sql('UPDATE audit_event SET metadata = ? WHERE id = ?', ['{"changed":true}', e33.id]);
      expect((await both()).firstFailure).toMatchObject({ sequence: 33, reason: 'HASH_MISMATCH' });
      await env.sql('UPDATE audit_event SET metadata = ? WHERE id = ?', ['{broken', e33.id]);
      expect((await both()).firstFailure).toMatchObject({ sequence: 33, reason: 'HASH_MISMATCH' });
      await env.sql('UPDATE audit_event SET metadata = ? WHERE id = ?', [e33.metadata, e33.id]);
      const e50 = await at(50);
      await env.sql('UPDATE audit_event SET chain_hash = ? WHERE id = ?', ['f'.repeat(64), e50.id]);
      expect((await both()).firstFailure).toMatchObject({ sequence: 50, reason: 'CHAIN_MISMATCH' });
      await env.sql('UPDATE audit_event SET chain_hash = ? WHERE id = ?', [e50.chain_hash, e50.id]);
      const e60 = await at(60);
      await env.sql('UPDATE audit_event SET sequence = ? WHERE id = ?', [1_000_000, e60.id]);
      expect((await both()).firstFailure).toMatchObject({ sequence: 60, reason: 'SEQUENCE_GAP' });
      await env.sql('UPDATE audit_event SET sequence = ? WHERE id = ?', [60, e60.id]);
      expect((await both()).valid).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('history re-chained in the database with its tree and checkpoints fixed up fails a kept checkpoint: TRUSTED_CHECKPOINT_MISMATCH', async () => {
    await rechainFromEvent10(env);
    expect(await verify()).toMatchObject({ valid: true, checkpointsChecked: 0 });
    const result = await verify({ checkpoints: [noteA] });
    expect(result.firstFailure).toMatchObject({ sequence: 40, reason: 'TRUSTED_CHECKPOINT_MISMATCH' });
  });
});

describe('verifyAuditChain re-computes the tree of a kept checkpoint from the events', () => {
  let env: TestEnvironment;
  let auditor: string;
  const signing = generateKeyPairSync('ed25519');

  beforeAll(async () => {
    env = await createTestEnvironment({ DATAPUNK_SIGNING_KEY: signing.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    auditor = await env.createKey('AUDITOR', TENANT);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('history re-chained under a stored subtree: the consistency proof holds, the re-hashed events’ root does not', async () => {
    const ingest = await env.createKey('INGEST', TENANT);
    const record = async (n: number) =>
      expect(
        (await env.gql(RECORD, { input: { events: Array.from({ length: n }, () => eventInput()) } }, ingest)).body.errors,
      ).toBeUndefined();
    // 256 events: the tree's first 256 leaves are one stored subtree (level 8), which a proof from 256 reads as stored.
    await record(256);
    const kept = (await env.gql(CREATE, {}, auditor)).body.data!.createCheckpoint.note as string;
    await record(44);
    await rechainFromEvent10(env);
    const verify = async (trust?: Record<string, unknown>, from?: number) =>
      (await env.gql<{ verifyAuditChain: Verification }>(VERIFY, { trust, from }, auditor)).body.data!.verifyAuditChain;
    expect(await verify()).toMatchObject({ valid: true, checkedCount: 300 });
    // A range from 2 has no events' root to compare: only the stored tree's proof, which still holds.
    expect(await verify({ checkpoints: [kept] }, 2)).toMatchObject({ valid: true, trustedCheckpointsChecked: 1 });
    const result = await verify({ checkpoints: [kept] });
    expect(result).toMatchObject({ valid: false, checkedCount: 256 });
    expect(result.firstFailure).toMatchObject({ sequence: 256, reason: 'TRUSTED_CHECKPOINT_MISMATCH' });
    expect(result.firstFailure!.message).toContain('no longer hash to the root');
  });
});
