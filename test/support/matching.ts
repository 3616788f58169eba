/** Given-helpers for matching tests and benches: a canonical deal and a product with defaults. */
import type { Deal, DealKind, Restriction, RestrictionType } from '../../shared/events';
import type { MatchableProduct } from '../../shared/matching';
import { EVERY_DAY, makeDeal } from './deals';

/** A canonical deal for matching: every day, no window, no restrictions (makeDeal with those defaults). */
export function aDeal(over: Partial<Deal> & { discountId?: string } = {}): Deal {
  const discountId = over.discountId ?? '1';
  const locationId = over.locationId ?? 'loc-1';
  return makeDeal(locationId, discountId, {
    source: 'dutchie', sourceApi: 'pos', name: `deal ${discountId}`, validFrom: null, days: { ...EVERY_DAY }, restrictions: {},
    contentHash: 'h', rawRecord: '{}', version: 1,
    ...over,
  });
}

export const include = (...ids: string[]): Restriction => ({ ids, isExclusion: false });
export const exclude = (...ids: string[]): Restriction => ({ ids, isExclusion: true });
export const restricted = (r: Partial<Record<RestrictionType, Restriction>>): Pick<Deal, 'restrictions'> => ({ restrictions: r });

export function aProduct(over: Partial<MatchableProduct> = {}): MatchableProduct {
  return {
    productId: 'p1',
    price: '20.00',
    categoryId: 'c1',
    brandId: 'b1',
    weightGrams: '3.5',
    strainId: 's1',
    vendorId: 'v1',
    tierId: 't1',
    tagIds: ['tag1'],
    inventoryTagIds: ['it1'],
    ...over,
  };
}

/** A small deterministic PRNG (LCG) so generated data, and any failure on it, is reproducible. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/**
 * One generated location, as bench:matching uses it (seeded: same seed, same data): 40
 * categories, 250 brands, products of 7 weights and 30 price points; deals 15 % product lists, 25 %
 * category (some with a weight), 57 % brand (some excluding a category), 3 % store-wide (half of
 * them excluding brands); 30 % of the deals run on one weekday only and 15 % in an afternoon window
 * (America/Phoenix); every calculation kind, with about as many distinct (kind, value) pairs as the
 * real AZ fixture (82 for 691 deals).
 */
export function aGeneratedLocation(opts: { products: number; deals: number; seed?: number }): { products: MatchableProduct[]; deals: Deal[] } {
  const r = rng(opts.seed ?? 20260310);
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const some = (prefix: string, n: number, max: number): string[] => Array.from({ length: 1 + int(max) }, () => `${prefix}${int(n)}`);
  const WEIGHTS = ['0.5', '1', '3.54', '7.09', '14.17', '28.35', null];
  const PRICES = Array.from({ length: 30 }, (_, i) => `${(5 + i * 3.5).toFixed(2)}`);
  const products: MatchableProduct[] = Array.from({ length: opts.products }, (_, i) => ({
    productId: `p${i}`, price: pick(PRICES), categoryId: `c${int(40)}`, brandId: `b${int(250)}`, weightGrams: pick(WEIGHTS), strainId: `s${int(50)}`,
  }));
  const KINDS: readonly DealKind[] = ['percent', 'percent', 'percent', 'flat', 'flat', 'price_to_amount', 'bundle', 'bogo', 'amount_off_total', 'loyalty'];
  const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
  const deals: Deal[] = Array.from({ length: opts.deals }, (_, i) => {
    const u = r();
    const restrictions: Deal['restrictions'] =
      u < 0.15 ? { product: include(...some('p', opts.products, 30)) }
        : u < 0.4 ? { category: include(...some('c', 40, 2)), ...(r() < 0.3 ? { weight: include(pick(['3.5', '7', '28'])) } : {}) }
          : u < 0.97 ? { brand: include(...some('b', 250, 3)), ...(r() < 0.2 ? { category: exclude(`c${int(40)}`) } : {}) }
            : r() < 0.5 ? { brand: exclude(...some('b', 250, 5)) } : {};
    const kind = pick(KINDS);
    const oneDay = r() < 0.3;
    const afternoon = r() < 0.15;
    return aDeal({
      discountId: String(100000 + i), kind, restrictions,
      value: kind === 'percent' ? pick(['0.1', '0.15', '0.2', '0.25', '0.3', '0.35', '0.4', '0.5']) : String(1 + int(40)),
      bundleQuantity: 2, bogo: { buyQuantity: 1, getQuantity: 1, getPercentOff: '1' },
      days: oneDay ? { ...Object.fromEntries(DAYS.map((d) => [d, false])) as Deal['days'], [pick(DAYS)]: true } : aDeal().days,
      startTime: afternoon ? '14:00:00' : null, endTime: afternoon ? '18:00:00' : null,
    });
  });
  return { products, deals };
}
