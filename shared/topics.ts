/**
 * Every topic of the system, in one place: its name, cleanup policy, retention and value schema.
 * Names are prefixed per environment (TOPIC_PREFIX) so tests can run side by side.
 *
 * Retention: the raw topics are the history a "fix the mapping, replay raw" rebuild reads, and the
 * dead-letter topics what a redrive reads: both are kept for ever (`keep`). The canonical topics are
 * compacted (the latest state per key). The rest take the broker's default.
 */
export const TOPICS = {
  rawDutchie: { name: 'deals.raw.dutchie.v1', compacted: false, keep: true, schema: 'dealstream.DealRawEvent' },
  rawPtl: { name: 'deals.raw.ptl.v1', compacted: false, keep: true, schema: 'dealstream.DealRawEvent' },
  discounts: { name: 'deals.discounts.v1', compacted: true, schema: 'dealstream.Deal' },
  dlq: { name: 'deals.dlq.v1', compacted: false, keep: true, schema: undefined },
  // v2: keyed by inventory package ({locationId}_{inventoryId}), not product; see the README's
  // "Inventory topics" for why the topics were versioned rather than the schema evolved in place
  inventoryRaw: { name: 'inventory.raw.v2', compacted: false, keep: true, schema: 'dealstream.InventoryRawEvent' },
  inventoryItems: { name: 'inventory.items.v2', compacted: true, schema: 'dealstream.InventoryItem' },
  // product enrichment (issue 14, phase 2): key = SKU, the chain's Odoo catalog per product; joined into inventory by the projector
  productEnrichment: { name: 'products.enrichment.v1', compacted: true, schema: 'dealstream.ProductEnrichment' },
  // discounts service (issue 4)
  discountApplications: { name: 'discounts.applications.v1', compacted: false, schema: 'dealstream.DiscountApplicationEvent' },
  promotionDiscountApplied: { name: 'promotions.discount-applied.v1', compacted: false, schema: 'dealstream.PromotionDiscountApplied' },
  loyaltyRedemptions: { name: 'loyalty.redemptions.v1', compacted: false, schema: 'dealstream.LoyaltyRedemption' },
  discountsDlq: { name: 'discounts.dlq.v1', compacted: false, keep: true, schema: undefined },
} as const satisfies Record<string, TopicSpec>;

export interface TopicSpec {
  name: string;
  compacted: boolean;
  /** every record is kept for ever (retention.ms = retention.bytes = -1, never compacted) */
  keep?: boolean;
  /** Full name of the Avro record in schemas/ (undefined: raw bytes, e.g. the DLQ). */
  schema: string | undefined;
}

export type TopicKey = keyof typeof TOPICS;

export function topicName(prefix: string, spec: TopicSpec): string {
  return `${prefix}${spec.name}`;
}

/** `{locationId}_{discountId}` — the key of every deal event. */
export function dealKey(locationId: string, discountId: string | number): string {
  return `${locationId}_${discountId}`;
}

/** The location part of a deal/product key; the whole key when it has no `_`. */
export function locationOfKey(key: string): string {
  const i = key.indexOf('_');
  return i === -1 ? key : key.slice(0, i);
}
