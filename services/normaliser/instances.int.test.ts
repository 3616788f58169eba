/**
 * Two normaliser instances in one group, one joining and one leaving mid-stream, against one instance over
 * the same raw events: the canonical topic's latest value per key (what compaction keeps and what the
 * projector and the sink act on) is the same. Copies of a batch produced around a rebalance are allowed:
 * they carry the same versions, which the consumers absorb.
 */
import { randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { Registry } from 'prom-client';
import { createProducer, ensureTopics } from '../../shared/kafka';
import { TOPICS, dealKey, topicName } from '../../shared/topics';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { caughtUp, eventually } from '../../test/support/odoo-sink';
import { createNormaliser, type Normaliser } from './consumer';
import { posRecord, rawEvent } from './test-records';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('several normaliser instances in one group (real Kafka and registry)', () => {
  const worlds: TestWorld[] = [];
  const running: Normaliser[] = [];
  afterAll(async () => {
    for (const n of running) await n.stop().catch(() => undefined);
    for (const w of worlds) await w.close();
  }, 60_000);

  const locations = Array.from({ length: 12 }, () => randomUUID());
  /** Three rounds of 5 deals per store, each round a newer fetch; round 3 removes deal 5. */
  const rounds = [1, 2, 3].map((round) => locations.flatMap((locationId) => [1, 2, 3, 4, 5].map((id) => rawEvent(
    round === 3 && id === 5 ? null : posRecord({ id, onlineName: `deal ${id} r${round}` }),
    { locationId, discountId: String(id), eventId: randomUUID(), fetchedAt: 1_760_000_000_000 + round * 1000 },
  ))));

  async function setUp(label: string) {
    const w = await createTestWorld(label);
    worlds.push(w);
    const raw = topicName(w.topicPrefix, TOPICS.rawDutchie);
    const admin = w.kafka.admin();
    await admin.connect();
    await ensureTopics(admin, w.topicPrefix, [TOPICS.rawDutchie, TOPICS.rawPtl, TOPICS.discounts, TOPICS.dlq], 3);
    await admin.disconnect();
    await w.serde.register(raw, TOPICS.rawDutchie.schema);
    const producer = createProducer(w.kafka);
    await producer.connect();
    const publish = async (events: typeof rounds[number]) => {
      const messages = await Promise.all(events.map(async (e) => ({ key: dealKey(e.locationId, e.discountId), value: await w.serde.encode(raw, e) })));
      await producer.send({ topic: raw, messages });
    };
    const group = `${w.topicPrefix}normaliser`;
    const start = async () => {
      const n = createNormaliser({ kafka: w.kafka, serde: w.serde, logger: w.logger, topicPrefix: w.topicPrefix, groupId: group, fromBeginning: true, partitions: 3, registry: new Registry() });
      running.push(n);
      await n.start();
      return n;
    };
    const done = () => eventually(() => caughtUp(w.kafka, group, raw), 90_000, 'the normaliser group caught up');
    /** The canonical topic's last message per key: a tombstone, or the deal's name and version. */
    const latest = async (): Promise<Record<string, string>> => {
      const topic = topicName(w.topicPrefix, TOPICS.discounts);
      const admin2 = w.kafka.admin();
      await admin2.connect();
      const total = (await admin2.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
      await admin2.disconnect();
      const got: KafkaMessage[] = [];
      const reader = w.kafka.consumer({ groupId: `${w.topicPrefix}reader` });
      await reader.connect();
      await reader.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve) => { void reader.run({ eachBatch: ({ batch }) => { got.push(...batch.messages); if (got.length >= total) resolve(); return Promise.resolve(); } }); });
      await reader.disconnect();
      const out: Record<string, string> = {};
      for (const m of got.sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)))) {
        const deal = m.value === null ? null : (await w.serde.decode(m.value)) as { name: string; version: number };
        out[m.key!.toString()] = deal === null ? 'removed' : `${deal.name}@${deal.version}`;
      }
      return out;
    };
    return { publish, start, done, latest, close: () => producer.disconnect() };
  }

  it('two instances with a rebalance mid-stream leave the canonical topic as one instance does', async () => {
    const one = await setUp('norm-one');
    const single = await one.start();
    for (const r of rounds) await one.publish(r);
    await one.done();
    await single.stop();
    const expected = await one.latest();
    expect(Object.keys(expected)).toHaveLength(12 * 5);
    expect(Object.values(expected).filter((v) => v === 'removed')).toHaveLength(12);
    expect(expected[dealKey(locations[0]!, '1')]).toMatch(/r3@1760000003000$/); // the newest fetch's deal and version
    await one.close();

    const two = await setUp('norm-two');
    const n1 = await two.start();
    await two.publish(rounds[0]!);
    await sleep(500);
    const n2 = await two.start(); // rebalance: the partitions are shared
    await two.publish(rounds[1]!);
    await sleep(1500);
    await n1.stop(); // rebalance: n2 takes them all
    await two.publish(rounds[2]!);
    await two.done();
    expect(await two.latest()).toEqual(expected);
    await n2.stop();
    await two.close();
  });
});
