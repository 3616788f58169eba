/**
 * The lock between the live projector and a rebuild's switch (a Postgres advisory lock, per
 * database): every live batch, from its first write to Postgres to its last write to Redis, holds it
 * shared; a rebuild holds it exclusively while it reads the last events into its shadow and swaps
 * the shadow in. So no live update can fall between the shadow's last event and the switch, and the
 * live projector only pauses for the switch itself. Its own small pool: a session lock pins a connection.
 */
import { Pool } from 'pg';

const SWITCH_LOCK = 0x64_73_72_62; // "dsrb"

export interface SwitchLock {
  /** runs `fn` while holding the lock shared (a live batch) */
  shared<T>(fn: () => Promise<T>): Promise<T>;
  /** runs `fn` while holding the lock exclusively (a switch): waits for the live batches in flight */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function createSwitchLock(databaseUrl: string, max = 4): SwitchLock {
  const pool = new Pool({ connectionString: databaseUrl, max });
  pool.on('error', () => undefined); // an idle connection lost: the pool reconnects on the next use
  const hold = async <T>(mode: 'shared' | 'exclusive', fn: () => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let broken = false;
    // the pool listens to idle connections only: a session Postgres ends while the lock is held (a
    // restart, an outage) would otherwise be an unhandled 'error' event that kills the process
    const lost = (): void => { broken = true; };
    client.on('error', lost);
    try {
      await client.query(mode === 'shared' ? 'select pg_advisory_lock_shared($1)' : 'select pg_advisory_lock($1)', [SWITCH_LOCK]);
      try {
        return await fn();
      } finally {
        await client.query(mode === 'shared' ? 'select pg_advisory_unlock_shared($1)' : 'select pg_advisory_unlock($1)', [SWITCH_LOCK])
          .catch(() => { broken = true; }); // a lost session released its locks with it
      }
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  };
  return {
    shared: (fn) => hold('shared', fn),
    exclusive: (fn) => hold('exclusive', fn),
    close: () => pool.end(),
  };
}
