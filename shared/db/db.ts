/** kysely over a pg Pool. */
import { Kysely, PostgresDialect } from 'kysely';
import { Pool, types } from 'pg';
import type { Database } from './schema';

// numeric -> string (never a float); int8 stays a string too (kysely ColumnType says so).
types.setTypeParser(types.builtins.NUMERIC, (v) => v);

export function createDb(databaseUrl: string, max = 10): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: databaseUrl, max }) }) });
}

export type { Kysely };
