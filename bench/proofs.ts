/**
 * The Merkle proof part of `npm run bench` (BENCH_ONLY=proofs runs it alone; ADR 0047):
 * BENCH_PROOF_EVENTS (default 1,000,000) events recorded through the ingest service in batches of
 * 1,000 (so the tree is kept by the append path itself), on SQLite and on a fresh MariaDB
 * database, then BENCH_PROOF_COUNT (default 1,000) inclusion proofs of random events and as many
 * consistency proofs from random sizes, each against the whole tree, one at a time, through the
 * service the resolvers use. Every proof is verified (outside the timing) with the RFC 9162
 * verifier, against the root of the first proof. Prints per database the median and p99 as
 * `proof_inclusion_ms_<db>{p50|p99}=<ms>` and `proof_consistency_ms_<db>{…}=<ms>`
 * (target: < 5 ms each, issue 13).
 */
import { benchEvent, onBothDatabases, runAsScript, withSeededApp } from './in-process';
import { leafHash, verifyConsistency, verifyInclusion } from '../src/chain/merkle';

const EVENTS = Number(process.env.BENCH_PROOF_EVENTS ?? 1_000_000);
const COUNT = Number(process.env.BENCH_PROOF_COUNT ?? 1000);

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
      for (const [name, xs] of [
        ['inclusion', inclusion],
        ['consistency', consistency],
      ] as const) {
        console.log(`proof_${name}_ms_${label}{p50}=${quantile(xs, 0.5).toFixed(2)}`);
        console.log(`proof_${name}_ms_${label}{p99}=${quantile(xs, 0.99).toFixed(2)}`);
      }
    },
  );
}

/** Runs on SQLite, then on a fresh MariaDB database that it drops afterwards. */
export async function proofBench(): Promise<void> {
  await onBothDatabases('proofs', benchOne);
}

if (require.main === module) runAsScript(proofBench);
