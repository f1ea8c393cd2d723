/**
 * The witness part of `npm run bench` (BENCH_ONLY=witness runs it alone; ADR 0050): a
 * `datapunk-audit witness` server on loopback with a state directory on this machine's disk, and
 * BENCH_WITNESS_COUNT (default 500) add-checkpoint requests over HTTP, one at a time, for a log
 * growing to BENCH_WITNESS_LEAVES (default 1,000,000) leaves: each with a consistency proof from the
 * size cosigned before. Every answer must be a cosignature that verifies (checked outside the
 * timing). Prints `witness_add_checkpoint_ms{p50|p99}=<ms>` (the whole round trip: the log's
 * signature, the proof, the synced state write and the cosignature) and
 * `witness_add_checkpoints_per_s=<n>` (one client, from the round trips alone). No database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { runAsScript } from './in-process';
import { parseWitnessKey, verifyCosignatures } from '../src/chain/cosignature';
import { buildProof, consistencyPlan, leafHash, nodeHash, rootFrom, type SubtreeRef } from '../src/chain/merkle';
import { checkpointText, signatureLine, signedNote, verifierKey } from '../src/chain/signed-note';
import { addCheckpointBody } from '../src/chain/witness-protocol';
import { WitnessState } from '../src/witness/witness-state';
import { Witness } from '../src/witness/witness.service';
import { startWitnessServer } from '../src/witness/witness.server';

const COUNT = Number(process.env.BENCH_WITNESS_COUNT ?? 500);
const LEAVES = Number(process.env.BENCH_WITNESS_LEAVES ?? 1_000_000);
const ORIGIN = 'bench.example/log';

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

/** Every perfect subtree of a tree of LEAVES leaves, by level: what proofs and roots are folded from. */
function levels(): Buffer[][] {
  const all: Buffer[][] = [Array.from({ length: LEAVES }, (_, i) => leafHash(createHash('sha256').update(`event ${i}`).digest()))];
  while (all[all.length - 1].length > 1) {
    const below = all[all.length - 1];
    all.push(Array.from({ length: Math.floor(below.length / 2) }, (_, i) => nodeHash(below[2 * i], below[2 * i + 1])));
  }
  return all;
}

export async function witnessBench(): Promise<void> {
  const tree = levels();
  const subtree = (r: SubtreeRef) => tree[r.level][r.index];
  const log = generateKeyPairSync('ed25519');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-bench-witness-'));
  const state = WitnessState.open(dir);
  const witness = new Witness({
    name: 'bench.example/witness',
    privateKey: generateKeyPairSync('ed25519').privateKey,
    logKeys: [verifierKey(ORIGIN, log.publicKey)],
    state,
  });
  const server = await startWitnessServer(witness, '127.0.0.1', 0);
  const witnessKey = parseWitnessKey(witness.verifierKey);
  try {
    const times: number[] = [];
    let old = 0;
    for (let i = 1; i <= COUNT; i += 1) {
      const size = Math.max(1, Math.floor((LEAVES * i) / COUNT));
      const text = checkpointText(ORIGIN, size, rootFrom(size, subtree));
      const note = signedNote(text, [signatureLine(text, ORIGIN, log.privateKey, log.publicKey)]);
      const proof = old === 0 || old === size ? [] : buildProof(consistencyPlan(old, size), subtree);
      const body = addCheckpointBody(old, proof, note);
      const t0 = process.hrtime.bigint();
      const res = await fetch(`${server.url}/add-checkpoint`, { method: 'POST', body });
      const answer = await res.text();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (res.status !== 200 || !verifyCosignatures(note + answer, [witnessKey], 1).ok) {
        throw new Error(`the witness refused size ${size} from ${old}: ${res.status} ${answer}`);
      }
      old = size;
    }
    const seconds = times.reduce((a, b) => a + b, 0) / 1000;
    console.log(`# witness: ${COUNT} checkpoints cosigned up to ${LEAVES} leaves, state in ${os.tmpdir()}`);
    console.log(`witness_add_checkpoint_ms{p50}=${quantile(times, 0.5).toFixed(2)}`);
    console.log(`witness_add_checkpoint_ms{p99}=${quantile(times, 0.99).toFixed(2)}`);
    console.log(`witness_add_checkpoints_per_s=${(COUNT / seconds).toFixed(0)}`);
  } finally {
    await server.close();
    state.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) runAsScript(witnessBench);
