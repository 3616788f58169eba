/**
 * Partition ownership (issue 13, item 5): one row per (consumer group, topic, partition) with an epoch
 * that every claim raises. A consumer instance claims a partition when it is assigned one and checks,
 * inside each write transaction, that the epoch is still its own (shared/fencing.ts): an instance
 * that lost the partition in a rebalance can no longer write over the new owner's work.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('partition_owners')
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('partition', 'integer', (c) => c.notNull())
    .addColumn('epoch', 'bigint', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull()) // the claiming instance (for operators; never compared)
    .addColumn('claimed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('partition_owners_pk', ['group_id', 'topic', 'partition'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('partition_owners').execute();
}
