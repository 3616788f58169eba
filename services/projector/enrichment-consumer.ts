/**
 * The enrichment projector's consumer: products.enrichment.v1 -> Postgres `product_enrichment` -> the
 * inventory snapshots of every location holding a live package of a changed SKU. An Odoo change so
 * reaches the storefront's item as soon as the enricher published it, without waiting for the next
 * inventory poll; replaying the compacted topic rebuilds the table and the snapshots.
 * Offsets are committed only after Postgres and Redis succeeded; an undecodable message goes to the
 * DLQ with its reason and origin, and the consumer goes on; a registry outage retries the batch.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { z } from 'zod';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { ProductEnrichment } from '../../shared/events';
import { subscribedConsumer } from '../../shared/kafka';
import type { Logger } from '../../shared/logger';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, topicName } from '../../shared/topics';
import { sendToDlq, type DeadLetter } from './dlq';
import { applyEnrichmentBatch, locationsOfSkus, type EnrichmentChange } from './enrichment-projection';
import { createConsumerHealth, type ConsumerHealth } from '../../shared/consumer-health';
import { classifyFailure, errorText, withOutageRetry } from '../../shared/failure';

const list = z.array(z.string());
const EnrichmentValue = z.object({
  sku: z.string().min(1), odooId: z.number().int(), description: z.string().nullable(), imageUrl: z.string().nullable(), images: list, effects: list, tags: list,
  staffPick: z.boolean(), slug: z.string().nullable(), potencyThcFormatted: z.string().nullable(), potencyCbdFormatted: z.string().nullable(),
  contentHash: z.string(), version: z.number().int(),
}) satisfies z.ZodType<ProductEnrichment>;

export interface EnrichmentConsumerDeps {
  kafka: Kafka;
  serde: AvroSerde;
  db: Kysely<Database>;
  /** an idempotent producer for the DLQ */
  producer: Producer;
  /** rebuilds a location's inventory snapshot (rebuildInventorySnapshot with the projector's deps) */
  rebuild: (locationId: string) => Promise<unknown>;
  topicPrefix: string;
  /** the full consumer group id (already prefixed) */
  groupId: string;
  partitions?: number;
  logger: Logger;
  now: () => number;
  /** false in replays: poison messages were dead-lettered by the live consumer already */
  deadLetter?: boolean;
  onBatch?: (info: { partition: number; nextOffset: string; events: number }) => void;
  /** The service's consumer health (/health): the consumer is watched there as `projector-enrichment`. */
  health?: ConsumerHealth;
}

/** A message as a change, or why it is poison (a registry outage throws: the batch is retried). */
async function toChange(serde: AvroSerde, m: KafkaMessage): Promise<EnrichmentChange | string> {
  const sku = m.key?.toString() ?? '';
  if (sku === '') return 'a message without a key (the SKU)';
  if (m.value === null) return { sku, enrichment: null, timestamp: Number(m.timestamp) };
  let decoded: unknown;
  try {
    decoded = await serde.decode(m.value);
  } catch (e) {
    if (classifyFailure(e) !== 'bad-message') throw e; // an outage is not the message's fault
    return `undecodable enrichment: ${errorText(e)}`;
  }
  const parsed = EnrichmentValue.safeParse(decoded);
  if (!parsed.success) return `invalid enrichment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
  if (parsed.data.sku !== sku) return `enrichment of ${parsed.data.sku} under the key ${sku}`;
  return { sku, enrichment: parsed.data, timestamp: Number(m.timestamp) };
}

export async function startEnrichmentConsumer(deps: EnrichmentConsumerDeps): Promise<Consumer> {
  const topic = topicName(deps.topicPrefix, TOPICS.productEnrichment);
  const dlq = topicName(deps.topicPrefix, TOPICS.dlq);
  const consumer = await subscribedConsumer(deps.kafka, { prefix: deps.topicPrefix, specs: [TOPICS.productEnrichment, TOPICS.dlq], partitions: deps.partitions ?? 3, groupId: deps.groupId, topic });
  const watch = (deps.health ?? createConsumerHealth({ logger: deps.logger })).watch('projector-enrichment', consumer);
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      const { batch } = payload;
      if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
      // an outage (registry, Postgres, Redis, broker) is waited out; the batch re-applies idempotently
      await withOutageRetry(() => applyBatch(payload), {
        what: `projector-enrichment ${batch.topic}[${batch.partition}]`, key: `${batch.topic}:${batch.partition}`, logger: deps.logger, reporter: watch,
        active: () => payload.isRunning() && !payload.isStale(), heartbeat: () => payload.heartbeat(),
      });
    },
  });
  return consumer;

  async function applyBatch(payload: EachBatchPayload): Promise<void> {
      const { batch } = payload;
      const changes: EnrichmentChange[] = [];
      const poison: DeadLetter[] = [];
      for (const m of batch.messages) {
        const c = await toChange(deps.serde, m);
        if (typeof c !== 'string') { changes.push(c); continue; }
        if (deps.deadLetter === false) continue;
        deps.logger.warn({ topic, partition: batch.partition, offset: m.offset, reason: c }, 'dead-lettering a message');
        poison.push({ key: m.key, value: m.value, reason: c, origin: { topic, partition: batch.partition, offset: m.offset } });
      }
      await sendToDlq(deps.producer, dlq, 'projector-enrichment', poison);
      const skus = await applyEnrichmentBatch(deps.db, changes, new Date(deps.now()));
      const locations = await locationsOfSkus(deps.db, skus);
      for (const locationId of locations) {
        await deps.rebuild(locationId);
        await payload.heartbeat();
      }
      if (skus.length) deps.logger.info({ skus: skus.length, locations: locations.length }, 'enrichment applied');
      const last = batch.messages.at(-1);
      if (last) payload.resolveOffset(last.offset);
      await payload.commitOffsetsIfNecessary();
      if (last) deps.onBatch?.({ partition: batch.partition, nextOffset: (BigInt(last.offset) + 1n).toString(), events: batch.messages.length });
  }
}
