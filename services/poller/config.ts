/**
 * Poller configuration, parsed once at start-up. Dutchie POS keys come from `DUTCHIE_POS_API_KEY_{lspId}`
 * (one per LSP). Backoffice and Odoo credentials are optional: without them those sources are
 * reported as failed every cycle (and nothing is removed), which the start-up log says.
 */
import { z } from 'zod';
import { baseEnv, devDefault, portVar } from '../../shared/config';

export function pollerEnv(env: NodeJS.ProcessEnv) {
  const url = (dev: string) => devDefault(env, z.string().url(), dev);
  return baseEnv(env).extend({
    METRICS_PORT: portVar.default(9101),
    DUTCHIE_POS_URL: url('http://127.0.0.1:7001'),
    DUTCHIE_BACKOFFICE_URL: url('http://127.0.0.1:7002'),
    DUTCHIE_BACKOFFICE_USERNAME: z.string().min(1).optional(),
    DUTCHIE_BACKOFFICE_PASSWORD: z.string().min(1).optional(),
    ODOO_URL: url('http://127.0.0.1:7003'),
    ODOO_DB: z.string().min(1).optional(),
    ODOO_LOGIN: z.string().min(1).optional(),
    ODOO_API_KEY: z.string().min(1).optional(),
    POLL_INTERVAL_MS: z.coerce.number().int().min(1000).default(60_000),
    POLL_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
    FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
    FETCH_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
    RETRY_BASE_MS: z.coerce.number().int().min(1).default(1000),
    RETRY_MAX_MS: z.coerce.number().int().min(1).default(8000),
    RETRY_AFTER_MAX_MS: z.coerce.number().int().min(0).default(60_000),
    POS_RATE_LIMIT_PER_MIN: z.coerce.number().int().min(1).default(120),
    /** a store's feed falling by more than this share (or to zero) in one cycle: removals held until the next cycle confirms */
    POLLER_MAX_DROP_SHARE: z.coerce.number().min(0).max(1).default(0.5),
    /** the Postgres advisory lock that makes one cycle active across pollers */
    POLLER_LOCK_KEY: z.coerce.number().int().default(7_000_701),
    /** inventory (issue 6): its own interval (Dutchie allows 60 /reporting calls per minute) and lock */
    INVENTORY_POLL_INTERVAL_MS: z.coerce.number().int().min(1000).default(300_000),
    INVENTORY_LOCK_KEY: z.coerce.number().int().default(7_000_706),
    /** the store directory (issue 14): the chain's CMS (Strapi `GET /api/stores`) or a JSON file; neither = `locations` as seeded */
    STORES_API_URL: z.string().url().optional(),
    STORES_API_TOKEN: z.string().min(1).optional(),
    STORES_FILE: z.string().min(1).optional(),
    /** stores per directory page (Strapi's maximum is 100) */
    STORES_PAGE_SIZE: z.coerce.number().int().min(1).max(100).default(100),
    /** the chain's LSP and Backoffice organisation, for stores whose entry does not name them */
    DUTCHIE_LSP_ID: z.coerce.number().int().positive().optional(),
    DUTCHIE_ORG_ID: z.coerce.number().int().positive().optional(),
  }).refine((c) => !(c.STORES_API_URL && c.STORES_FILE), { message: 'set STORES_API_URL or STORES_FILE, not both', path: ['STORES_FILE'] });
}

export type PollerConfig = z.infer<ReturnType<typeof pollerEnv>> & { posKeys: Map<number, string> };

/** `DUTCHIE_POS_API_KEY_{lspId}` variables, by LSP id. */
export function posKeysFrom(env: NodeJS.ProcessEnv): Map<number, string> {
  const keys = new Map<number, string>();
  for (const [name, value] of Object.entries(env)) {
    const m = /^DUTCHIE_POS_API_KEY_(\d+)$/.exec(name);
    if (m && value) keys.set(Number(m[1]), value);
  }
  return keys;
}
