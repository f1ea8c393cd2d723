import type { DataSource } from 'typeorm';
import { fromSqlDateTime, placeholders, toNumber, toSqlDateTime } from '../database/sql-format';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { AssessmentRun, AssessmentTrigger } from './assessment-history';

const COLUMNS = [
  'id',
  'tenant_id',
  'framework_id',
  'framework_version',
  'plugin_version',
  'period_from',
  'period_to',
  'as_of',
  'recorded_by',
  'head_sequence',
  'head_chain_hash',
  'parameters',
  'scope',
  'summary',
  'statuses',
  'trigger',
  'schedule_window',
  'created_by',
  'created_at',
  'digest',
] as const;
/** `trigger` is a keyword on both dialects. */
const QUOTED = (dialect: 'sqlite' | 'mysql') => COLUMNS.map((c) => (dialect === 'mysql' ? `\`${c}\`` : `"${c}"`)).join(',');
const ORDER = 'period_to, as_of, created_at, id';

/** A JSON column that no longer parses was written outside the server. */
function json<T>(r: Record<string, unknown>, column: string): T {
  try {
    return JSON.parse(String(r[column])) as T;
  } catch {
    throw new AppError(
      ErrorCode.ASSESSMENT_RUN_TAMPERED,
      `Stored assessment run ${String(r.id)} has an unreadable ${column} column; it was changed outside the server.`,
      {
        runId: String(r.id),
      },
    );
  }
}

const runOf = (r: Record<string, unknown>): AssessmentRun => ({
  id: String(r.id),
  tenantId: String(r.tenant_id),
  frameworkId: String(r.framework_id),
  frameworkVersion: String(r.framework_version),
  pluginVersion: String(r.plugin_version),
  from: fromSqlDateTime(r.period_from),
  to: fromSqlDateTime(r.period_to),
  asOf: fromSqlDateTime(r.as_of),
  recordedBy: fromSqlDateTime(r.recorded_by),
  headSequence: toNumber(r.head_sequence),
  headChainHash: r.head_chain_hash === null ? null : String(r.head_chain_hash),
  parameters: json<AssessmentRun['parameters']>(r, 'parameters'),
  scope: json<AssessmentRun['scope']>(r, 'scope'),
  summary: json<AssessmentRun['summary']>(r, 'summary'),
  statuses: json<AssessmentRun['statuses']>(r, 'statuses'),
  trigger: String(r.trigger) as AssessmentTrigger,
  scheduleWindow: r.schedule_window === null ? null : String(r.schedule_window),
  createdBy: r.created_by === null ? null : String(r.created_by),
  createdAt: fromSqlDateTime(r.created_at),
  digest: String(r.digest),
});

const valuesOf = (r: AssessmentRun): (string | number | null)[] => [
  r.id,
  r.tenantId,
  r.frameworkId,
  r.frameworkVersion,
  r.pluginVersion,
  toSqlDateTime(r.from),
  toSqlDateTime(r.to),
  toSqlDateTime(r.asOf),
  toSqlDateTime(r.recordedBy),
  r.headSequence,
  r.headChainHash,
  JSON.stringify(r.parameters),
  JSON.stringify(r.scope),
  JSON.stringify(r.summary),
  JSON.stringify(r.statuses),
  r.trigger,
  r.scheduleWindow,
  r.createdBy,
  toSqlDateTime(r.createdAt),
  r.digest,
];

const sqlTime = (at: Date) => toSqlDateTime(at.toISOString());

/** A unique-key violation on either dialect (SQLite's constraint error, MariaDB's 1062). */
export function isDuplicateKey(error: unknown): boolean {
  const e = error as { code?: string; errno?: number; driverError?: { code?: string; errno?: number } };
  const code = e.driverError?.code ?? e.code;
  const errno = e.driverError?.errno ?? e.errno;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || errno === 1062;
}

/** Every statement on assessment_run (ADR 0039). */
export class AssessmentRunRepository {
  private readonly insertSql: string;

  constructor(private readonly dataSource: DataSource) {
    const dialect = dataSource.options.type === 'better-sqlite3' ? 'sqlite' : 'mysql';
    this.insertSql = `INSERT INTO assessment_run (${QUOTED(dialect)}) VALUES ${placeholders(1, COLUMNS.length)}`;
  }

  private async select(where: string, params: unknown[], tail: string): Promise<AssessmentRun[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(`SELECT * FROM assessment_run WHERE ${where} ${tail}`, params);
    return rows.map(runOf);
  }

  /** Throws a duplicate-key error (see {@link isDuplicateKey}) when the run's scheduled window is stored already. */
  async insert(run: AssessmentRun): Promise<void> {
    await this.dataSource.query(this.insertSql, valuesOf(run));
  }

  async delete(id: string): Promise<void> {
    await this.dataSource.query('DELETE FROM assessment_run WHERE id = ?', [id]);
  }

  async byWindow(tenantId: string, frameworkId: string, scheduleWindow: string): Promise<AssessmentRun | null> {
    const [run] = await this.select(
      'tenant_id = ? AND framework_id = ? AND schedule_window = ?',
      [tenantId, frameworkId, scheduleWindow],
      '',
    );
    return run ?? null;
  }

  async byId(tenantId: string, id: string): Promise<AssessmentRun | null> {
    const [run] = await this.select('tenant_id = ? AND id = ?', [tenantId, id], '');
    return run ?? null;
  }

  /** Runs of a framework whose range ends in (after, atMost], oldest end first; at most `limit`. */
  async endingIn(tenantId: string, frameworkId: string, after: Date, atMost: Date, limit: number): Promise<AssessmentRun[]> {
    return this.select(
      'tenant_id = ? AND framework_id = ? AND period_to > ? AND period_to <= ?',
      [tenantId, frameworkId, sqlTime(after), sqlTime(atMost)],
      `ORDER BY ${ORDER} LIMIT ${Math.trunc(limit)}`,
    );
  }

  /** The newest run whose range ends at or before `atMost`: the baseline the first change is measured from. */
  async lastEndingBy(tenantId: string, frameworkId: string, atMost: Date): Promise<AssessmentRun | null> {
    const [run] = await this.select(
      'tenant_id = ? AND framework_id = ? AND period_to <= ?',
      [tenantId, frameworkId, sqlTime(atMost)],
      'ORDER BY period_to DESC, as_of DESC, created_at DESC, id DESC LIMIT 1',
    );
    return run ?? null;
  }
}
