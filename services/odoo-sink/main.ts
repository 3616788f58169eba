/** `npm run odoo-sink`: deals.discounts.v1 → Odoo mint.discount. The only place real clients are wired. */
import { loadConfig } from '../../shared/config';
import { createKafka } from '../../shared/kafka';
import { createLogger, safeUrl } from '../../shared/logger';
import { createMetricsRegistry, startOpsServer } from '../../shared/ops';
import { AvroSerde } from '../../shared/serde';
import { createShutdown } from '../../shared/shutdown';
import { odooSinkEnv, type OdooSinkConfig } from './config';
import { createOdooSinkConsumer } from './consumer';
import { createOdooClient } from './odoo-client';
import { createSink } from './sink';
import { createInventoryOdooConsumer } from './inventory-consumer';
import { createInventorySink } from './inventory-sink';
import { createAppliedStore } from './applied';
import { createStoreDirectory, staticStoreDirectory } from './stores';
import { createDb, warnIdleError } from '../../shared/db/db';
import { createPartitionFence } from '../../shared/fencing';
import { startWhenReachable } from '../../shared/failure';
import { Counter } from 'prom-client';
import { createConsumerHealth, exitOnFatal } from '../../shared/consumer-health';

export async function startOdooSink(cfg: OdooSinkConfig, opts: { withOps?: boolean; onFatal?: (name: string, err: unknown) => void } = {}) {
  const logger = createLogger('odoo-sink', cfg.LOG_LEVEL);
  // a consumer that stops for good turns /health down; the process's onFatal then exits it (below)
  const health = createConsumerHealth({ logger, onFatal: (name, err) => opts.onFatal?.(name, err) });
  const metrics = createMetricsRegistry('odoo-sink');
  const odooCalls = new Counter({ name: 'odoo_calls_total', help: 'JSON-RPC calls sent to Odoo, by method', labelNames: ['method'], registers: [metrics] });
  const odoo = createOdooClient({
    settings: { url: cfg.ODOO_URL, db: cfg.ODOO_DB, login: cfg.ODOO_LOGIN, apiKey: cfg.ODOO_API_KEY, timeoutMs: cfg.ODOO_TIMEOUT_MS, retries: cfg.ODOO_RETRIES },
    logger,
    onCall: (method) => odooCalls.inc({ method }),
  });
  const db = createDb(cfg.DATABASE_URL, 2, warnIdleError(logger));
  const stores = cfg.ODOO_STORES
    ? staticStoreDirectory(cfg.ODOO_STORES)
    : createStoreDirectory({ db, odoo, lookup: { model: cfg.ODOO_STORE_MODEL, locField: cfg.ODOO_STORE_LOC_FIELD }, now: Date.now });
  const sink = createSink({ odoo, stores, applied: createAppliedStore(db), logger, now: Date.now, batchSize: cfg.ODOO_BATCH_SIZE, concurrency: cfg.ODOO_CONCURRENCY });
  const kafka = createKafka({ brokers: cfg.KAFKA_BROKERS, clientId: 'odoo-sink' }, logger);
  // several sink instances share the group's partitions: Odoo is written only for partitions still ours
  const fence = createPartitionFence({ db, group: `${cfg.TOPIC_PREFIX}${cfg.SINK_GROUP_ID}`, logger });
  const consumer = createOdooSinkConsumer({
    kafka, serde: AvroSerde.create(cfg.SCHEMA_REGISTRY_URL), sink, logger, metrics, health, fence,
    settings: {
      topicPrefix: cfg.TOPIC_PREFIX, groupId: cfg.SINK_GROUP_ID, partitions: cfg.KAFKA_PARTITIONS,
      sliceSize: cfg.SINK_SLICE_SIZE, partitionsConcurrently: cfg.SINK_PARTITIONS_CONCURRENTLY, retryBaseMs: cfg.SINK_RETRY_BASE_MS, retryCapMs: cfg.SINK_RETRY_CAP_MS,
    },
  });
  // started while the broker or registry is away: waits for them instead of exiting
  await startWhenReachable('odoo-sink', () => consumer.start(), { logger, reset: () => consumer.stop() });
  // phase 5: each store's inventory to Odoo (off unless ODOO_INVENTORY_SYNC=true)
  const inventory = cfg.ODOO_INVENTORY_SYNC ? createInventoryOdooConsumer({
    kafka, serde: AvroSerde.create(cfg.SCHEMA_REGISTRY_URL), db, logger, metrics, health,
    sink: createInventorySink({ odoo, db, logger, batchSize: cfg.ODOO_BATCH_SIZE, concurrency: cfg.ODOO_CONCURRENCY, quants: cfg.ODOO_STOCK_QUANTS }),
    settings: {
      topicPrefix: cfg.TOPIC_PREFIX, groupId: cfg.ODOO_INVENTORY_GROUP_ID, partitions: cfg.KAFKA_PARTITIONS, sliceSize: cfg.SINK_SLICE_SIZE,
      retryBaseMs: cfg.SINK_RETRY_BASE_MS, retryCapMs: cfg.SINK_RETRY_CAP_MS,
    },
  }) : undefined;
  if (inventory) await startWhenReachable('odoo-sink inventory', () => inventory.start(), { logger, reset: () => inventory.stop() });
  const ops = opts.withOps === false ? undefined : await startOpsServer(cfg.METRICS_PORT, metrics, { ...consumer.health, ...inventory?.health }, () => health.liveness());
  logger.info({ odoo: safeUrl(cfg.ODOO_URL), db: cfg.ODOO_DB, topic: consumer.topics.in, batchSize: cfg.ODOO_BATCH_SIZE, inventory: cfg.ODOO_INVENTORY_SYNC, quants: cfg.ODOO_STOCK_QUANTS }, 'odoo-sink started');
  return {
    logger, odoo, consumer, inventory, ops,
    async stop(): Promise<void> {
      await inventory?.stop();
      await consumer.stop();
      await db.destroy();
      await new Promise<void>((r) => (ops ? ops.close(() => r()) : r()));
    },
  };
}

if (require.main === module) {
  const cfg = loadConfig('odoo-sink', odooSinkEnv(process.env));
  let fatal: (name: string, err: unknown) => void = () => { process.exit(1); };
  startOdooSink(cfg, { onFatal: (name, err) => fatal(name, err) }).then((running) => {
    const shutdown = createShutdown(running.logger);
    shutdown.add('odoo-sink', () => running.stop());
    fatal = exitOnFatal(shutdown);
    // Not shutdown.install(): it listens `once`, and under tsx/npm the same SIGTERM arrives twice (the
    // process group's and the one tsx relays), the second killing the sink mid-shutdown. run() is idempotent.
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => { void shutdown.run(sig).then(() => process.exit(0)); });
  }).catch((e: unknown) => {
    console.error(JSON.stringify({ level: 'fatal', service: 'odoo-sink', msg: 'failed to start', error: e instanceof Error ? e.message : String(e) }));
    process.exit(1);
  });
}
