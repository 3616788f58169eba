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

describe('0008: opaque store ids, packages', () => {
  let world: TestWorld;
  beforeAll(async () => { world = await createTestWorld('migrate8'); });
  afterAll(async () => { await world.close(); });
  const migrator = () => new Migrator({ db: world.db, provider: { getMigrations: () => Promise.resolve(migrations) } });
  const STORE = '00000000-0000-4000-8000-000000000001';

  it('keeps a store and its deals across the uuid -> text change, and drops the product-keyed inventory state', async () => {
    expect((await migrator().migrateTo('0007_discounts_payload_json')).error).toBeUndefined();
    await sql`insert into locations (id, name, state, time_zone, lsp_id, pos_loc_id, dutchie_api) values (${STORE}, 'Mint', 'AZ', 'America/Phoenix', 1, 2, 'pos')`.execute(world.db);
    await sql`insert into discounts (id, location_id, discount_id, source, name, discount_type, is_active, is_available_online,
      monday, tuesday, wednesday, thursday, friday, saturday, sunday, payload, version, synced_at, time_zone)
      values (${`${STORE}_7`}, ${STORE}, '7', 'dutchie', 'n', 'percent', true, true, true, true, true, true, true, true, true, '{}', 1, now(), 'America/Phoenix')`.execute(world.db);
    await sql`insert into inventory_published (location_id, product_id, content_hash, fetched_at) values (${STORE}, '5012', 'h', 1)`.execute(world.db);
    await sql`insert into inventory (id, location_id, product_id, sku, name, price, quantity, item, version, synced_at)
      values (${`${STORE}_5012`}, ${STORE}, '5012', 'S', 'N', 1, 1, '{}', 1, now())`.execute(world.db);

    await migrateToLatest(world.db);
    expect(await world.db.selectFrom('discounts').select(['id', 'location_id']).execute()).toEqual([{ id: `${STORE}_7`, location_id: STORE }]);
    expect(await world.db.selectFrom('inventory_published').selectAll().execute()).toEqual([]); // republished to the v2 topic by the next cycle
    expect(await world.db.selectFrom('inventory').selectAll().execute()).toEqual([]);
    // a store id that is not a UUID is accepted everywhere now
    const hex = 'abcdef0123456789abcdef01';
    await world.db.insertInto('locations').values({ id: hex, name: 'Mint NV', city: 'Reno', slug: 'mint-nv', state: 'NV', time_zone: 'America/Los_Angeles', lsp_id: 1, pos_loc_id: 3, dutchie_api: 'pos', org_id: null }).execute();
    await world.db.insertInto('location_sync').values({ location_id: hex, last_sync: new Date(), deal_count: 0 }).execute();
    await world.db.insertInto('inventory_published').values({ location_id: hex, inventory_id: '9', content_hash: 'h', fetched_at: 1 }).execute();
    expect((await world.db.selectFrom('locations').select(['id', 'city', 'slug']).where('id', '=', hex).executeTakeFirstOrThrow())).toEqual({ id: hex, city: 'Reno', slug: 'mint-nv' });
  });

  it('goes back down while every store id is a UUID', async () => {
    await world.db.deleteFrom('location_sync').execute();
    await world.db.deleteFrom('inventory_published').execute();
    await world.db.deleteFrom('locations').where('id', '<>', STORE).execute();
    expect((await migrator().migrateTo('0007_discounts_payload_json')).error).toBeUndefined();
    const cols = await sql<{ data_type: string }>`select data_type from information_schema.columns where table_name = 'locations' and column_name = 'id'`.execute(world.db);
    expect(cols.rows[0]!.data_type).toBe('uuid');
    await migrateToLatest(world.db);
  });
});
