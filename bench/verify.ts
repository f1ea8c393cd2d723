/**
 * The verification part of `npm run bench` (BENCH_ONLY=verify runs it alone): BENCH_VERIFY_EVENTS
 * (default 60,000) events recorded through the ingest service in batches of 1,000, on SQLite (a
 * temporary file) and on MariaDB (a fresh database), then the whole chain re-computed by the
 * verifier the server uses, with its cache off so every round re-hashes. Prints, per database, the
 * median of BENCH_VERIFY_ROUNDS (default 3) as `verify_events_per_second_<db>=<n>`, and the longest
 * stretch the event loop was held during one verification as `verify_max_loop_block_ms_<db>=<ms>`.
 */
import { benchEvent, loopBlockMeter, onBothDatabases, runAsScript, withSeededApp } from './in-process';

const EVENTS = Number(process.env.BENCH_VERIFY_EVENTS ?? 60_000);
const ROUNDS = Number(process.env.BENCH_VERIFY_ROUNDS ?? 3);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function benchOne(label: string, databaseUrl?: string): Promise<void> {
  const start = Date.now() - 3_600_000;
  await withSeededApp(
    'verify',
    databaseUrl,
    EVENTS,
    (i) => benchEvent(i, new Date(start + i)),
    async (app) => {
      const rates: number[] = [];
      const blocks: number[] = [];
      for (let r = 0; r < ROUNDS; r += 1) {
        const meter = loopBlockMeter();
        const started = process.hrtime.bigint();
        const result = await app.services.verifier.verify('default');
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        blocks.push(meter.stop());
        if (!result.valid || result.checkedCount < EVENTS) throw new Error(`verification failed: ${JSON.stringify(result.firstFailure)}`);
        rates.push(result.checkedCount / seconds);
      }
      console.log(`verify_events_per_second_${label}=${Math.round(median(rates))}`);
      console.log(`verify_max_loop_block_ms_${label}=${median(blocks).toFixed(1)}`);
    },
  );
}

/** Runs on SQLite, then on a fresh MariaDB database that it drops afterwards. */
export async function verifyBench(): Promise<void> {
  await onBothDatabases('verify', benchOne);
}

if (require.main === module) runAsScript(verifyBench);
