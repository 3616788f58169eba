/**
 * `npm run enricher`: phase 2, product enrichment. Reads the chain's Odoo catalog every
 * ENRICHMENT_POLL_INTERVAL_MS and publishes what changed to products.enrichment.v1 (the projector
 * joins it into the inventory). Health and metrics on METRICS_PORT (9106).
 */
import { createDb, warnIdleError } from '../../shared/db/db';
import { loadConfig } from '../../shared/config';
import { createKafka, createProducer, ensureTopics } from '../../shared/kafka';
import { createLogger, safeUrl } from '../../shared/logger';
import { createMetricsRegistry, startOpsServer } from '../../shared/ops';
import { AvroSerde } from '../../shared/serde';
import { createShutdown } from '../../shared/shutdown';
import { createConsumerHealth } from '../../shared/consumer-health';
import { backoffDelay, classifyFailure, errorText } from '../../shared/failure';
import { TOPICS, topicName } from '../../shared/topics';
import { createOdooClient } from '../odoo-sink/odoo-client';
import { enricherEnv, type EnricherConfig } from './config';
import { createEnricher } from './enricher';

export async function startEnricher(cfg: EnricherConfig, opts: { withOps?: boolean; loop?: boolean } = {}) {
  const logger = createLogger('enricher', cfg.LOG_LEVEL);
  const metrics = createMetricsRegistry('enricher');
  const db = createDb(cfg.DATABASE_URL, 2, warnIdleError(logger));
  const kafka = createKafka({ brokers: cfg.KAFKA_BROKERS, clientId: 'enricher' }, logger);
  const admin = kafka.admin();
  await admin.connect();
  try { await ensureTopics(admin, cfg.TOPIC_PREFIX, [TOPICS.productEnrichment], cfg.KAFKA_PARTITIONS); } finally { await admin.disconnect(); }
  const serde = AvroSerde.create(cfg.SCHEMA_REGISTRY_URL);
  const topic = topicName(cfg.TOPIC_PREFIX, TOPICS.productEnrichment);
  await serde.register(topic, TOPICS.productEnrichment.schema);
  const producer = createProducer(kafka);
  await producer.connect();
  const odoo = createOdooClient({
    settings: { url: cfg.ODOO_URL, db: cfg.ODOO_DB, login: cfg.ODOO_LOGIN, apiKey: cfg.ODOO_API_KEY, timeoutMs: cfg.ODOO_TIMEOUT_MS, retries: cfg.ODOO_RETRIES }, logger,
  });
  const enricher = createEnricher({
    db, producer, encode: (e) => serde.encode(topic, e), odoo, logger, metrics, now: Date.now,
    settings: { topicPrefix: cfg.TOPIC_PREFIX, lockKey: cfg.ENRICHMENT_LOCK_KEY, pageSize: cfg.ENRICHMENT_PAGE_SIZE, fullSyncMs: cfg.ENRICHMENT_FULL_SYNC_MS },
  });
  const health = createConsumerHealth({ logger });
  const loop = health.track('enricher');
  const ops = opts.withOps === false ? undefined : await startOpsServer(cfg.METRICS_PORT, metrics, () => ({ ...enricher.health, ...health.readiness() }), () => health.liveness());
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> = Promise.resolve();
  let failures = 0;
  const tick = (): void => {
    current = enricher.runLocked()
      .then(() => { if (failures > 0) loop.recovered('read'); failures = 0; })
      .catch((err: unknown) => {
        // a broker, registry or Postgres outage: nothing was remembered as published, the next read retries it, later each time
        failures++;
        loop.outage('read', err);
        logger.error({ err: errorText(err), kind: classifyFailure(err), attempt: failures }, 'enrichment read failed');
      })
      .finally(() => {
        const wait = failures === 0 ? cfg.ENRICHMENT_POLL_INTERVAL_MS : Math.max(cfg.ENRICHMENT_POLL_INTERVAL_MS, backoffDelay(failures));
        if (!stopped) timer = setTimeout(tick, wait);
      });
  };
  if (opts.loop !== false) tick();
  logger.info({ odoo: safeUrl(cfg.ODOO_URL), topic, intervalMs: cfg.ENRICHMENT_POLL_INTERVAL_MS }, 'enricher started');
  return {
    logger, enricher,
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await current;
      await producer.disconnect();
      await db.destroy();
      await new Promise<void>((r) => (ops ? ops.close(() => r()) : r()));
    },
  };
}

if (require.main === module) {
  startEnricher(loadConfig('enricher', enricherEnv(process.env))).then((running) => {
    const shutdown = createShutdown(running.logger);
    shutdown.add('enricher', () => running.stop());
    shutdown.install();
  }).catch((e: unknown) => {
    console.error(JSON.stringify({ level: 'fatal', service: 'enricher', msg: 'failed to start', error: e instanceof Error ? e.message : String(e) }));
    process.exit(1);
  });
}
