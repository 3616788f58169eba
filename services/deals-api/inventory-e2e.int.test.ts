/**
 * End to end over the real Kafka, registry, Postgres and Redis: sandbox (deals and inventory) ->
 * poller (both cycles) -> normaliser (deals and inventory) -> projector (deals, inventory,
 * snapshot) -> deals API. A brand-restricted sandbox deal changes our `deal_price` of exactly that
 * brand's packages at the API, and removing it restores them.
 */
import { Decimal } from 'decimal.js';
import request from 'supertest';
import { eventually } from '../../test/support/deals';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { givenPipeline, type PipelineWorld } from '../../test/support/pipeline';
import { lspCatalog } from '../sandbox/catalog';

type Item = { product_id: string; brand_id: string | null; unit_price: string; deal_price: string | null; best_deal: { discount_id: string } | null };

describe('inventory and matching end to end', () => {
  let world: TestWorld;
  let pipe: PipelineWorld;

  beforeAll(async () => {
    world = await createTestWorld('inventory-e2e');
    // one generated AZ POS store with no deals of its own and no PTL deals: the test's deal is the only one
    pipe = await givenPipeline(world, { includeFixture: false, markets: ['AZ'], lspsPerMarket: 1, storesPerLsp: 1, dealsPerLsp: 0, ptlDealsPerMarket: 0 });
  }, 120_000);

  afterAll(async () => {
    await pipe?.close();
    await world.close();
  }, 120_000);

  it('a brand deal changes exactly that brand\'s prices at the API; removing it restores them', async () => {
    const { pw, poller: p, app } = pipe;
    const store = pw.sandbox.directory().locations[0]!;
    const list = async (): Promise<Item[]> => {
      const res = await request(app).get(`/api/locations/${store.id}/inventory?limit=500`);
      return res.status === 200 ? (res.body.data as Item[]) : [];
    };

    // inventory and (no) deals flow in: every active package is listed
    const inv = await p.inventory.runLocked();
    expect(inv).toMatchObject({ locations: 1, failed: 0 });
    const active = pw.sandbox.inventory.list(store.posLocId)!.filter((r) => r.isActive !== false).length;
    expect(inv!.upserts).toBeGreaterThan(active - 1);
    await p.poller.runLocked();
    const before = await eventually(list, (xs) => xs.length === active, 60_000);
    expect(before.length).toBe(active);
    expect(before.every((i) => i.deal_price === null)).toBe(true);

    // a sandbox deal restricted to one brand: 50 % off
    const brand = lspCatalog(pw.sandbox.state.options.seed, store.lspId).brands.find((b) => before.some((i) => i.brand_id === String(b.id)))!;
    const template = pw.sandbox.newDeal(store.lspId);
    const restrictions = { Brand: { restrictionIds: [brand.id], isExclusion: false } };
    const DAYS = { monday: true, tuesday: true, wednesday: true, thursday: true, friday: true, saturday: true, sunday: true };
    const deal = {
      ...template, ...DAYS, isActive: true, isBundledDiscount: false, locationRestrictions: [], startTime: null, endTime: null,
      validDateFrom: new Date(Date.now() - 86_400_000).toISOString(), validDateTo: '4200-01-01T00:00:00Z', constraints: [],
      reward: { ...template.reward, calculationMethodId: 2, calculationMethod: 'PERCENT_OFF', discountValue: 0.5, thresholdTypeId: null, thresholdType: null, hasThreshold: false, thresholdMin: null, applyToOnlyOneItem: false, restrictions },
    };
    pw.sandbox.state.putDeal(store.lspId, deal);
    await p.poller.runLocked();
    const during = await eventually(list, (xs) => xs.some((i) => i.deal_price !== null), 60_000);
    const brandIds = new Set(before.filter((i) => i.brand_id === String(brand.id)).map((i) => i.product_id));
    const changed = new Set(during.filter((i) => i.deal_price !== null).map((i) => i.product_id));
    expect(brandIds.size).toBeGreaterThan(0);
    expect(changed).toEqual(brandIds);
    for (const i of during.filter((x) => brandIds.has(x.product_id))) expect(i.best_deal?.discount_id).toBe(String(deal.id));
    const one = (await request(app).get(`/api/locations/${store.id}/inventory?brand=${encodeURIComponent(brand.name)}&limit=1`).expect(200)).body.data[0] as Item;
    expect(one.deal_price).toBe(new Decimal(one.unit_price).times('0.5').toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2));

    // revert: the deal leaves the feed
    pw.sandbox.state.removeDeal(store.lspId, deal.id);
    await p.poller.runLocked();
    await p.poller.runLocked(); // the store's only deal gone: a drop to zero, removed when a second cycle confirms it
    const after = await eventually(list, (xs) => xs.length > 0 && xs.every((i) => i.deal_price === null), 60_000);
    expect(after.every((i) => i.deal_price === null)).toBe(true);
    expect(after.length).toBe(before.length);
  }, 180_000);
});
