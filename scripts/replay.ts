/**
 * `npm run replay [-- --location <id>]`: rebuild Postgres + Redis from deals.discounts.v1, then verify
 * (the inventory snapshots of the rebuilt locations are recomputed against the replayed deals).
 * `npm run replay -- --inventory [--location <id>]`: the same for inventory.items.v2 (the `inventory`
 * rows and the `inventory:{locationId}` snapshots).
 * `npm run replay -- --enrichment`: rebuilds `product_enrichment` from products.enrichment.v1 and the
 * inventory snapshots that join it.
 */
import { parseArgs } from 'node:util';
import { SingleBar, Presets } from 'cli-progress';
import { baseEnv, loadConfig } from '../shared/config';
import { locationIdSchema } from '../shared/location-id';
import { createDb, warnIdleError } from '../shared/db/db';
import { createKafka, createProducer } from '../shared/kafka';
import { createLogger } from '../shared/logger';
import { createRedis, redisKeys } from '../shared/redis';
import { AvroSerde } from '../shared/serde';
import { TOPICS } from '../shared/topics';
import { runEnrichmentReplay } from '../services/projector/enrichment-replay';
import { runInventoryReplay } from '../services/projector/inventory-replay';
import { loadDealsFromDb, rebuildInventorySnapshot } from '../services/projector/inventory-projection';
import { runReplay } from '../services/projector/replay';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { location: { type: 'string' }, inventory: { type: 'boolean', default: false }, enrichment: { type: 'boolean', default: false } } });
  const location = values.location === undefined ? undefined : locationIdSchema.safeParse(values.location);
  if (location && !location.success) { console.error('--location must be a location id (letters, digits and "-")'); return 2; }
  const cfg = loadConfig('replay', baseEnv(process.env));
  const logger = createLogger('replay', cfg.LOG_LEVEL === 'info' ? 'warn' : cfg.LOG_LEVEL);
  const db = createDb(cfg.DATABASE_URL, 10, warnIdleError(logger));
  const redis = createRedis(cfg.REDIS_URL);
  const kafka = createKafka({ brokers: cfg.KAFKA_BROKERS, clientId: 'replay' }, logger);
  const serde = AvroSerde.create(cfg.SCHEMA_REGISTRY_URL);
  const topic = values.enrichment ? TOPICS.productEnrichment.name : values.inventory ? TOPICS.inventoryItems.name : TOPICS.discounts.name;
  const bar = new SingleBar({ format: 'replay |{bar}| {percentage}% | {value}/{total} events | {eta_formatted} left' }, Presets.shades_classic);
  let started = false;
  const onProgress = (done: number, total: number): void => { if (!started) { bar.start(total, done); started = true; } else bar.update(done); };
  const common = { kafka, serde, db, redis, logger, topicPrefix: cfg.TOPIC_PREFIX, redisPrefix: cfg.REDIS_KEY_PREFIX, location: location?.data, onProgress };
  const producer = createProducer(kafka);
  try {
    console.log(`replaying ${topic}${location ? ` for location ${location.data}` : ''} from the earliest offset...`);
    if (values.enrichment) {
      await producer.connect();
      const result = await runEnrichmentReplay({ ...common, producer });
      bar.stop();
      console.log(`replayed ${result.events} enrichment events; rebuilt the snapshots of ${result.locations} location(s)`);
      return 0;
    }
    if (values.inventory) {
      await producer.connect();
      const result = await runInventoryReplay({ ...common, producer });
      bar.stop();
      const bad = result.checks.filter((c) => !c.ok);
      console.log(`replayed ${result.events} events; verified ${result.checks.length} location(s): ${result.checks.length - bad.length} match, ${bad.length} mismatch`);
      for (const c of bad) console.log(`  MISMATCH ${c.locationId}: postgres ${c.postgres} products vs redis ${c.redis ?? 'missing'}`);
      return result.ok ? 0 : 1;
    }
    const snapshotDeps = { db, redis, inventoryKey: redisKeys(cfg.REDIS_KEY_PREFIX).inventory, loadDeals: (id: string) => loadDealsFromDb(db, id), now: Date.now };
    const result = await runReplay({
      ...common,
      onLocationRebuilt: async (id) => { await rebuildInventorySnapshot(snapshotDeps, id, { onlyIfKnown: true }); },
    });
    bar.stop();
    const bad = result.checks.filter((c) => !c.ok);
    console.log(`replayed ${result.events} events; verified ${result.checks.length} location(s): ${result.checks.length - bad.length} match, ${bad.length} mismatch`);
    for (const c of bad) {
      console.log(`  MISMATCH ${c.locationId}: postgres ${c.postgres.count} deals ${c.postgres.checksum.slice(0, 12)} vs redis ${c.redis ? `${c.redis.count} deals ${c.redis.checksum.slice(0, 12)}` : 'missing'}`);
    }
    return result.ok ? 0 : 1;
  } finally {
    bar.stop();
    await producer.disconnect();
    await db.destroy();
    redis.disconnect();
  }
}

main().then((code) => process.exit(code), (e: unknown) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
