import { Decimal } from 'decimal.js';
import type { Deal } from '../events';
import { aDeal } from '../../test/support/matching';
import { priceEffect } from './price';

const effect = (over: Partial<Deal>, price = '20.00') => priceEffect(aDeal(over), price);
const unit = (over: Partial<Deal>, price = '20.00') => {
  const e = effect(over, price);
  if (e.kind !== 'unit_price') throw new Error(`expected a unit price, got ${JSON.stringify(e)}`);
  return e;
};

describe('unit-price deals', () => {
  it('percent (method 2): value is a 0-1 fraction; rounded half up to cents', () => {
    expect(unit({ kind: 'percent', value: '0.25' })).toMatchObject({ unitPrice: '15.00', savings: '5.00', originalPrice: '20.00', unitPriceCents: 1500 });
    expect(unit({ kind: 'percent', value: '0.25' }, '19.99').unitPrice).toBe('14.99'); // 14.9925
    expect(unit({ kind: 'percent', value: '0.1' }, '0.05').unitPrice).toBe('0.05'); // 0.045 -> 0.05 half up
    expect(unit({ kind: 'percent', value: '1' }).unitPrice).toBe('0.00');
    // decimal, not float: 0.1 + 0.2 style errors would show here
    expect(unit({ kind: 'percent', value: '0.3' }, '0.70').unitPrice).toBe('0.49');
  });

  it('percent outside 0..1 is invalid, never a price', () => {
    expect(effect({ kind: 'percent', value: '25' }).kind).toBe('invalid');
    expect(effect({ kind: 'percent', value: '-0.1' }).kind).toBe('invalid');
  });

  it('flat (method 1): currency off the item, never below zero', () => {
    expect(unit({ kind: 'flat', value: '5' }).unitPrice).toBe('15.00');
    expect(unit({ kind: 'flat', value: '25.50' }).unitPrice).toBe('0.00');
    expect(unit({ kind: 'flat', value: '25.50' }).savings).toBe('20.00');
    expect(effect({ kind: 'flat', value: '-1' }).kind).toBe('invalid');
  });

  it('price to amount (method 3): the new unit price, never above the shelf price nor below zero', () => {
    expect(unit({ kind: 'price_to_amount', value: '12.5' }).unitPrice).toBe('12.50');
    expect(unit({ kind: 'price_to_amount', value: '30' }).unitPrice).toBe('20.00');
    expect(unit({ kind: 'price_to_amount', value: '0.01' }).unitPrice).toBe('0.01');
    expect(effect({ kind: 'price_to_amount', value: null }).kind).toBe('invalid');
    expect(effect({ kind: 'price_to_amount', value: '-3' }).kind).toBe('invalid');
  });

  it('a percent or flat deal without a value is a badge with no price cut', () => {
    expect(unit({ kind: 'percent', value: null })).toMatchObject({ unitPrice: '20.00', savings: '0.00' });
    expect(unit({ kind: 'flat', value: '0' })).toMatchObject({ unitPrice: '20.00', savings: '0.00' });
  });

  it('bad decimals are invalid, not NaN prices', () => {
    expect(effect({ kind: 'flat', value: 'abc' }).kind).toBe('invalid');
    expect(effect({ kind: 'flat', value: '1' }, 'free').kind).toBe('invalid');
  });
});

describe('offers (no unit price)', () => {
  it('amount off total (method 5) keeps its threshold', () => {
    expect(effect({ kind: 'amount_off_total', value: '10', thresholdType: 'spend', thresholdMin: '50' })).toEqual({
      kind: 'offer', offer: { type: 'amount_off_total', amountOff: '10.00', thresholdType: 'spend', thresholdMin: '50' },
    });
  });

  it('bundle (method 6): N for $X', () => {
    expect(effect({ kind: 'bundle', value: '99', bundleQuantity: 2 })).toEqual({ kind: 'offer', offer: { type: 'bundle', quantity: 2, total: '99.00', label: '2 for $99' } });
    expect(effect({ kind: 'bundle', value: '45.5', bundleQuantity: 3 })).toMatchObject({ offer: { label: '3 for $45.50' } });
  });

  it('bogo: buy N get M free or at a percent off', () => {
    expect(effect({ kind: 'bogo', bogo: { buyQuantity: 1, getQuantity: 1, getPercentOff: '1' } })).toEqual({
      kind: 'offer', offer: { type: 'bogo', buyQuantity: 1, getQuantity: 1, getPercentOff: '1', label: 'Buy 1 get 1 free' },
    });
    expect(effect({ kind: 'bogo', bogo: { buyQuantity: 2, getQuantity: 1, getPercentOff: '0.5' } })).toMatchObject({ offer: { label: 'Buy 2 get 1 50% off' } });
    expect(effect({ kind: 'bogo', bogo: null }).kind).toBe('invalid');
  });

  it('loyalty (method 15): a points multiplier, not a price', () => {
    expect(effect({ kind: 'loyalty', value: '2' })).toEqual({ kind: 'offer', offer: { type: 'loyalty', multiplier: '2' } });
  });
});

describe('the integer-cents path gives the digits decimal.js gives', () => {
  // an independent oracle: the rules of this file written directly in decimal.js
  const oracle = (kind: 'percent' | 'flat' | 'price_to_amount', value: string, price: string) => {
    const original = new Decimal(price);
    const v = new Decimal(value);
    const next = kind === 'percent' ? original.times(new Decimal(1).minus(v)) : kind === 'flat' ? original.minus(v) : Decimal.min(original, v);
    const unitD = Decimal.max(0, next).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
    const orig = original.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
    return { kind: 'unit_price', originalPrice: orig.toFixed(2), unitPrice: unitD.toFixed(2), savings: orig.minus(unitD).toFixed(2), unitPriceCents: unitD.times(100).toNumber() };
  };
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  }
  const r = rng(7);
  const int = (n: number) => Math.floor(r() * n);
  const digits = (n: number) => Array.from({ length: n }, () => String(int(10))).join('');
  // mostly plain 0-2 decimal money (the integer path), some with 3-4 decimals or huge (the decimal.js path)
  const money = () => {
    const u = r();
    return u < 0.05 ? `${digits(14)}.${digits(2)}` : u < 0.15 ? `${int(500)}.${digits(3 + int(2))}` : u < 0.3 ? String(int(500)) : `${int(500)}.${digits(1 + int(2))}`;
  };

  it.each(['percent', 'flat', 'price_to_amount'] as const)('%s on 3,000 random (value, price) pairs, half-up edges included', (kind) => {
    for (let i = 0; i < 3000; i += 1) {
      const value = kind === 'percent' ? (r() < 0.1 ? '1' : `0.${digits(1 + int(r() < 0.1 ? 18 : 4))}`) : money();
      // x.xx5 edges: prices whose percent result lands exactly on half a cent
      const price = kind === 'percent' && r() < 0.2 ? `${int(100)}.${int(10)}5` : money();
      expect([kind, value, price, priceEffect(aDeal({ kind, value }), price)]).toEqual([kind, value, price, oracle(kind, value, price)]);
    }
  });

  it('a rounding edge: 0.05 at 10 % off is 0.045, half up to 0.05; 10.05 at 50 % off is 5.025 -> 5.03', () => {
    expect(unit({ kind: 'percent', value: '0.1' }, '0.05')).toEqual(oracle('percent', '0.1', '0.05'));
    expect(unit({ kind: 'percent', value: '0.5' }, '10.05').unitPrice).toBe('5.03');
    expect(unit({ kind: 'percent', value: '0.5' }, '10.050').unitPrice).toBe('5.03'); // 3 decimals: the decimal.js path
  });
});
