/**
 * Running a real chain (issue 14):
 * - `locations` are kept by the store directory (the chain's CMS or a JSON file): `has_store_key` says the
 *   directory gave the store its own POS key (held in the poller's memory only, never stored), and
 *   `directory_seen_at` when the directory last listed it.
 * - `store_withdrawals`: a store marked inactive in the directory leaves `locations` at once and is queued
 *   here; the deal cycle and the inventory cycle each publish the removal of everything they published
 *   for it, under their own lock, and record when.
 * - `product_enrichment`: the projector's copy of `products.enrichment.v1` (phase 2), joined into the
 *   inventory snapshots by SKU. `enrichment_published`: the enricher's content hash per SKU (change-only).
 * - `odoo_inventory_packages`: phase 5's fold of `inventory.items.v2` (the packages of each store and SKU,
 *   newest version wins), from which it computes what Odoo must hold per store and SKU.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('locations').addColumn('has_store_key', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
  await db.schema.alterTable('locations').addColumn('directory_seen_at', 'timestamptz').execute();

  await db.schema.createTable('store_withdrawals')
    .addColumn('location_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    // what the removal events carry (the store's row is gone from `locations`)
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('pos_loc_id', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deals_done_at', 'timestamptz')
    .addColumn('inventory_done_at', 'timestamptz')
    .execute();

  await db.schema.createTable('product_enrichment')
    .addColumn('sku', 'text', (c) => c.primaryKey())
    .addColumn('payload', 'json', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('removed', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('synced_at', 'timestamptz', (c) => c.notNull())
    .execute();
  // the join: a location's live packages by SKU
  await db.schema.createIndex('inventory_sku_idx').on('inventory').columns(['sku', 'location_id']).execute();

  await db.schema.createTable('enrichment_published')
    .addColumn('sku', 'text', (c) => c.primaryKey())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('published_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createTable('odoo_inventory_packages')
    .addColumn('id', 'text', (c) => c.primaryKey()) // {locationId}_{inventoryId}
    .addColumn('location_id', 'text', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('package', 'json', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('removed', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema.createIndex('odoo_inventory_packages_sku_idx').on('odoo_inventory_packages').columns(['location_id', 'sku']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('odoo_inventory_packages').execute();
  await db.schema.dropTable('enrichment_published').execute();
  await db.schema.dropIndex('inventory_sku_idx').execute();
  await db.schema.dropTable('product_enrichment').execute();
  await db.schema.dropTable('store_withdrawals').execute();
  await db.schema.alterTable('locations').dropColumn('directory_seen_at').execute();
  await db.schema.alterTable('locations').dropColumn('has_store_key').execute();
}
