/**
 * Reading a precomputed inventory snapshot for the storefront (GET /api/locations/:id/inventory
 * and friends): liveness applied at `now`, the best deal picked, items rendered in snake_case
 * like the storefront's Discount.
 *
 * Decisions: prices are decimal strings ("34.99"); `discounted_price` is the best unit price or
 * null when no live percent / flat / price-to deal applies (offers such as "2 for $99" do not
 * change it); `deal` is the best match (an offer when no unit-price deal applies); `deals` lists
 * every live match, most specific tier first.
 */
import { liveAt, pickBest, type DealMatch, type Offer } from '../matching';
import type { InventorySnapshot, SnapshotItem } from './snapshot';

export interface StorefrontDeal {
  id: string;
  discount_id: string;
  name: string;
  kind: string;
  tier: number;
  tier_name: string;
  /** resulting unit price, or null for offers */
  unit_price: string | null;
  savings: string | null;
  offer: Offer | null;
}

export interface StorefrontItem {
  id: string;
  location_id: string;
  product_id: string;
  sku: string;
  name: string;
  description: string | null;
  category: string | null;
  category_id: string | null;
  master_category: string | null;
  brand: string | null;
  brand_id: string | null;
  strain: string | null;
  strain_type: string | null;
  vendor: string | null;
  weight_grams: string | null;
  price: string;
  quantity: string;
  image_url: string | null;
  discounted_price: string | null;
  deal: StorefrontDeal | null;
  deals: StorefrontDeal[];
}

export interface InventoryFilter {
  category?: string;
  brand?: string;
  search?: string;
  limit: number;
  offset: number;
}

function toStorefrontDeal(m: DealMatch): StorefrontDeal {
  const e = m.effect;
  return {
    id: m.dealId,
    discount_id: m.discountId,
    name: m.name,
    kind: m.kind,
    tier: m.tier,
    tier_name: m.tierName,
    unit_price: e.kind === 'unit_price' ? e.unitPrice : null,
    savings: e.kind === 'unit_price' ? e.savings : null,
    offer: e.kind === 'offer' ? e.offer : null,
  };
}

/** A snapshot read at one instant: which of its deals are live then. */
export class LiveSnapshot {
  private readonly live: boolean[];

  constructor(readonly snapshot: InventorySnapshot, now: number) {
    const isLive = liveAt(now);
    this.live = snapshot.deals.map((d) => isLive(d.live));
  }

  private matchesOf(item: SnapshotItem): DealMatch[] {
    const out: DealMatch[] = [];
    for (let i = 0; i + 1 < item.m.length; i += 2) {
      const di = item.m[i]!;
      const deal = this.snapshot.deals[di];
      const effect = this.snapshot.effects[item.m[i + 1]!];
      if (deal === undefined || effect === undefined || !this.live[di]) continue;
      out.push({ dealId: deal.id, discountId: deal.discountId, name: deal.name, kind: deal.kind, tier: deal.tier, tierName: deal.tierName, effect });
    }
    return out;
  }

  render(item: SnapshotItem): StorefrontItem {
    const match = pickBest(item.productId, this.matchesOf(item));
    return {
      id: item.id,
      location_id: item.locationId,
      product_id: item.productId,
      sku: item.sku,
      name: item.name,
      description: item.description,
      category: item.category,
      category_id: item.categoryId,
      master_category: item.masterCategory,
      brand: item.brand,
      brand_id: item.brandId,
      strain: item.strain,
      strain_type: item.strainType,
      vendor: item.vendor,
      weight_grams: item.weightGrams,
      price: item.price,
      quantity: item.quantity,
      image_url: item.imageUrl,
      discounted_price: match.discountedPrice,
      deal: match.best === null ? null : toStorefrontDeal(match.best),
      deals: match.matches.map(toStorefrontDeal),
    };
  }

  /** `{data, total, limit, offset}`; category and brand match the name or the id, case-insensitively. */
  list(filter: InventoryFilter): { data: StorefrontItem[]; total: number; limit: number; offset: number } {
    const eq = (wanted: string | undefined, name: string | null, id: string | null): boolean =>
      wanted === undefined || (name !== null && name.toLowerCase() === wanted.toLowerCase()) || id === wanted;
    const q = filter.search?.toLowerCase();
    const hits = this.snapshot.items.filter((i) =>
      eq(filter.category, i.category, i.categoryId) && eq(filter.brand, i.brand, i.brandId) &&
      (q === undefined || [i.name, i.brand, i.strain, i.sku, i.category].some((f) => f !== null && f.toLowerCase().includes(q))));
    return { data: hits.slice(filter.offset, filter.offset + filter.limit).map((i) => this.render(i)), total: hits.length, limit: filter.limit, offset: filter.offset };
  }

  bySku(sku: string): StorefrontItem | null {
    const item = this.snapshot.items.find((i) => i.sku === sku);
    return item === undefined ? null : this.render(item);
  }
}

const distinct = (xs: (string | null)[]): string[] => [...new Set(xs.filter((x): x is string => x !== null))].sort();

export function categoriesOf(s: InventorySnapshot): { categories: string[]; masterCategories: string[] } {
  return { categories: distinct(s.items.map((i) => i.category)), masterCategories: distinct(s.items.map((i) => i.masterCategory)) };
}

export function brandsOf(s: InventorySnapshot): { brands: string[] } {
  return { brands: distinct(s.items.map((i) => i.brand)) };
}
