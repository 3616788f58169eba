/**
 * Inventory read path against real Postgres and Redis: items projected into `inventory`, deals in
 * `discounts`, the snapshot rebuilt into Redis, and the storefront endpoints served from it.
 * (The Kafka legs — poller, normaliser, projector consumers — are wired once those services land.)
 */
import { randomUUID } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import type { Deal } from '../../shared/events';
import { redisKeys } from '../../shared/redis';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { anItem } from '../../test/support/inventory';
import { aDeal, include } from '../../test/support/matching';
import { applyInventoryBatch, loadDealsFromDb, rebuildInventorySnapshot, type SnapshotDeps } from '../projector/inventory-projection';
import { inventoryRoutes } from './inventory-routes';

const NOW = Date.parse('2026-03-10T19:00:00Z');

describe('inventory endpoints over the projected snapshot', () => {
  let world: TestWorld;
  let deps: SnapshotDeps;
  let app: express.Express;
  const loc = randomUUID();
  const SONORAN = '301';
  const items = [
    anItem({ locationId: loc, productId: '1', name: 'A1', brandId: SONORAN, brand: 'Sonoran Farms', price: '40.00', version: 10 }),
    anItem({ locationId: loc, productId: '2', name: 'A2', brandId: SONORAN, brand: 'Sonoran Farms', price: '25.00', version: 10 }),
    anItem({ locationId: loc, productId: '3', name: 'B1', brandId: '302', brand: 'Cactus Co', category: 'Edibles', categoryId: '14', price: '20.00', version: 10 }),
    anItem({ locationId: loc, productId: '4', name: 'B2', brandId: null, brand: null, price: '15.00', version: 10 }),
  ];

  async function putDeal(deal: Deal, removed = false): Promise<void> {
    const row = {
      id: deal.id, location_id: deal.locationId, discount_id: deal.discountId, source: deal.source, name: deal.name, discount_code: null,
      discount_type: deal.kind, calculation_method_id: deal.calculationMethodId, discount_amount: deal.value, is_active: deal.isActive,
      is_available_online: deal.isAvailableOnline, valid_from: null, valid_until: null, start_time: null, end_time: null,
      ...deal.days, products: null, brands: null, product_categories: null, first_time_customer_only: false, minimum_items_required: null,
      time_zone: deal.timeZone, payload: JSON.stringify(deal), version: deal.version, removed, synced_at: new Date(NOW),
    };
    await world.db.insertInto('discounts').values(row).onConflict((oc) => oc.column('id').doUpdateSet({ payload: row.payload, removed, version: row.version })).execute();
  }

  const prices = async (): Promise<Record<string, string | null>> => {
    const res = await request(app).get(`/api/locations/${loc}/inventory`).expect(200);
    return Object.fromEntries((res.body.data as { product_id: string; discounted_price: string | null }[]).map((i) => [i.product_id, i.discounted_price]));
  };

  beforeAll(async () => {
    world = await createTestWorld('inventory-api');
    const keys = redisKeys(world.redisPrefix);
    deps = { db: world.db, redis: world.redis, inventoryKey: keys.inventory, loadDeals: (id) => loadDealsFromDb(world.db, id), now: () => NOW };
    app = express().use(inventoryRoutes({ redis: world.redis, inventoryKey: keys.inventory, now: () => NOW }));
    await applyInventoryBatch(world.db, items.map((item) => ({ key: item.id, item, timestamp: NOW })), new Date(NOW));
  });
  afterAll(async () => { await world.close(); });

  it('is 404 before the location has a snapshot, and 400 on bad input', async () => {
    await request(app).get(`/api/locations/${loc}/inventory`).expect(404);
    await rebuildInventorySnapshot(deps, loc);
    const bad = await request(app).get(`/api/locations/${loc}/inventory?limit=abc`).expect(400);
    expect(bad.body).toMatchObject({ error: 'bad_request' });
    await request(app).get(`/api/locations/${loc}/inventory?limit=100000`).expect(400);
    await request(app).get('/api/locations/not%20an%20id/inventory').expect(400);
    await request(app).get(`/api/locations/${randomUUID()}/brands`).expect(404);
  });

  it('a brand-restricted deal changes the discounted price of exactly that brand, and removing it restores them', async () => {
    await rebuildInventorySnapshot(deps, loc);
    expect(await prices()).toEqual({ 1: null, 2: null, 3: null, 4: null });

    const deal = aDeal({ locationId: loc, discountId: '900', name: '20% off Sonoran', kind: 'percent', value: '0.2', restrictions: { brand: include(SONORAN) } });
    await putDeal(deal);
    await rebuildInventorySnapshot(deps, loc);
    expect(await prices()).toEqual({ 1: '32.00', 2: '20.00', 3: null, 4: null });

    const one = await request(app).get(`/api/locations/${loc}/inventory/SKU-1`).expect(200);
    expect(one.body.data).toMatchObject({ price: '40.00', discounted_price: '32.00', deal: { discount_id: '900', tier: 3, tier_name: 'brand', unit_price: '32.00' } });
    expect(one.body.discounts).toHaveLength(1);

    await putDeal(deal, true);
    await rebuildInventorySnapshot(deps, loc);
    expect(await prices()).toEqual({ 1: null, 2: null, 3: null, 4: null });
  });

  it('ignores older versions and removes an item on a tombstone', async () => {
    const stale = { ...items[0]!, price: '1.00', version: 5 };
    const newer = { ...items[1]!, price: '30.00', version: 11 };
    await applyInventoryBatch(world.db, [
      { key: stale.id, item: stale, timestamp: NOW }, { key: newer.id, item: newer, timestamp: NOW }, { key: items[3]!.id, item: null, timestamp: NOW },
    ], new Date(NOW));
    await rebuildInventorySnapshot(deps, loc);
    const res = await request(app).get(`/api/locations/${loc}/inventory`).expect(200);
    expect(res.body.total).toBe(3);
    expect((res.body.data as { product_id: string; price: string }[]).map((i) => [i.product_id, i.price])).toEqual([['1', '40.00'], ['2', '30.00'], ['3', '20.00']]);
  });

  it('upserts a batch larger than one statement takes, each item once, the last change per key winning', async () => {
    const big = randomUUID();
    const many = Array.from({ length: 2_500 }, (_, n) => anItem({ locationId: big, productId: String(n), price: '10.00', version: 1 }));
    const changes = many.map((item) => ({ key: item.id, item, timestamp: NOW }));
    changes.push({ key: many[7]!.id, item: { ...many[7]!, price: '7.00', version: 2 }, timestamp: NOW }); // same key again, later in the batch
    expect([...await applyInventoryBatch(world.db, changes, new Date(NOW))]).toEqual([big]);
    const rows = await world.db.selectFrom('inventory').select(['product_id', 'price']).where('location_id', '=', big).execute();
    expect(rows).toHaveLength(2_500);
    expect(rows.find((r) => r.product_id === '7')?.price).toBe('7.00');
  });

  it('serves filters, categories and brands as the storefront calls them', async () => {
    const f = await request(app).get(`/api/locations/${loc}/inventory?brand=cactus%20co&limit=10&offset=0`).expect(200);
    expect(f.body).toMatchObject({ total: 1, limit: 10, offset: 0, data: [{ product_id: '3' }] });
    expect((await request(app).get(`/api/locations/${loc}/categories`).expect(200)).body).toEqual({ categories: ['Edibles', 'Flower'], masterCategories: ['Flower'] });
    expect((await request(app).get(`/api/locations/${loc}/brands`).expect(200)).body).toEqual({ brands: ['Cactus Co', 'Sonoran Farms'] });
    await request(app).get(`/api/locations/${loc}/inventory/NOPE`).expect(404);
  });
});
