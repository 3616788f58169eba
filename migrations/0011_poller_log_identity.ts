/**
 * The poller's memory tied to the log it describes (issue 16): beside the published hashes, the
 * identity of each raw topic they were published to (the cluster id, and each partition's end
 * offset after the poller's last cycle). A replaced cluster, or a log whose end went backwards
 * (wiped, re-created), no longer holds what the hashes say: the next cycle publishes everything.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('poller_log_identity')
    .addColumn('topic', 'text', (c) => c.primaryKey()) // the unprefixed topic name (shared/topics.ts)
    .addColumn('cluster_id', 'text', (c) => c.notNull())
    .addColumn('ends', 'jsonb', (c) => c.notNull()) // {partition: end offset}
    .addColumn('checked_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('poller_log_identity').execute();
}
