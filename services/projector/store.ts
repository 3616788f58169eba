/**
 * Applying a batch plan: Postgres first (one transaction, older versions ignored IN SQL), then
 * each touched location's Redis value rebuilt from Postgres with one atomic write.
 */
import { sql } from 'kysely';
import type { Kysely } from '../../shared/db/db';
import type { Database, NewDiscountRow } from '../../shared/db/schema';
import { redisKeys, type Redis } from '../../shared/redis';
import { buildLocationValue, valueVersion } from '../../shared/storefront';
import type { BatchPlan } from './handler';

const UPSERT_CHUNK = 2000;

/** Postgres type of each upserted column, as read from the JSON rows. */
const COLUMN_TYPES = {
  id: 'text', location_id: 'uuid', discount_id: 'text', source: 'text', name: 'text', discount_code: 'text', discount_type: 'text',
  calculation_method_id: 'integer', discount_amount: 'numeric', is_active: 'boolean', is_available_online: 'boolean',
  valid_from: 'timestamptz', valid_until: 'timestamptz', start_time: 'time', end_time: 'time',
  monday: 'boolean', tuesday: 'boolean', wednesday: 'boolean', thursday: 'boolean', friday: 'boolean', saturday: 'boolean', sunday: 'boolean',
  products: 'jsonb', brands: 'jsonb', product_categories: 'jsonb', first_time_customer_only: 'boolean', minimum_items_required: 'integer',
  payload: 'jsonb', version: 'bigint', removed: 'boolean', synced_at: 'timestamptz',
} as const satisfies Record<keyof NewDiscountRow, string>;
const NAMES = Object.keys(COLUMN_TYPES);
const RECORD = NAMES.map((c) => `${c} ${COLUMN_TYPES[c as keyof typeof COLUMN_TYPES]}`).join(', ');
const SELECT = NAMES.map((c) => `x.${c}`).join(', ');
const UPDATE = NAMES.filter((c) => c !== 'id').map((c) => `${c} = excluded.${c}`).join(', ');

/**
 * The rows of a chunk as one JSON array. The jsonb columns already hold JSON text (the handler
 * serialised them), so they are spliced in as they are: neither escaped into a string here nor parsed
 * a second time by Postgres. A JSON null there becomes SQL NULL.
 */
function rowsJson(rows: readonly NewDiscountRow[]): string {
  return `[${rows.map((r) => {
    const { products, brands, product_categories: categories, payload, ...plain } = r;
    const head = JSON.stringify(plain);
    return `${head.slice(0, -1)},"products":${products ?? 'null'},"brands":${brands ?? 'null'},"product_categories":${categories ?? 'null'},"payload":${payload}}`;
  }).join(',')}]`;
}

/**
 * One statement per chunk, the rows as ONE jsonb parameter (jsonb_to_recordset): far cheaper
 * than binding 31 parameters per row. Newer versions win; an equal version re-applies
 * (idempotent) unless the deal was removed since, so a redelivered old upsert never resurrects
 * a tombstoned deal.
 */
const INSERT = sql.raw(`insert into discounts (${NAMES.join(', ')}) select ${SELECT} from jsonb_to_recordset(`);
const CONFLICT = sql.raw(`::jsonb) as x(${RECORD}) on conflict (id) do update set ${UPDATE}
  where discounts.version < excluded.version or (discounts.version = excluded.version and not discounts.removed)`);

export async function applyToPostgres(db: Kysely<Database>, plan: BatchPlan): Promise<void> {
  if (plan.upserts.length === 0 && plan.removals.length === 0) return;
  await db.transaction().execute(async (tx) => {
    for (let i = 0; i < plan.upserts.length; i += UPSERT_CHUNK) {
      const rows = rowsJson(plan.upserts.slice(i, i + UPSERT_CHUNK));
      await sql`${INSERT}${rows}${CONFLICT}`.execute(tx);
    }
    if (plan.removals.length > 0) {
      await tx.updateTable('discounts').set({ removed: true }).where('id', 'in', plan.removals).execute();
    }
  });
}

/** Rebuilds one location: value + its version + sync time in one MULTI (atomic), then the sync row. */
export async function rebuildLocation(
  db: Kysely<Database>, redis: Redis, redisPrefix: string, locationId: string, now: Date,
): Promise<number> {
  const { value, count } = await buildLocationValue(db, locationId);
  const keys = redisKeys(redisPrefix);
  await redis.multi()
    .set(keys.discounts(locationId), value)
    .set(keys.discountsVersion(locationId), valueVersion(value))
    .set(keys.sync(locationId), now.toISOString())
    .exec()
    .then((res) => {
      const failed = res?.find(([err]) => err)?.[0];
      if (failed) throw failed;
      if (!res) throw new Error('redis transaction aborted');
    });
  await db.insertInto('location_sync').values({ location_id: locationId, last_sync: now, deal_count: count })
    .onConflict((oc) => oc.column('location_id').doUpdateSet({ last_sync: now, deal_count: count }))
    .execute();
  return count;
}
