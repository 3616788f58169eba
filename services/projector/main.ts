/** Projector process: deals.discounts.v1 -> Postgres `discounts` + Redis `discounts:{locationUUID}`. */
import { createDb } from '../../shared/db/db';
import { loadConfig } from '../../shared/config';
import { createKafka } from '../../shared/kafka';
import { createLogger } from '../../shared/logger';
import { createMetricsRegistry, startOpsServer } from '../../shared/ops';
import { createRedis } from '../../shared/redis';
import { AvroSerde } from '../../shared/serde';
import { createShutdown } from '../../shared/shutdown';
import { projectorEnv } from './config';
import { createProjector } from './projector';

async function main(): Promise<void> {
  const cfg = loadConfig('projector', projectorEnv(process.env));
  const logger = createLogger('projector', cfg.LOG_LEVEL);
  const shutdown = createShutdown(logger);
  shutdown.install();
  const db = createDb(cfg.DATABASE_URL);
  shutdown.add('postgres', () => db.destroy());
  const redis = createRedis(cfg.REDIS_URL);
  shutdown.add('redis', () => redis.quit());
  const metrics = createMetricsRegistry('projector');
  const kafka = createKafka({ brokers: cfg.KAFKA_BROKERS, clientId: 'projector' }, logger);
  const projector = createProjector({
    kafka, serde: AvroSerde.create(cfg.SCHEMA_REGISTRY_URL), db, redis, logger, metrics,
    topicPrefix: cfg.TOPIC_PREFIX, redisPrefix: cfg.REDIS_KEY_PREFIX, groupId: cfg.PROJECTOR_GROUP_ID,
    concurrency: cfg.PROJECTOR_CONCURRENCY, partitions: cfg.KAFKA_PARTITIONS,
  });
  const ops = await startOpsServer(cfg.METRICS_PORT, metrics, {
    postgres: async () => { await db.selectFrom('location_sync').select('location_id').limit(1).execute(); return true; },
    redis: async () => (await redis.ping()) === 'PONG',
  });
  shutdown.add('ops', () => new Promise((r) => ops.close(r)));
  await projector.start();
  shutdown.add('consumer', () => projector.stop());
  const addr = ops.address();
  logger.info({ metricsPort: typeof addr === 'object' && addr ? addr.port : cfg.METRICS_PORT }, 'projector running');
}

main().catch((err: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', service: 'projector', msg: 'failed to start', err: err instanceof Error ? err.message : String(err) }));
  process.exit(1);
});
