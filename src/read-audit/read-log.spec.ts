import type { ServerEvent } from '../ingest/ingest.service';
import { Role } from '../access/role';
import { createLogger } from '../observability/logger';
import { READ_ACTION } from '../audit/read-record';
import { MAX_PENDING_RECORDS, ReadLog, type ReadAuditSettings } from './read-log';

const auditor = { keyId: 'k-auditor', tenantId: 'acme', role: Role.AUDITOR };
const admin = { keyId: 'k-admin', tenantId: 'acme', role: Role.ADMIN };
const elsewhere = { keyId: 'k-other', tenantId: 'globex', role: Role.AUDITOR };
const logger = createLogger('silent');
const settings: ReadAuditSettings = { enabled: true, flushSeconds: 0, scopesPerKey: 20, maxMetadataBytes: 16384 };

/** A sink that keeps every batch, or fails the next `failures` appends. */
function sink(failures = 0) {
  const batches: { tenantId: string; events: ServerEvent[] }[] = [];
  let left = failures;
  return {
    batches,
    events: () => batches.flatMap((b) => b.events),
    maxEventsPerBatch: 1000,
    recordServerEvents: async (tenantId: string, events: readonly ServerEvent[]) => {
      if (left > 0) {
        left -= 1;
        throw new Error('database down');
      }
      batches.push({ tenantId, events: [...events] });
    },
  };
}

const page = (filter: Record<string, unknown>, count: number) => [{ operation: 'Query.auditEvents', scope: { filter, first: 500 }, count }];

describe('ReadLog', () => {
  it('records one event per request, naming the key, the operation, the scope and the count returned', async () => {
    const out = sink();
    const log = new ReadLog(out, settings, logger);
    log.record(auditor, 'req-1', 'client-1', page({ actionPrefix: 'auth.' }, 500));
    expect(out.batches).toHaveLength(0); // nothing on the request's path
    await log.flush();
    expect(out.events()).toHaveLength(1);
    const [event] = out.events();
    expect(event).toMatchObject({
      action: READ_ACTION,
      keyId: 'k-auditor',
      requestId: 'req-1',
      clientRequestId: 'client-1',
      resource: { type: 'graphql_field', id: 'Query.auditEvents' },
      metadata: {
        operation: 'Query.auditEvents',
        role: 'AUDITOR',
        scope: { filter: { actionPrefix: 'auth.' }, first: 500 },
        requestCount: 1,
        rowCount: 500,
        requestIds: ['req-1'],
      },
    });
  });

  it('aggregates identical requests into one record per window, keeping the totals', async () => {
    const out = sink();
    const log = new ReadLog(out, settings, logger);
    for (let i = 0; i < 250; i++) log.record(auditor, `req-${i}`, null, page({ actionPrefix: 'auth.' }, 40));
    await log.flush();
    expect(out.events()).toHaveLength(1);
    expect(out.events()[0].metadata).toMatchObject({ requestCount: 250, rowCount: 10_000 });
    expect((out.events()[0].metadata!.requestIds as string[]).length).toBe(20);
    // The next window starts a new record.
    log.record(auditor, 'req-late', null, page({ actionPrefix: 'auth.' }, 1));
    await log.flush();
    expect(out.events()).toHaveLength(2);
  });

  it('counts notes of one operation and scope within one request as one request', async () => {
    const out = sink();
    const log = new ReadLog(out, settings, logger);
    log.record(auditor, 'req-1', null, [
      { operation: 'ControlAssessment.sampleEvents', scope: { frameworkId: 'soc2' }, count: 2 },
      { operation: 'ControlAssessment.sampleEvents', scope: { frameworkId: 'soc2' }, count: 3 },
      { operation: 'Query.auditEvent', scope: { id: 'e1' }, count: 1 },
    ]);
    await log.flush();
    const byOperation = Object.fromEntries(out.events().map((e) => [e.resource.id, e.metadata]));
    expect(byOperation['ControlAssessment.sampleEvents']).toMatchObject({ requestCount: 1, rowCount: 5 });
    expect(byOperation['Query.auditEvent']).toMatchObject({ requestCount: 1, rowCount: 1, scope: { id: 'e1' } });
  });

  it('keeps keys, scopes and tenants apart, and appends one batch per tenant', async () => {
    const out = sink();
    const log = new ReadLog(out, settings, logger);
    log.record(auditor, 'a', null, page({ actionPrefix: 'auth.' }, 1));
    log.record(auditor, 'b', null, page({ actionPrefix: 'data.' }, 1));
    log.record(admin, 'c', null, page({ actionPrefix: 'auth.' }, 1));
    log.record(elsewhere, 'd', null, page({ actionPrefix: 'auth.' }, 1));
    await log.flush();
    expect(out.batches.map((b) => [b.tenantId, b.events.length])).toEqual([
      ['acme', 3],
      ['globex', 1],
    ]);
  });

  it('bounds the records of a key that varies its scope: past READ_AUDIT_SCOPES_PER_KEY one folded record per operation', async () => {
    const out = sink();
    const log = new ReadLog(out, { ...settings, scopesPerKey: 5 }, logger);
    for (let i = 0; i < 100; i++) log.record(auditor, `req-${i}`, null, page({ actorId: `user-${i}` }, 2));
    await log.flush();
    const events = out.events();
    expect(events).toHaveLength(6);
    const folded = events.filter((e) => e.metadata!.scope === null);
    expect(folded).toHaveLength(1);
    expect(folded[0].metadata).toMatchObject({ scopesFolded: 95, requestCount: 95, rowCount: 190 });
    // No request and no row lost in the folding.
    expect(events.reduce((n, e) => n + (e.metadata!.requestCount as number), 0)).toBe(100);
    expect(events.reduce((n, e) => n + (e.metadata!.rowCount as number), 0)).toBe(200);
  });

  it('keeps records whose append failed and writes them with the next flush, merged with newer reads', async () => {
    const out = sink(1);
    const log = new ReadLog(out, settings, logger);
    log.record(auditor, 'req-1', null, page({ actionPrefix: 'auth.' }, 3));
    await log.flush();
    expect(out.events()).toHaveLength(0);
    expect(log.pendingCount).toBe(1);
    log.record(auditor, 'req-2', null, page({ actionPrefix: 'auth.' }, 4));
    await log.flush();
    expect(out.events()).toHaveLength(1);
    expect(out.events()[0].metadata).toMatchObject({ requestCount: 2, rowCount: 7, requestIds: ['req-1', 'req-2'] });
  });

  it('gives up a record after five failed appends, counting its requests in /metrics, and reports what is pending', async () => {
    const out = sink(5);
    const counts = { written: 0, givenUp: 0, pending: -1 };
    const metrics = {
      readRecordsWritten: { inc: (n: number) => void (counts.written += n) },
      readRequestsGivenUp: { inc: (n: number) => void (counts.givenUp += n) },
      readRecordsPending: { set: (n: number) => void (counts.pending = n) },
    };
    const log = new ReadLog(out, settings, logger, metrics);
    log.record(auditor, 'req-1', null, page({ actionPrefix: 'auth.' }, 3));
    log.record(auditor, 'req-2', null, page({ actionPrefix: 'auth.' }, 3));
    expect(counts.pending).toBe(1);
    for (let i = 0; i < 4; i++) await log.flush();
    expect(counts).toEqual({ written: 0, givenUp: 0, pending: 1 });
    await log.flush();
    expect(counts).toEqual({ written: 0, givenUp: 2, pending: 0 });
    log.record(auditor, 'req-3', null, page({ actionPrefix: 'auth.' }, 3));
    await log.flush();
    expect(counts).toEqual({ written: 1, givenUp: 2, pending: 0 });
    expect(out.events()).toHaveLength(1);
  });

  it('flushes at once when the buffer is full', async () => {
    const out = sink();
    const log = new ReadLog(out, { ...settings, scopesPerKey: MAX_PENDING_RECORDS + 1 }, logger);
    for (let i = 0; i < MAX_PENDING_RECORDS; i++)
      log.record(auditor, `req-${i}`, null, [{ operation: 'Query.auditEvent', scope: { id: `e${i}` }, count: 1 }]);
    await log.close();
    expect(out.events()).toHaveLength(MAX_PENDING_RECORDS);
    expect(out.batches.length).toBe(MAX_PENDING_RECORDS / 1000);
  });

  it('records a scope too large for the metadata by its SHA-256, and keeps the counts under a tiny MAX_METADATA_BYTES', async () => {
    const out = sink();
    const log = new ReadLog(out, settings, logger);
    log.record(auditor, 'req-1', null, page({ resourceId: 'x'.repeat(5000) }, 1));
    const tiny = new ReadLog(out, { ...settings, maxMetadataBytes: 2 }, logger);
    tiny.record(auditor, 'req-2', null, page({ actionPrefix: 'auth.' }, 9));
    await log.flush();
    await tiny.flush();
    const [large, small] = out.events();
    expect(large.metadata!.scope).toEqual({ truncated: true, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(small.metadata).toBeUndefined();
    expect(small.outcome!.reason).toContain('1 request(s) of Query.auditEvents by a AUDITOR key returned 9 event(s)');
  });

  it('appends on its timer every READ_AUDIT_FLUSH_SECONDS', async () => {
    jest.useFakeTimers();
    try {
      const out = sink();
      const log = new ReadLog(out, { ...settings, flushSeconds: 30 }, logger);
      log.record(auditor, 'req-1', null, page({}, 1));
      jest.advanceTimersByTime(29_000);
      await Promise.resolve();
      expect(out.events()).toHaveLength(0);
      jest.advanceTimersByTime(1_000);
      await log.close(); // waits for the flush the timer started
      expect(out.events()).toHaveLength(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it('records nothing when READ_AUDIT is off', async () => {
    const out = sink();
    const log = new ReadLog(out, { ...settings, enabled: false }, logger);
    log.record(auditor, 'req-1', null, page({}, 1));
    await log.close();
    expect(out.events()).toHaveLength(0);
  });
});
