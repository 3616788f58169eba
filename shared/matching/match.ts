/**
 * Matching for one location: an index of its deals (by product id, category, brand, and a
 * store-wide list) built once, then each product looks up only its candidate deals.
 *
 * A deal is indexed under its tier's include list only: restriction types are ANDed, so a
 * product can match a tier-1 deal only if its product id is in that list (likewise category,
 * brand). Every candidate is still fully checked. Each deal sits in exactly one bucket, so a
 * product never sees a deal twice. Price effects are memoised per (deal, price): products
 * share prices, and the effect of a deal on a price is the same for every product.
 */
import type { Deal } from '../events';
import { compileDeal, compileProduct, isEligible, type CompiledDeal, type CompiledProduct } from './eligibility';
import { isDealLive } from './live';
import { priceEffect } from './price';
import type { DealMatch, MatchableProduct, ProductMatch } from './types';

export interface IndexedDeal extends CompiledDeal {
  /** DealMatch per product price (memo) */
  readonly byPrice: Map<string, DealMatch>;
}

export interface DealIndex {
  /** the instant liveness was evaluated at; null = every active deal (liveness left to the reader) */
  at: number | null;
  byProduct: ReadonlyMap<string, readonly IndexedDeal[]>;
  byCategory: ReadonlyMap<string, readonly IndexedDeal[]>;
  byBrand: ReadonlyMap<string, readonly IndexedDeal[]>;
  storeWide: readonly IndexedDeal[];
  /** deals in the index (active, and live at `at` when given) */
  size: number;
}

export interface IndexOptions {
  /** evaluate liveness at this instant (epoch ms); null keeps every active deal */
  at: number | null;
  /** liveness function (defaults to the shared one) */
  isLive?: (deal: Deal, atMs: number) => boolean;
}

function push(map: Map<string, IndexedDeal[]>, key: string, d: IndexedDeal): void {
  const list = map.get(key);
  if (list) list.push(d);
  else map.set(key, [d]);
}

/** Whether a deal takes part at all: enabled at the source and, when `at` is given, live then. */
function takesPart(deal: Deal, opts: IndexOptions): boolean {
  if (!deal.isActive) return false;
  return opts.at === null || (opts.isLive ?? isDealLive)(deal, opts.at);
}

export function buildDealIndex(deals: readonly Deal[], opts: IndexOptions): DealIndex {
  const byProduct = new Map<string, IndexedDeal[]>();
  const byCategory = new Map<string, IndexedDeal[]>();
  const byBrand = new Map<string, IndexedDeal[]>();
  const storeWide: IndexedDeal[] = [];
  let size = 0;
  for (const deal of deals) {
    if (!takesPart(deal, opts)) continue;
    const d: IndexedDeal = { ...compileDeal(deal), byPrice: new Map() };
    if (d.unsatisfiable) continue;
    size += 1;
    switch (d.tier) {
      case 1: for (const id of d.tierIds) push(byProduct, id, d); break;
      case 2: for (const id of d.tierIds) push(byCategory, id, d); break;
      case 3: for (const id of d.tierIds) push(byBrand, id, d); break;
      case 4: storeWide.push(d); break;
      default: {
        const _exhaustive: never = d.tier;
        return _exhaustive;
      }
    }
  }
  return { at: opts.at, byProduct, byCategory, byBrand, storeWide, size };
}

function makeMatch(d: CompiledDeal, price: string): DealMatch {
  return {
    dealId: d.deal.id,
    discountId: d.deal.discountId,
    name: d.deal.name,
    kind: d.deal.kind,
    tier: d.tier,
    tierName: d.tierName,
    effect: priceEffect(d.deal, price),
  };
}

function matchFor(d: IndexedDeal, price: string): DealMatch {
  let m = d.byPrice.get(price);
  if (m === undefined) {
    m = makeMatch(d, price);
    d.byPrice.set(price, m);
  }
  return m;
}

const EFFECT_ORDER = { unit_price: 0, offer: 1, invalid: 2 } as const;

/** Display order: tier, then unit price (offers after prices, invalid last), then deal id. */
export function compareMatches(a: DealMatch, b: DealMatch): number {
  if (a.tier !== b.tier) return a.tier - b.tier;
  const ea = EFFECT_ORDER[a.effect.kind];
  const eb = EFFECT_ORDER[b.effect.kind];
  if (ea !== eb) return ea - eb;
  if (a.effect.kind === 'unit_price' && b.effect.kind === 'unit_price' && a.effect.unitPriceCents !== b.effect.unitPriceCents) {
    return a.effect.unitPriceCents - b.effect.unitPriceCents;
  }
  return a.dealId < b.dealId ? -1 : a.dealId > b.dealId ? 1 : 0;
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

function collect(index: DealIndex, p: CompiledProduct, out: DealMatch[], list: readonly IndexedDeal[] | undefined): void {
  if (list === undefined) return;
  for (const d of list) if (isEligible(d, p)) out.push(matchFor(d, p.product.price));
}

/** Every deal of the index that applies to the product, and the best one. */
export function matchProduct(index: DealIndex, product: MatchableProduct): ProductMatch {
  const p = compileProduct(product);
  const matches: DealMatch[] = [];
  collect(index, p, matches, index.byProduct.get(product.productId));
  if (product.categoryId != null) collect(index, p, matches, index.byCategory.get(product.categoryId));
  if (product.brandId != null) collect(index, p, matches, index.byBrand.get(product.brandId));
  collect(index, p, matches, index.storeWide);
  if (matches.length > 1) matches.sort(compareMatches);
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
  const compiled = deals.filter((d) => takesPart(d, opts)).map(compileDeal);
  return products.map((product) => {
    const p = compileProduct(product);
    const matches: DealMatch[] = [];
    for (const d of compiled) if (isEligible(d, p)) matches.push(makeMatch(d, product.price));
    matches.sort(compareMatches);
    return pickBest(product.productId, matches);
  });
}
