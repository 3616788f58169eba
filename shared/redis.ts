/** ioredis client factory and the key names of the read models. */
import Redis from 'ioredis';

export function createRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 3, enableAutoPipelining: true });
}

export const redisKeys = (prefix: string) => ({
  discounts: (locationId: string) => `${prefix}discounts:${locationId}`,
  /** sha1 of the current `discounts:` value, written in the same MULTI: readers check it before fetching the value. */
  discountsVersion: (locationId: string) => `${prefix}discounts-version:${locationId}`,
  /** ISO instant of the projector's last rebuild of the location (written with the value). */
  sync: (locationId: string) => `${prefix}sync:${locationId}`,
  /** hash {computedAt, snapshot}: the precomputed inventory of a location (shared/inventory) */
  inventory: (locationId: string) => `${prefix}inventory:${locationId}`,
});

export type { Redis };
