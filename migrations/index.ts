/**
 * Every migration, in order. Static imports (not a folder scan) so the same list runs under
 * tsx, jest and compiled node. Add new files here with the next number.
 */
import type { Migration } from 'kysely';
import * as m0001 from './0001_locations_and_discounts';
import * as m0002 from './0002_poller';
import * as m0003 from './0003_location_sync';
import * as m0004 from './0004_discounts';
import * as m0005 from './0005_odoo_sink';
import * as m0006 from './0006_inventory';
import * as m0007 from './0007_discounts_payload_json';
import * as m0008 from './0008_storefront_ids_and_packages';
import * as m0009 from './0009_discounts_identity';
import * as m0010 from './0010_chain';
import * as m0011 from './0011_poller_log_identity';
import * as m0012 from './0012_dlq_redriven';
import * as m0013 from './0013_partition_owners';

export const migrations: Record<string, Migration> = {
  '0001_locations_and_discounts': m0001,
  '0002_poller': m0002,
  '0003_location_sync': m0003,
  '0004_discounts': m0004,
  '0005_odoo_sink': m0005,
  '0006_inventory': m0006,
  '0007_discounts_payload_json': m0007,
  '0008_storefront_ids_and_packages': m0008,
  '0009_discounts_identity': m0009,
  '0010_chain': m0010,
  '0011_poller_log_identity': m0011,
  '0012_dlq_redriven': m0012,
  '0013_partition_owners': m0013,
};
