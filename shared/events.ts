/**
 * TypeScript mirrors of the Avro records in schemas/ (avsc decodes to exactly these shapes:
 * unions unwrapped, longs as numbers). Keep in step with the .avsc files.
 */
export const DEAL_KINDS = ['percent', 'flat', 'price_to_amount', 'amount_off_total', 'bundle', 'bogo', 'loyalty'] as const;
export type DealKind = (typeof DEAL_KINDS)[number];

export const RESTRICTION_TYPES = ['product', 'category', 'brand', 'weight', 'strain', 'tag', 'inventoryTag', 'tier', 'vendor'] as const;
export type RestrictionType = (typeof RESTRICTION_TYPES)[number];

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface DealRawEvent {
  eventId: string;
  source: 'dutchie' | 'ptl';
  api: 'pos' | 'backoffice' | 'odoo';
  locationId: string;
  discountId: string;
  op: 'upsert' | 'remove';
  fetchedAt: number;
  contentHash: string | null;
  record: string | null;
  market: string;
  timeZone: string;
  posLocId: number | null;
}

export interface Restriction { ids: string[]; isExclusion: boolean }

export interface Deal {
  id: string;
  locationId: string;
  discountId: string;
  source: 'dutchie' | 'ptl';
  sourceApi: string;
  market: string;
  timeZone: string;
  name: string;
  internalName: string | null;
  code: string | null;
  externalId: string | null;
  calculationMethodId: number | null;
  kind: DealKind;
  value: string | null;
  bundleQuantity: number | null;
  bogo: { buyQuantity: number; getQuantity: number; getPercentOff: string } | null;
  applicationMethod: string;
  isActive: boolean;
  isAvailableOnline: boolean;
  validFrom: number | null;
  validUntil: number | null;
  startTime: string | null;
  endTime: string | null;
  days: Record<Weekday, boolean>;
  restrictions: Partial<Record<RestrictionType, Restriction>>;
  thresholdType: string | null;
  thresholdMin: string | null;
  thresholdMax: string | null;
  minimumItemsRequired: number | null;
  applyToOnlyOneItem: boolean;
  isBundledDiscount: boolean;
  highestOrLowest: string | null;
  firstTimeCustomerOnly: boolean;
  canStackAutomatically: boolean;
  maxRedemptions: number | null;
  redemptionLimit: number | null;
  customerGroupIds: number[];
  menuDisplay: { name: string | null; description: string | null; imageUrl: string | null; rank: number | null } | null;
  contentHash: string;
  rawRecord: string;
  version: number;
}

/** dealstream.InventoryRawEvent (schemas/inventory-raw-event.avsc): one package of a store's feed. */
export interface InventoryRawEvent {
  eventId: string;
  api: 'pos' | 'backoffice';
  locationId: string;
  inventoryId: string;
  op: 'upsert' | 'remove';
  fetchedAt: number;
  contentHash: string | null;
  record: string | null;
}

/** dealstream.InventoryItem (schemas/inventory-item.avsc): one package of one store, canonical. */
export interface InventoryItem {
  id: string;
  locationId: string;
  inventoryId: string;
  productId: string;
  sku: string | null;
  name: string | null;
  alternateName: string | null;
  description: string | null;
  categoryId: string | null;
  category: string | null;
  masterCategory: string | null;
  brandId: string | null;
  brand: string | null;
  strainId: string | null;
  strain: string | null;
  strainType: string | null;
  vendorId: string | null;
  vendor: string | null;
  producer: string | null;
  pricingTierId: string | null;
  pricingTierName: string | null;
  tagIds: string[];
  tags: string[];
  size: string | null;
  weightGrams: string | null;
  price: string;
  unitPrice: string | null;
  recUnitPrice: string | null;
  medUnitPrice: string | null;
  /** absent in items written before it existed */
  unitCost?: string | null;
  quantity: string;
  isCannabis: boolean;
  isActive: boolean;
  medicalOnly: boolean;
  imageUrl: string | null;
  images: string[];
  effectivePotencyMg: string | null;
  potencyIndicator: string | null;
  potencyThcFormatted: string | null;
  potencyCbdFormatted: string | null;
  unitThcContentDose: string | null;
  unitCbdContentDose: string | null;
  slug: string | null;
  effects: string[];
  staffPick: boolean;
  sourceApi: string;
  contentHash: string;
  version: number;
}

/**
 * dealstream.ProductEnrichment (schemas/product-enrichment.avsc): what the chain's Odoo catalog says of
 * one product (SKU), on the compacted products.enrichment.v1 (key = SKU; a tombstone when the catalog
 * no longer describes it). Empty text and lists mean "nothing to add": the join never blanks a POS value.
 */
export interface ProductEnrichment {
  sku: string;
  odooId: number;
  description: string | null;
  imageUrl: string | null;
  images: string[];
  effects: string[];
  tags: string[];
  staffPick: boolean;
  slug: string | null;
  potencyThcFormatted: string | null;
  potencyCbdFormatted: string | null;
  contentHash: string;
  version: number;
}

/** dealstream.DiscountApplicationEvent (schemas/discount-application-event.avsc). */
export interface DiscountApplicationEvent {
  eventId: string;
  applicationId: string;
  businessId: string;
  entityType: string;
  entityId: string;
  lineId: string | null;
  scope: string;
  type: string;
  method: string;
  value: string;
  amountApplied: string;
  ruleId: string | null;
  promotionId: string | null;
  reason: string | null;
  createdBy: string | null;
  approvedBy: string | null;
  redemptionId: string | null;
  createdAt: number;
}

/** dealstream.PromotionDiscountApplied (schemas/promotion-discount-applied.avsc). */
export interface PromotionDiscountApplied {
  eventId: string;
  promotionId: string;
  businessId: string;
  applicationId: string;
  entityType: string;
  entityId: string;
  lineId: string | null;
  scope: string;
  amountApplied: string;
  employeeId: string | null;
  occurredAt: number;
}

/** dealstream.LoyaltyRedemption (schemas/loyalty-redemption.avsc). */
export interface LoyaltyRedemption {
  redemptionId: string;
  businessId: string;
  customerId: string;
  entityType: string;
  entityId: string;
  lineId: string | null;
  points: number;
  amount: string;
  employeeId: string | null;
  reason: string | null;
  redeemedAt: number;
}
