import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { parseWitnessKey, verifyCosignatures, type WitnessKey } from '../../src/chain/cosignature';
import { parseCheckpointText, parseNote, verifierKey } from '../../src/chain/signed-note';
import { addCheckpointBody } from '../../src/chain/witness-protocol';
import { createTestEnvironment, eventInput, RECORD, REPO_ROOT, type TestEnvironment } from '../helpers/test-environment';

/**
 * Witnesses (issue 13 part 4, ADR 0050): two `datapunk-audit witness` processes on loopback, a
 * server configured with both. Every new checkpoint is cosigned by both and served with their
 * cosignatures; a log rolled back in the database (newest rows and their checkpoints deleted) or
 * forked is refused by the witnesses, and its notes fail a quorum check. No timing: conditions are
 * polled with a generous bound.
 */
const CLI = path.join(REPO_ROOT, 'dist/src/cli.js');
// Several tests run the CLI a few times over (a second or more each on a busy machine).
jest.setTimeout(180_000);
const TENANT = 'witnessed';
const ORIGIN = `localhost/datapunk-audit/${TENANT}`;
const OTHER = 'witnessed-two';
const CREATE = 'mutation { createCheckpoint { id sequence note } }';
const CHECKPOINTS = '{ checkpoints(first: 10) { id sequence note } }';
const VERIFY = `query V($trust: ChainTrustInput) {
  verifyAuditChain(trust: $trust) { valid headSequence cosignedSize trustedCheckpointsChecked firstFailure { sequence reason } }
}`;
const CONSISTENCY = `query C($fromSize: SafeInt!, $toSize: SafeInt) { consistencyProof(fromSize: $fromSize, toSize: $toSize) { hashes } }`;

interface RunningWitness {
  url: string;
  vkey: string;
  key: WitnessKey;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a witness on a free loopback port; resolves with the URL and verifier key it prints. */
function startWitness(dir: string, name: string, logVkeys: string[], listen = '127.0.0.1:0'): Promise<RunningWitness> {
  const child = spawn(
    process.execPath,
    [CLI, 'witness', '--name', name, '--key', path.join(dir, `${name.replace(/\W/g, '_')}.pem`), '--init'].concat([
      '--state',
      path.join(dir, name.replace(/\W/g, '_')),
      '--listen',
      listen,
      ...logVkeys.flatMap((k) => ['--log', k]),
    ]),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /listening on (\S+)/.exec(out)?.[1];
      const vkey = /^vkey (\S+)$/m.exec(out)?.[1];
      if (url && vkey) {
        resolve({
          url,
          vkey,
          key: parseWitnessKey(vkey),
          process: child,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`witness exited with ${code}: ${err}`)));
  });
}

/** Polls `check` until it holds; fails after a bound far above any normal run. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never happened: ${what}`);
}

describe('witnesses cosign checkpoints, and refuse a rolled-back or forked log', () => {
  let env: TestEnvironment;
  let dir: string;
  let auditor: string;
  let ingest: string;
  let w1: RunningWitness;
  let w2: RunningWitness;
  let logVkey: string;
  const signing = generateKeyPairSync('ed25519');

  const record = async (n: number, action = 'auth.login') => {
    const res = await env.gql(RECORD, { input: { events: Array.from({ length: n }, () => eventInput({ action })) } }, ingest);
    expect(res.body.errors).toBeUndefined();
  };
  const create = async (): Promise<{ id: string; sequence: number; note: string }> => {
    const res = (await env.gql(CREATE, {}, auditor)).body;
    expect(res.errors).toBeUndefined();
    return res.data!.createCheckpoint;
  };
  const cosignersOf = async (checkpointId: string) =>
    (
      await env.sql<{ witness_name: string }>(
        'SELECT witness_name FROM checkpoint_cosignature WHERE checkpoint_id = ? ORDER BY witness_name',
        [checkpointId],
      )
    ).map((r) => r.witness_name);
  const served = async (id: string): Promise<string> => {
    const list = (await env.gql(CHECKPOINTS, {}, auditor)).body.data!.checkpoints as { id: string; note: string }[];
    return list.find((c) => c.id === id)!.note;
  };
  const verifyChain = async (trust?: Record<string, unknown>) => {
    const res = await env.gql(VERIFY, { trust }, auditor);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.verifyAuditChain as {
      valid: boolean;
      headSequence: number;
      cosignedSize: number | null;
      trustedCheckpointsChecked: number;
      firstFailure: { sequence: number; reason: string } | null;
    };
  };
  const verifyCli = (note: string, quorum: number, extra: string[] = []) => {
    const file = path.join(dir, `note-${Math.random().toString(36).slice(2)}.txt`);
    fs.writeFileSync(file, note);
    const args = [
      CLI,
      'verify-checkpoint',
      '--key',
      logVkey,
      '--witness-key',
      w1.vkey,
      '--witness-key',
      w2.vkey,
      '--quorum',
      String(quorum),
    ];
    return spawnSync(process.execPath, [...args, ...extra, file], { encoding: 'utf8' });
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-witnesses-'));
    logVkey = verifierKey(ORIGIN, signing.publicKey);
    const logs = [logVkey, verifierKey(`localhost/datapunk-audit/${OTHER}`, signing.publicKey)];
    [w1, w2] = await Promise.all([startWitness(dir, 'w1.test/witness', logs), startWitness(dir, 'w2.test/witness', logs)]);
    env = await createTestEnvironment({
      DATAPUNK_SIGNING_KEY: signing.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      WITNESSES: `${w1.url} ${w1.vkey},${w2.url} ${w2.vkey}`,
      WITNESS_QUORUM: '2',
      WITNESS_TIMEOUT_SECONDS: '30',
    });
    auditor = await env.createKey('AUDITOR', TENANT);
    ingest = await env.createKey('INGEST', TENANT);
  });
  afterAll(async () => {
    await env?.close();
    await Promise.all([w1?.stop(), w2?.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let first: { id: string; sequence: number; note: string };
  /** The checkpoint the witness that was down missed. */
  let missed: string;
  let second: { id: string; sequence: number; note: string };
  let headAtFirst: Record<string, unknown>;
  /** The second checkpoint's note as served, cosigned by both: what an auditor keeps. */
  let secondServed: string;

  it('submits each new checkpoint to both witnesses; the served note carries both cosignatures and verifies with quorum 2', async () => {
    await record(30);
    first = await create();
    [headAtFirst] = await env.sql('SELECT sequence, chain_hash, merkle_frontier FROM chain_head WHERE tenant_id = ?', [TENANT]);
    await eventually('both witnesses cosigned the first checkpoint', async () => (await cosignersOf(first.id)).length === 2);
    const note = await served(first.id);
    expect(parseNote(note).signatures.map((s) => s.name)).toEqual([ORIGIN, 'w1.test/witness', 'w2.test/witness']);
    expect(verifyCosignatures(note, [w1.key, w2.key], 2)).toMatchObject({ ok: true, invalid: [], missing: [] });
    const cli = verifyCli(note, 2);
    expect({ status: cli.status, out: cli.stdout }).toMatchObject({
      status: 0,
      out: expect.stringContaining(`verified: ${ORIGIN} size 30`),
    });
    // The next checkpoint goes from the size each witness holds, with a consistency proof.
    await record(45);
    second = await create();
    await eventually('both witnesses cosigned the second checkpoint', async () => (await cosignersOf(second.id)).length === 2);
    secondServed = await served(second.id);
    expect(verifyCosignatures(secondServed, [w1.key, w2.key], 2).ok).toBe(true);
    // verifyAuditChain checks the newest checkpoint against WITNESSES / WITNESS_QUORUM by default (ADR 0051).
    expect(await verifyChain()).toMatchObject({ valid: true, cosignedSize: second.sequence, firstFailure: null });
  });

  it('the verifier flags a note without its quorum, a changed cosignature and a wrong log key; unknown flags exit 2', async () => {
    const note = await served(second.id);
    const oneShort = note
      .split('\n')
      .filter((l) => !l.startsWith('— w2.test/witness'))
      .join('\n');
    expect(verifyCosignatures(oneShort, [w1.key, w2.key], 2)).toMatchObject({ ok: false, missing: ['w2.test/witness'] });
    expect(verifyCli(oneShort, 2).status).toBe(1);
    expect(verifyCli(oneShort, 1).status).toBe(0);
    // The cosignature of the first checkpoint pasted onto the second does not verify.
    const pasted = note.replace(/— w2\.test\/witness \S+\n/, /— w2\.test\/witness \S+\n/.exec(await served(first.id))![0]);
    expect(verifyCli(pasted, 1)).toMatchObject({ status: 1, stdout: expect.stringContaining('INVALID cosignature: w2.test/witness') });
    const stranger = generateKeyPairSync('ed25519');
    const wrongLog = spawnSync(process.execPath, [CLI, 'verify-checkpoint', '--key', verifierKey(ORIGIN, stranger.publicKey), '-'], {
      encoding: 'utf8',
    });
    expect(wrongLog.status).toBe(2); // "-" is no file
    const file = path.join(dir, 'second.txt');
    fs.writeFileSync(file, note);
    expect(spawnSync(process.execPath, [CLI, 'verify-checkpoint', '--key', verifierKey(ORIGIN, stranger.publicKey), file]).status).toBe(1);
    expect(spawnSync(process.execPath, [CLI, 'verify-checkpoint', '--key', logVkey, '--quorm', '1', file]).status).toBe(2);
  });

  it('prints a tenant’s log key from the server’s public key, and the witness command refuses bad arguments with exit 2', () => {
    const pem = path.join(dir, 'server.pub.pem');
    fs.writeFileSync(pem, signing.publicKey.export({ type: 'spki', format: 'pem' }));
    const printed = spawnSync(process.execPath, [CLI, 'verifier-key', '--public-key', pem, '--origin', ORIGIN], { encoding: 'utf8' });
    expect({ status: printed.status, out: printed.stdout }).toEqual({ status: 0, out: `${logVkey}\n` });
    const base = ['witness', '--name', 'w3.test', '--key', path.join(dir, 'w3.pem'), '--init', '--state', path.join(dir, 'w3')];
    for (const args of [
      [...base, '--log', logVkey, '--colour'],
      [...base.slice(2), '--log', logVkey],
      [...base, '--log', 'not+a+key'],
      ['witness', '--name', 'w3 test', ...base.slice(3), '--log', logVkey],
    ]) {
      const res = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
      expect({ args: args.join(' '), status: res.status }).toEqual({ args: args.join(' '), status: 2 });
    }
    // A second witness on a state directory in use is refused too.
    const taken = spawnSync(
      process.execPath,
      [
        CLI,
        'witness',
        '--name',
        'w1.test/witness',
        '--key',
        path.join(dir, 'w1_test_witness.pem'),
        '--state',
        path.join(dir, 'w1_test_witness'),
        '--log',
        logVkey,
        '--listen',
        '127.0.0.1:0',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect({ status: taken.status, err: taken.stderr }).toMatchObject({
      status: 2,
      err: expect.stringContaining('in use by witness process'),
    });
  });

  it('a rollback (newest rows and their checkpoints deleted, head rewound) and a fork built on it are refused by the witnesses', async () => {
    const s1 = first.sequence;
    const s2 = second.sequence;
    // The attacker deletes everything after the first checkpoint, checkpoints and cosignatures included.
    const later = await env.sql<{ id: string }>('SELECT id FROM checkpoint WHERE tenant_id = ? AND sequence > ?', [TENANT, s1]);
    for (const { id } of later) {
      await env.sql('DELETE FROM checkpoint_cosignature WHERE checkpoint_id = ?', [id]);
      await env.sql('DELETE FROM checkpoint WHERE id = ?', [id]);
    }
    await env.sql('DELETE FROM audit_event_label WHERE event_id IN (SELECT id FROM audit_event WHERE tenant_id = ? AND sequence > ?)', [
      TENANT,
      s1,
    ]);
    await env.sql('DELETE FROM audit_event WHERE tenant_id = ? AND sequence > ?', [TENANT, s1]);
    await env.sql('UPDATE chain_head SET sequence = ?, chain_hash = ?, merkle_frontier = ? WHERE tenant_id = ?', [
      headAtFirst.sequence,
      headAtFirst.chain_hash,
      headAtFirst.merkle_frontier,
      TENANT,
    ]);
    // The database alone no longer shows it (its newest checkpoint is the first, cosigned by both),
    // but the auditor's copy of the second checkpoint, cosigned by both witnesses, does.
    expect(await verifyChain()).toMatchObject({ valid: true, headSequence: s1, cosignedSize: s1 });
    const kept = await verifyChain({ checkpoints: [secondServed], witnessKeys: [w1.vkey, w2.vkey], witnessQuorum: 2 });
    expect(kept).toMatchObject({ valid: false, cosignedSize: s2, trustedCheckpointsChecked: 1 });
    expect(kept.firstFailure).toEqual({ sequence: s1 + 1, reason: 'ROLLED_BACK' });
    // The server signs a shorter, different history; the witnesses never cosign it, so the default
    // verification fails on its newest checkpoint.
    await record(5, 'auth.logout');
    const rolledBack = await create();
    expect(rolledBack.sequence).toBe(s1 + 5);
    expect((await verifyChain()).firstFailure).toEqual({ sequence: s1 + 5, reason: 'WITNESS_QUORUM_NOT_MET' });
    for (const w of [w1, w2]) {
      const res = await fetch(`${w.url}/add-checkpoint`, { method: 'POST', body: addCheckpointBody(s1, [], rolledBack.note) });
      expect({ status: res.status, body: await res.text() }).toEqual({ status: 409, body: `${s2}\n` });
    }
    // Grown past what the witnesses hold, the forked tree has no consistency proof from their root.
    await record(60, 'auth.logout');
    const forked = await create();
    expect(forked.sequence).toBeGreaterThan(s2);
    const proof = (await env.gql(CONSISTENCY, { fromSize: s2, toSize: forked.sequence }, auditor)).body.data!.consistencyProof
      .hashes as string[];
    for (const w of [w1, w2]) {
      const body = addCheckpointBody(
        s2,
        proof.map((h) => Buffer.from(h, 'base64')),
        forked.note,
      );
      const res = await fetch(`${w.url}/add-checkpoint`, { method: 'POST', body });
      expect({ status: res.status, code: (await res.text()).split(':')[0] }).toEqual({ status: 422, code: 'WITNESS_INCONSISTENT' });
    }
    // Their notes never get a cosignature: the verifier flags both.
    for (const c of [rolledBack, forked]) {
      const note = await served(c.id);
      expect(parseCheckpointText(parseNote(note).text).size).toBe(c.sequence);
      expect(verifyCosignatures(note, [w1.key, w2.key], 2)).toMatchObject({ ok: false, cosigned: [] });
      expect(verifyCli(note, 2)).toMatchObject({ status: 1, stdout: expect.stringContaining('the witness quorum is not met') });
    }
  });

  it('a witness that is down blocks neither ingest nor checkpoints; the other still cosigns', async () => {
    await w2.stop();
    const otherIngest = await env.createKey('INGEST', OTHER);
    const otherAuditor = await env.createKey('AUDITOR', OTHER);
    const res = await env.gql(RECORD, { input: { events: [eventInput({ action: 'auth.login' })] } }, otherIngest);
    expect(res.body.errors).toBeUndefined();
    const created = (await env.gql(CREATE, {}, otherAuditor)).body;
    expect(created.errors).toBeUndefined();
    const checkpoint = created.data!.createCheckpoint as { id: string };
    missed = checkpoint.id;
    await eventually('the witness that is up cosigned', async () => (await cosignersOf(checkpoint.id)).includes('w1.test/witness'));
    expect(await cosignersOf(checkpoint.id)).toEqual(['w1.test/witness']);
    const list = (await env.gql(CHECKPOINTS, {}, otherAuditor)).body.data!.checkpoints as { id: string; note: string }[];
    const note = list.find((c) => c.id === checkpoint.id)!.note;
    expect(verifyCosignatures(note, [w1.key, w2.key], 2)).toMatchObject({ ok: false, missing: ['w2.test/witness'] });
    expect(verifyCosignatures(note, [w1.key, w2.key], 1).ok).toBe(true);
    // Ingest goes on while w2 stays down.
    expect((await env.gql(RECORD, { input: { events: [eventInput({ action: 'auth.login' })] } }, otherIngest)).body.errors).toBeUndefined();
  });
  it('after a restart, the server asks the witness that missed the newest checkpoint again, with no new checkpoint and no timer', async () => {
    // w2 is back, on its address and state; nothing has told the server. Checkpoint timers are off
    // in tests (CHECKPOINT_INTERVAL_SECONDS=0), so only the restart can resubmit.
    w2 = await startWitness(
      dir,
      'w2.test/witness',
      [logVkey, verifierKey(`localhost/datapunk-audit/${OTHER}`, signing.publicKey)],
      new URL(w2.url).host,
    );
    expect(await cosignersOf(missed)).toEqual(['w1.test/witness']);
    const [{ n: before }] = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM checkpoint WHERE tenant_id = ?', [OTHER]);
    await env.restart();
    await eventually('the restarted server had w2 cosign the checkpoint it missed', async () => (await cosignersOf(missed)).length === 2);
    expect(await cosignersOf(missed)).toEqual(['w1.test/witness', 'w2.test/witness']);
    const [{ n: after }] = await env.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM checkpoint WHERE tenant_id = ?', [OTHER]);
    expect(Number(after)).toBe(Number(before));
    const otherAuditor = await env.createKey('AUDITOR', OTHER);
    const list = (await env.gql(CHECKPOINTS, {}, otherAuditor)).body.data!.checkpoints as { id: string; note: string }[];
    expect(verifyCosignatures(list.find((c) => c.id === missed)!.note, [w1.key, w2.key], 2)).toMatchObject({ ok: true, missing: [] });
  });
});
