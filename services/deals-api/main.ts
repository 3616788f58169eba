/** Deals API process: the storefront's read side over Redis (Postgres on a miss). */
import { loadConfig } from '../../shared/config';
import { createDb, warnIdleError } from '../../shared/db/db';
import { createHttpServer } from '../../shared/http-server';
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
  // the client reconnects by itself; the app logs an outage once and serves from memory and Postgres meanwhile
  redis.on('error', (err: Error) => { logger.debug({ err: err.message }, 'Redis client error'); });
  shutdown.add('redis', () => redis.quit());
  const app = createApp({
    db, redis, redisPrefix: cfg.REDIS_KEY_PREFIX, logger, metrics: createMetricsRegistry('deals-api'),
    corsOrigins: cfg.CORS_ORIGINS, cacheMaxAgeS: cfg.CACHE_MAX_AGE_S, retryAfterS: cfg.RETRY_AFTER_S,
    versionCheckMs: cfg.VERSION_CHECK_MS, trustProxy: cfg.TRUST_PROXY, unknownLocationTtlMs: cfg.UNKNOWN_LOCATION_TTL_MS,
    knownStoresRefreshMs: cfg.KNOWN_STORES_REFRESH_MS, fallbackRefreshMs: cfg.FALLBACK_REFRESH_MS, dependencyTimeoutMs: cfg.DEPENDENCY_TIMEOUT_MS,
    rateLimit: { perMinute: cfg.RATE_LIMIT_PER_MIN, exempt: cfg.RATE_LIMIT_EXEMPT },
  });
  // bounded request heads (431) and time to send them; the API itself refuses any body (413)
  const server = createHttpServer(app, { maxHeaderBytes: 8 * 1024 });
  await new Promise<void>((resolve) => server.listen(cfg.PORT, cfg.HOST, resolve));
  shutdown.add('http', () => new Promise((r) => server.close(r)));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.PORT;
  logger.info({ port, url: `http://${cfg.HOST}:${port}` }, 'deals-api listening');
}

main().catch((err: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', service: 'deals-api', msg: 'failed to start', err: err instanceof Error ? err.message : String(err) }));
  process.exit(1);
});
