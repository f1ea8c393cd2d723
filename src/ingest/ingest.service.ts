import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { Metrics } from '../observability/metrics';
import type { ChainStore } from '../chain/chain-store';
import { type AuditEventInputShape, type EventLimits, prepareEvents } from './event-validation';
import type { Receipt } from '../chain/chain-append';
import type { Classifier } from './classifier';
import type { Sealer } from './sealer';
import type { PreparedEvent } from '../chain/prepared-event';
import { StaleErasureEpochError } from '../chain/chain-head';
import { faultHttp } from '../errors/database-error';
import { ActorType, type Classification, OutcomeStatus, type Severity } from '../audit/audit-event.model';

/** This service, as the source of the events it writes itself. */
export const SERVER_SOURCE = 'datapunk-audit';

/**
 * An event the server writes about what an API key did (a `datapunk.` action): refusals,
 * attestations, reports, templates.
 */
export interface ServerEvent {
  /** The key that acted: the event's actor (with `actorType` SYSTEM, the server's own component). */
  keyId: string;
  /** API_KEY unless given; SYSTEM for what the server does on its own (the assessment scheduler). */
  actorType?: ActorType;
  /** The server's own request id (never a client-chosen one). */
  requestId: string;
  /** The client's x-request-id, if it sent one: kept as metadata `clientRequestId`, labelled as the client's. */
  clientRequestId?: string | null;
  action: string;
  resource: { type: string; id: string; name?: string };
  /** SUCCESS unless given. */
  outcome?: { status: OutcomeStatus; reason?: string };
  severity: Severity;
  classification: Classification;
  metadata?: Record<string, unknown>;
  /** Now unless given. */
  occurredAt?: string;
}

/** How many times a batch is sealed again after erasures raced it before the append gives up (CHAIN_BUSY, retryable). */
const MAX_SEALS = 5;

/** recordAuditEvents: validate the whole batch, then append it to the tenant chain atomically. */
export class IngestService {
  constructor(
    private readonly store: ChainStore,
    private readonly limits: EventLimits & { maxEventsPerBatch: number },
    private readonly metrics: Metrics,
    /** The loaded frameworks' classification rules, applied to events the client did not classify. */
    private readonly classify: Classifier | null = null,
    /** Seals personal fields under data-subject keys before hashing (ADR 0042); null: stored as sent. */
    private readonly seal: Sealer | null = null,
  ) {}

  /**
   * Resolves only after the batch is committed (fail-closed); throws, writing nothing, otherwise.
   * `keyId`: the API key sending the batch, whose idempotency keys these are.
   */
  async record(
    tenantId: string,
    inputs: AuditEventInputShape[],
    options: { trusted?: boolean; keyId?: string } = {},
  ): Promise<{ receipts: Receipt[]; recordedCount: number }> {
    if (inputs.length === 0)
      throw new AppError(ErrorCode.INVALID_EVENT, 'Send at least one event.', { problems: [{ path: 'events', message: 'is empty' }] });
    if (inputs.length > this.limits.maxEventsPerBatch) {
      throw new AppError(
        ErrorCode.BATCH_TOO_LARGE,
        `A batch holds at most ${this.limits.maxEventsPerBatch} events (got ${inputs.length}); split it into smaller requests.`,
        { max: this.limits.maxEventsPerBatch },
      );
    }
    const stop = this.metrics.ingestDuration.startTimer();
    const validated = prepareEvents(inputs, this.limits, { classify: this.classify, trusted: options.trusted });
    const { receipts, written } = await this.sealAndAppend(tenantId, validated, options.keyId ?? null);
    stop();
    this.metrics.eventsRecorded.inc(written);
    return { receipts, recordedCount: written };
  }

  /**
   * Seals (when a sealer is configured) and appends. An append refused because a subject may have
   * been erased since the sealer read it (ADR 0042, amended 2026-12-07) wrote nothing: the batch is
   * sealed again with subjects read afresh, at most {@link MAX_SEALS} times.
   */
  private async sealAndAppend(tenantId: string, validated: PreparedEvent[], writer: string | null) {
    // Idempotency keys are the sending API key's own (ADR 0016): another key's retry never finds them.
    if (!this.seal) return this.store.append(tenantId, validated, writer);
    for (let attempt = 1; ; attempt += 1) {
      const { events, erasureEpoch } = await this.seal.seal(tenantId, validated);
      try {
        return await this.store.append(tenantId, events, writer, erasureEpoch);
      } catch (error) {
        if (!(error instanceof StaleErasureEpochError)) throw error;
        this.seal.stale(tenantId, error.sealedAt);
        if (attempt >= MAX_SEALS)
          throw new AppError(
            ErrorCode.CHAIN_BUSY,
            'Data subjects were erased while the batch was sealed; nothing was recorded. Retry the same request.',
            {
              http: faultHttp(ErrorCode.CHAIN_BUSY),
            },
          );
      }
    }
  }

  /** Records one {@link ServerEvent} in the tenant's chain (trusted: reserved actions allowed); its receipt. */
  async recordServerEvent(tenantId: string, event: ServerEvent): Promise<Receipt> {
    return (await this.recordServerEvents(tenantId, [event]))[0];
  }

  /**
   * Records several {@link ServerEvent}s in the tenant's chain in one atomic append (one turn of the
   * chain lock): the read records of a flush (ADR 0044). At most MAX_EVENTS_PER_BATCH at a time.
   */
  async recordServerEvents(tenantId: string, events: readonly ServerEvent[]): Promise<Receipt[]> {
    const { receipts } = await this.record(
      tenantId,
      events.map((event) => ({
        occurredAt: event.occurredAt ?? new Date().toISOString(),
        actor: { id: event.keyId, type: event.actorType ?? ActorType.API_KEY },
        action: event.action,
        resource: event.resource,
        outcome: event.outcome ?? { status: OutcomeStatus.SUCCESS },
        severity: event.severity,
        classification: event.classification,
        requestId: event.requestId,
        sourceService: SERVER_SOURCE,
        ...(event.metadata || event.clientRequestId
          ? { metadata: { ...event.metadata, ...(event.clientRequestId ? { clientRequestId: event.clientRequestId } : {}) } }
          : {}),
      })),
      { trusted: true },
    );
    return receipts;
  }

  /** MAX_EVENTS_PER_BATCH: the most events one append takes. */
  get maxEventsPerBatch(): number {
    return this.limits.maxEventsPerBatch;
  }
}
