/**
 * odoo-sink: the newest version of each deal it has applied to Odoo, so a replay of an uncompacted
 * log never re-applies an older state (which would mean two writes for a deal that is already right).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('odoo_sink_applied')
    .addColumn('deal_key', 'text', (c) => c.primaryKey()) // {locationId}_{discountId}
    .addColumn('version', 'bigint', (c) => c.notNull()) // the deal's version (fetch time, ms)
    .addColumn('removed', 'boolean', (c) => c.notNull())
    .addColumn('applied_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('odoo_sink_applied').execute();
}
