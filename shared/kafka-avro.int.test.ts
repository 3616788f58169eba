import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { createTestWorld, type TestWorld } from '../test/support/integration';
import type { DealRawEvent } from './events';
import { createProducer, ensureTopics } from './kafka';
import { TOPICS, dealKey, topicName } from './topics';

describe('Avro over the real registry and real Kafka', () => {
  let world: TestWorld;
  let consumer: Consumer | undefined;
  beforeAll(async () => { world = await createTestWorld('kafka-avro'); });
  afterAll(async () => { await consumer?.disconnect(); await world.close(); });

  it('produces Confluent-framed Avro and consumes it back decoded, a location on one partition', async () => {
    const topic = topicName(world.topicPrefix, TOPICS.rawDutchie);
    const admin = world.kafka.admin();
    await admin.connect();
    await ensureTopics(admin, world.topicPrefix, [TOPICS.rawDutchie], 3);
    await admin.disconnect();
    const schemaId = await world.serde.register(topic, TOPICS.rawDutchie.schema);

    const location = randomUUID();
    const events: DealRawEvent[] = [101, 102, 103, 104, 105].map((id) => ({
      eventId: randomUUID(), source: 'dutchie', api: 'pos', locationId: location, discountId: String(id), op: 'upsert',
      fetchedAt: 1_760_000_000_000 + id, contentHash: `h${id}`, record: JSON.stringify({ id, onlineName: `deal ${id}` }),
      market: 'AZ', timeZone: 'America/Phoenix', posLocId: 42,
    }));
    const producer = createProducer(world.kafka);
    await producer.connect();
    await producer.send({
      topic,
      messages: await Promise.all(events.map(async (e) => ({ key: dealKey(e.locationId, e.discountId), value: await world.serde.encode(topic, e) }))),
    });
    await producer.disconnect();

    const received: Array<{ partition: number; value: Buffer }> = [];
    consumer = world.kafka.consumer({ groupId: `${world.topicPrefix}test` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer!.run({ eachMessage: ({ partition, message }) => {
        received.push({ partition, value: message.value! });
        if (received.length === events.length) resolve();
        return Promise.resolve();
      } });
    });
    await done;

    // Confluent wire format: magic byte 0, then the registry's schema id.
    expect(received[0]!.value[0]).toBe(0);
    expect(received[0]!.value.readInt32BE(1)).toBe(schemaId);
    const decoded = await Promise.all(received.map((r) => world.serde.decode(r.value)));
    expect(decoded).toEqual(events);
    expect(new Set(received.map((r) => r.partition)).size).toBe(1);
  });

  it('rejects a value that does not match the schema', async () => {
    const topic = topicName(world.topicPrefix, TOPICS.rawDutchie);
    await expect(world.serde.encode(topic, { eventId: 'x' })).rejects.toThrow();
  });
});
