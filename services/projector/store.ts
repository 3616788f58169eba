/**
 * Applying a batch plan: Postgres first (one transaction, older versions ignored IN SQL), then
 * each touched location's Redis value rebuilt from Postgres with one atomic write.
 */
import { sql } from 'kysely';
import type { Kysely } from '../../shared/db/db';
import type { Database, NewDiscountRow } from '../../shared/db/schema';
import { redisKeys, type Redis } from '../../shared/redis';
import { buildLocationValue } from '../../shared/storefront';
import type { BatchPlan } from './handler';

const UPSERT_CHUNK = 500; // 32 columns x 500 rows stays well under Postgres's 65535 parameters
const COLUMNS = [
  'location_id', 'discount_id', 'source', 'name', 'discount_code', 'discount_type', 'calculation_method_id',
  'discount_amount', 'is_active', 'is_available_online', 'valid_from', 'valid_until', 'start_time', 'end_time',
  'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'products', 'brands',
  'product_categories', 'first_time_customer_only', 'minimum_items_required', 'payload', 'version', 'removed', 'synced_at',
] as const satisfies ReadonlyArray<Exclude<keyof NewDiscountRow, 'id'>>;

export async function applyToPostgres(db: Kysely<Database>, plan: BatchPlan): Promise<void> {
  if (plan.upserts.length === 0 && plan.removals.length === 0) return;
  await db.transaction().execute(async (tx) => {
    for (let i = 0; i < plan.upserts.length; i += UPSERT_CHUNK) {
      await tx.insertInto('discounts').values(plan.upserts.slice(i, i + UPSERT_CHUNK))
        .onConflict((oc) => oc.column('id')
          .doUpdateSet(Object.fromEntries(COLUMNS.map((c) => [c, sql.ref(`excluded.${c}`)])))
          // Newer versions win; an equal version re-applies (idempotent) unless the deal was removed
          // since, so a redelivered old upsert never resurrects a tombstoned deal.
          .where((eb) => eb.or([
            eb('discounts.version', '<', eb.ref('excluded.version')),
            eb.and([eb('discounts.version', '=', eb.ref('excluded.version')), eb('discounts.removed', '=', false)]),
          ])))
        .execute();
    }
    if (plan.removals.length > 0) {
      await tx.updateTable('discounts').set({ removed: true }).where('id', 'in', plan.removals).execute();
    }
  });
}

/** Rebuilds one location: value + sync time in one MULTI (atomic), then the sync row. */
export async function rebuildLocation(
  db: Kysely<Database>, redis: Redis, redisPrefix: string, locationId: string, now: Date,
): Promise<number> {
  const { value, count } = await buildLocationValue(db, locationId);
  const keys = redisKeys(redisPrefix);
  await redis.multi().set(keys.discounts(locationId), value).set(keys.sync(locationId), now.toISOString()).exec()
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
