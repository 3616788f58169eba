/**
 * A store's id as the chain's CMS gives it (`DutchieStoreID`): opaque text. Most are Dutchie store
 * UUIDs, but not all (one real store has 24 hex digits), so nothing may assume a UUID. The id is
 * the first part of every deal and inventory key (`{locationId}_{...}`) and of Redis keys, so it
 * may not contain `_`, `:` or `/`: letters, digits and `-`, 1 to 64 of them.
 */
import { z } from 'zod';

export const LOCATION_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;

export const isLocationId = (v: unknown): v is string => typeof v === 'string' && LOCATION_ID_PATTERN.test(v);

export const locationIdSchema = z.string().regex(LOCATION_ID_PATTERN, 'a location id is 1-64 letters, digits or "-"');
