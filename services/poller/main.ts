/**
 * `npm run poller` (every POLL_INTERVAL_MS) or `npm run poller -- --once` (one cycle, then exit).
 * `npm run poller -- --resync [--location <id>]`: forget what was published (of every store, or one)
 * and publish the full state in one deals cycle and one inventory cycle, then exit (the consumers
 * absorb it idempotently). Health and metrics on METRICS_PORT (9101).
 */
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { parseConfig, ConfigError } from '../../shared/config';
import { createLogger } from '../../shared/logger';
import { startOpsServer } from '../../shared/ops';
import { createShutdown } from '../../shared/shutdown';
import { pollerEnv, posKeysFrom, type PollerConfig } from './config';
import { isLocationId } from '../../shared/location-id';
import { invalidateHashes } from './log-identity';
import { buildPoller } from './wiring';

function config(): PollerConfig {
  try {
    return { ...parseConfig(pollerEnv(process.env)), posKeys: posKeysFrom(process.env) };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(JSON.stringify({ level: 'fatal', service: 'poller', msg: 'invalid configuration', problems: e.problems }));
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const cfg = config();
  const { values: args } = parseArgs({ options: { once: { type: 'boolean', default: false }, resync: { type: 'boolean', default: false }, location: { type: 'string' } } });
  const once = args.once;
  if (args.location !== undefined && (!args.resync || !isLocationId(args.location))) {
    console.error('--location <id> goes with --resync and must be a location id (letters, digits and "-")');
    process.exit(2);
  }
  const logger = createLogger('poller', cfg.LOG_LEVEL);
  const built = await buildPoller(cfg, logger);
  if (args.resync) {
    const forgotten = await invalidateHashes(built.db, 'all', args.location);
    const deals = await built.poller.runLocked();
    const inventory = await built.inventory.runLocked();
    await built.close();
    const ok = deals.kind === 'done' && deals.summary.locationsFailed === 0 && inventory !== null && inventory.failed === 0;
    console.log(JSON.stringify({ resync: args.location ?? 'all', forgotten, deals: deals.kind === 'done' ? { upserts: deals.summary.upserts, removals: deals.summary.removals, failed: deals.summary.locationsFailed } : deals.reason,
      inventory: inventory ?? 'locked' }));
    process.exit(ok ? 0 : 2);
  }
  logger.info({ posKeys: cfg.posKeys.size, intervalMs: cfg.POLL_INTERVAL_MS, concurrency: cfg.POLL_CONCURRENCY, once }, 'poller started');
  if (once) {
    const result = await built.poller.runLocked();
    await built.close();
    process.exit(result.kind === 'done' && result.summary.locationsFailed === 0 ? 0 : 2);
  }
  const ops = await startOpsServer(cfg.METRICS_PORT, built.registry, {
    postgres: async () => { await sql`select 1`.execute(built.db); return true; },
  });
  const shutdown = createShutdown(logger);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> = Promise.resolve();
  let inventoryTimer: NodeJS.Timeout | undefined;
  let inventoryCurrent: Promise<unknown> = Promise.resolve();
  shutdown.add('clients', () => built.close());
  shutdown.add('ops', () => new Promise((r) => ops.close(r)));
  shutdown.add('loop', async () => { stopped = true; clearTimeout(timer); clearTimeout(inventoryTimer); await current; await inventoryCurrent; });
  shutdown.install();
  const tick = (): void => {
    current = built.poller.runLocked()
      .catch((err: unknown) => logger.error({ err }, 'poll cycle failed'))
      .finally(() => { if (!stopped) timer = setTimeout(tick, cfg.POLL_INTERVAL_MS); });
  };
  tick();
  const inventoryTick = (): void => {
    inventoryCurrent = built.inventory.runLocked()
      .catch((err: unknown) => logger.error({ err }, 'inventory cycle failed'))
      .finally(() => { if (!stopped) inventoryTimer = setTimeout(inventoryTick, cfg.INVENTORY_POLL_INTERVAL_MS); });
  };
  inventoryTick();
}

main().catch((e: unknown) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
