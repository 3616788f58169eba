/**
 * The normaliser's inventory side (a transformer): inventory.raw.v2 -> inventory.items.v2
 * (compacted; tombstone on remove). Per batch: decode, map (inventory-handler.ts, pure), encode,
 * send ONE producer batch (items, tombstones and dead letters together), then resolve the
 * offsets; a failed send throws and the batch is consumed again (keyed, idempotent output).
 * A message that cannot be decoded or mapped goes to the DLQ and the consumer goes on.
 */
import type { Consumer, EachBatchPayload, Kafka, Message, Producer } from 'kafkajs';
import type { InventoryRawEvent } from '../../shared/events';
import { createProducer, ensureTopics } from '../../shared/kafka';
import type { Logger } from '../../shared/logger';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, topicName } from '../../shared/topics';
import { dlqMessage } from '../../shared/dlq';
import { tombstoneHeaders } from '../../shared/versioned';
import { createConsumerHealth, type ConsumerHealth } from '../../shared/consumer-health';
import { classifyFailure, errorText, withOutageRetry } from '../../shared/failure';
import { normaliseInventory } from './inventory-handler';

export const INVENTORY_SERVICE = 'normaliser-inventory';

export interface InventoryNormaliserOptions {
  kafka: Kafka;
  serde: AvroSerde;
  logger: Logger;
  topicPrefix: string;
  /** full consumer group id (already prefixed) */
  groupId: string;
  partitions: number;
  /** The service's consumer health (/health): the consumer is watched there (tests may leave it out). */
  health?: ConsumerHealth;
}

export interface InventoryNormaliser { start(): Promise<void>; stop(): Promise<void> }

export function createInventoryNormaliser(opts: InventoryNormaliserOptions): InventoryNormaliser {
  const raw = topicName(opts.topicPrefix, TOPICS.inventoryRaw);
  const items = topicName(opts.topicPrefix, TOPICS.inventoryItems);
  const dlq = topicName(opts.topicPrefix, TOPICS.dlq);
  let consumer: Consumer | undefined;
  let producer: Producer | undefined;

  return {
    async start() {
      const admin = opts.kafka.admin();
      await admin.connect();
      try {
        await ensureTopics(admin, opts.topicPrefix, [TOPICS.inventoryRaw, TOPICS.inventoryItems, TOPICS.dlq], opts.partitions);
      } finally {
        await admin.disconnect();
      }
      await opts.serde.register(items, TOPICS.inventoryItems.schema);
      const p = createProducer(opts.kafka);
      producer = p;
      await p.connect();
      const c = opts.kafka.consumer({ groupId: opts.groupId, allowAutoTopicCreation: false });
      consumer = c;
      const watch = (opts.health ?? createConsumerHealth({ logger: opts.logger })).watch('normaliser-inventory', c);
      await c.connect();
      await c.subscribe({ topic: raw, fromBeginning: true });
      /** One batch mapped and sent; a registry or broker outage throws (retried by the caller). */
      const mapAndSend = async (batch: EachBatchPayload['batch']): Promise<void> => {
          const out: Message[] = [];
          const dead: Message[] = [];
          for (const m of batch.messages) {
            const origin = { topic: batch.topic, partition: batch.partition, offset: m.offset };
            let reason: string;
            try {
              if (m.value === null) throw new Error('a raw inventory event is never a tombstone');
              // the registry schema is the validation of the envelope; the record inside is checked by zod
              const outcome = normaliseInventory((await opts.serde.decode(m.value)) as InventoryRawEvent);
              switch (outcome.kind) {
                case 'emit': out.push({ key: outcome.key, value: await opts.serde.encode(items, outcome.value) }); continue;
                case 'tombstone': out.push({ key: outcome.key, value: null, headers: tombstoneHeaders(outcome.version) }); continue;
                case 'reject': reason = outcome.error; break;
                default: {
                  const _exhaustive: never = outcome;
                  throw new Error(`unknown outcome ${JSON.stringify(_exhaustive)}`);
                }
              }
            } catch (e) {
              // only the message's own fault is dead-lettered; an outage (or a bug) is not the message's
              if (classifyFailure(e) !== 'bad-message') throw e;
              reason = `undecodable: ${errorText(e)}`;
            }
            opts.logger.warn({ ...origin, reason }, 'dead-lettered a raw inventory event');
            dead.push(dlqMessage({ key: m.key, value: m.value, headers: m.headers }, origin, reason, INVENTORY_SERVICE));
          }
          await p.sendBatch({ topicMessages: [{ topic: items, messages: out }, { topic: dlq, messages: dead }].filter((t) => t.messages.length > 0) });
      };
      await c.run({
        eachBatchAutoResolve: false,
        eachBatch: async (payload) => {
          const { batch } = payload;
          if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
          const r = await withOutageRetry(() => mapAndSend(batch), {
            what: `normaliser-inventory ${batch.topic}[${batch.partition}]`, key: `${batch.topic}:${batch.partition}`, logger: opts.logger, reporter: watch,
            active: () => payload.isRunning() && !payload.isStale(), heartbeat: () => payload.heartbeat(),
          });
          if (!r.done) return; // no longer ours: consumed again by the owner
          const last = batch.messages.at(-1);
          if (last) payload.resolveOffset(last.offset);
          await payload.commitOffsetsIfNecessary();
          await payload.heartbeat();
        },
      });
    },
    async stop() {
      await consumer?.disconnect();
      await producer?.disconnect();
    },
  };
}
