import { RESTRICTION_TYPES, type Deal, type Restriction, type RestrictionType } from '../events';
import { aDeal, aProduct, exclude, include } from '../../test/support/matching';
import { compileDeal, compileProduct, isEligible } from './eligibility';
import type { MatchableProduct } from './types';

const eligible = (deal: Deal, product: MatchableProduct = aProduct()): boolean => isEligible(compileDeal(deal), compileProduct(product));
const withR = (r: Partial<Record<RestrictionType, Restriction>>): Deal => aDeal({ restrictions: r });

// the product attribute each restriction type reads, as [matching id, other id]
const ATTR: Record<RestrictionType, { hit: string; miss: string }> = {
  product: { hit: 'p1', miss: 'p2' },
  category: { hit: 'c1', miss: 'c2' },
  brand: { hit: 'b1', miss: 'b2' },
  weight: { hit: '3.5', miss: '7' },
  strain: { hit: 's1', miss: 's2' },
  vendor: { hit: 'v1', miss: 'v2' },
  tier: { hit: 't1', miss: 't2' },
  tag: { hit: 'tag1', miss: 'tag2' },
  inventoryTag: { hit: 'it1', miss: 'it2' },
};

describe('restriction types', () => {
  it.each(RESTRICTION_TYPES)('%s: an include list admits only listed values', (type) => {
    expect(eligible(withR({ [type]: include(ATTR[type].hit) }))).toBe(true);
    expect(eligible(withR({ [type]: include(ATTR[type].miss) }))).toBe(false);
    expect(eligible(withR({ [type]: include(ATTR[type].miss, ATTR[type].hit) }))).toBe(true);
  });

  it.each(RESTRICTION_TYPES)('%s: an exclude list admits everything but listed values', (type) => {
    expect(eligible(withR({ [type]: exclude(ATTR[type].hit) }))).toBe(false);
    expect(eligible(withR({ [type]: exclude(ATTR[type].miss) }))).toBe(true);
  });

  it.each(RESTRICTION_TYPES)('%s: an empty list does not constrain, include or exclude', (type) => {
    expect(eligible(withR({ [type]: include() }))).toBe(true);
    expect(eligible(withR({ [type]: exclude() }))).toBe(true);
  });

  it('no restriction at all is store-wide', () => {
    expect(eligible(withR({}), aProduct({ productId: 'anything', brandId: null, categoryId: null }))).toBe(true);
  });

  it('a product without the attribute fails an include list and passes an exclude list', () => {
    const bare = aProduct({ brandId: null, weightGrams: null, tagIds: [] });
    expect(eligible(withR({ brand: include('b1') }), bare)).toBe(false);
    expect(eligible(withR({ brand: exclude('b1') }), bare)).toBe(true);
    expect(eligible(withR({ weight: include('3.5') }), bare)).toBe(false);
    expect(eligible(withR({ tag: include('tag1') }), bare)).toBe(false);
    expect(eligible(withR({ tag: exclude('tag1') }), bare)).toBe(true);
  });

  it('a multi-valued attribute (tags) matches when any value is listed', () => {
    const p = aProduct({ tagIds: ['x', 'tag9'] });
    expect(eligible(withR({ tag: include('tag9') }), p)).toBe(true);
    expect(eligible(withR({ tag: exclude('tag9') }), p)).toBe(false);
  });

  it('a non-empty restriction of an unknown type never matches (it cannot widen a deal)', () => {
    const deal = aDeal({ restrictions: { ['colour' as RestrictionType]: include('red') } });
    expect(eligible(deal)).toBe(false);
    const emptyUnknown = aDeal({ restrictions: { ['colour' as RestrictionType]: include() } });
    expect(eligible(emptyUnknown)).toBe(true);
  });
});

describe('AND across types', () => {
  const deal = withR({ brand: include('b1'), category: include('c1'), weight: exclude('7') });

  it('passes only when every type passes', () => {
    expect(eligible(deal, aProduct())).toBe(true);
    expect(eligible(deal, aProduct({ brandId: 'b2' }))).toBe(false);
    expect(eligible(deal, aProduct({ categoryId: 'c2' }))).toBe(false);
    expect(eligible(deal, aProduct({ weightGrams: '7.0' }))).toBe(false);
  });

  it('a product include and a brand exclude both apply', () => {
    const d = withR({ product: include('p1', 'p2'), brand: exclude('b9') });
    expect(eligible(d, aProduct({ productId: 'p2' }))).toBe(true);
    expect(eligible(d, aProduct({ productId: 'p2', brandId: 'b9' }))).toBe(false);
    expect(eligible(d, aProduct({ productId: 'p3' }))).toBe(false);
  });
});

describe('weight tolerance (1.5 % of the restriction weight, at least 0.01 g)', () => {
  it.each([
    ['3.5', '3.54', true],
    ['3.5', '3.5436', true],
    ['28', '28.35', true],
    ['14', '14.17', true],
    ['1', '1.00', true],
    ['0.5', '0.505', true],
    ['3.5', '3.7', false],
    ['0.5', '0.7', false],
    ['1', '1.2', false],
    ['7', '3.5', false],
  ])('restriction %s g vs product %s g -> %s', (restriction, product, expected) => {
    expect(eligible(withR({ weight: include(restriction) }), aProduct({ weightGrams: product }))).toBe(expected);
  });

  it('an unparseable product weight fails an include list', () => {
    expect(eligible(withR({ weight: include('3.5') }), aProduct({ weightGrams: '1/8 oz' }))).toBe(false);
  });
});

describe('tiers: the most specific include list', () => {
  const tierOf = (r: Partial<Record<RestrictionType, Restriction>>) => {
    const c = compileDeal(withR(r));
    return [c.tier, c.tierName];
  };

  it('product > category > brand > store-wide', () => {
    expect(tierOf({ product: include('p1'), category: include('c1'), brand: include('b1') })).toEqual([1, 'product']);
    expect(tierOf({ category: include('c1'), brand: include('b1') })).toEqual([2, 'category']);
    expect(tierOf({ brand: include('b1') })).toEqual([3, 'brand']);
    expect(tierOf({})).toEqual([4, 'store_wide']);
  });

  it('exclusions, empty lists and other types do not make a deal more specific', () => {
    expect(tierOf({ product: exclude('p1') })).toEqual([4, 'store_wide']);
    expect(tierOf({ brand: exclude('b1'), category: include() })).toEqual([4, 'store_wide']);
    expect(tierOf({ weight: include('3.5'), strain: include('s1') })).toEqual([4, 'store_wide']);
    expect(tierOf({ product: exclude('p9'), brand: include('b1') })).toEqual([3, 'brand']);
  });
});
