/**
 * Partition fencing (issue 13, item 5): several instances of a consumer share a group's partitions,
 * and a write for a partition the instance no longer owns is refused, so the final state equals a
 * single instance's.
 *
 * Each (group, topic, partition) has a row in `partition_owners` (migration 0013) whose epoch every
 * claim raises. An instance claims a partition on the first batch it gets for it after joining the
 * group (kafkajs GROUP_JOIN forgets every claim), and keeps the epoch it got. Then:
 * - Postgres: every write transaction first reads the row `FOR SHARE` and aborts unless the epoch is
 *   still ours. A claim is an UPDATE of that row, so it waits for the writes in flight of the old
 *   owner and every later write of the old owner sees the new epoch: one of the two, never both.
 * - Redis: a claim also raises `{prefix}fence:{group}:{topic}:{partition}` to the new epoch, and a
 *   fenced write is a Lua script that sets its keys only while that key is not above the writer's
 *   epoch. A write the old owner computed before a claim and sends after it is refused.
 * - Kafka offsets: the broker already refuses a commit of an older group generation.
 * A refused instance drops the batch without committing (the new owner reprocesses it: writes are
 * idempotent by version) and leaves the partition alone until the group is joined again.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Consumer } from 'kafkajs';
import type { Kysely } from './db/db';
import type { Database } from './db/schema';
import type { Logger } from './logger';
import type { Redis } from './redis';

export interface PartitionKey { group: string; topic: string; partition: number }

/** What an instance holds for one partition: the epoch its writes are checked against. */
export interface Ownership extends PartitionKey { epoch: number }

/** A write for a partition whose epoch moved on: another instance owns it now. */
export class StaleOwnerError extends Error {
  constructor(readonly ownership: Ownership, readonly current: number | undefined) {
    super(`partition ${ownership.topic}[${ownership.partition}] of group ${ownership.group} is owned at epoch ${current ?? '(none)'}, not ${ownership.epoch}: write refused`);
    this.name = 'StaleOwnerError';
  }
}

export const isStaleOwner = (e: unknown): e is StaleOwnerError => e instanceof StaleOwnerError;

/** Takes the partition: raises its epoch (1 for a first claim) and returns it. Waits for the old owner's open write transactions. */
export async function claimPartition(db: Kysely<Database>, key: PartitionKey, owner: string): Promise<number> {
  const { rows } = await sql<{ epoch: string }>`
    insert into partition_owners (group_id, topic, partition, epoch, owner) values (${key.group}, ${key.topic}, ${key.partition}, 1, ${owner})
    on conflict (group_id, topic, partition) do update set epoch = partition_owners.epoch + 1, owner = excluded.owner, claimed_at = now()
    returning epoch::text`.execute(db);
  return Number(rows[0]!.epoch);
}

/**
 * Inside a write transaction: throws StaleOwnerError unless the partition is still at our epoch. The
 * row stays share-locked until the transaction ends, so no claim can slip in between check and commit.
 */
export async function assertOwner(tx: Kysely<Database>, own: Ownership): Promise<void> {
  const { rows } = await sql<{ epoch: string }>`
    select epoch::text from partition_owners where group_id = ${own.group} and topic = ${own.topic} and partition = ${own.partition} for share`.execute(tx);
  const current = rows[0] === undefined ? undefined : Number(rows[0].epoch);
  if (current !== own.epoch) throw new StaleOwnerError(own, current);
}

/** The Redis key holding the highest epoch that wrote (or claimed) a partition's Redis values. */
export const redisFenceKey = (prefix: string, key: PartitionKey): string => `${prefix}fence:${key.group}:${key.topic}:${key.partition}`;

// KEYS[1] the fence key, ARGV[1] the writer's epoch; KEYS[2..] / ARGV[2..] the values to set.
// Refused (0) when a newer epoch is recorded; else the fence is raised to ours and every key set.
const FENCED_SET = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local mine = tonumber(ARGV[1])
if current > mine then return 0 end
if current < mine then redis.call('SET', KEYS[1], ARGV[1]) end
for i = 2, #KEYS do redis.call('SET', KEYS[i], ARGV[i]) end
return 1`;

/** Sets `pairs` atomically unless a newer owner of the partition wrote or claimed it (then throws StaleOwnerError). */
export async function fencedRedisSet(redis: Redis, fenceKey: string, own: Ownership, pairs: ReadonlyArray<readonly [string, string]>): Promise<void> {
  const keys = [fenceKey, ...pairs.map(([k]) => k)];
  const args = [String(own.epoch), ...pairs.map(([, v]) => v)];
  const ok = await redis.eval(FENCED_SET, keys.length, ...keys, ...args);
  if (ok !== 1) throw new StaleOwnerError(own, Number(await redis.get(fenceKey)));
}

export interface FenceDeps {
  db: Kysely<Database>;
  /** full consumer group id (prefixed) */
  group: string;
  logger: Logger;
  /** with Redis: claims raise the partition's Redis fence too (fencedRedisSet) */
  redis?: Redis;
  redisPrefix?: string;
  /** names this instance in partition_owners.owner */
  owner?: string;
  now?: () => number;
  /** a partition refused without a new group join is claimed again after this long (a safety valve, default 60 s) */
  reclaimAfterMs?: number;
}

export interface PartitionFence {
  readonly group: string;
  /** Our ownership of the partition: claimed on first sight since the last join; undefined while refused. */
  acquire(topic: string, partition: number): Promise<Ownership | undefined>;
  /** In a write transaction: throws StaleOwnerError (and marks the partition lost) unless we still own it. */
  check(tx: Kysely<Database>, own: Ownership): Promise<void>;
  /** Outside a transaction: throws StaleOwnerError unless we still own the partition (before a side effect, e.g. an Odoo call). */
  verify(own: Ownership): Promise<void>;
  /** A fenced Redis write (needs `redis`). */
  redisSet(own: Ownership, pairs: ReadonlyArray<readonly [string, string]>): Promise<void>;
  /** Handles a refusal: true (logged, partition marked lost) for StaleOwnerError, false for anything else. */
  refused(e: unknown, topic: string, partition: number): boolean;
  /** Forgets every claim (each assigned partition is claimed again on its next batch). */
  reset(): void;
  /** reset() on each GROUP_JOIN of `consumer`. */
  watch(consumer: Consumer): void;
}

export function createPartitionFence(deps: FenceDeps): PartitionFence {
  const { db, group, logger, redis } = deps;
  const owner = deps.owner ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  const now = deps.now ?? Date.now;
  const reclaimAfterMs = deps.reclaimAfterMs ?? 60_000;
  const claims = new Map<string, Ownership | { lostAt: number }>();
  const id = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
  const redisKey = (k: PartitionKey): string => redisFenceKey(deps.redisPrefix ?? '', k);

  const fence: PartitionFence = {
    group,
    async acquire(topic, partition) {
      const held = claims.get(id(topic, partition));
      if (held && 'epoch' in held) return held;
      if (held && now() - held.lostAt < reclaimAfterMs) return undefined;
      const key = { group, topic, partition };
      const own: Ownership = { ...key, epoch: await claimPartition(db, key, owner) };
      // raise the Redis fence before any write of ours: from now on the old owner's Redis writes are refused
      if (redis) await fencedRedisSet(redis, redisKey(key), own, []);
      claims.set(id(topic, partition), own);
      logger.info({ group, topic, partition, epoch: own.epoch }, 'partition claimed');
      return own;
    },
    async check(tx, own) {
      await assertOwner(tx, own);
    },
    async verify(own) {
      await assertOwner(db, own);
    },
    async redisSet(own, pairs) {
      if (!redis) throw new Error('this fence has no Redis');
      await fencedRedisSet(redis, redisKey(own), own, pairs);
    },
    refused(e, topic, partition) {
      if (!isStaleOwner(e)) return false;
      // a batch of ours from before a re-claim (same instance, new epoch after a join) is dropped, not the partition
      const held = claims.get(id(topic, partition));
      if (!(held && 'epoch' in held && held.epoch > e.ownership.epoch)) claims.set(id(topic, partition), { lostAt: now() });
      logger.warn({ group, topic, partition, epoch: e.ownership.epoch, current: e.current }, 'partition owned by another instance: batch dropped, nothing committed');
      return true;
    },
    reset() { claims.clear(); },
    watch(consumer) { consumer.on(consumer.events.GROUP_JOIN, () => { fence.reset(); }); },
  };
  return fence;
}
