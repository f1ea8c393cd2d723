import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PreparedEvent } from '../chain/prepared-event';
import type { SealingSubject } from './seal-event';

/** One share of a batch for a sealing worker: the events and, by index, their subjects. */
export interface SealJob {
  tenantId: string;
  pseudonymKey: Buffer;
  clearMetadataKeys: string[];
  events: PreparedEvent[];
  actors: (SealingSubject | null)[];
  resources: (SealingSubject | null)[];
}

export interface SealResult {
  sealed: PreparedEvent[];
  /** Per subject reference, the fields sealed under it. */
  masks: [string, number][];
}

/**
 * The worker script. Built, it sits beside this module; under the test runner this module is
 * TypeScript, and the worker runs the build of it (`npm run build`, which `npm test` runs first).
 */
function sealWorkerScript(): string {
  const beside = path.join(__dirname, 'seal-worker.js');
  if (fs.existsSync(beside)) return beside;
  const built = path.resolve(__dirname, '../../dist/src/privacy/seal-worker.js');
  if (fs.existsSync(built)) return built;
  throw new Error(`the sealing worker ${beside} is missing: run npm run build`);
}

/**
 * One worker thread that seals a share of a large batch while the ingest thread seals the rest
 * (ADR 0052 amended 2026-12-07): AES-GCM and two HMACs an event are the largest pure CPU cost of
 * an append. Started on first use; it holds the process only while it has a job. A worker that
 * fails or dies fails the jobs it held (their batches are refused, nothing written) and is
 * replaced on the next job.
 */
export class SealPool {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, { resolve: (r: SealResult) => void; reject: (e: Error) => void }>();
  private next = 0;
  private closed = false;

  run(job: SealJob): Promise<SealResult> {
    if (this.closed) return Promise.reject(new Error('the sealing worker was stopped'));
    const worker = this.worker ?? this.start();
    const id = (this.next += 1);
    return new Promise<SealResult>((resolve, reject) => {
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, job });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }

  private start(): Worker {
    const worker = new Worker(sealWorkerScript());
    worker.unref();
    worker.on('message', (m: { id: number; result?: SealResult; error?: string }) => {
      const waiter = this.waiting.get(m.id);
      if (!waiter) return;
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) worker.unref();
      if (m.result) waiter.resolve(m.result);
      else waiter.reject(new Error(`the sealing worker failed: ${m.error}`));
    });
    const lost = (why: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const waiter of this.waiting.values()) waiter.reject(why);
      this.waiting.clear();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the sealing worker exited (${code})`)));
    this.worker = worker;
    return worker;
  }
}
