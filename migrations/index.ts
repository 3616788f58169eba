/**
 * Every migration, in order. Static imports (not a folder scan) so the same list runs under
 * tsx, jest and compiled node. Add new files here with the next number.
 */
import type { Migration } from 'kysely';
import * as m0001 from './0001_locations_and_discounts';
import * as m0004 from './0004_discounts';

export const migrations: Record<string, Migration> = {
  '0001_locations_and_discounts': m0001,
  '0004_discounts': m0004,
};
