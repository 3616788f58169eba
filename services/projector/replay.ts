/**
 * Replay: rebuilds Postgres deal rows and Redis keys from deals.discounts.v1 (compacted) with a
 * fresh consumer group from the earliest offset, then verifies Redis against Postgres.
 *
 * While it runs the location(s) lose their `location_sync` row, so the deals API answers 503 with
 * Retry-After instead of serving a half-rebuilt list.
 */
import type { Admin, Kafka } from 'kafkajs';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { Logger } from '../../shared/logger';
import { redisKeys, type Redis } from '../../shared/redis';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, topicName } from '../../shared/topics';
import { createProjector } from './projector';
import { verifyLocations, type LocationCheck } from './verify';

export interface ReplayDeps extends ReplayProgressDeps {
  kafka: Kafka; serde: AvroSerde; db: Kysely<Database>; redis: Redis;
  topicPrefix: string; redisPrefix: string;
  location?: string;
  now?: () => Date;
  /** After a location's deals were rebuilt (the CLI recomputes its inventory snapshot, as the live projector does). */
  onLocationRebuilt?: (locationId: string) => Promise<void>;
}

export interface ReplayResult { events: number; checks: LocationCheck[]; ok: boolean }

/** What the replays have in common: how far a fresh group must read, and the progress and end of it. */
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
 * The frame both replays share: takes `topic`'s end offsets, clears the scope, runs the consumer
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

export async function deleteRedisKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

export async function runReplay(deps: ReplayDeps): Promise<ReplayResult> {
  const keys = redisKeys(deps.redisPrefix);
  // Start from nothing: rows, sync markers and Redis keys of the scope.
  const clear = async (): Promise<void> => {
    if (deps.location === undefined) {
      await deps.db.deleteFrom('location_sync').execute();
      await deps.db.deleteFrom('discounts').execute();
      await deleteRedisKeys(deps.redis, keys.discounts('*'));
      await deleteRedisKeys(deps.redis, keys.sync('*'));
      await deleteRedisKeys(deps.redis, keys.discountsVersion('*'));
    } else {
      await deps.db.deleteFrom('location_sync').where('location_id', '=', deps.location).execute();
      await deps.db.deleteFrom('discounts').where('location_id', '=', deps.location).execute();
      await deps.redis.unlink(keys.discounts(deps.location), keys.sync(deps.location), keys.discountsVersion(deps.location));
    }
  };
  const groupId = `replay-${Date.now().toString(36)}`;
  const events = await replayToEnd(deps.kafka, topicName(deps.topicPrefix, TOPICS.discounts), `${deps.topicPrefix}${groupId}`, deps, clear, (onBatch) => createProjector({
    kafka: deps.kafka, serde: deps.serde, db: deps.db, redis: deps.redis, logger: deps.logger,
    topicPrefix: deps.topicPrefix, redisPrefix: deps.redisPrefix, groupId, onlyLocation: deps.location, deadLetter: false, now: deps.now,
    onLocationRebuilt: deps.onLocationRebuilt, onBatch,
  }));
  const checks = await verifyLocations(deps.db, deps.redis, deps.redisPrefix, deps.location);
  return { events, checks, ok: checks.every((c) => c.ok) };
}
