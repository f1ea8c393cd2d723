/**
 * The verification part of `npm run bench` (BENCH_ONLY=verify runs it alone): BENCH_VERIFY_EVENTS
 * (default 60,000) events recorded through the ingest service in batches of 1,000 (timed: the
 * ingest rate of this run), on SQLite (a temporary file) and on MariaDB (a fresh database), then the
 * whole chain re-computed by the verifier the server uses (re-hashing on its worker threads, ADR
 * 0051), with its cache off so every round re-hashes, and, interleaved round by round, by the same
 * verifier hashing on the server's thread. While each pooled round runs, /healthz is polled one
 * request at a time. Prints, per database, medians of BENCH_VERIFY_ROUNDS (default 3) rounds:
 * `verify_events_per_second_<db>`, `ingest_events_per_second_<db>`, `verify_vs_ingest_ratio_<db>`
 * (target ≥ 2), `healthz_p99_ms_during_verify_<db>` (target < 100), `verify_max_loop_block_ms_<db>`,
 * and for the server's thread `verify_events_per_second_thread_<db>`, `verify_workers_vs_thread_ratio_<db>`
 * and `healthz_p99_ms_during_verify_thread_<db>`.
 */
import 'reflect-metadata';
import { ChainVerifier } from '../src/chain/chain-verifier';
import { benchEvent, loopBlockMeter, onBothDatabases, runAsScript, withSeededApp } from './in-process';

const EVENTS = Number(process.env.BENCH_VERIFY_EVENTS ?? 60_000);
const ROUNDS = Number(process.env.BENCH_VERIFY_ROUNDS ?? 3);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))];

/** Polls `url` one request at a time until `stop()`, which resolves with each answer's latency in ms. */
function pollHealth(url: string): { stop: () => Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = process.hrtime.bigint();
      const res = await fetch(url);
      await res.text();
      if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return latencies;
    },
  };
}

async function benchOne(label: string, databaseUrl?: string): Promise<void> {
  const start = Date.now() - 3_600_000;
  await withSeededApp(
    'verify',
    databaseUrl,
    EVENTS,
    (i) => benchEvent(i, new Date(start + i)),
    async (app, seeded) => {
      const { verifier, events, checkpoints } = app.services;
      const onThread = new ChainVerifier(app.dataSource, events, checkpoints, { trustedKeys: [...verifier.trustedKeys], pool: null });
      const healthz = `http://127.0.0.1:${app.port}/healthz`;
      const rates: number[] = [];
      const threadRates: number[] = [];
      const blocks: number[] = [];
      const health: number[] = [];
      const threadHealth: number[] = [];
      const timed = async (v: ChainVerifier) => {
        const started = process.hrtime.bigint();
        const result = await v.verify('default');
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (!result.valid || result.checkedCount < EVENTS) throw new Error(`verification failed: ${JSON.stringify(result.firstFailure)}`);
        return result.checkedCount / seconds;
      };
      for (let r = 0; r < ROUNDS; r += 1) {
        const meter = loopBlockMeter();
        const poll = pollHealth(healthz);
        rates.push(await timed(verifier));
        health.push(p99(await poll.stop()));
        blocks.push(meter.stop());
        const threadPoll = pollHealth(healthz);
        threadRates.push(await timed(onThread));
        threadHealth.push(p99(await threadPoll.stop()));
      }
      const rate = median(rates);
      console.log(`verify_events_per_second_${label}=${Math.round(rate)}`);
      console.log(`ingest_events_per_second_${label}=${Math.round(seeded.eventsPerSecond)}`);
      console.log(`verify_vs_ingest_ratio_${label}=${(rate / seeded.eventsPerSecond).toFixed(2)}`);
      console.log(`healthz_p99_ms_during_verify_${label}=${median(health).toFixed(1)}`);
      console.log(`verify_max_loop_block_ms_${label}=${median(blocks).toFixed(1)}`);
      console.log(`verify_events_per_second_thread_${label}=${Math.round(median(threadRates))}`);
      console.log(`verify_workers_vs_thread_ratio_${label}=${(rate / median(threadRates)).toFixed(2)}`);
      console.log(`healthz_p99_ms_during_verify_thread_${label}=${median(threadHealth).toFixed(1)}`);
    },
  );
}

/** Runs on SQLite, then on a fresh MariaDB database that it drops afterwards. */
export async function verifyBench(): Promise<void> {
  await onBothDatabases('verify', benchOne);
}

if (require.main === module) runAsScript(verifyBench);
