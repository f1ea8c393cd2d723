import { backOff } from 'exponential-backoff';
import { DataSource, type DataSourceOptions, type QueryRunner } from 'typeorm';

/**
 * How long the server itself retries a transaction or statement the database refused for a reason
 * that passes (ADR 0054): a conflict with a concurrent write, or a Galera node not ready yet.
 */
export interface RetryPolicy {
  /** From the first try: no pause starts that could end past it (DATABASE_RETRY_BUDGET_SECONDS; 0: no retry). */
  budgetMs: number;
  /** The first pause's ceiling; each next one doubles, up to `maxDelayMs`. Each pause is drawn from [0, ceiling) (full jitter). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Told of each retry taken (the metrics: datapunk_database_retries_total). */
  onRetry?: (kind: TransientKind) => void;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { budgetMs: 10_000, baseDelayMs: 10, maxDelayMs: 1_000 };

/**
 * Why a database refusal is worth retrying, or null.
 * - `conflict`: the transaction was rolled back whole and may be redone — ER_LOCK_DEADLOCK (1213:
 *   an InnoDB deadlock, or on Galera a certification failure or a brute-force abort by another
 *   node's write) and ER_LOCK_WAIT_TIMEOUT (1205; the caller rolls the rest back).
 * - `not-ready`: 1047 (ER_UNKNOWN_COM_ERROR), "WSREP has not yet prepared node for application
 *   use": a Galera node out of the primary component or still joining refused the statement.
 * A lost connection is never one: a statement sent may have been applied (ADR 0054).
 */
export type TransientKind = 'conflict' | 'not-ready';

const fieldsOf = (error: unknown): { errno?: unknown; code?: unknown } => {
  if (typeof error !== 'object' || error === null) return {};
  const driver = (error as { driverError?: unknown }).driverError;
  const own = error as { errno?: unknown; code?: unknown };
  return own.errno === undefined && own.code === undefined && typeof driver === 'object' && driver !== null ? driver : own;
};

export function transientFaultOf(error: unknown): TransientKind | null {
  const { errno, code } = fieldsOf(error);
  if (errno === 1213 || errno === 1205 || code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT') return 'conflict';
  if (errno === 1047) return 'not-ready';
  return null;
}

/** The ceiling of the pause before retry `n` (1 for the first retry). */
export const pauseCeilingMs = (policy: RetryPolicy, n: number): number => Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));

/**
 * Runs `attempt`, and again after a jittered, exponentially growing pause each time it fails with
 * a transient fault, as long as the pause ends within the budget; then the last error is thrown.
 * Every other error is thrown at once. `attempt` must be safe to redo after such a fault: each try
 * its own transaction (or autocommitted statement), rolled back by the fault.
 */
export async function retryTransient<T>(
  policy: RetryPolicy,
  attempt: () => Promise<T>,
  onRetry?: (error: unknown, retry: number) => void,
): Promise<T> {
  if (policy.budgetMs <= 0) return attempt();
  const started = performance.now();
  return backOff(attempt, {
    jitter: 'full',
    startingDelay: policy.baseDelayMs,
    timeMultiple: 2,
    maxDelay: policy.maxDelayMs,
    numOfAttempts: Number.MAX_SAFE_INTEGER,
    retry: (error: unknown, next: number) => {
      // `next` counts tries made; the pause before the next one is drawn below pauseCeilingMs(next).
      const kind = transientFaultOf(error);
      if (kind === null) return false;
      if (performance.now() - started + pauseCeilingMs(policy, next) > policy.budgetMs) return false;
      policy.onRetry?.(kind);
      onRetry?.(error, next);
      return true;
    },
  });
}

/**
 * The data source every process opens (createDataSource): a statement sent through it alone
 * (`query` without a query runner, autocommitted) is retried under its policy; a transaction's
 * owner retries the transaction whole (`retryTransient(retryPolicyOf(dataSource), …)`).
 */
export class RetryingDataSource extends DataSource {
  constructor(
    options: DataSourceOptions,
    readonly retryPolicy: RetryPolicy,
  ) {
    super(options);
  }

  override query<T = unknown>(query: string, parameters?: unknown[], queryRunner?: QueryRunner): Promise<T> {
    if (queryRunner) return super.query<T>(query, parameters, queryRunner);
    return retryTransient(this.retryPolicy, () => super.query<T>(query, parameters));
  }
}

/** The retry policy of a data source: its own, or the default for one made elsewhere (tests, tools). */
export const retryPolicyOf = (dataSource: DataSource): RetryPolicy =>
  dataSource instanceof RetryingDataSource ? dataSource.retryPolicy : DEFAULT_RETRY_POLICY;
