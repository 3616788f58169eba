/**
 * The deals rebuild: deals.discounts.v1 (compacted) -> a shadow `discounts` + `location_sync` and
 * shadow Redis values, verified and switched in with zero downtime (rebuild.ts). After the switch,
 * the inventory snapshots are recomputed against the rebuilt deals, as the live projector does.
 */
import type { Kafka } from 'kafkajs';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import { redisKeys, type Redis } from '../../shared/redis';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, topicName } from '../../shared/topics';
import { loadDealsFromDb, rebuildInventorySnapshot } from './inventory-projection';
import { createProjector } from './projector';
import { rebuild, type RebuildDeps, type RebuildReport, type RebuildSpec } from './rebuild';
import { rebuildLocation } from './store';
import { verifyLocations } from './verify';

export interface ReplayDeps extends RebuildDeps { serde: AvroSerde; now?: () => Date }

/** Every location's inventory snapshot recomputed from the current tables (live keys). */
export async function recomputeSnapshots(db: Kysely<Database>, redis: Redis, redisPrefix: string, now: () => number): Promise<void> {
  const locations = await db.selectFrom('inventory').select('location_id').distinct().execute();
  const deps = { db, redis, inventoryKey: redisKeys(redisPrefix).inventory, loadDeals: (id: string) => loadDealsFromDb(db, id), now };
  for (const { location_id } of locations) await rebuildInventorySnapshot(deps, location_id, { onlyIfKnown: true });
}

export function dealsSpec(deps: { kafka: Kafka; serde: AvroSerde; redis: Redis; logger: RebuildDeps['logger']; topicPrefix: string; redisPrefix: string; now?: () => Date }): RebuildSpec {
  const now = deps.now ?? (() => new Date());
  return {
    kind: 'deals',
    topic: topicName(deps.topicPrefix, TOPICS.discounts),
    tables: ['discounts', 'location_sync'],
    table: 'discounts',
    async start(shadow, group, expected, until, onBatch) {
      const projector = createProjector({
        kafka: deps.kafka, serde: deps.serde, db: shadow.db, redis: deps.redis, logger: deps.logger,
        topicPrefix: deps.topicPrefix, groupId: group, redisPrefix: shadow.redisPrefix, deadLetter: false, now, until, onBatch,
        onOutcomes: (outcomes) => {
          for (const o of outcomes) {
            if (o.kind === 'upsert') expected.record(o.id, o.locationId, o.row.version, false);
            else if (o.kind === 'remove') expected.record(o.id, o.locationId, o.version, true);
          }
        },
      });
      await projector.start();
      return projector;
    },
    async redisChecks(shadow) {
      return new Map((await verifyLocations(shadow.db, deps.redis, shadow.redisPrefix)).map((c) => [c.locationId, c.ok]));
    },
    async fillMissing(live, shadow) {
      const known = await live.selectFrom('location_sync').select('location_id').execute();
      const rebuilt = new Set((await shadow.db.selectFrom('location_sync').select('location_id').execute()).map((r) => r.location_id));
      for (const { location_id } of known) if (!rebuilt.has(location_id)) await rebuildLocation(shadow.db, deps.redis, shadow.redisPrefix, location_id, now());
    },
    afterSwitch: (live) => recomputeSnapshots(live, deps.redis, deps.redisPrefix, () => now().getTime()),
  };
}

/** `npm run replay`: rebuild the deals read model from deals.discounts.v1 with zero downtime. */
export function runReplay(deps: ReplayDeps): Promise<RebuildReport> {
  return rebuild(dealsSpec(deps), deps);
}
