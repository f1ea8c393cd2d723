import path from 'node:path';
import { z } from 'zod';
import { ErrorCode } from '../errors/error-code';

export type DatabaseDialect = 'sqlite' | 'mysql' | 'mariadb';

export interface DatabaseConfig {
  dialect: DatabaseDialect;
  /** SQLite file path, or the mysql/mariadb URL. */
  location: string;
}

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { message: `must be at least ${min}` })
        .max(max, { message: `must be at most ${max}` }),
    );

/** Every setting, its default and its bounds. The README's settings table mirrors this. */
const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: integer(0, 65535).default('4000'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .refine((value) => /^(mysql|mariadb):\/\/.+/.test(value) || /^(sqlite|file):.+/.test(value), {
      message: 'must start with mysql://, mariadb://, or sqlite:<path>',
    })
    .optional(),
  DATABASE_POOL_SIZE: integer(1, 200).default('10'),
  MIGRATIONS_RUN: booleanFlag.default('true'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/.+/, { message: 'must start with redis:// or rediss://' })
    .optional(),
  CACHE_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'letters, digits, _ and - only' })
    .default('datapunk'),
  CACHE_TTL_SECONDS: integer(1, 86_400 * 30).default('3600'),
  CACHE_MAX_ENTRIES: integer(100, 10_000_000).default('100000'),
  CACHE_MAX_BYTES: integer(1_048_576, 17_179_869_184).default(String(64 * 1024 * 1024)),
  CACHE_MAX_ENTRY_BYTES: integer(1024, 67_108_864).default(String(1024 * 1024)),
  CACHE_TIMEOUT_MS: integer(10, 10_000).default('200'),
  DATABASE_CONNECT_TIMEOUT_SECONDS: integer(1, 300).default('5'),
  DATABASE_STATEMENT_TIMEOUT_SECONDS: integer(0, 86_400).default('60'),
  DATABASE_LOCK_TIMEOUT_SECONDS: integer(1, 3600).default('10'),
  DATABASE_RETRY_BUDGET_SECONDS: integer(0, 300).default('10'),
  DATABASE_WSREP_SYNC_WAIT: integer(0, 15).default('1'),
  REPORT_URL_TTL_SECONDS: integer(10, 86_400).default('300'),
  REPORT_INLINE_MAX_BYTES: integer(0, 16_777_216).default('1048576'),
  REPORT_SYNC_MAX_ROWS: integer(0, 1_000_000).default('5000'),
  REPORT_MAX_PENDING_PER_TENANT: integer(1, 100).default('3'),
  REPORT_HEARTBEAT_SECONDS: integer(1, 300).default('10'),
  DATAPUNK_BOOTSTRAP_ADMIN_KEY: z
    .string()
    .min(24, { message: 'must be at least 24 characters' })
    .max(256, { message: 'must be at most 256 characters' })
    .optional(),
  DATAPUNK_SIGNING_KEY: z.string().min(1).optional(),
  DATAPUNK_SIGNING_KEY_FILE: z.string().min(1).optional(),
  DATAPUNK_TRUSTED_KEYS_FILE: z.string().min(1).optional(),
  DATAPUNK_PRIVACY: z.enum(['on', 'off']).default('on'),
  DATAPUNK_PRIVACY_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, { message: 'must be the base64 of 32 bytes (openssl rand -base64 32)' })
    .optional(),
  DATAPUNK_PRIVACY_KEY_FILE: z.string().min(1).optional(),
  DATAPUNK_SUBJECT_RESOURCE_TYPES: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]+(,[A-Za-z0-9_.:-]+)*$/, { message: 'comma-separated resource types' })
    .default('user,user_profile,customer,data_subject,patient'),
  VERIFY_CACHE_TTL_SECONDS: integer(0, 86_400).default('300'),
  CHECKPOINT_INTERVAL_SECONDS: integer(0, 86_400).default('60'),
  CHECKPOINT_ORIGIN: z
    .string()
    .regex(/^[A-Za-z0-9._~:/-]{1,200}$/, { message: 'a schema-less URL: letters, digits and . _ ~ : / - only' })
    .default('localhost/datapunk-audit'),
  WITNESSES: z
    .string()
    .transform((value) =>
      value
        .split(/[,\n]/)
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .refine((entries) => entries.every((entry) => /^https?:\/\/[^\s]+ +[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/.test(entry)), {
      message: 'comma-separated "<url> <witness vkey>" entries, e.g. "http://127.0.0.1:7380 witness.example/w1+1a2b3c4d+BA…"',
    })
    .optional(),
  WITNESS_QUORUM: integer(0, 100).optional(),
  WITNESS_TIMEOUT_SECONDS: integer(1, 120).default('5'),
  MAX_EVENTS_PER_BATCH: integer(1, 10_000).default('1000'),
  MAX_REQUEST_BYTES: integer(1024, 256 * 1024 * 1024).default(String(16 * 1024 * 1024)),
  MAX_STRING_LENGTH: integer(16, 1024).default('1024'),
  MAX_METADATA_BYTES: integer(2, 60_000).default('16384'),
  MAX_OCCURRED_AT_AGE_DAYS: integer(1, 36_500).default('3650'),
  MAX_CLOCK_SKEW_SECONDS: integer(0, 86_400).default('300'),
  EVIDENCE_RECORDING_LAG_MINUTES: integer(0, 52_560_000).default('60'),
  ASSESSMENT_SCHEDULE: z.enum(['off', 'daily', 'weekly']).default('off'),
  RETENTION_SCHEDULE: z.enum(['off', 'daily']).default('off'),
  MAX_PAGE_SIZE: integer(1, 1000).default('500'),
  DEFAULT_PAGE_SIZE: integer(1, 1000).default('50'),
  MAX_QUERY_DEPTH: integer(2, 100).default('12'),
  MAX_QUERY_COST: integer(10, 10_000_000).default('50000'),
  MAX_ALIASES: integer(1, 1000).default('30'),
  MAX_DIRECTIVES: integer(1, 1000).default('50'),
  MAX_QUERY_TOKENS: integer(100, 10_000_000).default('5000'),
  MAX_EXPENSIVE_FIELDS_PER_OPERATION: integer(1, 100).default('1'),
  SHUTDOWN_TIMEOUT_SECONDS: integer(1, 600).default('25'),
  RATE_LIMIT_REQUESTS_PER_MINUTE: integer(0, 10_000_000).default('3000'),
  RATE_LIMIT_INGEST_EVENTS_PER_MINUTE: integer(0, 1_000_000_000).default('600000'),
  RATE_LIMIT_EXPENSIVE_PER_MINUTE: integer(0, 1_000_000).default('300'),
  RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: integer(0, 10_000_000).default('120'),
  RATE_LIMIT_DENIAL_EVENTS_PER_WINDOW: integer(0, 1_000_000).default('10'),
  RATE_LIMIT_DENIAL_WINDOW_SECONDS: integer(1, 86_400).default('600'),
  READ_AUDIT: booleanFlag.default('true'),
  READ_AUDIT_FLUSH_SECONDS: integer(0, 3600).default('60'),
  READ_AUDIT_SCOPES_PER_KEY: integer(1, 10_000).default('20'),
  METRICS_BEARER_TOKEN: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  MAX_QUERY_BYTES: integer(1024, 16 * 1024 * 1024).default(String(100 * 1024)),
  HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: integer(1, 3600).default('65'),
  HTTP_REQUEST_TIMEOUT_SECONDS: integer(5, 3600).default('300'),
  CORS_ORIGINS: z
    .string()
    .transform((value) => value.split(',').map((entry) => entry.trim()))
    .refine((entries) => entries.every((entry) => /^https?:\/\/[^/\s]+$/.test(entry) && new URL(entry).origin === entry), {
      message: 'comma-separated exact origins such as https://app.example.com (scheme, host, optional port; no path, no trailing slash)',
    })
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATAPUNK_PLUGINS: z
    .string()
    .transform((value) => value.split(',').map((entry) => entry.trim()))
    .refine((entries) => entries.every(Boolean), { message: 'comma-separated npm package names or paths, without empty entries' })
    .refine((entries) => new Set(entries).size === entries.length, { message: 'names the same plugin twice' })
    .optional(),
  DATAPUNK_PLUGIN_OPTIONS: z
    .string()
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(
      z.record(z.record(z.unknown()), {
        errorMap: () => ({
          message: 'must be a JSON object of option objects keyed by plugin id, e.g. {"framework-acme":{"windowHours":24}}',
        }),
      }),
    )
    .optional(),
});

export interface AppConfig {
  production: boolean;
  host: string;
  port: number;
  dataDir: string;
  database: DatabaseConfig;
  databasePoolSize: number;
  migrationsRun: boolean;
  redisUrl?: string;
  cacheNamespace: string;
  cacheTtlMs: number;
  /** In-memory cache only: entries kept before the least recently used is dropped. */
  cacheMaxEntries: number;
  /** In-memory cache only: serialized bytes kept before the least recently used entry is dropped. */
  cacheMaxBytes: number;
  /** Values larger than this (serialized) are never cached. */
  cacheMaxEntryBytes: number;
  /** A cache call that takes longer is abandoned and the database answers. */
  cacheTimeoutMs: number;
  /** Database connect / pool acquire, statement and lock-wait timeouts. */
  databaseTimeouts: { connectMs: number; statementMs: number; lockMs: number };
  /** How long the server retries a deadlock, a Galera certification failure or a node not ready (ADR 0054). */
  databaseRetry: { budgetMs: number; baseDelayMs: number; maxDelayMs: number };
  /** wsrep_sync_wait of every pooled session on a Galera node; 0: off (ADR 0054). */
  databaseWsrepSyncWait: number;
  reports: { urlTtlSeconds: number; inlineMaxBytes: number; syncMaxRows: number; maxPendingPerTenant: number; heartbeatSeconds: number };
  bootstrapAdminKey?: string;
  signingKeyPem?: string;
  signingKeyFile: string;
  /** DATAPUNK_TRUSTED_KEYS_FILE: previous signing keys' public halves that verification still trusts. */
  trustedPublicKeysFile?: string;
  /** Personal fields sealed under data-subject keys (ADR 0042): DATAPUNK_PRIVACY, the key, the subject resource types. */
  privacy: { enabled: boolean; keyBase64?: string; keyFile: string; subjectResourceTypes: string[] };
  /** VERIFY_CACHE_TTL_SECONDS: the longest a cached verifyAuditChain answer is served; 0 turns the cache off. */
  verifyCacheTtlMs: number;
  checkpointIntervalMs: number;
  /** CHECKPOINT_ORIGIN: a tenant's C2SP checkpoint origin (and key name) is `<origin>/<tenant id>` (ADR 0048). */
  checkpointOrigin: string;
  /**
   * WITNESSES, WITNESS_QUORUM, WITNESS_TIMEOUT_SECONDS: the C2SP witnesses each new checkpoint is
   * submitted to (URL and verifier key, parsed at start), how many cosignatures a checkpoint should
   * get (a warning in the log below it), and each request's timeout (ADR 0050).
   */
  witnesses: { entries: { url: string; vkey: string }[]; quorum: number; timeoutMs: number };
  limits: {
    maxEventsPerBatch: number;
    maxRequestBytes: number;
    maxStringLength: number;
    maxMetadataBytes: number;
    maxOccurredAtAgeMs: number;
    maxClockSkewMs: number;
    maxPageSize: number;
    defaultPageSize: number;
    maxQueryDepth: number;
    maxQueryCost: number;
    maxAliases: number;
    maxDirectives: number;
    /** Tokens the parser reads before it gives up (QUERY_TOO_LARGE). */
    maxQueryTokens: number;
    maxExpensiveFieldsPerOperation: number;
  };
  shutdownTimeoutMs: number;
  /** Per-minute budgets (0 = off), in memory or shared through REDIS_URL; see docs/security.md. */
  rateLimits: {
    requestsPerMinute: number;
    ingestEventsPerMinute: number;
    expensivePerMinute: number;
    unauthenticatedPerMinute: number;
    denialEventsPerWindow: number;
    denialWindowSeconds: number;
  };
  /** Reads of the log recorded in the chain (ADR 0044; docs/security.md, "Read records"). */
  readAudit: { enabled: boolean; flushSeconds: number; scopesPerKey: number };
  /** MAX_QUERY_BYTES: the GraphQL document text, separate from the body limit (sized for event batches). */
  maxQueryBytes: number;
  /**
   * How long after it occurred an event may be recorded and still count as recorded on time: a
   * follow-up recorded later is not timely, and an assessment of a closed period counts only events
   * recorded by its as-of instant plus this lag (ADR 0034).
   */
  evidenceRecordingLagMinutes: number;
  /** ASSESSMENT_SCHEDULE: off, or record every loaded framework's assessment of each closed UTC day or ISO week per tenant (ADR 0039). */
  assessmentSchedule: 'off' | 'daily' | 'weekly';
  /** RETENTION_SCHEDULE: off, or prune every tenant with retention rules once a UTC day (ADR 0043). */
  retentionSchedule: 'off' | 'daily';
  /** Node's http timeouts: keep-alive idle, headers (above keep-alive) and whole request. */
  http: { keepAliveTimeoutMs: number; headersTimeoutMs: number; requestTimeoutMs: number };
  /** CORS_ORIGINS: the exact origins a browser may call /graphql from (none by default). */
  corsOrigins: string[];
  /** When set, /metrics answers only to `Authorization: Bearer <token>`. */
  metricsToken?: string;
  logLevel: string;
  /** DATAPUNK_PLUGINS: third-party plugins, npm package names or paths, in order. */
  plugins: string[];
  /** DATAPUNK_PLUGIN_OPTIONS: each plugin's options, keyed by plugin id. */
  pluginOptions: Record<string, Record<string, unknown>>;
}

/** Start-up failure caused by a bad setting; names every bad variable at once. */
export class ConfigError extends Error {
  readonly code = ErrorCode.CONFIG_INVALID;
  constructor(readonly problems: string[]) {
    super(`Invalid configuration (${ErrorCode.CONFIG_INVALID}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function databaseFrom(url: string | undefined, dataDir: string): DatabaseConfig {
  if (!url) return { dialect: 'sqlite', location: path.resolve(dataDir, 'datapunk-audit.sqlite') };
  if (url.startsWith('mysql://')) return { dialect: 'mysql', location: url };
  if (url.startsWith('mariadb://')) return { dialect: 'mariadb', location: url };
  const file = url.replace(/^(sqlite|file):(\/\/)?/, '');
  return { dialect: 'sqlite', location: file === ':memory:' ? file : path.resolve(file) };
}

/** Settings whose values are secrets, and URLs whose password must not reach a log. */
// Plugin options may hold a plugin's credentials.
const SECRET_SETTINGS = new Set([
  'DATAPUNK_BOOTSTRAP_ADMIN_KEY',
  'DATAPUNK_SIGNING_KEY',
  'METRICS_BEARER_TOKEN',
  'DATAPUNK_PLUGIN_OPTIONS',
]);
const URL_SETTINGS = new Set(['DATABASE_URL', 'REDIS_URL']);

/** A bad value as a start-up message may show it: secrets hidden, URL passwords masked. */
function shown(name: string, value: string | undefined): string {
  if (value === undefined) return '""';
  if (SECRET_SETTINGS.has(name)) return '(hidden)';
  if (URL_SETTINGS.has(name)) return JSON.stringify(value.replace(/^([^:/]*:\/\/[^:@/]*):[^@/]*@/, '$1:***@'));
  return JSON.stringify(value);
}

/** Reads and validates the environment. Empty strings count as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = schema.safeParse(input);
  const problems: string[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        return `${name}=${shown(name, input[name])}: ${issue.message}`;
      });
  // Cross-setting checks run on the values that parsed, so one start reports every problem.
  const value = <K extends keyof typeof schema.shape>(name: K) => {
    const result = schema.shape[name].safeParse(input[name]);
    return result.success ? (result.data as z.output<(typeof schema.shape)[K]>) : undefined;
  };
  const defaultPageSize = value('DEFAULT_PAGE_SIZE');
  const maxPageSize = value('MAX_PAGE_SIZE');
  if (defaultPageSize !== undefined && maxPageSize !== undefined && defaultPageSize > maxPageSize) {
    problems.push('DEFAULT_PAGE_SIZE: must not exceed MAX_PAGE_SIZE');
  }
  if (input.DATAPUNK_SIGNING_KEY && input.DATAPUNK_SIGNING_KEY_FILE) {
    problems.push('DATAPUNK_SIGNING_KEY_FILE: set either DATAPUNK_SIGNING_KEY or DATAPUNK_SIGNING_KEY_FILE, not both');
  }
  const keepAlive = value('HTTP_KEEP_ALIVE_TIMEOUT_SECONDS');
  const requestTimeout = value('HTTP_REQUEST_TIMEOUT_SECONDS');
  if (keepAlive !== undefined && requestTimeout !== undefined && requestTimeout <= keepAlive + 1) {
    problems.push('HTTP_REQUEST_TIMEOUT_SECONDS: must exceed HTTP_KEEP_ALIVE_TIMEOUT_SECONDS + 1 (the headers timeout)');
  }
  const witnesses = value('WITNESSES') ?? [];
  const quorum = value('WITNESS_QUORUM');
  if (quorum !== undefined && quorum > witnesses.length) {
    problems.push(`WITNESS_QUORUM: must not exceed the number of WITNESSES (${witnesses.length})`);
  }
  const witnessNames = witnesses.map((entry) => entry.split(/ +/)[1].split('+')[0]);
  if (new Set(witnessNames).size !== witnessNames.length) problems.push('WITNESSES: names the same witness twice');
  if (problems.length || !parsed.success) throw new ConfigError(problems);
  const c = parsed.data;
  const dataDir = path.resolve(c.DATA_DIR);
  return {
    production: c.NODE_ENV === 'production',
    host: c.HOST,
    port: c.PORT,
    dataDir,
    database: databaseFrom(c.DATABASE_URL, dataDir),
    databasePoolSize: c.DATABASE_POOL_SIZE,
    migrationsRun: c.MIGRATIONS_RUN,
    redisUrl: c.REDIS_URL,
    cacheNamespace: c.CACHE_NAMESPACE,
    cacheTtlMs: c.CACHE_TTL_SECONDS * 1000,
    cacheMaxEntries: c.CACHE_MAX_ENTRIES,
    cacheMaxBytes: c.CACHE_MAX_BYTES,
    cacheMaxEntryBytes: c.CACHE_MAX_ENTRY_BYTES,
    cacheTimeoutMs: c.CACHE_TIMEOUT_MS,
    databaseTimeouts: {
      connectMs: c.DATABASE_CONNECT_TIMEOUT_SECONDS * 1000,
      statementMs: c.DATABASE_STATEMENT_TIMEOUT_SECONDS * 1000,
      lockMs: c.DATABASE_LOCK_TIMEOUT_SECONDS * 1000,
    },
    // Pauses from 0–10 ms doubling up to 0–1 s (full jitter): a certification conflict clears in milliseconds.
    databaseRetry: { budgetMs: c.DATABASE_RETRY_BUDGET_SECONDS * 1000, baseDelayMs: 10, maxDelayMs: 1000 },
    databaseWsrepSyncWait: c.DATABASE_WSREP_SYNC_WAIT,
    reports: {
      urlTtlSeconds: c.REPORT_URL_TTL_SECONDS,
      inlineMaxBytes: c.REPORT_INLINE_MAX_BYTES,
      syncMaxRows: c.REPORT_SYNC_MAX_ROWS,
      maxPendingPerTenant: c.REPORT_MAX_PENDING_PER_TENANT,
      heartbeatSeconds: c.REPORT_HEARTBEAT_SECONDS,
    },
    bootstrapAdminKey: c.DATAPUNK_BOOTSTRAP_ADMIN_KEY,
    signingKeyPem: c.DATAPUNK_SIGNING_KEY,
    signingKeyFile: path.resolve(c.DATAPUNK_SIGNING_KEY_FILE ?? path.join(dataDir, 'signing-key.pem')),
    trustedPublicKeysFile: c.DATAPUNK_TRUSTED_KEYS_FILE ? path.resolve(c.DATAPUNK_TRUSTED_KEYS_FILE) : undefined,
    privacy: {
      enabled: c.DATAPUNK_PRIVACY === 'on',
      keyBase64: c.DATAPUNK_PRIVACY_KEY,
      keyFile: path.resolve(c.DATAPUNK_PRIVACY_KEY_FILE ?? path.join(dataDir, 'privacy-key')),
      subjectResourceTypes: c.DATAPUNK_SUBJECT_RESOURCE_TYPES.split(','),
    },
    verifyCacheTtlMs: c.VERIFY_CACHE_TTL_SECONDS * 1000,
    checkpointIntervalMs: c.CHECKPOINT_INTERVAL_SECONDS * 1000,
    checkpointOrigin: c.CHECKPOINT_ORIGIN,
    witnesses: {
      entries: witnesses.map((entry) => {
        const [url, vkey] = entry.split(/ +/);
        return { url, vkey };
      }),
      quorum: c.WITNESS_QUORUM ?? witnesses.length,
      timeoutMs: c.WITNESS_TIMEOUT_SECONDS * 1000,
    },
    limits: {
      maxEventsPerBatch: c.MAX_EVENTS_PER_BATCH,
      maxRequestBytes: c.MAX_REQUEST_BYTES,
      maxStringLength: c.MAX_STRING_LENGTH,
      maxMetadataBytes: c.MAX_METADATA_BYTES,
      maxOccurredAtAgeMs: c.MAX_OCCURRED_AT_AGE_DAYS * 86_400_000,
      maxClockSkewMs: c.MAX_CLOCK_SKEW_SECONDS * 1000,
      maxPageSize: c.MAX_PAGE_SIZE,
      defaultPageSize: c.DEFAULT_PAGE_SIZE,
      maxQueryDepth: c.MAX_QUERY_DEPTH,
      maxQueryCost: c.MAX_QUERY_COST,
      maxAliases: c.MAX_ALIASES,
      maxDirectives: c.MAX_DIRECTIVES,
      maxQueryTokens: c.MAX_QUERY_TOKENS,
      maxExpensiveFieldsPerOperation: c.MAX_EXPENSIVE_FIELDS_PER_OPERATION,
    },
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    rateLimits: {
      requestsPerMinute: c.RATE_LIMIT_REQUESTS_PER_MINUTE,
      ingestEventsPerMinute: c.RATE_LIMIT_INGEST_EVENTS_PER_MINUTE,
      expensivePerMinute: c.RATE_LIMIT_EXPENSIVE_PER_MINUTE,
      unauthenticatedPerMinute: c.RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE,
      denialEventsPerWindow: c.RATE_LIMIT_DENIAL_EVENTS_PER_WINDOW,
      denialWindowSeconds: c.RATE_LIMIT_DENIAL_WINDOW_SECONDS,
    },
    readAudit: { enabled: c.READ_AUDIT, flushSeconds: c.READ_AUDIT_FLUSH_SECONDS, scopesPerKey: c.READ_AUDIT_SCOPES_PER_KEY },
    maxQueryBytes: c.MAX_QUERY_BYTES,
    evidenceRecordingLagMinutes: c.EVIDENCE_RECORDING_LAG_MINUTES,
    assessmentSchedule: c.ASSESSMENT_SCHEDULE,
    retentionSchedule: c.RETENTION_SCHEDULE,
    http: {
      keepAliveTimeoutMs: c.HTTP_KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
      // Above keep-alive, so a request that starts just as the idle timer ends is not cut off mid-headers.
      headersTimeoutMs: (c.HTTP_KEEP_ALIVE_TIMEOUT_SECONDS + 1) * 1000,
      requestTimeoutMs: c.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
    },
    corsOrigins: c.CORS_ORIGINS ?? [],
    metricsToken: c.METRICS_BEARER_TOKEN,
    logLevel: c.LOG_LEVEL,
    plugins: c.DATAPUNK_PLUGINS ?? [],
    pluginOptions: c.DATAPUNK_PLUGIN_OPTIONS ?? {},
  };
}
