import express from 'express';
import request from 'supertest';
import type { InventoryRawEvent } from '../../shared/events';
import { normaliseInventory } from '../normaliser/inventory-handler';
import { lspCatalog, locationProducts } from './catalog';
import { storeInventory } from './inventory';
import { sandboxInventoryRoutes } from './inventory-routes';

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

describe('sandbox inventory catalog', () => {
  const store = { lspId: 7, posLocId: 4201 };
  const items = storeInventory(42, store, 200);

  it('is deterministic per store and unique by product id and SKU', () => {
    expect(storeInventory(42, store, 200)).toEqual(items);
    expect(new Set(items.map((i) => i.productId)).size).toBe(200);
    expect(new Set(items.map((i) => i.sku)).size).toBe(200);
    expect(storeInventory(42, { lspId: 7, posLocId: 4202 }, 5)[0]!.productId).not.toBe(items[0]!.productId);
  });

  it('uses the ids of the sandbox catalog the deals draw their restrictions from', () => {
    const catalog = lspCatalog(42, 7);
    const products = locationProducts(42, catalog, 4201, 200);
    expect(items.map((i) => [i.productId, i.sku, i.brandId, i.categoryId, i.unitPrice])).toEqual(products.map((p) => [p.id, p.sku, p.brandId, p.categoryId, Number(p.price)]));
    expect(items.every((i) => catalog.brands.some((b) => b.id === i.brandId && b.name === i.brandName))).toBe(true);
  });

  it('every record, in POS and Backoffice form, passes the inventory normaliser', () => {
    const ev = (api: 'pos' | 'backoffice', productId: string, record: unknown): InventoryRawEvent =>
      ({ eventId: 'e', api, locationId: 'loc', productId, op: 'upsert', fetchedAt: 1, contentHash: 'h', record: JSON.stringify(record) });
    const app = express().use(sandboxInventoryRoutes({ storesOfKey: () => undefined, inventory: () => items, now: () => 0, backofficeSession: () => true }));
    return request(app).post('/api/v2/inventory/get-inventory').send({ SessionId: 's', LspId: 1, OrgId: 1, UserId: 1, LocId: 4201 }).expect(200).then((res) => {
      const bo = res.body.Data as { ProductId: number }[];
      for (const [i, pos] of items.entries()) {
        const a = normaliseInventory(ev('pos', String(pos.productId), pos));
        const b = normaliseInventory(ev('backoffice', String(pos.productId), bo[i]));
        expect(a.kind).toBe('emit');
        expect(b.kind === 'emit' && a.kind === 'emit' && { ...b.value, sourceApi: 'pos' }).toEqual(a.kind === 'emit' && a.value);
      }
    });
  });

  it('weights are shown the way POS catalogs show them (3.54 g for an eighth)', () => {
    expect(items.some((i) => i.unitWeight === 3.54)).toBe(true);
    expect(items.some((i) => i.unitWeight === 3.5)).toBe(false);
  });
});

describe('sandbox POS GET /reporting/inventory', () => {
  let t = 0;
  const app = express().use(sandboxInventoryRoutes({
    storesOfKey: (k) => (k === 'key-a' ? [4201] : k === 'key-b' ? [4201, 4202] : undefined),
    inventory: (loc) => storeInventory(42, { lspId: 7, posLocId: loc }, 3), now: () => t, reportingPerMinute: 3,
  }));

  it('needs the location key as Basic auth', async () => {
    await request(app).get('/reporting/inventory').expect(401);
    await request(app).get('/reporting/inventory').set('Authorization', basic('wrong')).expect(401);
  });

  it('replies with a bare array, then 429 with Retry-After past the per-minute limit', async () => {
    t = 1_000_000;
    const ok = await request(app).get('/reporting/inventory').set('Authorization', basic('key-a')).expect(200);
    expect(ok.body).toHaveLength(3);
    await request(app).get('/reporting/inventory').set('Authorization', basic('key-a')).expect(200);
    t += 20_000;
    await request(app).get('/reporting/inventory').set('Authorization', basic('key-a')).expect(200);
    const limited = await request(app).get('/reporting/inventory').set('Authorization', basic('key-a')).expect(429);
    expect(limited.headers['retry-after']).toBe('40');
    t += 40_001;
    await request(app).get('/reporting/inventory').set('Authorization', basic('key-a')).expect(200);
  });

  it('a key of several stores names one with LocId, and never reads another LSP\'s store', async () => {
    t = 5_000_000;
    await request(app).get('/reporting/inventory').set('Authorization', basic('key-b')).expect(400);
    const ok = await request(app).get('/reporting/inventory?LocId=4202').set('Authorization', basic('key-b')).expect(200);
    expect(ok.body[0].productId).toBeGreaterThanOrEqual(42020000);
    t += 60_000;
    await request(app).get('/reporting/inventory?LocId=9999').set('Authorization', basic('key-b')).expect(403);
  });
});

describe('sandbox Backoffice get-inventory', () => {
  const app = express().use(sandboxInventoryRoutes({
    storesOfKey: () => undefined, inventory: (loc) => storeInventory(42, { lspId: 7, posLocId: loc }, 2), now: () => 0, backofficeSession: (b) => b.SessionId === 'good',
  }));

  it('answers in the {Result, Data, Message} envelope with PascalCase records', async () => {
    const res = await request(app).post('/api/v2/inventory/get-inventory').send({ SessionId: 'good', LspId: 1, OrgId: 2, UserId: 3, LocId: 77 }).expect(200);
    expect(res.body).toMatchObject({ Result: true, Message: null });
    expect(Object.keys(res.body.Data[0])).toEqual(expect.arrayContaining(['ProductId', 'Sku', 'ProductName', 'BrandId', 'UnitPrice']));
  });

  it('rejects a bad session (401) and a malformed body (400)', async () => {
    await request(app).post('/api/v2/inventory/get-inventory').send({ SessionId: 'bad', LspId: 1, OrgId: 2, UserId: 3, LocId: 77 }).expect(401);
    await request(app).post('/api/v2/inventory/get-inventory').send({ SessionId: 'good' }).expect(400);
  });
});
