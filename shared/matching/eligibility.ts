/**
 * Whether a product passes a deal's restrictions, and the deal's tier.
 *
 * Rules (deal-semantics.md §12): restriction types are ANDed; within a type the list is an
 * include list or an exclude list; a missing or empty list does not constrain; no restriction
 * at all means store-wide. A product without the attribute (no brand, no weight) fails an include
 * list and passes an exclude list.
 *
 * Deals are compiled once (id lists to Sets, weights to milligrams) so that checking a product
 * is a few Set lookups.
 */
import { RESTRICTION_TYPES, type Deal, type RestrictionType } from '../events';
import { gramsToMg, weightMatches } from './weight';
import type { MatchableProduct, MatchTier, MatchTierName } from './types';

export interface CompiledCheck {
  type: RestrictionType;
  isExclusion: boolean;
  ids: ReadonlySet<string>;
  /** weight restrictions only: the ids as milligrams */
  weightsMg: readonly number[];
}

export interface CompiledDeal {
  deal: Deal;
  /** non-empty restriction lists only */
  checks: readonly CompiledCheck[];
  /** true when a non-empty restriction of a type we do not know is present: it never matches */
  unsatisfiable: boolean;
  tier: MatchTier;
  tierName: MatchTierName;
  /** the include ids of the tier's type (product / category / brand); empty for tier 4 */
  tierIds: readonly string[];
  /** the checks other than the tier's include list (what an index lookup does not already prove) */
  rest: readonly CompiledCheck[];
}

/** A product with its weight parsed once. */
export interface CompiledProduct {
  product: MatchableProduct;
  weightMg: number | null;
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(RESTRICTION_TYPES);
const isRestrictionType = (t: string): t is RestrictionType => KNOWN_TYPES.has(t);

export function compileProduct(product: MatchableProduct): CompiledProduct {
  return { product, weightMg: gramsToMg(product.weightGrams) };
}

export function compileDeal(deal: Deal): CompiledDeal {
  const checks: CompiledCheck[] = [];
  let unsatisfiable = false;
  // Avro maps arrive as plain objects and may carry types newer than this code: a constraint we
  // cannot evaluate must not widen a deal, so such a deal never matches (decision, see README).
  for (const [type, restriction] of Object.entries(deal.restrictions)) {
    if (!restriction || restriction.ids.length === 0) continue;
    if (!isRestrictionType(type)) {
      unsatisfiable = true;
      continue;
    }
    const weightsMg = type === 'weight' ? restriction.ids.map(gramsToMg).filter((w): w is number => w !== null) : [];
    checks.push({ type, isExclusion: restriction.isExclusion, ids: new Set(restriction.ids), weightsMg });
  }
  const include = (t: RestrictionType): CompiledCheck | undefined => checks.find((c) => c.type === t && !c.isExclusion);
  const product = include('product');
  const category = include('category');
  const brand = include('brand');
  const without = (c: CompiledCheck): CompiledCheck[] => checks.filter((x) => x !== c);
  if (product) return { deal, checks, unsatisfiable, tier: 1, tierName: 'product', tierIds: [...product.ids], rest: without(product) };
  if (category) return { deal, checks, unsatisfiable, tier: 2, tierName: 'category', tierIds: [...category.ids], rest: without(category) };
  if (brand) return { deal, checks, unsatisfiable, tier: 3, tierName: 'brand', tierIds: [...brand.ids], rest: without(brand) };
  return { deal, checks, unsatisfiable, tier: 4, tierName: 'store_wide', tierIds: [], rest: checks };
}

function single(id: string | null | undefined, ids: ReadonlySet<string>): boolean {
  return id !== null && id !== undefined && ids.has(id);
}

function any(values: readonly string[] | undefined, ids: ReadonlySet<string>): boolean {
  return values !== undefined && values.some((v) => ids.has(v));
}

/**
 * Whether the product's attribute of the check's type is in the check's list. The weight comes
 * as a parameter (integer mg, parsed once per product) so the naive loop and the index share
 * this one function without either allocating per product.
 */
function inList(check: CompiledCheck, product: MatchableProduct, weightMg: number | null): boolean {
  switch (check.type) {
    case 'product': return check.ids.has(product.productId);
    case 'category': return single(product.categoryId, check.ids);
    case 'brand': return single(product.brandId, check.ids);
    case 'strain': return single(product.strainId, check.ids);
    case 'vendor': return single(product.vendorId, check.ids);
    case 'tier': return single(product.tierId, check.ids);
    case 'tag': return any(product.tagIds, check.ids);
    case 'inventoryTag': return any(product.inventoryTagIds, check.ids);
    case 'weight': return weightMg !== null && check.weightsMg.some((w) => weightMatches(weightMg, w));
    default: {
      const _exhaustive: never = check.type;
      return _exhaustive;
    }
  }
}

/** Whether the product passes every one of `checks` (each: in the list XOR an exclusion). */
export function passesChecks(checks: readonly CompiledCheck[], product: MatchableProduct, weightMg: number | null): boolean {
  for (let i = 0; i < checks.length; i += 1) {
    const check = checks[i]!;
    if (inList(check, product, weightMg) === check.isExclusion) return false;
  }
  return true;
}

/** Whether the product passes every restriction type of the deal (liveness is checked elsewhere). */
export function isEligible(deal: CompiledDeal, product: CompiledProduct): boolean {
  return !deal.unsatisfiable && passesChecks(deal.checks, product.product, product.weightMg);
}
