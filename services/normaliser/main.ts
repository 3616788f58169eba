/**
 * `npm run normaliser` — the live normaliser (group NORMALISER_GROUP; goes on from its committed
 * offsets, or from the beginning of the raw topics when the group is new).
 * `npm run normaliser:replay [-- --group <name>]` — replays both raw topics from the earliest
 * offset in a fresh consumer group, re-publishing every canonical deal with the current mapping,
 * and exits when it has caught up with the end offsets it saw at start.
 * `main.ts --from-beginning --group <name>` — the same replay (the group must be new), but it keeps
 * running afterwards as a live normaliser in that group.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../shared/config';
import { createKafka } from '../../shared/kafka';
import { createLogger } from '../../shared/logger';
import { createMetricsRegistry, startOpsServer } from '../../shared/ops';
import { AvroSerde } from '../../shared/serde';
import { createShutdown } from '../../shared/shutdown';
import { createConsumerHealth, exitOnFatal } from '../../shared/consumer-health';
import { cliSchema, normaliserEnv } from './config';
import { SERVICE, createNormaliser } from './consumer';
import { createInventoryNormaliser } from './inventory-consumer';

async function main(): Promise<void> {
  const config = loadConfig(SERVICE, normaliserEnv(process.env));
  const { values } = parseArgs({
    options: { 'from-beginning': { type: 'boolean', default: false }, group: { type: 'string' }, 'exit-when-caught-up': { type: 'boolean', default: false } },
  });
  const cli = cliSchema.safeParse({ fromBeginning: values['from-beginning'], group: values.group, exitWhenCaughtUp: values['exit-when-caught-up'] });
  if (!cli.success) {
    console.error(JSON.stringify({ level: 'fatal', service: SERVICE, msg: 'invalid arguments', problems: cli.error.issues.map((i) => i.message) }));
    process.exit(2);
  }
  const replay = cli.data.fromBeginning;
  const group = cli.data.group ?? (replay ? `normaliser-replay-${new Date().toISOString().replace(/[^0-9]/g, '')}` : config.NORMALISER_GROUP);

  const logger = createLogger(SERVICE, config.LOG_LEVEL);
  const registry = createMetricsRegistry(SERVICE);
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: SERVICE }, logger);
  const shutdown = createShutdown(logger);

  const serde = AvroSerde.create(config.SCHEMA_REGISTRY_URL);
  // a consumer that stops for good turns /health down, then the process exits 1 (a supervisor restarts it)
  const health = createConsumerHealth({ logger, onFatal: exitOnFatal(shutdown) });
  const normaliser = createNormaliser({
    kafka, serde, logger, registry, health,
    topicPrefix: config.TOPIC_PREFIX, groupId: `${config.TOPIC_PREFIX}${group}`, fromBeginning: true, requireFreshGroup: replay,
    partitions: config.KAFKA_PARTITIONS, maxBytesPerPartition: config.NORMALISER_MAX_BYTES_PER_PARTITION,
  });

  shutdown.install();
  const ops = await startOpsServer(config.METRICS_PORT, registry, () => health.readiness(), () => health.liveness());
  shutdown.add('ops server', () => new Promise((resolve) => ops.close(resolve)));
  shutdown.add('normaliser', () => normaliser.stop());
  const address = ops.address();
  logger.info({ port: typeof address === 'object' && address ? address.port : config.METRICS_PORT, group, replay }, 'health and metrics listening');

  await normaliser.start();
  // inventory (issue 6): inventory.raw.v2 -> inventory.items.v2, in its own group beside the deals
  const inventory = createInventoryNormaliser({ kafka, serde, logger, topicPrefix: config.TOPIC_PREFIX, groupId: `${config.TOPIC_PREFIX}${group}-inventory`, partitions: config.KAFKA_PARTITIONS, health });
  shutdown.add('inventory normaliser', () => inventory.stop());
  await inventory.start();
  if (replay) {
    const progress = setInterval(() => logger.info({ ...normaliser.counts }, 'replay progress'), 2000);
    progress.unref();
    await normaliser.caughtUp();
    clearInterval(progress);
    logger.info({ ...normaliser.counts, group }, 'replay caught up with the raw topics');
    if (cli.data.exitWhenCaughtUp) {
      await shutdown.run('replay complete');
      process.exit(0);
    }
  }
}

main().catch((err: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', service: SERVICE, msg: 'normaliser failed', err: err instanceof Error ? err.message : String(err) }));
  process.exit(1);
});
