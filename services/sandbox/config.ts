/** Sandbox configuration (env, parsed once). Ports default to the shared contract: 7001, 7002, 7003. */
import { z } from 'zod';
import { portVar } from '../../shared/config';
import { MARKETS, type Market } from './stores';

export const sandboxEnv = z.object({
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  SANDBOX_POS_PORT: portVar.default(7001),
  SANDBOX_BACKOFFICE_PORT: portVar.default(7002),
  SANDBOX_ODOO_PORT: portVar.default(7003),
  /** the chain's CMS (Strapi): `GET /api/stores` */
  SANDBOX_CMS_PORT: portVar.default(7004),
  /** share of each store's products described in the Odoo catalog (product enrichment reads it) */
  SANDBOX_CATALOG_SHARE: z.coerce.number().min(0).max(1).default(0.3),
  /** markets with generated stores (comma-separated two-letter states) */
  SANDBOX_MARKETS: z.string().default('AZ,FL,IL,MI,MO,NV').transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(MARKETS.map((m) => m.state) as [Market, ...Market[]]))),
  /** serve the recorded AZ store (LSP 100, LocId 1568) */
  SANDBOX_INCLUDE_FIXTURE: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  SANDBOX_PTL_DEALS_PER_MARKET: z.coerce.number().int().min(0).max(3).default(3),
  SANDBOX_SEED: z.coerce.number().int().default(42),
  SANDBOX_LSPS_PER_MARKET: z.coerce.number().int().min(0).max(500).default(2),
  SANDBOX_STORES_PER_LSP: z.coerce.number().int().min(1).max(50).default(3),
  SANDBOX_DEALS_PER_LSP: z.coerce.number().int().min(0).max(20000).default(300),
  SANDBOX_POS_RATE_LIMIT_PER_MIN: z.coerce.number().int().min(1).default(120),
  /** when set, the Odoo API key the sandbox accepts (else one derived from the seed; see GET /admin/stores) */
  SANDBOX_ODOO_API_KEY: z.string().min(8).optional(),
});
export type SandboxConfig = z.infer<typeof sandboxEnv>;
