/**
 * Inventory read path against real Postgres and Redis: packages projected into `inventory`, deals
 * projected into `discounts` and their Redis value, the snapshot rebuilt into Redis, and the
 * storefront endpoints served by the deals API from it.
 */
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import request from 'supertest';
import type { Deal } from '../../shared/events';
import { redisKeys } from '../../shared/redis';
import { makeDeal, projectDeals } from '../../test/support/deals';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { anItem } from '../../test/support/inventory';
import { include } from '../../test/support/matching';
import { applyInventoryBatch, loadDealsFromDb, rebuildInventorySnapshot, type SnapshotDeps } from '../projector/inventory-projection';
import { createApp } from './app';

const NOW = Date.parse('2026-03-10T19:00:00Z');

describe('inventory endpoints over the projected snapshot', () => {
  let world: TestWorld;
  let deps: SnapshotDeps;
  let app: ReturnType<typeof createApp>;
  const loc = randomUUID();
  const SONORAN = '301';
  const items = [
    anItem({ locationId: loc, productId: '1', name: 'A1', brandId: SONORAN, brand: 'Sonoran Farms', price: '40.00', version: 10 }),
    anItem({ locationId: loc, productId: '2', name: 'A2', brandId: SONORAN, brand: 'Sonoran Farms', price: '25.00', version: 10 }),
    anItem({ locationId: loc, productId: '3', name: 'B1', brandId: '302', brand: 'Cactus Co', category: 'Edibles', categoryId: '14', price: '20.00', version: 10 }),
    anItem({ locationId: loc, productId: '4', name: 'B2', brandId: null, brand: null, price: '15.00', version: 10 }),
  ];
  const project = (deals: Array<Deal | { tombstone: string }>): Promise<void> => projectDeals(world, deals, new Date(NOW - 60_000));

  const prices = async (): Promise<Record<string, string | null>> => {
    const res = await request(app).get(`/api/locations/${loc}/inventory`).expect(200);
    return Object.fromEntries((res.body.data as { product_id: string; deal_price: string | null }[]).map((i) => [i.product_id, i.deal_price]));
  };

  beforeAll(async () => {
    world = await createTestWorld('inventory-api');
    const keys = redisKeys(world.redisPrefix);
    deps = { db: world.db, redis: world.redis, inventoryKey: keys.inventory, loadDeals: (id) => loadDealsFromDb(world.db, id), now: () => NOW };
    app = createApp({ db: world.db, redis: world.redis, redisPrefix: world.redisPrefix, logger: world.logger, metrics: new Registry(), corsOrigins: [], cacheMaxAgeS: 15, retryAfterS: 5, now: () => NOW });
    await applyInventoryBatch(world.db, items.map((item) => ({ key: item.id, item, version: NOW })), new Date(NOW));
  });
  afterAll(async () => { await world.close(); });

  it('is 404 with the original\'s body before the location has inventory; 400 on a malformed query value', async () => {
    expect((await request(app).get(`/api/locations/${randomUUID()}/inventory`).expect(404)).body).toEqual({ error: 'Location not found or cache not ready' });
    // packages in Postgres but no snapshot in Redis (a Redis that came back empty): built from Postgres as the projector would
    const fromPostgres = await request(app).get(`/api/locations/${loc}/inventory`).expect(200);
    await rebuildInventorySnapshot(deps, loc);
    expect((await request(app).get(`/api/locations/${loc}/inventory`).expect(200)).text).toBe(fromPostgres.text);
    const bad = await request(app).get(`/api/locations/${loc}/inventory?limit=abc`).expect(400);
    expect(bad.body).toMatchObject({ error: 'bad_request', reason: expect.stringMatching(/limit/) });
    await request(app).get(`/api/locations/${loc}/inventory?limit=100000`).expect(400);
    await request(app).get(`/api/locations/${loc}/inventory?offset=-1`).expect(400);
    await request(app).get(`/api/locations/${loc}/inventory?category=a&category=b`).expect(400);
    for (const path of ['inventory', 'categories', 'brands', 'inventory/SKU-1']) {
      await request(app).get(`/api/locations/not%20an%20id/${path}`).expect(404);
      await request(app).get(`/api/locations/${randomUUID()}/${path}`).expect(404);
    }
  });

  it('defaults to 100 items a page and allows the 500 the storefront asks for', async () => {
    const big = randomUUID();
    const many = Array.from({ length: 1_200 }, (_, n) => anItem({ locationId: big, productId: String(n), name: `P${String(n).padStart(4, '0')}`, version: 1 }));
    await applyInventoryBatch(world.db, many.map((item) => ({ key: item.id, item, version: NOW })), new Date(NOW));
    await rebuildInventorySnapshot(deps, big);
    expect((await request(app).get(`/api/locations/${big}/inventory`).expect(200)).body).toMatchObject({ total: 1_200, limit: 100, offset: 0 });
    const seen: string[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await request(app).get(`/api/locations/${big}/inventory?limit=500${offset ? `&offset=${offset}` : ''}`).expect(200);
      seen.push(...(page.body.data as { product_id: string }[]).map((i) => i.product_id));
      if (page.body.data.length < 500) break;
    }
    expect(seen).toHaveLength(1_200);
    expect(new Set(seen).size).toBe(1_200);
  });

  it('a brand-restricted deal changes our price of exactly that brand; /inventory/:sku carries its discounts as /discounts serves them', async () => {
    await rebuildInventorySnapshot(deps, loc);
    expect(await prices()).toEqual({ 1: null, 2: null, 3: null, 4: null });

    const deal = makeDeal(loc, 900, { name: '20% off Sonoran', kind: 'percent', value: '0.2', restrictions: { brand: include(SONORAN) } });
    await project([deal]);
    await rebuildInventorySnapshot(deps, loc);
    expect(await prices()).toEqual({ 1: '32.00', 2: '20.00', 3: null, 4: null });

    const one = await request(app).get(`/api/locations/${loc}/inventory/SKU-1`).expect(200);
    expect(one.body.data).toMatchObject({ unit_price: '40.0000', deal_price: '32.00', best_deal: { discount_id: '900', tier: 3, tier_name: 'brand', unit_price: '32.00' } });
    const discounts = await request(app).get(`/api/locations/${loc}/discounts`).expect(200);
    expect(one.body.discounts).toEqual((discounts.body.data as Array<{ id: string }>).filter((d) => d.id === `${loc}_900`));
    expect(one.body.discounts[0]).toMatchObject({ discount_type: 'Percent', discount_amount: 0.2 });
    expect((await request(app).get(`/api/locations/${loc}/inventory/SKU-3`).expect(200)).body.discounts).toEqual([]);

    await project([{ tombstone: deal.id }]);
    await rebuildInventorySnapshot(deps, loc);
    expect(await prices()).toEqual({ 1: null, 2: null, 3: null, 4: null });
  });

  it('a disabled deal reaches neither matching nor /inventory/:sku; enabled again, it is back', async () => {
    const deal = makeDeal(loc, 901, { name: '10% off everything', kind: 'percent', value: '0.1', restrictions: {} });
    await project([{ ...deal, isActive: false }]);
    await rebuildInventorySnapshot(deps, loc);
    expect(await prices()).toEqual({ 1: null, 2: null, 3: null, 4: null });
    expect((await request(app).get(`/api/locations/${loc}/inventory/SKU-1`).expect(200)).body.discounts).toEqual([]);
    await project([{ ...deal, version: deal.version + 1 }]);
    await rebuildInventorySnapshot(deps, loc);
    expect(await prices()).toEqual({ 1: '36.00', 2: '22.50', 3: '18.00', 4: '13.50' });
    await project([{ tombstone: deal.id }]);
    await rebuildInventorySnapshot(deps, loc);
  });

  it('ignores older versions and removes a package on a tombstone', async () => {
    const stale = { ...items[0]!, price: '1.00', unitPrice: '1.00', version: 5 };
    const newer = { ...items[1]!, price: '30.00', unitPrice: '30.00', version: 11 };
    await applyInventoryBatch(world.db, [
      { key: stale.id, item: stale, version: NOW }, { key: newer.id, item: newer, version: NOW }, { key: items[3]!.id, item: null, version: NOW },
    ], new Date(NOW));
    await rebuildInventorySnapshot(deps, loc);
    const res = await request(app).get(`/api/locations/${loc}/inventory`).expect(200);
    expect(res.body.total).toBe(3);
    expect((res.body.data as { product_id: string; unit_price: string }[]).map((i) => [i.product_id, i.unit_price])).toEqual([['1', '40.0000'], ['2', '30.0000'], ['3', '20.0000']]);
  });

  it('upserts a batch larger than one statement takes, each package once, the last change per key winning', async () => {
    const big = randomUUID();
    const many = Array.from({ length: 2_500 }, (_, n) => anItem({ locationId: big, productId: String(n), price: '10.00', version: 1 }));
    const changes = many.map((item) => ({ key: item.id, item, version: NOW }));
    changes.push({ key: many[7]!.id, item: { ...many[7]!, price: '7.00', version: 2 }, version: NOW }); // same key again, later in the batch
    expect([...await applyInventoryBatch(world.db, changes, new Date(NOW))]).toEqual([big]);
    const rows = await world.db.selectFrom('inventory').select(['inventory_id', 'price']).where('location_id', '=', big).execute();
    expect(rows).toHaveLength(2_500);
    expect(rows.find((r) => r.inventory_id === '7')?.price).toBe('7.00');
  });

  it('serves filters, categories and brands as the storefront calls them', async () => {
    const f = await request(app).get(`/api/locations/${loc}/inventory?brand=cactus&limit=10`).expect(200);
    expect(f.body).toMatchObject({ total: 1, limit: 10, offset: 0, data: [{ product_id: '3' }] });
    expect((await request(app).get(`/api/locations/${loc}/inventory?category=flower`).expect(200)).body.total).toBe(3);
    expect((await request(app).get(`/api/locations/${loc}/categories`).expect(200)).body).toEqual({ categories: ['Edibles', 'Flower'], masterCategories: ['Flower'] });
    expect((await request(app).get(`/api/locations/${loc}/brands`).expect(200)).body).toEqual({ brands: ['Cactus Co', 'Sonoran Farms'] });
    expect((await request(app).get(`/api/locations/${loc}/inventory/NOPE`).expect(404)).body).toEqual({ error: 'Item not found' });
  });
});
