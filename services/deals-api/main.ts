/** Deals API process: the storefront's read side over Redis (Postgres on a miss). */
import type { Server } from 'node:http';
import { loadConfig } from '../../shared/config';
import { createDb, warnIdleError } from '../../shared/db/db';
import { createLogger } from '../../shared/logger';
import { createMetricsRegistry } from '../../shared/ops';
import { createRedis } from '../../shared/redis';
import { createShutdown } from '../../shared/shutdown';
import { createApp } from './app';
import { dealsApiEnv } from './config';

async function main(): Promise<void> {
  const cfg = loadConfig('deals-api', dealsApiEnv(process.env));
  const logger = createLogger('deals-api', cfg.LOG_LEVEL);
  const shutdown = createShutdown(logger);
  shutdown.install();
  const db = createDb(cfg.DATABASE_URL, 10, warnIdleError(logger));
  shutdown.add('postgres', () => db.destroy());
  const redis = createRedis(cfg.REDIS_URL);
  shutdown.add('redis', () => redis.quit());
  const app = createApp({
    db, redis, redisPrefix: cfg.REDIS_KEY_PREFIX, logger, metrics: createMetricsRegistry('deals-api'),
    corsOrigins: cfg.CORS_ORIGINS, cacheMaxAgeS: cfg.CACHE_MAX_AGE_S, retryAfterS: cfg.RETRY_AFTER_S,
    versionCheckMs: cfg.VERSION_CHECK_MS,
  });
  const server = await new Promise<Server>((resolve) => { const s = app.listen(cfg.PORT, cfg.HOST, () => resolve(s)); });
  shutdown.add('http', () => new Promise((r) => server.close(r)));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.PORT;
  logger.info({ port, url: `http://${cfg.HOST}:${port}` }, 'deals-api listening');
}

main().catch((err: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', service: 'deals-api', msg: 'failed to start', err: err instanceof Error ? err.message : String(err) }));
  process.exit(1);
});
