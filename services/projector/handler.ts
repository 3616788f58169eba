/**
 * Projector decisions, pure: a canonical deal event (already Avro-decoded) becomes an upsert of
 * its `discounts` row, a removal (tombstone), or a rejection for the DLQ; a batch of outcomes
 * becomes one plan (last event per deal wins, every touched location rebuilt once).
 */
import { Decimal } from 'decimal.js';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { parseLocalTime } from '../../shared/deal-time';
import type { NewDiscountRow, RestrictionJson } from '../../shared/db/schema';
import { DEAL_KINDS, RESTRICTION_TYPES, WEEKDAYS, type Deal } from '../../shared/events';
import { locationIdSchema } from '../../shared/location-id';
import { locationOfKey } from '../../shared/topics';
import { applies } from '../../shared/versioned';

/**
 * A `discounts` row as the projector writes it: the JSON columns hold values, not text, so that a
 * whole slice of rows is serialised by ONE JSON.stringify (store.ts) and each payload only once;
 * instants are epoch milliseconds (Postgres turns them into timestamptz: a Date would cost a
 * toISOString per field in that stringify).
 */
export type ProjectedRow = Omit<NewDiscountRow, 'products' | 'brands' | 'product_categories' | 'payload' | 'valid_from' | 'valid_until' | 'synced_at'> & {
  valid_from: number | null;
  valid_until: number | null;
  synced_at: number;
  products: RestrictionJson | null;
  brands: RestrictionJson | null;
  product_categories: RestrictionJson | null;
  payload: object;
};

export type DealOutcome =
  | { kind: 'upsert'; id: string; locationId: string; row: ProjectedRow }
  /** `version`: the removal's (shared/versioned.ts: a tombstone's header, else its timestamp) */
  | { kind: 'remove'; id: string; locationId: string; version: number }
  | { kind: 'reject'; reason: string };

// Luxon builds an Intl.DateTimeFormat per check: remember the answer per zone name.
const zoneValidity = new Map<string, boolean>();
function isValidZone(zone: string): boolean {
  let ok = zoneValidity.get(zone);
  if (ok === undefined) { ok = IANAZone.isValidZone(zone); if (zoneValidity.size < 1000) zoneValidity.set(zone, ok); }
  return ok;
}

const restriction = z.object({ ids: z.array(z.string()), isExclusion: z.boolean() });
const localTime = z.string().refine((t) => { try { parseLocalTime(t); return true; } catch { return false; } }, 'not a local HH:MM[:SS] time');
const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'not a decimal string');

/**
 * The fields the projector relies on; the rest of the Avro record is kept in `payload` as it is
 * (taken from the decoded value, so parsing strips unknown keys instead of copying them).
 */
const dealSchema = z.object({
  id: z.string().min(1),
  locationId: locationIdSchema,
  discountId: z.string().regex(/^(ptl_)?\d+$/, 'discount id must be numeric or ptl_{n}'),
  source: z.enum(['dutchie', 'ptl']),
  timeZone: z.string().refine(isValidZone, 'unknown IANA time zone'),
  name: z.string(),
  code: z.string().nullable(),
  calculationMethodId: z.number().int().nullable(),
  kind: z.enum(DEAL_KINDS),
  value: decimal.nullable(),
  isActive: z.boolean(),
  isAvailableOnline: z.boolean(),
  validFrom: z.number().int().nullable(),
  validUntil: z.number().int().nullable(),
  startTime: localTime.nullable(),
  endTime: localTime.nullable(),
  days: z.object(Object.fromEntries(WEEKDAYS.map((d) => [d, z.boolean()])) as Record<(typeof WEEKDAYS)[number], z.ZodBoolean>)
    .refine((d) => Object.values(d).some(Boolean), 'a deal must run on at least one weekday'),
  restrictions: z.partialRecord(z.enum(RESTRICTION_TYPES), restriction),
  firstTimeCustomerOnly: z.boolean(),
  minimumItemsRequired: z.number().int().nullable(),
  version: z.number().int().nonnegative(),
});

function numericRestriction(r: { ids: string[]; isExclusion: boolean } | undefined, type: string): RestrictionJson | null {
  if (!r) return null;
  const ids = r.ids.map(Number);
  if (ids.some((n) => !Number.isFinite(n))) throw new Error(`${type} restriction has non-numeric ids`);
  return { ids, isExclusion: r.isExclusion };
}

const NUMERIC_20_6_MAX = new Decimal('1e14');

/**
 * Whether a string anywhere in the value holds U+0000: Postgres text (and json_to_recordset) cannot
 * take it, so such a deal would fail its whole slice on every retry. `rawRecord` is not stored.
 */
function holdsNul(value: unknown, key?: string): boolean {
  if (typeof value === 'string') return key !== 'rawRecord' && value.includes('\u0000');
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some((v) => holdsNul(v));
  return Object.entries(value).some(([k, v]) => holdsNul(v, k));
}

/** Decides what one message of deals.discounts.v1 means. `value` null = tombstone, removing the state of `removalVersion`. */
export function decideDeal(key: string | null, value: unknown, removalVersion = 0): DealOutcome {
  if (key === null || key === '') return { kind: 'reject', reason: 'message has no key' };
  if (value === null) return { kind: 'remove', id: key, locationId: locationOfKey(key), version: removalVersion };
  const parsed = dealSchema.safeParse(value);
  if (!parsed.success) {
    return { kind: 'reject', reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  }
  const deal = parsed.data;
  if (deal.id !== key) return { kind: 'reject', reason: `key ${key} differs from deal id ${deal.id}` };
  if (deal.id !== `${deal.locationId}_${deal.discountId}`) return { kind: 'reject', reason: 'deal id is not {locationId}_{discountId}' };
  if (deal.value !== null && new Decimal(deal.value).abs().gte(NUMERIC_20_6_MAX)) return { kind: 'reject', reason: 'value out of range' };
  if (holdsNul(value)) return { kind: 'reject', reason: 'a text field holds a NUL character (Postgres cannot store it)' };
  // An empty window (validUntil <= validFrom) is stored as it is: it is simply never live.
  let products: RestrictionJson | null, brands: RestrictionJson | null, categories: RestrictionJson | null;
  try {
    products = numericRestriction(deal.restrictions.product, 'product');
    brands = numericRestriction(deal.restrictions.brand, 'brand');
    categories = numericRestriction(deal.restrictions.category, 'category');
  } catch (e) {
    return { kind: 'reject', reason: (e as Error).message };
  }
  // The row keeps the canonical deal without the raw source text (the topic has it): an undefined
  // property is left out by JSON.stringify.
  const payload = { ...(value as Deal), rawRecord: undefined };
  const row: ProjectedRow = {
    id: deal.id,
    location_id: deal.locationId,
    discount_id: deal.discountId,
    source: deal.source,
    name: deal.name,
    discount_code: deal.code,
    discount_type: deal.kind,
    calculation_method_id: deal.calculationMethodId,
    discount_amount: deal.value,
    is_active: deal.isActive,
    is_available_online: deal.isAvailableOnline,
    valid_from: deal.validFrom,
    valid_until: deal.validUntil,
    start_time: deal.startTime,
    end_time: deal.endTime,
    ...deal.days,
    products,
    brands,
    product_categories: categories,
    first_time_customer_only: deal.firstTimeCustomerOnly,
    minimum_items_required: deal.minimumItemsRequired,
    time_zone: deal.timeZone,
    payload,
    version: deal.version,
    removed: false,
    // The source fetch time, so that a replay writes exactly the same row.
    synced_at: deal.version,
  };
  return { kind: 'upsert', id: deal.id, locationId: deal.locationId, row };
}

export interface BatchPlan {
  upserts: ProjectedRow[];
  removals: Array<{ id: string; version: number }>;
  locations: string[];
  rejected: number;
}

type Change = Exclude<DealOutcome, { kind: 'reject' }>;
const versionOf = (c: Change): number | string | bigint => (c.kind === 'upsert' ? c.row.version : c.version);

/**
 * Folds a batch's outcomes (in offset order): the last change of each deal wins unless it is older
 * than the one before it (the rule of shared/versioned.ts, which the SQL applies against the stored row).
 */
export function planBatch(outcomes: readonly DealOutcome[]): BatchPlan {
  const last = new Map<string, Change>();
  let rejected = 0;
  for (const o of outcomes) {
    switch (o.kind) {
      case 'reject': rejected += 1; break;
      case 'upsert':
      case 'remove': {
        const prev = last.get(o.id);
        if (prev !== undefined && !applies(versionOf(o), { version: versionOf(prev), removed: prev.kind === 'remove' })) break;
        last.delete(o.id); last.set(o.id, o); break;
      }
      default: { const _exhaustive: never = o; return _exhaustive; }
    }
  }
  const upserts: ProjectedRow[] = [];
  const removals: BatchPlan['removals'] = [];
  const locations = new Set<string>();
  for (const o of last.values()) {
    locations.add(o.locationId);
    if (o.kind === 'upsert') upserts.push(o.row); else removals.push({ id: o.id, version: o.version });
  }
  return { upserts, removals, locations: [...locations].sort(), rejected };
}
