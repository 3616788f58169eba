/**
 * The normaliser's inventory transformer over real Kafka and registry: raw inventory events in,
 * canonical items (and tombstones) out on inventory.items.v2; a poison message goes to the DLQ
 * with its origin, and the consumer goes on.
 */
import type { Consumer, Producer } from 'kafkajs';
import type { InventoryItem, InventoryRawEvent } from '../../shared/events';
import { createProducer, ensureTopics } from '../../shared/kafka';
import { TOPICS, topicName } from '../../shared/topics';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { storeInventory } from '../sandbox/inventory';
import { DLQ_HEADERS } from '../../shared/dlq';
import { createInventoryNormaliser, type InventoryNormaliser } from './inventory-consumer';

describe('inventory normaliser', () => {
  let world: TestWorld;
  let normaliser: InventoryNormaliser;
  let producer: Producer;
  let reader: Consumer | undefined;
  beforeAll(async () => {
    world = await createTestWorld('normaliser-inventory');
    const admin = world.kafka.admin();
    await admin.connect();
    await ensureTopics(admin, world.topicPrefix, [TOPICS.inventoryRaw, TOPICS.inventoryItems, TOPICS.dlq], 3);
    await admin.disconnect();
    await world.serde.register(topicName(world.topicPrefix, TOPICS.inventoryRaw), TOPICS.inventoryRaw.schema);
    producer = createProducer(world.kafka);
    await producer.connect();
    normaliser = createInventoryNormaliser({ kafka: world.kafka, serde: world.serde, logger: world.logger, topicPrefix: world.topicPrefix, groupId: `${world.topicPrefix}ninv`, partitions: 3 });
    await normaliser.start();
  }, 60_000);
  afterAll(async () => { await reader?.disconnect(); await normaliser.stop(); await producer.disconnect(); await world.close(); }, 60_000);

  it('maps, tombstones and dead-letters', async () => {
    const raw = topicName(world.topicPrefix, TOPICS.inventoryRaw);
    const loc = '5f3a9c0e1b2d4a6f8c7e9d01'; // a store id that is not a UUID (24 hex digits, as one real store's)
    const [a, b] = storeInventory(42, { lspId: 7, posLocId: 4201 }, 2);
    const ev = (inventoryId: number, op: 'upsert' | 'remove', record: unknown): InventoryRawEvent => ({
      eventId: `e${inventoryId}${op}`, api: 'pos', locationId: loc, inventoryId: String(inventoryId), op, fetchedAt: 5, contentHash: op === 'upsert' ? 'h' : null, record: op === 'upsert' ? JSON.stringify(record) : null,
    });
    await producer.send({ topic: raw, messages: [
      { key: `${loc}_${a!.inventoryId}`, value: await world.serde.encode(raw, ev(a!.inventoryId, 'upsert', a)) },
      { key: `${loc}_${b!.inventoryId}`, value: await world.serde.encode(raw, ev(b!.inventoryId, 'upsert', { ...b, unitPrice: 'free' })) },
      { key: `${loc}_1`, value: Buffer.from('garbage') },
      { key: `${loc}_${a!.inventoryId}`, value: await world.serde.encode(raw, ev(a!.inventoryId, 'remove', null)) },
    ] });

    const got: Array<{ topic: string; key: string; value: InventoryItem | null; headers: Record<string, string> }> = [];
    reader = world.kafka.consumer({ groupId: `${world.topicPrefix}reader` });
    await reader.connect();
    await reader.subscribe({ topics: [topicName(world.topicPrefix, TOPICS.inventoryItems), topicName(world.topicPrefix, TOPICS.dlq)], fromBeginning: true });
    await new Promise<void>((resolve) => {
      void reader!.run({ eachMessage: async ({ topic, message }) => {
        const value = topic.endsWith(TOPICS.inventoryItems.name) && message.value ? (await world.serde.decode(message.value)) as InventoryItem : null;
        got.push({ topic, key: message.key!.toString(), value, headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) });
        if (got.length === 4) resolve();
      } });
    });
    const items = got.filter((g) => g.topic.endsWith(TOPICS.inventoryItems.name));
    const dlq = got.filter((g) => g.topic.endsWith(TOPICS.dlq.name));
    expect(items.map((i) => [i.key, i.value?.price ?? null])).toEqual([[`${loc}_${a!.inventoryId}`, String(a!.unitPrice)], [`${loc}_${a!.inventoryId}`, null]]);
    expect(items[0]!.value).toMatchObject({ inventoryId: String(a!.inventoryId), productId: String(a!.productId), brandId: String(a!.brandId), categoryId: String(a!.categoryId), sourceApi: 'pos' });
    expect(dlq).toHaveLength(2);
    expect(dlq.map((d) => d.headers[DLQ_HEADERS.topic])).toEqual([raw, raw]);
    expect(dlq.map((d) => d.headers[DLQ_HEADERS.reason]).join(' | ')).toMatch(/unitPrice.*\| undecodable|undecodable.*\| .*unitPrice/);
  }, 120_000);
});
