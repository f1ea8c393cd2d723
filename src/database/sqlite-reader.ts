import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';

/** One read statement and the values of its `?` placeholders. */
export interface ReadStatement {
  text: string;
  params: unknown[];
}

export interface SqliteReaderOptions {
  /** The SQLite file (the server's own database, in WAL mode). */
  file: string;
  /** A read that runs longer is stopped and answered with QUERY_TIMEOUT (DATABASE_STATEMENT_TIMEOUT_SECONDS); 0: no limit. */
  timeoutMs: number;
  /** Readers running at once (each its own process and connection). */
  size?: number;
}

type Rows = Record<string, unknown>[];

/**
 * The reader process: a read-only connection to the same file, `regexp` as the server registers
 * it, and one read transaction per message, so the statements of a message see one snapshot.
 * Plain JavaScript run with `node -e` (the same under ts-jest/swc and from dist/).
 */
const READER_SCRIPT = `
const Database = require(process.argv[1]);
const db = new Database(process.argv[2], { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 10000');
const compiled = new Map();
// The same as sqliteRegexp in src/compliance/name-pattern.ts (value REGEXP pattern).
db.function('regexp', { deterministic: true }, (pattern, value) => {
  if (typeof value !== 'string') return 0;
  let regex = compiled.get(pattern);
  if (!regex) { regex = new RegExp(pattern, 'u'); if (compiled.size < 10000) compiled.set(pattern, regex); }
  return regex.test(value) ? 1 : 0;
});
const read = db.transaction((statements) => statements.map((s) => db.prepare(s.text).all(...s.params)));
process.on('message', (m) => {
  try { process.send({ id: m.id, results: read(m.statements) }); }
  catch (e) { process.send({ id: m.id, error: String(e && e.message || e), code: e && typeof e.code === 'string' ? e.code : undefined }); }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
`;

interface Job {
  statements: ReadStatement[];
  timeoutMs: number;
  resolve(rows: Rows[]): void;
  reject(error: Error): void;
}

/** One reader process; replaced by a fresh one after a timeout or a crash. */
class ReaderProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  private current: { id: number; job: Job; timer: NodeJS.Timeout | undefined } | null = null;
  private nextId = 0;
  dead = false;

  constructor(file: string, onExit: (reader: ReaderProcess) => void) {
    this.child = spawn(process.execPath, ['-e', READER_SCRIPT, require.resolve('better-sqlite3'), file], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    // Neither keeps the server alive: close() kills the readers, and a reader exits with its parent.
    this.child.unref();
    (this.child.channel as { unref?: () => void } | undefined)?.unref?.();
    let stderr = '';
    this.child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (message: { ready?: boolean; id?: number; results?: Rows[]; error?: string; code?: string }) => {
        if (message.ready) return resolve();
        const current = this.current;
        if (!current || current.id !== message.id) return;
        this.current = null;
        clearTimeout(current.timer);
        // The driver's code (SQLITE_BUSY, SQLITE_IOERR…) travels along, so the fault keeps its coded answer.
        if (message.error !== undefined)
          current.job.reject(Object.assign(new Error(`SQLite read failed: ${message.error}`), { code: message.code }));
        else current.job.resolve(message.results!);
      });
      this.child.once('exit', (code, signal) => {
        this.dead = true;
        // A reader that dies under a read is the database being unavailable to it, not a bug of the request.
        const error = Object.assign(new Error(`the SQLite reader exited (${signal ?? code}): ${stderr.trim()}`), {
          code: 'SQLITE_CANTOPEN',
        });
        reject(error);
        const current = this.current;
        this.current = null;
        if (current) {
          clearTimeout(current.timer);
          current.job.reject(error);
        }
        onExit(this);
      });
    });
    // A start that fails is reported to the job waiting for it, not as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /** Runs one job; the caller hands out at most one at a time. */
  async run(job: Job): Promise<void> {
    await this.ready;
    const id = (this.nextId += 1);
    const timer = !(job.timeoutMs > 0)
      ? undefined
      : setTimeout(() => {
          if (this.current?.id !== id) return;
          this.current = null;
          // Answered once the process is gone, so the statement's work has ended when the client hears.
          this.child.once('exit', () =>
            job.reject(
              new AppError(ErrorCode.QUERY_TIMEOUT, `The query ran longer than ${job.timeoutMs / 1000} s and was stopped.`, {
                timeoutSeconds: job.timeoutMs / 1000,
              }),
            ),
          );
          // SIGKILL: a statement in native code cannot be interrupted from JavaScript; its process can.
          this.kill();
        }, job.timeoutMs);
    this.current = { id, job, timer };
    this.child.send({ id, statements: job.statements });
  }

  /** Kills the process at once (it only reads); it is never handed a job again. */
  kill(): void {
    this.dead = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * Runs the heavy read-only SQL of assessments on SQLite outside the server's event loop.
 * better-sqlite3 is synchronous: a long aggregation in the server's thread would stall every request
 * (and /healthz) until it ends. Each reader is a small child process with its own read-only
 * connection to the same WAL-mode file; the statements of one call run in one read transaction (one
 * snapshot). A call that runs longer than the timeout is answered with QUERY_TIMEOUT and its
 * process killed, and the next call starts a fresh one (ADR 0014: a worker thread cannot be stopped
 * while better-sqlite3 is inside a statement, a process can).
 */
export class SqliteReader {
  private readonly file: string;
  private readonly size: number;
  private readonly idle: ReaderProcess[] = [];
  private readonly busy = new Set<ReaderProcess>();
  private readonly queue: Job[] = [];
  private closed = false;

  constructor(private readonly options: SqliteReaderOptions) {
    this.file = path.resolve(options.file);
    this.size = Math.max(1, options.size ?? 2);
  }

  /** Process ids of the running readers (for tests and diagnostics). */
  get pids(): number[] {
    return [...this.idle, ...this.busy].filter((r) => !r.dead).map((r) => r.child.pid!);
  }

  /** Runs `statements` in one read transaction; rejects with QUERY_TIMEOUT past the timeout. */
  read(statements: ReadStatement[], options: { timeoutMs?: number } = {}): Promise<Rows[]> {
    if (this.closed) return Promise.reject(new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'The server is shutting down.'));
    return new Promise<Rows[]>((resolve, reject) => {
      this.queue.push({ statements, timeoutMs: options.timeoutMs ?? this.options.timeoutMs, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length && (this.idle.length || this.busy.size < this.size)) {
      const reader = this.idle.pop() ?? new ReaderProcess(this.file, (r) => this.forget(r));
      const job = this.queue.shift()!;
      this.busy.add(reader);
      const release = () => {
        this.busy.delete(reader);
        if (!reader.dead && !this.closed) this.idle.push(reader);
        this.dispatch();
      };
      reader
        .run({
          ...job,
          resolve: (rows) => (job.resolve(rows), release()),
          reject: (error) => (job.reject(error), release()),
        })
        .catch((error: Error) => (job.reject(error), release()));
    }
  }

  private forget(reader: ReaderProcess): void {
    this.busy.delete(reader);
    const i = this.idle.indexOf(reader);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Stops every reader; calls still queued are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'The server is shutting down.'));
    const readers = [...this.idle, ...this.busy];
    await Promise.all(
      readers.map(
        (r) =>
          new Promise<void>((resolve) => {
            if (r.child.exitCode !== null || r.child.signalCode !== null) return resolve();
            r.child.once('exit', () => resolve());
            r.kill();
          }),
      ),
    );
  }
}
