import { aDeal, include } from '../../test/support/matching';
import { anItem } from '../../test/support/inventory';
import { buildSnapshot, type InventorySnapshot } from './snapshot';
import { brandsOf, categoriesOf, LiveSnapshot } from './storefront';

const TUESDAY_NOON = Date.parse('2026-03-10T19:00:00Z'); // 12:00 in Phoenix
const TUESDAY_EVENING = Date.parse('2026-03-11T00:00:00Z'); // 17:00 in Phoenix

const items = [
  anItem({ productId: '1', name: 'Alpha Kush', brandId: '301', brand: 'Sonoran Farms', price: '40.00' }),
  anItem({ productId: '2', name: 'Beta Gummies', brandId: '302', brand: 'Cactus Co', categoryId: '14', category: 'Edibles', masterCategory: 'Edibles', price: '20.00', weightGrams: null }),
  anItem({ productId: '3', name: 'Gamma Haze', brandId: '301', brand: 'Sonoran Farms', price: '25.00', sku: 'GH-1' }),
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

describe('inventory snapshot read at an instant', () => {
  it('gives each item its discounted price, best deal and every live deal with its tier', () => {
    const { data } = new LiveSnapshot(snapshot, TUESDAY_NOON).list({ limit: 50, offset: 0 });
    expect(data.map((i) => [i.product_id, i.price, i.discounted_price, i.deal?.discount_id])).toEqual([
      ['1', '40.00', '30.00', '10'],
      ['2', '20.00', null, '12'], // only an offer applies: best is the offer, no unit price
      ['3', '25.00', '18.75', '10'],
    ]);
    expect(data[0]!.deals).toEqual([{ id: 'loc-1_10', discount_id: '10', name: '25% off Sonoran', kind: 'percent', tier: 3, tier_name: 'brand', unit_price: '30.00', savings: '10.00', offer: null }]);
    expect(data[1]!.deal).toMatchObject({ tier: 2, tier_name: 'category', unit_price: null, offer: { type: 'bundle', label: '2 for $30' } });
  });

  it('applies time windows at read time without recomputing (happy hour)', () => {
    const { data } = new LiveSnapshot(snapshot, TUESDAY_EVENING).list({ limit: 50, offset: 0 });
    expect(data.map((i) => i.discounted_price)).toEqual(['30.00', '15.00', '18.75']);
    expect(data[2]!.deals.map((d) => d.discount_id)).toEqual(['10', '11']);
  });

  it('never includes disabled deals or another location\'s deals', () => {
    expect(snapshot.deals.map((d) => d.discountId).sort()).toEqual(['10', '11', '12']);
  });

  it('filters by category and brand (name or id), search, limit and offset', () => {
    const live = new LiveSnapshot(snapshot, TUESDAY_NOON);
    const ids = (f: Parameters<LiveSnapshot['list']>[0]) => live.list(f).data.map((i) => i.product_id);
    expect(ids({ category: 'edibles', limit: 50, offset: 0 })).toEqual(['2']);
    expect(ids({ category: '12', limit: 50, offset: 0 })).toEqual(['1', '3']);
    expect(ids({ brand: 'Sonoran Farms', limit: 50, offset: 0 })).toEqual(['1', '3']);
    expect(ids({ brand: '302', limit: 50, offset: 0 })).toEqual(['2']);
    expect(ids({ search: 'haze', limit: 50, offset: 0 })).toEqual(['3']);
    expect(live.list({ limit: 1, offset: 1 })).toMatchObject({ total: 3, limit: 1, offset: 1, data: [{ product_id: '2' }] });
  });

  it('finds an item by SKU', () => {
    const live = new LiveSnapshot(snapshot, TUESDAY_NOON);
    expect(live.bySku('GH-1')?.product_id).toBe('3');
    expect(live.bySku('nope')).toBeNull();
  });

  it('lists categories, master categories and brands', () => {
    expect(categoriesOf(snapshot)).toEqual({ categories: ['Edibles', 'Flower'], masterCategories: ['Edibles', 'Flower'] });
    expect(brandsOf(snapshot)).toEqual({ brands: ['Cactus Co', 'Sonoran Farms'] });
  });
});
