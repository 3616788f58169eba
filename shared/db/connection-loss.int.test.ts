/**
 * Postgres ending a session that is checked out between queries (a transaction while JavaScript
 * works, the projector's switch lock held for a whole batch) must not kill the process with an
 * unhandled 'error' event: the work in hand fails (an outage its caller waits out) and the next
 * connection works once Postgres is back. The fault suite saw a projector die of exactly this.
 * Runs on a private Postgres cluster of its own, stopped and started here.
 */
import { sql } from 'kysely';
import { createSwitchLock } from '../../services/projector/switch-lock';
import { givenPrivatePostgres, type PrivatePostgres } from '../../test/support/private-servers';
import { createDb } from './db';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a checked-out Postgres connection lost between queries', () => {
  let pg: PrivatePostgres;
  beforeAll(async () => { pg = await givenPrivatePostgres(); }, 120_000);
  afterAll(async () => { await pg?.destroy(); });

  it('fails the transaction in hand, not the process; the next query reconnects', async () => {
    const db = createDb(pg.url, 2);
    try {
      const tx = db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        await pg.stop(); // the session ends while the transaction waits here, between queries
        await sleep(300);
        await sql`select 2`.execute(trx);
      });
      await expect(tx).rejects.toThrow();
      await pg.start();
      const { rows } = await sql<{ n: number }>`select 3 as n`.execute(db);
      expect(rows).toEqual([{ n: 3 }]);
    } finally {
      await db.destroy();
    }
  }, 120_000);

  it("the projector's switch lock held across a lost session lets its batch finish and works again after", async () => {
    const lock = createSwitchLock(pg.url, 2);
    try {
      const held = await lock.shared(async () => { await pg.stop(); await sleep(300); return 'batch done'; });
      expect(held).toBe('batch done');
      await pg.start();
      expect(await lock.exclusive(async () => 'switched')).toBe('switched');
    } finally {
      await lock.close();
    }
  }, 120_000);
});
