import type { ServerEvent } from '../ingest/ingest.service';
import { Role } from '../access/role';
import { createLogger } from '../observability/logger';
import { DENIED_ACTION, DenialLog } from './denial-log';
import type { RateLimitStore } from './rate-limit-store';

const viewer = { keyId: 'k-viewer', tenantId: 'acme', role: Role.VIEWER };
const other = { keyId: 'k-other', tenantId: 'acme', role: Role.INGEST };
const logger = createLogger('silent');

/** A store whose budget answers what the test scripts: null (allowed) or seconds to wait. */
function scriptedStore(answers: (number | null)[]): RateLimitStore {
  return {
    kind: 'memory',
    budget: (_name, points) => ({ points, consume: async () => (answers.length ? answers.shift()! : null) }),
    ready: async () => true,
    close: async () => undefined,
  };
}

function recorder() {
  const events: { tenantId: string; event: ServerEvent }[] = [];
  return { events, ingest: { recordServerEvent: async (tenantId: string, event: ServerEvent) => void events.push({ tenantId, event }) } };
}

describe('DenialLog', () => {
  it('writes one event per request, naming every refused operation of it', async () => {
    const { events, ingest } = recorder();
    const log = new DenialLog(ingest, scriptedStore([]), { eventsPerWindow: 10, windowSeconds: 600 }, logger);
    const seven = [
      'Query.apiKeys',
      'Mutation.createApiKey',
      'Mutation.revokeApiKey',
      'Mutation.recordAuditEvents',
      'Query.a',
      'Query.b',
      'Query.c',
    ];
    await log.record(viewer, 'req-1', seven);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      tenantId: 'acme',
      event: {
        keyId: 'k-viewer',
        requestId: 'req-1',
        action: DENIED_ACTION,
        resource: { type: 'graphql_field', id: 'Query.apiKeys' },
        outcome: { status: 'DENIED' },
        metadata: { deniedOperations: seven, deniedCount: 7 },
      },
    });
    await log.close();
  });

  it('counts refusals past the per-key budget and folds them into the key’s next recorded denial', async () => {
    const { events, ingest } = recorder();
    // allowed, refused ×3, allowed
    const log = new DenialLog(ingest, scriptedStore([null, 30, 30, 30, null]), { eventsPerWindow: 1, windowSeconds: 60 }, logger);
    await log.record(viewer, 'r1', ['Query.apiKeys']);
    await log.record(viewer, 'r2', ['Query.apiKeys']);
    await log.record(viewer, 'r3', ['Mutation.createApiKey']);
    await log.record(viewer, 'r4', ['Query.apiKeys']);
    expect(events).toHaveLength(1);
    await log.record(viewer, 'r5', ['Query.apiKeys']);
    expect(events).toHaveLength(2);
    expect(events[1].event.metadata).toMatchObject({
      deniedOperations: ['Query.apiKeys'],
      suppressedCount: 3,
      suppressedOperations: ['Query.apiKeys', 'Mutation.createApiKey'],
    });
    // Nothing left to summarise.
    await log.close();
    expect(events).toHaveLength(2);
  });

  it('writes one summary per key for the refusals it counted when the window closes (or the server stops)', async () => {
    jest.useFakeTimers();
    try {
      const { events, ingest } = recorder();
      const log = new DenialLog(ingest, scriptedStore([null, 5, 5, 5, 5, 9]), { eventsPerWindow: 1, windowSeconds: 60 }, logger);
      await log.record(viewer, 'v1', ['Query.apiKeys']);
      for (let i = 2; i <= 5; i += 1) await log.record(viewer, `v${i}`, ['Query.apiKeys']);
      await log.record(other, 'o1', ['Query.auditEvents']);
      expect(events).toHaveLength(1);
      // The viewer's window closes after 5 s: its four refusals become one event.
      await jest.advanceTimersByTimeAsync(5000);
      expect(events).toHaveLength(2);
      expect(events[1].event).toMatchObject({
        keyId: 'k-viewer',
        requestId: 'v5',
        action: DENIED_ACTION,
        outcome: { status: 'DENIED' },
        metadata: { summary: true, suppressedCount: 4, suppressedOperations: ['Query.apiKeys'] },
      });
      // The other key's window has not closed: stopping writes its summary.
      await log.close();
      expect(events).toHaveLength(3);
      expect(events[2].event).toMatchObject({ keyId: 'k-other', metadata: { summary: true, suppressedCount: 1 } });
    } finally {
      jest.useRealTimers();
    }
  });

  it('does not cap a key with eventsPerWindow 0, and a failure to record never throws', async () => {
    const { events, ingest } = recorder();
    const log = new DenialLog(ingest, scriptedStore([5, 5, 5]), { eventsPerWindow: 0, windowSeconds: 60 }, logger);
    for (let i = 0; i < 3; i += 1) await log.record(viewer, `r${i}`, ['Query.apiKeys']);
    expect(events).toHaveLength(3);
    const failing = new DenialLog(
      { recordServerEvent: () => Promise.reject(new Error('database down')) },
      scriptedStore([]),
      { eventsPerWindow: 10, windowSeconds: 60 },
      logger,
    );
    await expect(failing.record(viewer, 'r', ['Query.apiKeys'])).resolves.toBeUndefined();
  });
});
