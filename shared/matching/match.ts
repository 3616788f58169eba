/**
 * Matching for one location: an index of its deals (by product id, category, brand, and a
 * store-wide list) built once, then each product looks up only its candidate deals.
 *
 * A deal is indexed under its tier's include list only: restriction types are ANDed, so a
 * product can match a tier-1 deal only if its product id is in that list (likewise category,
 * brand). Every candidate is still fully checked. Each deal sits in exactly one bucket, so a
 * product never sees a deal twice, and buckets are sorted by deal id when built, so visiting
 * them in tier order yields the display order without a per-product sort.
 *
 * Price effects are memoised per (deal, price): products share a few dozen price points, and
 * the effect of a deal on a price is the same for every product. Prices are interned to small
 * integers so the memo is an array lookup. The memo lives inside the index (it is a cache: it
 * never changes a result), so DealMatch objects are shared between products: treat them as
 * read-only.
 */
import type { Deal } from '../events';
import { compileDeal, compileProduct, isEligible, isEligibleFromIndex, type CompiledDeal, type CompiledProduct } from './eligibility';
import { liveAt } from './live';
import { compilePricing, type Pricer } from './price';
import type { DealMatch, MatchableProduct, PriceEffect, ProductMatch } from './types';

/** Deals with the same pricing terms (kind, value, ...) share one pricer and its effects per price. */
interface PricingSlot {
  readonly pricer: Pricer;
  readonly effects: (PriceEffect | undefined)[];
}

export interface IndexedDeal extends CompiledDeal {
  readonly pricing: PricingSlot;
  /** DealMatch per interned product price (memo) */
  readonly byPrice: (DealMatch | undefined)[];
}

/**
 * The deals of one index key (a product id, category, brand, or the store-wide list), in deal-id
 * order, split into deals the lookup alone proves eligible (`free`) and deals with further checks.
 * The `free` deals' matches depend only on the price, so their list is built once per price and
 * copied into each product's result.
 */
export interface Bucket {
  free: IndexedDeal[];
  checked: IndexedDeal[];
  /** matches of `free` per interned price, in deal-id order (memo) */
  freeByPrice: (DealMatch[] | undefined)[];
}

export interface DealIndex {
  /** the instant liveness was evaluated at; null = every active deal (liveness left to the reader) */
  at: number | null;
  byProduct: ReadonlyMap<string, Bucket>;
  byCategory: ReadonlyMap<string, Bucket>;
  byBrand: ReadonlyMap<string, Bucket>;
  storeWide: Bucket;
  /** price text -> small integer, for the memos (grows as products are matched) */
  priceIds: Map<string, number>;
  /** deals in the index (active, and live at `at` when given) */
  size: number;
}

export interface IndexOptions {
  /** evaluate liveness at this instant (epoch ms); null keeps every active deal */
  at: number | null;
  /** liveness at `at` (defaults to shared/deal-time via liveAt) */
  isLive?: (deal: Deal) => boolean;
}

const newBucket = (): Bucket => ({ free: [], checked: [], freeByPrice: [] });

function add(bucket: Bucket, d: IndexedDeal): void {
  (d.rest.length === 0 ? bucket.free : bucket.checked).push(d);
}

function push(map: Map<string, Bucket>, key: string, d: IndexedDeal): void {
  let bucket = map.get(key);
  if (bucket === undefined) {
    bucket = newBucket();
    map.set(key, bucket);
  }
  add(bucket, d);
}

function sortBucket(b: Bucket): void {
  b.free.sort(byDealId);
  b.checked.sort(byDealId);
}

/** Which deals take part: enabled at the source and, when `at` is given, live then. */
function participants(deals: readonly Deal[], opts: IndexOptions): Deal[] {
  const at = opts.at;
  if (at === null) return deals.filter((d) => d.isActive);
  const live = opts.isLive ?? liveAt(at);
  return deals.filter((d) => d.isActive && live(d));
}

/** Everything priceEffect reads from a deal: deals equal on these price every product alike. */
const pricingKey = (d: Deal): string => JSON.stringify([d.kind, d.value, d.bundleQuantity, d.bogo, d.thresholdType, d.thresholdMin]);

export function buildDealIndex(deals: readonly Deal[], opts: IndexOptions): DealIndex {
  // stores reuse a few dozen (method, value) pairs: the real AZ fixture has 82 for 691 deals
  const slots = new Map<string, PricingSlot>();
  const slotFor = (deal: Deal): PricingSlot => {
    const key = pricingKey(deal);
    let slot = slots.get(key);
    if (slot === undefined) {
      slot = { pricer: compilePricing(deal), effects: [] };
      slots.set(key, slot);
    }
    return slot;
  };
  const byProduct = new Map<string, Bucket>();
  const byCategory = new Map<string, Bucket>();
  const byBrand = new Map<string, Bucket>();
  const storeWide = newBucket();
  let size = 0;
  for (const deal of participants(deals, opts)) {
    const d: IndexedDeal = Object.assign(compileDeal(deal), { pricing: slotFor(deal), byPrice: [] as (DealMatch | undefined)[] });
    if (d.unsatisfiable) continue;
    size += 1;
    switch (d.tier) {
      case 1: for (const id of d.tierIds) push(byProduct, id, d); break;
      case 2: for (const id of d.tierIds) push(byCategory, id, d); break;
      case 3: for (const id of d.tierIds) push(byBrand, id, d); break;
      case 4: add(storeWide, d); break;
      default: {
        const _exhaustive: never = d.tier;
        return _exhaustive;
      }
    }
  }
  for (const map of [byProduct, byCategory, byBrand]) for (const b of map.values()) sortBucket(b);
  sortBucket(storeWide);
  return { at: opts.at, byProduct, byCategory, byBrand, storeWide, priceIds: new Map(), size };
}

function makeMatch(d: CompiledDeal, effect: PriceEffect): DealMatch {
  return {
    dealId: d.deal.id,
    discountId: d.deal.discountId,
    name: d.deal.name,
    kind: d.deal.kind,
    tier: d.tier,
    tierName: d.tierName,
    effect,
  };
}

function matchFor(d: IndexedDeal, priceId: number, price: string): DealMatch {
  let m = d.byPrice[priceId];
  if (m === undefined) {
    const slot = d.pricing;
    const effect = slot.effects[priceId] ?? (slot.effects[priceId] = slot.pricer(price));
    m = makeMatch(d, effect);
    d.byPrice[priceId] = m;
  }
  return m;
}

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byDealId = (a: CompiledDeal, b: CompiledDeal): number => compareIds(a.deal.id, b.deal.id);

/** Display order: tier (most specific first), then deal id. */
export function compareMatches(a: DealMatch, b: DealMatch): number {
  return a.tier !== b.tier ? a.tier - b.tier : compareIds(a.dealId, b.dealId);
}

/**
 * The best deal: the lowest resulting unit price; ties go to the more specific tier, then to
 * the smaller deal id (stable across runs). With no unit-price deal, the most specific offer.
 * `matches` must be in display order (compareMatches).
 */
export function pickBest(productId: string, matches: DealMatch[]): ProductMatch {
  let best: DealMatch | null = null;
  for (const m of matches) {
    if (m.effect.kind !== 'unit_price') continue;
    if (best === null || best.effect.kind !== 'unit_price' || m.effect.unitPriceCents < best.effect.unitPriceCents) best = m;
    // equal prices: the earlier one in display order (lower tier, then smaller id) stays
  }
  if (best === null) best = matches.find((m) => m.effect.kind === 'offer') ?? null;
  const discountedPrice = best !== null && best.effect.kind === 'unit_price' ? best.effect.unitPrice : null;
  return { productId, matches, best, discountedPrice };
}

/** Appends the bucket's matches for the product to `out`, in deal-id order. */
function collect(p: CompiledProduct, priceId: number, out: DealMatch[], b: Bucket | undefined): void {
  if (b === undefined) return;
  const price = p.product.price;
  let free = b.freeByPrice[priceId];
  if (free === undefined) {
    free = b.free.map((d) => matchFor(d, priceId, price));
    b.freeByPrice[priceId] = free;
  }
  if (b.checked.length === 0) {
    for (const m of free) out.push(m);
    return;
  }
  // merge the free matches with the eligible checked deals, both in deal-id order
  let i = 0;
  for (const d of b.checked) {
    if (!isEligibleFromIndex(d, p)) continue;
    const id = d.deal.id;
    while (i < free.length && free[i]!.dealId < id) out.push(free[i++]!);
    out.push(matchFor(d, priceId, price));
  }
  while (i < free.length) out.push(free[i++]!);
}

function internPrice(index: DealIndex, price: string): number {
  let id = index.priceIds.get(price);
  if (id === undefined) {
    id = index.priceIds.size;
    index.priceIds.set(price, id);
  }
  return id;
}

/** Every deal of the index that applies to the product, and the best one. */
export function matchProduct(index: DealIndex, product: MatchableProduct): ProductMatch {
  const p = compileProduct(product);
  const priceId = internPrice(index, product.price);
  const matches: DealMatch[] = [];
  // tier order; each bucket is already in deal-id order
  collect(p, priceId, matches, index.byProduct.get(product.productId));
  if (product.categoryId != null) collect(p, priceId, matches, index.byCategory.get(product.categoryId));
  if (product.brandId != null) collect(p, priceId, matches, index.byBrand.get(product.brandId));
  collect(p, priceId, matches, index.storeWide);
  return pickBest(product.productId, matches);
}

/** Matching for a whole location: one result per product, in input order. */
export function matchInventory(deals: readonly Deal[], products: readonly MatchableProduct[], opts: IndexOptions): ProductMatch[] {
  const index = buildDealIndex(deals, opts);
  return products.map((p) => matchProduct(index, p));
}

/**
 * The naive product x deal loop, kept as the benchmark baseline and as a test oracle: every
 * deal checked against every product, each effect computed afresh. Liveness is evaluated once
 * per deal here too, so the comparison measures the index, not luxon.
 */
export function matchInventoryNaive(deals: readonly Deal[], products: readonly MatchableProduct[], opts: IndexOptions): ProductMatch[] {
  const compiled = participants(deals, opts).map(compileDeal);
  const pricers = compiled.map((d) => compilePricing(d.deal));
  return products.map((product) => {
    const p = compileProduct(product);
    const matches: DealMatch[] = [];
    compiled.forEach((d, i) => {
      if (isEligible(d, p)) matches.push(makeMatch(d, pricers[i]!(product.price)));
    });
    matches.sort(compareMatches);
    return pickBest(product.productId, matches);
  });
}
