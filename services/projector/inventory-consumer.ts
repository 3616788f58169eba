/**
 * The inventory projector's consumer: inventory.items.v2 -> Postgres `inventory` -> Redis
 * snapshot per touched location. Offsets are committed only after Postgres and Redis both
 * succeeded (a failure throws, kafkajs retries the batch: no loss, and the upserts are
 * idempotent). A message that cannot be decoded goes to the DLQ with its reason and origin in
 * headers, and the consumer goes on.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { Deal, InventoryItem } from '../../shared/events';
import { ensureTopics } from '../../shared/kafka';
import type { Logger } from '../../shared/logger';
import type { Redis } from '../../shared/redis';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, locationOfKey, topicName } from '../../shared/topics';
import { tombstoneVersion } from '../../shared/versioned';
import { sendToDlq } from './dlq';
import type { SwitchLock } from './switch-lock';
import { createConsumerHealth, type ConsumerHealth } from '../../shared/consumer-health';
import { classifyFailure, errorText, withOutageRetry } from '../../shared/failure';
import { applyInventoryBatch, rebuildInventorySnapshot, type InventoryChange } from './inventory-projection';

export interface InventoryConsumerDeps {
  kafka: Kafka;
  serde: AvroSerde;
  db: Kysely<Database>;
  redis: Redis;
  /** an idempotent producer for the DLQ */
  producer: Producer;
  inventoryKey: (locationId: string) => string;
  loadDeals: (locationId: string) => Promise<Deal[]>;
  topicPrefix: string;
  /** the full consumer group id (already prefixed) */
  groupId: string;
  partitions?: number;
  logger: Logger;
  now: () => number;
  /** Replay of one location: items of other locations are passed over (offsets still committed). */
  onlyLocation?: string;
  /** false in replays: poison messages were dead-lettered by the live consumer already. */
  deadLetter?: boolean;
  /** Called after each committed batch (the replay's progress). `nextOffset`: where the partition stands. */
  onBatch?: (info: { partition: number; nextOffset: string; events: number }) => void;
  /** The live consumer's side of a rebuild's switch (switch-lock.ts): each batch holds it shared. */
  switchLock?: SwitchLock;
  /** A rebuild reads each partition only up to an end offset (exclusive) that may move on: the rest waits, unresolved. */
  until?: (partition: number) => bigint | undefined;
  /** Every batch's changes (a rebuild's expected state, to verify the shadow against the topic). */
  onChanges?: (changes: readonly InventoryChange[]) => void;
  /** The service's consumer health (/health): the consumer is watched there as `projector-inventory`. */
  health?: ConsumerHealth;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startInventoryConsumer(deps: InventoryConsumerDeps): Promise<Consumer> {
  const topic = topicName(deps.topicPrefix, TOPICS.inventoryItems);
  const dlq = topicName(deps.topicPrefix, TOPICS.dlq);
  const admin = deps.kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, deps.topicPrefix, [TOPICS.inventoryItems, TOPICS.dlq], deps.partitions ?? 3);
  } finally {
    await admin.disconnect();
  }
  const consumer = deps.kafka.consumer({ groupId: deps.groupId });
  const watch = (deps.health ?? createConsumerHealth({ logger: deps.logger })).watch('projector-inventory', consumer);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    // offsets are resolved by hand after Postgres and Redis succeeded; kafkajs commits resolved ones
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      const { batch } = payload;
      if (batch.messages.length === 0) return;
      const bound = deps.until?.(batch.partition);
      const cut = bound === undefined ? -1 : batch.messages.findIndex((m) => BigInt(m.offset) >= bound);
      const messages = cut < 0 ? batch.messages : batch.messages.slice(0, cut);
      if (messages.length === 0) {
        deps.onBatch?.({ partition: batch.partition, nextOffset: String(bound), events: 0 });
        await sleep(100); // idle at the bound without spinning on refetches
        await payload.heartbeat();
        return;
      }
      const run = () => projectBatch(payload, messages, cut >= 0 ? String(bound) : undefined);
      // an outage (registry, Postgres, Redis, broker) is waited out; the batch re-applies idempotently
      await withOutageRetry(() => (deps.switchLock ? deps.switchLock.shared(run) : run()), {
        what: `projector-inventory ${batch.topic}[${batch.partition}]`, key: `${batch.topic}:${batch.partition}`, logger: deps.logger, reporter: watch,
        active: () => payload.isRunning() && !payload.isStale(), heartbeat: () => payload.heartbeat(),
      });
    },
  });
  return consumer;

  async function projectBatch(payload: EachBatchPayload, messages: KafkaMessage[], boundReached: string | undefined): Promise<void> {
    const { batch } = payload;
    const changes: InventoryChange[] = [];
    for (const m of messages) {
      const key = m.key?.toString() ?? '';
      if (deps.onlyLocation !== undefined && locationOfKey(key) !== deps.onlyLocation) continue;
      if (m.value === null) {
        changes.push({ key, item: null, version: tombstoneVersion(m.headers, m.timestamp) });
        continue;
      }
      let reason: string;
      try {
        const item = (await deps.serde.decode(m.value)) as InventoryItem; // the registry schema is the validation
        changes.push({ key, item, version: item.version });
        continue;
      } catch (e) {
        // the registry or network failing is not the message's fault: retry the batch, never dead-letter it
        if (classifyFailure(e) !== 'bad-message') throw e;
        reason = `undecodable inventory item: ${errorText(e)}`;
      }
      if (deps.deadLetter === false) continue;
      deps.logger.warn({ topic, partition: batch.partition, offset: m.offset, reason }, 'dead-lettering a message');
      await sendToDlq(deps.producer, dlq, 'projector-inventory', [{ key: m.key, value: m.value, headers: m.headers, reason, origin: { topic, partition: batch.partition, offset: m.offset } }]);
    }
    const touched = await applyInventoryBatch(deps.db, changes, new Date(deps.now()));
    deps.onChanges?.(changes);
    for (const locationId of touched) {
      const r = await rebuildInventorySnapshot({ db: deps.db, redis: deps.redis, inventoryKey: deps.inventoryKey, loadDeals: deps.loadDeals, now: deps.now }, locationId);
      deps.logger.info({ locationId, ...r }, 'inventory snapshot rebuilt');
      await payload.heartbeat();
    }
    const last = messages.at(-1);
    if (last) payload.resolveOffset(last.offset);
    await payload.commitOffsetsIfNecessary();
    if (last) deps.onBatch?.({ partition: batch.partition, nextOffset: boundReached ?? (BigInt(last.offset) + 1n).toString(), events: messages.length });
  }
}
