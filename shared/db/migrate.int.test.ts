import { Migrator, sql } from 'kysely';
import { migrations } from '../../migrations';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { migrateToLatest } from './migrate';

describe('migrations on a fresh Postgres database', () => {
  let world: TestWorld;
  beforeAll(async () => { world = await createTestWorld('migrate'); });
  afterAll(async () => { await world.close(); });

  it('creates the locations and discounts tables with the composite text key', async () => {
    const cols = await sql<{ table_name: string; column_name: string; data_type: string }>`
      select table_name, column_name, data_type from information_schema.columns
      where table_schema = 'public' and table_name in ('locations', 'discounts')`.execute(world.db);
    const byName = new Map(cols.rows.map((r) => [`${r.table_name}.${r.column_name}`, r.data_type]));
    expect(byName.get('discounts.id')).toBe('text');
    expect(byName.get('discounts.products')).toBe('jsonb');
    expect(byName.get('discounts.brands')).toBe('jsonb');
    expect(byName.get('discounts.product_categories')).toBe('jsonb');
    expect(byName.get('discounts.monday')).toBe('boolean');
    expect(byName.get('discounts.sunday')).toBe('boolean');
    expect(byName.get('discounts.discount_amount')).toBe('numeric');
    expect(byName.get('discounts.payload')).toBe('json');
    expect(byName.get('discounts.time_zone')).toBe('text');
    expect(byName.get('locations.time_zone')).toBe('text');
    expect(byName.get('locations.dutchie_api')).toBe('text');
  });

  it('is a no-op the second time', async () => {
    const again = await migrateToLatest(world.db);
    expect(again.results).toEqual([]);
  });

  it('enforces the source and API vocabularies', async () => {
    await expect(world.db.insertInto('locations').values({
      id: '00000000-0000-4000-8000-000000000001', name: 'x', state: 'AZ', time_zone: 'America/Phoenix',
      lsp_id: 1, pos_loc_id: 1, dutchie_api: 'fax' as 'pos', org_id: null,
    }).execute()).rejects.toThrow(/check constraint/);
  });
});

describe('0007: discounts.payload jsonb -> json, time_zone column', () => {
  let world: TestWorld;
  beforeAll(async () => { world = await createTestWorld('migrate7'); });
  afterAll(async () => { await world.close(); });

  it('keeps the rows written before it: the zone comes out of their payload, the payload stays whole', async () => {
    // createTestWorld migrated to the latest: go back to 0006 and write a row as the projector did then.
    const migrator = new Migrator({ db: world.db, provider: { getMigrations: () => Promise.resolve(migrations) } });
    const down = await migrator.migrateTo('0006_inventory');
    expect(down.error).toBeUndefined();
    const payload = { id: 'x', timeZone: 'America/Denver', restrictions: { product: { ids: ['7'], isExclusion: false } } };
    await sql`insert into discounts (id, location_id, discount_id, source, name, discount_type, is_active, is_available_online,
      monday, tuesday, wednesday, thursday, friday, saturday, sunday, payload, version, synced_at)
      values ('00000000-0000-4000-8000-000000000001_7', '00000000-0000-4000-8000-000000000001', '7', 'dutchie', 'n', 'percent',
      true, true, true, true, true, true, true, true, true, ${JSON.stringify(payload)}::jsonb, 1, now())`.execute(world.db);

    await migrateToLatest(world.db);
    const row = await world.db.selectFrom('discounts').select(['time_zone', 'payload']).executeTakeFirstOrThrow();
    expect(row.time_zone).toBe('America/Denver');
    expect(row.payload).toEqual(payload);
  });
});
