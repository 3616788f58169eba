/**
 * Applying a batch plan: Postgres first (one transaction, older versions ignored IN SQL), then
 * each touched location's Redis value rebuilt from Postgres with one atomic write.
 */
import { sql } from 'kysely';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import { redisKeys, type Redis } from '../../shared/redis';
import { buildLocationValue, valueVersion } from '../../shared/storefront';
import { notOlderSql } from '../../shared/versioned';
import type { BatchPlan, ProjectedRow } from './handler';

const UPSERT_CHUNK = 2000;

/** Postgres type of each upserted column, as read from the JSON rows ('epoch ms': a bigint made a timestamptz). */
const COLUMN_TYPES = {
  id: 'text', location_id: 'text', discount_id: 'text', source: 'text', name: 'text', discount_code: 'text', discount_type: 'text',
  calculation_method_id: 'integer', discount_amount: 'numeric', is_active: 'boolean', is_available_online: 'boolean',
  valid_from: 'epoch ms', valid_until: 'epoch ms', start_time: 'time', end_time: 'time',
  monday: 'boolean', tuesday: 'boolean', wednesday: 'boolean', thursday: 'boolean', friday: 'boolean', saturday: 'boolean', sunday: 'boolean',
  products: 'jsonb', brands: 'jsonb', product_categories: 'jsonb', first_time_customer_only: 'boolean', minimum_items_required: 'integer',
  time_zone: 'text', payload: 'json', version: 'bigint', removed: 'boolean', synced_at: 'epoch ms',
} as const satisfies Record<keyof ProjectedRow, string>;
const COLUMNS = Object.entries(COLUMN_TYPES);
const NAMES = COLUMNS.map(([c]) => c);
const RECORD = COLUMNS.map(([c, t]) => `${c} ${t === 'epoch ms' ? 'bigint' : t}`).join(', ');
// integer arithmetic: exact to the millisecond (to_timestamp's float seconds are not, far from 1970)
const SELECT = COLUMNS.map(([c, t]) => (t === 'epoch ms' ? `timestamptz 'epoch' + x.${c} * interval '1 millisecond'` : `x.${c}`)).join(', ');
const UPDATE = NAMES.filter((c) => c !== 'id').map((c) => `${c} = excluded.${c}`).join(', ');

/**
 * One statement per chunk, the rows as ONE json parameter (json_to_recordset): far cheaper
 * than binding a parameter per column per row, and `json` rather than `jsonb` because the text is
 * only checked, not converted to jsonb's binary form (the payload column keeps it as it is). The rule of
 * shared/versioned.ts: a change not older than the stored row applies (an equal version re-applies,
 * idempotent; a re-add after a removal of the same version too), an older one is ignored, so a
 * replayed old upsert or old removal never undoes a newer state.
 */
const INSERT = sql.raw(`insert into discounts (${NAMES.join(', ')}) select ${SELECT} from json_to_recordset(`);
const CONFLICT = sql.raw(`::json) as x(${RECORD}) on conflict (id) do update set ${UPDATE} where `);

/** `guard`: runs first in the transaction (the partition fence's ownership check, shared/fencing.ts); throwing aborts it. */
export async function applyToPostgres(db: Kysely<Database>, plan: BatchPlan, guard?: (tx: Kysely<Database>) => Promise<void>): Promise<void> {
  if (plan.upserts.length === 0 && plan.removals.length === 0) return;
  await db.transaction().execute(async (tx) => {
    await guard?.(tx);
    for (let i = 0; i < plan.upserts.length; i += UPSERT_CHUNK) {
      // JSON null in a jsonb column becomes SQL NULL.
      const rows = JSON.stringify(plan.upserts.slice(i, i + UPSERT_CHUNK));
      await sql`${INSERT}${rows}${CONFLICT}${notOlderSql('discounts')}`.execute(tx);
    }
    if (plan.removals.length > 0) {
      // a removal records its own version, so a later replay of an older upsert stays ignored
      await sql`update discounts d set removed = true, version = t.v
        from unnest(${plan.removals.map((r) => r.id)}::text[], ${plan.removals.map((r) => String(r.version))}::bigint[]) as t(id, v)
        where d.id = t.id and d.version <= t.v`.execute(tx);
    }
  });
}

/** Sets Redis keys atomically (a MULTI, or the partition fence's script: shared/fencing.ts). */
export type RedisWrite = (pairs: ReadonlyArray<readonly [string, string]>) => Promise<void>;

const multiSet = (redis: Redis): RedisWrite => async (pairs) => {
  const res = await pairs.reduce((m, [k, v]) => m.set(k, v), redis.multi()).exec();
  const failed = res?.find(([err]) => err)?.[0];
  if (failed) throw failed;
  if (!res) throw new Error('redis transaction aborted');
};

/**
 * Rebuilds one location (its value read from Postgres unless given): value + its version + sync time in one
 * atomic write (`write`, default a MULTI; the partition fence's script with several instances), then the sync row.
 */
export async function rebuildLocation(
  db: Kysely<Database>, redis: Redis, redisPrefix: string, locationId: string, now: Date,
  built?: { value: string; count: number }, write: RedisWrite = multiSet(redis),
): Promise<number> {
  const { value, count } = built ?? await buildLocationValue(db, locationId); // `built`: from the projector's memory (location-cache.ts)
  const keys = redisKeys(redisPrefix);
  await write([
    [keys.discounts(locationId), value],
    [keys.discountsVersion(locationId), valueVersion(value)],
    [keys.sync(locationId), now.toISOString()],
  ]);
  await db.insertInto('location_sync').values({ location_id: locationId, last_sync: now, deal_count: count })
    .onConflict((oc) => oc.column('location_id').doUpdateSet({ last_sync: now, deal_count: count }))
    .execute();
  return count;
}
