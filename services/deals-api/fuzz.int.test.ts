/**
 * Issue 17, item 4: hostile input at every route of the public deals API (real Postgres and Redis
 * behind it, a store with deals and an inventory snapshot), through the HTTP server it runs with.
 * Never a 5xx, always a reason; the process keeps serving.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { createHttpServer } from '../../shared/http-server';
import { redisKeys } from '../../shared/redis';
import { makeDeal, projectDeals } from '../../test/support/deals';
import { givenDealsApi } from '../../test/support/deals-api';
import { fuzzRawHttp, fuzzRoutes, fuzzTarget, type FuzzTarget, type RouteSpec } from '../../test/support/http-fuzz';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { anItem } from '../../test/support/inventory';
import { applyInventoryBatch, loadDealsFromDb, rebuildInventorySnapshot } from '../projector/inventory-projection';

describe('deals API under hostile input', () => {
  let world: TestWorld;
  let target: FuzzTarget;
  const stores = [randomUUID(), 'abcdef0123456789abcdef01'];

  beforeAll(async () => {
    world = await createTestWorld('deals-api-fuzz');
    for (const [i, id] of stores.entries()) {
      await world.db.insertInto('locations').values({ id, name: `Store ${i}`, city: 'Tempe', slug: `store-${i}`, state: 'AZ', time_zone: 'America/Phoenix', lsp_id: 1, pos_loc_id: 10 + i, dutchie_api: 'pos', org_id: null }).execute();
      await projectDeals(world, [makeDeal(id, 1, { restrictions: {} }), makeDeal(id, 2, { kind: 'bundle', calculationMethodId: 6, value: '30', bundleQuantity: 2 })], new Date());
      const items = Array.from({ length: 30 }, (_, n) => anItem({ locationId: id, productId: String(n), name: `P ${n}`, category: n % 2 ? 'Flower' : 'Edibles', brand: `B${n % 4}` }));
      await applyInventoryBatch(world.db, items.map((item) => ({ key: item.id, item, version: item.version })), new Date());
      await rebuildInventorySnapshot({ db: world.db, redis: world.redis, inventoryKey: redisKeys(world.redisPrefix).inventory, loadDeals: (l) => loadDealsFromDb(world.db, l), now: Date.now }, id);
    }
    // the limits the process runs with (main.ts): a small rate limit too, so some requests meet it
    const app = givenDealsApi(world, { metrics: new Registry(), rateLimit: { perMinute: 400, exempt: [] }, unknownLocationTtlMs: 30_000 });
    target = await fuzzTarget(createHttpServer(app, { maxHeaderBytes: 8 * 1024 }));
  });
  afterAll(async () => { await target.close(); await world.close(); });

  it('answers every route with a documented 2xx or a 4xx with a reason, never a 5xx', async () => {
    const id = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...stores) }, { weight: 1, arbitrary: fc.uuid() }, { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f]{24}$/) });
    const sku = fc.oneof(fc.constantFrom('SKU-1', 'SKU-7', 'SKU-29'), fc.string({ maxLength: 20 }));
    const text = fc.oneof(fc.constantFrom('flower', 'Edibles', 'b1', 'p 1', ''), fc.string({ maxLength: 30 }));
    const int = fc.oneof(fc.nat({ max: 2000 }).map(String), fc.constantFrom('-1', '1e3', 'abc', '500', '0', '99999999999'));
    const at = fc.oneof(fc.date({ noInvalidDate: true, min: new Date('1970-01-01'), max: new Date('2200-01-01') }).map((d) => d.toISOString()), fc.constantFrom('yesterday', '2026-02-30T00:00:00Z'));
    const routes: RouteSpec[] = [
      { method: 'GET', path: '/health' },
      { method: 'GET', path: '/metrics' },
      { method: 'GET', path: '/openapi.json' },
      { method: 'GET', path: '/api/locations' },
      { method: 'GET', path: '/api/locations/:id/discounts', ok: [200, 304], params: { id }, query: { at } },
      { method: 'GET', path: '/api/locations/:id/inventory', params: { id }, query: { category: text, brand: text, search: text, limit: int, offset: int } },
      { method: 'GET', path: '/api/locations/:id/inventory/:sku', params: { id, sku } },
      { method: 'GET', path: '/api/locations/:id/categories', params: { id } },
      { method: 'GET', path: '/api/locations/:id/brands', params: { id } },
      { method: 'GET', path: '/api/locations/:id/sync-status', params: { id } },
    ];
    await fuzzRoutes(target, routes, { runs: 600, alive: '/health' });
  }, 180_000);

  it('survives malformed HTTP on a raw socket', async () => {
    await fuzzRawHttp(target, { runs: 30 });
  }, 60_000);
});
