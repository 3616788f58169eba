/**
 * Dead-letter redrive (issue 16): which dead letters went back to their origin topic, so a letter is
 * never redriven twice unless asked (`npm run redrive -- --again`).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('dlq_redriven')
    .addColumn('dlq_topic', 'text', (c) => c.notNull()) // the unprefixed DLQ topic name
    .addColumn('partition', 'integer', (c) => c.notNull())
    .addColumn('offset', 'bigint', (c) => c.notNull())
    .addColumn('origin_topic', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('redriven_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('dlq_redriven_pk', ['dlq_topic', 'partition', 'offset'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('dlq_redriven').execute();
}
