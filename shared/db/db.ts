/** kysely over a pg Pool. */
import { Kysely, PostgresDialect } from 'kysely';
import { Pool, types } from 'pg';
import type { Logger } from '../logger';
import type { Database } from './schema';

// numeric -> string (never a float); int8 stays a string too (kysely ColumnType says so).
types.setTypeParser(types.builtins.NUMERIC, (v) => v);

/**
 * `onIdleError`: an idle pooled connection that fails (Postgres restarted, the backend terminated,
 * the database dropped) is emitted by pg as an 'error' event, which would crash the process if nobody
 * listened. The pool has already discarded that client and the next query opens a new one, so the
 * default only ignores it; services pass their logger.
 */
export function createDb(databaseUrl: string, max = 10, onIdleError: (err: Error) => void = () => undefined, searchPath?: readonly string[]): Kysely<Database> {
  // a search path puts a schema's tables in front of public's (a rebuild's shadow tables, services/projector/shadow.ts)
  const pool = new Pool({ connectionString: databaseUrl, max, ...(searchPath ? { options: `-c search_path=${searchPath.join(',')}` } : {}) });
  pool.on('error', onIdleError);
  // a connection checked out but between queries (a transaction while JavaScript works, the poller's
  // session holding its cycle lock) is not the pool's to watch: its loss would be an unhandled 'error'
  // that kills the process. Its next query fails instead (an outage the caller waits out) and the pool
  // discards it on release.
  pool.on('connect', (client) => { client.on('error', onIdleError); });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** The `onIdleError` of a service: one warning, the pool reconnects by itself. */
export function warnIdleError(logger: Logger): (err: Error) => void {
  return (err) => { logger.warn({ err: err.message }, 'idle Postgres connection lost; the next query reconnects'); };
}

export type { Kysely };
