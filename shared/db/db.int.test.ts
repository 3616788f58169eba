import { sql } from 'kysely';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { createDb } from './db';

describe('createDb (real Postgres)', () => {
  let world: TestWorld;
  beforeAll(async () => { world = await createTestWorld('db'); });
  afterAll(async () => { await world.close(); });

  it('survives an idle pooled connection being terminated, reports it, and reconnects on the next query', async () => {
    const errors: Error[] = [];
    const db = createDb(world.databaseUrl, 1, (e) => errors.push(e));
    try {
      const { rows: [me] } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
      // the connection now sits idle in the pool; kill it from another session
      await sql`select pg_terminate_backend(${me!.pid})`.execute(world.db);
      for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(errors.map((e) => e.message).join()).toMatch(/terminat/i);
      const { rows: [again] } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
      expect(again!.pid).not.toBe(me!.pid);
    } finally {
      await db.destroy();
    }
  });
});
