/**
 * Kafka client factory. Producers are idempotent with acks=all and partition deal keys
 * `{locationId}_{id}` by the location part, so one consumer owns a location.
 */
import { kafkajsCrc32c } from './kafka-crc32c'; // first: kafkajs must load with the native CRC32C in place
import {
  ConfigResourceTypes, Kafka, Partitioners, logLevel, type Admin, type Consumer, type ICustomPartitioner, type Producer, type LogEntry,
} from 'kafkajs';
import type { Logger } from './logger';
import { replicationConfigs, replicationFromEnv, type ReplicationSettings } from './replication';
import { locationOfKey, topicName, type TopicSpec } from './topics';

export interface KafkaSettings { brokers: string[]; clientId: string }

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug',
};

export function createKafka(settings: KafkaSettings, logger: Logger): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  if (kafkajsCrc32c === 'too late') log.warn('kafkajs was loaded before shared/kafka-crc32c: it checksums with its JavaScript CRC32C');
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

/**
 * How every producer of the pipeline writes: idempotent (the broker drops a retried duplicate of a
 * batch), which kafkajs allows only with acks=all (-1, its default; a send asking fewer acks is
 * refused) and at most 5 requests in flight (one here: order kept per partition across retries).
 * With the cluster's `min.insync.replicas`, an acknowledged message is on that many replicas.
 */
export const DURABLE_PRODUCER = { idempotent: true, maxInFlightRequests: 1 } as const;
/** The acks every send uses (kafkajs's default, stated): all in-sync replicas. */
export const ACKS_ALL = -1;

/** Idempotent producer, acks=all (DURABLE_PRODUCER), deal keys partitioned by location. */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({ ...DURABLE_PRODUCER, createPartitioner: locationPartitioner, allowAutoTopicCreation: false });
}

/**
 * The topic-level configs a spec requires (what ensureTopics creates, checks and `npm run topics -- --fix` sets),
 * with min.insync.replicas from the replication settings (shared/replication.ts; default: the environment's).
 */
export function requiredConfigs(spec: TopicSpec, repl: ReplicationSettings = replicationFromEnv()): Record<string, string> {
  const own: Record<string, string> = spec.compacted ? { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': '600000' }
    : spec.keep ? { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1' } : {};
  return { ...own, ...replicationConfigs(repl) };
}

/** The configs that must hold (the tuning ones of a compacted topic may differ). */
function checkedConfigs(spec: TopicSpec, repl: ReplicationSettings): Record<string, string> {
  const all = requiredConfigs(spec, repl);
  return spec.compacted ? { 'cleanup.policy': all['cleanup.policy']!, 'min.insync.replicas': all['min.insync.replicas']! } : all;
}

/** An existing topic whose configuration contradicts its spec (e.g. raw history that would expire). */
export class TopicConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`topic configuration contradicts what the pipeline needs:\n  ${problems.join('\n  ')}\n`
      + 'Fix it with `npm run topics -- --fix` (same KAFKA_BROKERS and TOPIC_PREFIX), or set the configs by hand (kafka-configs.sh --alter).');
  }
}

/** What contradicts the specs among the existing topics (empty: all is well), replication factor included. */
export async function topicConfigProblems(admin: Admin, prefix: string, specs: readonly TopicSpec[], repl: ReplicationSettings = replicationFromEnv()): Promise<string[]> {
  const wanted = specs.filter((s) => Object.keys(checkedConfigs(s, repl)).length > 0);
  if (wanted.length === 0) return [];
  const res = await admin.describeConfigs({
    includeSynonyms: false,
    resources: wanted.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: topicName(prefix, s), configNames: Object.keys(checkedConfigs(s, repl)) })),
  });
  const problems: string[] = [];
  for (const spec of wanted) {
    const name = topicName(prefix, spec);
    const entries = res.resources.find((r) => r.resourceName === name)?.configEntries ?? [];
    for (const [config, value] of Object.entries(checkedConfigs(spec, repl))) {
      const actual = entries.find((e) => e.configName === config)?.configValue;
      if (actual !== value) problems.push(`${name}: ${config} is ${actual ?? '(unset)'}, must be ${value}${spec.keep && config !== 'min.insync.replicas' ? ' (raw history and dead letters are kept for ever)' : ''}`);
    }
  }
  const { topics } = await admin.fetchTopicMetadata({ topics: wanted.map((s) => topicName(prefix, s)) });
  for (const t of topics) {
    const fewest = Math.min(...t.partitions.map((p) => p.replicas.length));
    // not fixable by --fix: a partition reassignment (kafka-reassign-partitions.sh) adds replicas
    if (fewest < repl.replicationFactor) problems.push(`${t.name}: replication factor is ${fewest}, must be ${repl.replicationFactor} (KAFKA_REPLICATION_FACTOR; add replicas with kafka-reassign-partitions.sh)`);
  }
  return problems;
}

/**
 * Creates missing topics with their configs, then checks that the existing ones do not contradict
 * their specs (a raw topic that would expire, a canonical topic that is not compacted): a clear
 * TopicConfigError at start-up instead of history silently lost a week later.
 */
export async function ensureTopics(admin: Admin, prefix: string, specs: TopicSpec[], partitions: number, repl: ReplicationSettings = replicationFromEnv()): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(topicName(prefix, s)));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: topicName(prefix, s),
        numPartitions: partitions,
        replicationFactor: repl.replicationFactor,
        configEntries: Object.entries(requiredConfigs(s, repl)).map(([name, value]) => ({ name, value })),
      })),
    }).catch((e: unknown) => {
      // Another instance may have created them in between: that is fine.
      if (!(e instanceof Error && /already exists/i.test(e.message + JSON.stringify(e)))) throw e;
    });
  }
  const problems = await topicConfigProblems(admin, prefix, specs.filter((s) => existing.has(topicName(prefix, s))), repl);
  if (problems.length > 0) throw new TopicConfigError(problems);
}

/** Sets the required configs on existing topics (the spec's whole topic-level set: alterConfigs replaces it). */
export async function fixTopicConfigs(admin: Admin, prefix: string, specs: readonly TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const bad = [];
  for (const spec of specs) {
    if (!existing.has(topicName(prefix, spec))) continue;
    if ((await topicConfigProblems(admin, prefix, [spec])).length > 0) bad.push(spec);
  }
  if (bad.length > 0) {
    await admin.alterConfigs({
      validateOnly: false,
      resources: bad.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: topicName(prefix, s), configEntries: Object.entries(requiredConfigs(s)).map(([name, value]) => ({ name, value })) })),
    });
  }
  return bad.map((s) => topicName(prefix, s));
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
