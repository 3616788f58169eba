import { aDeal, include } from '../../test/support/matching';
import { anItem } from '../../test/support/inventory';
import { buildSnapshot, type InventorySnapshot } from './snapshot';
import { ServedInventory, type InventoryQuery, type StorefrontItem } from './storefront';

const TUESDAY_NOON = Date.parse('2026-03-10T19:00:00Z'); // 12:00 in Phoenix
const TUESDAY_EVENING = Date.parse('2026-03-11T00:00:00Z'); // 17:00 in Phoenix

const items = [
  anItem({ productId: '1', name: 'Alpha Kush', brandId: '301', brand: 'Sonoran Farms', price: '40.00', strain: 'Blue Dream' }),
  anItem({ productId: '2', name: 'Beta Gummies', brandId: '302', brand: 'Cactus Co', categoryId: '14', category: 'Gummies', masterCategory: 'Edibles', price: '20.00', weightGrams: null }),
  anItem({ productId: '3', name: 'Gamma Haze', brandId: '301', brand: 'Sonoran Farms', price: '25.00', sku: 'GH-1' }),
  // a second package of product 3: same product id and SKU, its own inventory id
  anItem({ productId: '3', inventoryId: '3b', name: 'Gamma Haze', brandId: '301', brand: 'Sonoran Farms', price: '25.00', sku: 'GH-1', quantity: '0' }),
  anItem({ productId: '4', name: 'Aardvark Pipe', brandId: '303', brand: 'Glassworks', categoryId: '20', category: 'Accessories', masterCategory: 'Accessories', isCannabis: false, price: '12.5' }),
  anItem({ productId: '5', name: 'Delta Disabled', isActive: false }),
];
const deals = [
  aDeal({ discountId: '10', name: '25% off Sonoran', kind: 'percent', value: '0.25', restrictions: { brand: include('301') } }),
  aDeal({ discountId: '11', name: 'Happy hour $5 off', kind: 'flat', value: '5', startTime: '16:00:00', endTime: '18:00:00' }),
  aDeal({ discountId: '12', name: '2 for $30 edibles', kind: 'bundle', value: '30', bundleQuantity: 2, restrictions: { category: include('14') } }),
  aDeal({ discountId: '13', name: 'off', isActive: false }),
  aDeal({ discountId: '14', name: 'other store', locationId: 'loc-2' }),
];

// stored in Redis as JSON: test what survives the round trip
const snapshot: InventorySnapshot = JSON.parse(JSON.stringify(buildSnapshot('loc-1', items, deals, 5)));
const served = (): ServedInventory => new ServedInventory(snapshot, 'etag-1');
const q = (over: Partial<InventoryQuery> = {}): InventoryQuery => ({ limit: 100, offset: 0, ...over });
type Page = { data: StorefrontItem[]; total: number; limit: number; offset: number };
const list = (s: ServedInventory, query: InventoryQuery, at = TUESDAY_NOON): Page => JSON.parse(s.list(query, at).toString()) as Page;

describe('an inventory snapshot served to the storefront', () => {
  it('lists every active package, ordered by product name, with the contract\'s types', () => {
    const { data, total } = list(served(), q());
    expect(total).toBe(5);
    expect(data.map((i) => [i.product_name, i.inventory_id])).toEqual([
      ['Aardvark Pipe', '4'], ['Alpha Kush', '1'], ['Beta Gummies', '2'], ['Gamma Haze', '3'], ['Gamma Haze', '3b'],
    ]);
    const pipe = data[0]!;
    expect(pipe).toMatchObject({
      id: 'loc-1_4', location_id: 'loc-1', inventory_id: '4', product_id: '4', sku: 'SKU-4', unit_price: '12.5000', price: null,
      quantity_available: '10.0000', is_active: true, is_cannabis: false, images: [], effects: [], tags: [], staff_pick: false,
      synced_at: new Date(1).toISOString(),
    });
  });

  it('leaves packages the feed marked inactive out, as the original cache did', () => {
    expect(list(served(), q({ search: 'delta' })).total).toBe(0);
  });

  it('gives each item our best price, best deal and every live deal under names of our own', () => {
    const { data } = list(served(), q());
    const by = (id: string) => data.find((i) => i.inventory_id === id)!;
    expect(by('1')).toMatchObject({ deal_price: '30.00', best_deal: { discount_id: '10', tier: 3, tier_name: 'brand', unit_price: '30.00', savings: '10.00' } });
    expect(by('2')).toMatchObject({ deal_price: null, best_deal: { tier: 2, unit_price: null, offer: { type: 'bundle', label: '2 for $30' } } });
    expect(by('3b').deal_price).toBe('18.75');
    // nothing collides with what the storefront computes itself
    for (const item of data) {
      for (const theirs of ['discounted_price', 'discount_name', 'discount_type', 'discount_amount', 'discount_valid_from', 'discount_valid_until']) {
        expect(item).not.toHaveProperty(theirs);
      }
    }
  });

  it('applies time windows at read time without recomputing (happy hour)', () => {
    const { data } = list(served(), q(), TUESDAY_EVENING);
    expect(data.map((i) => i.deal_price)).toEqual(['7.50', '30.00', '15.00', '18.75', '18.75']);
    expect(data.map((i) => i.deal_count)).toEqual([1, 2, 2, 2, 2]);
    expect(list(served(), q(), TUESDAY_NOON).data.map((i) => i.deal_count)).toEqual([0, 1, 1, 1, 1]);
  });

  it('lists carry the best deal and a count; the single item (by SKU) every live deal', () => {
    const { data } = list(served(), q(), TUESDAY_EVENING);
    expect(data[3]).not.toHaveProperty('deals');
    const one = JSON.parse(served().bySku('GH-1', TUESDAY_EVENING)!.text) as StorefrontItem;
    expect(one.deals!.map((d) => [d.discount_id, d.tier_name, d.unit_price])).toEqual([['10', 'brand', '18.75'], ['11', 'store_wide', '20.00']]);
    expect({ ...one, deals: undefined }).toEqual({ ...data[3], deals: undefined });
  });

  it('never includes disabled deals or another location\'s deals', () => {
    expect(snapshot.deals.map((d) => d.discountId).sort()).toEqual(['10', '11', '12']);
  });
});

describe('the original\'s query semantics', () => {
  const ids = (query: Partial<InventoryQuery>) => list(served(), q(query)).data.map((i) => i.inventory_id);

  it('category: case-insensitive exact match on category OR master category', () => {
    expect(ids({ category: 'gummies' })).toEqual(['2']);
    expect(ids({ category: 'EDIBLES' })).toEqual(['2']);
    expect(ids({ category: 'Edible' })).toEqual([]); // exact, not a substring
    expect(ids({ category: '14' })).toEqual([]); // names, not ids
  });

  it('brand: case-insensitive substring of the brand name', () => {
    expect(ids({ brand: 'sonoran' })).toEqual(['1', '3', '3b']);
    expect(ids({ brand: 'CO' })).toEqual(['2']);
  });

  it('search: case-insensitive substring of product name, brand name or strain', () => {
    expect(ids({ search: 'haze' })).toEqual(['3', '3b']);
    expect(ids({ search: 'glassworks' })).toEqual(['4']);
    expect(ids({ search: 'blue dream' })).toEqual(['1']);
    expect(ids({ search: 'SKU-4' })).toEqual([]); // not the SKU
  });

  it('total counts after the filters, before paging; limit and offset page', () => {
    const page = list(served(), q({ brand: 'sonoran', limit: 2, offset: 1 }));
    expect(page).toMatchObject({ total: 3, limit: 2, offset: 1 });
    expect(page.data.map((i) => i.inventory_id)).toEqual(['3', '3b']);
    expect(list(served(), q({ limit: 2, offset: 4 })).data.map((i) => i.inventory_id)).toEqual(['3b']);
    expect(list(served(), q({ limit: 0 })).data).toEqual([]);
  });

  it('filters combine (AND)', () => {
    expect(ids({ brand: 'sonoran', search: 'alpha' })).toEqual(['1']);
  });

  it('answers the same body for the same query at the same second (memoised) and a new one when a deal goes live', () => {
    const s = served();
    const a = s.list(q(), TUESDAY_NOON);
    expect(s.list(q(), TUESDAY_NOON + 300)).toBe(a);
    expect(s.list(q(), TUESDAY_EVENING)).not.toEqual(a);
    expect(s.list(q(), TUESDAY_NOON)).toEqual(a);
  });

  it('finds the first package with a SKU and the ids of its live deals', () => {
    const s = served();
    const found = s.bySku('GH-1', TUESDAY_EVENING);
    expect(JSON.parse(found!.text)).toMatchObject({ inventory_id: '3', sku: 'GH-1' });
    expect(found!.dealIds).toEqual(['loc-1_10', 'loc-1_11']);
    expect(s.bySku('nope', TUESDAY_NOON)).toBeNull();
  });

  it('lists distinct non-empty categories, master categories and brands, sorted', () => {
    const s = served();
    expect(JSON.parse(s.categories().toString())).toEqual({ categories: ['Accessories', 'Flower', 'Gummies'], masterCategories: ['Accessories', 'Edibles', 'Flower'] });
    expect(JSON.parse(s.brands().toString())).toEqual({ brands: ['Cactus Co', 'Glassworks', 'Sonoran Farms'] });
  });
});
