/**
 * Issue 6, end to end over the real Kafka, registry, Postgres and Redis: sandbox (deals and
 * inventory) -> poller (both cycles) -> normaliser (deals and inventory) -> projector (deals,
 * inventory, snapshot) -> deals API. A brand-restricted sandbox deal changes the
 * `discounted_price` of exactly that brand's products at the API, and removing it restores them.
 */
import { Decimal } from 'decimal.js';
import express from 'express';
import { Registry } from 'prom-client';
import request from 'supertest';
import { redisKeys } from '../../shared/redis';
import { eventually } from '../../test/support/deals';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { createNormaliser, type Normaliser } from '../normaliser/consumer';
import { createInventoryNormaliser, type InventoryNormaliser } from '../normaliser/inventory-consumer';
import { givenSandboxAndPoller, type PollerWorld } from '../poller/testing';
import { startInventoryConsumer } from '../projector/inventory-consumer';
import { loadDealsFromDb, rebuildInventorySnapshot } from '../projector/inventory-projection';
import { createProjector, type Projector } from '../projector/projector';
import { lspCatalog } from '../sandbox/catalog';
import { createApp } from './app';
import type { Consumer, Producer } from 'kafkajs';
import { createProducer } from '../../shared/kafka';

type Item = { product_id: string; brand_id: string | null; discounted_price: string | null; deal: { discount_id: string } | null };

describe('inventory and matching end to end', () => {
  let world: TestWorld;
  let pw: PollerWorld;
  let normaliser: Normaliser;
  let invNormaliser: InventoryNormaliser;
  let projector: Projector;
  let invConsumer: Consumer | undefined;
  let dlqProducer: Producer;
  let app: express.Express;

  beforeAll(async () => {
    world = await createTestWorld('inventory-e2e');
    // one generated AZ POS store with no deals of its own and no PTL deals: the test's deal is the only one
    pw = await givenSandboxAndPoller(world, { includeFixture: false, markets: ['AZ'], lspsPerMarket: 1, storesPerLsp: 1, dealsPerLsp: 0, ptlDealsPerMarket: 0 });
    const common = { kafka: world.kafka, serde: world.serde, logger: world.logger, topicPrefix: world.topicPrefix, partitions: 3 };
    normaliser = createNormaliser({ ...common, groupId: `${world.topicPrefix}normaliser`, fromBeginning: true });
    invNormaliser = createInventoryNormaliser({ ...common, groupId: `${world.topicPrefix}normaliser-inventory` });
    const inventoryKey = redisKeys(world.redisPrefix).inventory;
    const snapshotDeps = { db: world.db, redis: world.redis, inventoryKey, loadDeals: (id: string) => loadDealsFromDb(world.db, id), now: Date.now };
    projector = createProjector({
      ...common, db: world.db, redis: world.redis, redisPrefix: world.redisPrefix, groupId: 'projector',
      onLocationRebuilt: async (id) => { await rebuildInventorySnapshot(snapshotDeps, id, { onlyIfKnown: true }); },
    });
    await normaliser.start();
    await invNormaliser.start();
    await projector.start();
    dlqProducer = createProducer(world.kafka);
    await dlqProducer.connect();
    invConsumer = await startInventoryConsumer({
      ...common, db: world.db, redis: world.redis, producer: dlqProducer, inventoryKey, loadDeals: snapshotDeps.loadDeals,
      groupId: `${world.topicPrefix}projector-inventory`, now: Date.now,
    });
    app = createApp({ db: world.db, redis: world.redis, redisPrefix: world.redisPrefix, logger: world.logger, metrics: new Registry(), corsOrigins: [], cacheMaxAgeS: 0, retryAfterS: 1 });
  }, 120_000);

  afterAll(async () => {
    await invConsumer?.disconnect();
    await dlqProducer?.disconnect();
    await projector?.stop();
    await invNormaliser?.stop();
    await normaliser?.stop();
    await pw?.close();
    await world.close();
  }, 120_000);

  it('a brand deal changes exactly that brand\'s discounted prices at the API; removing it restores them', async () => {
    const store = pw.sandbox.directory().locations[0]!;
    const p = await pw.poller();
    const list = async (): Promise<Item[]> => {
      const res = await request(app).get(`/api/locations/${store.id}/inventory?limit=500`);
      return res.status === 200 ? (res.body.data as Item[]) : [];
    };

    // inventory and (no) deals flow in
    const inv = await p.inventory.runLocked();
    expect(inv).toMatchObject({ locations: 1, failed: 0 });
    expect(inv!.upserts).toBeGreaterThan(50);
    await p.poller.runLocked();
    const before = await eventually(list, (xs) => xs.length === inv!.upserts, 60_000);
    expect(before.length).toBe(inv!.upserts);
    expect(before.every((i) => i.discounted_price === null)).toBe(true);

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
    const during = await eventually(list, (xs) => xs.some((i) => i.discounted_price !== null), 60_000);
    const brandIds = new Set(before.filter((i) => i.brand_id === String(brand.id)).map((i) => i.product_id));
    const changed = new Set(during.filter((i) => i.discounted_price !== null).map((i) => i.product_id));
    expect(brandIds.size).toBeGreaterThan(0);
    expect(changed).toEqual(brandIds);
    for (const i of during.filter((x) => brandIds.has(x.product_id))) expect(i.deal?.discount_id).toBe(String(deal.id));
    const one = (await request(app).get(`/api/locations/${store.id}/inventory?brand=${brand.id}&limit=1`).expect(200)).body.data[0];
    expect(one.discounted_price).toBe(new Decimal(one.price).times('0.5').toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2));

    // revert: the deal leaves the feed
    pw.sandbox.state.removeDeal(store.lspId, deal.id);
    await p.poller.runLocked();
    const after = await eventually(list, (xs) => xs.length > 0 && xs.every((i) => i.discounted_price === null), 60_000);
    expect(after.every((i) => i.discounted_price === null)).toBe(true);
    expect(after.length).toBe(before.length);
  }, 180_000);
});
