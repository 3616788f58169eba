/**
 * An isolated world for one integration test file: its own topic prefix, its own Postgres
 * database (migrated), its own Redis key prefix. Re-runs never see old data.
 */
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { Client } from 'pg';
import { createDb, type Kysely } from '../../shared/db/db';
import { ensureDatabase, migrateToLatest } from '../../shared/db/migrate';
import type { Database } from '../../shared/db/schema';
import { createKafka } from '../../shared/kafka';
import { createLogger, type Logger } from '../../shared/logger';
import { createRedis, type Redis } from '../../shared/redis';
import { AvroSerde } from '../../shared/serde';

export interface TestWorld {
  id: string;
  topicPrefix: string;
  redisPrefix: string;
  databaseUrl: string;
  /** Environment for a service under test (its config reads these). */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  kafka: Kafka;
  serde: AvroSerde;
  db: Kysely<Database>;
  redis: Redis;
  close(): Promise<void>;
}

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: integration tests run through jest's global setup`);
  return v;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createTestWorld(label: string): Promise<TestWorld> {
  const id = `t_${label.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 20)}_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const topicPrefix = `${id}.`;
  const redisPrefix = `${id}:`;
  const databaseUrl = withDatabase(required('DATABASE_URL'), id);
  await ensureDatabase(databaseUrl);
  const db = createDb(databaseUrl, 5);
  await migrateToLatest(db);
  const logger = createLogger(`test-${label}`, process.env.TEST_LOG_LEVEL ?? 'silent');
  const brokers = required('KAFKA_BROKERS').split(',');
  const kafka = createKafka({ brokers, clientId: id }, logger);
  const serde = AvroSerde.create(required('SCHEMA_REGISTRY_URL'));
  const redis = createRedis(required('REDIS_URL'));
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    KAFKA_BROKERS: brokers.join(','),
    SCHEMA_REGISTRY_URL: required('SCHEMA_REGISTRY_URL'),
    DATABASE_URL: databaseUrl,
    REDIS_URL: required('REDIS_URL'),
    TOPIC_PREFIX: topicPrefix,
    REDIS_KEY_PREFIX: redisPrefix,
  };

  const close = async (): Promise<void> => {
    const admin = kafka.admin();
    await admin.connect();
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(topicPrefix));
    if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
    await admin.disconnect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
    await db.destroy();
    const admin2 = new Client({ connectionString: withDatabase(databaseUrl, 'postgres') });
    await admin2.connect();
    await admin2.query(`drop database if exists "${id}" with (force)`).catch(() => undefined);
    await admin2.end();
  };

  return { id, topicPrefix, redisPrefix, databaseUrl, env, logger, kafka, serde, db, redis, close };
}
