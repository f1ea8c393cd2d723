/**
 * Group commit of a tenant's appends (ADR 0052): the calls that arrive while the tenant's previous
 * group is being committed wait in a queue, and the next group — already waiting for the lock —
 * takes all of them (up to `maxEvents`) into one transaction once it has the lock, the way Tessera
 * batches integration. A call's promise settles only after the transaction that holds it
 * committed (or failed).
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

/**
 * A tenant's queue. `running`: groups started and not finished (at most two: one holding the
 * lock, one waiting for it). `untaken`: those of them that have not taken their calls yet (at most
 * one): while one is waiting for the lock, a new call joins it instead of starting another group,
 * which would find the queue empty once it had the lock — a transaction for nothing.
 */
interface Tenant<C, R> {
  waiting: Waiting<C, R>[];
  running: number;
  untaken: number;
}

export class GroupCommit<C extends { events: readonly unknown[] }, R> {
  /** Per tenant with work: the calls waiting for a group, and the groups running (at most two). */
  private readonly tenants = new Map<string, Tenant<C, R>>();

  constructor(
    /**
     * Commits one group: takes the lock, then calls `take` for the calls waiting at that moment
     * (none: nothing to do), and answers them in order.
     */
    private readonly commit: (tenantId: string, take: () => C[]) => Promise<Outcome<R>[]>,
    /** The most events a group takes (a call is never split: a group always takes at least one). */
    private readonly maxEvents: number,
    /** Told of each group committed: how many calls and events it held (the metrics). */
    private readonly observe: (stats: GroupStats) => void = () => undefined,
  ) {}

  /** Queues a call; resolves after its group committed. */
  submit(tenantId: string, call: C): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let tenant = this.tenants.get(tenantId);
      if (!tenant) this.tenants.set(tenantId, (tenant = { waiting: [], running: 0, untaken: 0 }));
      tenant.waiting.push({ call, resolve, reject });
      // One group holds the lock, the next one waits for it: it takes its calls only once it has
      // the lock, so every call that arrived meanwhile joins it.
      this.startIfNeeded(tenantId, tenant);
    });
  }

  /** Starts a group for the waiting calls unless one that will take them is already started. */
  private startIfNeeded(tenantId: string, tenant: Tenant<C, R>): void {
    if (tenant.waiting.length && tenant.untaken === 0 && tenant.running < 2) this.start(tenantId, tenant);
  }

  private start(tenantId: string, tenant: Tenant<C, R>): void {
    tenant.running += 1;
    tenant.untaken += 1;
    // In a microtask: the calls submitted by the same synchronous code (several batches handed
    // over at once) share the group. A promise, not setImmediate: fake timers (a plugin's tests on
    // the sandbox) do not stop it.
    void Promise.resolve().then(() => this.run(tenantId, tenant));
  }

  private async run(tenantId: string, tenant: Tenant<C, R>): Promise<void> {
    // Set by `take` (inside `commit`): the calls of this group.
    const mine: { group: Waiting<C, R>[] | null } = { group: null };
    const take = (): C[] => {
      if (mine.group) return mine.group.map((w) => w.call);
      tenant.untaken -= 1;
      let events = 0;
      let n = 0;
      const { waiting } = tenant;
      while (n < waiting.length && (n === 0 || events + waiting[n].call.events.length <= this.maxEvents)) {
        events += waiting[n].call.events.length;
        n += 1;
      }
      mine.group = waiting.splice(0, n);
      // Calls past maxEvents, or arriving from now on, go to the next group, which waits for the lock.
      this.startIfNeeded(tenantId, tenant);
      return mine.group.map((w) => w.call);
    };
    try {
      const outcomes = await this.commit(tenantId, take);
      const taken = mine.group ?? [];
      if (taken.length) this.observe({ calls: taken.length, events: taken.reduce((n, w) => n + w.call.events.length, 0) });
      outcomes.forEach((o, i) => (o.ok ? taken[i].resolve(o.value) : taken[i].reject(o.error)));
    } catch (error) {
      // Failed before taking its calls (the lock never came: CHAIN_BUSY): the calls that waited for it get the error.
      if (mine.group === null) take();
      for (const w of mine.group ?? []) w.reject(error);
    } finally {
      if (mine.group === null) tenant.untaken -= 1; // `commit` answered without taking its calls
      tenant.running -= 1;
      this.startIfNeeded(tenantId, tenant);
      if (tenant.running === 0 && this.tenants.get(tenantId) === tenant) this.tenants.delete(tenantId);
    }
  }
}
