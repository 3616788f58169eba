/**
 * The poller's memory (the hashes of what it published) describes a log: the raw topics of one
 * Kafka cluster. When that log is lost (the cluster replaced, its data wiped, the topic re-created),
 * the hashes lie: the poller would publish only what changes from then on and the canonical topics
 * would stay incomplete for good. So the identity of each raw topic (cluster id, each partition's
 * end offset after the last cycle) is kept beside the hashes, checked before every cycle, and a
 * lost log makes the next cycle publish the full state (its hashes are invalidated, not deleted:
 * the ids stay known, so what vanished at the source is still published as removed).
 */
import type { Admin, Kafka } from 'kafkajs';
import { sql } from 'kysely';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { Logger } from '../../shared/logger';
import { TOPICS, topicName, type TopicSpec } from '../../shared/topics';

export interface LogIdentity { clusterId: string; ends: Record<string, string> }

/** A hash no content has: the record is published again at the next cycle. */
export const RESYNC_HASH = 'resync';

/** Why the log the hashes describe is gone (pure); null when it is still there. */
export function lostBecause(stored: LogIdentity | undefined, current: LogIdentity, hashesKept: boolean): string | null {
  if (stored === undefined) return hashesKept ? 'no record of the log the hashes were published to' : null;
  if (stored.clusterId !== current.clusterId) return `another cluster (${stored.clusterId} -> ${current.clusterId})`;
  for (const [partition, end] of Object.entries(stored.ends)) {
    const now = current.ends[partition];
    if (now === undefined) return `partition ${partition} is gone`;
    if (BigInt(now) < BigInt(end)) return `partition ${partition} ends at ${now}, before the ${end} already published (the log was wiped or re-created)`;
  }
  return null;
}

/** Which memory a raw topic has: the deal hashes of a source, or the inventory hashes. */
type Memory = { table: 'poller_published'; source: 'dutchie' | 'ptl' } | { table: 'inventory_published' };
export const RAW_MEMORY: ReadonlyArray<{ spec: TopicSpec; memory: Memory }> = [
  { spec: TOPICS.rawDutchie, memory: { table: 'poller_published', source: 'dutchie' } },
  { spec: TOPICS.rawPtl, memory: { table: 'poller_published', source: 'ptl' } },
  { spec: TOPICS.inventoryRaw, memory: { table: 'inventory_published' } },
];

/** Invalidates remembered hashes (of one location, or all), so the next cycle republishes the full state. */
export async function invalidateHashes(db: Kysely<Database>, memory: Memory | 'all', location?: string): Promise<number> {
  const memories: Memory[] = memory === 'all' ? RAW_MEMORY.map((m) => m.memory) : [memory];
  let n = 0;
  for (const m of memories) {
    const bySource = m.table === 'poller_published' ? sql`source = ${m.source}` : sql`true`;
    const byLocation = location === undefined ? sql`true` : sql`location_id = ${location}`;
    const res = await sql`update ${sql.table(m.table)} set content_hash = ${RESYNC_HASH} where ${bySource} and ${byLocation}`.execute(db);
    n += Number(res.numAffectedRows ?? 0n);
  }
  return n;
}

async function identityOf(admin: Admin, topic: string, clusterId: string): Promise<LogIdentity> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return { clusterId, ends: Object.fromEntries(offsets.map((o) => [String(o.partition), o.high])) };
}

async function hashesKept(db: Kysely<Database>, memory: Memory): Promise<boolean> {
  const rows = memory.table === 'poller_published'
    ? await db.selectFrom('poller_published').select('location_id').where('source', '=', memory.source).limit(1).execute()
    : await db.selectFrom('inventory_published').select('location_id').limit(1).execute();
  return rows.length > 0;
}

export function createLogGuard(deps: { kafka: Kafka; db: Kysely<Database>; topicPrefix: string; logger: Logger }) {
  const withAdmin = async <T>(fn: (admin: Admin, clusterId: string) => Promise<T>): Promise<T> => {
    const admin = deps.kafka.admin();
    await admin.connect();
    try { return await fn(admin, (await admin.describeCluster()).clusterId); } finally { await admin.disconnect(); }
  };
  const select = (which: 'deals' | 'inventory') => RAW_MEMORY.filter((m) => (which === 'inventory') === (m.memory.table === 'inventory_published'));
  return {
    /** Before a cycle: invalidates the hashes of every raw topic whose log is lost; returns their names. */
    check: (which: 'deals' | 'inventory'): Promise<string[]> => withAdmin(async (admin, clusterId) => {
      const lost: string[] = [];
      for (const { spec, memory } of select(which)) {
        const row = await deps.db.selectFrom('poller_log_identity').select(['cluster_id', 'ends']).where('topic', '=', spec.name).executeTakeFirst();
        const stored = row ? { clusterId: row.cluster_id, ends: row.ends } : undefined;
        const reason = lostBecause(stored, await identityOf(admin, topicName(deps.topicPrefix, spec), clusterId), await hashesKept(deps.db, memory));
        if (reason === null) continue;
        const n = await invalidateHashes(deps.db, memory);
        deps.logger.warn({ topic: spec.name, reason, hashes: n }, 'the log the poller published to is lost: this cycle publishes the full state');
        lost.push(spec.name);
      }
      return lost;
    }),
    /** After a cycle: the identity of the logs as the poller leaves them. */
    remember: (which: 'deals' | 'inventory'): Promise<void> => withAdmin(async (admin, clusterId) => {
      for (const { spec } of select(which)) {
        const id = await identityOf(admin, topicName(deps.topicPrefix, spec), clusterId);
        await deps.db.insertInto('poller_log_identity').values({ topic: spec.name, cluster_id: id.clusterId, ends: JSON.stringify(id.ends) })
          .onConflict((oc) => oc.column('topic').doUpdateSet({ cluster_id: id.clusterId, ends: JSON.stringify(id.ends), checked_at: sql`now()` }))
          .execute();
      }
    }),
  };
}
export type LogGuard = ReturnType<typeof createLogGuard>;
