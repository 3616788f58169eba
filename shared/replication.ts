/**
 * Production topic settings (issue 13, item 6): how many brokers hold each partition and how many of
 * them must have a write before the producer's acks=all is answered. Locally one broker: replication
 * factor 1. A 3-broker production cluster: KAFKA_REPLICATION_FACTOR=3, and min.insync.replicas 2 (the
 * default derived from 3), so one broker may be down without losing an acknowledged write or stopping
 * producers. Applied when ensureTopics creates a topic and checked by `npm run topics`.
 */
import { z } from 'zod';
import { parseConfig } from './config';

export interface ReplicationSettings {
  replicationFactor: number;
  minInsyncReplicas: number;
}

const schema = z.object({
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(32).default(1),
  KAFKA_MIN_INSYNC_REPLICAS: z.coerce.number().int().min(1).max(32).optional(),
}).refine((c) => c.KAFKA_MIN_INSYNC_REPLICAS === undefined || c.KAFKA_MIN_INSYNC_REPLICAS <= c.KAFKA_REPLICATION_FACTOR, {
  message: 'must not exceed KAFKA_REPLICATION_FACTOR (no write could ever be acknowledged)', path: ['KAFKA_MIN_INSYNC_REPLICAS'],
});

/**
 * min.insync.replicas when not set: one less than the replication factor from 3 replicas on (3 -> 2:
 * one broker may fail), else 1 (with 2 replicas, 2 would stop every producer while either broker is down).
 */
export const defaultMinInsync = (replicationFactor: number): number => (replicationFactor >= 3 ? replicationFactor - 1 : 1);

/** Reads KAFKA_REPLICATION_FACTOR and KAFKA_MIN_INSYNC_REPLICAS (throws a ConfigError naming the problem). */
export function replicationFromEnv(env: NodeJS.ProcessEnv = process.env): ReplicationSettings {
  const c = parseConfig(schema, env);
  return { replicationFactor: c.KAFKA_REPLICATION_FACTOR, minInsyncReplicas: c.KAFKA_MIN_INSYNC_REPLICAS ?? defaultMinInsync(c.KAFKA_REPLICATION_FACTOR) };
}

/** The topic-level config every topic gets from the replication settings. */
export const replicationConfigs = (r: ReplicationSettings): Record<string, string> => ({ 'min.insync.replicas': String(r.minInsyncReplicas) });
