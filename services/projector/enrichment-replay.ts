/**
 * Enrichment replay: rebuilds `product_enrichment` from the compacted products.enrichment.v1 (a fresh
 * group from the earliest offset), each batch rebuilding the snapshots of the locations holding its
 * SKUs, then rebuilds every known location's snapshot once more so a SKU whose enrichment is gone from
 * the topic is shown as the POS feed has it.
 */
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import { redisKeys, type Redis } from '../../shared/redis';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, topicName } from '../../shared/topics';
import { startEnrichmentConsumer } from './enrichment-consumer';
import { loadDealsFromDb, rebuildInventorySnapshot } from './inventory-projection';
import { replayToEnd, type ReplayProgressDeps } from './replay';

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
