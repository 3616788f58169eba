/**
 * Every migration, in order. Static imports (not a folder scan) so the same list runs under
 * tsx, jest and compiled node. Add new files here with the next number.
 */
import type { Migration } from 'kysely';
import * as m0001 from './0001_locations_and_discounts';
import * as m0006 from './0006_inventory';

export const migrations: Record<string, Migration> = {
  '0001_locations_and_discounts': m0001,
  '0006_inventory': m0006,
};
