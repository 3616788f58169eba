import type { InventoryRawEvent } from '../../shared/events';
import { normaliseInventory, toGrams, type PosInventoryRecord } from './inventory-handler';
import { Decimal } from 'decimal.js';

const posRecord: PosInventoryRecord = {
  productId: 5012, sku: 'SKU-5012', productName: 'Desert Kush 3.5g', description: '',
  categoryId: 12, category: 'Flower', masterCategory: 'Flower', brandId: 301, brandName: 'Sonoran Farms',
  strainId: 77, strain: 'Desert Kush', strainType: 'Indica', vendorId: 9, vendor: 'SF LLC', pricingTierId: null,
  tags: [{ tagId: 4, tagName: 'Staff pick' }], unitWeight: 0.125, unitWeightUnit: 'oz', unitPrice: 35, recUnitPrice: 34.99,
  quantityAvailable: 17, imageUrl: null,
};

function pascal(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pascal);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.charAt(0).toUpperCase() + k.slice(1), pascal(x)]));
  return v;
}

const event = (over: Partial<InventoryRawEvent> = {}): InventoryRawEvent => ({
  eventId: 'e1', api: 'pos', locationId: 'loc-1', productId: '5012', op: 'upsert', fetchedAt: 1000, contentHash: 'h1', record: JSON.stringify(posRecord), ...over,
});

describe('normaliseInventory', () => {
  it('maps a POS record to the canonical item: ids as text, money as decimal strings, weight in grams', () => {
    const out = normaliseInventory(event());
    expect(out).toEqual({
      kind: 'emit', key: 'loc-1_5012',
      value: expect.objectContaining({
        id: 'loc-1_5012', productId: '5012', sku: 'SKU-5012', name: 'Desert Kush 3.5g', description: null,
        categoryId: '12', category: 'Flower', brandId: '301', brand: 'Sonoran Farms', strainId: '77', vendorId: '9',
        pricingTierId: null, tagIds: ['4'], weightGrams: '3.5437', price: '34.99', quantity: '17', sourceApi: 'pos', version: 1000, contentHash: 'h1',
      }),
    });
  });

  it('maps the Backoffice (PascalCase) form of the same record to the same item', () => {
    const pos = normaliseInventory(event());
    const bo = normaliseInventory(event({ api: 'backoffice', record: JSON.stringify(pascal(posRecord)) }));
    expect(bo.kind).toBe('emit');
    if (bo.kind !== 'emit' || pos.kind !== 'emit') throw new Error('expected emits');
    expect({ ...bo.value, sourceApi: 'pos' }).toEqual(pos.value);
  });

  it('a remove is a tombstone with the item key', () => {
    expect(normaliseInventory(event({ op: 'remove', record: null, contentHash: null }))).toEqual({ kind: 'tombstone', key: 'loc-1_5012' });
  });

  it('rejects (for the DLQ) unreadable or invalid records, never emits them', () => {
    expect(normaliseInventory(event({ record: '{nope' })).kind).toBe('reject');
    expect(normaliseInventory(event({ record: JSON.stringify({ ...posRecord, unitPrice: 'ten' }) })).kind).toBe('reject');
    expect(normaliseInventory(event({ record: JSON.stringify({ ...posRecord, sku: undefined }) })).kind).toBe('reject');
    expect(normaliseInventory(event({ productId: '9999' })).kind).toBe('reject');
    expect(normaliseInventory(event({ record: null })).kind).toBe('reject');
  });

  it('falls back to unitPrice without a recreational price', () => {
    const out = normaliseInventory(event({ record: JSON.stringify({ ...posRecord, recUnitPrice: null }) }));
    expect(out.kind === 'emit' && out.value.price).toBe('35.00');
  });
});

describe('toGrams', () => {
  it.each([
    ['3.5', 'g', '3.5'], ['1000', 'mg', '1'], ['1', 'oz', '28.3495'], ['0.125', 'OZ', '3.5437'], ['2', null, '2'],
  ])('%s %s -> %s g', (w, unit, grams) => expect(toGrams(new Decimal(w), unit)).toBe(grams));

  it('is null for no weight, zero, or a unit that is not a mass', () => {
    expect(toGrams(null, 'g')).toBeNull();
    expect(toGrams(new Decimal(0), 'g')).toBeNull();
    expect(toGrams(new Decimal(1), 'each')).toBeNull();
  });
});
