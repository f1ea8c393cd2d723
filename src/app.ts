import os from 'node:os';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { DataSource } from 'typeorm';
import { type AppConfig, ConfigError } from './config/config';
import { createDataSource } from './database/data-source';
import type { TransientKind } from './database/transient-retry';
import { runPendingMigrations } from './database/migrate';
import { createReadinessProbe } from './database/readiness';
import { databaseFaultOf, faultHttp, toDatabaseAppError } from './errors/database-error';
import { ErrorCode } from './errors/error-code';
import { AuditEventRepository } from './audit/audit-event.repository';
import { ChainVerifier } from './chain/chain-verifier';
import { MerkleProofs } from './chain/merkle-store';
import { CheckpointService } from './chain/checkpoint.service';
import { parseWitnessKey } from './chain/cosignature';
import { type WitnessEndpoint, WitnessSubmitter } from './chain/witness-client';
import { RehashPool } from './chain/rehash-pool';
import { SealPool } from './privacy/seal-pool';
import { ProofBundles } from './chain/proof-bundle.service';
import { createChainStore } from './chain/chain-store';
import { IngestService } from './ingest/ingest.service';
import { configuredTrustedKeys, loadSigningKey } from './chain/signing-key';
import { loadPrivacyKey, PrivacyKeys } from './privacy/privacy-key';
import { metadataKeysReadBy, PersonalDataService } from './privacy/personal-data.service';
import { SubjectVault } from './privacy/subject-vault';
import { ErasureService } from './privacy/erasure.service';
import { SubjectAccessService } from './privacy/subject-access.service';
import { ReportRepository } from './reports/report.repository';
import { ApiKeyService } from './auth/api-key.service';
import { createCache, type Cache } from './cache/cache';
import type { RequestContext } from './graphql/context';
import { createEventLoaders } from './audit/audit-event.loaders';
import { createTenantLoaders } from './auth/tenant.loaders';
import { ChainHeads } from './chain/chain-head';
import { ENTITIES } from './entities';
import type { Services } from './services';
import { isTokenLimitError, queryLimitRules, queryLimitsPlugin, tooManyTokens } from './graphql/limits';
import { introspectionTooDeep, isIntrospectionDepthError } from './graphql/introspection-limits';
import { pricingFacts } from './graphql/query-prices';
import { AppError } from './errors/app-error';
import { buildAppSchema } from './schema';
import { HttpServer } from './http/http-server';
import { Metrics } from './observability/metrics';
import { createLogger, type Logger } from './observability/logger';
import { loadPlugins } from './plugin-host/plugin-host';
import { parameterValueProblems } from './plugin-host/manifest.schema';
import { AssessmentQueries } from './compliance/assessment-query';
import { MetadataFacetIndex } from './audit/metadata-facet-index';
import { MetadataFacets, predicatesIn } from './audit/metadata-facets';
import { SqliteReader } from './database/sqlite-reader';
import { ComplianceCatalog } from './compliance/catalog';
import { createClassifier } from './compliance/classifier';
import { ComplianceService } from './compliance/compliance.service';
import { FindingsService } from './compliance/findings.service';
import { AssessmentHistoryService } from './compliance/assessment-history.service';
import { AssessmentRunRepository } from './compliance/assessment-run.repository';
import { AssessmentScheduler } from './compliance/assessment-scheduler';
import { RetentionScheduler } from './retention/retention-scheduler';
import { RetentionService } from './retention/retention.service';
import { PRUNE_VERIFY_PACE } from './retention/retention-pruner';
import { ReportBuilder } from './reports/report-builder';
import { loadDefaultTemplates, templatesDir } from './reports/report-template';
import { ReportService } from './reports/report.service';
import { TemplateService } from './reports/template.service';
import { BUILT_IN_PLUGINS } from '../plugins/registry';
import { createRateLimitStore } from './rate-limit/rate-limit-store';
import { rateLimitPlugin, RequestRateLimiter } from './rate-limit/request-rate-limiter';
import { DenialLog, denialLogPlugin } from './rate-limit/denial-log';
import { ReadLog, readLogPlugin } from './read-audit/read-log';

/** How often the assessment scheduler looks for a closed window to record. */
const ASSESSMENT_SCHEDULE_TICK_MS = 5 * 60_000;
/** How often the retention scheduler looks whether today's prune is still due. */
const RETENTION_SCHEDULE_TICK_MS = 15 * 60_000;

/** A running instance: what tests, the CLI and the benchmark hold on to. */
export interface App {
  url: string;
  port: number;
  dataSource: DataSource;
  services: Services;
  cache: Cache;
  metrics: Metrics;
  logger: Logger;
  /** The one-time ADMIN secret created on an empty database, if this start created it. */
  firstAdminSecret: string | null;
  close(): Promise<void>;
}

/** Codes the engine raises itself; passed to clients unchanged. Anything else is masked. */
const PASS_THROUGH = new Set<string>(Object.values(ErrorCode).filter((c) => c !== ErrorCode.INTERNAL_SERVER_ERROR));

/** graphql-js's "Did you mean …?" hints name fields, arguments and enum values of the schema. */
const SUGGESTION = / ?Did you mean [^?]*\?/g;

/** The coded limit error behind an error Apollo wrapped (its ValidationError or SyntaxError code would hide ours). */
function limitErrorOf(formatted: GraphQLFormattedError, error: unknown, maxQueryTokens: number): AppError | null {
  const wrapper = formatted.extensions?.code;
  if (wrapper !== ErrorCode.GRAPHQL_VALIDATION_FAILED && wrapper !== ErrorCode.GRAPHQL_PARSE_FAILED) return null;
  const original = error instanceof GraphQLError ? error.originalError : undefined;
  if (original instanceof AppError) return original;
  if (isTokenLimitError(original)) return tooManyTokens(maxQueryTokens);
  // graphql-js's MaxIntrospectionDepthRule (in specifiedRules) refuses the same shapes as ours, uncoded.
  if (original instanceof GraphQLError && isIntrospectionDepthError(original)) return introspectionTooDeep();
  return null;
}

/**
 * Passes coded errors through and masks the rest. Limit refusals raised inside parsing and
 * validation keep their own code; in production no message hints at names of the schema.
 */
export function createFormatError(options: { production: boolean; maxQueryTokens: number }) {
  const format = (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const limit = limitErrorOf(formatted, error, options.maxQueryTokens);
    if (limit) {
      const { http: _http, ...extensions } = limit.extensions as Record<string, unknown>;
      return { message: limit.message, ...(formatted.locations ? { locations: formatted.locations } : {}), extensions };
    }
    const original = unwrapResolverError(error);
    // A driver error (disk full, database away, statement or lock timeout) is a coded, retryable answer.
    const fault = databaseFaultOf(original);
    if (fault) return { message: fault.message, extensions: { code: fault.code }, ...(formatted.path ? { path: formatted.path } : {}) };
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PASS_THROUGH.has(code) && (original instanceof GraphQLError || original === error)) return formatted;
    if (original instanceof GraphQLError && typeof original.extensions?.code === 'string' && PASS_THROUGH.has(original.extensions.code)) {
      return formatted;
    }
    return {
      message: 'Internal server error',
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
      ...(formatted.path ? { path: formatted.path } : {}),
    };
  };
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const out = format(formatted, error);
    // Bad variable values (enum coercion) and unknown names too, not only validation errors.
    return options.production ? { ...out, message: out.message.replace(SUGGESTION, '') } : out;
  };
}

/** Database errors carry the statement's parameters (event content, IP addresses): keep them out of logs. */
function loggable(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const { name, message, stack } = error;
  const code = (error as { code?: unknown }).code;
  return { name, message: message.split('\n')[0].slice(0, 500), code, stack: stack?.split('\n').slice(1, 8).join('\n') };
}

/**
 * Gives a resolver's database fault its HTTP status (507, 503 + Retry-After) and code before Apollo
 * reads `extensions.http`; formatError then shows the code instead of masking it.
 */
function databaseFaults(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const fault = databaseFaultOf(unwrapResolverError(error));
            if (!fault || !(error instanceof GraphQLError)) continue;
            const extensions = error.extensions as Record<string, unknown>;
            extensions.code = fault.code;
            extensions.http = faultHttp(fault.code);
            contextValue.logger.warn(
              { err: loggable(unwrapResolverError(error)), requestId: contextValue.requestId, code: fault.code },
              'database fault',
            );
          }
        },
      };
    },
  };
}

function errorLogging(metrics: Metrics): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue }) {
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const original = unwrapResolverError(error);
            const code = (original instanceof GraphQLError ? original.extensions?.code : undefined) ?? error.extensions?.code;
            const known = typeof code === 'string' && PASS_THROUGH.has(code);
            metrics.graphqlErrors.inc({ code: known ? code : ErrorCode.INTERNAL_SERVER_ERROR });
            if (!known)
              contextValue.logger.error(
                {
                  err: loggable(original),
                  requestId: contextValue.requestId,
                  clientRequestId: contextValue.clientRequestId ?? undefined,
                  path: error.path,
                },
                'unexpected error',
              );
          }
        },
      };
    },
  };
}

/**
 * Runs `step`, giving up after `ms` (a hung database must not keep a stopping process alive).
 * Resolves to what went wrong, or null.
 */
async function timeBoxed(step: () => Promise<unknown>, ms: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`did not finish within ${ms} ms`), ms);
    timer.unref();
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(step)
        .then(
          () => null,
          (err: unknown) => (err instanceof Error ? err.message : String(err)),
        ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Every statement escapes strings with backslashes (mysql2's formatting, and the ingest path's own);
 * under NO_BACKSLASH_ESCAPES they would mean something else, so refuse to start on such a server.
 */
export async function checkSqlMode(dataSource: DataSource): Promise<void> {
  if (dataSource.options.type === 'better-sqlite3') return;
  const [row] = await dataSource.query<{ mode: string }[]>('SELECT @@SESSION.sql_mode AS mode');
  if (/NO_BACKSLASH_ESCAPES/i.test(row?.mode ?? '')) {
    const error = new Error(
      `${ErrorCode.DATABASE_MODE_UNSUPPORTED}: the server's sql_mode includes NO_BACKSLASH_ESCAPES; remove it (SET GLOBAL sql_mode = …) and restart`,
    );
    (error as Error & { code: string }).code = ErrorCode.DATABASE_MODE_UNSUPPORTED;
    throw error;
  }
}

/** Start-up: config → database (+migrations) → keys → plugins → services → schema → HTTP. */
export async function startApp(config: AppConfig, options: { logger?: Logger } = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  // The metrics exist once the database is open: retries are counted from then on.
  const retries: { count?: (kind: TransientKind) => void } = {};
  const dataSource = createDataSource({
    database: config.database,
    entities: ENTITIES,
    poolSize: config.databasePoolSize,
    timeouts: config.databaseTimeouts,
    retry: { ...config.databaseRetry, onRetry: (kind) => retries.count?.(kind) },
    causality: {
      wsrepSyncWait: config.databaseWsrepSyncWait,
      onGalera: () => logger.info({ wsrepSyncWait: config.databaseWsrepSyncWait }, 'the database is a Galera node (ADR 0054)'),
    },
  });
  try {
    await dataSource.initialize();
  } catch (error) {
    const wrapped = new Error(
      `${ErrorCode.DATABASE_UNREACHABLE}: cannot open the ${config.database.dialect} database: ${(error as Error).message}`,
    );
    (wrapped as Error & { code: string }).code = ErrorCode.DATABASE_UNREACHABLE;
    throw wrapped;
  }
  const cleanup: (() => Promise<unknown>)[] = [() => dataSource.destroy()];
  // Set when close() starts; steps that wait (background reports) take what is left of it.
  let shutdownDeadline = Number.POSITIVE_INFINITY;
  try {
    await checkSqlMode(dataSource);
    if (config.migrationsRun) await runPendingMigrations(dataSource, config.database, config.databaseTimeouts.connectMs);

    const signingKey = loadSigningKey({ pem: config.signingKeyPem, file: config.signingKeyFile });
    // SQLite is synchronous: assessments, counts and stats read through their own processes (an
    // in-memory database cannot be shared with one, so it stays on this thread).
    const reader =
      config.database.dialect === 'sqlite' && config.database.location !== ':memory:'
        ? new SqliteReader({ file: config.database.location, timeoutMs: config.databaseTimeouts.statementMs })
        : undefined;
    if (reader) cleanup.unshift(() => reader.close());
    // Loaded even with DATAPUNK_PRIVACY=off: events sealed before stay readable, and erasable.
    const vault = new SubjectVault(
      dataSource,
      new PrivacyKeys(loadPrivacyKey({ base64: config.privacy.keyBase64, file: config.privacy.keyFile })),
    );
    // A second core seals half of each large batch (ADR 0052 amended 2026-12-07); one core: all on this thread.
    const sealPool = config.privacy.enabled && os.availableParallelism() > 1 ? new SealPool() : null;
    if (sealPool) cleanup.unshift(() => sealPool.close());
    const personal = new PersonalDataService(vault, { subjectResourceTypes: config.privacy.subjectResourceTypes }, sealPool);
    const events = new AuditEventRepository(dataSource, reader, personal);
    const witnesses: WitnessSubmitter | null = config.witnesses.entries.length
      ? new WitnessSubmitter(witnessEndpoints(config.witnesses.entries), config.witnesses.quorum, config.witnesses.timeoutMs, {
          consistency: (tenantId, from, to) => checkpoints.consistencyHashes(tenantId, from, to),
          cosignedSize: (tenantId, name) => checkpoints.cosignedSize(tenantId, name),
          store: (id, name, line, timestamp) => checkpoints.storeCosignature(id, name, line, timestamp),
          cosigners: (id) => checkpoints.cosigners(id),
          log: logger,
        })
      : null;
    if (witnesses) cleanup.unshift(() => witnesses.close());
    const checkpoints: CheckpointService = new CheckpointService(dataSource, signingKey, config.checkpointOrigin, witnesses);
    await checkpoints.registerKey();
    // Verification trusts configured keys only, never whatever is in signing_key (ADR 0018).
    const trustedKeys = configuredTrustedKeys({ signing: signingKey, trustedFile: config.trustedPublicKeysFile });
    const untrustedStored = await checkpoints.untrustedStoredKeys(trustedKeys);
    if (untrustedStored.length) {
      logger.warn({ keyIds: untrustedStored }, 'signing_key holds keys that are not trusted: add old keys to DATAPUNK_TRUSTED_KEYS_FILE');
    }
    const stopping = new AbortController();
    const chainHeads = new ChainHeads(dataSource);
    const apiKeys = new ApiKeyService(dataSource, chainHeads);
    const firstAdminSecret = await apiKeys.bootstrap(config.bootstrapAdminKey);
    const plugins = await loadPlugins({
      builtIns: BUILT_IN_PLUGINS,
      entries: config.plugins,
      options: config.pluginOptions,
      cwd: process.cwd(),
      templatesDir: templatesDir(),
      logger,
    });
    cleanup.unshift(() => plugins.stop());

    const metrics = new Metrics(() => chainHeads.sequences());
    retries.count = (kind) => metrics.databaseRetries.inc({ kind });
    const cache = createCache({
      redisUrl: config.redisUrl,
      namespace: config.cacheNamespace,
      ttlMs: config.cacheTtlMs,
      maxEntries: config.cacheMaxEntries,
      maxBytes: config.cacheMaxBytes,
      maxEntryBytes: config.cacheMaxEntryBytes,
      timeoutMs: config.cacheTimeoutMs,
    });
    cleanup.unshift(() => cache.close());
    const catalog = new ComplianceCatalog(plugins.frameworks());
    personal.keepInClear(metadataKeysReadBy(plugins.frameworks().map((p) => p.catalog)));
    // The metadata predicates of every loaded rule, labelled on each event at ingest; the events
    // recorded before a predicate was loaded are labelled in the background (ADR 0056).
    const facetIndex = new MetadataFacetIndex(dataSource, new MetadataFacets(predicatesIn(plugins.frameworks().map((p) => p.catalog))));
    await facetIndex.register();
    const ingest = new IngestService(
      createChainStore(dataSource, { onGroup: ({ calls }) => metrics.appendGroupCalls.observe(calls), facets: facetIndex.facets }),
      config.limits,
      metrics,
      createClassifier(plugins.frameworks()),
      config.privacy.enabled ? personal : null,
    );
    const tenantTemplates = new TemplateService(dataSource);
    // Budgets and denial counts live in Redis when it is configured, so every node shares them.
    const rateLimitStore = createRateLimitStore({ redisUrl: config.redisUrl, namespace: config.cacheNamespace });
    cleanup.unshift(() => rateLimitStore.close());
    // A healthy Redis is used from the first request; one that is down leaves the insurance limiters in charge.
    if (!(await rateLimitStore.ready(2000))) logger.warn('rate limits: Redis not reachable yet, counting in memory until it is');
    const requestLimiter = new RequestRateLimiter(rateLimitStore, config.rateLimits);
    const { denialEventsPerWindow: eventsPerWindow, denialWindowSeconds: windowSeconds } = config.rateLimits;
    const denials = new DenialLog(ingest, rateLimitStore, { eventsPerWindow, windowSeconds }, logger);
    cleanup.unshift(() => denials.close());
    // Reads are noted in memory on the way out and appended in batches, never on the request's path (ADR 0044).
    const reads = new ReadLog(ingest, { ...config.readAudit, maxMetadataBytes: config.limits.maxMetadataBytes }, logger, metrics);
    cleanup.unshift(() => reads.close());
    const compliance = new ComplianceService({
      queries: new AssessmentQueries(dataSource, reader, { facets: facetIndex }),
      catalog,
      cache,
      ingest,
      events,
      heads: chainHeads,
      recordingLagMinutes: config.evidenceRecordingLagMinutes,
      parameterProblems: parameterValueProblems,
    });
    const findings = new FindingsService({ compliance, queries: compliance.queries, ingest, heads: chainHeads });
    const history = new AssessmentHistoryService({
      compliance,
      queries: compliance.queries,
      ingest,
      heads: chainHeads,
      runs: new AssessmentRunRepository(dataSource),
    });
    // ASSESSMENT_SCHEDULE (ADR 0039): a window is stored once whichever node records it; the
    // tick under way is waited for at shutdown, bounded like every close step.
    const scheduler = new AssessmentScheduler({
      history,
      tenants: async () => (await chainHeads.sequences()).filter((h) => h.sequence > 0).map((h) => h.tenantId),
      frameworks: () => catalog.frameworks().map((f) => f.framework.id),
      schedule: config.assessmentSchedule,
      lagMs: config.evidenceRecordingLagMinutes * 60_000,
      logger,
    });
    const proofs = new MerkleProofs(dataSource);
    // Re-hashing runs on worker threads (ADR 0051), shared by a request's verifier and a prune's.
    const rehashPool = new RehashPool();
    cleanup.unshift(() => rehashPool.close());
    const verifier = new ChainVerifier(dataSource, events, checkpoints, {
      trustedKeys,
      cache,
      cacheTtlMs: config.verifyCacheTtlMs,
      signal: stopping.signal,
      pool: rehashPool,
      // With WITNESSES configured the newest checkpoint must carry WITNESS_QUORUM cosignatures (ADR 0051).
      witnesses: witnesses ? { keys: witnesses.witnesses.map((w) => w.key), quorum: witnesses.quorum } : undefined,
    });
    const retention = new RetentionService({
      dataSource,
      checkpoints,
      // A prune's own verifier: longer slices and pages than a request's (ADR 0043, amended 2026-12-06), no cache.
      verifier: new ChainVerifier(dataSource, events, checkpoints, {
        trustedKeys,
        signal: stopping.signal,
        pool: rehashPool,
        ...PRUNE_VERIFY_PACE,
      }),
      ingest,
      frameworks: () => catalog.frameworks().map((f) => f.framework.id),
      subjects: vault,
      keepProofNodes: (tenantId, through) => proofs.keepBoundary(tenantId, through),
    });
    // Holds stored with a subject id in clear before 2026-12-04 get the subject's reference (ADR 0043).
    await retention.sealLegacyHolds();
    const retentionScheduler = new RetentionScheduler({ retention, schedule: config.retentionSchedule, logger });
    const bundles = new ProofBundles({ events, proofs, checkpoints, trustedKeys });
    const services: Services = {
      ingest,
      events,
      verifier,
      proofs,
      checkpoints,
      bundles,
      apiKeys,
      limits: config.limits,
      plugins,
      catalog,
      compliance,
      findings,
      history,
      scheduler,
      reads,
      retention,
      retentionScheduler,
      erasure: new ErasureService({
        dataSource,
        vault,
        ingest,
        signingKey,
        purgeReports: (tenantId, period, before) => new ReportRepository(dataSource).purgeOverlapping(tenantId, period, before),
        holdsOn: (tenantId, ref, subjectId) => retention.holdsOnSubject(tenantId, ref, subjectId),
      }),
      subjectAccess: new SubjectAccessService({ dataSource, vault }),
      reports: {
        service: new ReportService({
          dataSource,
          builder: new ReportBuilder({ events, compliance, findings, history, checkpoints, heads: chainHeads, trustedKeys }),
          plugins,
          ingest,
          events,
          verifier,
          checkpoints,
          bundles,
          signingKey,
          keys: apiKeys,
          templates: loadDefaultTemplates(),
          tenantTemplates,
          settings: config.reports,
          logger,
        }),
        inlineMaxBytes: config.reports.inlineMaxBytes,
        templates: tenantTemplates,
      },
    };
    // Background reports have an owner and a heartbeat: this node refreshes its own and fails any
    // node's whose heartbeat is stale (a crashed node's), at start and every REPORT_HEARTBEAT_SECONDS.
    // A stopping server finishes (or fails) its own first.
    const reportService = services.reports.service;
    await reportService.start();
    // Labels the events recorded before a loaded rule's metadata predicate with its facet (ADR 0056);
    // until that is done, assessments test the metadata itself. A stop ends it between pages.
    const backfilling = facetIndex.backfill(stopping.signal).then(
      (labels) => {
        if (labels) logger.info({ labels }, 'metadata facets: the events recorded before their rules are labelled');
      },
      (error: unknown) =>
        logger.warn(
          { err: error },
          'metadata facets: labelling the earlier events failed; assessments test the metadata until a later start completes it',
        ),
    );
    cleanup.unshift(() => backfilling);
    cleanup.unshift(async () => reportService.stop());
    // Gets what is left of SHUTDOWN_TIMEOUT_SECONDS (less a second to mark the rest FAILED), so the
    // time box around it never abandons the marking.
    cleanup.unshift(() => reportService.drain(Math.max(0, Math.min(config.shutdownTimeoutMs, shutdownDeadline - Date.now() - 1000))));

    const apollo = new ApolloServer<RequestContext>({
      schema: await buildAppSchema(services),
      introspection: !config.production,
      hideSchemaDetailsFromClientErrors: config.production,
      includeStacktraceInErrorResponses: false,
      csrfPrevention: true,
      // Shutdown is ours (drain HTTP, then close the database); Apollo's own SIGTERM handler would exit first.
      stopOnTerminationSignals: false,
      formatError: createFormatError({ production: config.production, maxQueryTokens: config.limits.maxQueryTokens }),
      // The parser stops at MAX_QUERY_TOKENS (QUERY_TOO_LARGE); depth, aliases and directives are validation rules.
      parseOptions: { maxTokens: config.limits.maxQueryTokens },
      validationRules: queryLimitRules(config.limits),
      plugins: [
        rateLimitPlugin(requestLimiter),
        queryLimitsPlugin({
          limits: config.limits,
          facts: pricingFacts(catalog, plugins.list().length, {
            defaultPageSize: config.limits.defaultPageSize,
            maxPageSize: config.limits.maxPageSize,
            maxEventsPerBatch: config.limits.maxEventsPerBatch,
            reportSyncMaxRows: config.reports.syncMaxRows,
          }),
          chainLength: async (tenantId) => (await chainHeads.head(tenantId)).sequence,
        }),
        denialLogPlugin(denials),
        readLogPlugin(reads),
        databaseFaults(),
        errorLogging(metrics),
        // No HTTP cache hints are used; disabling the plugin keeps Apollo from wrapping every field resolver.
        ApolloServerPluginCacheControlDisabled(),
        ...(config.production ? [ApolloServerPluginLandingPageDisabled()] : []),
      ],
    });
    await apollo.start();
    cleanup.unshift(() => apollo.stop());

    const http = new HttpServer<RequestContext>({
      apollo,
      metrics,
      logger,
      maxRequestBytes: config.limits.maxRequestBytes,
      maxQueryBytes: config.maxQueryBytes,
      timeouts: config.http,
      corsOrigins: config.corsOrigins,
      metricsToken: config.metricsToken,
      rateLimit: (req) => requestLimiter.admitRequest(req),
      // Production without a token: closed rather than open (it lists every tenant id).
      metricsClosed: config.production,
      // A database fault keeps its code and status (503/507) instead of a bare 500.
      authenticate: (secret) =>
        apiKeys.authenticate(secret).catch((err: unknown) => {
          throw toDatabaseAppError(err) ?? err;
        }),
      download: async (url, requestId, options) => {
        const { report, content } = await services.reports.service.download(url, requestId, options);
        return { fileName: report.fileName, mimeType: report.mimeType, sizeBytes: report.sizeBytes ?? 0, content };
      },
      ready: createReadinessProbe(dataSource),
      // The principal was authenticated by the HTTP layer before the document was parsed.
      context: async (_req, { requestId, clientRequestId }, principal) => {
        return {
          requestId,
          clientRequestId,
          principal,
          logger,
          deniedOperations: new Set<string>(),
          reads: [],
          loaders: { ...createEventLoaders(principal?.tenantId ?? '', { events, cache }), ...createTenantLoaders(apiKeys) },
        };
      },
    });
    const port = await http.listen(config.port, config.host);

    // Witnesses still owing a cosignature of a tenant's newest checkpoint are derived from the
    // database and asked again, off the start path (ADR 0050, amended 2026-12-07).
    if (witnesses) {
      const resuming = checkpoints
        .resumeWitnesses()
        .catch((err: unknown) => logger.warn({ err }, 'the witnesses owing a cosignature could not be derived at start'));
      cleanup.unshift(() => resuming);
    }

    let timer: NodeJS.Timeout | null = null;
    if (config.checkpointIntervalMs > 0) {
      timer = setInterval(() => {
        checkpoints.issueDue().catch((err: unknown) => logger.error({ err }, 'periodic checkpoint failed'));
      }, config.checkpointIntervalMs);
      timer.unref();
    }

    scheduler.start(ASSESSMENT_SCHEDULE_TICK_MS);
    cleanup.unshift(() => scheduler.stop());
    retentionScheduler.start(RETENTION_SCHEDULE_TICK_MS);
    cleanup.unshift(() => retentionScheduler.stop());

    const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}/graphql`;
    logger.info({ url, database: config.database.dialect, cache: cache.kind, production: config.production }, 'DataPunk Audit started');
    let closing: Promise<void> | null = null;
    return {
      url,
      port,
      dataSource,
      services,
      cache,
      metrics,
      logger,
      firstAdminSecret,
      close: () => {
        // Everything within SHUTDOWN_TIMEOUT_SECONDS, whatever the database does: HTTP drains for most
        // of it, and each later step gets what is left (at least a moment) and is abandoned after that.
        closing ??= (async () => {
          const deadline = Date.now() + config.shutdownTimeoutMs;
          shutdownDeadline = deadline;
          if (timer) clearInterval(timer);
          stopping.abort(); // long verifications end now instead of holding the shutdown
          await http.close(config.shutdownTimeoutMs - Math.min(5000, Math.floor(config.shutdownTimeoutMs / 5)));
          const problems: string[] = [];
          for (const [i, step] of cleanup.entries()) {
            const problem = await timeBoxed(step, Math.max(200, deadline - Date.now()));
            if (problem) problems.push(`close step ${i + 1} of ${cleanup.length}: ${problem}`);
          }
          if (problems.length) {
            logger.error({ problems }, 'DataPunk Audit stopped, but not cleanly');
            throw new Error(`shutdown incomplete: ${problems.join('; ')}`);
          }
          logger.info('DataPunk Audit stopped');
        })();
        return closing;
      },
    };
  } catch (error) {
    for (const step of cleanup) await step().catch(() => undefined);
    throw error;
  }
}

/** WITNESSES' entries with their keys parsed; a key that does not parse stops the start (CONFIG_INVALID). */
function witnessEndpoints(entries: readonly { url: string; vkey: string }[]): WitnessEndpoint[] {
  const problems: string[] = [];
  const endpoints = entries.flatMap(({ url, vkey }) => {
    try {
      return [{ url, key: parseWitnessKey(vkey) }];
    } catch (error) {
      problems.push(`WITNESSES: ${vkey}: ${(error as Error).message}`);
      return [];
    }
  });
  if (problems.length) throw new ConfigError(problems);
  return endpoints;
}
