import { createConnection } from 'mysql2/promise';
import { startOwnMariaDb, startOwnRedis } from '../helpers/own-services';

// The fault suites rely on these: a private server that can be killed, frozen and restarted.
describe('own services for fault tests', () => {
  it('starts, freezes, kills and restarts a private MariaDB without touching the shared one', async () => {
    const db = await startOwnMariaDb();
    try {
      expect(db.port).not.toBe(3306);
      const url = new URL(await db.createDatabase());
      const query = async () => {
        const c = await createConnection({
          host: url.hostname,
          port: Number(url.port),
          user: 'root',
          database: url.pathname.slice(1),
          connectTimeout: 1000,
        });
        try {
          const [rows] = await c.query('SELECT 1 AS ok');
          return rows;
        } finally {
          await c.end().catch(() => undefined);
        }
      };
      expect(await query()).toEqual([{ ok: 1 }]);
      const before = db.pid;
      db.freeze();
      await expect(query()).rejects.toThrow();
      db.thaw();
      expect(await query()).toEqual([{ ok: 1 }]);
      await db.kill();
      await expect(query()).rejects.toThrow();
      await db.restart();
      expect(db.pid).not.toBe(before);
      expect(await query()).toEqual([{ ok: 1 }]);
    } finally {
      await db.close();
    }
  });

  it('starts, kills and restarts a private Redis', async () => {
    const redis = await startOwnRedis();
    try {
      expect(redis.port).not.toBe(6379);
      const before = redis.pid;
      await redis.kill();
      await redis.restart();
      expect(redis.pid).not.toBe(before);
    } finally {
      await redis.close();
    }
  });
});
