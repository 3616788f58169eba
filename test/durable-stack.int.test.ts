/**
 * Durable schemas and a wiped cluster (issue 16), on a PRIVATE Kafka + registry (own ports, own
 * state directory, own registry database): the shared stack is never stopped.
 *
 * 1. stack:down + stack:up: the messages already in Kafka still decode with their schema ids (the
 *    registry keeps them in Postgres), and a consumer restarted from the beginning reads them all.
 * 2. Kafka's data wiped, the database kept: after one poller cycle the canonical topics again hold
 *    every live deal and inventory package, and a replay then reproduces the served data.
 */
import request from 'supertest';
import type { Deal } from '../shared/events';
import { createProducer } from '../shared/kafka';
import { AvroSerde } from '../shared/serde';
import { TOPICS, topicName } from '../shared/topics';
import { runInventoryReplay } from '../services/projector/inventory-replay';
import { runReplay } from '../services/projector/replay';
import { dealProducer, makeDeal, waitFor } from './support/deals';
import { createTestWorld, type TestWorld } from './support/integration';
import { caughtUp } from './support/odoo-sink';
import { givenPipeline, type PipelineWorld } from './support/pipeline';
import { givenPrivateStack, type PrivateStack } from './support/private-stack';
import { readRange } from '../shared/redrive';

const local = /@127\.0\.0\.1:5432\//.test(process.env.DATABASE_URL ?? '');
// the private stack's registry stores its schemas in the machine's Postgres (as `npm run stack:up` does)
const describeLocal = local ? describe : describe.skip;

describeLocal('a private stack: durable schemas, and a wiped Kafka', () => {
  let stack: PrivateStack;
  let world: TestWorld;
  let pipe: PipelineWorld | undefined;

  beforeAll(async () => {
    stack = await givenPrivateStack('durable');
    await stack.up();
    const saved = { KAFKA_BROKERS: process.env.KAFKA_BROKERS, SCHEMA_REGISTRY_URL: process.env.SCHEMA_REGISTRY_URL };
    Object.assign(process.env, stack.env);
    try { world = await createTestWorld('durable-stack'); } finally { Object.assign(process.env, saved); }
  }, 300_000);

  afterAll(async () => {
    await pipe?.close().catch(() => undefined);
    await world?.close().catch(() => undefined);
    await stack?.destroy();
  }, 180_000);

  const ends = async (topic: string) => {
    const admin = world.kafka.admin();
    await admin.connect();
    try { return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)] as const)); } finally { await admin.disconnect(); }
  };

  it('stack:down + stack:up: old messages decode with their schema ids, and a consumer from the beginning reads them all', async () => {
    // a topic of its own (the pipeline of the next test reads the world's)
    const { send, producer, topic } = await dealProducer({ ...world, topicPrefix: `${world.topicPrefix}one.` });
    const deals = Array.from({ length: 300 }, (_, i) => makeDeal('durable-1', i + 1, { version: 1_767_000_000_000 + i }));
    await send(deals);
    await producer.disconnect();
    const idBefore = (await readRange(world.kafka, topic, await ends(topic)))[0]!.value!.readUInt32BE(1);

    await stack.down();
    await stack.up();

    const fresh = AvroSerde.create(stack.env.SCHEMA_REGISTRY_URL); // no cached schemas: every id asked of the registry
    const read = await readRange(world.kafka, topic, await ends(topic));
    expect(read).toHaveLength(300);
    const decoded = await Promise.all(read.map(async (m) => (await fresh.decode(m.value!)) as Deal));
    expect(decoded.map((d) => d.id).sort()).toEqual(deals.map((d) => d.id).sort());
    expect(read.every((m) => m.value!.readUInt32BE(1) === idBefore)).toBe(true);
    // registering the same schema again hands out the same id
    expect(await fresh.register(topic, TOPICS.discounts.schema)).toBe(idBefore);
  }, 300_000);

  it("Kafka's data wiped: one poller cycle makes the canonical topics whole again, and a replay reproduces the served data", async () => {
    const sandbox = { includeFixture: false, markets: ['AZ'], lspsPerMarket: 1, storesPerLsp: 2, dealsPerLsp: 30, ptlDealsPerMarket: 2 } as const;
    pipe = await givenPipeline(world, sandbox);
    const stores = pipe.pw.sandbox.directory().locations.map((l) => l.id);
    const served = async (p: PipelineWorld) => Promise.all(stores.flatMap((id) => [
      request(p.app).get(`/api/locations/${id}/discounts`).then((r) => `${r.status} ${r.text}`),
      request(p.app).get(`/api/locations/${id}/inventory?limit=10000`).then((r) => `${r.status} ${r.text}`),
    ]));
    const canonical = { deals: topicName(world.topicPrefix, TOPICS.discounts), items: topicName(world.topicPrefix, TOPICS.inventoryItems) };
    const settled = async () => {
      await waitFor(async () => ((await caughtUp(world.kafka, `${world.topicPrefix}normaliser`, topicName(world.topicPrefix, TOPICS.rawDutchie)))
        && (await caughtUp(world.kafka, `${world.topicPrefix}projector`, canonical.deals))
        && (await caughtUp(world.kafka, `${world.topicPrefix}projector-inventory`, canonical.items)) ? true : undefined), 90_000, 'the pipeline to settle');
    };
    await pipe.pollOnce();
    await settled();
    await waitFor(async () => ((await served(pipe!)).every((s) => s.startsWith('200')) ? true : undefined), 60_000, 'every store served');
    const live = {
      deals: Number((await world.db.selectFrom('discounts').select((eb) => eb.fn.countAll().as('n')).where('removed', '=', false).executeTakeFirstOrThrow()).n),
      items: Number((await world.db.selectFrom('inventory').select((eb) => eb.fn.countAll().as('n')).where('removed', '=', false).executeTakeFirstOrThrow()).n),
    };
    expect(live.deals).toBeGreaterThan(10);
    expect(live.items).toBeGreaterThan(10);
    await pipe.close();
    pipe = undefined;

    // the broker's data is lost; Postgres (the poller's memory, the read models) and the registry are kept
    await stack.wipeKafka();
    await stack.up();
    pipe = await givenPipeline(world, sandbox);
    await pipe.pollOnce();
    await settled();

    /** the live keys of a compacted topic: the last value of each key is not a tombstone */
    const liveKeys = async (topic: string) => {
      const last = new Map<string, boolean>();
      for (const m of await readRange(world.kafka, topic, await ends(topic))) last.set(m.key!.toString(), m.value !== null);
      expect([...last.keys()].every((k) => stores.some((s) => k.startsWith(`${s}_`)))).toBe(true); // the sandbox's stores only: the log was wiped
      return [...last.values()].filter(Boolean).length;
    };
    expect(await liveKeys(canonical.deals)).toBe(live.deals);
    expect(await liveKeys(canonical.items)).toBe(live.items);

    // a replay of the refilled topics reproduces what is served
    const before = await served(pipe);
    const deps = { kafka: world.kafka, serde: world.serde, databaseUrl: world.databaseUrl, redis: world.redis, logger: world.logger, topicPrefix: world.topicPrefix, redisPrefix: world.redisPrefix, quietMs: 3000 };
    expect((await runReplay(deps)).switched).toBe(true);
    const producer = createProducer(world.kafka);
    await producer.connect();
    try { expect((await runInventoryReplay({ ...deps, producer })).switched).toBe(true); } finally { await producer.disconnect(); }
    expect(await served(pipe)).toEqual(before);
  }, 400_000);
});
