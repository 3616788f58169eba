/**
 * Only the chain's stores are served: a store the CMS marks inactive is withdrawn by the poller's
 * store directory (its `locations` row moved to `store_withdrawals`, services/poller/directory-sync.ts)
 * and is a 404 on every route within the known-stores refresh, although Redis still holds its deals
 * and inventory snapshot (the removals reach Redis only later, through the pipeline). A store the
 * directory adds, or lists again, is served within the refresh, even after its id was answered 404.
 */
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import request from 'supertest';
import { createLogger } from '../../shared/logger';
import { redisKeys } from '../../shared/redis';
import { makeDeal, projectDeals } from '../../test/support/deals';
import { givenDealsApi } from '../../test/support/deals-api';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { anItem } from '../../test/support/inventory';
import { applyInventoryBatch, loadDealsFromDb, rebuildInventorySnapshot } from '../projector/inventory-projection';
import { createStoreDirectory } from '../poller/directory-sync';
import { PosKeys } from '../poller/source-choice';

const NOW = Date.parse('2026-03-10T19:00:00Z');
const REFRESH_MS = 300;
const NOT_FOUND = { error: 'Location not found or cache not ready' };

describe('known stores: withdrawn and unknown ids are 404, added stores show within the refresh', () => {
  let world: TestWorld;
  let listing: unknown[];
  let directory: ReturnType<typeof createStoreDirectory>;
  const [kept, withdrawn, added] = [randomUUID(), randomUUID(), randomUUID()];
  const entry = (id: string, isActive: boolean, n: number) => ({ name: `Mint ${n}`, is_active: isActive, DutchieStoreID: id, DutchieLocId: 100 + n, city: 'Tempe', state: 'AZ' });
  const routes = (id: string) => [`/api/locations/${id}/discounts`, `/api/locations/${id}/inventory?limit=500`, `/api/locations/${id}/inventory/SKU-1`,
    `/api/locations/${id}/categories`, `/api/locations/${id}/brands`, `/api/locations/${id}/sync-status`];

  async function syncStore(id: string): Promise<void> {
    await projectDeals(world, [makeDeal(id, 1, { restrictions: { product: { ids: ['1'], isExclusion: false } } })], new Date(NOW - 60_000));
    const item = anItem({ locationId: id, productId: '1', version: 1 });
    await applyInventoryBatch(world.db, [{ key: item.id, item, version: NOW }], new Date(NOW));
    await rebuildInventorySnapshot({ db: world.db, redis: world.redis, inventoryKey: redisKeys(world.redisPrefix).inventory, loadDeals: (l) => loadDealsFromDb(world.db, l), now: () => NOW }, id);
  }
  const statuses = async (app: ReturnType<typeof givenDealsApi>, id: string) => Promise.all(routes(id).map(async (r) => (await request(app).get(r)).status));
  async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > ms) throw new Error(`not within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return Date.now() - started;
  }

  beforeAll(async () => {
    world = await createTestWorld('known-stores');
    listing = [entry(kept, true, 1), entry(withdrawn, true, 2)];
    directory = createStoreDirectory({
      db: world.db, read: async () => ({ kind: 'ok', entries: listing }), whoami: () => { throw new Error('no POS key is configured: /whoami is not asked'); },
      keys: new PosKeys(new Map()), defaults: { lspId: 1 }, logger: createLogger('test', 'silent'), metrics: new Registry(), now: () => NOW,
    });
    expect(await directory.refresh()).toMatchObject({ kind: 'applied', listed: 2 });
    for (const id of [kept, withdrawn, added]) await syncStore(id); // `added` has deals and inventory before the directory lists it
  });
  afterAll(async () => { await world.close(); });

  it('a store withdrawn from the chain is a 404 on every route although Redis still holds its deals; listed again, it is back', async () => {
    const app = givenDealsApi(world, { now: () => NOW, knownStoresRefreshMs: REFRESH_MS, versionCheckMs: 200 });
    expect(await statuses(app, withdrawn)).toEqual([200, 200, 200, 200, 200, 200]);
    listing = [entry(kept, true, 1), entry(withdrawn, false, 2)];
    expect(await directory.refresh()).toMatchObject({ kind: 'applied', withdrawn: [withdrawn] });
    expect(await world.redis.exists(redisKeys(world.redisPrefix).discounts(withdrawn), redisKeys(world.redisPrefix).inventory(withdrawn))).toBe(2);
    const took = await within(REFRESH_MS + 1_000, async () => (await statuses(app, withdrawn)).every((s) => s === 404));
    for (const r of routes(withdrawn)) expect((await request(app).get(r).expect(404)).body).toEqual(NOT_FOUND);
    expect(((await request(app).get('/api/locations').expect(200)).body as { data: Array<{ id: string }> }).data.map((s) => s.id)).toEqual([kept]);
    expect(await statuses(app, kept)).toEqual([200, 200, 200, 200, 200, 200]);
    console.log(`withdrawn store 404 after ${took} ms (refresh ${REFRESH_MS} ms)`);

    listing = [entry(kept, true, 1), entry(withdrawn, true, 2)];
    await directory.refresh();
    await within(REFRESH_MS + 1_000, async () => (await statuses(app, withdrawn)).every((s) => s === 200));
  });

  it('an id that is no store is a 404; a store the directory adds is served within the refresh although it was answered 404', async () => {
    const app = givenDealsApi(world, { now: () => NOW, knownStoresRefreshMs: REFRESH_MS, unknownLocationTtlMs: 60_000 });
    expect(await statuses(app, randomUUID())).toEqual([404, 404, 404, 404, 404, 404]);
    expect(await statuses(app, added)).toEqual([404, 404, 404, 404, 404, 404]); // synced in Redis, but not a store of the chain
    listing = [entry(kept, true, 1), entry(withdrawn, true, 2), entry(added, true, 3)];
    expect(await directory.refresh()).toMatchObject({ kind: 'applied', added: 1 });
    const took = await within(REFRESH_MS + 1_000, async () => (await statuses(app, added)).every((s) => s === 200));
    console.log(`added store served after ${took} ms (refresh ${REFRESH_MS} ms)`);
  });

  it('made-up ids cost at most one locations query per refresh', async () => {
    const queries: string[] = [];
    const app = givenDealsApi({ ...world, db: world.db.withPlugin({ transformQuery: (a) => { if (a.node.kind === 'SelectQueryNode') queries.push('select'); return a.node; }, transformResult: async (a) => a.result }) },
      { now: () => NOW, knownStoresRefreshMs: 60_000 });
    await request(app).get(`/api/locations/${kept}/discounts`).expect(200);
    const before = queries.length;
    for (let i = 0; i < 50; i++) await request(app).get(`/api/locations/${randomUUID()}/discounts`).expect(404);
    expect(queries.length - before).toBe(0);
  });
});
