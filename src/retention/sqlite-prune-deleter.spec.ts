import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { ActorType, Classification, OutcomeStatus, Severity } from '../audit/audit-event.model';
import { createChainStore } from '../chain/chain-store';
import { createDataSource } from '../database/data-source';
import { prepareEvents } from '../ingest/event-validation';
import type { BatchGuard } from './prune-batch';
import { SqlitePruneDeleter } from './sqlite-prune-deleter';

const LIMITS = { maxStringLength: 4096, maxMetadataBytes: 65536, maxOccurredAtAgeMs: Number.MAX_SAFE_INTEGER, maxClockSkewMs: 60_000 };
const TENANT = 't1';
const NOW = Date.parse('2026-12-07T12:00:00.000Z');

/** 30 events over three days, every third with categories (two of them). */
const events = () =>
  Array.from({ length: 30 }, (_, i) => ({
    occurredAt: new Date(NOW - (3 - Math.floor(i / 10)) * 86_400_000).toISOString(),
    actor: { id: `u${i % 4}`, type: ActorType.USER },
    action: i % 2 ? 'auth.login' : 'record.read',
    resource: { type: 'record', id: `r${i}` },
    outcome: { status: OutcomeStatus.SUCCESS },
    severity: Severity.INFO,
    classification: Classification.INTERNAL,
    categories: i % 3 === 0 ? ['PII', 'HEALTH'] : [],
  }));

const guard = (kept: BatchGuard['kept'], ruleIds: string[] = []): BatchGuard => ({ kept, holdIds: new Set(), ruleIds });

async function withDatabase(location: string, use: (ds: DataSource) => Promise<void>): Promise<void> {
  const ds = createDataSource({ database: { dialect: 'sqlite', location }, poolSize: 1 });
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
    await createChainStore(ds).append(TENANT, prepareEvents(events(), LIMITS, { classify: null, trusted: true, now: NOW }));
    await ds.query("INSERT INTO chain_prune (tenant_id, pruned_through, deleted_through, lease_owner) VALUES (?, 20, 0, 'me')", [TENANT]);
    await use(ds);
  } finally {
    await ds.destroy();
  }
}

/** What the tables hold: events and labels left, the rollup's total and lowest sequence, chain_prune. */
async function tables(ds: DataSource) {
  const [e] = await ds.query('SELECT COUNT(*) AS n, MIN(sequence) AS lo FROM audit_event WHERE tenant_id = ?', [TENANT]);
  const [l] = await ds.query('SELECT COUNT(*) AS n, MIN(sequence) AS lo FROM audit_event_label WHERE tenant_id = ?', [TENANT]);
  const [r] = await ds.query('SELECT SUM(event_count) AS n, MIN(min_sequence) AS lo FROM audit_event_rollup WHERE tenant_id = ?', [TENANT]);
  const [p] = await ds.query('SELECT deleted_through, deleted_chain_hash FROM chain_prune WHERE tenant_id = ?', [TENANT]);
  const [h] = await ds.query('SELECT chain_hash FROM audit_event WHERE tenant_id = ? AND sequence = 14', [TENANT]);
  return { events: e, labels: l, rollup: r, prune: p, hash14: h?.chain_hash };
}

/** Runs the same batches on a file (the worker thread) and on `:memory:` (the server's thread). */
describe('SqlitePruneDeleter (ADR 0043, amended 2026-12-07)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-prune-deleter-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['a worker thread', 'file'],
    ['the server thread', ':memory:'],
  ])('in %s: deletes by range, stops before an event to keep, takes the counts out of the rollup', async (_, where) => {
    const location = where === 'file' ? path.join(dir, `db-${Date.now()}.sqlite`) : ':memory:';
    await withDatabase(location, async (ds) => {
      const deleter = SqlitePruneDeleter.open(ds);
      try {
        const keep15 = guard({ text: 'e.sequence = ?', params: [15] });
        const lease = '2099-01-01 00:00:00.000';
        // Another owner's lease: nothing deleted.
        expect(await deleter.batch(TENANT, 'other', lease, keep15, 10)).toMatchObject({ lost: true, deleted: 0 });
        // Rules that are not the guard's: stale, nothing deleted.
        expect(await deleter.batch(TENANT, 'me', lease, guard(keep15.kept, ['rule-x']), 10)).toMatchObject({ stale: true, deleted: 0 });
        const first = await deleter.batch(TENANT, 'me', lease, keep15, 10);
        expect(first).toMatchObject({ deletedThrough: 10, deleted: 10, stoppedAt: null, done: false });
        expect(first.lastRecorded).toMatch(/^\d{4}-\d\d-\d\dT/);
        expect(first.newestOccurred).toBe(new Date(NOW - 3 * 86_400_000).toISOString());
        const second = await deleter.batch(TENANT, 'me', lease, keep15, 10);
        expect(second).toMatchObject({ deletedThrough: 14, deleted: 4, stoppedAt: 15 });
        const after = await tables(ds);
        expect(after.events).toEqual({ n: 16, lo: 15 });
        // Kept events with categories (every third from sequence 1): 16, 19, 22, 25, 28, two labels each.
        expect(after.labels).toEqual({ n: 10, lo: 16 });
        expect(after.rollup).toEqual({ n: 16, lo: 15 });
        expect(after.prune.deleted_through).toBe(14);
        expect(after.prune.deleted_chain_hash).toHaveLength(64);
      } finally {
        await deleter.close();
      }
    });
  });

  it("on a file, an append of this process issued while a batch runs waits for the batch's commit (the write gate), not in SQLite's busy handler", async () => {
    await withDatabase(path.join(dir, `gate-${Date.now()}.sqlite`), async (ds) => {
      const deleter = SqlitePruneDeleter.open(ds);
      const store = createChainStore(ds);
      try {
        const order: string[] = [];
        const batch = deleter.batch(TENANT, 'me', '2099-01-01 00:00:00.000', guard({ text: '0 = 1', params: [] }), 10).then((r) => {
          order.push('batch');
          return r;
        });
        const append = store
          .append(TENANT, prepareEvents(events().slice(0, 1), LIMITS, { classify: null, trusted: true, now: NOW }))
          .then((r) => {
            order.push('append');
            return r;
          });
        const [deleted, appended] = await Promise.all([batch, append]);
        expect(order).toEqual(['batch', 'append']);
        expect(deleted).toMatchObject({ deletedThrough: 10, deleted: 10 });
        expect(appended.receipts[0].sequence).toBe(31);
      } finally {
        await deleter.close();
      }
    });
  });
});
