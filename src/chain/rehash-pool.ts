import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RehashPage, RehashResult } from './rehash';

/** Worker threads a verifier re-hashes on by default: the cores left beside the server's thread, 1 to 4. */
export const DEFAULT_REHASH_WORKERS = Math.max(1, Math.min(4, os.availableParallelism() - 1));

/**
 * The worker script. Built, it sits beside this module; under the test runner this module is
 * TypeScript, and the worker runs the build of it (`npm run build`, which `npm test` runs first).
 */
export function rehashWorkerScript(): string {
  const beside = path.join(__dirname, 'rehash-worker.js');
  if (fs.existsSync(beside)) return beside;
  const built = path.resolve(__dirname, '../../dist/src/chain/rehash-worker.js');
  if (fs.existsSync(built)) return built;
  throw new Error(`the verification worker ${beside} is missing: run npm run build`);
}

interface Slot {
  worker: Worker;
  /** Pages sent and not answered yet. */
  busy: number;
  waiting: Map<number, { resolve: (r: RehashResult) => void; reject: (e: Error) => void }>;
}

/**
 * A few worker threads that re-hash pages of events for the chain verifier (ADR 0051), so the
 * event loop only reads pages and compares. Started on first use; a worker holds the process only
 * while it has a page, so an idle pool never keeps a CLI or a stopped server alive. A worker that
 * dies fails the pages it held (the verification then fails) and is replaced on the next page.
 */
export class RehashPool {
  private readonly slots: Slot[] = [];
  private next = 0;
  private closed = false;

  constructor(readonly size: number = DEFAULT_REHASH_WORKERS) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`a rehash pool has at least one worker, not ${size}`);
  }

  /** Re-hashes one page on the least busy worker. */
  run(page: RehashPage): Promise<RehashResult> {
    if (this.closed) return Promise.reject(new Error('the verification workers were stopped'));
    const slot = this.pick();
    const id = (this.next += 1);
    return new Promise<RehashResult>((resolve, reject) => {
      slot.waiting.set(id, { resolve, reject });
      if (slot.busy === 0) slot.worker.ref();
      slot.busy += 1;
      slot.worker.postMessage({ id, page });
    });
  }

  /** Stops every worker; pages in flight fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private pick(): Slot {
    if (this.slots.length < this.size && this.slots.every((s) => s.busy > 0)) return this.start();
    return this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  private start(): Slot {
    const worker = new Worker(rehashWorkerScript());
    worker.unref();
    const slot: Slot = { worker, busy: 0, waiting: new Map() };
    const settle = () => {
      slot.busy -= 1;
      if (slot.busy === 0) worker.unref();
    };
    worker.on('message', (m: { id: number; result?: RehashResult; error?: string }) => {
      const waiter = slot.waiting.get(m.id);
      if (!waiter) return;
      slot.waiting.delete(m.id);
      settle();
      if (m.result) waiter.resolve(m.result);
      else waiter.reject(new Error(`a verification worker failed: ${m.error}`));
    });
    const lost = (why: Error) => {
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      for (const waiter of slot.waiting.values()) waiter.reject(why);
      slot.waiting.clear();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`a verification worker exited (${code})`)));
    this.slots.push(slot);
    return slot;
  }
}
