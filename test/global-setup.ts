/**
 * Finds the real services the integration tests run against, in this order:
 *  1. KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL and REDIS_URL all set: use them;
 *  2. a reachable Docker engine: start them with testcontainers;
 *  3. otherwise the local stack (npm run stack:up), started if needed.
 * The chosen addresses are put in process.env, which the test workers inherit.
 */
import fs from 'node:fs';
import { KafkaContainer } from '@testcontainers/kafka';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { RedisContainer } from '@testcontainers/redis';
import { GenericContainer, Wait, getContainerRuntimeClient } from 'testcontainers';
import * as stack from '../stack/stack';

const VARS = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'DATABASE_URL', 'REDIS_URL'] as const;

async function dockerReachable(): Promise<boolean> {
  if (!process.env.DOCKER_HOST && !fs.existsSync('/var/run/docker.sock')) return false;
  try {
    await Promise.race([getContainerRuntimeClient(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 10_000))]);
    return true;
  } catch {
    return false;
  }
}

async function startContainers(): Promise<Record<(typeof VARS)[number], string>> {
  const [kafka, pg, redis, registry] = await Promise.all([
    new KafkaContainer('confluentinc/cp-kafka:7.7.1').withKraft().start(),
    new PostgreSqlContainer('postgres:15').withUsername('postgres').withPassword('postgres').start(),
    new RedisContainer('redis:7').start(),
    new GenericContainer('apicurio/apicurio-registry:3.0.9').withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/config', 8080)).start(),
  ]);
  (globalThis as { __containers?: Array<{ stop(): Promise<unknown> }> }).__containers = [kafka, pg, redis, registry];
  const registryUrl = `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`;
  await fetch(`${registryUrl}/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ compatibility: 'BACKWARD' }) });
  return {
    KAFKA_BROKERS: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
    SCHEMA_REGISTRY_URL: registryUrl,
    DATABASE_URL: pg.getConnectionUri(),
    REDIS_URL: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
  };
}

export default async function globalSetup(): Promise<void> {
  if (VARS.every((v) => process.env[v])) {
    console.log('\n[integration] using the services named in the environment');
    return;
  }
  let found: Record<string, string>;
  if (await dockerReachable()) {
    console.log('\n[integration] starting Kafka, registry, Postgres and Redis with testcontainers');
    found = await startContainers();
  } else {
    console.log('\n[integration] no Docker engine: using the local stack (npm run stack:up)');
    await stack.up();
    found = stack.endpoints;
  }
  for (const v of VARS) process.env[v] ??= found[v];
}
