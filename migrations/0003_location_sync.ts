/** Projector: when each location's read model (Postgres rows + Redis key) was last rebuilt. */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('location_sync')
    .addColumn('location_id', 'uuid', (c) => c.primaryKey())
    .addColumn('last_sync', 'timestamptz', (c) => c.notNull())
    .addColumn('deal_count', 'integer', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('location_sync').execute();
}
