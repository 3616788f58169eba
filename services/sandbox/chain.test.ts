/**
 * The sandbox's chain pieces (issue 14): the CMS's Strapi contract (token, pagination, errors), Dutchie's
 * /whoami and per-store keys (a revoked key is a 401 everywhere, Backoffice still reads the store),
 * opening a store, and Odoo's product and stock models (variants, warehouse locations, unique codes).
 */
import request from 'supertest';
import { Sandbox } from './sandbox';

const given = () => {
  const sb = new Sandbox({ markets: ['AZ', 'FL'], lspsPerMarket: 1, storesPerLsp: 2, dealsPerLsp: 20, includeFixture: false, ptlDealsPerMarket: 0 });
  return { sb, apps: sb.apps() };
};
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

describe('sandbox CMS (Strapi)', () => {
  it('lists the stores with the token only, in pages of at most 100, with Strapi errors otherwise', async () => {
    const { sb, apps } = given();
    const list = (q: string, token: string | null = sb.cms.token) => {
      const r = request(apps.cms).get(`/api/stores${q}`);
      return token === null ? r : r.set('authorization', `Bearer ${token}`);
    };
    const none = await list('', null);
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ data: null, error: { status: 401, name: 'UnauthorizedError', message: 'Missing or invalid credentials', details: {} } });
    expect((await list('', 'wrong')).status).toBe(401);
    const all = await list('?pagination[limit]=100');
    expect(all.status).toBe(200);
    expect(all.body.meta).toEqual({ pagination: { start: 0, limit: 100, total: 4 } });
    const entries = all.body.data as Array<Record<string, unknown>>;
    expect(entries.map((e) => e.DutchieStoreID).sort()).toEqual(sb.state.stores.map((s) => s.id).sort());
    for (const e of entries) {
      const store = sb.state.stores.find((s) => s.id === e.DutchieStoreID)!;
      expect(e).toMatchObject({ name: store.name, slug: store.slug, is_active: true, DutchieLspId: store.lspId, DutchieOrgId: store.orgId });
      // a POS store has its key and nothing /whoami says; a Backoffice store has no key and its LocId, city and state
      if (store.api === 'pos') expect(e).toMatchObject({ dutchieApiKey: sb.state.storeKeys.get(store.posLocId) }); else expect(e).toMatchObject({ dutchieApiKey: null, DutchieLocId: store.posLocId, city: store.city, state: 'FL' });
      expect(e.DutchieLocId === undefined).toBe(store.api === 'pos');
    }
    expect((await list('?pagination[limit]=1000')).body.meta.pagination.limit).toBe(100);
    const page2 = await list('?pagination[start]=3&pagination[limit]=2');
    expect(page2.body.data).toHaveLength(1);
    expect((await list('?pagination[page]=2&pagination[pageSize]=3')).body.meta).toEqual({ pagination: { page: 2, pageSize: 3, pageCount: 2, total: 4 } });
    const bad = await list('?pagination[limit]=x');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ status: 400, name: 'ValidationError' });
    expect((await list('?pagination[start]=0&pagination[page]=1')).body.error.message).toMatch(/both page & offset/);
  });
});

describe('sandbox Dutchie keys', () => {
  it('/whoami names the key\'s store; a revoked key is refused everywhere while Backoffice still reads the store', async () => {
    const { sb, apps } = given();
    const store = sb.state.stores.find((s) => s.api === 'pos')!;
    const key = sb.state.storeKeys.get(store.posLocId)!;
    const who = await request(apps.pos).get('/whoami').set('authorization', basic(key));
    expect(who.body).toEqual({ locationId: store.posLocId, locationName: store.name, address: expect.any(String), city: store.city, state: 'AZ' });
    expect((await request(apps.pos).get('/whoami').set('authorization', basic('nope'))).status).toBe(401);
    expect((await request(apps.pos).get('/discounts/v2/list').set('authorization', basic(key))).status).toBe(200);
    // a store's own key reads its own inventory without naming it
    expect((await request(apps.pos).get('/reporting/inventory').set('authorization', basic(key))).status).toBe(200);
    expect((await request(apps.pos).post(`/admin/stores/${store.posLocId}/revoke-pos-key`)).body).toEqual({ revoked: true });
    for (const path of ['/whoami', '/discounts/v2/list', '/reporting/inventory']) expect((await request(apps.pos).get(path).set('authorization', basic(key))).status).toBe(401);
    const login = await request(apps.backoffice).post('/api/user/login').set('appname', 'Backoffice').send({ Username: sb.state.backofficeUser.username, Password: sb.state.backofficeUser.password });
    const sid = login.body.Data.SessionId as string;
    const bo = await request(apps.backoffice).post('/api/v2/discount/get-discount').set('cookie', `LLSession=${sid}`)
      .send({ SessionId: sid, LspId: store.lspId, OrgId: store.orgId, UserId: 4242, IncludeInactive: true });
    expect(bo.status).toBe(200);
    expect(bo.body.Data.length).toBe(sb.state.deals(store.lspId).length);
  });

  it('a store opened in an LSP gets a key, a mint.store, an active CMS entry and an inventory', async () => {
    const { sb, apps } = given();
    const lspId = sb.state.stores.find((s) => s.api === 'pos')!.lspId;
    const res = await request(apps.pos).post('/admin/stores').send({ lspId, city: 'Yuma' });
    expect(res.status).toBe(201);
    const { store, entry } = res.body as { store: { posLocId: number; id: string; odooStoreId: number }; entry: Record<string, unknown> };
    expect(entry).toMatchObject({ DutchieStoreID: store.id, is_active: true, dutchieApiKey: sb.state.storeKeys.get(store.posLocId) });
    expect(sb.odoo.records('mint.store', [['id', '=', store.odooStoreId]])[0]).toMatchObject({ dutchie_loc_id: store.posLocId });
    expect(sb.inventory.list(store.posLocId)!.length).toBeGreaterThan(0);
    expect((await request(apps.pos).post('/admin/stores').send({ lspId: 999 })).status).toBe(404);
  });
});

describe('sandbox Odoo products and stock', () => {
  it('a template brings its variant (default_code follows), a warehouse its stock location; warehouse codes are unique and short', () => {
    const { sb } = given();
    const tmpl = sb.odoo.create('product.template', { name: 'X', default_code: 'SKU-1', x_dutchie_store_id: 'loc-a' }) as number;
    const [variant] = sb.odoo.records('product.product', [['product_tmpl_id', '=', tmpl]]);
    expect(variant).toMatchObject({ default_code: 'SKU-1', x_dutchie_store_id: 'loc-a' });
    sb.odoo.write('product.template', [tmpl], { default_code: 'SKU-2' });
    expect(sb.odoo.records('product.product', [['product_tmpl_id', '=', tmpl]])[0]!.default_code).toBe('SKU-2');
    expect(typeof sb.odoo.records('product.template', [['id', '=', tmpl]])[0]!.write_date).toBe('string');
    const wh = sb.odoo.create('stock.warehouse', { name: 'Mint Tempe', code: 'MTEMP' }) as number;
    const [w] = sb.odoo.read('stock.warehouse', [wh], ['lot_stock_id']);
    expect(w!.lot_stock_id).toEqual([expect.any(Number), 'MTEMP/Stock']);
    expect(() => sb.odoo.create('stock.warehouse', { name: 'Other', code: 'MTEMP' })).toThrow(/unique/);
    expect(() => sb.odoo.create('stock.warehouse', { name: 'Third', code: 'TOOLONG' })).toThrow(/longer than 5/);
    sb.odoo.unlink('product.template', [tmpl]);
    expect(sb.odoo.records('product.product', [['product_tmpl_id', '=', tmpl]])).toEqual([]);
  });

  it('describes a share of each store\'s products in the catalog, by SKU', () => {
    const { sb } = given();
    const catalog = sb.odoo.records('product.template', [['x_dutchie_store_id', '=', false]]);
    const skus = new Set(sb.state.stores.flatMap((s) => sb.inventory.list(s.posLocId)!.map((r) => r.sku)));
    expect(catalog.length).toBeGreaterThan(skus.size * 0.2);
    expect(catalog.length).toBeLessThan(skus.size * 0.4);
    for (const t of catalog) expect(skus.has(String(t.default_code))).toBe(true);
    expect(JSON.parse(String(catalog[0]!.x_images))).toEqual(expect.arrayContaining([expect.stringMatching(/^https:/)]));
  });
});
