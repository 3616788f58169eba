/**
 * The inventory rebuild: inventory.items.v2 (compacted) -> a shadow `inventory` and shadow snapshots
 * `inventory:{locationId}`, verified and switched in with zero downtime (rebuild.ts). The snapshots
 * are recomputed after the switch, against deals that may have changed meanwhile.
 */
import type { Consumer, Producer } from 'kafkajs';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { InventorySnapshot } from '../../shared/inventory/snapshot';
import { redisKeys, type Redis } from '../../shared/redis';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, locationOfKey, topicName } from '../../shared/topics';
import { startInventoryConsumer } from './inventory-consumer';
import { loadDealsFromDb, rebuildInventorySnapshot } from './inventory-projection';
import { rebuild, type RebuildDeps, type RebuildReport, type RebuildSpec } from './rebuild';
import { recomputeSnapshots } from './replay';

export interface InventoryReplayDeps extends RebuildDeps {
  serde: AvroSerde;
  /** an idempotent producer (the consumer's DLQ producer; a rebuild never dead-letters) */
  producer: Producer;
  now?: () => number;
}

export interface InventoryCheck { locationId: string; postgres: number; redis: number | null; ok: boolean }

/** Every location of the scope: the Redis snapshot lists exactly Postgres's live, active packages. */
export async function verifyInventory(db: Kysely<Database>, redis: Redis, redisPrefix: string, location?: string): Promise<InventoryCheck[]> {
  let q = db.selectFrom('inventory').select(['location_id', 'inventory_id', 'item']).where('removed', '=', false);
  if (location !== undefined) q = q.where('location_id', '=', location);
  const live = new Map<string, Set<string>>();
  for (const r of await q.execute()) {
    const set = live.get(r.location_id) ?? new Set<string>();
    if (r.item.isActive) set.add(r.inventory_id); // the snapshot lists active packages only
    live.set(r.location_id, set);
  }
  const checks: InventoryCheck[] = [];
  for (const [locationId, packages] of [...live].sort(([a], [b]) => a.localeCompare(b))) {
    const raw = await redis.hget(redisKeys(redisPrefix).inventory(locationId), 'snapshot');
    const snapshot = raw === null ? null : (JSON.parse(raw) as InventorySnapshot);
    const ids = snapshot?.items.map((i) => i.inventoryId) ?? [];
    const ok = snapshot !== null && ids.length === packages.size && ids.every((id) => packages.has(id));
    checks.push({ locationId, postgres: packages.size, redis: snapshot === null ? null : ids.length, ok });
  }
  return checks;
}

export function inventorySpec(deps: Omit<InventoryReplayDeps, 'databaseUrl'>): RebuildSpec {
  const now = deps.now ?? Date.now;
  return {
    kind: 'inventory',
    topic: topicName(deps.topicPrefix, TOPICS.inventoryItems),
    tables: ['inventory'],
    table: 'inventory',
    async start(shadow, group, expected, until, onBatch) {
      const consumer: Consumer = await startInventoryConsumer({
        kafka: deps.kafka, serde: deps.serde, db: shadow.db, redis: deps.redis, producer: deps.producer, inventoryKey: redisKeys(shadow.redisPrefix).inventory,
        loadDeals: (id) => loadDealsFromDb(shadow.db, id), logger: deps.logger, topicPrefix: deps.topicPrefix, groupId: `${deps.topicPrefix}${group}`, now,
        deadLetter: false, until, onBatch,
        onChanges: (changes) => { for (const c of changes) expected.record(c.key, c.item?.locationId ?? locationOfKey(c.key), c.item?.version ?? c.version, c.item === null); },
      });
      return { stop: () => consumer.disconnect() };
    },
    async redisChecks(shadow) {
      return new Map((await verifyInventory(shadow.db, deps.redis, shadow.redisPrefix)).map((c) => [c.locationId, c.ok]));
    },
    async fillMissing(live, shadow) {
      const known = await live.selectFrom('inventory').select('location_id').distinct().execute();
      const rebuilt = new Set((await shadow.db.selectFrom('inventory').select('location_id').distinct().execute()).map((r) => r.location_id));
      const snapshotDeps = { db: shadow.db, redis: deps.redis, inventoryKey: redisKeys(shadow.redisPrefix).inventory, loadDeals: (id: string) => loadDealsFromDb(shadow.db, id), now };
      for (const { location_id } of known) if (!rebuilt.has(location_id)) await rebuildInventorySnapshot(snapshotDeps, location_id);
    },
    afterSwitch: (live) => recomputeSnapshots(live, deps.redis, deps.redisPrefix, now),
  };
}

/** `npm run replay -- --inventory`: rebuild the inventory read model with zero downtime. */
export function runInventoryReplay(deps: InventoryReplayDeps): Promise<RebuildReport> {
  return rebuild(inventorySpec(deps), deps);
}
