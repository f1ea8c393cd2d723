/**
 * Group commit of a tenant's appends (ADR 0052): the calls that arrive while the tenant's previous
 * group is being committed wait in a queue, and the next group takes all of them (up to
 * `maxEvents`) into one transaction, the way Tessera batches integration. A call's promise settles
 * only after the transaction that holds it committed (or failed).
 *
 * `commit` answers per call: a call it refuses alone (an idempotency conflict, a constraint error)
 * is `{ ok: false }` and its neighbours commit. If `commit` throws, the group as a whole failed
 * (the chain stayed locked, the database went away): every call of it gets that error.
 */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Waiting<C, R> {
  call: C;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

export interface GroupStats {
  calls: number;
  events: number;
}

export class GroupCommit<C extends { events: readonly unknown[] }, R> {
  /** The tenants with a group being committed (or about to be): the calls waiting for the next one. */
  private readonly queues = new Map<string, Waiting<C, R>[]>();

  constructor(
    private readonly commit: (tenantId: string, calls: C[]) => Promise<Outcome<R>[]>,
    /** The most events a group takes (a call is never split: a group always takes at least one). */
    private readonly maxEvents: number,
    /** Told of each group committed: how many calls and events it held (the metrics). */
    private readonly observe: (stats: GroupStats) => void = () => undefined,
  ) {}

  /** Queues a call; resolves after its group committed. */
  submit(tenantId: string, call: C): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const waiting = this.queues.get(tenantId);
      if (waiting) {
        waiting.push({ call, resolve, reject });
        return;
      }
      this.queues.set(tenantId, [{ call, resolve, reject }]);
      // The first group starts in a microtask: the calls submitted by the same synchronous code
      // (several batches handed over at once) share its transaction. A promise, not setImmediate:
      // fake timers (a plugin's tests on the sandbox) do not stop it.
      void Promise.resolve().then(() => this.drain(tenantId));
    });
  }

  private async drain(tenantId: string): Promise<void> {
    const queue = this.queues.get(tenantId)!;
    while (queue.length) {
      let events = 0;
      let take = 0;
      while (take < queue.length && (take === 0 || events + queue[take].call.events.length <= this.maxEvents)) {
        events += queue[take].call.events.length;
        take += 1;
      }
      const group = queue.splice(0, take);
      try {
        const outcomes = await this.commit(
          tenantId,
          group.map((w) => w.call),
        );
        this.observe({ calls: group.length, events });
        outcomes.forEach((o, i) => (o.ok ? group[i].resolve(o.value) : group[i].reject(o.error)));
      } catch (error) {
        for (const w of group) w.reject(error);
      }
    }
    this.queues.delete(tenantId);
  }
}
