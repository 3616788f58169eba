import request from 'supertest';
import { FaultBox } from './faults';
import { jsonApp, jsonErrors } from './http';
import { odooAdminRouter, odooRpcRouter } from './odoo-server';
import { publishPtlDeal } from './odoo-ptl';
import { OdooStore } from './odoo-store';
import { MINT_DISCOUNT } from './odoo-models';

const auth = { db: 'mint', login: 'sink@example.com', apiKey: 'k-secret', uid: 2 };

function given() {
  const store = new OdooStore();
  const faults = new FaultBox();
  const app = jsonApp();
  app.use(odooRpcRouter(store, auth, faults));
  app.use('/admin/odoo', odooAdminRouter(store, () => new Date('2026-11-21T12:00:00Z')));
  app.use(jsonErrors);
  const call = (service: string, method: string, args: unknown[]) =>
    request(app).post('/jsonrpc').send({ jsonrpc: '2.0', method: 'call', id: 7, params: { service, method, args } });
  const kw = (model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}) =>
    call('object', 'execute_kw', [auth.db, auth.uid, auth.apiKey, model, method, args, kwargs]);
  return { store, faults, app, call, kw };
}

const deal = (over: Record<string, unknown> = {}) => ({
  name: 'Mint 25%', source: 'dutchie', dutchie_discount_id: '341043', discount_type: 'percent', discount_value: 25,
  calculation_method_id: 2, is_active: true, valid_from: '2026-11-01', valid_until: false, monday: true, store_ids: [3], ...over,
});

describe('sandbox Odoo JSON-RPC', () => {
  it('authenticates with the right key and answers false (not an error) otherwise', async () => {
    const { call } = given();
    expect((await call('common', 'authenticate', [auth.db, auth.login, auth.apiKey, {}])).body).toEqual({ jsonrpc: '2.0', id: 7, result: 2 });
    expect((await call('common', 'authenticate', [auth.db, auth.login, 'wrong', {}])).body.result).toBe(false);
  });

  it('refuses object calls with a wrong uid or key with AccessDenied', async () => {
    const { call } = given();
    const res = await call('object', 'execute_kw', [auth.db, 99, auth.apiKey, 'mint.discount', 'search', [[]]]);
    expect(res.status).toBe(200);
    expect(res.body.error).toMatchObject({ code: 200, message: 'Odoo Server Error', data: { name: 'odoo.exceptions.AccessDenied' } });
  });

  it('creates (one dict or a list), reads back with Odoo conventions, writes and unlinks', async () => {
    const { kw } = given();
    const one = await kw('mint.discount', 'create', [deal()]);
    expect(one.body.result).toBe(1);
    const many = await kw('mint.discount', 'create', [[deal({ dutchie_discount_id: '2' }), deal({ dutchie_discount_id: '3', source: 'ptl' })]]);
    expect(many.body.result).toEqual([2, 3]);
    const read = await kw('mint.discount', 'read', [[1]], { fields: ['name', 'code', 'valid_until', 'store_ids', 'discount_value', 'tuesday'] });
    expect(read.body.result).toEqual([{ id: 1, name: 'Mint 25%', code: false, valid_until: false, store_ids: [3], discount_value: 25, tuesday: false }]);
    const all = await kw('mint.discount', 'read', [[1]]);
    expect(Object.keys(all.body.result[0]).sort()).toEqual(['id', ...Object.keys(MINT_DISCOUNT)].sort());
    expect((await kw('mint.discount', 'write', [[1], { name: 'Mint 30%', discount_value: 30 }])).body.result).toBe(true);
    expect((await kw('mint.discount', 'search_read', [[['id', '=', 1]]], { fields: ['name'] })).body.result).toEqual([{ id: 1, name: 'Mint 30%' }]);
    expect((await kw('mint.discount', 'unlink', [[1]])).body.result).toBe(true);
    expect((await kw('mint.discount', 'search_count', [[]])).body.result).toBe(2);
    expect((await kw('mint.discount', 'read', [[1]])).body.error.data.name).toBe('odoo.exceptions.MissingError');
  });

  it('evaluates domains (&, |, !, =, !=, in, not in, ilike) with limit, offset and order', async () => {
    const { kw } = given();
    await kw('mint.discount', 'create', [[
      deal({ name: 'Alpha Flower', dutchie_discount_id: '10', store_ids: [1] }),
      deal({ name: 'beta CART', dutchie_discount_id: '11', source: 'ptl', store_ids: [] }),
      deal({ name: 'Gamma edible', dutchie_discount_id: '12', source: 'manual', store_ids: [1, 2] }),
    ]]);
    const ids = async (domain: unknown[], kwargs: Record<string, unknown> = {}) => (await kw('mint.discount', 'search', [domain], kwargs)).body.result as number[];
    expect(await ids([['source', '=', 'dutchie']])).toEqual([1]);
    expect(await ids([['source', '!=', 'dutchie']])).toEqual([2, 3]);
    expect(await ids([['dutchie_discount_id', 'in', ['10', '12']]])).toEqual([1, 3]);
    expect(await ids([['dutchie_discount_id', 'not in', ['10', '12']]])).toEqual([2]);
    expect(await ids([['name', 'ilike', 'cart']])).toEqual([2]);
    expect(await ids(['|', ['source', '=', 'ptl'], ['source', '=', 'manual']])).toEqual([2, 3]);
    expect(await ids(['&', ['store_ids', 'in', [1]], '!', ['source', '=', 'manual']])).toEqual([1]);
    expect(await ids([['store_ids', '=', false]])).toEqual([2]);
    expect(await ids([], { order: 'name desc' })).toEqual([3, 2, 1]);
    expect(await ids([], { order: 'id asc', limit: 1, offset: 1 })).toEqual([2]);
  });

  it("answers unknown model, method or field with Odoo's error shape", async () => {
    const { kw } = given();
    const model = await kw('mint.nope', 'search', [[]]);
    expect(model.body).toMatchObject({ jsonrpc: '2.0', id: 7, error: { code: 200, message: 'Odoo Server Error', data: { name: 'builtins.KeyError' } } });
    expect((await kw('mint.discount', 'explode', [])).body.error.data.name).toBe('builtins.AttributeError');
    expect((await kw('mint.discount', 'search', [[['colour', '=', 1]]])).body.error.data.name).toBe('builtins.ValueError');
    expect((await kw('mint.discount', 'create', [deal({ colour: 'red' })])).body.error.data.message).toMatch(/Invalid field 'colour'/);
    expect((await kw('mint.discount', 'read', [[1]], { fields: ['colour'] })).body.error.data.name).toBe('builtins.ValueError');
  });

  it('rejects a wrong type or an invalid selection value with ValidationError and stores nothing', async () => {
    const { kw, store } = given();
    for (const bad of [deal({ discount_value: '25' }), deal({ source: 'pos' }), deal({ is_active: 1 }), deal({ valid_from: '2026-13-01' }), deal({ calculation_method_id: 2.5 })]) {
      const res = await kw('mint.discount', 'create', [bad]);
      expect(res.body.error.data.name).toBe('odoo.exceptions.ValidationError');
    }
    expect(store.records('mint.discount')).toHaveLength(0);
  });

  it('counts calls per method and can fail writes for a given record', async () => {
    const { kw, app } = given();
    await request(app).post('/admin/odoo/validation-faults').send({ match: { dutchie_discount_id: 'bad' }, message: 'store is closed' }).expect(201);
    await kw('mint.discount', 'create', [deal()]);
    const res = await kw('mint.discount', 'create', [deal({ dutchie_discount_id: 'bad' })]);
    expect(res.body.error.data).toMatchObject({ name: 'odoo.exceptions.ValidationError', message: 'store is closed' });
    await kw('mint.discount', 'search_read', [[]]);
    const calls = await request(app).get('/admin/odoo/calls');
    expect(calls.body.counts).toMatchObject({ 'mint.discount.create': 2, create: 2, 'mint.discount.search_read': 1 });
    expect(calls.body.counts.write).toBeUndefined();
    const listed = await request(app).get('/admin/odoo/records/mint.discount').query({ domain: JSON.stringify([['source', '=', 'dutchie']]) });
    expect(listed.body.count).toBe(1);
  });

  it('publishes a PTL deal as a mint.discount with source ptl, whole percent and the weekdays of its days', () => {
    const { store } = given();
    const { dealId, discountId } = publishPtlDeal(store, {
      name: 'PTL 20% off', market: 'AZ', discount_value: 20, date_start: '2026-11-23', date_end: '2026-11-29', weekdays: [4, 5],
    }, new Date('2026-11-21T12:00:00Z'));
    const [rec] = store.searchRead('mint.discount', [['source', '=', 'ptl']], [], {});
    expect(rec).toMatchObject({ id: discountId, dutchie_discount_id: `ptl_${dealId}`, discount_value: 20, calculation_method_id: 2, friday: true, saturday: true, monday: false, valid_from: '2026-11-23', store_ids: [], code: false });
    expect(store.searchCount('mint.ptl.day', [['state', '=', 'published']])).toBe(2);
  });

  it('injected 503 and truncated replies; malformed envelope is a 400 with a reason', async () => {
    const { faults, kw, app } = given();
    faults.add({ endpoint: 'odoo.jsonrpc', kind: 'status', status: 503, count: 1 });
    expect((await kw('mint.discount', 'search', [[]])).status).toBe(503);
    faults.add({ endpoint: 'odoo.jsonrpc', kind: 'truncate', count: 1 });
    const cut = await request(app).post('/jsonrpc').send({ params: { service: 'common', method: 'version', args: [] } }).buffer(true).parse((res, cb) => { let t = ''; res.on('data', (c: Buffer) => { t += c.toString(); }); res.on('end', () => cb(null, t)); });
    const text = String(cut.body);
    expect(() => { JSON.parse(text); }).toThrow();
    expect((await kw('mint.discount', 'search', [[]])).body.result).toEqual([]);
    const bad = await request(app).post('/jsonrpc').set('content-type', 'application/json').send('{"jsonrpc":');
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toBeDefined();
  });
});
