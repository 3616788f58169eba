/**
 * The poller: each store's Odoo store id (PTL deals target Odoo store ids), and what the poller has
 * published per deal (content hash), so a restart republishes nothing that did not change.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('locations').addColumn('odoo_store_id', 'integer').execute();
  await db.schema
    .createTable('poller_published')
    .addColumn('location_id', 'uuid', (c) => c.notNull())
    .addColumn('discount_id', 'text', (c) => c.notNull()) // Dutchie id as text, or ptl_{odoo id}
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('dutchie', 'ptl')`))
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('fetched_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('poller_published_pk', ['location_id', 'discount_id'])
    .execute();
  await db.schema.createIndex('poller_published_location_source_idx').on('poller_published').columns(['location_id', 'source']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('poller_published').execute();
  await db.schema.alterTable('locations').dropColumn('odoo_store_id').execute();
}
