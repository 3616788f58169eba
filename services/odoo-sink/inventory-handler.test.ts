import type { OdooPackage } from '../../shared/db/schema';
import { changedFields, groupWrites, planProducts, planQuants, storeProduct, warehouseCode } from './inventory-handler';

const pkg = (inventoryId: string, over: Partial<OdooPackage> = {}): OdooPackage => ({
  inventoryId, productId: '42', name: 'Blue Dream 3.5g', price: '45', cost: '20.25', weightGrams: '3.54', quantity: '10', isActive: true, ...over,
});

describe('phase 5: a store\'s product from its packages', () => {
  it('the first package with stock gives name, prices and weight (kg); the quantity sums the active packages', () => {
    const p = storeProduct('loc-a', 'SKU-1', [pkg('12', { quantity: '0', price: '50' }), pkg('9', { quantity: '0', isActive: false }), pkg('11', { quantity: '4.5' }), pkg('13', { quantity: '2' })])!;
    expect(p.values).toEqual({
      default_code: 'SKU-1', x_dutchie_store_id: 'loc-a', name: 'Blue Dream 3.5g', list_price: 45, standard_price: 20.25, weight: 0.004,
      x_dutchie_product_id: '42', x_dutchie_inventory_ids: '9,11,12,13', type: 'product', sale_ok: true,
    });
    expect(p.quantity).toBe(6.5);
  });

  it('every package gone: the product keeps its values with quantity 0; no package at all: nothing', () => {
    const p = storeProduct('loc-a', 'SKU-1', [{ ...pkg('11'), removed: true }])!;
    expect(p.quantity).toBe(0);
    expect(p.values.list_price).toBe(45);
    expect(storeProduct('loc-a', 'SKU-1', [])).toBeNull();
  });
});

describe('phase 5: what to call', () => {
  const a = storeProduct('loc-a', 'SKU-1', [pkg('1')])!;
  const b = storeProduct('loc-b', 'SKU-1', [pkg('2', { price: '60', productId: '77' })])!;

  it('the same SKU in two stores is two products: one store\'s values never reach the other\'s record', () => {
    const existing = [{ id: 5, ...a.values }, { id: 6, ...a.values, x_dutchie_store_id: 'loc-b' }];
    const plan = planProducts([a, b], existing);
    expect(plan).toEqual([
      { kind: 'unchanged', product: a, id: 5 },
      { kind: 'write', product: b, id: 6, values: { list_price: 60, x_dutchie_product_id: '77', x_dutchie_inventory_ids: '2' } },
    ]);
    expect(planProducts([b], [{ id: 5, ...a.values }])).toEqual([{ kind: 'create', product: b }]);
  });

  it('of two records of one product (a lost create reply) the oldest is used; Odoo\'s false is an empty text', () => {
    expect(planProducts([a], [{ id: 9, ...a.values, name: 'other' }, { id: 3, ...a.values }])).toEqual([{ kind: 'unchanged', product: a, id: 3 }]);
    expect(changedFields({ x: '', y: 1.1 }, { x: false, y: 1.1000000000001 })).toEqual({});
  });

  it('quants: created when missing, written only when the quantity differs', () => {
    const plan = planQuants([{ productId: 1, locationId: 8, quantity: 5 }, { productId: 2, locationId: 8, quantity: 3 }, { productId: 3, locationId: 8, quantity: 0 }], [
      { id: 70, product_id: [1, 'x'], location_id: [8, 'WH/Stock'], quantity: 5 }, { id: 71, product_id: [2, 'y'], location_id: [8, 'WH/Stock'], quantity: 4 },
    ]);
    expect(plan).toEqual([{ kind: 'unchanged' }, { kind: 'write', id: 71, quantity: 3 }, { kind: 'create', productId: 3, locationId: 8, quantity: 0 }]);
  });

  it('writes with the same values share a call of at most batchSize ids', () => {
    const calls = groupWrites([{ id: 1, values: { q: 1 } }, { id: 2, values: { q: 2 } }, { id: 3, values: { q: 1 } }, { id: 4, values: { q: 1 } }], 2);
    expect(calls).toEqual([{ ids: [1, 3], values: { q: 1 } }, { ids: [4], values: { q: 1 } }, { ids: [2], values: { q: 2 } }]);
  });

  it('a warehouse code is 5 characters, stable per store', () => {
    expect(warehouseCode('3f6b0a52-8c1d-4e2a-9b7f-5d0c1e2a6b91')).toMatch(/^[0-9A-Z]{5}$/);
    expect(warehouseCode('a')).toBe(warehouseCode('a'));
    expect(warehouseCode('a')).not.toBe(warehouseCode('b'));
  });
});
