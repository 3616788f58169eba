/**
 * Enrichment replay: rebuilds `product_enrichment` from the compacted products.enrichment.v1 (a fresh
 * group from the earliest offset), each batch rebuilding the snapshots of the locations holding its
 * SKUs, then rebuilds every known location's snapshot once more so a SKU whose enrichment is gone from
 * the topic is shown as the POS feed has it. In place, not in a shadow generation as the deals and
 * inventory rebuilds are: while it runs, a snapshot may briefly show a product as the POS feed has it.
 */
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import type { Logger } from '../../shared/logger';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import { redisKeys, type Redis } from '../../shared/redis';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, topicName } from '../../shared/topics';
import { startEnrichmentConsumer } from './enrichment-consumer';
import { loadDealsFromDb, rebuildInventorySnapshot } from './inventory-projection';

/** How far a fresh group must read, and the progress and end of it. */
export interface ReplayProgressDeps {
  logger: Logger;
  onProgress?: (done: number, total: number) => void;
  /** After the first batch, end the replay when no batch arrived for this long (default 10 s). */
  quietMs?: number;
}

interface CatchUp {
  /** to be called after each committed batch */
  onBatch: (b: { partition: number; nextOffset: string; events: number }) => void;
  /** resolves when every partition reached the end offset it had when the replay started */
  done: Promise<void>;
  events: () => number;
  stop: () => void;
}

/** Reads the topic's end offsets now; `done` resolves once a consumer's batches have reached them. */
async function catchUp(admin: Admin, topic: string, deps: ReplayProgressDeps): Promise<CatchUp> {
  if (!(await admin.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist: nothing to replay (check TOPIC_PREFIX and KAFKA_BROKERS)`);
  const offsets = await admin.fetchTopicOffsets(topic);
  const target = new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
  const total = offsets.reduce((n, o) => n + Number(BigInt(o.high) - BigInt(o.low)), 0);
  const position = new Map<number, bigint>();
  let events = 0;
  const finished = (): boolean => [...target].every(([p, t]) => t.high <= t.low || (position.get(p) ?? t.low) >= t.high);
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  // Compaction can remove a partition's last records (old tombstones): its position then never
  // reaches the end offset. After a quiet spell with no batch at all, the replay is over.
  let lastBatchAt: number | undefined; // the quiet rule starts with the first batch (joins can be slow)
  const quiet = setInterval(() => {
    if (lastBatchAt !== undefined && Date.now() - lastBatchAt > (deps.quietMs ?? 10_000)) {
      deps.logger.warn({ topic, position: Object.fromEntries(position), target: Object.fromEntries([...target].map(([p, t]) => [p, t.high.toString()])) }, 'replay: no more records arrive; ending before the end offsets');
      resolveDone();
    }
  }, 1000);
  deps.onProgress?.(0, total);
  if (finished()) resolveDone();
  return {
    onBatch: (b) => {
      lastBatchAt = Date.now();
      position.set(b.partition, BigInt(b.nextOffset));
      events += b.events;
      deps.onProgress?.(Math.min(events, total), total);
      if (finished()) resolveDone();
    },
    done,
    events: () => events,
    stop: () => { clearInterval(quiet); },
  };
}

/** A consumer a replay runs: started after the scope was cleared, stopped once it caught up. */
export interface ReplayConsumer { start(): Promise<void>; stop(): Promise<void> }

/**
 * The replay frame: takes `topic`'s end offsets, clears the scope, runs the consumer
 * (in the fresh group `groupId`, full name) until its batches reach those offsets or go quiet, stops
 * it and deletes the group. Returns how many events it read.
 */
export async function replayToEnd(
  kafka: Kafka, topic: string, groupId: string, deps: ReplayProgressDeps,
  clear: () => Promise<void>, consumer: (onBatch: CatchUp['onBatch']) => ReplayConsumer,
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const progress = await catchUp(admin, topic, deps);
    const running = consumer(progress.onBatch);
    try {
      await clear();
      await running.start();
      await progress.done;
    } finally {
      progress.stop();
      await running.stop();
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
    return progress.events();
  } finally {
    await admin.disconnect();
  }
}


export interface EnrichmentReplayDeps extends ReplayProgressDeps {
  kafka: Kafka; serde: AvroSerde; db: Kysely<Database>; redis: Redis; producer: Producer;
  topicPrefix: string; redisPrefix: string; now?: () => number;
}

export async function runEnrichmentReplay(deps: EnrichmentReplayDeps): Promise<{ events: number; locations: number }> {
  const now = deps.now ?? Date.now;
  const snapshotDeps = { db: deps.db, redis: deps.redis, inventoryKey: redisKeys(deps.redisPrefix).inventory, loadDeals: (id: string) => loadDealsFromDb(deps.db, id), now };
  const rebuild = (id: string) => rebuildInventorySnapshot(snapshotDeps, id, { onlyIfKnown: true });
  const groupId = `${deps.topicPrefix}replay-enrichment-${Date.now().toString(36)}`;
  const events = await replayToEnd(deps.kafka, topicName(deps.topicPrefix, TOPICS.productEnrichment), groupId, deps,
    async () => { await deps.db.deleteFrom('product_enrichment').execute(); },
    (onBatch) => {
      let consumer: Consumer | undefined;
      return {
        start: async () => {
          consumer = await startEnrichmentConsumer({
            kafka: deps.kafka, serde: deps.serde, db: deps.db, producer: deps.producer, rebuild, topicPrefix: deps.topicPrefix, groupId,
            logger: deps.logger, now, deadLetter: false, onBatch,
          });
        },
        stop: async () => { await consumer?.disconnect(); },
      };
    });
  const locations = await deps.db.selectFrom('inventory').select('location_id').distinct().where('removed', '=', false).execute();
  for (const l of locations) await rebuild(l.location_id);
  return { events, locations: locations.length };
}
