/** The store list and the deals read model (the source document's `discounts` table). */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('locations')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('state', 'varchar(2)', (c) => c.notNull())
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('lsp_id', 'integer', (c) => c.notNull())
    .addColumn('pos_loc_id', 'integer', (c) => c.notNull())
    .addColumn('dutchie_api', 'text', (c) => c.notNull().check(sql`dutchie_api in ('pos', 'backoffice')`))
    .addColumn('org_id', 'integer')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('discounts')
    .addColumn('id', 'text', (c) => c.primaryKey()) // {locationId}_{discountId}
    .addColumn('location_id', 'uuid', (c) => c.notNull())
    .addColumn('discount_id', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('dutchie', 'ptl')`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('discount_code', 'text')
    .addColumn('discount_type', 'text', (c) => c.notNull())
    .addColumn('calculation_method_id', 'integer')
    .addColumn('discount_amount', sql`numeric(20,6)`)
    .addColumn('is_active', 'boolean', (c) => c.notNull())
    .addColumn('is_available_online', 'boolean', (c) => c.notNull())
    .addColumn('valid_from', 'timestamptz')
    .addColumn('valid_until', 'timestamptz')
    .addColumn('start_time', 'time')
    .addColumn('end_time', 'time')
    .addColumn('monday', 'boolean', (c) => c.notNull())
    .addColumn('tuesday', 'boolean', (c) => c.notNull())
    .addColumn('wednesday', 'boolean', (c) => c.notNull())
    .addColumn('thursday', 'boolean', (c) => c.notNull())
    .addColumn('friday', 'boolean', (c) => c.notNull())
    .addColumn('saturday', 'boolean', (c) => c.notNull())
    .addColumn('sunday', 'boolean', (c) => c.notNull())
    .addColumn('products', 'jsonb')
    .addColumn('brands', 'jsonb')
    .addColumn('product_categories', 'jsonb')
    .addColumn('first_time_customer_only', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('minimum_items_required', 'integer')
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('removed', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('synced_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('discounts_location_idx').on('discounts').columns(['location_id', 'removed']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('discounts').execute();
  await db.schema.dropTable('locations').execute();
}
