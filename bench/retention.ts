/**
 * The retention part of `npm run bench` (BENCH_ONLY=prune runs it alone; ADR 0043):
 * BENCH_PRUNE_EVENTS (default 1,000,000) events recorded through the ingest service in batches of
 * 1,000, on SQLite (a temporary file) and on MariaDB (a fresh database), then one prune of the
 * whole prefix (a FRAMEWORK rule with a one-day maximum, judged two days later): the prefix
 * verified, the anchor signed, the prune event recorded, every event deleted in batches. While it
 * runs, one-event appends are sent back to back. Prints, per database, `prune_seconds_<db>` (the
 * whole prune), `prune_events_per_second_<db>`, `prune_max_append_ms_<db>` (the slowest of those
 * appends: how long ingest waited at most), `prune_appends_per_second_<db>` (how many of them
 * completed: how far ingest kept up) and `prune_max_loop_block_ms_<db>`.
 */
import { RetentionSelector } from '../src/retention/retention-policy';
import { benchEvent, loopBlockMeter, onBothDatabases, runAsScript, withSeededApp } from './in-process';

const EVENTS = Number(process.env.BENCH_PRUNE_EVENTS ?? 1_000_000);
const DAY = 86_400_000;

async function benchOne(label: string, databaseUrl?: string): Promise<void> {
  const start = Date.now() - 3_600_000;
  const make = (i: number) => benchEvent(i, new Date(start + (i % 3_000_000)));
  await withSeededApp('prune', databaseUrl, EVENTS, make, async (app) => {
    const actor = { tenantId: 'default', keyId: null, requestId: 'bench-prune' };
    await app.services.retention.addRule(actor, { selector: RetentionSelector.FRAMEWORK, value: 'soc2', maxDays: 1 });

    const meter = loopBlockMeter();
    let pruning = true;
    let slowest = 0;
    let appended = 0;
    const appends = (async () => {
      for (let i = 0; pruning; i += 1, appended += 1) {
        const started = performance.now();
        await app.services.ingest.record('default', [make(EVENTS + i)]);
        slowest = Math.max(slowest, performance.now() - started);
        // A SQLite append resolves at once: without a turn of the loop here the prune would never run.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    })();
    const started = performance.now();
    const result = await app.services.retention.prune(actor, { now: new Date(Date.now() + 2 * DAY) });
    const seconds = (performance.now() - started) / 1000;
    pruning = false;
    await appends;
    const blocked = meter.stop();
    if (result.deleted < EVENTS) throw new Error(`pruned ${result.deleted} of ${EVENTS} events`);
    const verified = await app.services.verifier.verify('default');
    if (!verified.valid || verified.prunedPrefix?.throughSequence !== result.throughSequence) {
      throw new Error(`the pruned chain does not verify: ${JSON.stringify(verified.firstFailure)}`);
    }
    console.log(`prune_seconds_${label}=${seconds.toFixed(1)} (${result.deleted} events)`);
    console.log(`prune_events_per_second_${label}=${Math.round(result.deleted / seconds)}`);
    console.log(`prune_max_append_ms_${label}=${slowest.toFixed(1)}`);
    console.log(`prune_appends_per_second_${label}=${Math.round(appended / seconds)}`);
    console.log(`prune_max_loop_block_ms_${label}=${blocked.toFixed(1)}`);
  });
}

/** Runs on SQLite, then on a fresh MariaDB database that it drops afterwards (BENCH_PRUNE_DB=sqlite or mariadb: one of them). */
export async function pruneBench(): Promise<void> {
  await onBothDatabases('prune', benchOne, process.env.BENCH_PRUNE_DB);
}

if (require.main === module) runAsScript(pruneBench);
