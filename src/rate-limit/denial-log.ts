import type { ApolloServerPlugin } from '@apollo/server';
import { Classification, OutcomeStatus, Severity } from '../audit/audit-event.model';
import type { ServerEvent } from '../ingest/ingest.service';
import type { Principal } from '../access/role';
import type { Logger } from '../observability/logger';
import type { Budget, RateLimitStore } from './rate-limit-store';

/** The action of the event recorded for refused operations (the auditors are audited). */
export const DENIED_ACTION = 'datapunk.authorization.denied';

/** How many denial events one key may write per window; further refusals are counted and summarised. */
export interface DenialSettings {
  /** 0: no cap (still one event per request). */
  eventsPerWindow: number;
  windowSeconds: number;
}

/** Operations named in one event's metadata, at most (the count is always exact). */
const MAX_LISTED = 50;
/** Keys with a summary pending, at most: past it the oldest summary is written at once. */
const MAX_PENDING_KEYS = 10_000;

interface Pending {
  tenantId: string;
  keyId: string;
  role: string;
  count: number;
  operations: Set<string>;
  since: string;
  lastRequestId: string;
  timer: NodeJS.Timeout | null;
}

const listed = (operations: Iterable<string>): string[] => [...operations].slice(0, MAX_LISTED);

/**
 * Writes refused calls into the caller's chain without letting them flood it: one event per request
 * (every refused field of the request listed in its metadata), at most `eventsPerWindow` per key and
 * window (counted in the shared rate-limit store), and the refusals beyond that counted and written as
 * one summary event (`metadata.suppressedCount`) when the window closes, or folded into the key's
 * next recorded denial. A failure to record is logged and never changes the answer.
 */
export class DenialLog {
  private readonly budget: Budget | null;
  private readonly pending = new Map<string, Pending>();
  private readonly writes = new Set<Promise<void>>();

  constructor(
    private readonly ingest: { recordServerEvent(tenantId: string, event: ServerEvent): Promise<unknown> },
    store: RateLimitStore,
    settings: DenialSettings,
    private readonly logger: Logger,
  ) {
    this.budget = settings.eventsPerWindow > 0 ? store.budget('denials', settings.eventsPerWindow, settings.windowSeconds) : null;
  }

  /** Records the refusals of one request of `principal` (resolves once written, or counted). */
  async record(
    principal: Principal,
    requestId: string,
    operations: readonly string[],
    clientRequestId: string | null = null,
  ): Promise<void> {
    if (!operations.length) return;
    const wait = this.budget ? await this.budget.consume(principal.keyId) : null;
    if (wait !== null) {
      this.suppress(principal, requestId, operations, wait);
      return;
    }
    const earlier = this.take(principal.keyId);
    await this.write(principal.tenantId, {
      keyId: principal.keyId,
      requestId,
      clientRequestId,
      action: DENIED_ACTION,
      resource: { type: 'graphql_field', id: operations[0] },
      outcome: {
        status: OutcomeStatus.DENIED,
        reason: `role ${principal.role} may not call ${operations.length} operation(s) of this request`,
      },
      severity: Severity.WARNING,
      classification: Classification.INTERNAL,
      metadata: {
        deniedOperations: listed(operations),
        deniedCount: operations.length,
        ...(earlier
          ? { suppressedCount: earlier.count, suppressedSince: earlier.since, suppressedOperations: listed(earlier.operations) }
          : {}),
      },
    });
  }

  /** Writes every pending summary now (shutdown). */
  async close(): Promise<void> {
    for (const keyId of [...this.pending.keys()]) this.flush(keyId);
    await Promise.all([...this.writes]);
  }

  private suppress(principal: Principal, requestId: string, operations: readonly string[], waitSeconds: number): void {
    let entry = this.pending.get(principal.keyId);
    if (!entry) {
      if (this.pending.size >= MAX_PENDING_KEYS) this.flush(this.pending.keys().next().value as string);
      entry = {
        tenantId: principal.tenantId,
        keyId: principal.keyId,
        role: principal.role,
        count: 0,
        operations: new Set(),
        since: new Date().toISOString(),
        lastRequestId: requestId,
        timer: null,
      };
      this.pending.set(principal.keyId, entry);
    }
    entry.count += 1;
    entry.lastRequestId = requestId;
    for (const op of operations) if (entry.operations.size < MAX_LISTED) entry.operations.add(op);
    if (!entry.timer) {
      const keyId = principal.keyId;
      entry.timer = setTimeout(() => this.flush(keyId), waitSeconds * 1000);
      entry.timer.unref();
    }
  }

  private take(keyId: string): Pending | null {
    const entry = this.pending.get(keyId);
    if (!entry) return null;
    this.pending.delete(keyId);
    if (entry.timer) clearTimeout(entry.timer);
    return entry;
  }

  /** The window closed with refusals counted but not written: one summary event for all of them. */
  private flush(keyId: string): void {
    const entry = this.take(keyId);
    if (!entry) return;
    const write = this.write(entry.tenantId, {
      keyId: entry.keyId,
      requestId: entry.lastRequestId,
      action: DENIED_ACTION,
      resource: { type: 'graphql_field', id: entry.operations.values().next().value as string },
      outcome: {
        status: OutcomeStatus.DENIED,
        reason: `role ${entry.role}: ${entry.count} further refused request(s), counted in one event`,
      },
      severity: Severity.WARNING,
      classification: Classification.INTERNAL,
      metadata: {
        summary: true,
        suppressedCount: entry.count,
        suppressedSince: entry.since,
        suppressedUntil: new Date().toISOString(),
        suppressedOperations: listed(entry.operations),
      },
    });
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
  }

  private async write(tenantId: string, event: ServerEvent): Promise<void> {
    try {
      await this.ingest.recordServerEvent(tenantId, event);
    } catch (err) {
      this.logger.error({ err: (err as Error)?.message, requestId: event.requestId }, 'could not record a denied request');
    }
  }
}

/** The slice of the request context the plugin reads. */
interface DenialContext {
  principal: Principal | null;
  requestId: string;
  clientRequestId: string | null;
  deniedOperations: Set<string>;
}

/** After execution, hands the request's refused operations (collected by the auth checker) to the {@link DenialLog}. */
export function denialLogPlugin(log: DenialLog): ApolloServerPlugin<DenialContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue }) {
          const { principal, requestId, clientRequestId, deniedOperations } = contextValue;
          if (principal && deniedOperations.size) await log.record(principal, requestId, [...deniedOperations], clientRequestId);
        },
      };
    },
  };
}
