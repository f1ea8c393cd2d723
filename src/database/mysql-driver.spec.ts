import net from 'node:net';
import { createDataSource } from './data-source';
import { databaseFaultOf } from '../errors/database-error';
import { pingServer, sessionStatement } from './mysql-driver';
import type { DatabaseTimeouts } from './mysql-driver';

const SERVER = process.env.DATAPUNK_TEST_MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306';

describe('sessionStatement', () => {
  it('drops NO_BACKSLASH_ESCAPES from the server mode and sets the limits (MariaDB and MySQL spellings)', () => {
    const maria = sessionStatement('mariadb', { connectMs: 1000, statementMs: 2500, lockMs: 7000 });
    expect(maria).toContain("',NO_BACKSLASH_ESCAPES,'");
    expect(maria).toContain('max_statement_time = 2.500');
    expect(maria).toContain('innodb_lock_wait_timeout = 7');
    expect(sessionStatement('mysql', { connectMs: 1000, statementMs: 2500, lockMs: 7000 })).toContain('max_execution_time = 2500');
  });
});

describe('guarded mysql2 pool (shared MariaDB, read-only use)', () => {
  const dataSource = createDataSource({
    database: { dialect: 'mariadb', location: `${SERVER.replace(/\/$/, '')}/information_schema` },
    poolSize: 1,
    timeouts: { connectMs: 300, statementMs: 4000, lockMs: 3000 },
  });
  beforeAll(() => dataSource.initialize());
  afterAll(() => dataSource.destroy());

  it('sets the statement and lock limits on every pooled session', async () => {
    const [row] = await dataSource.query(
      'SELECT @@SESSION.max_statement_time AS statement, @@SESSION.innodb_lock_wait_timeout AS lock_wait, @@SESSION.sql_mode AS mode',
    );
    expect(Number(row.statement)).toBe(4);
    expect(Number(row.lock_wait)).toBe(3);
    expect(row.mode).not.toContain('NO_BACKSLASH_ESCAPES');
  });

  it('sets no Galera causality check on a server that is not a Galera node (ADR 0054; test/cluster covers one that is)', async () => {
    const [row] = await dataSource.query('SELECT @@wsrep_on AS `on`, @@SESSION.wsrep_sync_wait AS wait');
    expect(Number(row.on)).toBe(0);
    expect(Number(row.wait)).toBe(0);
  });

  it('names the right URL scheme when the server refuses the session settings: mysql:// against MariaDB', async () => {
    const wrong = createDataSource({
      database: { dialect: 'mysql', location: `${SERVER.replace(/\/$/, '').replace(/^mariadb:/, 'mysql:')}/information_schema` },
      poolSize: 1,
      timeouts: { connectMs: 2000, statementMs: 4000, lockMs: 3000 },
    });
    const error = await wrong.initialize().then(
      () => wrong.query('SELECT 1'),
      (e: unknown) => e,
    );
    if (wrong.isInitialized) await wrong.destroy();
    expect(error).toMatchObject({ code: 'DATABASE_DIALECT_MISMATCH', message: expect.stringContaining('mariadb:// DATABASE_URL') });
  });

  it('fails a caller that waits past the connect timeout for a free connection, instead of queueing it for ever', async () => {
    const holder = dataSource.createQueryRunner();
    await holder.connect(); // the pool's only connection
    try {
      const error = await dataSource.query('SELECT 1').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'POOL_ACQUIRE_TIMEOUT' });
      expect(databaseFaultOf(error)?.code).toBe('DATABASE_UNAVAILABLE');
    } finally {
      await holder.release();
    }
    // The connection that came free is handed out again.
    expect(await dataSource.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });
});

/** A TCP server on a free port; `onConnection` decides what a "server" there says. */
async function tcpServer(onConnection: (socket: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A proxy to the shared MariaDB that can stop forwarding: to a client, exactly a frozen server (the
 * port accepts, nothing answers, what was sent is delivered on thaw), without freezing anything shared.
 */
async function freezableProxy() {
  const target = new URL(SERVER);
  let frozen = false;
  let accepted = 0;
  const held = new Set<() => void>();
  const forward = (from: net.Socket, to: net.Socket) => {
    const chunks: Buffer[] = [];
    const flush = () => {
      for (const chunk of chunks.splice(0)) to.write(chunk);
    };
    held.add(flush);
    from.on('data', (chunk: Buffer) => (frozen ? chunks.push(chunk) : to.write(chunk)));
    from.on('close', () => {
      held.delete(flush);
      to.destroy();
    });
  };
  const server = await tcpServer((client) => {
    accepted += 1;
    const upstream = net.connect(Number(target.port || 3306), target.hostname);
    upstream.on('error', () => client.destroy());
    forward(client, upstream);
    forward(upstream, client);
  });
  return {
    url: `mariadb://${target.username || 'root'}@127.0.0.1:${server.port}`,
    /** Connections the proxy accepted so far: the pool's and the watchdog's pings. */
    accepted: () => accepted,
    freeze: () => {
      frozen = true;
    },
    thaw: () => {
      frozen = false;
      for (const flush of held) flush();
    },
    close: server.close,
  };
}

describe('pingServer', () => {
  it('is true for a live server, and for one that answers with an error packet (too many connections)', async () => {
    const { hostname, port } = new URL(SERVER);
    expect(await pingServer({ host: hostname, port: Number(port || 3306), user: 'root' }, 3000)).toBe(true);
    // What a server at max_connections sends at once: an error packet is an answer, the server is alive.
    const message = Buffer.from('#08004Too many connections');
    const payload = Buffer.concat([Buffer.from([0xff, 1040 & 0xff, 1040 >> 8]), message]);
    const header = Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, payload.length >> 16, 0]);
    const full = await tcpServer((socket) => socket.end(Buffer.concat([header, payload])));
    try {
      expect(await pingServer({ host: '127.0.0.1', port: full.port, user: 'root' }, 3000)).toBe(true);
    } finally {
      await full.close();
    }
  });

  it('does not take a stall of its own event loop (a long synchronous task) for silence', async () => {
    const { hostname, port } = new URL(SERVER);
    const answered = pingServer({ host: hostname, port: Number(port || 3306), user: 'root' }, 500);
    const until = Date.now() + 1500;
    while (Date.now() < until); // the loop is blocked for three times the deadline
    expect(await answered).toBe(true);
  });

  it('is false for a server that accepts and never answers, and for a port nobody listens on', async () => {
    const silent = await tcpServer(() => undefined);
    try {
      expect(await pingServer({ host: '127.0.0.1', port: silent.port, user: 'root' }, 500)).toBe(false);
    } finally {
      await silent.close();
    }
    expect(await pingServer({ host: '127.0.0.1', port: silent.port, user: 'root' }, 500)).toBe(false);
  });
});

describe('liveness watchdog of the guarded pool (default timeouts, a freezable proxy to the shared MariaDB)', () => {
  const DEFAULTS: DatabaseTimeouts = { connectMs: 5000, statementMs: 60_000, lockMs: 10_000 };
  let proxy: Awaited<ReturnType<typeof freezableProxy>>;
  const open = async (timeouts: DatabaseTimeouts) => {
    const dataSource = createDataSource({
      database: { dialect: 'mariadb', location: `${proxy.url}/information_schema` },
      poolSize: 2,
      timeouts,
    });
    await dataSource.initialize();
    await dataSource.query('SELECT 1'); // the pool's connection is open and free again
    return dataSource;
  };
  beforeAll(async () => {
    proxy = await freezableProxy();
  });
  afterAll(async () => {
    proxy.thaw();
    await proxy.close();
  });

  it('lets a long statement on a live server run: the ping answers', async () => {
    const dataSource = await open(DEFAULTS);
    try {
      const before = proxy.accepted();
      const [row] = await dataSource.query('SELECT SLEEP(5) AS interrupted');
      expect(Number(row.interrupted)).toBe(0);
      expect(proxy.accepted()).toBeGreaterThan(before); // the watchdog pinged on connections of its own
    } finally {
      await dataSource.destroy();
    }
  });

  it('leaves stopping a long statement to the server: max_statement_time still answers QUERY_TIMEOUT', async () => {
    const dataSource = await open({ ...DEFAULTS, statementMs: 4000 });
    try {
      const before = proxy.accepted();
      const error = await dataSource.query('SELECT SLEEP(20)').catch((e: unknown) => e);
      expect(error).toMatchObject({ errno: 1969 });
      expect(databaseFaultOf(error)?.code).toBe('QUERY_TIMEOUT');
      expect(proxy.accepted()).toBeGreaterThan(before);
    } finally {
      await dataSource.destroy();
    }
  });

  it('fails a statement outstanding on a frozen server with DATABASE_UNAVAILABLE long before the statement timeout, refuses new ones at once, and recovers on thaw', async () => {
    const dataSource = await open(DEFAULTS);
    try {
      const started = Date.now();
      const outstanding = dataSource.query('SELECT SLEEP(8)').catch((e: unknown) => e);
      proxy.freeze();
      const error = await outstanding;
      // The backstop alone would answer after statement + connect timeout (65 s).
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(error).toMatchObject({ code: 'SERVER_NOT_ANSWERING' });
      expect(databaseFaultOf(error)?.code).toBe('DATABASE_UNAVAILABLE');
      // Refused by the watchdog, not left to wait for a connect timeout.
      const refused = await dataSource.query('SELECT 1').catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'SERVER_NOT_ANSWERING' });

      proxy.thaw();
      let answer: unknown;
      for (let attempt = 0; attempt < 100 && !Array.isArray(answer); attempt += 1) {
        answer = await dataSource.query('SELECT 1 AS ok').catch((e: unknown) => e);
        if (!Array.isArray(answer)) await new Promise((r) => setTimeout(r, 100));
      }
      expect(answer).toEqual([{ ok: 1 }]);
    } finally {
      proxy.thaw();
      await dataSource.destroy();
    }
  });
});
