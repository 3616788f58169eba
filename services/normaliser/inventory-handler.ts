/**
 * Pure inventory normaliser: a raw change of one inventory package (InventoryRawEvent) to the
 * canonical InventoryItem on inventory.items.v2 (or a tombstone). No I/O; the consumer decides
 * commit, retry or dead-letter from the outcome.
 *
 * The POS `GET /reporting/inventory` record is camelCase (external-apis.md §5); the Backoffice
 * record is the same object in PascalCase (the contract the sandbox follows, as for discounts).
 * Backoffice keys are camel-cased first, so the mapping lives in one place.
 *
 * Decisions (the real feed's pitfalls):
 * - one record per PACKAGE: the key is `{locationId}_{inventoryId}`; productId and sku repeat;
 * - `isActive` is usually absent: absent means active, only an explicit false deactivates;
 * - `price`/`recPrice`/`medPrice` are absent; the base price is unitPrice, else recUnitPrice, else
 *   0: exactly what the storefront computes from what we serve (`unit_price || rec_unit_price ||
 *   price || 0` over decimal strings, where "0.0000" is truthy), so its prices and ours agree;
 * - JSON numbers become decimal strings from their shortest exact form (19.99 -> "19.99");
 * - fields the feed omits stay null (never invented); a negative quantity (oversold) counts as 0.
 */
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import type { InventoryItem, InventoryRawEvent } from '../../shared/events';

export type InventoryOutcome =
  | { kind: 'emit'; key: string; value: InventoryItem }
  /** `version`: the fetch time of the raw event that removed it (shared/versioned.ts) */
  | { kind: 'tombstone'; key: string; version: number }
  | { kind: 'reject'; error: string };

const id = z.union([z.number().int(), z.string().min(1)]).transform(String);
const optId = id.nullish().transform((v) => v ?? null);
const optText = z.string().nullish().transform((v) => (v === undefined || v === null || v.trim() === '' ? null : v));
// JSON numbers arrive as JS numbers: String() gives their shortest exact decimal form, which is
// what the sender wrote (19.99 -> "19.99"); from then on only decimal strings
const decimal = z.union([z.number().finite(), z.string().regex(/^-?\d+(\.\d+)?$/)]).transform((v) => new Decimal(String(v)));
const optDecimal = decimal.nullish().transform((v) => v ?? null);
const optBool = z.boolean().nullish();
/** A tag as the feed sends it ({tagId, tagName}) or a bare name. */
const tag = z.union([
  z.object({ tagId: id.nullish(), tagName: z.string().nullish() }),
  z.string().transform((tagName) => ({ tagId: null, tagName })),
]);
const labResult = z.looseObject({ labTest: z.string().nullish(), value: decimal.nullish(), labResultUnit: z.string().nullish() });

/** The POS reporting-inventory record, as far as the pipeline reads it (unknown fields pass unread). */
export const posInventoryRecord = z.object({
  inventoryId: id,
  productId: id,
  sku: optText,
  productName: optText,
  alternateName: optText,
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
  producer: optText,
  pricingTierId: optId,
  pricingTierName: optText,
  tags: z.array(tag).nullish(),
  size: optText,
  unitWeight: optDecimal,
  unitWeightUnit: z.string().nullish(),
  unitPrice: optDecimal,
  recUnitPrice: optDecimal,
  medUnitPrice: optDecimal,
  unitCost: optDecimal,
  quantityAvailable: optDecimal,
  isCannabis: optBool,
  isActive: optBool,
  medicalOnly: optBool,
  imageUrl: optText,
  effectivePotencyMg: optDecimal,
  potencyIndicator: optText,
  labResults: z.array(labResult).nullish(),
  unitTHCContentDose: optDecimal,
  unitCBDContentDose: optDecimal,
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

type LabResult = z.infer<typeof labResult>;

/** "24.5%" / "10mg" from the feed's lab results for THC or CBD (total or plain); null without one. */
export function formatPotency(results: readonly LabResult[] | null | undefined, compound: 'THC' | 'CBD'): string | null {
  const wanted = new Set([compound, `TOTAL ${compound}`]);
  const hit = (results ?? []).find((r) => r.value !== null && r.value !== undefined && wanted.has((r.labTest ?? '').trim().toUpperCase()));
  if (hit?.value === null || hit?.value === undefined) return null;
  const unit = (hit.labResultUnit ?? '').trim().toLowerCase();
  const value = hit.value.toString();
  return unit === 'percentage' || unit === 'percent' || unit === '%' ? `${value}%` : unit === 'milligrams' || unit === 'mg' ? `${value}mg` : unit ? `${value} ${hit.labResultUnit!.trim()}` : value;
}

/** The base unit price: the first present of unitPrice, recUnitPrice (the storefront's rule), else 0. */
function basePrice(r: { unitPrice: Decimal | null; recUnitPrice: Decimal | null }): Decimal {
  return r.unitPrice ?? r.recUnitPrice ?? new Decimal(0);
}

const text = (d: Decimal | null): string | null => (d === null ? null : d.toString());

function camelKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(camelKeys);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.charAt(0).toLowerCase() + k.slice(1), camelKeys(x)]));
  }
  return v;
}

export function normaliseInventory(event: InventoryRawEvent): InventoryOutcome {
  const key = `${event.locationId}_${event.inventoryId}`;
  if (event.op === 'remove') return { kind: 'tombstone', key, version: event.fetchedAt };
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
  if (r.inventoryId !== event.inventoryId) return { kind: 'reject', error: `record inventoryId ${r.inventoryId} does not match the event's ${event.inventoryId}` };
  if ([r.unitPrice, r.recUnitPrice, r.medUnitPrice].some((p) => p?.isNegative())) return { kind: 'reject', error: 'negative price' };
  const tags = r.tags ?? [];
  return {
    kind: 'emit',
    key,
    value: {
      id: key,
      locationId: event.locationId,
      inventoryId: r.inventoryId,
      productId: r.productId,
      sku: r.sku,
      name: r.productName,
      alternateName: r.alternateName,
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
      producer: r.producer,
      pricingTierId: r.pricingTierId,
      pricingTierName: r.pricingTierName,
      tagIds: tags.flatMap((t) => (t.tagId === null || t.tagId === undefined ? [] : [t.tagId])),
      tags: tags.flatMap((t) => (t.tagName ? [t.tagName] : [])),
      size: r.size,
      weightGrams: toGrams(r.unitWeight, r.unitWeightUnit),
      price: basePrice(r).toString(),
      unitPrice: text(r.unitPrice),
      recUnitPrice: text(r.recUnitPrice),
      medUnitPrice: text(r.medUnitPrice),
      unitCost: r.unitCost?.isNegative() ? null : text(r.unitCost),
      quantity: Decimal.max(0, r.quantityAvailable ?? 0).toString(),
      isCannabis: r.isCannabis === true,
      isActive: r.isActive !== false,
      medicalOnly: r.medicalOnly === true,
      imageUrl: r.imageUrl,
      images: r.imageUrl === null ? [] : [r.imageUrl],
      effectivePotencyMg: text(r.effectivePotencyMg),
      potencyIndicator: r.potencyIndicator,
      potencyThcFormatted: formatPotency(r.labResults, 'THC'),
      potencyCbdFormatted: formatPotency(r.labResults, 'CBD'),
      unitThcContentDose: text(r.unitTHCContentDose),
      unitCbdContentDose: text(r.unitCBDContentDose),
      slug: null,
      effects: [],
      staffPick: false,
      sourceApi: event.api,
      contentHash: event.contentHash,
      version: event.fetchedAt,
    },
  };
}
