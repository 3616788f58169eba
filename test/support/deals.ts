/** Given-helpers: canonical `Deal` events as the normaliser publishes them (until it lands, tests make their own). */
import type { Producer } from 'kafkajs';
import type { Deal } from '../../shared/events';
import { createProducer, ensureTopics } from '../../shared/kafka';
import { TOPICS, topicName } from '../../shared/topics';
import { decideDeal, planBatch } from '../../services/projector/handler';
import { applyToPostgres, rebuildLocation } from '../../services/projector/store';
import type { TestWorld } from './integration';

export const EVERY_DAY: Deal['days'] = { monday: true, tuesday: true, wednesday: true, thursday: true, friday: true, saturday: true, sunday: true };

export function makeDeal(locationId: string, discountId: string | number, over: Partial<Deal> = {}): Deal {
  const id = String(discountId);
  return {
    id: `${locationId}_${id}`, locationId, discountId: id, source: id.startsWith('ptl_') ? 'ptl' : 'dutchie',
    sourceApi: id.startsWith('ptl_') ? 'odoo' : 'pos', market: 'AZ', timeZone: 'America/Phoenix',
    name: `Deal ${id}`, internalName: null, code: null, externalId: null, calculationMethodId: 2, kind: 'percent',
    value: '0.25', bundleQuantity: null, bogo: null, applicationMethod: 'automatic', isActive: true, isAvailableOnline: true,
    validFrom: Date.parse('2026-01-01T07:00:00Z'), validUntil: null, startTime: null, endTime: null, days: EVERY_DAY,
    restrictions: { brand: { ids: ['12', '13'], isExclusion: false } }, thresholdType: null, thresholdMin: null, thresholdMax: null,
    minimumItemsRequired: null, applyToOnlyOneItem: false, isBundledDiscount: false, highestOrLowest: null,
    firstTimeCustomerOnly: false, canStackAutomatically: false, maxRedemptions: null, redemptionLimit: null,
    customerGroupIds: [], menuDisplay: null, contentHash: `h${id}`, rawRecord: JSON.stringify({ id }), version: 1_767_000_000_000,
    ...over,
  };
}

/** A producer to the world's canonical topic (topics created, schema registered). */
export async function dealProducer(world: TestWorld, partitions = 3): Promise<{ send(items: Array<Deal | { tombstone: string }>): Promise<void>; producer: Producer; topic: string }> {
  const topic = topicName(world.topicPrefix, TOPICS.discounts);
  const admin = world.kafka.admin();
  await admin.connect();
  await ensureTopics(admin, world.topicPrefix, [TOPICS.discounts, TOPICS.dlq], partitions);
  await admin.disconnect();
  await world.serde.register(topic, TOPICS.discounts.schema);
  const producer = createProducer(world.kafka);
  await producer.connect();
  return {
    producer, topic,
    async send(items) {
      const messages = await Promise.all(items.map(async (d) => ('tombstone' in d
        ? { key: d.tombstone, value: null }
        : { key: d.id, value: await world.serde.encode(topic, d) })));
      // bounded by bytes, not count: one partition's share of a send is one record batch, and the
      // broker refuses a batch over 1 MB (5,000 deals of few locations could land on one partition)
      for (let i = 0; i < messages.length;) {
        let bytes = 0;
        let j = i;
        while (j < messages.length && (j === i || bytes < 512 * 1024)) bytes += (messages[j]!.value?.length ?? 0) + messages[j++]!.key.length;
        await producer.send({ topic, messages: messages.slice(i, j) });
        i = j;
      }
    },
  };
}

/** Given deals projected the way the projector does it: rows upserted, each location's Redis value rebuilt at `syncedAt`. */
export async function projectDeals(world: Pick<TestWorld, 'db' | 'redis' | 'redisPrefix'>, deals: ReadonlyArray<Deal | { tombstone: string }>, syncedAt: Date): Promise<void> {
  // a tombstone without a version header counts as of its message's time (shared/versioned.ts): now
  const plan = planBatch(deals.map((d) => ('tombstone' in d ? decideDeal(d.tombstone, null, Date.now()) : decideDeal(d.id, d))));
  await applyToPostgres(world.db, plan);
  for (const l of plan.locations) await rebuildLocation(world.db, world.redis, world.redisPrefix, l, syncedAt);
}

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls `read` until `ok` holds or the time is up, and returns the last value either way (the test asserts on it). */
export async function eventually<T>(read: () => Promise<T>, ok: (t: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}
