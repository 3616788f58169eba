/** 4-tier deal-to-product matching (pure). See README "Matching" for the decisions. */
export * from './types';
export { gramsToMg, weightMatches } from './weight';
export { compileDeal, compileProduct, isEligible, type CompiledDeal, type CompiledProduct } from './eligibility';
export { priceEffect, compilePricing, type PricingFields, type Pricer } from './price';
export { isDealLive, liveAt, type LiveFields } from './live';
export { buildDealIndex, matchProduct, matchInventory, matchInventoryNaive, pickBest, compareMatches, type DealIndex, type IndexOptions } from './match';
