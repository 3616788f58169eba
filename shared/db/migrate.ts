/** Runs migrations/ with kysely's Migrator (a static provider: works under tsx, jest and node). */
import { Migrator, type Kysely, type MigrationResultSet } from 'kysely';
import { Client } from 'pg';
import { migrations } from '../../migrations';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations work on any database type
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, allowUnorderedMigrations: true, provider: { getMigrations: () => Promise.resolve(migrations) } });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error instanceof Error ? result.error : new Error(`migration failed: ${JSON.stringify(result.error)}`);
  return result;
}

/** Creates the database named in the URL when it does not exist (connecting to `postgres`). */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unsupported database name: ${name}`);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await client.query(`create database "${name}"`).catch((e: { code?: string }) => { if (e.code !== '42P04') throw e; });
  } finally {
    await client.end();
  }
}
