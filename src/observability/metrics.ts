import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one server instance (own registry: no process-global state). */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'datapunk_http_requests_total',
    help: 'HTTP requests by route and status code.',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly graphqlErrors = new Counter({
    name: 'datapunk_graphql_errors_total',
    help: 'GraphQL errors returned to clients, by extensions.code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly eventsRecorded = new Counter({
    name: 'datapunk_audit_events_recorded_total',
    help: 'Audit events committed (idempotent replays excluded).',
    registers: [this.registry],
  });
  readonly ingestDuration = new Histogram({
    name: 'datapunk_audit_ingest_duration_seconds',
    help: 'Time to validate, chain and commit one recordAuditEvents batch.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly appendGroupCalls = new Histogram({
    name: 'datapunk_audit_append_group_calls',
    help: 'Appends (recordAuditEvents batches, server events) committed together in one transaction of a tenant chain (group commit, ADR 0052).',
    buckets: [1, 2, 4, 8, 16, 32],
    registers: [this.registry],
  });
  readonly databaseRetries = new Counter({
    name: 'datapunk_database_retries_total',
    help: 'Transactions and statements redone after a deadlock or Galera certification failure (kind="conflict") or a Galera node not ready (kind="not-ready"), ADR 0054.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly readRecordsWritten = new Counter({
    name: 'datapunk_read_records_written_total',
    help: 'datapunk.log.read events appended to the chains (each aggregates one or more requests; ADR 0044).',
    registers: [this.registry],
  });
  readonly readRequestsGivenUp = new Counter({
    name: 'datapunk_read_requests_given_up_total',
    help: 'Reads whose record could not be appended after every retry and was given up (logged at error).',
    registers: [this.registry],
  });
  readonly readRecordsPending = new Gauge({
    name: 'datapunk_read_records_pending',
    help: 'Read records in memory waiting for the next flush: what a crash now would lose.',
    registers: [this.registry],
  });
  readonly chainLength: Gauge<'tenant'>;

  constructor(chainLengths: () => Promise<{ tenantId: string; sequence: number }[]>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'datapunk_' });
    this.chainLength = new Gauge({
      name: 'datapunk_audit_chain_length',
      help: 'Events in each tenant chain (the head sequence).',
      labelNames: ['tenant'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const { tenantId, sequence } of await chainLengths()) this.set({ tenant: tenantId }, sequence);
      },
    });
  }
}
