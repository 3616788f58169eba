import { sql } from 'kysely';
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
