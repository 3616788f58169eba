import type { Deal } from '../events';
import { aDeal, aGeneratedLocation, aProduct, exclude, include, rng } from '../../test/support/matching';
import { buildDealIndex, matchInventory, matchInventoryNaive, matchProduct } from './match';
import { priceEffect } from './price';

const ALWAYS = { at: null };

describe('matchProduct', () => {
  const deals: Deal[] = [
    aDeal({ discountId: 'prod', kind: 'percent', value: '0.10', restrictions: { product: include('p1') } }),
    aDeal({ discountId: 'cat', kind: 'flat', value: '5', restrictions: { category: include('c1') } }),
    aDeal({ discountId: 'brand', kind: 'price_to_amount', value: '12', restrictions: { brand: include('b1') } }),
    aDeal({ discountId: 'all', kind: 'bundle', value: '35', bundleQuantity: 2 }),
    aDeal({ discountId: 'other-brand', kind: 'percent', value: '0.9', restrictions: { brand: include('b2') } }),
  ];

  it('reports every matching deal with its tier, in tier order, and the lowest price as best', () => {
    const m = matchProduct(buildDealIndex(deals, ALWAYS), aProduct({ price: '20.00' }));
    expect(m.matches.map((x) => [x.discountId, x.tier, x.tierName])).toEqual([
      ['prod', 1, 'product'], ['cat', 2, 'category'], ['brand', 3, 'brand'], ['all', 4, 'store_wide'],
    ]);
    expect(m.best?.discountId).toBe('brand'); // 12.00 < 15.00 < 18.00
    expect(m.discountedPrice).toBe('12.00');
  });

  it('a product outside every restricted deal gets only the store-wide offer: best is the offer, no discounted price', () => {
    const m = matchProduct(buildDealIndex(deals, ALWAYS), aProduct({ productId: 'p9', categoryId: 'c9', brandId: 'b9' }));
    expect(m.matches.map((x) => x.discountId)).toEqual(['all']);
    expect(m.best?.effect).toEqual({ kind: 'offer', offer: { type: 'bundle', quantity: 2, total: '35.00', label: '2 for $35' } });
    expect(m.discountedPrice).toBeNull();
  });

  it('no deal at all: no best, no discounted price', () => {
    const m = matchProduct(buildDealIndex([], ALWAYS), aProduct());
    expect(m).toEqual({ productId: 'p1', matches: [], best: null, discountedPrice: null });
  });

  it('equal prices: the more specific tier wins, then the smaller deal id', () => {
    const tie = [
      aDeal({ discountId: 'b', kind: 'flat', value: '5', restrictions: { brand: include('b1') } }),
      aDeal({ discountId: 'a', kind: 'percent', value: '0.25' }),
      aDeal({ discountId: 'c', kind: 'price_to_amount', value: '15', restrictions: { category: include('c1') } }),
    ];
    expect(matchProduct(buildDealIndex(tie, ALWAYS), aProduct()).best?.discountId).toBe('c');
    const sameTier = [aDeal({ discountId: 'z', kind: 'flat', value: '5' }), aDeal({ discountId: 'y', kind: 'percent', value: '0.25' })];
    expect(matchProduct(buildDealIndex(sameTier, ALWAYS), aProduct()).best?.discountId).toBe('y');
  });

  it('an invalid deal is reported but never best', () => {
    const m = matchProduct(buildDealIndex([aDeal({ discountId: 'bad', value: '7' })], ALWAYS), aProduct());
    expect(m.matches).toHaveLength(1);
    expect(m.best).toBeNull();
  });

  it('disabled deals and deals not live at the instant are left out', () => {
    const at = Date.parse('2026-03-10T19:00:00Z'); // Tuesday 12:00 in Phoenix
    const idx = buildDealIndex([
      aDeal({ discountId: 'off', isActive: false }),
      aDeal({ discountId: 'expired', validUntil: at }),
      aDeal({ discountId: 'evening', startTime: '16:00:00', endTime: '20:00:00' }),
      aDeal({ discountId: 'live' }),
    ], { at });
    expect(idx.size).toBe(1);
    expect(matchProduct(idx, aProduct()).matches.map((m) => m.discountId)).toEqual(['live']);
  });

  it('deals share a pricer only when every pricing field is equal', () => {
    const offers = [
      aDeal({ discountId: 'a', kind: 'bundle', value: '10', bundleQuantity: 2 }),
      aDeal({ discountId: 'b', kind: 'bundle', value: '10', bundleQuantity: 3 }),
      aDeal({ discountId: 'c', kind: 'amount_off_total', value: '5', thresholdType: 'spend', thresholdMin: '50' }),
      aDeal({ discountId: 'd', kind: 'amount_off_total', value: '5', thresholdType: 'spend', thresholdMin: '5' }),
      aDeal({ discountId: 'e', kind: 'amount_off_total', value: '5', thresholdType: 'spend5', thresholdMin: null }),
      aDeal({ discountId: 'f', kind: 'bogo', bogo: { buyQuantity: 1, getQuantity: 2, getPercentOff: '1' } }),
      aDeal({ discountId: 'g', kind: 'bogo', bogo: { buyQuantity: 12, getQuantity: 1, getPercentOff: '1' } }),
    ];
    const m = matchProduct(buildDealIndex(offers, ALWAYS), aProduct());
    expect(m.matches.map((x) => x.effect)).toEqual(offers.map((d) => priceEffect(d, '20.00')));
  });

  it('the price memo never mixes products with different prices', () => {
    const idx = buildDealIndex([aDeal({ kind: 'percent', value: '0.5' })], ALWAYS);
    expect(matchProduct(idx, aProduct({ productId: 'a', price: '10' })).discountedPrice).toBe('5.00');
    expect(matchProduct(idx, aProduct({ productId: 'b', price: '30' })).discountedPrice).toBe('15.00');
    expect(matchProduct(idx, aProduct({ productId: 'c', price: '10' })).discountedPrice).toBe('5.00');
  });
});

describe('the index agrees with the naive product x deal loop', () => {
  it('on a bench:matching location (3,000 products x 400 deals), at instants inside and outside the time windows', () => {
    const { products, deals } = aGeneratedLocation({ products: 3000, deals: 400, seed: 6 });
    // Tuesday 13:00 and 15:00 in Phoenix (before and inside the afternoon windows), Sunday 16:00, and every active deal
    for (const at of [Date.parse('2026-03-10T20:00:00Z'), Date.parse('2026-03-10T22:00:00Z'), Date.parse('2026-03-15T23:00:00Z'), null]) {
      const fast = matchInventory(deals, products, { at });
      const naive = matchInventoryNaive(deals, products, { at });
      expect(fast).toEqual(naive);
      expect(JSON.stringify(fast)).toBe(JSON.stringify(naive)); // the same key order too (the bench compares this)
      expect(new Set(fast.flatMap((m) => m.matches.map((x) => x.tier)))).toEqual(new Set([1, 2, 3, 4]));
      expect(new Set(fast.flatMap((m) => m.matches.map((x) => x.effect.kind)))).toEqual(new Set(['unit_price', 'offer']));
    }
  });

  it('one index answers the same whatever order products come in (the memos never leak between products)', () => {
    const { products, deals } = aGeneratedLocation({ products: 500, deals: 200, seed: 9 });
    const index = buildDealIndex(deals, ALWAYS);
    const forward = products.map((p) => matchProduct(index, p));
    const other = buildDealIndex(deals, ALWAYS);
    const backward = [...products].reverse().map((p) => matchProduct(other, p)).reverse();
    expect(forward).toEqual(backward);
    expect(forward).toEqual(matchInventoryNaive(deals, products, ALWAYS));
  });

  it('on 300 random products x 150 random deals', () => {
    const r = rng(42);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    const P = ids('p', 300), C = ids('c', 8), B = ids('b', 20), W = ['1', '3.5', '7', '14', '28'];
    const products = P.map((productId) => aProduct({
      productId, categoryId: pick(C), brandId: r() < 0.1 ? null : pick(B), weightGrams: pick(['1', '3.54', '7.09', '14', '28.35', null]),
      price: pick(['9.99', '20', '35.50', '60']), tagIds: r() < 0.5 ? ['t1'] : [],
    }));
    const list = (xs: readonly string[], n: number) => (r() < 0.3 ? exclude : include)(...Array.from({ length: n }, () => pick(xs)));
    const deals = Array.from({ length: 150 }, (_, i) => {
      const restrictions: Deal['restrictions'] = {};
      if (r() < 0.2) restrictions.product = list(P, 5);
      if (r() < 0.3) restrictions.category = list(C, 2);
      if (r() < 0.5) restrictions.brand = list(B, 3);
      if (r() < 0.2) restrictions.weight = list(W, 1);
      if (r() < 0.1) restrictions.tag = list(['t1', 't2'], 1);
      const kind = pick(['percent', 'flat', 'price_to_amount', 'bundle', 'bogo'] as const);
      return aDeal({ discountId: String(i), kind, value: kind === 'percent' ? '0.2' : '8', bundleQuantity: 2, bogo: { buyQuantity: 1, getQuantity: 1, getPercentOff: '1' }, restrictions, isActive: r() > 0.05 });
    });
    const fast = matchInventory(deals, products, ALWAYS);
    const naive = matchInventoryNaive(deals, products, ALWAYS);
    expect(fast).toEqual(naive);
    // and the data really exercised matching
    expect(fast.filter((m) => m.matches.length > 0).length).toBeGreaterThan(100);
    expect(new Set(fast.flatMap((m) => m.matches.map((x) => x.tier)))).toEqual(new Set([1, 2, 3, 4]));
  });
});
