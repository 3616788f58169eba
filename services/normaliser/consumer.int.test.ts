import fs from 'node:fs';
import path from 'node:path';
import type { Consumer, IHeaders, KafkaMessage } from 'kafkajs';
import { Registry } from 'prom-client';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import type { Deal, DealRawEvent } from '../../shared/events';
import { createProducer } from '../../shared/kafka';
import { TOPICS, dealKey, topicName } from '../../shared/topics';
import { createNormaliser, type Normaliser } from './consumer';
import { DLQ_HEADERS } from '../../shared/dlq';
import { LOCATION, posRecord, ptlEvent, ptlRecord, rawEvent } from './test-records';

const fixture = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../sandbox/data/az-store-discounts.json'), 'utf8')) as Array<Record<string, unknown>>;

/** Reads `topic` from the start until `n` messages arrived (bounded wait). */
async function readTopic(world: TestWorld, topic: string, n: number, timeoutMs = 30_000): Promise<KafkaMessage[]> {
  const consumer: Consumer = world.kafka.consumer({ groupId: `${world.topicPrefix}reader-${Date.now()}` });
  const got: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${got.length}/${n} messages on ${topic}`)), timeoutMs);
      void consumer.run({ eachMessage: ({ message }) => {
        got.push(message);
        if (got.length >= n) { clearTimeout(timer); resolve(); }
        return Promise.resolve();
      } });
    });
  } finally {
    await consumer.disconnect();
  }
  return got.sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
}

/** Polls `check` (bounded) until it holds. */
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const header = (h: IHeaders | undefined, name: string) => h?.[name]?.toString();

describe('normaliser against real Kafka and the registry', () => {
  let world: TestWorld;
  const running: Normaliser[] = [];
  const raw = { dutchie: '', ptl: '', discounts: '', dlq: '' };

  beforeAll(async () => {
    world = await createTestWorld('normaliser');
    raw.dutchie = topicName(world.topicPrefix, TOPICS.rawDutchie);
    raw.ptl = topicName(world.topicPrefix, TOPICS.rawPtl);
    raw.discounts = topicName(world.topicPrefix, TOPICS.discounts);
    raw.dlq = topicName(world.topicPrefix, TOPICS.dlq);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(running.map((n) => n.stop()));
    await world.close();
  }, 60_000);

  const start = async (group: string, requireFreshGroup = false) => {
    const n = createNormaliser({
      kafka: world.kafka, serde: world.serde, logger: world.logger, topicPrefix: world.topicPrefix,
      groupId: `${world.topicPrefix}${group}`, fromBeginning: true, requireFreshGroup, partitions: 3, registry: new Registry(),
    });
    running.push(n);
    await n.start();
    return n;
  };

  it('maps raw events to canonical deals, tombstones removals, dead-letters poison and goes on', async () => {
    const live = await start('normaliser');
    // The topics now exist (the normaliser ensures them); the discounts topic is compacted.
    const admin = world.kafka.admin();
    await admin.connect();
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: raw.discounts, configNames: ['cleanup.policy'] }], includeSynonyms: false });
    await admin.disconnect();
    expect(configs.resources[0]!.configEntries[0]!.configValue).toBe('compact');

    await world.serde.register(raw.dutchie, TOPICS.rawDutchie.schema);
    await world.serde.register(raw.ptl, TOPICS.rawPtl.schema);
    const bundle = fixture.find((d) => d.id === 341043)!; // "5 for $50", N in constraints[0]
    const bogo = fixture.find((d) => d.id === 360726)!; // "BOGO Ogeez"
    const events: Array<{ topic: string; key: string; value: Buffer | DealRawEvent }> = [
      { topic: raw.dutchie, key: dealKey(LOCATION, 341043), value: rawEvent(bundle) },
      { topic: raw.dutchie, key: dealKey(LOCATION, 'junk'), value: Buffer.from('definitely not avro') },
      { topic: raw.dutchie, key: dealKey(LOCATION, 360726), value: rawEvent(bogo) },
      { topic: raw.dutchie, key: dealKey(LOCATION, 'ghost'), value: Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 2, 4, 6]) }, // framed, but no such schema
      { topic: raw.dutchie, key: dealKey(LOCATION, 1001), value: rawEvent(posRecord({}, { discountValue: 1.5 })) },
      { topic: raw.dutchie, key: dealKey(LOCATION, 341043), value: rawEvent(null, { discountId: '341043', fetchedAt: 1_760_000_100_000 }) },
      { topic: raw.ptl, key: dealKey(LOCATION, 'ptl_77'), value: ptlEvent(ptlRecord()) },
    ];
    const producer = createProducer(world.kafka);
    await producer.connect();
    for (const e of events) {
      // one send per event keeps their order on the (single) partition of this location
      await producer.send({ topic: e.topic, messages: [{ key: e.key, value: Buffer.isBuffer(e.value) ? e.value : await world.serde.encode(e.topic, e.value) }] });
    }
    await producer.disconnect();

    const out = await readTopic(world, raw.discounts, 4);
    const dutchieOut = out.filter((m) => !m.key!.toString().includes('ptl_'));
    expect(dutchieOut.map((m) => m.key!.toString())).toEqual([dealKey(LOCATION, 341043), dealKey(LOCATION, 360726), dealKey(LOCATION, 341043)]);
    const [first, second, removal] = dutchieOut;
    expect(first!.value![0]).toBe(0); // Confluent wire format
    const deal = await world.serde.decode(first!.value!) as Deal;
    expect(deal).toMatchObject({ id: dealKey(LOCATION, 341043), kind: 'bundle', bundleQuantity: 5, value: '50', source: 'dutchie', timeZone: 'America/Phoenix', validUntil: Date.parse('2025-11-01T07:00:00Z') });
    expect(await world.serde.decode(second!.value!)).toMatchObject({ kind: 'bogo', bogo: { buyQuantity: 1, getQuantity: 1, getPercentOff: '1' } });
    expect(removal!.value).toBeNull(); // tombstone
    const ptl = out.find((m) => m.key!.toString() === dealKey(LOCATION, 'ptl_77'))!;
    expect(await world.serde.decode(ptl.value!)).toMatchObject({ source: 'ptl', kind: 'percent', value: '0.25' });

    const dead = await readTopic(world, raw.dlq, 3);
    expect(dead.map((m) => m.key!.toString())).toEqual([dealKey(LOCATION, 'junk'), dealKey(LOCATION, 'ghost'), dealKey(LOCATION, 1001)]);
    expect(dead[0]!.value!.toString()).toBe('definitely not avro'); // original bytes
    expect(header(dead[0]!.headers, DLQ_HEADERS.reason)).toMatch(/^undecodable/);
    expect(header(dead[0]!.headers, DLQ_HEADERS.topic)).toBe(raw.dutchie);
    expect(header(dead[0]!.headers, DLQ_HEADERS.offset)).toBe('1');
    expect(header(dead[0]!.headers, DLQ_HEADERS.partition)).toMatch(/^\d+$/);
    expect(header(dead[1]!.headers, DLQ_HEADERS.reason)).toMatch(/unknown schema id 2147483632/);
    expect(header(dead[2]!.headers, DLQ_HEADERS.reason)).toMatch(/above 100/);
    expect(await world.serde.decode(dead[2]!.value!)).toMatchObject({ discountId: '1001' }); // the raw event, untouched

    // The consumer went on: everything counted and its offsets committed past the poison message.
    await until(() => live.counts.emit + live.counts.tombstone + live.counts.reject === 7);
    expect(live.counts).toMatchObject({ emit: 3, tombstone: 1, reject: 3 });
    expect(live.healthy()).toBe(true); // what /health reports: the consumer is in its group
    const admin2 = world.kafka.admin();
    await admin2.connect();
    try {
      const high = (await admin2.fetchTopicOffsets(raw.dutchie)).reduce((sum, p) => sum + Number(p.high), 0);
      await until(async () => {
        const [committed] = await admin2.fetchOffsets({ groupId: `${world.topicPrefix}normaliser`, topics: [raw.dutchie] });
        return committed!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0) === high;
      });
    } finally {
      await admin2.disconnect();
    }
  }, 60_000);

  it('replays the raw topics in a fresh group from the beginning (rebuilds the canonical topic)', async () => {
    await expect(start('normaliser', true)).rejects.toThrow(/already has committed offsets/);
    const replay = await start('normaliser-replay-test', true);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([replay.caughtUp(), new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('replay did not catch up')), 30_000); })]);
    clearTimeout(timer);
    expect(replay.counts).toMatchObject({ emit: 3, tombstone: 1, reject: 3 });
    const out = await readTopic(world, raw.discounts, 8);
    expect(out).toHaveLength(8); // every deal published again
    await replay.stop();
    expect(replay.healthy()).toBe(false);
  }, 60_000);
});
