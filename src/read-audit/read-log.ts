import { createHash } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { Classification, OutcomeStatus, Severity } from '../audit/audit-event.model';
import { READ_ACTION } from '../audit/read-record';
import { canonicalJson } from '../chain/canonical-json';
import type { ServerEvent } from '../ingest/ingest.service';
import type { Principal } from '../access/role';
import type { ReadNote } from '../graphql/context';
import type { Logger } from '../observability/logger';

/** READ_AUDIT_*: how reads of the log are recorded (docs/security.md, "Read records"). */
export interface ReadAuditSettings {
  /** READ_AUDIT: false only where an operator turned recording off. */
  enabled: boolean;
  /** READ_AUDIT_FLUSH_SECONDS: how long reads are aggregated before they are appended; 0: only on shutdown, a full buffer or flush(). */
  flushSeconds: number;
  /** READ_AUDIT_SCOPES_PER_KEY: distinct scopes one key gets records of per window; further ones are folded per operation. */
  scopesPerKey: number;
  /** MAX_METADATA_BYTES: a record's metadata is kept under it. */
  maxMetadataBytes: number;
}

/** Where read records go: the ingest service's trusted batch append. */
export interface ReadRecordSink {
  recordServerEvents(tenantId: string, events: readonly ServerEvent[]): Promise<unknown>;
  readonly maxEventsPerBatch: number;
}

/** What the ReadLog reports to /metrics (the Metrics counters and gauge, ADR 0044). */
export interface ReadLogMetrics {
  readRecordsWritten: { inc(n: number): void };
  readRequestsGivenUp: { inc(n: number): void };
  readRecordsPending: { set(n: number): void };
}

/** Records waiting for a flush, at most: past it new scopes are folded and a flush starts at once. */
export const MAX_PENDING_RECORDS = 10_000;
/** Request ids named in one record, at most (the request count is always exact). */
const MAX_LISTED_REQUESTS = 20;
/** A scope longer than this (as JSON) is recorded by its SHA-256 only. */
const MAX_SCOPE_BYTES = 4096;
/** Appends a record may fail before it is given up (and logged): a database outage is retried, a record that cannot be written is not retried for ever. */
const MAX_ATTEMPTS = 5;
/** The scope key of the record that holds one key's folded scopes of one operation. */
const FOLDED = '*';

interface Pending {
  tenantId: string;
  keyId: string;
  role: string;
  operation: string;
  /** null: folded scopes (the key passed READ_AUDIT_SCOPES_PER_KEY, or the buffer was full). */
  scope: Record<string, unknown> | null;
  requests: number;
  rows: number;
  /** Distinct scopes folded into this record (folded records only). */
  scopes: number;
  firstAt: string;
  lastAt: string;
  requestIds: string[];
  clientRequestId: string | null;
  attempts: number;
}

/** A note's scope as plain JSON (no undefined, dates as ISO strings): what is recorded and compared. */
const plain = (scope: Record<string, unknown>): Record<string, unknown> => JSON.parse(JSON.stringify(scope)) as Record<string, unknown>;

/**
 * Records every read of the log in the reader's chain without letting reads flood it or wait on it
 * (ADR 0044). A request's reads are noted in memory when its answer goes out — no database work on
 * the request's path — and aggregated per (tenant, key, operation, scope): N identical requests in
 * one window become one `datapunk.log.read` event with `requestCount` N and `rowCount` their sum.
 * Every READ_AUDIT_FLUSH_SECONDS the window's records are appended, one batch (one turn of the chain
 * lock) per tenant. A key gets at most READ_AUDIT_SCOPES_PER_KEY scoped records per window; its
 * further scopes are counted in one folded record per operation. Records that fail to append are kept
 * and retried with the next flush; records still pending when the process dies are lost (the price of
 * keeping the chain lock off the read path; the ADR weighs it).
 */
export class ReadLog {
  private readonly pending = new Map<string, Pending>();
  /** Distinct scoped records per tenant and key in the current window. */
  private readonly scopesOf = new Map<string, number>();
  private readonly timer: NodeJS.Timeout | null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly sink: ReadRecordSink,
    private readonly settings: ReadAuditSettings,
    private readonly logger: Logger,
    private readonly metrics: ReadLogMetrics | null = null,
  ) {
    this.timer =
      settings.enabled && settings.flushSeconds > 0 ? setInterval(() => void this.flush(), settings.flushSeconds * 1000).unref() : null;
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /** Records waiting for the next flush. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Notes the reads one request of `principal` served (synchronous: memory only). Notes of one
   * operation and scope within the request count as one request.
   */
  record(principal: Principal, requestId: string, clientRequestId: string | null, notes: readonly ReadNote[]): void {
    if (!this.settings.enabled || !notes.length) return;
    const now = new Date().toISOString();
    const byScope = new Map<string, { operation: string; scope: Record<string, unknown>; rows: number }>();
    for (const note of notes) {
      const scope = plain(note.scope);
      const id = `${note.operation}\u0000${canonicalJson(scope)}`;
      const seen = byScope.get(id);
      if (seen) seen.rows += note.count;
      else byScope.set(id, { operation: note.operation, scope, rows: note.count });
    }
    for (const [id, { operation, scope, rows }] of byScope) {
      const keyOf = `${principal.tenantId}\u0000${principal.keyId}`;
      let entry = this.pending.get(`${keyOf}\u0000${id}`);
      let folded = false;
      if (!entry) {
        const scopes = this.scopesOf.get(keyOf) ?? 0;
        if (scopes < this.settings.scopesPerKey && this.pending.size < MAX_PENDING_RECORDS) {
          this.scopesOf.set(keyOf, scopes + 1);
          entry = this.start(principal, operation, scope, now, clientRequestId);
          this.pending.set(`${keyOf}\u0000${id}`, entry);
        } else {
          const foldedId = `${keyOf}\u0000${operation}\u0000${FOLDED}`;
          entry = this.pending.get(foldedId);
          if (!entry) {
            entry = this.start(principal, operation, null, now, clientRequestId);
            this.pending.set(foldedId, entry);
          }
          folded = true;
        }
      }
      entry.requests += 1;
      entry.rows += rows;
      if (folded) entry.scopes += 1;
      entry.lastAt = now;
      if (entry.requestIds.length < MAX_LISTED_REQUESTS) entry.requestIds.push(requestId);
    }
    this.metrics?.readRecordsPending.set(this.pending.size);
    if (this.pending.size >= MAX_PENDING_RECORDS) void this.flush();
  }

  /** Appends every pending record now (the timer, a full buffer, shutdown, tests); resolves when written or re-queued. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  /** Stops the timer and writes what is pending (shutdown). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  private start(
    principal: Principal,
    operation: string,
    scope: Record<string, unknown> | null,
    now: string,
    clientRequestId: string | null,
  ): Pending {
    return {
      tenantId: principal.tenantId,
      keyId: principal.keyId,
      role: principal.role,
      operation,
      scope,
      requests: 0,
      rows: 0,
      scopes: 0,
      firstAt: now,
      lastAt: now,
      requestIds: [],
      clientRequestId,
      attempts: 0,
    };
  }

  private async write(): Promise<void> {
    if (!this.pending.size) return;
    const taken = [...this.pending.entries()];
    this.pending.clear();
    this.scopesOf.clear();
    const byTenant = new Map<string, [string, Pending][]>();
    for (const item of taken) {
      const list = byTenant.get(item[1].tenantId) ?? [];
      list.push(item);
      byTenant.set(item[1].tenantId, list);
    }
    for (const [tenantId, items] of byTenant) {
      items.sort((a, b) => a[1].firstAt.localeCompare(b[1].firstAt));
      const size = Math.max(1, this.sink.maxEventsPerBatch);
      for (let i = 0; i < items.length; i += size) {
        const chunk = items.slice(i, i + size);
        try {
          await this.sink.recordServerEvents(
            tenantId,
            chunk.map(([, entry]) => this.eventOf(entry)),
          );
          this.metrics?.readRecordsWritten.inc(chunk.length);
        } catch (err) {
          this.requeue(chunk, err);
        }
      }
    }
    this.metrics?.readRecordsPending.set(this.pending.size);
  }

  /** A failed append: the records go back into the buffer (merged with newer reads of the same scope) unless they failed too often. */
  private requeue(chunk: [string, Pending][], err: unknown): void {
    const dropped = chunk.filter(([, e]) => e.attempts + 1 >= MAX_ATTEMPTS);
    const lost = dropped.reduce((n, [, e]) => n + e.requests, 0);
    if (lost) this.metrics?.readRequestsGivenUp.inc(lost);
    this.logger.error(
      {
        err: (err as Error)?.message,
        records: chunk.length,
        givenUp: dropped.length,
        requestsGivenUp: lost,
      },
      dropped.length
        ? 'could not record reads of the log; some records were given up'
        : 'could not record reads of the log; retrying with the next flush',
    );
    for (const [id, entry] of chunk) {
      if (entry.attempts + 1 >= MAX_ATTEMPTS) continue;
      const newer = this.pending.get(id);
      if (newer) {
        newer.requests += entry.requests;
        newer.rows += entry.rows;
        newer.scopes += entry.scopes;
        newer.firstAt = entry.firstAt;
        newer.requestIds = [...entry.requestIds, ...newer.requestIds].slice(0, MAX_LISTED_REQUESTS);
        newer.attempts = entry.attempts + 1;
      } else {
        this.pending.set(id, { ...entry, attempts: entry.attempts + 1 });
      }
    }
  }

  /** The chain event of one record: the key as actor, the operation as resource, scope and counts in the metadata. */
  private eventOf(e: Pending): ServerEvent {
    const scopeJson = e.scope === null ? null : canonicalJson(e.scope);
    const scope =
      scopeJson !== null && Buffer.byteLength(scopeJson) > MAX_SCOPE_BYTES
        ? { truncated: true, sha256: createHash('sha256').update(scopeJson).digest('hex') }
        : e.scope;
    const counts = `${e.requests} request(s) of ${e.operation} by a ${e.role} key returned ${e.rows} event(s)`;
    let metadata: Record<string, unknown> | undefined = {
      operation: e.operation,
      role: e.role,
      scope,
      ...(e.scope === null ? { scopesFolded: e.scopes } : {}),
      requestCount: e.requests,
      rowCount: e.rows,
      firstAt: e.firstAt,
      lastAt: e.lastAt,
      requestIds: e.requestIds,
    };
    // MAX_METADATA_BYTES may be set low: the counts stay, in the reason if nowhere else.
    if (Buffer.byteLength(JSON.stringify(metadata)) > this.settings.maxMetadataBytes - 64) {
      const { requestIds: _ids, scope: _scope, ...rest } = metadata;
      metadata = Buffer.byteLength(JSON.stringify(rest)) > this.settings.maxMetadataBytes - 64 ? undefined : rest;
    }
    return {
      keyId: e.keyId,
      requestId: e.requestIds[0] ?? 'read-log',
      clientRequestId: e.requests === 1 ? e.clientRequestId : null,
      occurredAt: e.firstAt,
      action: READ_ACTION,
      resource: { type: 'graphql_field', id: e.operation },
      outcome: { status: OutcomeStatus.SUCCESS, reason: counts },
      severity: Severity.INFO,
      classification: Classification.CONFIDENTIAL,
      ...(metadata ? { metadata } : {}),
    };
  }
}

/** The slice of the request context the plugin reads. */
interface ReadContext {
  principal: Principal | null;
  requestId: string;
  clientRequestId: string | null;
  reads: ReadNote[];
}

/** When the answer goes out, hands the request's reads (noted by the resolvers) to the {@link ReadLog}; never waits on the database. */
export function readLogPlugin(log: ReadLog): ApolloServerPlugin<ReadContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue }) {
          const { principal, requestId, clientRequestId, reads } = contextValue;
          if (principal && reads.length) log.record(principal, requestId, clientRequestId, reads);
        },
      };
    },
  };
}
