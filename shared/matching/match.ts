/**
 * Matching for one location: an index of its deals (by product id, category, brand, and a
 * store-wide list) built once, then each product looks up only its candidate deals.
 *
 * A deal is indexed under its tier's include list only: restriction types are ANDed, so a
 * product can match a tier-1 deal only if its product id is in that list (likewise category,
 * brand). Every candidate is still checked against its other restrictions (`rest`). Each deal
 * sits in exactly one bucket, so a product never sees a deal twice, and buckets are sorted by
 * deal id when built, so visiting them in tier order yields the display order without a
 * per-product sort; the best deal is picked on the way (same rule as pickBest).
 *
 * Price effects are memoised per (deal, price): products share a few dozen price points, and
 * the effect of a deal on a price is the same for every product. Prices and weights are interned
 * once per distinct text. The memo lives inside the index (it is a cache: it never changes a
 * result), so DealMatch objects are shared between products: treat them as read-only.
 */
import type { Deal } from '../events';
import { compileDeal, compileProduct, isEligible, passesChecks, type CompiledCheck, type CompiledDeal } from './eligibility';
import { liveAt } from './live';
import { compilePricing, type Pricer } from './price';
import type { DealMatch, MatchableProduct, PriceEffect, ProductMatch } from './types';
import { gramsToMg } from './weight';

/** Deals with the same pricing terms (kind, value, ...) share one pricer and its effects per price. */
interface PricingSlot {
  readonly pricer: Pricer;
  /** effect per interned price (memo) */
  readonly effects: (PriceEffect | undefined)[];
}

interface IndexedDeal {
  readonly compiled: CompiledDeal;
  readonly dealId: string;
  /** the checks an index lookup does not prove; null when the lookup alone proves eligibility */
  readonly rest: readonly CompiledCheck[] | null;
  readonly pricing: PricingSlot;
  /** DealMatch per interned price (memo) */
  readonly byPrice: (DealMatch | undefined)[];
  /** beside byPrice: the unit price in cents, OFFER or INVALID (what picking the best needs, as a number) */
  readonly rankByPrice: number[];
  /** the match made last (memo of the memo: offers share one match across prices) */
  last: DealMatch | null;
}

const OFFER = -1;
const INVALID = -2;

/** The deals of one index key (a product id, category, brand, or the store-wide list), in deal-id order. */
type Bucket = IndexedDeal[];

export interface DealIndex {
  /** the instant liveness was evaluated at; null = every active deal (liveness left to the reader) */
  readonly at: number | null;
  readonly byProduct: ReadonlyMap<string, Bucket>;
  readonly byCategory: ReadonlyMap<string, Bucket>;
  readonly byBrand: ReadonlyMap<string, Bucket>;
  readonly storeWide: Bucket;
  /** whether any deal has a weight check (else products' weights are never parsed) */
  readonly readsWeight: boolean;
  /** price text -> small integer, for the memos (grows as products are matched) */
  readonly priceIds: Map<string, number>;
  /** weight text -> milligrams (grows as products are matched) */
  readonly weightsMg: Map<string, number | null>;
  /** reused between products to collect one product's matches before copying them out */
  readonly scratch: DealMatch[];
  /** deals in the index (active, and live at `at` when given) */
  readonly size: number;
}

export interface IndexOptions {
  /** evaluate liveness at this instant (epoch ms); null keeps every active deal */
  at: number | null;
  /** liveness at `at` (defaults to shared/deal-time via liveAt) */
  isLive?: (deal: Deal) => boolean;
}

function push(map: Map<string, Bucket>, key: string, d: IndexedDeal): void {
  const bucket = map.get(key);
  if (bucket === undefined) map.set(key, [d]);
  else bucket.push(d);
}

/** Which deals take part: enabled at the source and, when `at` is given, live then. */
function participants(deals: readonly Deal[], opts: IndexOptions): Deal[] {
  const at = opts.at;
  if (at === null) return deals.filter((d) => d.isActive);
  const live = opts.isLive ?? liveAt(at);
  return deals.filter((d) => d.isActive && live(d));
}

/** A text field of a key, length-prefixed so that no two different values spell the same key. */
const keyText = (s: string | null): string => (s === null ? '-' : `${s.length}:${s}`);

/** Everything priceEffect reads from a deal: deals equal on these price every product alike. */
function pricingKey(d: Deal): string {
  const b = d.bogo;
  const bogo = b === null ? '-' : `${b.buyQuantity},${b.getQuantity},${keyText(b.getPercentOff)}`;
  return `${d.kind} ${keyText(d.value)} ${d.bundleQuantity ?? '-'} ${bogo} ${keyText(d.thresholdType)} ${keyText(d.thresholdMin)}`;
}

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
  const storeWide: Bucket = [];
  let size = 0;
  let readsWeight = false;
  for (const deal of participants(deals, opts)) {
    const compiled = compileDeal(deal);
    if (compiled.unsatisfiable) continue;
    const rest = compiled.rest.length === 0 ? null : compiled.rest;
    if (rest !== null && rest.some((c) => c.type === 'weight')) readsWeight = true;
    const d: IndexedDeal = { compiled, dealId: deal.id, rest, pricing: slotFor(deal), byPrice: [], rankByPrice: [], last: null };
    size += 1;
    switch (compiled.tier) {
      case 1: for (const id of compiled.tierIds) push(byProduct, id, d); break;
      case 2: for (const id of compiled.tierIds) push(byCategory, id, d); break;
      case 3: for (const id of compiled.tierIds) push(byBrand, id, d); break;
      case 4: storeWide.push(d); break;
      default: {
        const _exhaustive: never = compiled.tier;
        return _exhaustive;
      }
    }
  }
  for (const map of [byProduct, byCategory, byBrand]) for (const b of map.values()) b.sort(byDealId);
  storeWide.sort(byDealId);
  return { at: opts.at, byProduct, byCategory, byBrand, storeWide, readsWeight, priceIds: new Map(), weightsMg: new Map(), scratch: [], size };
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

const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byDealId = (a: IndexedDeal, b: IndexedDeal): number => compareIds(a.dealId, b.dealId);

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

function internPrice(index: DealIndex, price: string): number {
  let id = index.priceIds.get(price);
  if (id === undefined) {
    id = index.priceIds.size;
    index.priceIds.set(price, id);
  }
  return id;
}

function weightOf(index: DealIndex, grams: string | null | undefined): number | null {
  if (!index.readsWeight || grams === null || grams === undefined) return null;
  let mg = index.weightsMg.get(grams);
  if (mg === undefined) {
    mg = gramsToMg(grams);
    index.weightsMg.set(grams, mg);
  }
  return mg;
}

/** The per-price memo of a deal: its match, and the match's rank for the best-deal rule. */
function matchFor(d: IndexedDeal, priceId: number, price: string): DealMatch {
  let m = d.byPrice[priceId];
  if (m === undefined) {
    const slot = d.pricing;
    const effect = slot.effects[priceId] ?? (slot.effects[priceId] = slot.pricer(price));
    // an offer's effect is one object for every price: so is its match (fewer objects to keep)
    m = effect === d.last?.effect ? d.last : makeMatch(d.compiled, effect);
    d.last = m;
    d.byPrice[priceId] = m;
    d.rankByPrice[priceId] = effect.kind === 'unit_price' ? effect.unitPriceCents : effect.kind === 'offer' ? OFFER : INVALID;
  }
  return m;
}

/** Every deal of the index that applies to the product, and the best one. */
export function matchProduct(index: DealIndex, product: MatchableProduct): ProductMatch {
  const priceId = internPrice(index, product.price);
  const weightMg = weightOf(index, product.weightGrams);
  const price = product.price;
  const out = index.scratch;
  let n = 0;
  // pickBest on the way: the first lowest unit price in display order, else the first offer
  let best = -1;
  let bestRank = Infinity;
  let firstOffer = -1;
  // tier order; each bucket is already in deal-id order
  for (let tier = 1; tier <= 4; tier += 1) {
    const bucket = tier === 1 ? index.byProduct.get(product.productId)
      : tier === 2 ? (product.categoryId == null ? undefined : index.byCategory.get(product.categoryId))
        : tier === 3 ? (product.brandId == null ? undefined : index.byBrand.get(product.brandId))
          : index.storeWide;
    if (bucket === undefined) continue;
    for (let i = 0; i < bucket.length; i += 1) {
      const d = bucket[i]!;
      if (d.rest !== null && !passesChecks(d.rest, product, weightMg)) continue;
      out[n] = d.byPrice[priceId] ?? matchFor(d, priceId, price);
      const rank = d.rankByPrice[priceId]!;
      if (rank >= 0) {
        if (rank < bestRank) {
          bestRank = rank;
          best = n;
        }
      } else if (rank === OFFER && firstOffer < 0) firstOffer = n;
      n += 1;
    }
  }
  const matches = out.slice(0, n);
  const bestMatch = best >= 0 ? matches[best]! : firstOffer >= 0 ? matches[firstOffer]! : null;
  const discountedPrice = bestMatch !== null && bestMatch.effect.kind === 'unit_price' ? bestMatch.effect.unitPrice : null;
  return { productId: product.productId, matches, best: bestMatch, discountedPrice };
}

/** Matching for a whole location: one result per product, in input order. */
export function matchInventory(deals: readonly Deal[], products: readonly MatchableProduct[], opts: IndexOptions): ProductMatch[] {
  const index = buildDealIndex(deals, opts);
  const results = new Array<ProductMatch>(products.length);
  for (let i = 0; i < products.length; i += 1) results[i] = matchProduct(index, products[i]!);
  return results;
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
