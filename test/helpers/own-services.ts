import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createConnection } from 'mysql2/promise';

/**
 * Database and Redis processes a fault test owns: started on a free port with their own data
 * directory, killed, frozen and thawed by PID. The machine's shared MariaDB (3306) and Redis (6379)
 * are never touched.
 */
export interface OwnProcess {
  port: number;
  pid: number;
  /** SIGKILL: the process dies without a word, as in a crash. */
  kill(): Promise<void>;
  /** SIGSTOP: the process stays, holds its sockets and answers nothing. */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  /** Starts the process again on the same port and data (after kill()). */
  restart(): Promise<void>;
  /** Stops the process (if running) and removes its data. */
  close(): Promise<void>;
}

export interface OwnMariaDb extends OwnProcess {
  /** A `mariadb://` URL of a fresh database on this server. */
  createDatabase(): Promise<string>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function until(check: () => Promise<boolean>, what: string, attempts = 300): Promise<void> {
  for (let i = 0; i < attempts; i += 1) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready`);
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

function ownProcess(start: () => ChildProcess, ready: () => Promise<boolean>, what: string, cleanup: () => void) {
  let child: ChildProcess;
  const launch = async () => {
    child = start();
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await until(async () => {
      if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}: ${stderr}`);
      return ready();
    }, what);
  };
  const handle = {
    get pid() {
      return child.pid!;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    freeze() {
      child.kill('SIGSTOP');
    },
    thaw() {
      child.kill('SIGCONT');
    },
    restart: launch,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
        await exited(child);
      }
      cleanup();
    },
  };
  return { launch, handle };
}

/** A private redis-server on a free port, without persistence. */
export async function startOwnRedis(): Promise<OwnProcess> {
  const port = await freePort();
  const { launch, handle } = ownProcess(
    () =>
      spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      }),
    () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
        socket.once('data', (data) => {
          socket.destroy();
          resolve(data.toString().startsWith('+PONG'));
        });
        socket.once('error', () => resolve(false));
      }),
    'redis-server',
    () => undefined,
  );
  await launch();
  return withPort<object>(port, handle);
}

/** The handle with its port; `pid` stays a getter, since restart() starts a new process. */
function withPort<T extends object>(port: number, handle: Omit<OwnProcess, 'port'>, extra?: T): OwnProcess & T {
  return Object.defineProperties({ port, ...extra } as OwnProcess & T, {
    pid: { get: () => handle.pid, enumerable: true },
    kill: { value: handle.kill },
    freeze: { value: handle.freeze },
    thaw: { value: handle.thaw },
    restart: { value: handle.restart },
    close: { value: handle.close },
  });
}

/**
 * A private mariadbd on a free port with its own data directory (root over TCP, no password), as
 * the `mysql` user like the machine's own server. Starts in about a second.
 */
export async function startOwnMariaDb(): Promise<OwnMariaDb> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpa-mariadb-'));
  fs.chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync('chown', ['mysql:mysql', dir]);
  execFileSync(
    'mariadb-install-db',
    [...(asRoot ? ['--user=mysql'] : []), `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db'],
    { stdio: 'ignore' },
  );
  const connect = () => createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 2000 });
  const { launch, handle } = ownProcess(
    () =>
      spawn(
        '/usr/sbin/mariadbd',
        [
          '--no-defaults',
          ...(asRoot ? ['--user=mysql'] : []),
          `--datadir=${data}`,
          `--socket=${path.join(dir, 'mysqld.sock')}`,
          `--pid-file=${path.join(dir, 'mysqld.pid')}`,
          `--port=${port}`,
          '--bind-address=127.0.0.1',
          '--innodb-buffer-pool-size=32M',
          '--skip-log-bin',
          `--log-error=${path.join(dir, 'error.log')}`,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      ),
    async () => {
      const connection = await connect();
      await connection.end();
      return true;
    },
    'mariadbd',
    () => fs.rmSync(dir, { recursive: true, force: true }),
  );
  await launch();
  let databases = 0;
  return withPort<Pick<OwnMariaDb, 'createDatabase'>>(port, handle, {
    async createDatabase() {
      databases += 1;
      const name = `dpa_fault_${process.pid}_${databases}`;
      const connection = await connect();
      await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
      await connection.end();
      return `mariadb://root@127.0.0.1:${port}/${name}`;
    },
  });
}
