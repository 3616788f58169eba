/**
 * Test fixture (not part of the service): a relay process that SIGKILLs itself at a crash point,
 * `CRASH_AT=before-publish` (rows claimed, nothing sent) or `after-publish` (broker acknowledged,
 * rows not yet marked). Used by relay.int.test.ts to prove the outbox survives a hard crash.
 */
import { z } from 'zod';
import { parseConfig } from '../../shared/config';
import { createDb } from '../../shared/db/db';
import { createKafka } from '../../shared/kafka';
import { createLogger } from '../../shared/logger';
import { AvroSerde } from '../../shared/serde';
import { discountsEnv } from './config';
import { createOutboxProducer, createRelay } from './relay';

async function run(): Promise<void> {
  const cfg = parseConfig(discountsEnv(process.env).extend({ CRASH_AT: z.enum(['before-publish', 'after-publish']) }));
  const logger = createLogger('crash-relay', cfg.LOG_LEVEL);
  const db = createDb(cfg.DATABASE_URL, 2);
  const kafka = createKafka({ brokers: cfg.KAFKA_BROKERS, clientId: 'crash-relay' }, logger);
  const producer = createOutboxProducer(kafka);
  await producer.connect();
  const die = (ids: string[]): void => {
    process.stdout.write(`${JSON.stringify({ crashAt: cfg.CRASH_AT, eventIds: ids })}\n`);
    process.kill(process.pid, 'SIGKILL');
  };
  const relay = createRelay({
    db, producer, serde: AvroSerde.create(cfg.SCHEMA_REGISTRY_URL), topicPrefix: cfg.TOPIC_PREFIX, logger, batchSize: cfg.DISCOUNTS_RELAY_BATCH,
    beforePublish: cfg.CRASH_AT === 'before-publish' ? die : undefined,
    afterPublish: cfg.CRASH_AT === 'after-publish' ? die : undefined,
  });
  await relay.registerSchemas();
  await relay.relayOnce();
  console.error('the crash point was never reached (empty outbox?)');
  process.exit(3);
}

void run();
