/** `npm run sandbox`: the Dutchie POS (7001), Dutchie Backoffice (7002) and Odoo (7003) doubles. */
import { loadConfig } from '../../shared/config';
import { createLogger } from '../../shared/logger';
import { createShutdown } from '../../shared/shutdown';
import { sandboxEnv } from './config';
import { Sandbox } from './sandbox';

async function main(): Promise<void> {
  const cfg = loadConfig('sandbox', sandboxEnv);
  const logger = createLogger('sandbox', cfg.LOG_LEVEL);
  const sandbox = new Sandbox({
    seed: cfg.SANDBOX_SEED, markets: cfg.SANDBOX_MARKETS, includeFixture: cfg.SANDBOX_INCLUDE_FIXTURE, ptlDealsPerMarket: cfg.SANDBOX_PTL_DEALS_PER_MARKET,
    lspsPerMarket: cfg.SANDBOX_LSPS_PER_MARKET, storesPerLsp: cfg.SANDBOX_STORES_PER_LSP,
    dealsPerLsp: cfg.SANDBOX_DEALS_PER_LSP, posRateLimitPerMinute: cfg.SANDBOX_POS_RATE_LIMIT_PER_MIN, catalogShare: cfg.SANDBOX_CATALOG_SHARE,
    ...(cfg.SANDBOX_ODOO_API_KEY ? { odoo: { apiKey: cfg.SANDBOX_ODOO_API_KEY } } : {}),
  });
  const running = await sandbox.start({ pos: cfg.SANDBOX_POS_PORT, backoffice: cfg.SANDBOX_BACKOFFICE_PORT, odoo: cfg.SANDBOX_ODOO_PORT, cms: cfg.SANDBOX_CMS_PORT });
  const shutdown = createShutdown(logger);
  shutdown.add('servers', () => running.close());
  shutdown.install();
  const deals = [...sandbox.state.feeds.values()].reduce((n, f) => n + f.deals.size, 0);
  // Credentials are not logged: GET /admin/stores on any port lists them (it is a test double).
  logger.info({ urls: running.urls, stores: sandbox.state.stores.length, deals, ptl: sandbox.odoo.searchCount('mint.discount', [['source', '=', 'ptl']]) }, 'sandbox listening');
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
