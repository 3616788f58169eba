/**
 * Rebuild with zero downtime, the frame both replays (deals, inventory) share:
 *
 * 1. take the topic's end offsets NOW; build a shadow generation (shadow.ts) by reading the topic
 *    from the earliest offset up to them, in a fresh group, while the live projector keeps serving
 *    and updating the live generation;
 * 2. verify the shadow per location: the topic's state as read (the last change per key, by the
 *    rule of shared/versioned.ts) against the shadow's Postgres rows (count + checksum), and its
 *    Redis values against its Postgres rows;
 * 3. refuse a rebuild that holds far fewer records than the live data (unless told to);
 * 4. under the switch lock (the live projector pauses between batches): read the events that arrived
 *    meanwhile into the shadow, up to the end offsets of that moment, then swap the shadow in
 *    (one transaction, one MULTI) and drop the old generation.
 *
 * Anything failing before 4 (or the process killed) leaves the live data untouched: only the shadow
 * is dropped (or, killed, dropped by the next rebuild).
 */
import { createHash } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { sql } from 'kysely';
import { createDb, type Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { Logger } from '../../shared/logger';
import type { Redis } from '../../shared/redis';
import { applies } from '../../shared/versioned';
import { createShadow, dropLeftovers, dropShadow, switchTo, type RebuiltTable, type Shadow } from './shadow';
import { createSwitchLock } from './switch-lock';

export interface RebuildDeps {
  kafka: Kafka;
  databaseUrl: string;
  redis: Redis;
  logger: Logger;
  topicPrefix: string;
  redisPrefix: string;
  onProgress?: (done: number, total: number) => void;
  /** After the first event, a partition that brings nothing for this long is taken as read to its end (compaction removed its tail); default 10 s */
  quietMs?: number;
  /** Switch even when the rebuild holds fewer than `minRatio` of the live records (default 0.9). */
  allowFewer?: boolean;
  minRatio?: number;
  /** Observes the phases (progress output; tests act between them). */
  onPhase?: (phase: 'reading' | 'verified' | 'switching' | 'switched') => void | Promise<void>;
}

/** The topic's state as a consumer read it: the last change per key (shared/versioned.ts). */
export class ExpectedState {
  private readonly keys = new Map<string, { locationId: string; version: bigint; removed: boolean }>();
  record(key: string, locationId: string, version: number | string | bigint, removed: boolean): void {
    const prev = this.keys.get(key);
    if (prev === undefined || applies(version, prev)) this.keys.set(key, { locationId, version: BigInt(version), removed });
  }
  /** per location: the live keys and their versions */
  byLocation(): Map<string, Array<[string, bigint]>> {
    const out = new Map<string, Array<[string, bigint]>>();
    for (const [key, s] of this.keys) {
      if (s.removed) continue;
      const list = out.get(s.locationId) ?? [];
      list.push([key, s.version]);
      out.set(s.locationId, list);
    }
    return out;
  }
}

export interface Digest { count: number; checksum: string }
/** count + sha256 of the sorted `key@version` lines */
export function digest(entries: ReadonlyArray<readonly [string, bigint | string | number]>): Digest {
  const lines = entries.map(([k, v]) => `${k}@${String(v)}`).sort();
  return { count: lines.length, checksum: createHash('sha256').update(lines.join('\n')).digest('hex') };
}

/** The live records of a rebuilt table per location: id and version of each non-removed row. */
export async function rowsByLocation(db: Kysely<Database>, table: 'discounts' | 'inventory'): Promise<Map<string, Digest>> {
  const rows = await sql<{ location_id: string; id: string; version: string }>`select location_id, id, version from ${sql.table(table)} where not removed`.execute(db);
  const grouped = new Map<string, Array<[string, string]>>();
  for (const r of rows.rows) {
    const list = grouped.get(r.location_id) ?? [];
    list.push([r.id, r.version]);
    grouped.set(r.location_id, list);
  }
  return new Map([...grouped].map(([loc, list]) => [loc, digest(list)]));
}

export interface LocationVerdict { locationId: string; topic: Digest | null; postgres: Digest | null; redis: boolean; ok: boolean }

/** Topic vs Postgres per location (and the Redis check per location, from `redisOk`). */
export function compareLocations(expected: ExpectedState, postgres: Map<string, Digest>, redisOk: Map<string, boolean>): LocationVerdict[] {
  const topic = new Map([...expected.byLocation()].map(([loc, list]) => [loc, digest(list)]));
  const locations = [...new Set([...topic.keys(), ...postgres.keys()])].sort();
  return locations.map((locationId) => {
    const t = topic.get(locationId) ?? null;
    const p = postgres.get(locationId) ?? null;
    const redis = redisOk.get(locationId) ?? false;
    return { locationId, topic: t, postgres: p, redis, ok: t !== null && p !== null && t.checksum === p.checksum && t.count === p.count && redis };
  });
}

/** What one kind of rebuild brings: its topic and tables, its consumer, its checks. */
export interface RebuildSpec {
  kind: 'deals' | 'inventory';
  /** the full topic name */
  topic: string;
  tables: readonly RebuiltTable[];
  table: 'discounts' | 'inventory';
  /** starts the consumer writing the shadow, reading each partition up to `until`; `group`: its group, without TOPIC_PREFIX */
  start(shadow: Shadow, group: string, expected: ExpectedState, until: (p: number) => bigint | undefined,
    onBatch: (b: { partition: number; nextOffset: string; events: number }) => void): Promise<{ stop(): Promise<void> }>;
  /** Redis vs Postgres in the shadow, per location */
  redisChecks(shadow: Shadow): Promise<Map<string, boolean>>;
  /** known locations the topic holds nothing for get their (empty) read model in the shadow too, so they stay servable */
  fillMissing(live: Kysely<Database>, shadow: Shadow): Promise<void>;
  /** after the switch (e.g. inventory snapshots recomputed against the rebuilt deals) */
  afterSwitch?(live: Kysely<Database>): Promise<void>;
}

export interface RebuildReport {
  kind: 'deals' | 'inventory';
  switched: boolean;
  /** why it did not switch */
  reason?: string;
  events: number;
  /** events read under the switch lock (arrived during the rebuild) */
  catchUpEvents: number;
  seconds: number;
  eventsPerSecond: number;
  liveRecords: number;
  rebuiltRecords: number;
  locations: LocationVerdict[];
  /** partitions whose last records were compacted away (read to a quiet end, not to the end offset) */
  quietEnds: number[];
}

/** Per partition: the end offsets to reach (movable), where the consumer stands, and when all are reached. */
class Bounds {
  private readonly position = new Map<number, bigint>();
  private ends = new Map<number, bigint>();
  private waiter: (() => void) | undefined;
  private lastProgress = 0;
  events = 0;
  constructor(private readonly low: Map<number, bigint>, private readonly onProgress?: (done: number, total: number) => void) {}
  total = 0;
  moveTo(ends: Map<number, bigint>): void { this.ends = ends; this.lastProgress = Date.now(); this.check(); }
  until = (p: number): bigint | undefined => this.ends.get(p);
  onBatch = (b: { partition: number; nextOffset: string; events: number }): void => {
    const at = BigInt(b.nextOffset);
    if (at > (this.position.get(b.partition) ?? -1n)) this.position.set(b.partition, at);
    if (b.events > 0) { this.events += b.events; this.lastProgress = Date.now(); this.onProgress?.(Math.min(this.events, this.total), this.total); }
    this.check();
  };
  unreached(): number[] {
    return [...this.ends].filter(([p, end]) => end > (this.low.get(p) ?? 0n) && (this.position.get(p) ?? this.low.get(p) ?? 0n) < end).map(([p]) => p);
  }
  private check(): void { if (this.unreached().length === 0) this.waiter?.(); }
  /** Resolves when every partition reached its end offset, or (compaction) nothing came for quietMs. */
  async reached(quietMs: number): Promise<number[]> {
    if (this.unreached().length === 0) return [];
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        timer = setInterval(() => { if (this.events > 0 && Date.now() - this.lastProgress > quietMs) resolve(); }, 250);
      });
    } finally { clearInterval(timer); this.waiter = undefined; }
    return this.unreached();
  }
}

async function endOffsets(kafka: Kafka, topic: string): Promise<{ low: Map<number, bigint>; high: Map<number, bigint> }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist: nothing to replay (check TOPIC_PREFIX and KAFKA_BROKERS)`);
    const offsets = await admin.fetchTopicOffsets(topic);
    return { low: new Map(offsets.map((o) => [o.partition, BigInt(o.low)])), high: new Map(offsets.map((o) => [o.partition, BigInt(o.high)])) };
  } finally { await admin.disconnect(); }
}

async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try { await admin.deleteGroups([groupId]); } catch { /* already gone, or never joined */ } finally { await admin.disconnect(); }
}

const REBUILD_LOCK = 0x64_73_72_31; // one rebuild at a time per database

export async function rebuild(spec: RebuildSpec, deps: RebuildDeps): Promise<RebuildReport> {
  const db = createDb(deps.databaseUrl, 4);
  const lock = createSwitchLock(deps.databaseUrl, 1);
  const started = performance.now();
  try {
    return await db.connection().execute(async (conn) => {
      const got = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${REBUILD_LOCK}) as ok`.execute(conn);
      if (!got.rows[0]?.ok) throw new Error('another rebuild is running against this database');
      try {
        const left = await dropLeftovers(db, deps.redis, deps.redisPrefix);
        if (left.length) deps.logger.warn({ schemas: left }, 'dropped the shadow of an earlier rebuild that did not finish');
        return await run(spec, deps, db, lock, started);
      } finally {
        await sql`select pg_advisory_unlock(${REBUILD_LOCK})`.execute(conn);
      }
    });
  } finally {
    await lock.close();
    await db.destroy();
  }
}

async function run(spec: RebuildSpec, deps: RebuildDeps, db: Kysely<Database>, lock: ReturnType<typeof createSwitchLock>, started: number): Promise<RebuildReport> {
  const { low, high } = await endOffsets(deps.kafka, spec.topic);
  const shadow = await createShadow(db, deps.databaseUrl, deps.redisPrefix, spec.tables);
  const bounds = new Bounds(low, deps.onProgress);
  bounds.total = [...high].reduce((n, [p, h]) => n + Number(h - (low.get(p) ?? 0n)), 0);
  bounds.moveTo(high);
  const expected = new ExpectedState();
  const group = `rebuild-${spec.kind}-${shadow.id}`;
  const quietMs = deps.quietMs ?? 10_000;
  let consumer: { stop(): Promise<void> } | undefined;
  let switched = false;
  const report = (over: Partial<RebuildReport> & Pick<RebuildReport, 'locations' | 'liveRecords' | 'rebuiltRecords'>): RebuildReport => {
    const seconds = (performance.now() - started) / 1000;
    return { kind: spec.kind, switched, events: bounds.events, catchUpEvents: 0, seconds, eventsPerSecond: Math.round(bounds.events / seconds), quietEnds: [], ...over };
  };
  try {
    await deps.onPhase?.('reading');
    deps.onProgress?.(0, bounds.total);
    consumer = await spec.start(shadow, group, expected, bounds.until, bounds.onBatch);
    const quietEnds = await bounds.reached(quietMs);
    if (quietEnds.length) deps.logger.warn({ partitions: quietEnds }, 'rebuild: partitions ended before their end offset (their last records were compacted away)');

    const locations = compareLocations(expected, await rowsByLocation(shadow.db, spec.table), await spec.redisChecks(shadow));
    const [liveRecords, rebuiltRecords] = await Promise.all([countLive(db, spec.table), countLive(shadow.db, spec.table)]);
    const bad = locations.filter((l) => !l.ok);
    if (bad.length > 0) return report({ locations, liveRecords, rebuiltRecords, quietEnds, reason: `${bad.length} location(s) of the shadow do not match the topic` });
    const minRatio = deps.minRatio ?? 0.9;
    if (!deps.allowFewer && rebuiltRecords < liveRecords * minRatio) {
      return report({ locations, liveRecords, rebuiltRecords, quietEnds, reason: `the rebuild holds ${rebuiltRecords} records against ${liveRecords} live (below ${minRatio * 100} %): not switched (--allow-fewer switches anyway)` });
    }
    await deps.onPhase?.('verified');

    const before = bounds.events;
    await lock.exclusive(async () => {
      await deps.onPhase?.('switching');
      // the live projector is between batches: what arrived meanwhile goes into the shadow first
      bounds.moveTo((await endOffsets(deps.kafka, spec.topic)).high);
      await bounds.reached(quietMs);
      await consumer!.stop();
      consumer = undefined;
      await spec.fillMissing(db, shadow);
      await switchTo(db, deps.redis, deps.redisPrefix, shadow);
      switched = true;
    });
    await spec.afterSwitch?.(db);
    await deps.onPhase?.('switched');
    return report({ locations, liveRecords, rebuiltRecords, quietEnds, catchUpEvents: bounds.events - before });
  } finally {
    await consumer?.stop().catch(() => undefined);
    await deleteGroup(deps.kafka, `${deps.topicPrefix}${group}`);
    if (!switched) await dropShadow(db, deps.redis, shadow).catch((e: unknown) => deps.logger.warn({ err: e }, 'could not drop the shadow: the next rebuild drops it'));
  }
}

async function countLive(db: Kysely<Database>, table: 'discounts' | 'inventory'): Promise<number> {
  const r = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)} where not removed`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}
