/**
 * Test fixture (not part of the service): the normaliser wired as main.ts wires it (consumer health,
 * ops server with /health/live, exit 1 when a consumer stops for good), whose mapping throws a
 * TypeError the first time it runs while `CRASH_ONCE_FILE` does not exist (it then creates it).
 * kafkajs treats a TypeError as unrecoverable: the consumer crashes with restart false. Used by
 * scripts/supervisor.int.test.ts: health red, exit 1, restarted by the supervisor, then it works.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { parseConfig } from '../../shared/config';
import { createConsumerHealth, exitOnFatal } from '../../shared/consumer-health';
import { createKafka } from '../../shared/kafka';
import { createLogger } from '../../shared/logger';
import { createMetricsRegistry, startOpsServer } from '../../shared/ops';
import { AvroSerde } from '../../shared/serde';
import { createShutdown } from '../../shared/shutdown';
import { normaliserEnv } from './config';
import { SERVICE, createNormaliser } from './consumer';
import { handle } from './handler';

async function run(): Promise<void> {
  const cfg = parseConfig(normaliserEnv(process.env).extend({ CRASH_ONCE_FILE: z.string().min(1) }));
  const logger = createLogger(SERVICE, cfg.LOG_LEVEL);
  const shutdown = createShutdown(logger);
  shutdown.install();
  const health = createConsumerHealth({ logger, onFatal: exitOnFatal(shutdown) });
  const registry = createMetricsRegistry(SERVICE);
  const normaliser = createNormaliser({
    kafka: createKafka({ brokers: cfg.KAFKA_BROKERS, clientId: SERVICE }, logger), serde: AvroSerde.create(cfg.SCHEMA_REGISTRY_URL), logger, registry, health,
    topicPrefix: cfg.TOPIC_PREFIX, groupId: `${cfg.TOPIC_PREFIX}${cfg.NORMALISER_GROUP}`, fromBeginning: true, partitions: cfg.KAFKA_PARTITIONS,
    decide: (input) => {
      if (!fs.existsSync(cfg.CRASH_ONCE_FILE)) {
        fs.writeFileSync(cfg.CRASH_ONCE_FILE, String(process.pid));
        throw new TypeError('crash fixture: a bug in the mapping');
      }
      return handle(input);
    },
  });
  const ops = await startOpsServer(cfg.METRICS_PORT, registry, () => health.readiness(), () => health.liveness());
  shutdown.add('ops server', () => new Promise((resolve) => ops.close(resolve)));
  shutdown.add('normaliser', () => normaliser.stop());
  await normaliser.start();
  logger.info({ pid: process.pid }, 'crash fixture consuming');
}

run().catch((err: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', msg: 'crash fixture failed', err: err instanceof Error ? err.message : String(err) }));
  process.exit(1);
});
