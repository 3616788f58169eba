/**
 * Phase 5's consumer (a reactor: side effects in Odoo, idempotent by reading Odoo first): inventory.items.v2
 * in slices -> the packages folded into `odoo_inventory_packages` (newest version wins; a tombstone marks
 * the package gone) -> the (store, SKU) pairs touched brought in line in Odoo (inventory-sink.ts) -> commit.
 * While Odoo fails the slice is retried with backoff, heartbeating, and nothing is committed; an
 * undecodable message goes to the DLQ and the consumer goes on. Replaying the topic from the start
 * rebuilds the fold and finds Odoo already right: no duplicates, no writes.
 */
import { sql } from 'kysely';
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import { dlqHeaders } from '../../shared/dlq';
import type { InventoryItem } from '../../shared/events';
import { createProducer, subscribedConsumer } from '../../shared/kafka';
import type { Logger } from '../../shared/logger';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, topicName } from '../../shared/topics';
import { toPackage } from './inventory-handler';
import type { InventorySink, InventorySinkResult } from './inventory-sink';
import { createConsumerHealth, type ConsumerHealth } from '../../shared/consumer-health';
import { classifyFailure, errorText, withOutageRetry } from '../../shared/failure';

export interface InventoryConsumerSettings { topicPrefix: string; groupId: string; partitions: number; sliceSize: number; retryBaseMs: number; retryCapMs: number }

export interface InventoryConsumerDeps {
  kafka: Kafka; serde: AvroSerde; db: Kysely<Database>; sink: InventorySink; logger: Logger; settings: InventoryConsumerSettings; metrics?: Registry;
  /** The service's consumer health (/health): the consumer is watched there as `odoo-inventory`. */
  health?: ConsumerHealth;
}

interface Change { key: string; item: InventoryItem | null; timestamp: number }

/** Folds a slice into `odoo_inventory_packages`; returns the (store, SKU) pairs whose packages changed. */
export async function foldPackages(db: Kysely<Database>, changes: readonly Change[]): Promise<Array<{ locationId: string; sku: string }>> {
  const last = new Map<string, Change>();
  for (const c of changes) last.set(c.key, c);
  const touched = new Map<string, { locationId: string; sku: string }>();
  const touch = (locationId: string, sku: string) => touched.set(`${locationId}\u0000${sku}`, { locationId, sku });
  const rows = [...last.values()].flatMap((c) => (c.item === null || c.item.sku === null ? [] : [{
    id: c.key, location_id: c.item.locationId, sku: c.item.sku, package: JSON.stringify(toPackage(c.item)), version: c.item.version, removed: false,
  }]));
  const gone = [...last.values()].filter((c) => c.item === null);
  if (rows.length) {
    const applied = await db.insertInto('odoo_inventory_packages').values(rows)
      .onConflict((oc) => oc.column('id').doUpdateSet({
        location_id: (eb) => eb.ref('excluded.location_id'), sku: (eb) => eb.ref('excluded.sku'), package: (eb) => eb.ref('excluded.package'),
        version: (eb) => eb.ref('excluded.version'), removed: false,
      }).where(sql<boolean>`odoo_inventory_packages.version <= excluded.version`))
      .returning(['location_id', 'sku']).execute();
    for (const r of applied) touch(r.location_id, r.sku);
  }
  for (const c of gone) {
    const r = await db.updateTable('odoo_inventory_packages').set({ removed: true }).where('id', '=', c.key).where('removed', '=', false)
      .where(sql<boolean>`version <= ${c.timestamp}`).returning(['location_id', 'sku']).executeTakeFirst();
    if (r) touch(r.location_id, r.sku);
  }
  return [...touched.values()];
}

export function createInventoryOdooConsumer({ kafka, serde, db, sink, logger, settings, metrics, health }: InventoryConsumerDeps) {
  const log = logger.child({ component: 'odoo-inventory' });
  const inTopic = topicName(settings.topicPrefix, TOPICS.inventoryItems);
  const dlqTopic = topicName(settings.topicPrefix, TOPICS.dlq);
  const registers = metrics ? [metrics] : [];
  const outcomes = new Counter({ name: 'odoo_inventory_products_total', help: 'phase 5: store products by outcome', labelNames: ['outcome'], registers });
  const retries = new Counter({ name: 'odoo_inventory_slice_retries_total', help: 'phase 5: slices retried because Odoo failed', registers });
  let consumer: Consumer | undefined;
  let producer: Producer | undefined;
  let failing = false;

  async function decode(partition: number, messages: KafkaMessage[]): Promise<Change[]> {
    const out: Change[] = [];
    for (const m of messages) {
      const key = m.key?.toString() ?? '';
      if (m.value === null) { out.push({ key, item: null, timestamp: Number(m.timestamp) }); continue; }
      try {
        out.push({ key, item: (await serde.decode(m.value)) as InventoryItem, timestamp: Number(m.timestamp) });
      } catch (e) {
        if (classifyFailure(e) !== 'bad-message') throw e; // a registry outage is not the message's fault: the slice is retried
        const msg = errorText(e);
        const origin = { topic: inTopic, partition, offset: m.offset };
        await producer!.send({ topic: dlqTopic, messages: [{ key: m.key, value: m.value, headers: dlqHeaders(origin, 'undecodable', 'odoo-sink-inventory', { 'dlq-error': msg.slice(0, 2000) }) }] });
        log.warn({ origin, error: msg }, 'inventory item sent to the DLQ');
      }
    }
    return out;
  }

  const count = (r: InventorySinkResult): void => {
    for (const [outcome, n] of Object.entries(r) as Array<[string, number]>) outcomes.inc({ outcome }, n);
  };

  async function start(): Promise<void> {
    const c = await subscribedConsumer(kafka, { prefix: settings.topicPrefix, specs: [TOPICS.inventoryItems, TOPICS.dlq], partitions: settings.partitions, groupId: `${settings.topicPrefix}${settings.groupId}`, topic: inTopic });
    consumer = c;
    const watch = (health ?? createConsumerHealth({ logger })).watch('odoo-inventory', c);
    producer = createProducer(kafka);
    await producer.connect();
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const beat = setInterval(() => { payload.heartbeat().catch(() => undefined); }, 2_000);
        try {
          for (let i = 0; i < batch.messages.length; i += settings.sliceSize) {
            if (!payload.isRunning() || payload.isStale()) return;
            const slice = batch.messages.slice(i, i + settings.sliceSize);
            // Odoo, the registry, the broker or Postgres failing: retried with backoff, nothing committed
            const r = await withOutageRetry(async () => {
              try {
                const touched = await foldPackages(db, await decode(batch.partition, slice));
                count(await sink.apply(touched));
                failing = false;
              } catch (e) {
                failing = true;
                retries.inc();
                throw e;
              }
            }, {
              what: `odoo-inventory ${batch.topic}[${batch.partition}]`, key: `${batch.topic}:${batch.partition}`, logger: log, reporter: watch,
              backoff: { baseMs: settings.retryBaseMs, capMs: settings.retryCapMs }, retryable: () => true,
              active: () => payload.isRunning() && !payload.isStale(),
            });
            if (!r.done) return;
            const lastOffset = slice[slice.length - 1]!.offset;
            payload.resolveOffset(lastOffset);
            await c.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() }]);
          }
        } finally {
          clearInterval(beat);
        }
      },
    });
  }

  async function stop(): Promise<void> {
    await consumer?.disconnect();
    await producer?.disconnect();
  }

  return { start, stop, topic: inTopic, health: { odooInventory: () => Promise.resolve(!failing) } };
}
