/** Enricher configuration, parsed once at start-up; in production every Odoo setting is required. */
import { z } from 'zod';
import { baseEnv, portVar } from '../../shared/config';
import { odooConnectionEnv } from '../odoo-sink/config';

export function enricherEnv(env: NodeJS.ProcessEnv) {
  return baseEnv(env).extend({
    METRICS_PORT: portVar.default(9106),
    ...odooConnectionEnv(env),
    /** how often the catalog is asked for templates written since the last read */
    ENRICHMENT_POLL_INTERVAL_MS: z.coerce.number().int().min(200).default(5_000),
    /** how often the whole catalog is read (finds deleted products and changed SKUs) */
    ENRICHMENT_FULL_SYNC_MS: z.coerce.number().int().min(1_000).default(600_000),
    /** templates per search_read page */
    ENRICHMENT_PAGE_SIZE: z.coerce.number().int().min(1).max(5_000).default(1_000),
    /** the Postgres advisory lock that makes one read active across enrichers */
    ENRICHMENT_LOCK_KEY: z.coerce.number().int().default(7_000_714),
  });
}

export type EnricherConfig = z.infer<ReturnType<typeof enricherEnv>>;
