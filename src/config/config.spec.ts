import path from 'node:path';
import { ErrorCode } from '../errors/error-code';
import { ConfigError, loadConfig } from './config';

/** Runs loadConfig and returns the ConfigError it throws (fails the test when it does not throw). */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(ErrorCode.CONFIG_INVALID);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

/** The variable each problem names: problems read `NAME=…: why` or `NAME: why`. */
const named = (error: ConfigError): string[] => error.problems.map((p) => /^([A-Z_]+)[=:]/.exec(p)?.[1] ?? p);

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      production: false,
      host: '0.0.0.0',
      port: 4000,
      dataDir: path.resolve('./data'),
      database: { dialect: 'sqlite', location: path.resolve('./data', 'datapunk-audit.sqlite') },
      databasePoolSize: 10,
      migrationsRun: true,
      cacheNamespace: 'datapunk',
      cacheTtlMs: 3_600_000,
      signingKeyFile: path.resolve('./data', 'signing-key.pem'),
      checkpointIntervalMs: 60_000,
      verifyCacheTtlMs: 300_000,
      shutdownTimeoutMs: 25_000,
      logLevel: 'info',
      limits: {
        maxEventsPerBatch: 1000,
        maxRequestBytes: 16 * 1024 * 1024,
        maxStringLength: 1024,
        maxMetadataBytes: 16384,
        maxOccurredAtAgeMs: 3650 * 86_400_000,
        maxClockSkewMs: 300_000,
        maxPageSize: 500,
        defaultPageSize: 50,
        maxQueryDepth: 12,
        maxQueryCost: 50000,
        maxAliases: 30,
        maxDirectives: 50,
        maxQueryTokens: 5000,
        maxExpensiveFieldsPerOperation: 1,
      },
    });
    expect(c.redisUrl).toBeUndefined();
    expect(c.bootstrapAdminKey).toBeUndefined();
    expect(c.signingKeyPem).toBeUndefined();
    expect(c.limits.maxEventsPerBatch).toBeGreaterThanOrEqual(1000);
  });

  it('reads good values and treats empty strings as unset', () => {
    const c = loadConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      DATA_DIR: '/tmp/dpa-config-spec',
      MIGRATIONS_RUN: 'no',
      REDIS_URL: 'redis://cache:6379/2',
      CHECKPOINT_INTERVAL_SECONDS: '0',
      MAX_EVENTS_PER_BATCH: '',
      LOG_LEVEL: 'silent',
    });
    expect(c).toMatchObject({
      production: true,
      port: 8080,
      dataDir: '/tmp/dpa-config-spec',
      database: { dialect: 'sqlite', location: '/tmp/dpa-config-spec/datapunk-audit.sqlite' },
      migrationsRun: false,
      redisUrl: 'redis://cache:6379/2',
      checkpointIntervalMs: 0,
      logLevel: 'silent',
    });
    expect(c.limits.maxEventsPerBatch).toBe(1000);
  });

  it.each([
    ['absent', undefined, 'sqlite', path.resolve('/srv/dpa/datapunk-audit.sqlite')],
    ['mysql://', 'mysql://app:pw@db:3306/audit', 'mysql', 'mysql://app:pw@db:3306/audit'],
    ['mariadb://', 'mariadb://app@db/audit', 'mariadb', 'mariadb://app@db/audit'],
    ['sqlite:<relative path>', 'sqlite:./x/audit.db', 'sqlite', path.resolve('./x/audit.db')],
    ['sqlite:///<absolute path>', 'sqlite:///var/lib/audit.db', 'sqlite', '/var/lib/audit.db'],
    ['file:<path>', 'file:/var/lib/audit.db', 'sqlite', '/var/lib/audit.db'],
    ['sqlite::memory:', 'sqlite::memory:', 'sqlite', ':memory:'],
  ])('DATABASE_URL %s → its dialect', (_label, url, dialect, location) => {
    const c = loadConfig({ DATA_DIR: '/srv/dpa', ...(url ? { DATABASE_URL: url } : {}) });
    expect(c.database).toEqual({ dialect, location });
  });

  it.each([
    ['NODE_ENV', 'prod'],
    ['PORT', 'abc'],
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['DATABASE_URL', 'postgres://db/audit'],
    ['DATABASE_URL', 'mysql:/missing-slash'],
    ['DATABASE_POOL_SIZE', '0'],
    ['MIGRATIONS_RUN', 'maybe'],
    ['REDIS_URL', 'http://cache:6379'],
    ['CACHE_NAMESPACE', 'has:colon'],
    ['CACHE_TTL_SECONDS', '0'],
    ['DATAPUNK_BOOTSTRAP_ADMIN_KEY', 'too-short'],
    ['CHECKPOINT_INTERVAL_SECONDS', '86401'],
    ['VERIFY_CACHE_TTL_SECONDS', '86401'],
    ['VERIFY_CACHE_TTL_SECONDS', '-1'],
    ['MAX_EVENTS_PER_BATCH', '0'],
    ['MAX_EVENTS_PER_BATCH', '10001'],
    ['MAX_REQUEST_BYTES', '1023'],
    ['MAX_STRING_LENGTH', '15'],
    ['MAX_METADATA_BYTES', '1'],
    ['MAX_OCCURRED_AT_AGE_DAYS', '0'],
    ['MAX_CLOCK_SKEW_SECONDS', 'five'],
    ['MAX_PAGE_SIZE', '1001'],
    ['DEFAULT_PAGE_SIZE', '0'],
    ['MAX_QUERY_DEPTH', '1'],
    ['MAX_QUERY_COST', '9'],
    ['MAX_ALIASES', '0'],
    ['SHUTDOWN_TIMEOUT_SECONDS', '0'],
    ['LOG_LEVEL', 'verbose'],
  ])('%s=%j stops the start with a problem naming the variable', (name, value) => {
    const error = configError({ [name]: value });
    expect(named(error)).toEqual([name]);
    expect(error.message).toContain(name);
  });

  it('names a variable in a cross-setting problem', () => {
    expect(named(configError({ MAX_PAGE_SIZE: '100', DEFAULT_PAGE_SIZE: '200' }))).toEqual(['DEFAULT_PAGE_SIZE']);
    expect(named(configError({ DATAPUNK_SIGNING_KEY: 'pem', DATAPUNK_SIGNING_KEY_FILE: '/k.pem' }))).toEqual(['DATAPUNK_SIGNING_KEY_FILE']);
  });

  it('reads WITNESSES as "<url> <vkey>" entries, the quorum defaulting to all of them, and names bad entries', () => {
    const a = 'w1.example+0a1b2c3d+BCpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
    const b = 'w2.example+0a1b2c3e+BCpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
    const config = loadConfig({ WITNESSES: `http://127.0.0.1:7380 ${a}, https://w2.example/ ${b}` });
    expect(config.witnesses).toEqual({
      entries: [
        { url: 'http://127.0.0.1:7380', vkey: a },
        { url: 'https://w2.example/', vkey: b },
      ],
      quorum: 2,
      timeoutMs: 5000,
    });
    expect(loadConfig({}).witnesses).toEqual({ entries: [], quorum: 0, timeoutMs: 5000 });
    expect(named(configError({ WITNESSES: a }))).toEqual(['WITNESSES']);
    expect(named(configError({ WITNESSES: `ftp://x ${a}` }))).toEqual(['WITNESSES']);
    expect(named(configError({ WITNESSES: `http://x ${a},http://y ${a}` }))).toEqual(['WITNESSES']);
    expect(named(configError({ WITNESSES: `http://x ${a}`, WITNESS_QUORUM: '2' }))).toEqual(['WITNESS_QUORUM']);
    expect(named(configError({ WITNESS_TIMEOUT_SECONDS: '0' }))).toEqual(['WITNESS_TIMEOUT_SECONDS']);
  });

  it('reports several bad values at once, cross-setting problems included', () => {
    const error = configError({
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      REDIS_URL: 'memcached://x',
      MAX_ALIASES: '-3',
      MAX_PAGE_SIZE: '100',
      DEFAULT_PAGE_SIZE: '200',
    });
    expect(named(error).sort()).toEqual(['DEFAULT_PAGE_SIZE', 'LOG_LEVEL', 'MAX_ALIASES', 'PORT', 'REDIS_URL']);
    for (const name of named(error)) expect(error.message).toContain(name);
  });

  it('never echoes a secret in the problem it reports', () => {
    const error = configError({
      DATAPUNK_BOOTSTRAP_ADMIN_KEY: 'hunter2-admin-secret',
      DATABASE_URL: 'postgres://app:db-password-1@db/audit',
      REDIS_URL: 'http://:redis-password-1@cache:6379',
    });
    expect(named(error).sort()).toEqual(['DATABASE_URL', 'DATAPUNK_BOOTSTRAP_ADMIN_KEY', 'REDIS_URL']);
    for (const secret of ['hunter2-admin-secret', 'db-password-1', 'redis-password-1']) expect(error.message).not.toContain(secret);
  });

  it('reads DATAPUNK_PLUGINS as trimmed entries and DATAPUNK_PLUGIN_OPTIONS as options by plugin id', () => {
    expect(loadConfig({})).toMatchObject({ plugins: [], pluginOptions: {} });
    const c = loadConfig({
      DATAPUNK_PLUGINS: ' @acme/datapunk-framework , ./plugins/local,/opt/plugins/x',
      DATAPUNK_PLUGIN_OPTIONS: '{"framework-acme":{"windowHours":24}}',
    });
    expect(c.plugins).toEqual(['@acme/datapunk-framework', './plugins/local', '/opt/plugins/x']);
    expect(c.pluginOptions).toEqual({ 'framework-acme': { windowHours: 24 } });
  });

  it('refuses empty or repeated plugin entries and options that are not objects by id', () => {
    expect(named(configError({ DATAPUNK_PLUGINS: 'a,,b' }))).toEqual(['DATAPUNK_PLUGINS']);
    expect(named(configError({ DATAPUNK_PLUGINS: 'a,b,a' }))).toEqual(['DATAPUNK_PLUGINS']);
    for (const bad of ['{not json', '[1]', '{"x":1}', '"text"']) {
      expect(named(configError({ DATAPUNK_PLUGIN_OPTIONS: bad }))).toEqual(['DATAPUNK_PLUGIN_OPTIONS']);
    }
  });

  it('never echoes plugin options, which may hold credentials', () => {
    const error = configError({ DATAPUNK_PLUGIN_OPTIONS: '{"x":"token-123"' });
    expect(error.message).not.toContain('token-123');
  });
});
