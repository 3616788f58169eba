/**
 * The poller's inventory cycle over the sandbox (a POS store and a Backoffice store), real Kafka,
 * registry and Postgres: every package published once, then only changes; each record maps to the
 * same canonical item as the sandbox catalog says.
 */
import type { InventoryRawEvent } from '../../shared/events';
import { TOPICS, topicName } from '../../shared/topics';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { normaliseInventory } from '../normaliser/inventory-handler';
import { storeInventory } from '../sandbox/inventory';
import { countMessages, givenSandboxAndPoller, type PollerWorld } from '../../test/support/poller';

describe('poller inventory cycle', () => {
  let world: TestWorld;
  let pw: PollerWorld;
  beforeAll(async () => {
    world = await createTestWorld('poller-inventory');
    pw = await givenSandboxAndPoller(world, { includeFixture: false, markets: ['AZ', 'FL'], lspsPerMarket: 1, storesPerLsp: 1, dealsPerLsp: 0, ptlDealsPerMarket: 0 });
  }, 60_000);
  afterAll(async () => { await pw.close(); await world.close(); }, 60_000);

  it('publishes each store\'s inventory once (POS and Backoffice), then nothing until something changes', async () => {
    const stores = pw.sandbox.directory().locations;
    expect(new Set(stores.map((s) => s.api))).toEqual(new Set(['pos', 'backoffice']));
    const expected = stores.reduce((n, s) => n + storeInventory(pw.sandbox.state.options.seed, s).length, 0);
    const p = await pw.poller();
    const topic = topicName(world.topicPrefix, TOPICS.inventoryRaw);

    expect(await p.inventory.runLocked()).toEqual({ locations: 2, failed: 0, upserts: expected, removals: 0, fallbacks: 0 });
    expect(await countMessages(world.kafka, topic)).toBe(expected);
    expect(await p.inventory.runLocked()).toEqual({ locations: 2, failed: 0, upserts: 0, removals: 0, fallbacks: 0 });
    expect(await countMessages(world.kafka, topic)).toBe(expected);

    // every published record normalises: read a few back through the registry
    const rows = await world.db.selectFrom('inventory_published').select(['location_id', 'inventory_id']).execute();
    expect(rows).toHaveLength(expected);
    const consumer = world.kafka.consumer({ groupId: `${world.topicPrefix}check` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: InventoryRawEvent[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => {
        seen.push((await world.serde.decode(message.value!)) as InventoryRawEvent);
        if (seen.length === expected) resolve();
      } });
    });
    await consumer.disconnect();
    expect(new Set(seen.map((e) => e.api))).toEqual(new Set(['pos', 'backoffice']));
    expect(seen.every((e) => normaliseInventory(e).kind === 'emit')).toBe(true);
    expect(new Set(seen.map((e) => `${e.locationId}_${e.inventoryId}`)).size).toBe(expected); // one key per package

    // a package sells out and leaves the feed, another changes price: one removal, one upsert
    const pos = stores.find((s) => s.api === 'pos')!;
    const [gone, changed] = pw.sandbox.inventory.list(pos.posLocId)!;
    pw.sandbox.inventory.remove(pos.posLocId, gone!.inventoryId);
    pw.sandbox.inventory.patch(pos.posLocId, changed!.inventoryId, { unitPrice: 1.23 });
    expect(await p.inventory.runLocked()).toEqual({ locations: 2, failed: 0, upserts: 1, removals: 1, fallbacks: 0 });
    expect(await countMessages(world.kafka, topic)).toBe(expected + 2);
  }, 120_000);
});
