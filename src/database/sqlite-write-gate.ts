import type { Database as SqliteDatabase } from 'better-sqlite3';

/**
 * Orders, inside one process, the SQLite writes that run on another connection of the same file
 * (a prune's deletion batches in their worker thread, ADR 0043 amended 2026-12-07) against the
 * appends on the server's connection (ADR 0043, amended 2026-12-07: the write gate). Without it an append that meets a batch holding
 * the write lock waits in SQLite's busy handler, which sleeps the event loop in steps of up to
 * 100 ms; with it the append waits asynchronously until the batch has committed, and a batch
 * starts only once the appends that waited for the one before have run.
 *
 * Only writers of this process are ordered: another process's transactions still meet the
 * busy handler (and SQLite's write lock still orders everything, so correctness does not rest on
 * this gate).
 */
export class SqliteWriteGate {
  /** Settles when the batch in flight ends; null when none is. */
  private inFlight: Promise<void> | null = null;
  /** Appends waiting for the batch in flight: the next batch lets them run first. */
  private waiting = 0;
  /** Appends that came to the gate since the last batch started. */
  private arrived = 0;
  /** How long the last batch held the gate, in ms. */
  private lastBatchMs = 0;

  /**
   * @param shareMs the most time appends get between two batches while they keep coming: half the
   * batch before, at most this. A client that appends one call after another then gets more than
   * the one call a batch that the waiters alone would get, and a prune with no appends around
   * waits for nothing.
   */
  constructor(private readonly shareMs = 25) {}

  /** For an append: null when no batch is in flight (go on synchronously), else when it has ended. */
  passage(): Promise<void> | null {
    this.arrived += 1;
    const batch = this.inFlight;
    if (!batch) return null;
    this.waiting += 1;
    return batch.then(() => {
      this.waiting -= 1;
    });
  }

  /** Runs a batch on the other connection: after the appends that waited, and with appends held off until it ends. */
  async batch<T>(run: () => Promise<T>): Promise<T> {
    for (;;) {
      // Each waiting append runs its synchronous transaction in the turn its wait settles.
      while (this.waiting > 0 || this.inFlight) {
        if (this.inFlight) await this.inFlight.catch(() => undefined);
        else await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (this.arrived === 0) break;
      // Appends came during the last cycle: they get a share of the time before the next batch.
      this.arrived = 0;
      const share = Math.min(this.shareMs, this.lastBatchMs / 2);
      if (share > 0) await new Promise<void>((resolve) => setTimeout(resolve, share));
      if (!this.inFlight && this.waiting === 0) break;
    }
    this.arrived = 0;
    let end!: () => void;
    this.inFlight = new Promise<void>((resolve) => (end = resolve));
    const started = performance.now();
    try {
      return await run();
    } finally {
      this.lastBatchMs = performance.now() - started;
      this.inFlight = null;
      end();
    }
  }
}

const gates = new WeakMap<SqliteDatabase, SqliteWriteGate>();

/** The gate of the server's connection `db` (one per connection, shared by the chain store and the prune). */
export function sqliteWriteGate(db: SqliteDatabase): SqliteWriteGate {
  let gate = gates.get(db);
  if (!gate) gates.set(db, (gate = new SqliteWriteGate()));
  return gate;
}
