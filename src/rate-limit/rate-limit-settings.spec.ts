import { ConfigError, loadConfig } from '../config/config';

describe('rate-limit settings', () => {
  it('default to budgets far above a well-behaved client, with the denial cap at SOC 2 CC7.2’s threshold', () => {
    expect(loadConfig({}).rateLimits).toEqual({
      requestsPerMinute: 3000,
      ingestEventsPerMinute: 600_000,
      expensivePerMinute: 300,
      unauthenticatedPerMinute: 120,
      denialEventsPerWindow: 10,
      denialWindowSeconds: 600,
    });
  });

  it('take 0 to switch a budget off and refuse what is not a whole number, naming each setting', () => {
    expect(loadConfig({ RATE_LIMIT_REQUESTS_PER_MINUTE: '0', RATE_LIMIT_EXPENSIVE_PER_MINUTE: '0' }).rateLimits).toMatchObject({
      requestsPerMinute: 0,
      expensivePerMinute: 0,
    });
    let error: unknown;
    try {
      loadConfig({ RATE_LIMIT_INGEST_EVENTS_PER_MINUTE: '-1', RATE_LIMIT_DENIAL_WINDOW_SECONDS: '0' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    expect((error as ConfigError).problems.map((p) => p.split('=')[0]).sort()).toEqual([
      'RATE_LIMIT_DENIAL_WINDOW_SECONDS',
      'RATE_LIMIT_INGEST_EVENTS_PER_MINUTE',
    ]);
  });
});
