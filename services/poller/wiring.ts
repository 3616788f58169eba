/**
 * Builds a poller from its configuration with real clients (Kafka producer, registry serde,
 * Postgres, HTTP sources). main.ts, the integration tests and the benchmark use it.
 */
import { createDb } from '../../shared/db/db';
import { startWhenReachable } from '../../shared/failure';
import { createKafka, createProducer, ensureTopics } from '../../shared/kafka';
import type { Logger } from '../../shared/logger';
import { createMetricsRegistry } from '../../shared/ops';
import { AvroSerde } from '../../shared/serde';
import { TOPICS } from '../../shared/topics';
import type { PollerConfig } from './config';
import { createInventoryPoller } from './inventory-poller';
import { createLogGuard } from './log-identity';
import { createPoller, pollerMetrics } from './poller';
import { rawEventEncoder } from './raw-encoder';
import { sleep } from './retry';
import { Sources } from './sources';
import { readDirectory } from './directory-source';
import { createStoreDirectory } from './directory-sync';
import { PosKeys } from './source-choice';
import { createWithdrawals } from './withdrawals';

export async function buildPoller(cfg: PollerConfig, logger: Logger, clientId = 'poller') {
  const db = createDb(cfg.DATABASE_URL, Math.max(4, cfg.POLL_CONCURRENCY + 2));
  const kafka = createKafka({ brokers: cfg.KAFKA_BROKERS, clientId }, logger);
  const serde = AvroSerde.create(cfg.SCHEMA_REGISTRY_URL);
  const producer = createProducer(kafka);
  const ids = new Map<string, number>();
  // started while the broker or registry is away: waits for them instead of exiting
  await startWhenReachable(clientId, async () => {
    const admin = kafka.admin();
    await admin.connect();
    try { await ensureTopics(admin, cfg.TOPIC_PREFIX, [TOPICS.rawDutchie, TOPICS.rawPtl, TOPICS.inventoryRaw], cfg.KAFKA_PARTITIONS); } finally { await admin.disconnect(); }
    await producer.connect();
    for (const t of [TOPICS.rawDutchie, TOPICS.rawPtl, TOPICS.inventoryRaw]) ids.set(t.name, await serde.register(`${cfg.TOPIC_PREFIX}${t.name}`, t.schema));
  }, { logger, reset: () => producer.disconnect() });
  const registry = createMetricsRegistry('poller');
  const metrics = pollerMetrics(registry);
  const odoo = cfg.ODOO_DB && cfg.ODOO_LOGIN && cfg.ODOO_API_KEY ? { url: cfg.ODOO_URL, db: cfg.ODOO_DB, login: cfg.ODOO_LOGIN, apiKey: cfg.ODOO_API_KEY } : undefined;
  if (!odoo) logger.warn('ODOO_DB/ODOO_LOGIN/ODOO_API_KEY not set: PTL deals will not be read');
  if (!cfg.DUTCHIE_BACKOFFICE_USERNAME || !cfg.DUTCHIE_BACKOFFICE_PASSWORD) logger.warn('Backoffice credentials not set: Backoffice stores will fail');
  const sources = new Sources({
    posUrl: cfg.DUTCHIE_POS_URL, backofficeUrl: cfg.DUTCHIE_BACKOFFICE_URL,
    backofficeUsername: cfg.DUTCHIE_BACKOFFICE_USERNAME, backofficePassword: cfg.DUTCHIE_BACKOFFICE_PASSWORD, odoo,
    timeoutMs: cfg.FETCH_TIMEOUT_MS, posRatePerMinute: cfg.POS_RATE_LIMIT_PER_MIN,
    retry: { retries: cfg.FETCH_RETRIES, baseMs: cfg.RETRY_BASE_MS, maxMs: cfg.RETRY_MAX_MS, maxRetryAfterMs: cfg.RETRY_AFTER_MAX_MS },
  }, { fetch: globalThis.fetch, now: Date.now, sleep, random: Math.random, logger });
  const encoders = { dutchie: rawEventEncoder(ids.get(TOPICS.rawDutchie.name)!), ptl: rawEventEncoder(ids.get(TOPICS.rawPtl.name)!) };
  // issue 14: the chain's stores from its directory, the POS keys per store or LSP, withdrawals of inactive stores
  const keys = new PosKeys(cfg.posKeys);
  const directory = cfg.STORES_API_URL || cfg.STORES_FILE ? createStoreDirectory({
    db, keys, logger, metrics: registry, now: Date.now, defaults: { lspId: cfg.DUTCHIE_LSP_ID, orgId: cfg.DUTCHIE_ORG_ID },
    whoami: (key, name) => sources.whoami(key, name),
    read: () => readDirectory({
      url: cfg.STORES_API_URL, token: cfg.STORES_API_TOKEN, file: cfg.STORES_FILE, pageSize: cfg.STORES_PAGE_SIZE, timeoutMs: cfg.FETCH_TIMEOUT_MS,
      retry: { retries: cfg.FETCH_RETRIES, baseMs: cfg.RETRY_BASE_MS, maxMs: cfg.RETRY_MAX_MS, maxRetryAfterMs: cfg.RETRY_AFTER_MAX_MS },
    }, { fetch: globalThis.fetch, sleep, random: Math.random }),
  }) : undefined;
  const logs = createLogGuard({ kafka, db, topicPrefix: cfg.TOPIC_PREFIX, logger });
  const withdrawals = createWithdrawals({ db, producer, encoders, serde, topicPrefix: cfg.TOPIC_PREFIX, logger, now: Date.now });
  const poller = createPoller({
    db, producer, sources, logger, metrics, now: Date.now, encoders, keys, logs,
    settings: { topicPrefix: cfg.TOPIC_PREFIX, concurrency: cfg.POLL_CONCURRENCY, lockKey: cfg.POLLER_LOCK_KEY, posKeys: cfg.posKeys, maxDropShare: cfg.POLLER_MAX_DROP_SHARE },
    beforeCycle: async () => { await directory?.refresh(); await withdrawals.deals(); },
  });
  const inventory = createInventoryPoller({
    db, producer, serde, logger, now: Date.now, topicPrefix: cfg.TOPIC_PREFIX, posUrl: cfg.DUTCHIE_POS_URL, posKeys: cfg.posKeys, lockKey: cfg.INVENTORY_LOCK_KEY, keys, logs,
    backoffice: sources.hasBackoffice ? async (lspId, orgId, locId) => {
      const f = await sources.fetchBackofficeInventory(lspId, orgId, locId);
      return f.kind === 'ok' ? { ok: true, records: f.records } : { ok: false, reason: f.reason };
    } : undefined,
    // the per-store keys are known once the directory was read in this process
    beforeCycle: async () => { if (directory && !directory.loaded) await directory.refresh(); await withdrawals.inventory(); },
    onFallback: (_id, f) => metrics.fallbacks.inc({ feed: 'inventory', key: f.keyOrigin }),
  });
  return {
    poller, inventory, sources, db, producer, registry, metrics, directory, keys,
    async close(): Promise<void> { await producer.disconnect(); await db.destroy(); },
  };
}
export type BuiltPoller = Awaited<ReturnType<typeof buildPoller>>;
