/**
 * Pure inventory normaliser: a raw inventory change (InventoryRawEvent) to the canonical
 * InventoryItem on inventory.items.v1 (or a tombstone). No I/O; the consumer decides commit,
 * retry or dead-letter from the outcome.
 *
 * The POS `GET /reporting/inventory` record is camelCase; the Backoffice record is the same
 * object in PascalCase (the contract the sandbox follows, as for discounts). Backoffice keys are
 * camel-cased first, so the mapping lives in one place.
 */
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import type { InventoryItem, InventoryRawEvent } from '../../shared/events';

export type InventoryOutcome =
  | { kind: 'emit'; key: string; value: InventoryItem }
  | { kind: 'tombstone'; key: string }
  | { kind: 'reject'; error: string };

const id = z.union([z.number().int(), z.string().min(1)]).transform(String);
const optId = id.nullish().transform((v) => v ?? null);
const optText = z.string().nullish().transform((v) => (v === undefined || v === null || v.trim() === '' ? null : v));
// JSON numbers arrive as JS numbers: String() gives their shortest exact decimal form, which is
// what the sender wrote (19.99 -> "19.99"); from then on only decimal strings
const decimal = z.union([z.number().finite(), z.string().regex(/^-?\d+(\.\d+)?$/)]).transform((v) => new Decimal(String(v)));

/** The POS reporting-inventory record, as far as the pipeline reads it. */
export const posInventoryRecord = z.object({
  productId: id,
  sku: z.string().min(1),
  productName: z.string().min(1),
  description: optText,
  categoryId: optId,
  category: optText,
  masterCategory: optText,
  brandId: optId,
  brandName: optText,
  strainId: optId,
  strain: optText,
  strainType: optText,
  vendorId: optId,
  vendor: optText,
  pricingTierId: optId,
  tags: z.array(z.object({ tagId: id, tagName: z.string().nullish() })).nullish(),
  unitWeight: decimal.nullish(),
  unitWeightUnit: z.string().nullish(),
  unitPrice: decimal,
  recUnitPrice: decimal.nullish(),
  quantityAvailable: decimal,
  imageUrl: optText,
});
export type PosInventoryRecord = z.input<typeof posInventoryRecord>;

const GRAMS_PER: Record<string, Decimal> = {
  g: new Decimal(1), gram: new Decimal(1), grams: new Decimal(1),
  mg: new Decimal('0.001'), milligram: new Decimal('0.001'), milligrams: new Decimal('0.001'),
  oz: new Decimal('28.349523125'), ounce: new Decimal('28.349523125'), ounces: new Decimal('28.349523125'),
  lb: new Decimal('453.59237'), lbs: new Decimal('453.59237'), pound: new Decimal('453.59237'),
};

/** Net weight in grams (4 decimals, trailing zeros trimmed); null when absent or not a mass. */
export function toGrams(weight: Decimal | null | undefined, unit: string | null | undefined): string | null {
  if (weight === null || weight === undefined || weight.lte(0)) return null;
  const factor = GRAMS_PER[(unit ?? 'g').trim().toLowerCase()];
  return factor === undefined ? null : weight.times(factor).toDecimalPlaces(4).toString();
}

function camelKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(camelKeys);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.charAt(0).toLowerCase() + k.slice(1), camelKeys(x)]));
  }
  return v;
}

export function normaliseInventory(event: InventoryRawEvent): InventoryOutcome {
  const key = `${event.locationId}_${event.productId}`;
  if (event.op === 'remove') return { kind: 'tombstone', key };
  if (event.record === null || event.contentHash === null) return { kind: 'reject', error: 'upsert without a record' };
  let json: unknown;
  try {
    json = JSON.parse(event.record);
  } catch {
    return { kind: 'reject', error: 'record is not JSON' };
  }
  const parsed = posInventoryRecord.safeParse(event.api === 'backoffice' ? camelKeys(json) : json);
  if (!parsed.success) {
    return { kind: 'reject', error: `invalid ${event.api} inventory record: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  }
  const r = parsed.data;
  if (r.productId !== event.productId) return { kind: 'reject', error: `record productId ${r.productId} does not match the event's ${event.productId}` };
  const price = (r.recUnitPrice ?? r.unitPrice).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
  if (price.isNegative()) return { kind: 'reject', error: 'negative price' };
  return {
    kind: 'emit',
    key,
    value: {
      id: key,
      locationId: event.locationId,
      productId: r.productId,
      sku: r.sku,
      name: r.productName,
      description: r.description,
      categoryId: r.categoryId,
      category: r.category,
      masterCategory: r.masterCategory,
      brandId: r.brandId,
      brand: r.brandName,
      strainId: r.strainId,
      strain: r.strain,
      strainType: r.strainType,
      vendorId: r.vendorId,
      vendor: r.vendor,
      pricingTierId: r.pricingTierId,
      tagIds: (r.tags ?? []).map((t) => t.tagId),
      weightGrams: toGrams(r.unitWeight, r.unitWeightUnit),
      price: price.toFixed(2),
      quantity: Decimal.max(0, r.quantityAvailable).toString(),
      imageUrl: r.imageUrl,
      sourceApi: event.api,
      contentHash: event.contentHash,
      version: event.fetchedAt,
    },
  };
}
