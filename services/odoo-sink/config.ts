/** odoo-sink configuration: parsed once at boot; in production every Odoo setting is required. */
import { z } from 'zod';
import { baseEnv, devDefault, parseConfig } from '../../shared/config';

/** The sandbox Odoo (`npm run sandbox`, port 7003, seed 42) as development defaults. */
export const SANDBOX_ODOO = { url: 'http://127.0.0.1:7003', db: 'mint', login: 'dealstream@mint.test', apiKey: 'odoo_42_sandbox_key' } as const;

/** `loc=7,loc2=8` (store id = Odoo store id): a fixed location → Odoo store map (otherwise the stores are looked up in Odoo). */
const storeMap = z.string().transform((s, ctx) => {
  const out = new Map<string, number>();
  for (const pair of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [loc, id] = pair.split('=');
    const n = Number(id);
    if (!loc || !Number.isInteger(n) || n <= 0) { ctx.addIssue({ code: 'custom', message: `bad pair ${JSON.stringify(pair)} (want locationId=odooStoreId)` }); return z.NEVER; }
    out.set(loc.trim(), n);
  }
  return out;
});

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

/** How a service reaches Odoo (the sink, the enricher): the sandbox Odoo in development, required in production. */
export function odooConnectionEnv(env: NodeJS.ProcessEnv) {
  return {
    ODOO_URL: devDefault(env, z.string().url(), SANDBOX_ODOO.url),
    ODOO_DB: devDefault(env, z.string().min(1), SANDBOX_ODOO.db),
    ODOO_LOGIN: devDefault(env, z.string().min(1), SANDBOX_ODOO.login),
    ODOO_API_KEY: devDefault(env, z.string().min(1), SANDBOX_ODOO.apiKey),
    ODOO_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    ODOO_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  };
}

export function odooSinkEnv(env: NodeJS.ProcessEnv) {
  return baseEnv(env).extend({
    ...odooConnectionEnv(env),
    /** Records per create/write call: the contract caps it at 50. */
    ODOO_BATCH_SIZE: z.coerce.number().int().min(1).max(50).default(50),
    ODOO_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(4),
    ODOO_STORE_MODEL: z.string().min(1).default('mint.store'),
    /** The field of ODOO_STORE_MODEL holding the store's Dutchie LocId (locations.pos_loc_id). */
    ODOO_STORE_LOC_FIELD: z.string().min(1).default('dutchie_loc_id'),
    ODOO_STORES: storeMap.optional(),
    SINK_GROUP_ID: z.string().min(1).default('odoo-sink'),
    SINK_SLICE_SIZE: z.coerce.number().int().min(1).max(5000).default(500),
    SINK_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(32).default(3),
    SINK_RETRY_BASE_MS: z.coerce.number().int().min(10).default(500),
    SINK_RETRY_CAP_MS: z.coerce.number().int().min(100).default(10_000),
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9105),
    /** phase 5 (issue 14): push each store's inventory to Odoo (warehouse, products); off unless set */
    ODOO_INVENTORY_SYNC: bool.default(false),
    /** phase 5: also the stock quantities (`stock.quant` at the store's warehouse) */
    ODOO_STOCK_QUANTS: bool.default(false),
    ODOO_INVENTORY_GROUP_ID: z.string().min(1).default('odoo-sink-inventory'),
  });
}

export type OdooSinkConfig = z.infer<ReturnType<typeof odooSinkEnv>>;

export function parseOdooSinkConfig(env: NodeJS.ProcessEnv = process.env): OdooSinkConfig {
  return parseConfig(odooSinkEnv(env), env);
}
