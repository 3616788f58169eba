/**
 * Storefront compatibility (issue 12):
 * - Store ids are opaque text as the chain's CMS gives them (a UUID for most stores, 24 hex digits
 *   for one real store): every location id column goes from uuid to text.
 * - The storefront lists stores with city and slug: two nullable columns on `locations`.
 * - Inventory is one record per Dutchie inventory PACKAGE (`inventoryId`), keyed
 *   `{locationId}_{inventoryId}` as the original service was, on the new topics inventory.*.v2.
 *   The product-keyed rows and published hashes of the v1 topics are dropped: the poller's next
 *   cycle republishes every package to the v2 topics and the projector rebuilds the rows.
 */
import { sql, type Kysely } from 'kysely';

const LOCATION_COLUMNS: Array<[table: string, column: string]> = [
  ['locations', 'id'], ['discounts', 'location_id'], ['poller_published', 'location_id'], ['location_sync', 'location_id'],
  ['inventory', 'location_id'], ['inventory_published', 'location_id'],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [table, column] of LOCATION_COLUMNS) {
    await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} type text`.execute(db);
  }
  await db.schema.alterTable('locations').addColumn('city', 'text').execute();
  await db.schema.alterTable('locations').addColumn('slug', 'text').execute();

  await sql`delete from inventory`.execute(db);
  await db.schema.alterTable('inventory').addColumn('inventory_id', 'text', (c) => c.notNull()).execute();
  // the feed may omit a package's sku or name: stored as it came (the storefront copes with both)
  await db.schema.alterTable('inventory').alterColumn('sku', (c) => c.dropNotNull()).execute();
  await db.schema.alterTable('inventory').alterColumn('name', (c) => c.dropNotNull()).execute();
  await sql`delete from inventory_published`.execute(db);
  await db.schema.alterTable('inventory_published').dropConstraint('inventory_published_pk').execute();
  await db.schema.alterTable('inventory_published').renameColumn('product_id', 'inventory_id').execute();
  await db.schema.alterTable('inventory_published').addPrimaryKeyConstraint('inventory_published_pk', ['location_id', 'inventory_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from inventory_published`.execute(db);
  await db.schema.alterTable('inventory_published').dropConstraint('inventory_published_pk').execute();
  await db.schema.alterTable('inventory_published').renameColumn('inventory_id', 'product_id').execute();
  await db.schema.alterTable('inventory_published').addPrimaryKeyConstraint('inventory_published_pk', ['location_id', 'product_id']).execute();
  await sql`delete from inventory`.execute(db);
  await db.schema.alterTable('inventory').dropColumn('inventory_id').execute();
  await db.schema.alterTable('inventory').alterColumn('sku', (c) => c.setNotNull()).execute();
  await db.schema.alterTable('inventory').alterColumn('name', (c) => c.setNotNull()).execute();
  await db.schema.alterTable('locations').dropColumn('slug').execute();
  await db.schema.alterTable('locations').dropColumn('city').execute();
  // ids that are not UUIDs cannot go back: the cast fails and the migration with it
  for (const [table, column] of LOCATION_COLUMNS) {
    await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} type uuid using ${sql.ref(column)}::uuid`.execute(db);
  }
}
