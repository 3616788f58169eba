/**
 * Types of the 4-tier deal-to-product matching. Pure data: no I/O anywhere in shared/matching.
 */
import type { DealKind } from '../events';

/**
 * What matching needs to know about one product of one location. Ids are text, as in the
 * canonical deal's restrictions; money and weights are decimal strings, never floats.
 */
export interface MatchableProduct {
  productId: string;
  /** unit price at the till, decimal string in currency units ("19.99") */
  price: string;
  categoryId?: string | null;
  brandId?: string | null;
  /** net weight in grams, decimal string ("3.5"); null for non-weighed items */
  weightGrams?: string | null;
  strainId?: string | null;
  vendorId?: string | null;
  /** pricing tier id */
  tierId?: string | null;
  tagIds?: readonly string[];
  inventoryTagIds?: readonly string[];
}

/** Tiers by specificity: the most specific INCLUDE list of the deal that a product matched. */
export const MATCH_TIERS = [
  { tier: 1, name: 'product' },
  { tier: 2, name: 'category' },
  { tier: 3, name: 'brand' },
  { tier: 4, name: 'store_wide' },
] as const;
export type MatchTier = (typeof MATCH_TIERS)[number]['tier'];
export type MatchTierName = (typeof MATCH_TIERS)[number]['name'];

/** What a deal does to one unit of a product. */
export type PriceEffect =
  | {
      kind: 'unit_price';
      /** the product's price before the deal */
      originalPrice: string;
      /** the resulting unit price, 2 decimals, never below zero */
      unitPrice: string;
      /** originalPrice - unitPrice */
      savings: string;
      /** unitPrice in integer cents: exact, used to rank deals without re-parsing decimals */
      unitPriceCents: number;
    }
  | { kind: 'offer'; offer: Offer }
  /** the deal cannot be priced (bad value); it is reported but never chosen as best */
  | { kind: 'invalid'; reason: string };

/** Deals that change a basket rather than a unit price: shown as offers with their terms. */
export type Offer =
  | { type: 'amount_off_total'; amountOff: string | null; thresholdType: string | null; thresholdMin: string | null }
  | { type: 'bundle'; quantity: number | null; total: string | null; label: string }
  | { type: 'bogo'; buyQuantity: number; getQuantity: number; getPercentOff: string; label: string }
  | { type: 'loyalty'; multiplier: string | null };

/** One deal that applies to one product. */
export interface DealMatch {
  dealId: string;
  discountId: string;
  name: string;
  kind: DealKind;
  tier: MatchTier;
  tierName: MatchTierName;
  effect: PriceEffect;
}

/** Every deal that applies to one product, and the best one. */
export interface ProductMatch {
  productId: string;
  /** in display order: tier ascending (most specific first), then deal id */
  matches: DealMatch[];
  /** lowest resulting unit price; when no deal gives a unit price, the most specific offer; null when none match */
  best: DealMatch | null;
  /** the best unit price, or null when no unit-price deal applies */
  discountedPrice: string | null;
}
