/**
 * The Merkle proof part of `npm run bench` (BENCH_ONLY=proofs runs it alone; ADR 0047):
 * BENCH_PROOF_EVENTS (default 1,000,000) events recorded through the ingest service in batches of
 * 1,000 (so the tree is kept by the append path itself), on SQLite and on a fresh MariaDB
 * database, then BENCH_PROOF_COUNT (default 1,000) inclusion proofs of random events and as many
 * consistency proofs from random sizes, each against the whole tree, one at a time, through the
 * service the resolvers use. Every proof is verified (outside the timing) with the RFC 9162
 * verifier, against the root of the first proof. Prints per database the median and p99 as
 * `proof_inclusion_ms_<db>{p50|p99}=<ms>` and `proof_consistency_ms_<db>{…}=<ms>`
 * (target: < 5 ms each, issue 13). Then, after one checkpoint, as many offline proof bundles of
 * random events (ADR 0049: the stored event re-hashed, its proof and the note), each checked with
 * `verifyProofBundle` outside the timing, as `proof_bundle_ms_<db>{p50|p99}=<ms>`, and the bundle
 * file of a report listing BENCH_BUNDLE_REPORT_EVENTS (default 1,000) events in a row, as
 * `report_bundles_ms_<db>{events=<n>}=<ms>`.
 */
import { benchEvent, onBothDatabases, runAsScript, withSeededApp } from './in-process';
import { createPublicKey } from 'node:crypto';
import { leafHash, verifyConsistency, verifyInclusion } from '../src/chain/merkle';
import { parseProofBundles, verifyProofBundle } from '../src/chain/proof-bundle';

const EVENTS = Number(process.env.BENCH_PROOF_EVENTS ?? 1_000_000);
const COUNT = Number(process.env.BENCH_PROOF_COUNT ?? 1000);
const REPORT_EVENTS = Number(process.env.BENCH_BUNDLE_REPORT_EVENTS ?? 1000);

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];
const b64 = (s: string) => Buffer.from(s, 'base64');

async function benchOne(label: string, databaseUrl?: string): Promise<void> {
  const start = Date.now() - 3_600_000;
  const seeding = Date.now();
  await withSeededApp(
    'proofs',
    databaseUrl,
    EVENTS,
    (i) => benchEvent(i, new Date(start + i)),
    async (app) => {
      console.log(`# proofs: ${EVENTS} events seeded through ingest in ${((Date.now() - seeding) / 1000).toFixed(1)} s on ${label}`);
      const proofs = app.services.proofs;
      const events = app.services.events;
      const inclusion: number[] = [];
      const consistency: number[] = [];
      let root: Buffer | null = null;
      for (let i = 0; i < COUNT; i += 1) {
        const sequence = 1 + Math.floor(Math.random() * EVENTS);
        const t0 = process.hrtime.bigint();
        const p = await proofs.inclusion('default', sequence, EVENTS);
        inclusion.push(Number(process.hrtime.bigint() - t0) / 1e6);
        root ??= b64(p.rootHash);
        const [event] = await events.findBySequences('default', [sequence]);
        const leaf = leafHash(Buffer.from(event.hash, 'hex'));
        if (!verifyInclusion(sequence - 1, EVENTS, leaf, p.hashes.map(b64), root).ok)
          throw new Error(`inclusion proof of ${sequence} failed`);
      }
      for (let i = 0; i < COUNT; i += 1) {
        const fromSize = 1 + Math.floor(Math.random() * (EVENTS - 1));
        const t0 = process.hrtime.bigint();
        const p = await proofs.consistency('default', fromSize, EVENTS);
        consistency.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (!verifyConsistency(fromSize, EVENTS, b64(p.fromRoot), root!, p.hashes.map(b64)).ok) {
          throw new Error(`consistency proof from ${fromSize} failed`);
        }
      }
      await app.services.checkpoints.issue('default');
      const key = { name: null, publicKey: createPublicKey(app.services.verifier.trustedKeys[0].publicKeyPem) };
      const bundle: number[] = [];
      for (let i = 0; i < COUNT; i += 1) {
        const sequence = 1 + Math.floor(Math.random() * EVENTS);
        const t0 = process.hrtime.bigint();
        const { bundle: text } = await app.services.bundles.forEvent('default', sequence);
        bundle.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (!verifyProofBundle(parseProofBundles(text)[0], key).ok) throw new Error(`the bundle of ${sequence} failed`);
      }
      const first = 1 + Math.floor(Math.random() * Math.max(1, EVENTS - REPORT_EVENTS));
      const listed = Array.from({ length: Math.min(REPORT_EVENTS, EVENTS) }, (_, i) => first + i);
      const t0 = process.hrtime.bigint();
      const file = await app.services.bundles.forEvents('default', listed);
      const reportMs = Number(process.hrtime.bigint() - t0) / 1e6;
      if (!file.every((b) => verifyProofBundle(parseProofBundles(b.bundle)[0], key).ok)) throw new Error('a report bundle failed');
      for (const [name, xs] of [
        ['inclusion', inclusion],
        ['consistency', consistency],
        ['bundle', bundle],
      ] as const) {
        console.log(`proof_${name}_ms_${label}{p50}=${quantile(xs, 0.5).toFixed(2)}`);
        console.log(`proof_${name}_ms_${label}{p99}=${quantile(xs, 0.99).toFixed(2)}`);
      }
      console.log(`report_bundles_ms_${label}{events=${listed.length}}=${reportMs.toFixed(1)}`);
    },
  );
}

/** Runs on SQLite, then on a fresh MariaDB database that it drops afterwards. */
export async function proofBench(): Promise<void> {
  await onBothDatabases('proofs', benchOne);
}

if (require.main === module) runAsScript(proofBench);
