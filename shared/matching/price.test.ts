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
