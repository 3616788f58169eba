/** Redis vs Postgres, per location: deal count and a checksum of the value (sha256). */
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import { redisKeys, type Redis } from '../../shared/redis';
import { buildLocationValue, checksum, splitLocationValue } from '../../shared/storefront';

export interface LocationCheck {
  locationId: string;
  postgres: { count: number; checksum: string };
  redis: { count: number; checksum: string } | null;
  ok: boolean;
}

/** Every location Postgres knows deals for (or just `only`). */
export async function verifyLocations(db: Kysely<Database>, redis: Redis, redisPrefix: string, only?: string): Promise<LocationCheck[]> {
  const locations = only !== undefined ? [only]
    : (await db.selectFrom('discounts').select('location_id').distinct().orderBy('location_id').execute()).map((r) => r.location_id);
  const keys = redisKeys(redisPrefix);
  const out: LocationCheck[] = [];
  for (const locationId of locations) {
    const pg = await buildLocationValue(db, locationId);
    const stored = await redis.get(keys.discounts(locationId));
    const rd = stored === null ? null : { count: splitLocationValue(stored).length, checksum: checksum(stored) };
    const pgSum = { count: pg.count, checksum: checksum(pg.value) };
    out.push({ locationId, postgres: pgSum, redis: rd, ok: rd !== null && rd.count === pgSum.count && rd.checksum === pgSum.checksum });
  }
  return out;
}
