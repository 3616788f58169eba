/** npm run replay -- --inventory: inventory.items.v2 -> shadow `inventory` + snapshots, switched in, over real Kafka, registry, Postgres, Redis. */
import { randomUUID } from 'node:crypto';
import type { Consumer, Producer } from 'kafkajs';
import type { InventorySnapshot } from '../../shared/inventory/snapshot';
import { redisKeys } from '../../shared/redis';
import { TOPICS, topicName } from '../../shared/topics';
import { waitFor } from '../../test/support/deals';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { anItem, givenInventoryItemsTopic } from '../../test/support/inventory';
import { startInventoryConsumer } from './inventory-consumer';
import { loadDealsFromDb } from './inventory-projection';
import { runInventoryReplay, verifyInventory } from './inventory-replay';

describe('inventory replay from inventory.items.v2', () => {
  let world: TestWorld;
  let producer: Producer;
  let live: Consumer | undefined;
  beforeAll(async () => {
    world = await createTestWorld('inventory-replay');
    producer = await givenInventoryItemsTopic(world);
  }, 60_000);
  afterAll(async () => { await live?.disconnect(); await producer.disconnect(); await world.close(); }, 60_000);

  it('rebuilds the rows and snapshots the live consumer made, in a shadow switched in', async () => {
    const topic = topicName(world.topicPrefix, TOPICS.inventoryItems);
    const keys = redisKeys(world.redisPrefix);
    const [a, b] = [randomUUID(), randomUUID()];
    const items = [
      anItem({ locationId: a, productId: '1' }), anItem({ locationId: a, productId: '2', price: '20.00' }), anItem({ locationId: a, productId: '3' }),
      anItem({ locationId: b, productId: '1' }),
    ];
    const encode = async (i: ReturnType<typeof anItem>) => ({ key: i.id, value: await world.serde.encode(topic, i) });
    await producer.send({ topic, messages: await Promise.all(items.map(encode)) });
    await producer.send({ topic, messages: [{ key: `${a}_3`, value: null }, await encode(anItem({ locationId: a, productId: '2', price: '25.00', version: 2 }))] });

    const deps = {
      kafka: world.kafka, serde: world.serde, db: world.db, redis: world.redis, producer, logger: world.logger, topicPrefix: world.topicPrefix,
    };
    live = await startInventoryConsumer({
      ...deps, inventoryKey: keys.inventory, loadDeals: (id) => loadDealsFromDb(world.db, id), groupId: `${world.topicPrefix}inventory-live`, now: () => 1000,
    });
    await waitFor(async () => {
      const checks = await verifyInventory(world.db, world.redis, world.redisPrefix);
      return checks.length === 2 && checks.every((c) => c.ok) && checks.map((c) => c.postgres).sort().join() === '1,2' ? true : undefined;
    }, 60_000, 'live inventory projection');
    await live.disconnect();
    live = undefined;
    const rows = () => world.db.selectFrom('inventory').select(['id', 'price', 'version', 'removed']).orderBy('id').execute();
    const items_ = async (loc: string) => (JSON.parse((await world.redis.hget(keys.inventory(loc), 'snapshot'))!) as InventorySnapshot).items;
    const before = { rows: await rows(), a: await items_(a), b: await items_(b) };
    expect(before.a.map((i) => [i.productId, i.price])).toEqual([['1', '40.00'], ['2', '25.00']]);

    // a bad deploy: a wrong price in Postgres, a lost snapshot
    await world.db.updateTable('inventory').set({ price: '1.00' }).where('id', '=', `${a}_1`).execute();
    await world.redis.del(keys.inventory(a));
    expect((await verifyInventory(world.db, world.redis, world.redisPrefix)).filter((c) => !c.ok).map((c) => c.locationId)).toEqual([a]);

    const progress: number[] = [];
    const all = await runInventoryReplay({ ...deps, databaseUrl: world.databaseUrl, redisPrefix: world.redisPrefix, now: () => 2000, onProgress: (done) => progress.push(done) });
    expect(all).toMatchObject({ switched: true, events: 6 });
    expect(all.locations.map((l) => [l.locationId, l.ok])).toEqual([a, b].sort().map((l) => [l, true]));
    expect(progress.at(-1)).toBe(6);
    // the tombstoned product comes back as a removed row only if its upsert and tombstone were in different batches
    expect((await rows()).filter((r) => !r.removed)).toEqual(before.rows.filter((r) => !r.removed));
    expect(await items_(a)).toEqual(before.a);
    expect(await items_(b)).toEqual(before.b);

  });
});
