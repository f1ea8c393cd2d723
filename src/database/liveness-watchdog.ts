/** How the watchdog asks the server whether it is alive, and what it fails statements with. */
export interface LivenessWatchdogOptions {
  /** A statement outstanding this long makes the watchdog ask the server. */
  stallMs: number;
  /** Between pings while the server does not answer. */
  retryMs: number;
  /** True when the server answered in time (an error packet is an answer too); never rejects. */
  ping(signal: AbortSignal): Promise<boolean>;
  /** What outstanding and new statements fail with while the server does not answer. */
  silenceError(): Error;
  /**
   * Pings in a row that must go unanswered before the server counts as silent (default 2): one
   * lost ping (a DNS hiccup, a login stuck behind a full thread pool) fails nothing.
   */
  missesBeforeSilent?: number;
}

interface Watched {
  since: number;
  fail: (error: Error) => void;
}

/**
 * A server frozen or cut off mid-statement cannot enforce its own statement limit, and a slow
 * statement on a live server looks the same from the client. So when a statement has been
 * outstanding for `stallMs`, ask the server on a connection of its own: a live server answers a
 * ping at once however busy it is. Two unanswered pings in a row fail every statement sent before
 * the second, and new ones are refused until a ping answers again. Nothing runs while no statement is outstanding and the server answers.
 */
export class LivenessWatchdog {
  /** In insertion order, so the first entry is the oldest. */
  private readonly outstanding = new Map<object, Watched>();
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private pinging = false;
  private silent = false;
  /** Unanswered pings in a row. */
  private misses = 0;

  constructor(private readonly options: LivenessWatchdogOptions) {}

  /** The error to fail a new statement with at once while the server does not answer, else null. */
  refusal(): Error | null {
    return this.silent ? this.options.silenceError() : null;
  }

  /** Watches one statement; `fail` ends it if the server goes silent. Call the result when it settles. */
  watch(fail: (error: Error) => void): () => void {
    if (this.stopping.signal.aborted) return () => undefined;
    const key = {};
    this.outstanding.set(key, { since: performance.now(), fail });
    if (!this.timer && !this.pinging) this.schedule(this.options.stallMs);
    return () => {
      this.outstanding.delete(key);
      if (this.outstanding.size === 0 && !this.silent) this.cancel();
    };
  }

  /** Ends the watch for good (the pool is closing): no timer, the ping in flight aborted. */
  stop(): void {
    this.stopping.abort();
    this.cancel();
    this.outstanding.clear();
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.check();
    }, ms);
    this.timer.unref();
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async check(): Promise<void> {
    if (!this.silent) {
      const oldest = this.outstanding.values().next().value;
      if (!oldest) return;
      const age = performance.now() - oldest.since;
      if (age < this.options.stallMs) return this.schedule(this.options.stallMs - age);
    }
    this.pinging = true;
    const askedAt = performance.now();
    const answered = await this.options.ping(this.stopping.signal);
    this.pinging = false;
    if (this.stopping.signal.aborted) return;
    if (answered) {
      this.silent = false;
      this.misses = 0;
      if (this.outstanding.size) this.schedule(this.options.stallMs);
      return;
    }
    this.misses += 1;
    if (!this.silent && this.misses < (this.options.missesBeforeSilent ?? 2)) return this.schedule(this.options.retryMs);
    this.silent = true;
    // Only statements sent before the unanswered ping: a later one is judged by the next ping.
    const error = this.options.silenceError();
    for (const [key, watched] of [...this.outstanding]) {
      if (watched.since > askedAt) continue;
      this.outstanding.delete(key);
      watched.fail(error);
    }
    this.schedule(this.options.retryMs);
  }
}
