/**
 * Kafka client factory. Producers are idempotent with acks=all and partition deal keys
 * `{locationId}_{id}` by the location part, so one consumer owns a location.
 */
import {
  Kafka, Partitioners, logLevel, type Admin, type Consumer, type ICustomPartitioner, type Producer, type LogEntry,
} from 'kafkajs';
import type { Logger } from './logger';
import { locationOfKey, topicName, type TopicSpec } from './topics';

export interface KafkaSettings { brokers: string[]; clientId: string }

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug',
};

export function createKafka(settings: KafkaSettings, logger: Logger): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 300, retries: 10 },
    logCreator: () => ({ level, log: entry }: LogEntry) => {
      const { message, ...rest } = entry;
      log[levels[level] ?? 'info']({ namespace: entry.namespace, ...rest }, message);
    },
  });
}

/**
 * Hashes the location part of the key with kafkajs's Java-compatible murmur2 partitioner,
 * so every key of a location lands on one partition (and Java clients agree).
 */
export const locationPartitioner: ICustomPartitioner = () => {
  const javaCompatible = Partitioners.DefaultPartitioner();
  // The partition depends only on the location and the partition count: hashed once per location,
  // not once per message (the poller sends 100k messages of a few hundred locations a cycle).
  const known = new Map<string, number>();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key === null || message.key === undefined) return javaCompatible({ topic, partitionMetadata, message });
    const key = locationOfKey(message.key.toString());
    const memo = `${partitionMetadata.length}|${key}`;
    let partition = known.get(memo);
    if (partition === undefined) {
      partition = javaCompatible({ topic, partitionMetadata, message: { ...message, key } });
      if (known.size >= 10_000) known.clear(); // keys without a location part are the whole key
      known.set(memo, partition);
    }
    return partition;
  };
};

/** Idempotent producer (acks=all is kafkajs's default and required by idempotence). */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: locationPartitioner, allowAutoTopicCreation: false });
}

/** Creates missing topics (compacted where the spec says so). Existing topics are left as they are. */
export async function ensureTopics(admin: Admin, prefix: string, specs: TopicSpec[], partitions: number): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(topicName(prefix, s)));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((s) => ({
      topic: topicName(prefix, s),
      numPartitions: partitions,
      replicationFactor: 1,
      configEntries: s.compacted
        ? [{ name: 'cleanup.policy', value: 'compact' }, { name: 'min.cleanable.dirty.ratio', value: '0.1' }, { name: 'segment.ms', value: '600000' }]
        : [],
    })),
  }).catch((e: unknown) => {
    // Another instance may have created them in between: that is fine.
    if (!(e instanceof Error && /already exists/i.test(e.message + JSON.stringify(e)))) throw e;
  });
}

/**
 * A consumer of `topic` in `groupId` (already prefixed), subscribed from the beginning, after the topics it
 * needs exist (`specs`: its input and, say, the DLQ). The caller runs it.
 */
export async function subscribedConsumer(kafka: Kafka, opts: { prefix: string; specs: TopicSpec[]; partitions: number; groupId: string; topic: string }): Promise<Consumer> {
  const admin = kafka.admin();
  await admin.connect();
  try { await ensureTopics(admin, opts.prefix, opts.specs, opts.partitions); } finally { await admin.disconnect(); }
  const consumer = kafka.consumer({ groupId: opts.groupId });
  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: true });
  return consumer;
}
