/**
 * Versioned removals end to end (issue 16): a deal and an inventory package are removed at the
 * source and re-added; then the raw topics are replayed through the normaliser (the documented "fix
 * the mapping, replay raw" path) into the live projector and odoo-sink, and the projector's read
 * models are rebuilt from the canonical topics. Both stay present in Postgres, Redis, the API and
 * the sandbox Odoo: a replayed old removal never wipes the newer re-add.
 */
import request from 'supertest';
import { parseConfig } from '../shared/config';
import { redisKeys } from '../shared/redis';
import { TOPICS, topicName } from '../shared/topics';
import { createNormaliser } from '../services/normaliser/consumer';
import { createInventoryNormaliser } from '../services/normaliser/inventory-consumer';
import { odooSinkEnv } from '../services/odoo-sink/config';
import { startOdooSink } from '../services/odoo-sink/main';
import { runInventoryReplay } from '../services/projector/inventory-replay';
import { runReplay } from '../services/projector/replay';
import { createProducer } from '../shared/kafka';
import { createTestWorld, type TestWorld } from './support/integration';
import { caughtUp, eventually } from './support/odoo-sink';
import { givenPipeline, type PipelineWorld } from './support/pipeline';

const DAYS = { monday: true, tuesday: true, wednesday: true, thursday: true, friday: true, saturday: true, sunday: true };

describe('a removed and re-added deal and package survive a replay of the raw topics', () => {
  let world: TestWorld;
  let pipe: PipelineWorld;
  let sink: Awaited<ReturnType<typeof startOdooSink>>;

  beforeAll(async () => {
    world = await createTestWorld('rebuild-removals');
    pipe = await givenPipeline(world, { includeFixture: false, markets: ['AZ'], lspsPerMarket: 1, storesPerLsp: 1, dealsPerLsp: 3, ptlDealsPerMarket: 0 });
    const env = { ...world.env, ...pipe.pw.sandbox.pollerEnv(), ODOO_TIMEOUT_MS: '5000' };
    sink = await startOdooSink(parseConfig(odooSinkEnv(env), env));
  }, 120_000);

  afterAll(async () => {
    await sink?.stop();
    await pipe?.close();
    await world.close();
  }, 120_000);

  it('keeps them in Postgres, Redis, the API and Odoo', async () => {
    const { pw, app } = pipe;
    const store = pw.sandbox.directory().locations[0]!;
    const template = pw.sandbox.newDeal(store.lspId);
    const deal = {
      ...template, ...DAYS, isActive: true, isBundledDiscount: false, locationRestrictions: [], startTime: null, endTime: null,
      validDateFrom: new Date(Date.now() - 86_400_000).toISOString(), validDateTo: '4200-01-01T00:00:00Z', constraints: [],
      reward: { ...template.reward, calculationMethodId: 2, calculationMethod: 'PERCENT_OFF', discountValue: 0.25, thresholdTypeId: null, thresholdType: null, hasThreshold: false, thresholdMin: null, applyToOnlyOneItem: false, restrictions: {} },
    };
    const dealId = `${store.id}_${deal.id}`;
    const pkg = pw.sandbox.inventory.list(store.posLocId)!.find((r) => r.isActive !== false)!;
    const pkgId = `${store.id}_${pkg.inventoryId}`;

    const served = async () => {
      const res = await request(app).get(`/api/locations/${store.id}/discounts`);
      return res.status === 200 ? (res.body.data as Array<{ id: string }>).some((d) => d.id === dealId) : false;
    };
    const listed = async () => {
      const res = await request(app).get(`/api/locations/${store.id}/inventory?limit=10000`);
      return res.status === 200 ? (res.body.data as Array<{ id: string }>).some((i) => i.id === pkgId) : false;
    };
    const inOdoo = () => {
      const rows = pw.sandbox.odoo.records('mint.discount', [['source', '=', 'dutchie'], ['dutchie_discount_id', '=', String(deal.id)]]);
      return rows.length > 0 && rows.every((r) => r.is_active === true);
    };
    const expectPresent = async (what: string) => {
      let last = '';
      await eventually(async () => {
        const states = [await served(), await listed(), inOdoo()];
        last = `api deal ${states[0]}, api package ${states[1]}, odoo ${states[2]}`;
        return states.every(Boolean);
      }, 60_000, `${what}: the deal and the package are present`).catch(async (e: Error) => {
        const body = (await request(app).get(`/api/locations/${store.id}/discounts`)).text;
        throw new Error(`${e.message} (${last}) ${body.slice(0, 1500)} REDIS ${(await world.redis.get(redisKeys(world.redisPrefix).discounts(store.id)))?.slice(0, 1500)}`);
      });
      const row = await world.db.selectFrom('discounts').select(['removed']).where('id', '=', dealId).executeTakeFirstOrThrow();
      expect(row.removed).toBe(false);
      expect(await world.redis.get(redisKeys(world.redisPrefix).discounts(store.id))).toContain(`"id":"${dealId}"`);
      const item = await world.db.selectFrom('inventory').select(['removed']).where('id', '=', pkgId).executeTakeFirstOrThrow();
      expect(item.removed).toBe(false);
      expect(await world.redis.hget(redisKeys(world.redisPrefix).inventory(store.id), 'snapshot')).toContain(`"inventoryId":"${pkg.inventoryId}"`);
    };

    // added, removed, re-added at the source, one poll each
    pw.sandbox.state.putDeal(store.lspId, deal);
    await pipe.pollOnce();
    await expectPresent('added');
    pw.sandbox.state.removeDeal(store.lspId, deal.id);
    pw.sandbox.inventory.remove(store.posLocId, pkg.inventoryId);
    await pipe.pollOnce();
    await eventually(async () => !(await served()) && !(await listed()) && !inOdoo(), 60_000, 'the removals to land');
    pw.sandbox.state.putDeal(store.lspId, deal);
    pw.sandbox.inventory.put(store.posLocId, pkg);
    await pipe.pollOnce();
    await expectPresent('re-added');

    // "fix the mapping, replay raw": the raw topics through fresh normaliser groups, into the live consumers
    const common = { kafka: world.kafka, serde: world.serde, logger: world.logger, topicPrefix: world.topicPrefix, partitions: 3 };
    const replayGroup = `${world.topicPrefix}normaliser-replay`;
    const normaliser = createNormaliser({ ...common, groupId: replayGroup, fromBeginning: true, requireFreshGroup: true });
    const inventoryGroup = `${world.topicPrefix}normaliser-inventory-replay`;
    const invNormaliser = createInventoryNormaliser({ ...common, groupId: inventoryGroup });
    await normaliser.start();
    await invNormaliser.start();
    await normaliser.caughtUp();
    await eventually(() => caughtUp(world.kafka, inventoryGroup, topicName(world.topicPrefix, TOPICS.inventoryRaw)), 60_000, 'the inventory replay');
    await normaliser.stop();
    await invNormaliser.stop();
    expect(normaliser.counts.tombstone).toBeGreaterThan(0); // the old removal went through again
    const canonical = topicName(world.topicPrefix, TOPICS.discounts);
    await eventually(async () => (await caughtUp(world.kafka, `${world.topicPrefix}projector`, canonical))
      && (await caughtUp(world.kafka, `${world.topicPrefix}odoo-sink`, canonical))
      && caughtUp(world.kafka, `${world.topicPrefix}projector-inventory`, topicName(world.topicPrefix, TOPICS.inventoryItems)), 60_000, 'the live consumers to read the replay');
    await expectPresent('after the raw replay');

    // and the projector's read models rebuilt from the canonical topics
    const deps = { kafka: world.kafka, serde: world.serde, databaseUrl: world.databaseUrl, redis: world.redis, logger: world.logger, topicPrefix: world.topicPrefix, redisPrefix: world.redisPrefix, quietMs: 3000 };
    expect((await runReplay(deps)).switched).toBe(true);
    const producer = createProducer(world.kafka);
    await producer.connect();
    try {
      expect((await runInventoryReplay({ ...deps, producer })).switched).toBe(true);
    } finally { await producer.disconnect(); }
    await expectPresent('after the projector replay');
  }, 300_000);
});
