/**
 * The precomputed inventory of one location, as stored in Redis (`inventory:{locationId}`)
 * by the projector whenever the location's deals or inventory change.
 *
 * Decision: eligibility, tiers and price effects are computed here, once per change, for every
 * ENABLED deal; liveness (date range, weekday, time window in the store's zone) is applied when
 * the snapshot is read, so a happy hour starts and ends on time without anyone recomputing.
 * Applying liveness is a filter over the precomputed matches plus picking the best: no
 * restriction checking and no price arithmetic at request time.
 *
 * The value is compact: deals and price effects are stored once, each item lists its matches as
 * [dealIndex, effectIndex] pairs (a location with 10,000 products and 25 deals each would
 * otherwise store 250,000 match objects).
 */
import type { Deal, InventoryItem } from '../events';
import { buildDealIndex, matchProduct, type LiveFields, type MatchableProduct, type MatchTier, type MatchTierName, type PriceEffect } from '../matching';

/** 2: one item per inventory package, with every field the storefront reads (issue 12) */
export const SNAPSHOT_FORMAT = 2;

export interface SnapshotDeal {
  id: string;
  discountId: string;
  name: string;
  kind: Deal['kind'];
  tier: MatchTier;
  tierName: MatchTierName;
  live: LiveFields;
}

/** The item as the storefront lists it (no pipeline bookkeeping but its version, the storefront's synced_at), plus its matches. */
export type SnapshotItem = Omit<InventoryItem, 'contentHash' | 'sourceApi'> & {
  /** flat [dealIndex, effectIndex, dealIndex, effectIndex, ...] into the snapshot's tables */
  m: number[];
};

export interface InventorySnapshot {
  format: typeof SNAPSHOT_FORMAT;
  locationId: string;
  computedAt: number;
  deals: SnapshotDeal[];
  effects: PriceEffect[];
  /** the location's ACTIVE packages (the feed's isActive false ones are not listed, as the original cached only active ones), sorted by name (no name last), then inventory id */
  items: SnapshotItem[];
}

export function toMatchable(item: InventoryItem): MatchableProduct {
  return {
    productId: item.productId,
    price: item.price,
    categoryId: item.categoryId,
    brandId: item.brandId,
    weightGrams: item.weightGrams,
    strainId: item.strainId,
    vendorId: item.vendorId,
    tierId: item.pricingTierId,
    tagIds: item.tagIds,
  };
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** By product name (an item without one last, as Postgres orders NULLs), then by inventory id. */
export function byNameThenId(a: InventoryItem, b: InventoryItem): number {
  if (a.name !== b.name) return a.name === null ? 1 : b.name === null ? -1 : compareText(a.name, b.name);
  return compareText(a.inventoryId, b.inventoryId);
}

const liveFields = (d: Deal): LiveFields => ({
  validFrom: d.validFrom, validUntil: d.validUntil, startTime: d.startTime, endTime: d.endTime, days: d.days, timeZone: d.timeZone,
});

export function buildSnapshot(locationId: string, items: readonly InventoryItem[], deals: readonly Deal[], computedAt: number): InventorySnapshot {
  const mine = deals.filter((d) => d.locationId === locationId);
  const index = buildDealIndex(mine, { at: null });
  const dealIdx = new Map<string, number>();
  const snapshotDeals: SnapshotDeal[] = [];
  const effectIdx = new Map<PriceEffect, number>();
  const effects: PriceEffect[] = [];
  const byId = new Map(mine.map((d) => [d.id, d]));
  const sorted = items.filter((i) => i.locationId === locationId && i.isActive).sort(byNameThenId);
  const out: SnapshotItem[] = sorted.map((item) => {
    const { matches } = matchProduct(index, toMatchable(item));
    const m: number[] = [];
    for (const match of matches) {
      let di = dealIdx.get(match.dealId);
      if (di === undefined) {
        const deal = byId.get(match.dealId);
        if (deal === undefined) continue; // cannot happen: the index only holds `mine`
        di = snapshotDeals.length;
        snapshotDeals.push({ id: deal.id, discountId: deal.discountId, name: deal.name, kind: deal.kind, tier: match.tier, tierName: match.tierName, live: liveFields(deal) });
        dealIdx.set(match.dealId, di);
      }
      let ei = effectIdx.get(match.effect);
      if (ei === undefined) {
        ei = effects.length;
        effects.push(match.effect);
        effectIdx.set(match.effect, ei);
      }
      m.push(di, ei);
    }
    const { contentHash: _h, sourceApi: _s, ...rest } = item;
    return { ...rest, m };
  });
  return { format: SNAPSHOT_FORMAT, locationId, computedAt, deals: snapshotDeals, effects, items: out };
}
