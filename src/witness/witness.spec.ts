import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { parseWitnessKey, verifyCosignatures } from '../chain/cosignature';
import { buildProof, consistencyPlan, leafHash } from '../chain/merkle';
import { checkpointText, signatureLine, signedNote, verifierKey } from '../chain/signed-note';
import { addCheckpointBody, parseAddCheckpointBody, TLOG_SIZE_CONTENT_TYPE } from '../chain/witness-protocol';
import { WitnessState } from './witness-state';
import { Witness, WitnessRefusal } from './witness.service';
import { DEFAULT_WITNESS_LIMITS, startWitnessServer, type WitnessServer } from './witness.server';
import { mth } from '../../test/helpers/reference-merkle';

const ORIGIN = 'example.com/log/tenant-a';
const log = generateKeyPairSync('ed25519');
const LOG_VKEY = verifierKey(ORIGIN, log.publicKey);
const leaves = Array.from({ length: 40 }, (_, i) => leafHash(createHash('sha256').update(`event ${i}`).digest()));

const root = (n: number, tree = leaves) => mth(tree.slice(0, n));
const proof = (m: number, n: number, tree = leaves) =>
  buildProof(consistencyPlan(m, n), (r) => mth(tree.slice(r.index * 2 ** r.level, (r.index + 1) * 2 ** r.level)));
const note = (n: number, tree = leaves, key = log.privateKey, origin = ORIGIN) => {
  const text = checkpointText(origin, n, root(n, tree));
  return signedNote(text, [signatureLine(text, origin, key, log.publicKey)]);
};

describe('datapunk-audit witness (C2SP tlog-witness)', () => {
  let dir: string;
  let state: WitnessState;
  let witness: Witness;
  const witnessKey = generateKeyPairSync('ed25519');

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-witness-'));
    state = WitnessState.open(dir);
    witness = new Witness({
      name: 'witness.example/w1',
      privateKey: witnessKey.privateKey,
      logKeys: [LOG_VKEY],
      state,
      now: () => new Date(1_700_000_000_000),
    });
  });
  afterEach(() => {
    state.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const add = (old: number, n: number, tree = leaves) =>
    witness.addCheckpoint(addCheckpointBody(old, old && old !== n ? proof(old, n, tree) : [], note(n, tree)));

  it('cosigns a first checkpoint and then only consistent extensions, with cosignature/v1 lines its verifier key checks', async () => {
    const first = await add(0, 10);
    expect(first.status).toBe(200);
    const key = parseWitnessKey(witness.verifierKey);
    const check = verifyCosignatures(note(10) + first.body, [key], 1);
    expect(check).toMatchObject({ ok: true, cosigned: [{ name: 'witness.example/w1', timestamp: 1_700_000_000 }] });
    expect((await add(10, 33)).status).toBe(200);
    expect(state.get(ORIGIN)).toMatchObject({ size: 33, root: root(33).toString('base64') });
    // The same checkpoint again is cosigned again; an old size that is not the stored one is a 409 with the size.
    expect((await add(33, 33)).status).toBe(200);
    const stale = await add(10, 40);
    expect(stale).toEqual({ status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, body: '33\n' });
    // Survives a restart: the state is on disk.
    state.close();
    state = WitnessState.open(dir);
    witness = new Witness({ name: 'witness.example/w1', privateKey: witnessKey.privateKey, logKeys: [LOG_VKEY], state });
    expect((await add(0, 40)).body).toBe('33\n');
  });

  it('refuses a rollback, a fork and a proof that does not verify, and keeps what it had', async () => {
    expect((await add(0, 20)).status).toBe(200);
    const forked = leaves.map((l, i) => (i === 5 ? leafHash(Buffer.from('forged')) : l));
    // A smaller tree (rolled back): the old size must be the stored one, and may not pass the checkpoint's.
    expect((await witness.addCheckpoint(addCheckpointBody(20, [], note(12)))).status).toBe(400);
    expect((await add(0, 12)).status).toBe(409);
    // A fork at the same size: 409; a fork that grew: the proof from the stored root fails, 422.
    const sameSize = await witness.addCheckpoint(addCheckpointBody(20, [], note(20, forked)));
    expect(sameSize.status).toBe(409);
    expect(sameSize.body.startsWith(WitnessRefusal.CONFLICT)).toBe(true);
    const grown = await add(20, 30, forked);
    expect(grown.status).toBe(422);
    expect(grown.body.startsWith(WitnessRefusal.INCONSISTENT)).toBe(true);
    const wrongProof = await witness.addCheckpoint(addCheckpointBody(20, proof(19, 30), note(30)));
    expect(wrongProof.status).toBe(422);
    expect(state.get(ORIGIN)).toMatchObject({ size: 20, root: root(20).toString('base64') });
  });

  it('answers malformed requests 400, unknown logs 404 and bad log signatures 403, with a code, and changes nothing', async () => {
    const good = addCheckpointBody(0, [], note(5));
    for (const body of [
      '',
      'old 01\n\n' + note(5),
      'old -1\n\n' + note(5),
      'new 0\n\n' + note(5),
      `old 0\nnot-base64!\n\n${note(5)}`,
      `old 0\n${Buffer.alloc(31).toString('base64')}\n\n${note(5)}`,
      `old 0\n${'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n'.repeat(64)}\n${note(5)}`,
      good.replace('\n5\n', '\n05\n'),
      good.slice(0, -1),
      'old 0\n\nno signatures\n',
      `old 3\n${proof(3, 5)
        .map((h) => `${h.toString('base64')}\n`)
        .join('')}`,
    ]) {
      const reply = await witness.addCheckpoint(body);
      expect({ body: JSON.stringify(body).slice(0, 60), status: reply.status }).toEqual({
        body: JSON.stringify(body).slice(0, 60),
        status: 400,
      });
      expect(reply.body.startsWith(`${WitnessRefusal.BAD_REQUEST}: `)).toBe(true);
    }
    const other = generateKeyPairSync('ed25519');
    expect((await witness.addCheckpoint(addCheckpointBody(0, [], note(5, leaves, log.privateKey, 'example.com/other')))).status).toBe(404);
    const forged = await witness.addCheckpoint(addCheckpointBody(0, [], note(5, leaves, other.privateKey)));
    expect(forged.status).toBe(403);
    expect(forged.body.startsWith(WitnessRefusal.BAD_SIGNATURE)).toBe(true);
    expect(state.get(ORIGIN)).toBeNull();
  });

  it('serialises concurrent requests of one origin: of two from the same old size one is cosigned, the other gets 409', async () => {
    const replies = await Promise.all([add(0, 10), add(0, 20), add(0, 30)]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    const winner = [10, 20, 30][replies.findIndex((r) => r.status === 200)];
    expect(replies.filter((r) => r.status === 409).map((r) => r.body)).toEqual([`${winner}\n`, `${winner}\n`]);
    expect(state.get(ORIGIN)?.size).toBe(winner);
  });

  it('reads the wire format both ways', () => {
    const body = addCheckpointBody(3, proof(3, 5), note(5));
    expect(parseAddCheckpointBody(body)).toEqual({ oldSize: 3, proof: proof(3, 5), note: note(5) });
  });

  describe('over HTTP', () => {
    let server: WitnessServer;
    beforeEach(async () => {
      server = await startWitnessServer(witness, '127.0.0.1', 0, {
        ...DEFAULT_WITNESS_LIMITS,
        maxBodyBytes: 4096,
        requestTimeoutMs: 1000,
        headersTimeoutMs: 1000,
        checkIntervalMs: 200,
      });
    });
    afterEach(() => server.close());

    const post = (body: string | Buffer, target = '/add-checkpoint', method = 'POST') =>
      fetch(`${server.url}${target}`, { method, body: method === 'POST' ? body : undefined });

    it('answers POST /add-checkpoint, 404 elsewhere, 405 for other methods', async () => {
      const res = await post(addCheckpointBody(0, [], note(8)));
      expect(res.status).toBe(200);
      expect(verifyCosignatures(note(8) + (await res.text()), [parseWitnessKey(witness.verifierKey)], 1).ok).toBe(true);
      const conflict = await post(addCheckpointBody(0, [], note(8)));
      expect({ status: conflict.status, type: conflict.headers.get('content-type'), body: await conflict.text() }).toEqual({
        status: 409,
        type: TLOG_SIZE_CONTENT_TYPE,
        body: '8\n',
      });
      expect((await post('', '/')).status).toBe(404);
      expect((await post('', '/add-checkpoint', 'GET')).status).toBe(405);
    });

    it('refuses a body over the bound (413) and one that is not UTF-8 (400), and stays up', async () => {
      const big = await post(`old 0\n\n${'x'.repeat(5000)}`);
      expect(big.status).toBe(413);
      const binary = await post(Buffer.from([0x6f, 0x6c, 0x64, 0x20, 0xff, 0xfe, 0x0a]));
      expect(binary.status).toBe(400);
      expect((await binary.text()).startsWith(WitnessRefusal.BAD_REQUEST)).toBe(true);
      expect((await post(addCheckpointBody(0, [], note(8)))).status).toBe(200);
    });

    it('cuts off a client that never finishes its body, and keeps answering others meanwhile', async () => {
      const { port } = new URL(server.url);
      const socket = net.connect(Number(port), '127.0.0.1');
      const closed = new Promise<string>((resolve) => {
        let answer = '';
        socket.on('data', (d: Buffer) => (answer += d.toString()));
        socket.on('close', () => resolve(answer));
      });
      socket.write('POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nold 0\n');
      expect((await post(addCheckpointBody(0, [], note(8)))).status).toBe(200);
      // Node's request timeout answers 408 and closes; the bound of the wait is jest's.
      expect(await closed).toMatch(/^HTTP\/1\.1 408/);
    });
  });
});
