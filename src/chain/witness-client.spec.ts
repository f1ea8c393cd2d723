import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { parseWitnessKey, verifyCosignatures } from './cosignature';
import { buildProof, consistencyPlan, leafHash } from './merkle';
import { checkpointText, signatureLine, signedNote, verifierKey } from './signed-note';
import { addCheckpointBody } from './witness-protocol';
import { WitnessSubmitter } from './witness-client';
import { WitnessState } from '../witness/witness-state';
import { Witness } from '../witness/witness.service';
import { startWitnessServer, type WitnessServer } from '../witness/witness.server';
import { mth } from '../../test/helpers/reference-merkle';

const ORIGIN = 'example.com/log/t';
const log = generateKeyPairSync('ed25519');
const leaves = Array.from({ length: 20 }, (_, i) => leafHash(createHash('sha256').update(`e${i}`).digest()));
const proof = (m: number, n: number) =>
  buildProof(consistencyPlan(m, n), (r) => mth(leaves.slice(r.index * 2 ** r.level, (r.index + 1) * 2 ** r.level)));
const note = (n: number) => {
  const text = checkpointText(ORIGIN, n, mth(leaves.slice(0, n)));
  return signedNote(text, [signatureLine(text, ORIGIN, log.privateKey, log.publicKey)]);
};

describe('WitnessSubmitter', () => {
  let dir: string;
  let state: WitnessState;
  let witness: Witness;
  let server: WitnessServer;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-submit-'));
    state = WitnessState.open(dir);
    witness = new Witness({
      name: 'w.example',
      privateKey: generateKeyPairSync('ed25519').privateKey,
      logKeys: [verifierKey(ORIGIN, log.publicKey)],
      state,
    });
    server = await startWitnessServer(witness, '127.0.0.1', 0);
  });
  afterEach(async () => {
    await server.close();
    state.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function submitter(stored: Map<string, string>, warnings: string[], url = server.url, timeoutMs = 10_000) {
    return new WitnessSubmitter([{ url, key: parseWitnessKey(witness.verifierKey) }], 1, timeoutMs, {
      consistency: (_tenant, from, to) => Promise.resolve(proof(from, to)),
      cosignedSize: () => Promise.resolve(0), // this server remembers nothing: the witness's 409 says where it is
      store: (id, _name, line) => {
        stored.set(id, line);
        return Promise.resolve();
      },
      cosigners: (id) => Promise.resolve(stored.has(id) ? ['w.example'] : []),
      log: { warn: (_obj, msg) => warnings.push(msg) },
    });
  }

  it('follows a 409 to the size the witness holds and proves the new tree from there; the stored line verifies', async () => {
    expect((await witness.addCheckpoint(addCheckpointBody(0, [], note(7)))).status).toBe(200);
    const stored = new Map<string, string>();
    const warnings: string[] = [];
    const s = submitter(stored, warnings);
    s.submit({ tenantId: 't', checkpointId: 'c13', size: 13, note: note(13) });
    await s.idle();
    expect(warnings).toEqual([]);
    expect(verifyCosignatures(note(13) + stored.get('c13')!, [parseWitnessKey(witness.verifierKey)], 1).ok).toBe(true);
    expect(state.get(ORIGIN)?.size).toBe(13);
  });

  it('resubmits a checkpoint found owed at start to the named witnesses only, and never over a submission of the tenant under way', async () => {
    const stored = new Map<string, string>();
    const warnings: string[] = [];
    const s = submitter(stored, warnings);
    // A witness not configured (any more) is not asked.
    s.resubmit({ tenantId: 't', checkpointId: 'c5', size: 5, note: note(5) }, ['gone.example']);
    await s.idle();
    expect([stored.size, state.get(ORIGIN)]).toEqual([0, null]);
    s.resubmit({ tenantId: 't', checkpointId: 'c5', size: 5, note: note(5) }, ['w.example']);
    await s.idle();
    expect(verifyCosignatures(note(5) + stored.get('c5')!, [parseWitnessKey(witness.verifierKey)], 1).ok).toBe(true);
    // A new checkpoint submitted first wins over an owed older one derived meanwhile.
    s.submit({ tenantId: 't', checkpointId: 'c11', size: 11, note: note(11) });
    s.resubmit({ tenantId: 't', checkpointId: 'c9', size: 9, note: note(9) }, ['w.example']);
    await s.idle();
    expect([...stored.keys()].sort()).toEqual(['c11', 'c5']);
    expect(state.get(ORIGIN)?.size).toBe(11);
    expect(warnings).toEqual([]);
  });

  it('keeps only the newest waiting checkpoint of a tenant; a witness that is down costs a warning and is asked again later', async () => {
    const url = server.url;
    const stored = new Map<string, string>();
    const warnings: string[] = [];
    const s = submitter(stored, warnings);
    s.submit({ tenantId: 't', checkpointId: 'c5', size: 5, note: note(5) });
    s.submit({ tenantId: 't', checkpointId: 'c9', size: 9, note: note(9) });
    s.submit({ tenantId: 't', checkpointId: 'c12', size: 12, note: note(12) });
    await s.idle();
    expect([...stored.keys()]).toEqual(['c5', 'c12']);
    await server.close();
    s.submit({ tenantId: 't', checkpointId: 'c20', size: 20, note: note(20) });
    await s.idle();
    expect(stored.has('c20')).toBe(false);
    expect(warnings).toEqual([
      'a witness did not answer (down, too slow, or too long an answer); it is asked again',
      'checkpoint lacks its witness quorum (WITNESS_QUORUM)',
    ]);
    // Back on its port, it is asked again on the next tick, without a new checkpoint.
    server = await startWitnessServer(witness, '127.0.0.1', Number(new URL(url).port));
    s.retryUnanswered();
    await s.idle();
    expect(verifyCosignatures(note(20) + stored.get('c20')!, [parseWitnessKey(witness.verifierKey)], 1).ok).toBe(true);
  });

  it('gives up on a witness that never answers (timeout) or answers without end (bounded), with a warning', async () => {
    let mode: 'silent' | 'flood' = 'silent';
    const sockets = new Set<Socket>();
    const bad = http.createServer((_req, res) => {
      if (mode === 'silent') return; // holds the request open
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('— w.example '.padEnd(200_000, 'A'));
    });
    bad.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => bad.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(bad.address() as AddressInfo).port}`;
    try {
      for (const m of ['silent', 'flood'] as const) {
        mode = m;
        const stored = new Map<string, string>();
        const warnings: string[] = [];
        const s = submitter(stored, warnings, url, 300);
        s.submit({ tenantId: 't', checkpointId: `c-${m}`, size: 5, note: note(5) });
        await s.idle();
        expect(stored.size).toBe(0);
        expect(warnings[0]).toBe('a witness did not answer (down, too slow, or too long an answer); it is asked again');
      }
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => bad.close(resolve));
    }
  });
});
