import { randomUUID } from 'node:crypto';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { createLogger } from '../../shared/logger';
import { createOdooClient } from './odoo-client';
import { createStoreDirectory } from './stores';
import { AZ_LOCATION } from '../../test/support/odoo-fixtures';
import { givenAzLocation, startSandboxOdoo, type SandboxOdoo } from '../../test/support/odoo-sink';

describe('store directory: location UUID → Odoo mint.store', () => {
  let world: TestWorld;
  let odoo: SandboxOdoo;
  beforeAll(async () => { world = await createTestWorld('odoo-stores'); odoo = await startSandboxOdoo(); await givenAzLocation(world.db); });
  afterAll(async () => { await odoo.close(); await world.close(); });

  it('uses the poller\'s odoo_store_id, else finds the store by LocId, and asks again for an unknown one only after the TTL', async () => {
    const recorded = randomUUID();
    const unknown = randomUUID();
    await world.db.insertInto('locations').values([
      { id: recorded, name: 'recorded', state: 'AZ', time_zone: 'America/Phoenix', lsp_id: 1, pos_loc_id: 777, dutchie_api: 'pos', org_id: null, odoo_store_id: 42 },
      { id: unknown, name: 'not in odoo', state: 'AZ', time_zone: 'America/Phoenix', lsp_id: 1, pos_loc_id: 999, dutchie_api: 'pos', org_id: null },
    ]).execute();
    const client = createOdooClient({ settings: { url: odoo.server.url, db: odoo.auth.db, login: odoo.auth.login, apiKey: odoo.auth.apiKey, timeoutMs: 2000, retries: 0 }, logger: createLogger('t', 'silent') });
    let now = 0;
    const stores = createStoreDirectory({ db: world.db, odoo: client, lookup: { model: 'mint.store', locField: 'dutchie_loc_id' }, now: () => now, missTtlMs: 1000 });
    odoo.store.resetCalls();

    const first = await stores.resolve([AZ_LOCATION, recorded, unknown, 'not-a-uuid']);
    expect(first).toEqual(new Map([[AZ_LOCATION, odoo.storeId], [recorded, 42]]));
    expect(odoo.calls()['mint.store.search_read']).toBe(1);

    await stores.resolve([AZ_LOCATION, recorded, unknown]);
    expect(odoo.calls()['mint.store.search_read']).toBe(1); // cached, and the miss is not asked again yet
    now = 1500;
    await stores.resolve([unknown]);
    expect(odoo.calls()['mint.store.search_read']).toBe(2);
  });
});
