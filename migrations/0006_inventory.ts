/**
 * Inventory (issue 6): the read model, one row per product of a store (from inventory.items.v1),
 * and what the poller has published per product (content hash), so a restart republishes nothing
 * that did not change.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('inventory')
    .addColumn('id', 'text', (c) => c.primaryKey()) // {locationId}_{productId}
    .addColumn('location_id', 'uuid', (c) => c.notNull())
    .addColumn('product_id', 'text', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('category', 'text')
    .addColumn('brand_id', 'text')
    .addColumn('brand', 'text')
    .addColumn('price', sql`numeric(12,2)`, (c) => c.notNull())
    .addColumn('quantity', 'numeric', (c) => c.notNull())
    .addColumn('item', 'jsonb', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('removed', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('synced_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('inventory_location_idx').on('inventory').columns(['location_id', 'removed']).execute();
  await db.schema
    .createTable('inventory_published')
    .addColumn('location_id', 'uuid', (c) => c.notNull())
    .addColumn('product_id', 'text', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('fetched_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('inventory_published_pk', ['location_id', 'product_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('inventory_published').execute();
  await db.schema.dropTable('inventory').execute();
}
