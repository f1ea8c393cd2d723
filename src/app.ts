import type { IncomingMessage } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { DataSource } from 'typeorm';
import type { AppConfig } from './config/config';
import { createDataSource } from './database/data-source';
import { ErrorCode } from './errors/error-code';
import { AuditEventRepository } from './audit/audit-event.repository';
import { ChainVerifier } from './audit/chain-verifier';
import { CheckpointService } from './audit/checkpoint.service';
import { createChainStore } from './audit/chain-store';
import { IngestService } from './audit/ingest.service';
import { loadSigningKey } from './audit/signing-key';
import { ApiKeyService } from './auth/api-key.service';
import { createCache, type Cache } from './cache/cache';
import type { RequestContext, Services } from './graphql/context';
import { createLoaders } from './graphql/loaders';
import { queryLimitsPlugin } from './graphql/limits';
import { buildAppSchema } from './graphql/schema';
import { HttpServer } from './http/http-server';
import { Metrics } from './observability/metrics';
import { createLogger, type Logger } from './observability/logger';
import { toNumber } from './database/sql-format';
import { loadPlugins } from './plugin-host/plugin-host';
import { AssessmentQueries } from './compliance/assessment-query';
import { SqliteReader } from './database/sqlite-reader';
import { ComplianceCatalog } from './compliance/catalog';
import { createClassifier } from './compliance/classifier';
import { ComplianceService } from './compliance/compliance.service';
import { ReportBuilder } from './reports/report-builder';
import { loadDefaultTemplates } from './reports/report-template';
import { ABANDONED_AFTER_MINUTES, ReportService } from './reports/report.service';
import { TemplateService } from './reports/template.service';
import { BUILT_IN_PLUGINS } from '../plugins/registry';

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

export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
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
}

/** Database errors carry the statement's parameters (event content, IP addresses): keep them out of logs. */
function loggable(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const { name, message, stack } = error;
  const code = (error as { code?: unknown }).code;
  return { name, message: message.split('\n')[0].slice(0, 500), code, stack: stack?.split('\n').slice(1, 8).join('\n') };
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
                { err: loggable(original), requestId: contextValue.requestId, path: error.path },
                'unexpected error',
              );
          }
        },
      };
    },
  };
}

const bearer = (req: IncomingMessage): string | null => {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match ? match[1] : null;
};

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
  const dataSource = createDataSource({ database: config.database, poolSize: config.databasePoolSize });
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
  try {
    await checkSqlMode(dataSource);
    if (config.migrationsRun) await dataSource.runMigrations({ transaction: 'each' });

    const signingKey = loadSigningKey({ pem: config.signingKeyPem, file: config.signingKeyFile });
    const events = new AuditEventRepository(dataSource);
    const checkpoints = new CheckpointService(dataSource, signingKey);
    await checkpoints.registerKey();
    const apiKeys = new ApiKeyService(dataSource);
    const firstAdminSecret = await apiKeys.bootstrap(config.bootstrapAdminKey);
    const plugins = await loadPlugins({
      builtIns: BUILT_IN_PLUGINS,
      entries: config.plugins,
      options: config.pluginOptions,
      cwd: process.cwd(),
      logger,
    });
    cleanup.unshift(() => plugins.stop());

    const metrics = new Metrics(async () => {
      const rows: Record<string, unknown>[] = await dataSource.query('SELECT tenant_id, sequence FROM chain_head');
      return rows.map((r) => ({ tenantId: String(r.tenant_id), sequence: toNumber(r.sequence) }));
    });
    const cache = createCache({
      redisUrl: config.redisUrl,
      namespace: config.cacheNamespace,
      ttlMs: config.cacheTtlMs,
      maxEntries: config.cacheMaxEntries,
    });
    cleanup.unshift(() => cache.close());
    const catalog = new ComplianceCatalog(plugins.frameworks());
    const ingest = new IngestService(createChainStore(dataSource), config.limits, metrics, createClassifier(plugins.frameworks()));
    const tenantTemplates = new TemplateService(dataSource);
    // SQLite is synchronous: assessments read through their own processes (an in-memory database
    // cannot be shared with one, so it stays on this thread).
    const reader =
      config.database.dialect === 'sqlite' && config.database.location !== ':memory:'
        ? new SqliteReader({ file: config.database.location, timeoutMs: config.queryTimeoutMs })
        : undefined;
    if (reader) cleanup.unshift(() => reader.close());
    const compliance = new ComplianceService({ queries: new AssessmentQueries(dataSource, reader), catalog, cache, ingest, events });
    const services: Services = {
      ingest,
      events,
      verifier: new ChainVerifier(dataSource, events, checkpoints),
      checkpoints,
      apiKeys,
      limits: config.limits,
      plugins,
      catalog,
      compliance,
      reports: {
        service: new ReportService({
          dataSource,
          builder: new ReportBuilder({ events, compliance, checkpoints }),
          plugins,
          ingest,
          signingKey,
          templates: loadDefaultTemplates(),
          tenantTemplates,
          settings: config.reports,
          logger,
        }),
        inlineMaxBytes: config.reports.inlineMaxBytes,
        templates: tenantTemplates,
      },
    };
    // Reports a crashed server left PENDING an hour ago will not finish: failed now and every ten
    // minutes, so that no client polls one for ever. A stopping server finishes its own first.
    const reportService = services.reports.service;
    await reportService.failAbandoned(ABANDONED_AFTER_MINUTES);
    const sweep = setInterval(() => {
      reportService.failAbandoned(ABANDONED_AFTER_MINUTES).catch((err: unknown) => logger.error({ err }, 'abandoned report sweep failed'));
    }, 10 * 60_000);
    sweep.unref();
    cleanup.unshift(async () => clearInterval(sweep));
    cleanup.unshift(() => reportService.drain(config.shutdownTimeoutMs));

    const apollo = new ApolloServer<RequestContext>({
      schema: await buildAppSchema(),
      introspection: !config.production,
      hideSchemaDetailsFromClientErrors: config.production,
      includeStacktraceInErrorResponses: false,
      csrfPrevention: true,
      // Shutdown is ours (drain HTTP, then close the database); Apollo's own SIGTERM handler would exit first.
      stopOnTerminationSignals: false,
      formatError,
      plugins: [
        queryLimitsPlugin(config.limits),
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
      metricsToken: config.metricsToken,
      download: async (url, requestId, options) => {
        const { report, content } = await services.reports.service.download(url, requestId, options);
        return { fileName: report.fileName, mimeType: report.mimeType, sizeBytes: report.sizeBytes ?? 0, content };
      },
      ready: async () => (await dataSource.query('SELECT 1 AS ok')).length === 1,
      context: async (req, requestId) => {
        const secret = bearer(req);
        const principal = secret
          ? await apiKeys.authenticate(secret).catch((err: unknown) => {
              // Apollo masks a failing context as a 500 without logging it.
              logger.error({ err: loggable(err), requestId }, 'authentication lookup failed');
              throw err;
            })
          : null;
        return {
          requestId,
          principal,
          services,
          logger,
          deniedOperations: new Set<string>(),
          loaders: createLoaders(principal?.tenantId ?? '', { events, apiKeys, cache }),
        };
      },
    });
    const port = await http.listen(config.port, config.host);

    let timer: NodeJS.Timeout | null = null;
    if (config.checkpointIntervalMs > 0) {
      timer = setInterval(() => {
        checkpoints.issueDue().catch((err: unknown) => logger.error({ err }, 'periodic checkpoint failed'));
      }, config.checkpointIntervalMs);
      timer.unref();
    }

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
        closing ??= (async () => {
          if (timer) clearInterval(timer);
          await http.close(config.shutdownTimeoutMs);
          for (const step of cleanup) await step();
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
