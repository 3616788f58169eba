import fs from 'node:fs';
import { Client } from 'pg';
import { createRedis } from '../shared/redis';
import { givenPrivatePostgres, givenPrivateRedis, type PrivatePostgres, type PrivateRedis } from './support/private-servers';

const select = async (url: string, sql: string): Promise<unknown[]> => {
  const c = new Client({ connectionString: url });
  await c.connect();
  try { return (await c.query<Record<string, unknown>>(sql)).rows; } finally { await c.end(); }
};

describe('private Redis and Postgres for outage tests', () => {
  let redis: PrivateRedis | undefined;
  let pg: PrivatePostgres | undefined;
  afterAll(async () => { await Promise.all([redis?.destroy(), pg?.destroy()]); });

  it('a private Redis stops and restarts on its own port, with or without its data', async () => {
    redis = await givenPrivateRedis({ persist: true });
    expect(redis.port).not.toBe(6379);
    const client = createRedis(redis.url);
    try {
      await client.set('k', 'v');
      await redis.restart();
      expect(await client.get('k')).toBe('v'); // kept (append-only file), the client reconnected
      await redis.stop({ hard: true });
      expect(redis.running).toBe(false);
      await expect(client.ping()).rejects.toThrow();
      await redis.start();
      expect(await client.ping()).toBe('PONG');
    } finally { client.disconnect(); }
  });

  it('a private Postgres cluster is migrated, stops, restarts and is removed by destroy', async () => {
    pg = await givenPrivatePostgres({ migrate: true });
    expect(pg.port).not.toBe(5432);
    expect(await select(pg.url, "select 1 from information_schema.tables where table_name = 'locations'")).toHaveLength(1);
    await select(pg.url, "insert into locations (id, name, state, time_zone, lsp_id, pos_loc_id, dutchie_api) values ('s1', 'S', 'AZ', 'America/Phoenix', 1, 1, 'pos')");
    await pg.stop();
    await expect(select(pg.url, 'select 1')).rejects.toThrow();
    await pg.start();
    expect(await select(pg.url, 'select id from locations')).toEqual([{ id: 's1' }]);
    await pg.restart({ hard: true }); // as a crash: recovers from its WAL
    expect(await select(pg.url, 'select id from locations')).toEqual([{ id: 's1' }]);
    const dir = pg.dir;
    await pg.destroy();
    await pg.destroy(); // twice is fine
    expect(fs.existsSync(dir)).toBe(false);
    await expect(select(pg.url, 'select 1')).rejects.toThrow();
  });
});
