/** Projector settings (zod, parsed once at start-up). */
import { z } from 'zod';
import { baseEnv, portVar } from '../../shared/config';

export function projectorEnv(env: NodeJS.ProcessEnv) {
  return baseEnv(env).extend({
    METRICS_PORT: portVar.default(9103),
    /** Consumer group (prefixed with TOPIC_PREFIX); replay uses a fresh one. */
    PROJECTOR_GROUP_ID: z.string().min(1).default('projector'),
    /** Partitions processed at once (each location lives on one partition, so no races). */
    PROJECTOR_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(3),
    /** Storefront fragments of owned locations kept in memory (location-cache.ts), MB; 0 reads every value back from Postgres. */
    PROJECTOR_CACHE_MB: z.coerce.number().min(0).max(1024).default(32),
  });
}

export type ProjectorConfig = z.infer<ReturnType<typeof projectorEnv>>;
