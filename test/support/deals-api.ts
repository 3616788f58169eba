/** Given-helper: the deals API (the whole express app) over a test world's Postgres and Redis. */
import { Registry } from 'prom-client';
import { createApp, type DealsApiDeps } from '../../services/deals-api/app';
import type { TestWorld } from './integration';

export function givenDealsApi(world: Pick<TestWorld, 'db' | 'redis' | 'redisPrefix' | 'logger'>, over: Partial<DealsApiDeps> = {}): ReturnType<typeof createApp> {
  return createApp({
    db: world.db, redis: world.redis, redisPrefix: world.redisPrefix, logger: world.logger, metrics: new Registry(),
    corsOrigins: [], cacheMaxAgeS: 0, retryAfterS: 1, ...over,
  });
}
