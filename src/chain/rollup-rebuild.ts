import type { QueryRunner } from 'typeorm';
import { placeholders, toNumber } from '../database/sql-format';
import { rollupGroups, rollupKeyOf, ROLLUP_COLUMNS } from './chain-append';
import { MYSQL_ROLLUP_UPSERT, SQLITE_ROLLUP_UPSERT } from './chain-store';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, retryTransient } from '../database/transient-retry';

const UPSERT = { sqlite: SQLITE_ROLLUP_UPSERT, mysql: MYSQL_ROLLUP_UPSERT };
const CHUNK = 5000;

const dayOf = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value)).slice(0, 10);

export interface RebuildOptions {
  /** Only these tenants; default every tenant with a chain. */
  tenants?: string[];
  /**
   * Take each tenant's chain lock for its rebuild, in a transaction of its own, so that the appends
   * of running servers wait. For a process of its own (the CLI): on SQLite the transaction is
   * opened on the connection it is given. Off inside a migration, which already runs in one.
   */
  lock?: boolean;
  /** With `lock`: how long the short locked transaction is redone after a deadlock or certification failure (ADR 0054; see rebuildRetry). */
  retry?: RetryPolicy;
}

/**
 * The least retry budget of a rebuild's locked transaction (unless retries are off): an operator's
 * job may wait longer than a client's request, and on a Galera cluster each append of the tenant
 * through another node while it runs aborts it, so it needs a quiet moment, not a quick one.
 */
export const REBUILD_MIN_BUDGET_MS = 120_000;

/** The policy of a rebuild's locked transaction, from the data source's. */
export const rebuildRetry = (policy: RetryPolicy): RetryPolicy =>
  policy.budgetMs <= 0 ? policy : { ...policy, budgetMs: Math.max(policy.budgetMs, REBUILD_MIN_BUDGET_MS) };

/** A tenant's rollup rows being counted: by key (joined), the row's key values and its counts. */
type Tally = Map<string, { key: (string | number)[]; count: number; minSequence: number; maxSequence: number }>;

/**
 * Recomputes audit_event_rollup from the stored events: per tenant, deletes its rows and adds them
 * up again, 5,000 events at a time, grouped as the append path groups them (chain-append.ts
 * rollupKey). Idempotent: running it twice gives the same rows. Returns the events counted.
 */
export async function rebuildRollup(q: QueryRunner, dialect: 'sqlite' | 'mysql', options: RebuildOptions = {}): Promise<number> {
  const heads: { tenant_id: string; sequence: unknown }[] = await q.query('SELECT tenant_id, sequence FROM chain_head');
  const wanted = options.tenants ? new Set(options.tenants) : null;
  let counted = 0;
  for (const { tenant_id: tenant } of heads.filter((h) => !wanted || wanted.has(h.tenant_id))) {
    if (options.lock) {
      counted += await rebuildLocked(q, dialect, tenant, options.retry ?? rebuildRetry(DEFAULT_RETRY_POLICY));
      continue;
    }
    const [row] = (await q.query('SELECT sequence FROM chain_head WHERE tenant_id = ?', [tenant])) as { sequence: unknown }[];
    const head = toNumber(row?.sequence ?? 0);
    await q.query('DELETE FROM audit_event_rollup WHERE tenant_id = ?', [tenant]);
    for (let from = 1; from <= head; from += CHUNK) {
      const tally: Tally = new Map();
      counted += await addChunk(q, tenant, from, Math.min(head, from + CHUNK - 1), tally);
      await writeTally(q, dialect, tally);
    }
  }
  return counted;
}

/** How far a prune has deleted the tenant's events (0: never pruned). */
async function deletedThrough(q: QueryRunner, tenant: string): Promise<number> {
  const [row] = (await q.query('SELECT deleted_through FROM chain_prune WHERE tenant_id = ?', [tenant])) as { deleted_through: unknown }[];
  return toNumber(row?.deleted_through ?? 0);
}

/**
 * A tenant's rebuild beside live appends, which on a Galera cluster may come through another node
 * (ADR 0054): a lock held across the whole recount would be certified against every append of the
 * tenant committed meanwhile, and lose each time. So the events up to the head seen first are
 * counted without a lock (events are immutable, sequences gapless: those counts are final), and
 * only the events appended since, and the swap of the tenant's rows, run under the chain lock, in a
 * short transaction redone within the retry budget. A prune that deleted events meanwhile makes the
 * locked transaction count everything again.
 */
async function rebuildLocked(q: QueryRunner, dialect: 'sqlite' | 'mysql', tenant: string, retry: RetryPolicy): Promise<number> {
  const [first] = (await q.query('SELECT sequence FROM chain_head WHERE tenant_id = ?', [tenant])) as { sequence: unknown }[];
  const seen = toNumber(first?.sequence ?? 0);
  const pruned = await deletedThrough(q, tenant);
  const before: Tally = new Map();
  let countedBefore = 0;
  for (let from = 1; from <= seen; from += CHUNK)
    countedBefore += await addChunk(q, tenant, from, Math.min(seen, from + CHUNK - 1), before);
  return retryTransient(retry, async () => {
    // SQLite: an immediate transaction holds the write lock; MariaDB: the chain head row lock.
    if (dialect === 'sqlite') await q.query('BEGIN IMMEDIATE');
    else await q.startTransaction('READ COMMITTED');
    try {
      const [row] = (await q.query(`SELECT sequence FROM chain_head WHERE tenant_id = ?${dialect === 'mysql' ? ' FOR UPDATE' : ''}`, [
        tenant,
      ])) as { sequence: unknown }[];
      const head = toNumber(row?.sequence ?? 0);
      const recount = (await deletedThrough(q, tenant)) !== pruned;
      const tally: Tally = recount ? new Map() : new Map([...before].map(([k, v]) => [k, { ...v }]));
      let counted = recount ? 0 : countedBefore;
      for (let from = recount ? 1 : seen + 1; from <= head; from += CHUNK) {
        counted += await addChunk(q, tenant, from, Math.min(head, from + CHUNK - 1), tally);
      }
      await q.query('DELETE FROM audit_event_rollup WHERE tenant_id = ?', [tenant]);
      await writeTally(q, dialect, tally);
      if (dialect === 'sqlite') await q.query('COMMIT');
      else await q.commitTransaction();
      return counted;
    } catch (error) {
      if (dialect === 'sqlite') await q.query('ROLLBACK').catch(() => undefined);
      else await q.rollbackTransaction().catch(() => undefined);
      throw error;
    }
  });
}

async function writeTally(q: QueryRunner, dialect: 'sqlite' | 'mysql', tally: Tally): Promise<void> {
  const rows = [...tally.values()].map((g) => [...g.key, g.count, g.minSequence, g.maxSequence]);
  for (let i = 0; i < rows.length; i += 500) {
    const part = rows.slice(i, i + 500);
    await q.query(
      `INSERT INTO audit_event_rollup (${ROLLUP_COLUMNS.join(',')}) VALUES ${placeholders(part.length, ROLLUP_COLUMNS.length)}${UPSERT[dialect]}`,
      part.flat(),
    );
  }
}

/** Counts the events `from`..`to` of a tenant into `tally`; returns how many there were. */
async function addChunk(q: QueryRunner, tenant: string, from: number, to: number, tally: Tally): Promise<number> {
  const events: Record<string, unknown>[] = await q.query(
    'SELECT sequence, occurred_at, action, outcome_status, severity, classification, resource_type, actor_type FROM audit_event WHERE tenant_id = ? AND sequence BETWEEN ? AND ? ORDER BY sequence',
    [tenant, from, to],
  );
  const labels: { sequence: unknown; value: string }[] = await q.query(
    "SELECT sequence, value FROM audit_event_label WHERE tenant_id = ? AND kind = 'category' AND sequence BETWEEN ? AND ?",
    [tenant, from, to],
  );
  const categories = new Map<number, string[]>();
  for (const l of labels) categories.set(toNumber(l.sequence), [...(categories.get(toNumber(l.sequence)) ?? []), l.value]);
  const keys = events.map((e) =>
    rollupKeyOf(tenant, {
      day: dayOf(e.occurred_at),
      action: String(e.action),
      outcomeStatus: String(e.outcome_status),
      severity: toNumber(e.severity),
      classification: toNumber(e.classification),
      resourceType: String(e.resource_type),
      actorType: String(e.actor_type),
      categories: (categories.get(toNumber(e.sequence)) ?? []).sort(),
    }),
  );
  const links = events.map((e, index) => ({ index, sequence: toNumber(e.sequence) }));
  for (const g of rollupGroups(keys, (key) => key.join('\u0000'), links)) {
    const name = g.key.join('\u0000');
    const had = tally.get(name);
    if (!had) tally.set(name, { key: g.key, count: g.count, minSequence: g.minSequence, maxSequence: g.maxSequence });
    else {
      had.count += g.count;
      had.minSequence = Math.min(had.minSequence, g.minSequence);
      had.maxSequence = Math.max(had.maxSequence, g.maxSequence);
    }
  }
  return events.length;
}
