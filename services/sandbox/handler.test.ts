import fs from 'node:fs';
import request from 'supertest';
import { lspCatalog, locationProducts } from './catalog';
import { toBackoffice, type PosDiscount } from './dutchie-record';
import { FIXTURE_PATH } from './state';
import { Sandbox } from './sandbox';
import { FIXTURE_STORE } from './stores';

const NOW = new Date('2026-11-21T18:00:00Z');
const small = () => new Sandbox({ now: () => NOW, lspsPerMarket: 1, storesPerLsp: 2, dealsPerLsp: 40 });
const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

describe('sandbox Dutchie POS', () => {
  it('serves the recorded fixture byte for byte to the fixture LSP key, and 401 to a wrong key', async () => {
    const sb = small();
    const { pos } = sb.apps();
    const key = sb.state.posKeys.get(FIXTURE_STORE.lspId)!;
    const res = await request(pos).get('/discounts/v2/list').query({ includeInactive: 'true', includeInclusionExclusionData: 'true' }).set('authorization', basic(key));
    expect(res.status).toBe(200);
    expect(res.text).toBe(fs.readFileSync(FIXTURE_PATH, 'utf8'));
    expect(JSON.parse(res.text)).toHaveLength(691);
    expect((await request(pos).get('/discounts/v2/list').set('authorization', basic('nope'))).status).toBe(401);
    expect((await request(pos).get('/discounts/v2/list')).status).toBe(401);
  });

  it('returns restrictions only with includeInclusionExclusionData, and drops inactive deals without includeInactive', async () => {
    const sb = small();
    const { pos } = sb.apps();
    const lsp = sb.state.stores.find((s) => s.kind === 'generated' && s.api === 'pos')!.lspId;
    const key = sb.state.posKeys.get(lsp)!;
    const all = sb.state.deals(lsp);
    const restricted = all.filter((d) => Object.keys(d.reward.restrictions).length > 0);
    expect(restricted.length).toBeGreaterThan(0);
    const withR = await request(pos).get('/discounts/v2/list').query({ includeInactive: 'true', includeInclusionExclusionData: 'true' }).set('authorization', basic(key));
    expect(withR.body).toHaveLength(all.length);
    expect((withR.body as PosDiscount[]).find((d) => d.id === restricted[0]!.id)!.reward.restrictions).toEqual(restricted[0]!.reward.restrictions);
    const without = await request(pos).get('/discounts/v2/list').query({ includeInactive: 'true' }).set('authorization', basic(key));
    expect((without.body as PosDiscount[]).every((d) => JSON.stringify(d.reward.restrictions) === '{}')).toBe(true);
    sb.state.patchDeal(lsp, all[0]!.id, { isActive: false });
    const active = await request(pos).get('/discounts/v2/list').set('authorization', basic(key));
    expect((active.body as PosDiscount[]).some((d) => d.id === all[0]!.id)).toBe(false);
  });

  it('rate-limits 120 requests per minute per key with Retry-After', async () => {
    let t = NOW.getTime();
    const sb = new Sandbox({ now: () => new Date(t), lspsPerMarket: 1, storesPerLsp: 1, dealsPerLsp: 1, posRateLimitPerMinute: 3 });
    const { pos } = sb.apps();
    const key = sb.state.posKeys.get(FIXTURE_STORE.lspId)!;
    for (let i = 0; i < 3; i++) expect((await request(pos).get('/discounts/v2/list').set('authorization', basic(key))).status).toBe(200);
    const limited = await request(pos).get('/discounts/v2/list').set('authorization', basic(key));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    t += 61_000;
    expect((await request(pos).get('/discounts/v2/list').set('authorization', basic(key))).status).toBe(200);
  });

  it('generates deals around the current date with restrictions drawn from the LSP catalog', () => {
    const sb = small();
    const store = sb.state.stores.find((s) => s.kind === 'generated' && s.state === 'FL')!;
    const catalog = lspCatalog(42, store.lspId);
    const brandIds = new Set(catalog.brands.map((b) => b.id));
    const deals = sb.state.deals(store.lspId);
    for (const d of deals) {
      for (const id of d.reward.restrictions.Brand?.restrictionIds ?? []) expect(brandIds.has(id)).toBe(true);
      for (const id of d.reward.restrictions.Product?.restrictionIds ?? []) {
        expect(d.locationRestrictions).toHaveLength(1);
        expect(locationProducts(42, catalog, d.locationRestrictions[0]!).some((p) => p.id === id)).toBe(true);
      }
    }
    const live = deals.filter((d) => d.validDateFrom! <= NOW.toISOString() && d.validDateTo! > NOW.toISOString());
    expect(live.length).toBeGreaterThan(deals.length / 2);
    expect(small().state.deals(store.lspId)).toEqual(deals); // deterministic
  });
});

describe('sandbox Dutchie Backoffice', () => {
  const login = (app: Parameters<typeof request>[0], sb: Sandbox) =>
    request(app).post('/api/user/login').set('appname', 'Backoffice').send({ Username: sb.state.backofficeUser.username, Password: sb.state.backofficeUser.password, RememberMe: true });

  it('logs in with a session cookie and serves the PascalCase records in the envelope; expired session is a 401', async () => {
    const sb = small();
    const { backoffice } = sb.apps();
    const store = sb.state.stores.find((s) => s.api === 'backoffice')!;
    expect((await request(backoffice).post('/api/user/login').set('appname', 'Backoffice').send({ Username: 'x', Password: 'y' })).status).toBe(401);
    const li = await login(backoffice, sb);
    expect(li.body).toMatchObject({ Result: true, Message: null, Data: { UserId: 4242 } });
    const sid = li.body.Data.SessionId as string;
    expect(li.headers['set-cookie']![0]).toContain(`LLSession=${sid}`);
    const body = { SessionId: sid, LspId: store.lspId, OrgId: store.orgId, UserId: 4242, LocId: store.posLocId };
    const res = await request(backoffice).post('/api/v2/discount/get-discount').set('cookie', `LLSession=${sid}`).send(body);
    expect(res.status).toBe(200);
    expect(res.body.Result).toBe(true);
    const first = sb.state.deals(store.lspId)[0]!;
    expect(res.body.Data[0]).toEqual(toBackoffice(first));
    expect(res.body.Data[0]).toHaveProperty('Reward.CalculationMethodId', first.reward.calculationMethodId);
    expect(res.body.Data[0]).toHaveProperty('DiscountMenuDisplayDetails');
    expect(res.body.Data[0]).not.toHaveProperty('MenuDisplay');
    sb.sessions.expireAll();
    expect((await request(backoffice).post('/api/v2/discount/get-discount').set('cookie', `LLSession=${sid}`).send(body)).status).toBe(401);
    expect((await request(backoffice).post('/api/v2/discount/get-discount').send({ bad: true })).status).toBe(400);
  });
});

describe('sandbox admin API', () => {
  it('lists stores as locations rows and adds, changes and removes deals', async () => {
    const sb = small();
    const { pos } = sb.apps();
    const dir = await request(pos).get('/admin/stores');
    const locations = dir.body.locations as Array<{ id: string; state: string }>;
    expect(locations.find((l) => l.id === FIXTURE_STORE.id)).toMatchObject({ posLocId: 1568, api: 'pos', state: 'AZ', odooStoreId: 1 });
    expect(new Set(locations.map((l) => l.state))).toEqual(new Set(['AZ', 'FL', 'IL', 'MI', 'MO', 'NV']));
    const added = await request(pos).post(`/admin/lsps/${FIXTURE_STORE.lspId}/deals`).send({ onlineName: 'New deal' });
    expect(added.status).toBe(201);
    expect(sb.state.deals(FIXTURE_STORE.lspId)).toHaveLength(692);
    await request(pos).patch(`/admin/lsps/${FIXTURE_STORE.lspId}/deals/${added.body.id}`).send({ onlineName: 'Renamed' }).expect(200);
    expect(sb.state.feed(FIXTURE_STORE.lspId)!.deals.get(added.body.id as number)!.onlineName).toBe('Renamed');
    expect((await request(pos).patch(`/admin/lsps/${FIXTURE_STORE.lspId}/deals/${added.body.id}`).send({ firstTimeCustomerOnly: true })).status).toBe(400);
    await request(pos).delete(`/admin/lsps/${FIXTURE_STORE.lspId}/deals/${added.body.id}`).expect(200);
    expect((await request(pos).delete('/admin/lsps/100/deals/1')).status).toBe(404);
    expect((await request(pos).post('/admin/faults').send({ endpoint: 'pos.list', kind: 'explode' })).status).toBe(400);
    const odooCount = await request(pos).get('/admin/odoo/records/mint.discount').query({ domain: JSON.stringify([['source', '=', 'ptl']]) });
    expect(odooCount.body.count).toBe(18);
  });
});

describe('sandbox serialised answers (precomputed per feed, per deal)', () => {
  const login = async (app: Parameters<typeof request>[0], sb: Sandbox) =>
    (await request(app).post('/api/user/login').set('appname', 'Backoffice').send({ Username: sb.state.backofficeUser.username, Password: sb.state.backofficeUser.password })).body.Data.SessionId as string;

  it('warmed answers equal a fresh serialisation, and a change made through the admin API shows up in the next answer', async () => {
    const sb = small();
    sb.state.warm();
    const { pos, backoffice } = sb.apps();
    const posLsp = sb.state.stores.find((s) => s.kind === 'generated' && s.api === 'pos')!.lspId;
    const bo = sb.state.stores.find((s) => s.api === 'backoffice')!;
    const list = () => request(pos).get('/discounts/v2/list').query({ includeInactive: 'true', includeInclusionExclusionData: 'true' }).set('authorization', basic(sb.state.posKeys.get(posLsp)!));
    const sid = await login(backoffice, sb);
    const boList = () => request(backoffice).post('/api/v2/discount/get-discount').set('cookie', `LLSession=${sid}`)
      .send({ SessionId: sid, LspId: bo.lspId, OrgId: bo.orgId, UserId: 4242, IncludeInactive: true });

    expect((await list()).text).toBe(JSON.stringify(sb.state.deals(posLsp).map((d) => ({ ...d, paymentRestrictions: null }))));
    expect((await boList()).text).toBe(JSON.stringify({ Result: true, Data: sb.state.deals(bo.lspId).map(toBackoffice), Message: null }));

    const [first, second] = sb.state.deals(posLsp);
    await request(pos).patch(`/admin/lsps/${posLsp}/deals/${first!.id}`).send({ onlineName: 'Changed now' }).expect(200);
    await request(pos).delete(`/admin/lsps/${posLsp}/deals/${second!.id}`).expect(200);
    const after = (await list()).body as PosDiscount[];
    expect(after.find((d) => d.id === first!.id)!.onlineName).toBe('Changed now');
    expect(after.some((d) => d.id === second!.id)).toBe(false);

    const boFirst = sb.state.deals(bo.lspId)[0]!;
    await request(pos).patch(`/admin/lsps/${bo.lspId}/deals/${boFirst.id}`).send({ onlineName: 'Changed BO' }).expect(200);
    const added = await request(pos).post(`/admin/lsps/${bo.lspId}/deals`).send({}).expect(201);
    const boAfter = (await boList()).body as { Data: Array<{ Id: number; OnlineName: string }> };
    expect(boAfter.Data.find((d) => d.Id === boFirst.id)!.OnlineName).toBe('Changed BO');
    expect(boAfter.Data.some((d) => d.Id === added.body.id)).toBe(true);
  });

  it('toBackoffice keeps an own "__proto__" key as data', () => {
    const out = toBackoffice(JSON.parse('{"__proto__":{"a":1},"b":2}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"A":1},"B":2}');
  });
});
