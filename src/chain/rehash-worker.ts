/** The worker thread of rehash-pool.ts: re-hashes the pages it is sent, one at a time, in order. */
import { parentPort } from 'node:worker_threads';
import { type RehashPage, rehashPage } from './rehash';

parentPort?.on('message', ({ id, page }: { id: number; page: RehashPage }) => {
  try {
    parentPort!.postMessage({ id, result: rehashPage(page) });
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
