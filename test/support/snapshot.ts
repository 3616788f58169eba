/** Then-helpers: the projected state of a world (live rows and every Redis value of its prefix). */
import type { TestWorld } from './integration';

export interface ProjectedState { rows: unknown[]; redis: Record<string, string> }

export async function projectedState(world: TestWorld): Promise<ProjectedState> {
  const rows = await world.db.selectFrom('discounts')
    .select(['id', 'location_id', 'discount_amount', 'version', 'name', 'valid_until', 'payload', 'synced_at'])
    .where('removed', '=', false).orderBy('id').execute();
  const keys = (await world.redis.keys(`${world.redisPrefix}discounts:*`)).sort();
  const values = keys.length ? await world.redis.mget(...keys) : [];
  return { rows, redis: Object.fromEntries(keys.map((k, i) => [k, values[i] ?? ''])) };
}
