/**
 * Inventory replay: rebuilds the Postgres `inventory` rows and the Redis snapshots
 * `inventory:{locationId}` from inventory.items.v2 (compacted) with a fresh consumer group from the
 * earliest offset, then checks every location of the scope: the snapshot in Redis holds exactly the
 * live rows of Postgres (same product ids). While it runs the location(s) have no snapshot, so their
 * inventory endpoints answer 404 (not synced) rather than a partial list.
 */
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { InventorySnapshot } from '../../shared/inventory/snapshot';
import { redisKeys, type Redis } from '../../shared/redis';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, topicName } from '../../shared/topics';
import { startInventoryConsumer } from './inventory-consumer';
import { loadDealsFromDb } from './inventory-projection';
import { deleteRedisKeys, replayToEnd, type ReplayProgressDeps } from './replay';

export interface InventoryReplayDeps extends ReplayProgressDeps {
  kafka: Kafka; serde: AvroSerde; db: Kysely<Database>; redis: Redis;
  /** an idempotent producer (the consumer's DLQ producer; the replay never dead-letters) */
  producer: Producer;
  topicPrefix: string; redisPrefix: string;
  location?: string;
  now?: () => number;
}

export interface InventoryCheck { locationId: string; postgres: number; redis: number | null; ok: boolean }
export interface InventoryReplayResult { events: number; checks: InventoryCheck[]; ok: boolean }

/** Every location of the scope: the Redis snapshot lists exactly Postgres's live products. */
export async function verifyInventory(db: Kysely<Database>, redis: Redis, redisPrefix: string, location?: string): Promise<InventoryCheck[]> {
  let q = db.selectFrom('inventory').select(['location_id', 'product_id']).where('removed', '=', false);
  if (location !== undefined) q = q.where('location_id', '=', location);
  const live = new Map<string, Set<string>>();
  for (const r of await q.execute()) {
    const set = live.get(r.location_id) ?? new Set<string>();
    set.add(r.product_id);
    live.set(r.location_id, set);
  }
  const checks: InventoryCheck[] = [];
  for (const [locationId, products] of [...live].sort(([a], [b]) => a.localeCompare(b))) {
    const raw = await redis.hget(redisKeys(redisPrefix).inventory(locationId), 'snapshot');
    const snapshot = raw === null ? null : (JSON.parse(raw) as InventorySnapshot);
    const ids = snapshot?.items.map((i) => i.productId) ?? [];
    const ok = snapshot !== null && ids.length === products.size && ids.every((id) => products.has(id));
    checks.push({ locationId, postgres: products.size, redis: snapshot === null ? null : ids.length, ok });
  }
  return checks;
}

export async function runInventoryReplay(deps: InventoryReplayDeps): Promise<InventoryReplayResult> {
  const keys = redisKeys(deps.redisPrefix);
  const clear = async (): Promise<void> => {
    if (deps.location === undefined) {
      await deps.db.deleteFrom('inventory').execute();
      await deleteRedisKeys(deps.redis, keys.inventory('*'));
    } else {
      await deps.db.deleteFrom('inventory').where('location_id', '=', deps.location).execute();
      await deps.redis.unlink(keys.inventory(deps.location));
    }
  };
  const groupId = `${deps.topicPrefix}replay-inventory-${Date.now().toString(36)}`;
  const events = await replayToEnd(deps.kafka, topicName(deps.topicPrefix, TOPICS.inventoryItems), groupId, deps, clear, (onBatch) => {
    let consumer: Consumer | undefined;
    return {
      start: async () => {
        consumer = await startInventoryConsumer({
          kafka: deps.kafka, serde: deps.serde, db: deps.db, redis: deps.redis, producer: deps.producer, inventoryKey: keys.inventory,
          loadDeals: (id) => loadDealsFromDb(deps.db, id), logger: deps.logger, topicPrefix: deps.topicPrefix, groupId, now: deps.now ?? Date.now,
          onlyLocation: deps.location, deadLetter: false, onBatch,
        });
      },
      stop: async () => { await consumer?.disconnect(); },
    };
  });
  const checks = await verifyInventory(deps.db, deps.redis, deps.redisPrefix, deps.location);
  return { events, checks, ok: checks.every((c) => c.ok) };
}
