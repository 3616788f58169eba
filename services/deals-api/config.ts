/** Deals API settings (zod, parsed once at start-up). */
import { z } from 'zod';
import { baseEnv, csvVar, portVar } from '../../shared/config';
import { addressList } from './abuse';

export function dealsApiEnv(env: NodeJS.ProcessEnv) {
  return baseEnv(env).extend({
    PORT: portVar.default(3000),
    HOST: z.string().default('127.0.0.1'),
    /** Storefront origins allowed by CORS (comma-separated); empty = no cross-origin access. */
    CORS_ORIGINS: csvVar.optional().transform((v) => v ?? []),
    /** Cache-Control max-age of deal lists: liveness changes with time, so keep it short. */
    CACHE_MAX_AGE_S: z.coerce.number().int().min(0).default(15),
    /**
     * How long (ms) the API may reuse a location's version check before asking Redis again; a
     * new projection shows up at most this much later (well inside CACHE_MAX_AGE_S). 0 = per request.
     */
    VERSION_CHECK_MS: z.coerce.number().int().min(0).max(1000).default(200),
    /** Retry-After when a location's cache is not built yet. */
    RETRY_AFTER_S: z.coerce.number().int().min(1).default(5),
    /** Requests per minute per client address on /api/*; 0 = no limit. */
    RATE_LIMIT_PER_MIN: z.coerce.number().int().min(0).default(3000),
    /** Addresses or CIDR blocks never limited (comma-separated), e.g. the storefront's egress. */
    RATE_LIMIT_EXEMPT: csvVar.optional().transform((v) => v ?? []).refine((v) => { try { addressList(v); return true; } catch { return false; } }, 'entries must be IP addresses or CIDR blocks'),
    /** express 'trust proxy': false (default), a hop count, or proxy addresses; decides the client address behind a load balancer. */
    TRUST_PROXY: z.string().default('false').transform((v) => (v === 'false' ? false : v === 'true' ? true : /^\d+$/.test(v) ? Number(v) : v)),
    /** How long an unknown location id is answered 404 from memory. */
    UNKNOWN_LOCATION_TTL_MS: z.coerce.number().int().min(0).default(30_000),
    /** How often (at most) the set of known stores (`locations`) is reloaded: a store added shows, a withdrawn one is a 404, within it. */
    KNOWN_STORES_REFRESH_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
    /** While Redis is out: how long a location held in memory is served before Postgres is asked again. */
    FALLBACK_REFRESH_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
    /** How long a Redis or Postgres call may take before the API treats it as failed and falls back. */
    DEPENDENCY_TIMEOUT_MS: z.coerce.number().int().min(50).max(30_000).default(1_000),
  });
}

export type DealsApiConfig = z.infer<ReturnType<typeof dealsApiEnv>>;
