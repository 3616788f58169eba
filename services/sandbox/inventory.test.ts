import express from 'express';
import request from 'supertest';
import type { InventoryRawEvent } from '../../shared/events';
import { normaliseInventory } from '../normaliser/inventory-handler';
import { lspCatalog, locationProducts } from './catalog';
import { InventoryState, storeInventory } from './inventory';
import { sandboxInventoryRoutes } from './inventory-routes';

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

describe('sandbox inventory as Dutchie sends it', () => {
  const store = { lspId: 7, posLocId: 4201 };
  const items = storeInventory(42, store, 200);
  const products = locationProducts(42, lspCatalog(42, 7), 4201, 200);

  it('is deterministic per store, one record per package with unique inventory ids', () => {
    expect(storeInventory(42, store, 200)).toEqual(items);
    expect(new Set(items.map((i) => i.inventoryId)).size).toBe(items.length);
    expect(storeInventory(42, { lspId: 7, posLocId: 4202 }, 5)[0]!.inventoryId).not.toBe(items[0]!.inventoryId);
  });

  it('some products come as several packages sharing productId and sku', () => {
    const perProduct = new Map<number, typeof items>();
    for (const i of items) perProduct.set(i.productId, [...(perProduct.get(i.productId) ?? []), i]);
    expect(perProduct.size).toBe(200);
    const shared = [...perProduct.values()].filter((ps) => ps.length > 1);
    expect(shared.length).toBeGreaterThan(20);
    for (const ps of shared) expect(new Set(ps.map((p) => p.sku)).size).toBe(1);
  });

  it('uses the ids of the sandbox catalog the deals draw their restrictions from', () => {
    const catalog = lspCatalog(42, 7);
    const byId = new Map(products.map((p) => [p.id, p]));
    for (const i of items) {
      const p = byId.get(i.productId)!;
      expect([i.sku, i.brandId, i.categoryId, i.unitPrice]).toEqual([p.sku, p.brandId, p.categoryId, Number(p.price)]);
      expect(catalog.brands.some((b) => b.id === i.brandId && b.name === i.brandName)).toBe(true);
    }
  });

  it('omits what the real feed omits: price/recPrice/medPrice always, isActive on almost every record', () => {
    for (const i of items) for (const absent of ['price', 'recPrice', 'medPrice']) expect(i).not.toHaveProperty(absent);
    const withActive = items.filter((i) => 'isActive' in i);
    expect(withActive.length).toBeLessThan(items.length * 0.1);
    expect(withActive.every((i) => i.isActive === false)).toBe(true);
  });

  it('marks accessories and merch as not cannabis, everything else as cannabis', () => {
    expect(items.some((i) => !i.isCannabis)).toBe(true);
    for (const i of items) expect(i.isCannabis).toBe(!['Accessories', 'Merch'].includes(i.masterCategory));
  });

  it('has potency and image fields on some records only', () => {
    const share = (f: (i: (typeof items)[number]) => boolean) => items.filter(f).length / items.length;
    expect(share((i) => i.imageUrl !== undefined)).toBeGreaterThan(0.3);
    expect(share((i) => i.imageUrl !== undefined)).toBeLessThan(0.9);
    expect(share((i) => i.labResults !== undefined)).toBeGreaterThan(0.2);
    expect(share((i) => i.effectivePotencyMg !== undefined)).toBeGreaterThan(0.05);
    expect(items.some((i) => i.labResults === undefined && i.isCannabis)).toBe(true);
  });

  it('every record, in POS and Backoffice form, passes the inventory normaliser to the same item', () => {
    const ev = (api: 'pos' | 'backoffice', inventoryId: string, record: unknown): InventoryRawEvent =>
      ({ eventId: 'e', api, locationId: 'loc', inventoryId, op: 'upsert', fetchedAt: 1, contentHash: 'h', record: JSON.stringify(record) });
    const app = express().use(sandboxInventoryRoutes({ storesOfKey: () => undefined, inventory: () => items, now: () => 0, backofficeSession: () => true }));
    return request(app).post('/api/v2/inventory/get-inventory').send({ SessionId: 's', LspId: 1, OrgId: 1, UserId: 1, LocId: 4201 }).expect(200).then((res) => {
      const bo = res.body.Data as unknown[];
      for (const [i, pos] of items.entries()) {
        const a = normaliseInventory(ev('pos', String(pos.inventoryId), pos));
        const b = normaliseInventory(ev('backoffice', String(pos.inventoryId), bo[i]));
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

describe('sandbox inventory state (admin changes between polls)', () => {
  const state = new InventoryState(42, (posLocId) => (posLocId === 4201 ? { lspId: 7, posLocId } : undefined));

  it('changes, adds and removes packages; a field set to null leaves the record', () => {
    const [first, second] = state.list(4201)!;
    expect(state.patch(4201, first!.inventoryId, { quantityAvailable: 3, imageUrl: null })).toMatchObject({ quantityAvailable: 3 });
    expect(state.list(4201)![0]).not.toHaveProperty('imageUrl');
    expect(state.remove(4201, second!.inventoryId)).toBe(true);
    expect(state.list(4201)!.some((i) => i.inventoryId === second!.inventoryId)).toBe(false);
    expect(state.put(4201, { ...second!, inventoryId: 999 })).toBe(true);
    expect(state.list(4201)!.at(-1)!.inventoryId).toBe(999);
    expect(state.list(9999)).toBeUndefined();
    expect(state.patch(4201, 123456789, {})).toBeUndefined();
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
    expect(ok.body).toHaveLength(storeInventory(42, { lspId: 7, posLocId: 4201 }, 3).length);
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
    expect(ok.body[0].inventoryId).toBeGreaterThanOrEqual(420200000);
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
    expect(Object.keys(res.body.Data[0])).toEqual(expect.arrayContaining(['InventoryId', 'ProductId', 'Sku', 'ProductName', 'BrandId', 'UnitPrice', 'IsCannabis']));
  });

  it('rejects a bad session (401) and a malformed body (400)', async () => {
    await request(app).post('/api/v2/inventory/get-inventory').send({ SessionId: 'bad', LspId: 1, OrgId: 2, UserId: 3, LocId: 77 }).expect(401);
    await request(app).post('/api/v2/inventory/get-inventory').send({ SessionId: 'good' }).expect(400);
  });
});
