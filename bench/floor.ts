/**
 * bench:pipeline's floor, in a fresh process on the pass's Node binary (spawned by bench/pipeline.ts
 * once the services have stopped, so nothing competes and no bench-process heap weighs on it):
 *
 * - own work (bench/own-work.ts): the services' code per event without Kafka, Postgres or Redis;
 * - kafkajs alone: a bare consumer of the raw topic sending every batch on to a scratch topic with the
 *   pipeline's producer (the normaliser's Kafka work), and a bare consumer of the deals topic (the
 *   projector's). No Avro, no mapping, no Postgres, no Redis.
 *
 * Input: FLOOR_ARGS (JSON: brokers, registryUrl, raw and discounts topics, scratch topic, groupPrefix, partitions,
 * the own-work sample's size). Prints one JSON line.
 */
import { randomUUID } from 'node:crypto';
import { BatchAvroCodec } from '../shared/avro-codec';
import { createKafka, createProducer } from '../shared/kafka';
import { createLogger } from '../shared/logger';
import { AvroSerde } from '../shared/serde';
import { TOPICS } from '../shared/topics';
import { measureOwnWork } from './own-work';
import { drainBare, rawEvent } from './support';

interface FloorArgs { brokers: string[]; registryUrl: string; raw: string; discounts: string; scratch: string; groupPrefix: string; partitions: number; ownWorkLocations: number; dealsPerLocation: number }

export interface FloorResult {
  ownWork: { normaliser: number; projector: number; events: number };
  kafkajs: { normaliser: number; projector: number };
}

async function main(): Promise<void> {
  const args = JSON.parse(process.env.FLOOR_ARGS ?? '') as FloorArgs;
  const sample = Array.from({ length: args.ownWorkLocations }, () => randomUUID())
    .flatMap((location) => Array.from({ length: args.dealsPerLocation }, (_, d) => rawEvent(location, d)));
  // the pass's subjects: the raw schema the bench registered, the deal schema the normaliser did (register is idempotent)
  const serde = AvroSerde.create(args.registryUrl);
  const [rawId, dealId] = [await serde.register(args.raw, TOPICS.rawDutchie.schema), await serde.register(args.discounts, TOPICS.discounts.schema)];
  const codec = new BatchAvroCodec(serde);
  await codec.load(rawId);
  await codec.load(dealId);
  const own = measureOwnWork(codec, rawId, dealId, sample);

  const kafka = createKafka({ brokers: args.brokers, clientId: 'bench-floor' }, createLogger('bench-floor', 'error'));
  const admin = kafka.admin();
  await admin.connect();
  const count = async (topic: string): Promise<number> => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0);
  await admin.createTopics({ topics: [{ topic: args.scratch, numPartitions: args.partitions }], waitForLeaders: true });
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    const transform = await drainBare(kafka, `${args.groupPrefix}floor-normaliser`, args.raw, await count(args.raw), args.partitions, { producer, topic: args.scratch });
    const consume = await drainBare(kafka, `${args.groupPrefix}floor-projector`, args.discounts, await count(args.discounts), args.partitions);
    const result: FloorResult = {
      ownWork: own,
      kafkajs: { normaliser: Math.round(transform.cpuUsPerEvent), projector: Math.round(consume.cpuUsPerEvent) },
    };
    console.log(JSON.stringify(result));
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [args.scratch] }).catch(() => undefined);
    await admin.disconnect();
  }
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
