/**
 * Given-helper for the deals API's outage tests: the API listening on a port of its own over a
 * private Redis and a private Postgres (test/support/private-servers.ts) that the test may stop,
 * with stores, deals and inventory projected as the projector does it.
 */
import type http from 'node:http';
import net from 'node:net';
import { Registry } from 'prom-client';
import { createDb, type Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { Deal, InventoryItem } from '../../shared/events';
import { createLogger, type Logger } from '../../shared/logger';
import { createRedis, redisKeys, type Redis } from '../../shared/redis';
import { createApp, type DealsApiDeps } from '../../services/deals-api/app';
import { applyInventoryBatch, loadDealsFromDb, rebuildInventorySnapshot } from '../../services/projector/inventory-projection';
import { projectDeals } from './deals';
import type { PrivatePostgres, PrivateRedis } from './private-servers';

export interface OutageWorld {
  db: Kysely<Database>;
  redis: Redis;
  redisPrefix: string;
  logger: Logger;
  /** stores rows, projects deals and inventory (Postgres and Redis, as the projector does) */
  givenStore(id: string, deals: Deal[], items: InventoryItem[]): Promise<void>;
  /** a deals API over these servers, listening on a free port; closed by close() */
  startApi(over?: Partial<DealsApiDeps>): Promise<{ url: string; get(path: string): Promise<{ status: number; text: string }>; server: http.Server }>;
  close(): Promise<void>;
}

export async function givenOutageWorld(servers: { redis: PrivateRedis; pg: PrivatePostgres }, now: number): Promise<OutageWorld> {
  const logger = createLogger('test-outage', process.env.TEST_LOG_LEVEL ?? 'silent');
  const db = createDb(servers.pg.url, 5); // an idle connection lost to the outage is dropped and reopened
  const redis = createRedis(servers.redis.url);
  redis.on('error', () => undefined); // reconnects by itself; the API decides what an error means
  const redisPrefix = 'outage:';
  const servers_: http.Server[] = [];

  return {
    db, redis, redisPrefix, logger,
    async givenStore(id, deals, items) {
      await db.insertInto('locations').values({ id, name: `Store ${id}`, city: 'Tempe', slug: id.toLowerCase(), state: 'AZ', time_zone: 'America/Phoenix', lsp_id: 1, pos_loc_id: 1, dutchie_api: 'pos', org_id: null })
        .onConflict((oc) => oc.column('id').doNothing()).execute();
      await projectDeals({ db, redis, redisPrefix }, deals, new Date(now - 60_000));
      await applyInventoryBatch(db, items.map((item) => ({ key: item.id, item, version: now })), new Date(now));
      await rebuildInventorySnapshot({ db, redis, inventoryKey: redisKeys(redisPrefix).inventory, loadDeals: (l) => loadDealsFromDb(db, l), now: () => now }, id);
    },
    async startApi(over = {}) {
      const app = createApp({
        db, redis, redisPrefix, logger, metrics: new Registry(), corsOrigins: [], cacheMaxAgeS: 0, retryAfterS: 1, now: () => now,
        versionCheckMs: 200, knownStoresRefreshMs: 500, fallbackRefreshMs: 1_000, dependencyTimeoutMs: 500, ...over,
      });
      const server = await new Promise<http.Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
      servers_.push(server);
      const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      return {
        url, server,
        async get(path: string) {
          const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
          return { status: res.status, text: await res.text() };
        },
      };
    },
    async close() {
      for (const s of servers_) { s.closeAllConnections(); await new Promise((r) => s.close(r)); }
      redis.disconnect();
      await db.destroy();
    },
  };
}
