/** The worker thread of seal-pool.ts: seals the shares of batches it is sent, one at a time, in order. */
import { parentPort } from 'node:worker_threads';
import { IvPool } from './privacy-key';
import { ipPseudonymWith, type SealContext, sealEvent } from './seal-event';
import type { SealJob, SealResult } from './seal-pool';

const ivs = new IvPool();

function sealJob(job: SealJob): SealResult {
  // Buffers arrive as Uint8Arrays.
  const pseudonymKey = Buffer.from(job.pseudonymKey);
  const key = (s: { ref: string; key: Uint8Array } | null) => (s === null ? null : { ref: s.ref, key: Buffer.from(s.key) });
  const ctx: SealContext = {
    clearMetadataKeys: new Set(job.clearMetadataKeys),
    ipPseudonym: (ip) => ipPseudonymWith(pseudonymKey, ip),
    iv: () => ivs.next(),
  };
  const masks = new Map<string, number>();
  // An event naming no subject is stored as sent.
  const sealed = job.events.map((e, i) =>
    job.actors[i] === null && job.resources[i] === null
      ? e
      : sealEvent(ctx, job.tenantId, e, key(job.actors[i]), key(job.resources[i]), masks),
  );
  return { sealed, masks: [...masks] };
}

parentPort?.on('message', ({ id, job }: { id: number; job: SealJob }) => {
  try {
    parentPort!.postMessage({ id, result: sealJob(job) });
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
