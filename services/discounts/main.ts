/**
 * `npm run discounts`: the HTTP API, the outbox relay and the loyalty redemption consumer, in one
 * process (each is safe to run as several instances). Wires the real clients; nothing else does.
 */
import { sql } from 'kysely';
import { Gauge, Histogram } from 'prom-client';
import { loadConfig } from '../../shared/config';
import { createDb } from '../../shared/db/db';
import { createKafka, ensureTopics } from '../../shared/kafka';
import { createLogger, safeUrl, type Logger } from '../../shared/logger';
import { createMetricsRegistry } from '../../shared/ops';
import { AvroSerde } from '../../shared/serde';
import { createHttpServer } from '../../shared/http-server';
import { createShutdown } from '../../shared/shutdown';
import { createConsumerHealth, exitOnFatal } from '../../shared/consumer-health';
import { TOPICS } from '../../shared/topics';
import { createVerifier } from './auth';
import { discountsServiceEnv, type DiscountsConfig } from './config';
import { createRedemptionConsumer } from './consumer';
import { createApp } from './http';
import { createOutboxProducer, createRelay } from './relay';
import { createDiscounts } from './service';

export const DISCOUNTS_TOPICS = [TOPICS.discountApplications, TOPICS.promotionDiscountApplied, TOPICS.loyaltyRedemptions, TOPICS.discountsDlq];

/** Says where token keys come from; development mode loudly, on every start. */
function announceAuth(cfg: DiscountsConfig, logger: Logger): void {
  const { keys, issuer, audience } = cfg.auth;
  if (keys.kind === 'development') {
    logger.warn({ authMode: 'development', issuer, audience },
      'DEVELOPMENT AUTH MODE: bearer tokens are HS256 with a shared development secret, so anyone who has it can mint any identity. '
      + 'Never run this outside a developer machine: set DISCOUNTS_JWKS_URL or DISCOUNTS_JWT_PUBLIC_KEY instead');
    return;
  }
  logger.info({ authMode: keys.kind, ...(keys.kind === 'jwks' ? { jwks: safeUrl(keys.url), algorithms: keys.algorithms } : {}), issuer, audience }, 'bearer tokens verified with asymmetric keys');
}

async function main(): Promise<void> {
  const cfg = loadConfig('discounts', discountsServiceEnv(process.env));
  const logger = createLogger('discounts', cfg.LOG_LEVEL);
  announceAuth(cfg, logger);
  const shutdown = createShutdown(logger);
  shutdown.install();

  const db = createDb(cfg.DATABASE_URL, cfg.DISCOUNTS_DB_POOL);
  shutdown.add('postgres', () => db.destroy());
  const kafka = createKafka({ brokers: cfg.KAFKA_BROKERS, clientId: 'discounts' }, logger);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, cfg.TOPIC_PREFIX, DISCOUNTS_TOPICS, cfg.KAFKA_PARTITIONS);
  await admin.disconnect();
  const serde = AvroSerde.create(cfg.SCHEMA_REGISTRY_URL);

  const producer = createOutboxProducer(kafka);
  await producer.connect();
  shutdown.add('producer', () => producer.disconnect());

  const metrics = createMetricsRegistry('discounts');
  const batchSizes = new Histogram({
    name: 'discounts_write_batch_size', help: 'applications written per group-commit statement', buckets: [1, 2, 4, 8, 16, 32, 64, 128], registers: [metrics],
  });
  const discounts = createDiscounts({
    db, groupCommit: { maxBatch: cfg.DISCOUNTS_WRITE_BATCH, concurrency: cfg.DISCOUNTS_WRITE_CONCURRENCY, onBatch: (n) => { batchSizes.observe(n); } },
  });
  // a consumer that stops for good turns /health down, then the process exits 1 (a supervisor restarts it)
  const health = createConsumerHealth({ logger, onFatal: exitOnFatal(shutdown) });
  const relay = createRelay({ reporter: health.track('relay'), db, producer, serde, topicPrefix: cfg.TOPIC_PREFIX, logger: logger.child({ component: 'relay' }), batchSize: cfg.DISCOUNTS_RELAY_BATCH, pollMs: cfg.DISCOUNTS_RELAY_POLL_MS, lingerMs: cfg.DISCOUNTS_RELAY_LINGER_MS });
  await relay.registerSchemas();
  relay.start();
  shutdown.add('relay', () => relay.stop());

  const consumer = createRedemptionConsumer({ kafka, serde, discounts, producer, health, topicPrefix: cfg.TOPIC_PREFIX, logger: logger.child({ component: 'loyalty-consumer' }) });
  await consumer.start();
  shutdown.add('loyalty-consumer', () => consumer.stop());

  new Gauge({
    name: 'discounts_outbox_pending', help: 'outbox rows not yet published (relay lag)', registers: [metrics],
    async collect() {
      const r = await db.selectFrom('discount_outbox').select((eb) => eb.fn.countAll<string>().as('n')).where('published_at', 'is', null).executeTakeFirstOrThrow();
      this.set(Number(r.n));
    },
  });
  const app = createApp({
    db, discounts, logger, metrics, verify: createVerifier(cfg.auth), maxBodyBytes: cfg.DISCOUNTS_MAX_BODY_BYTES,
    checks: () => ({ postgres: async () => { await sql`select 1`.execute(db); return true; }, ...health.readiness() }),
    liveness: () => health.liveness(),
  });
  const server = createHttpServer(app, { maxHeaderBytes: cfg.DISCOUNTS_MAX_HEADER_BYTES });
  await new Promise<void>((resolve) => server.listen(cfg.DISCOUNTS_PORT, resolve));
  shutdown.add('http', () => new Promise<void>((resolve) => server.close(() => resolve())));
  logger.info({ port: cfg.DISCOUNTS_PORT, database: safeUrl(cfg.DATABASE_URL), topicPrefix: cfg.TOPIC_PREFIX }, 'discounts service started');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(JSON.stringify({ level: 'fatal', service: 'discounts', msg: 'failed to start', err: err instanceof Error ? err.message : String(err) }));
    process.exit(1);
  });
}
