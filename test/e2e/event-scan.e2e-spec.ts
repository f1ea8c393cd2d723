import { encodeCursor, type ListedEvent, type StoredEvent } from '../../src/audit/audit-event.repository';
import { SortOrder } from '../../src/audit/audit-event.types';
import { RECORD, createTestEnvironment, eventInput, type TestEnvironment } from '../helpers/test-environment';

/**
 * `scanAscending`, the read behind a report's event tables (ADR 0029, amended 2026-12-08): the
 * statement made once, a page at a time after a sequence, only the listed columns. It must list
 * the same events, opened the same way, as `findPage` does page by page.
 */
describe('AuditEventRepository.scanAscending', () => {
  let env: TestEnvironment;
  const TENANT = 'default';

  const listed = (e: StoredEvent): ListedEvent => {
    const { tenantId: _t, recordedAt: _r, requestId: _q, sessionId: _s, sourceService: _o, idempotencyKey: _i, chainHash: _c, ...rest } = e;
    return rest;
  };

  beforeAll(async () => {
    env = await createTestEnvironment();
    const events = Array.from({ length: 7 }, (_, i) =>
      eventInput({
        action: i % 2 === 0 ? 'auth.login' : 'record.read',
        // People: their fields are sealed under their subject keys (ADR 0042).
        actor: { id: `person-${i % 3}`, type: 'USER', displayName: `Person ${i % 3}`, ip: `198.51.100.${i}`, userAgent: 'jest' },
        resource: { type: 'customer', id: `customer-${i}`, name: `Customer ${i}` },
        outcome: i === 3 ? { status: 'FAILURE', reason: 'denied by policy' } : { status: 'SUCCESS' },
        metadata: { n: i },
      }),
    );
    const res = await env.gql(RECORD, { input: { events } });
    expect(res.body.errors).toBeUndefined();
  });
  afterAll(() => env?.close());

  async function allPages(filter: Parameters<typeof env.app.services.events.findPage>[1], size: number) {
    const scan = await env.app.services.events.scanAscending(TENANT, filter);
    const pages: { events: ListedEvent[]; hasNextPage: boolean }[] = [];
    let after: number | null = null;
    for (;;) {
      const page = await scan(after, size);
      pages.push(page);
      if (!page.hasNextPage) return pages;
      after = page.events[page.events.length - 1].sequence;
    }
  }

  it('lists what findPage lists, page by page, opened', async () => {
    for (const filter of [undefined, { actionPrefix: 'record.' }, { actorId: 'person-1' }]) {
      const scanned = await allPages(filter, 3);
      const expected: { events: ListedEvent[]; hasNextPage: boolean }[] = [];
      let after: string | null = null;
      for (;;) {
        const page = await env.app.services.events.findPage(TENANT, filter, 3, after, SortOrder.ASC);
        expected.push({ events: page.events.map(listed), hasNextPage: page.hasNextPage });
        if (!page.hasNextPage) break;
        after = encodeCursor(page.events[page.events.length - 1].sequence);
      }
      expect(scanned).toEqual(expected);
      expect(scanned.flatMap((p) => p.events).length).toBe(filter === undefined ? 7 : filter.actionPrefix ? 3 : 2);
    }
    const [all] = await allPages(undefined, 10);
    expect(all.events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => all.events[0].sequence + n - 1));
    // Opened: the stored row holds a subject reference, the listing the person's id and name.
    expect(all.events[1]).toMatchObject({ actor: { id: 'person-1', displayName: 'Person 1', ip: '198.51.100.1' } });
    expect(all.events[3].outcome).toEqual({ status: 'FAILURE', reason: 'denied by policy' });
    expect(all.events[1]).not.toHaveProperty('sealed');
    const [row] = await env.sql<{ actor_id: string }>('SELECT actor_id FROM audit_event WHERE tenant_id = ? AND sequence = ?', [
      TENANT,
      all.events[1].sequence,
    ]);
    expect(row.actor_id).not.toBe('person-1');
  });

  it('reads only after the sequence it is given, and refuses a page size that is not a positive integer', async () => {
    const scan = await env.app.services.events.scanAscending(TENANT, undefined);
    const first = await scan(null, 2);
    expect(first.hasNextPage).toBe(true);
    const next = await scan(first.events[1].sequence, 2);
    expect(next.events[0].sequence).toBe(first.events[1].sequence + 1);
    expect(await scan(first.events[0].sequence + 100, 5)).toEqual({ events: [], hasNextPage: false });
    for (const size of [0, -1, 1.5, Number.NaN]) await expect(scan(null, size)).rejects.toThrow(RangeError);
  });
});
