/**
 * inventory.items.v2 -> inventory projector -> Postgres + Redis snapshot -> storefront API, over the
 * real Kafka, registry, Postgres and Redis.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, Producer } from 'kafkajs';
import request from 'supertest';
import { redisKeys } from '../../shared/redis';
import { TOPICS, topicName } from '../../shared/topics';
import { eventually } from '../../test/support/deals';
import { givenDealsApi } from '../../test/support/deals-api';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { anItem, givenInventoryItemsTopic } from '../../test/support/inventory';
import { aDeal, include } from '../../test/support/matching';
import { DLQ_HEADERS } from './dlq';
import { startInventoryConsumer } from './inventory-consumer';

describe('inventory projector consumer', () => {
  let world: TestWorld;
  let producer: Producer;
  let consumer: Consumer | undefined;
  let dlqConsumer: Consumer | undefined;
  const loc = randomUUID();
  const NOW = Date.parse('2026-03-10T19:00:00Z');

  beforeAll(async () => {
    world = await createTestWorld('inventory-consumer');
    producer = await givenInventoryItemsTopic(world);
  }, 60_000);
  afterAll(async () => {
    await consumer?.disconnect();
    await dlqConsumer?.disconnect();
    await producer.disconnect();
    await world.close();
  }, 60_000);

  it('projects items into Postgres and the Redis snapshot the API serves, dead-letters poison and goes on, applies tombstones', async () => {
    const topic = topicName(world.topicPrefix, TOPICS.inventoryItems);
    const keys = redisKeys(world.redisPrefix);
    const deal = aDeal({ locationId: loc, discountId: '77', kind: 'flat', value: '5', restrictions: { brand: include('302') } });
    consumer = await startInventoryConsumer({
      kafka: world.kafka, serde: world.serde, db: world.db, redis: world.redis, producer, inventoryKey: keys.inventory,
      loadDeals: () => Promise.resolve([deal]), topicPrefix: world.topicPrefix, groupId: `${world.topicPrefix}inventory-projector`, logger: world.logger, now: () => NOW,
    });
    const items = [
      anItem({ locationId: loc, productId: '1', brandId: '301', price: '30.00' }),
      anItem({ locationId: loc, productId: '2', brandId: '302', price: '30.00' }),
    ];
    await producer.send({ topic, messages: [
      ...(await Promise.all(items.map(async (i) => ({ key: i.id, value: await world.serde.encode(topic, i) })))),
      { key: `${loc}_poison`, value: Buffer.from('not avro at all') },
    ] });

    const app = givenDealsApi(world, { now: () => NOW });
    const list = () => request(app).get(`/api/locations/${loc}/inventory`).then((r) => r.body as { total?: number; data?: { product_id: string; deal_price: string | null }[] });
    const body = await eventually(list, (b) => b.total === 2);
    expect(body.data!.map((i) => [i.product_id, i.deal_price])).toEqual([['1', null], ['2', '25.00']]);
    const rows = await world.db.selectFrom('inventory').select(['id', 'price']).where('location_id', '=', loc).orderBy('id').execute();
    expect(rows).toEqual([{ id: items[0]!.id, price: '30.00' }, { id: items[1]!.id, price: '30.00' }]);

    // the poison message is on the DLQ with its origin
    const headers = await new Promise<Record<string, string>>((resolve) => {
      dlqConsumer = world.kafka.consumer({ groupId: `${world.topicPrefix}dlq-reader` });
      void dlqConsumer.connect().then(() => dlqConsumer!.subscribe({ topic: topicName(world.topicPrefix, TOPICS.dlq), fromBeginning: true })).then(() => dlqConsumer!.run({
        eachMessage: ({ message }) => {
          resolve(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])));
          return Promise.resolve();
        },
      }));
    });
    expect(headers).toMatchObject({ [DLQ_HEADERS.topic]: topic, [DLQ_HEADERS.service]: 'projector-inventory' });
    expect(headers[DLQ_HEADERS.reason]).toMatch(/not Confluent-framed Avro/);
    expect(headers[DLQ_HEADERS.offset]).toMatch(/^\d+$/);

    // and the consumer went on: a tombstone removes item 1
    await producer.send({ topic, messages: [{ key: items[0]!.id, value: null }] });
    const after = await eventually(list, (b) => b.total === 1);
    expect(after.data!.map((i) => i.product_id)).toEqual(['2']);
  }, 90_000);
});
