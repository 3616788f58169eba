/** Projector process: deals.discounts.v1 -> Postgres `discounts` + Redis `discounts:{locationId}`. */
import { createDb, warnIdleError } from '../../shared/db/db';
import { loadConfig } from '../../shared/config';
import { createKafka, createProducer } from '../../shared/kafka';
import { createLogger } from '../../shared/logger';
import { createMetricsRegistry, startOpsServer } from '../../shared/ops';
import { createRedis, redisKeys } from '../../shared/redis';
import { AvroSerde } from '../../shared/serde';
import { createShutdown } from '../../shared/shutdown';
import { createConsumerHealth, exitOnFatal } from '../../shared/consumer-health';
import { projectorEnv } from './config';
import { startEnrichmentConsumer } from './enrichment-consumer';
import { startInventoryConsumer } from './inventory-consumer';
import { loadDealsFromDb, rebuildInventorySnapshot } from './inventory-projection';
import { createPartitionFence } from '../../shared/fencing';
import { startWhenReachable } from '../../shared/failure';
import { createProjector } from './projector';
import { createSwitchLock } from './switch-lock';

async function main(): Promise<void> {
  const cfg = loadConfig('projector', projectorEnv(process.env));
  const logger = createLogger('projector', cfg.LOG_LEVEL);
  const shutdown = createShutdown(logger);
  shutdown.install();
  const db = createDb(cfg.DATABASE_URL, 10, warnIdleError(logger));
  shutdown.add('postgres', () => db.destroy());
  const redis = createRedis(cfg.REDIS_URL);
  shutdown.add('redis', () => redis.quit());
  const metrics = createMetricsRegistry('projector');
  const kafka = createKafka({ brokers: cfg.KAFKA_BROKERS, clientId: 'projector' }, logger);
  const serde = AvroSerde.create(cfg.SCHEMA_REGISTRY_URL);
  // inventory (issue 6): a location's snapshot is recomputed when its deals or its inventory change
  const inventoryKey = redisKeys(cfg.REDIS_KEY_PREFIX).inventory;
  const snapshotDeps = { db, redis, inventoryKey, loadDeals: (id: string) => loadDealsFromDb(db, id), now: Date.now };
  // a rebuild's switch waits for the batches in flight, and the next ones wait for the switch (switch-lock.ts)
  const switchLock = createSwitchLock(cfg.DATABASE_URL, cfg.PROJECTOR_CONCURRENCY + 2);
  shutdown.add('switch-lock', () => switchLock.close());
  // several projector instances share the group's partitions; a lost partition's late writes are refused
  const fence = createPartitionFence({ db, redis, redisPrefix: cfg.REDIS_KEY_PREFIX, group: `${cfg.TOPIC_PREFIX}${cfg.PROJECTOR_GROUP_ID}`, logger });
  // a consumer that stops for good turns /health down, then the process exits 1 (a supervisor restarts it)
  const health = createConsumerHealth({ logger, onFatal: exitOnFatal(shutdown) });
  const projector = createProjector({
    kafka, serde, db, redis, logger, metrics, switchLock, health, fence,
    topicPrefix: cfg.TOPIC_PREFIX, redisPrefix: cfg.REDIS_KEY_PREFIX, groupId: cfg.PROJECTOR_GROUP_ID,
    concurrency: cfg.PROJECTOR_CONCURRENCY, partitions: cfg.KAFKA_PARTITIONS, cacheBytes: cfg.PROJECTOR_CACHE_MB * 1024 * 1024,
    onLocationRebuilt: async (id) => { await rebuildInventorySnapshot(snapshotDeps, id, { onlyIfKnown: true }); },
  });
  const ops = await startOpsServer(cfg.METRICS_PORT, metrics, () => ({
    postgres: async () => { await db.selectFrom('location_sync').select('location_id').limit(1).execute(); return true; },
    redis: async () => (await redis.ping()) === 'PONG',
    ...health.readiness(),
  }), () => health.liveness());
  shutdown.add('ops', () => new Promise((r) => ops.close(r)));
  // started while the broker or registry is away: waits for them (not ready meanwhile) instead of exiting
  const waiting = { logger, reporter: health.track('projector start-up') };
  await startWhenReachable('projector', () => projector.start(), { ...waiting, reset: () => projector.stop() });
  shutdown.add('consumer', () => projector.stop());
  const dlqProducer = createProducer(kafka);
  await startWhenReachable('projector dead-letter producer', () => dlqProducer.connect(), waiting);
  shutdown.add('inventory-dlq-producer', () => dlqProducer.disconnect());
  const inventory = await startWhenReachable('projector inventory', () => startInventoryConsumer({
    kafka, serde, db, redis, producer: dlqProducer, inventoryKey, health, loadDeals: snapshotDeps.loadDeals, logger,
    topicPrefix: cfg.TOPIC_PREFIX, groupId: `${cfg.TOPIC_PREFIX}${cfg.PROJECTOR_GROUP_ID}-inventory`, partitions: cfg.KAFKA_PARTITIONS, now: Date.now, switchLock,
  }), waiting);
  shutdown.add('inventory-consumer', () => inventory.disconnect());
  // phase 2: the Odoo catalog's enrichment, joined into the snapshots of the locations that hold its SKUs
  const enrichment = await startWhenReachable('projector enrichment', () => startEnrichmentConsumer({
    kafka, serde, db, producer: dlqProducer, health, rebuild: (id) => rebuildInventorySnapshot(snapshotDeps, id, { onlyIfKnown: true }), logger,
    topicPrefix: cfg.TOPIC_PREFIX, groupId: `${cfg.TOPIC_PREFIX}${cfg.PROJECTOR_GROUP_ID}-enrichment`, partitions: cfg.KAFKA_PARTITIONS, now: Date.now,
  }), waiting);
  shutdown.add('enrichment-consumer', () => enrichment.disconnect());
  const addr = ops.address();
  logger.info({ metricsPort: typeof addr === 'object' && addr ? addr.port : cfg.METRICS_PORT }, 'projector running');
}

main().catch((err: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', service: 'projector', msg: 'failed to start', err: err instanceof Error ? err.message : String(err) }));
  process.exit(1);
});
