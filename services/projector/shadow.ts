/**
 * A rebuild's shadow generation: its own Postgres schema `rebuild_{id}` holding fresh copies of the
 * rebuilt tables (a pool whose search path puts it in front of public, so the projector's code runs
 * on it unchanged and reads every other table from public), and its own Redis key prefix
 * `{prefix}rebuild:{id}:`. Nothing of the live generation is touched until `switchTo`, which swaps
 * the tables in one transaction and the keys in one MULTI (readers see the old or the new, never a
 * mix), so a failed or killed rebuild leaves the live data as it was.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { createDb, type Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { Redis } from '../../shared/redis';

export const REBUILT_TABLES = ['discounts', 'location_sync', 'inventory'] as const;
export type RebuiltTable = (typeof REBUILT_TABLES)[number];

export interface Shadow {
  id: string;
  schema: string;
  /** the shadow's Redis key prefix (the live prefix + `rebuild:{id}:`) */
  redisPrefix: string;
  tables: readonly RebuiltTable[];
  /** kysely over the shadow tables (and public's others) */
  db: Kysely<Database>;
}

const SCHEMA_PREFIX = 'rebuild_';
const shadowKeyPrefix = (livePrefix: string): string => `${livePrefix}rebuild:`;

async function deleteKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length) n += await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  return n;
}

/** Drops what earlier rebuilds left behind (killed ones): their schemas and keys. Call under the rebuild lock only. */
export async function dropLeftovers(db: Kysely<Database>, redis: Redis, livePrefix: string): Promise<string[]> {
  const rows = await sql<{ nspname: string }>`select nspname from pg_namespace where nspname like ${`${SCHEMA_PREFIX}%`}`.execute(db);
  for (const r of rows.rows) await sql`drop schema if exists ${sql.id(r.nspname)} cascade`.execute(db);
  await deleteKeys(redis, `${shadowKeyPrefix(livePrefix)}*`);
  return rows.rows.map((r) => r.nspname);
}

export async function createShadow(db: Kysely<Database>, databaseUrl: string, livePrefix: string, tables: readonly RebuiltTable[]): Promise<Shadow> {
  const id = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const schema = `${SCHEMA_PREFIX}${id}`;
  await sql`create schema ${sql.id(schema)}`.execute(db);
  for (const t of tables) await sql`create table ${sql.id(schema, t)} (like ${sql.id('public', t)} including all)`.execute(db);
  return { id, schema, redisPrefix: `${shadowKeyPrefix(livePrefix)}${id}:`, tables, db: createDb(databaseUrl, 6, () => undefined, [schema, 'public']) };
}

export async function dropShadow(db: Kysely<Database>, redis: Redis, shadow: Shadow): Promise<void> {
  await shadow.db.destroy().catch(() => undefined);
  await sql`drop schema if exists ${sql.id(shadow.schema)} cascade`.execute(db);
  await deleteKeys(redis, `${shadow.redisPrefix}*`);
}

interface IndexRow { indexname: string; indexdef: string }
const indexesOf = async (db: Kysely<Database>, schema: string, table: string): Promise<IndexRow[]> =>
  (await sql<IndexRow>`select indexname, indexdef from pg_indexes where schemaname = ${schema} and tablename = ${table}`.execute(db)).rows;
/** An index's definition without its name and schema: how the copy of an index is recognised. */
const shape = (def: string): string => def.replace(/INDEX \S+ ON \S+/, 'INDEX ON');

/**
 * Swaps the shadow in: in ONE Postgres transaction every rebuilt table of public is dropped and
 * its shadow moved into public under the same index names (so later migrations find them), then
 * in ONE Redis MULTI every shadow key is renamed over its live name. Postgres first: if the process
 * dies in between, the new tables are live and the projector writes Redis from them from then on.
 */
export async function switchTo(db: Kysely<Database>, redis: Redis, livePrefix: string, shadow: Shadow): Promise<{ keys: number }> {
  await db.transaction().execute(async (tx) => {
    for (const t of shadow.tables) {
      const live = await indexesOf(tx, 'public', t);
      await sql`drop table ${sql.id('public', t)}`.execute(tx);
      await sql`alter table ${sql.id(shadow.schema, t)} set schema public`.execute(tx);
      const moved = await indexesOf(tx, 'public', t);
      for (const l of live) {
        const copy = moved.find((m) => shape(m.indexdef) === shape(l.indexdef));
        if (copy && copy.indexname !== l.indexname) await sql`alter index ${sql.id('public', copy.indexname)} rename to ${sql.id(l.indexname)}`.execute(tx);
      }
    }
  });
  const renames: Array<[string, string]> = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${shadow.redisPrefix}*`, 'COUNT', 1000);
    for (const k of keys) renames.push([k, `${livePrefix}${k.slice(shadow.redisPrefix.length)}`]);
    cursor = next;
  } while (cursor !== '0');
  if (renames.length > 0) {
    const multi = redis.multi();
    for (const [from, to] of renames) multi.rename(from, to);
    const res = await multi.exec();
    const failed = res?.find(([err]) => err)?.[0];
    if (failed) throw failed;
    if (!res) throw new Error('redis transaction aborted');
  }
  await shadow.db.destroy().catch(() => undefined);
  await sql`drop schema if exists ${sql.id(shadow.schema)} cascade`.execute(db);
  return { keys: renames.length };
}
