import type { InventoryRawEvent } from '../../shared/events';
import { normaliseInventory, toGrams, type PosInventoryRecord } from './inventory-handler';
import { Decimal } from 'decimal.js';

// a package as the real feed sends it: isActive absent, no price/recPrice/medPrice, numbers as JSON numbers
const posRecord: PosInventoryRecord = {
  inventoryId: 880012, productId: 5012, sku: 'SKU-5012', productName: 'Desert Kush 3.5g', description: '',
  categoryId: 12, category: 'Flower', masterCategory: 'Flower', brandId: 301, brandName: 'Sonoran Farms',
  strainId: 77, strain: 'Desert Kush', strainType: 'Indica', vendorId: 9, vendor: 'SF LLC',
  tags: [{ tagId: 4, tagName: 'Staff pick' }], unitWeight: 0.125, unitWeightUnit: 'oz', unitPrice: 35, recUnitPrice: 34.99,
  quantityAvailable: 17, isCannabis: true, imageUrl: 'https://img/5012.jpg', effectivePotencyMg: 0,
  labResults: [{ labTest: 'THC', value: 24.5, labResultUnit: 'Percentage' }, { labTest: 'CBD', value: 0.1, labResultUnit: 'Percentage' }],
};

function pascal(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pascal);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.charAt(0).toUpperCase() + k.slice(1), pascal(x)]));
  return v;
}

const event = (over: Partial<InventoryRawEvent> = {}): InventoryRawEvent => ({
  eventId: 'e1', api: 'pos', locationId: 'loc-1', inventoryId: '880012', op: 'upsert', fetchedAt: 1000, contentHash: 'h1', record: JSON.stringify(posRecord), ...over,
});
const emitted = (e: InventoryRawEvent) => {
  const out = normaliseInventory(e);
  if (out.kind !== 'emit') throw new Error(`expected an emit, got ${JSON.stringify(out)}`);
  return out.value;
};

describe('normaliseInventory', () => {
  it('maps a POS package to the canonical item keyed by inventory id: ids as text, money as decimal strings, weight in grams', () => {
    const out = normaliseInventory(event());
    expect(out).toEqual({
      kind: 'emit', key: 'loc-1_880012',
      value: expect.objectContaining({
        id: 'loc-1_880012', inventoryId: '880012', productId: '5012', sku: 'SKU-5012', name: 'Desert Kush 3.5g', description: null,
        categoryId: '12', category: 'Flower', brandId: '301', brand: 'Sonoran Farms', strainId: '77', vendorId: '9', vendor: 'SF LLC',
        pricingTierId: null, tagIds: ['4'], tags: ['Staff pick'], weightGrams: '3.5437', price: '35', unitPrice: '35', recUnitPrice: '34.99',
        medUnitPrice: null, quantity: '17', isCannabis: true, isActive: true, imageUrl: 'https://img/5012.jpg', images: ['https://img/5012.jpg'],
        effectivePotencyMg: '0', potencyThcFormatted: '24.5%', potencyCbdFormatted: '0.1%', sourceApi: 'pos', version: 1000, contentHash: 'h1',
      }),
    });
  });

  it('maps the Backoffice (PascalCase) form of the same record to the same item', () => {
    const pos = emitted(event());
    const bo = emitted(event({ api: 'backoffice', record: JSON.stringify(pascal(posRecord)) }));
    expect({ ...bo, sourceApi: 'pos' }).toEqual(pos);
  });

  it('isActive absent means active; only an explicit false deactivates', () => {
    expect(emitted(event()).isActive).toBe(true);
    expect(emitted(event({ record: JSON.stringify({ ...posRecord, isActive: false }) })).isActive).toBe(false);
    expect(emitted(event({ record: JSON.stringify({ ...posRecord, isActive: true }) })).isActive).toBe(true);
  });

  it('is cannabis only when the feed says so (accessories and merch are not)', () => {
    expect(emitted(event({ record: JSON.stringify({ ...posRecord, isCannabis: false }) })).isCannabis).toBe(false);
    const { isCannabis: _c, ...without } = posRecord;
    expect(emitted(event({ record: JSON.stringify(without) })).isCannabis).toBe(false);
  });

  it('the base price is unitPrice, else recUnitPrice, else 0 (the storefront\'s own rule), never a price field the feed lacks', () => {
    const { unitPrice: _u, ...noUnit } = posRecord;
    expect(emitted(event({ record: JSON.stringify(noUnit) })).price).toBe('34.99');
    const { recUnitPrice: _r, ...neither } = noUnit;
    expect(emitted(event({ record: JSON.stringify(neither) }))).toMatchObject({ price: '0', unitPrice: null, recUnitPrice: null });
    // a zero unit price is still the one the storefront reads ("0.0000" is truthy there)
    expect(emitted(event({ record: JSON.stringify({ ...posRecord, unitPrice: 0 }) })).price).toBe('0');
  });

  it('fields the feed omits stay null or empty, never invented', () => {
    const minimal = { inventoryId: 880012, productId: 5012 };
    expect(emitted(event({ record: JSON.stringify(minimal) }))).toMatchObject({
      sku: null, name: null, category: null, brand: null, strain: null, imageUrl: null, images: [], tags: [], tagIds: [],
      potencyThcFormatted: null, effectivePotencyMg: null, quantity: '0', weightGrams: null, isActive: true, isCannabis: false,
    });
  });

  it('formats potency from milligram lab results too, and a sold-out or oversold package has quantity 0', () => {
    const edible = { ...posRecord, labResults: [{ labTest: 'Total THC', value: 100, labResultUnit: 'Milligrams' }], quantityAvailable: -2 };
    expect(emitted(event({ record: JSON.stringify(edible) }))).toMatchObject({ potencyThcFormatted: '100mg', potencyCbdFormatted: null, quantity: '0' });
  });

  it('a remove is a tombstone with the package key', () => {
    expect(normaliseInventory(event({ op: 'remove', record: null, contentHash: null }))).toEqual({ kind: 'tombstone', key: 'loc-1_880012', version: 1000 });
  });

  it('rejects (for the DLQ) unreadable or invalid records, never emits them', () => {
    expect(normaliseInventory(event({ record: '{nope' })).kind).toBe('reject');
    expect(normaliseInventory(event({ record: JSON.stringify({ ...posRecord, unitPrice: 'ten' }) })).kind).toBe('reject');
    expect(normaliseInventory(event({ record: JSON.stringify({ ...posRecord, unitPrice: -1 }) })).kind).toBe('reject');
    expect(normaliseInventory(event({ record: JSON.stringify({ ...posRecord, inventoryId: undefined }) })).kind).toBe('reject');
    expect(normaliseInventory(event({ inventoryId: '9999' })).kind).toBe('reject');
    expect(normaliseInventory(event({ record: null })).kind).toBe('reject');
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
