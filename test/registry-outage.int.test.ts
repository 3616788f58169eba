/**
 * A schema registry outage (503, then no answer at all) is waited out, never dead-lettered nor
 * committed past: the loyalty consumer records the redemption and the normaliser publishes the deal
 * once the registry answers again, and their DLQs stay empty. The services see the outage through a
 * proxy of their own (test/support/registry-proxy.ts); the shared registry is never stopped.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, KafkaMessage, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { createConsumerHealth } from '../shared/consumer-health';
import type { LoyaltyRedemption } from '../shared/events';
import { ensureTopics } from '../shared/kafka';
import { AvroSerde } from '../shared/serde';
import { TOPICS, dealKey, topicName } from '../shared/topics';
import { createRedemptionConsumer } from '../services/discounts/consumer';
import { createOutboxProducer } from '../services/discounts/relay';
import { createDiscounts } from '../services/discounts/service';
import { createNormaliser } from '../services/normaliser/consumer';
import { LOCATION, posRecord, rawEvent } from '../services/normaliser/test-records';
import { givenEmployee } from './support/discounts';
import { createTestWorld, type TestWorld } from './support/integration';
import { startRegistryProxy, type RegistryProxy } from './support/registry-proxy';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => Promise<boolean> | boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(150);
  }
}

/** Everything on `topic` from the start, read by a group of its own. */
async function collect(world: TestWorld, topic: string): Promise<{ messages: KafkaMessage[]; stop(): Promise<void> }> {
  const messages: KafkaMessage[] = [];
  const c: Consumer = world.kafka.consumer({ groupId: `${world.topicPrefix}reader-${randomUUID()}` });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  await c.run({ eachMessage: ({ message }) => { messages.push(message); return Promise.resolve(); } });
  return { messages, stop: () => c.disconnect() };
}

async function committed(world: TestWorld, groupId: string, topic: string): Promise<number> {
  const admin = world.kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return t!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally { await admin.disconnect(); }
}

describe('a schema registry outage is waited out, never dead-lettered', () => {
  let world: TestWorld;
  let proxy: RegistryProxy;
  let producer: Producer;
  beforeAll(async () => {
    world = await createTestWorld('registry-outage');
    proxy = await startRegistryProxy(process.env.SCHEMA_REGISTRY_URL!);
    producer = createOutboxProducer(world.kafka);
    await producer.connect();
  }, 60_000);
  afterAll(async () => {
    await producer.disconnect();
    await proxy.close();
    await world.close();
  }, 60_000);

  it('loyalty consumer: a redemption read during a 503 then a hanging registry is recorded after, nothing in the DLQ, nothing committed meanwhile', async () => {
    const source = topicName(world.topicPrefix, TOPICS.loyaltyRedemptions);
    const dlq = topicName(world.topicPrefix, TOPICS.discountsDlq);
    const admin = world.kafka.admin();
    await admin.connect();
    await ensureTopics(admin, world.topicPrefix, [TOPICS.loyaltyRedemptions, TOPICS.discountsDlq], 3);
    await admin.disconnect();
    await world.serde.register(source, TOPICS.loyaltyRedemptions.schema);
    const business = randomUUID();
    const cashier = await givenEmployee(world.db, business, 'cashier');
    const dead = await collect(world, dlq);

    proxy.mode = 'unavailable';
    const health = createConsumerHealth({ logger: world.logger });
    const consumer = createRedemptionConsumer({
      kafka: world.kafka, serde: AvroSerde.create(proxy.url, 1_000), discounts: createDiscounts({ db: world.db }), producer,
      topicPrefix: world.topicPrefix, logger: world.logger, health,
    });
    await consumer.start();
    try {
      const r: LoyaltyRedemption = {
        redemptionId: randomUUID(), businessId: business, customerId: 'c-1', entityType: 'sale', entityId: randomUUID(), lineId: null,
        points: 100, amount: '1.00', employeeId: cashier, reason: null, redeemedAt: Date.now(),
      };
      await producer.send({ topic: source, messages: [{ key: r.redemptionId, value: await world.serde.encode(source, r) }] });
      const rows = () => world.db.selectFrom('discount_application').select('id').where('redemption_id', '=', r.redemptionId).execute();

      await until(() => proxy.counts.unavailable >= 3, 'the consumer to meet the 503s');
      const loyalty = health.all().find((w) => w.name === 'loyalty')!;
      await until(() => loyalty.outages().size > 0, 'the outage to show in health');
      expect(loyalty.live()).toBe(true); // alive: waiting, not crashed
      expect(loyalty.ready()).toBe(false); // not ready: /health says degraded
      proxy.mode = 'hang'; // then no answer at all: each lookup times out after 1 s
      await until(() => proxy.counts.hang >= 2, 'the consumer to meet the hanging registry', 30_000);
      expect(await rows()).toHaveLength(0);
      expect(dead.messages).toHaveLength(0);
      expect(await committed(world, `${world.topicPrefix}discounts-loyalty-redemptions`, source)).toBe(0);

      proxy.mode = 'forward'; // the registry is back
      await until(async () => (await rows()).length === 1, 'the redemption to be recorded after the outage');
      await until(async () => (await committed(world, `${world.topicPrefix}discounts-loyalty-redemptions`, source)) === 1, 'the offset to be committed');
      await until(() => loyalty.ready(), 'health to be ready again');
      await sleep(1_000);
      expect(dead.messages).toHaveLength(0);
    } finally {
      await consumer.stop();
      await dead.stop();
    }
  }, 120_000);

  it('normaliser: a raw deal read while the registry answers 503 is published once it is back, nothing in the DLQ', async () => {
    proxy.mode = 'forward'; // start-up registers the Deal schema
    const rawTopic = topicName(world.topicPrefix, TOPICS.rawDutchie);
    const discounts = topicName(world.topicPrefix, TOPICS.discounts);
    const dlq = topicName(world.topicPrefix, TOPICS.dlq);
    const health = createConsumerHealth({ logger: world.logger });
    const normaliser = createNormaliser({
      kafka: world.kafka, serde: AvroSerde.create(proxy.url, 1_000), logger: world.logger, topicPrefix: world.topicPrefix, health,
      groupId: `${world.topicPrefix}normaliser`, fromBeginning: true, partitions: 3, registry: new Registry(),
    });
    await normaliser.start();
    const out = await collect(world, discounts);
    const dead = await collect(world, dlq);
    try {
      await until(() => normaliser.healthy(), 'the normaliser to join its group');
      // the raw schema is new to the normaliser: its first lookup meets the outage
      await world.serde.register(rawTopic, TOPICS.rawDutchie.schema);
      proxy.mode = 'unavailable';
      const before = proxy.counts.unavailable;
      await producer.send({ topic: rawTopic, messages: [{ key: dealKey(LOCATION, 4242), value: await world.serde.encode(rawTopic, rawEvent(posRecord({ id: 4242 }), { discountId: '4242' })) }] });
      await until(() => proxy.counts.unavailable >= before + 4, 'the normaliser to meet the 503s');
      await sleep(1_000);
      expect(out.messages).toHaveLength(0);
      expect(dead.messages).toHaveLength(0);
      expect(normaliser.counts).toMatchObject({ emit: 0, reject: 0 });

      proxy.mode = 'forward';
      await until(() => out.messages.length === 1, 'the canonical deal after the outage');
      expect(out.messages[0]!.key!.toString()).toBe(dealKey(LOCATION, 4242));
      await sleep(1_000);
      expect(dead.messages).toHaveLength(0);
      expect(normaliser.counts).toMatchObject({ emit: 1, reject: 0 });
    } finally {
      await normaliser.stop();
      await out.stop();
      await dead.stop();
    }
  }, 120_000);
});
