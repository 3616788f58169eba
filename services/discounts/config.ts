/** Configuration of the discounts service (HTTP API, outbox relay, loyalty consumer). */
import { z } from 'zod';
import { baseEnv, devDefault, parseConfig, portVar } from '../../shared/config';
import { GROUP_COMMIT_DEFAULTS } from './group-commit';

/** Default relay linger: bounds the publish delay it adds under load. */
export const RELAY_LINGER_MS = 20;

/** Development-only signing secret; production must set DISCOUNTS_JWT_SECRET (no default there). */
export const DEV_JWT_SECRET = 'dealstream-discounts-development-secret-not-for-production';

export function discountsEnv(env: NodeJS.ProcessEnv) {
  return baseEnv(env).extend({
    DISCOUNTS_PORT: portVar.default(3002),
    /** HS256 key for bearer tokens, at least 32 characters. */
    DISCOUNTS_JWT_SECRET: devDefault(env, z.string().min(32, 'must be at least 32 characters'), DEV_JWT_SECRET),
    DISCOUNTS_JWT_ISSUER: z.string().min(1).default('dealstream'),
    DISCOUNTS_JWT_AUDIENCE: z.string().min(1).default('dealstream-discounts'),
    DISCOUNTS_DB_POOL: z.coerce.number().int().min(1).default(20),
    /** Group commit of applications: most per statement, most statements in flight. */
    DISCOUNTS_WRITE_BATCH: z.coerce.number().int().min(1).max(1000).default(GROUP_COMMIT_DEFAULTS.maxBatch),
    DISCOUNTS_WRITE_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(GROUP_COMMIT_DEFAULTS.concurrency),
    /** Outbox relay: rows per batch and idle poll interval. */
    DISCOUNTS_RELAY_BATCH: z.coerce.number().int().min(1).max(5000).default(500),
    DISCOUNTS_RELAY_POLL_MS: z.coerce.number().int().min(5).default(100),
    /** Outbox relay: pause after a partial batch (rows gather instead of one claim + publish each). */
    DISCOUNTS_RELAY_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(RELAY_LINGER_MS),
  });
}

export type DiscountsConfig = z.infer<ReturnType<typeof discountsEnv>>;

export const parseDiscountsConfig = (env: NodeJS.ProcessEnv = process.env): DiscountsConfig => parseConfig(discountsEnv(env), env);
