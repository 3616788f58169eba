/**
 * The ONE mapping from Postgres `discounts` rows to the storefront's JSON (external-apis.md §4),
 * shared by the projector (which writes Redis) and the deals API (which rebuilds on a miss).
 *
 * The Redis value `discounts:{locationId}` is a JSON array of every non-removed deal of the
 * location, ordered by id, laid out ONE DEAL PER LINE:
 *
 *     [\n{...deal 1...},\n{...deal 2...}\n]
 *
 * It is ordinary JSON, but because JSON.stringify never emits a raw newline inside a value, the
 * API can cut it into per-deal byte fragments by splitting on "\n" and splice the live ones into
 * `{"data":[...],"count":N}` without parsing or re-serialising anything per request.
 *
 * Every field is derived from the row only (synced_at is the deal's source fetch time, not the
 * wall clock), so a replay rebuilds byte-identical values.
 */
import { createHash } from 'node:crypto';
import { Decimal } from 'decimal.js';
import { sql } from 'kysely';
import { z } from 'zod';
import { compileTiming, type CompiledTiming } from './deal-time';
import type { Kysely } from './db/db';
import type { Database, DiscountRow, RestrictionJson } from './db/schema';
import { WEEKDAYS, type DealKind, type Weekday } from './events';

export interface WeeklyRecurrenceInfo extends Record<Weekday, boolean> {
  start_time: string | null;
  end_time: string | null;
  time_zone: string;
}

/**
 * `discount_type` in the storefront's vocabulary (storefront-contract.md). The storefront prices a
 * deal only when the lower-cased type CONTAINS "percent" (price x (1 - amount)) or "price to amount"
 * (price = amount), and shows the name alone for anything else. So percent deals say "Percent",
 * new-unit-price deals "Price To Amount" (Dutchie's own display strings), and every other kind a
 * readable type containing neither: a bundle total ("2 for $99") must never look like a unit price,
 * a BOGO encoded as 100 % off with a threshold must never look like "free". Our canonical kind is
 * served beside it as `deal_kind`.
 */
export const STOREFRONT_DISCOUNT_TYPES = {
  percent: 'Percent',
  price_to_amount: 'Price To Amount',
  flat: 'Dollar Off',
  amount_off_total: 'Dollar Off Total',
  bundle: 'Bundle',
  bogo: 'BOGO',
  loyalty: 'Loyalty Points',
} as const satisfies Record<DealKind, string>;

/** The storefront's type for a stored kind (a kind this code does not know is shown by name only). */
export function storefrontDiscountType(kind: string): string {
  return (STOREFRONT_DISCOUNT_TYPES as Record<string, string>)[kind] ?? 'Other';
}

/** A Discount as the storefront reads it (snake_case). `discount_amount` is a JSON number. */
export interface StorefrontDiscount {
  id: string;
  location_id: string;
  discount_id: number;
  source: 'dutchie' | 'ptl';
  discount_name: string;
  discount_code: string | null;
  /** the storefront's vocabulary (STOREFRONT_DISCOUNT_TYPES) */
  discount_type: string;
  /** our canonical kind (shared/events.ts DEAL_KINDS) */
  deal_kind: string;
  calculation_method_id: number | null;
  discount_amount: string | null; // decimal text, written to JSON as a number token
  is_active: boolean;
  is_available_online: boolean;
  valid_from: string | null;
  valid_until: string | null;
  products: RestrictionJson | null;
  product_categories: RestrictionJson | null;
  brands: RestrictionJson | null;
  weekly_recurrence_info: WeeklyRecurrenceInfo;
  first_time_customer_only: boolean;
  minimum_items_required: number | null;
  synced_at: string;
}

const toIso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/** `ptl_12` -> 12; `4711` -> 4711 (the contract's discount_id is a number; `source` tells them apart). */
export function numericDiscountId(discountId: string): number {
  const m = /^(?:ptl_)?(\d+)$/.exec(discountId);
  if (!m) throw new Error(`discount id is not numeric: ${discountId}`);
  return Number(m[1]);
}

/** The columns the storefront JSON is made of. */
export const STOREFRONT_COLUMNS = [
  'id', 'location_id', 'discount_id', 'source', 'name', 'discount_code', 'discount_type', 'calculation_method_id',
  'discount_amount', 'is_active', 'is_available_online', 'valid_from', 'valid_until', 'start_time', 'end_time',
  'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'products', 'brands',
  'product_categories', 'first_time_customer_only', 'minimum_items_required', 'version', 'time_zone',
] as const;
export type StorefrontRow = Pick<DiscountRow, (typeof STOREFRONT_COLUMNS)[number]>;

export function toStorefrontDiscount(row: StorefrontRow): StorefrontDiscount {
  return {
    id: row.id,
    location_id: row.location_id,
    discount_id: numericDiscountId(row.discount_id),
    source: row.source,
    discount_name: row.name,
    discount_code: row.discount_code,
    // the row keeps the canonical kind in discount_type (services/projector/handler.ts)
    discount_type: storefrontDiscountType(row.discount_type),
    deal_kind: row.discount_type,
    calculation_method_id: row.calculation_method_id,
    discount_amount: row.discount_amount === null ? null : new Decimal(row.discount_amount).toFixed(),
    is_active: row.is_active,
    is_available_online: row.is_available_online,
    valid_from: toIso(row.valid_from),
    valid_until: toIso(row.valid_until),
    products: row.products,
    product_categories: row.product_categories,
    brands: row.brands,
    weekly_recurrence_info: {
      monday: row.monday, tuesday: row.tuesday, wednesday: row.wednesday, thursday: row.thursday,
      friday: row.friday, saturday: row.saturday, sunday: row.sunday,
      start_time: row.start_time, end_time: row.end_time, time_zone: row.time_zone,
    },
    first_time_customer_only: row.first_time_customer_only,
    minimum_items_required: row.minimum_items_required,
    synced_at: new Date(Number(row.version)).toISOString(),
  };
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** One deal's JSON text (single line). The decimal amount becomes a number token without a float. */
export function discountFragment(d: StorefrontDiscount): string {
  if (d.discount_amount !== null && !DECIMAL.test(d.discount_amount)) throw new Error(`bad decimal ${d.discount_amount}`);
  const text = JSON.stringify({ ...d, discount_amount: d.discount_amount === null ? null : '\u0000AMOUNT\u0000' });
  return d.discount_amount === null ? text : text.replace('"\\u0000AMOUNT\\u0000"', d.discount_amount);
}

/** The Redis value of a location: one fragment per line (see the header comment). */
export function locationValue(fragments: readonly string[]): string {
  return fragments.length === 0 ? '[]' : `[\n${fragments.join(',\n')}\n]`;
}

/** The per-deal fragments of a location value, exactly as stored. */
export function splitLocationValue(value: string): string[] {
  if (value === '[]') return [];
  const lines = value.split('\n');
  if (lines[0] !== '[' || lines[lines.length - 1] !== ']') throw new Error('not a location value');
  return lines.slice(1, -1).map((l) => (l.endsWith(',') ? l.slice(0, -1) : l));
}

/** The version stored beside a location value (sha1, short): changes whenever the value does. */
export function valueVersion(value: string | Buffer): string {
  return createHash('sha1').update(value).digest('base64url');
}

export function checksum(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('hex');
}

/**
 * Builds a location's value from Postgres: its ENABLED deals (not removed, `is_active`), ordered by
 * id. A deal the store disabled in Dutchie is never served, at no instant (the original cached only
 * enabled deals too); enabled again, it is back with the next rebuild.
 */
export async function buildLocationValue(db: Kysely<Database>, locationId: string): Promise<{ value: string; count: number }> {
  const rows = await db.selectFrom('discounts').select(STOREFRONT_COLUMNS)
    .where('location_id', '=', locationId).where('removed', '=', false).where('is_active', '=', true)
    // code point order whatever the database's collation (the projector orders its memory the same way)
    .orderBy(sql`id collate "C"`).execute();
  return { value: locationValue(rows.map((r) => discountFragment(toStorefrontDiscount(r)))), count: rows.length };
}

/** What the API needs from a fragment to decide liveness (parsed once per stored value). */
const fragmentTimingSchema = z.object({
  id: z.string(),
  is_active: z.boolean(),
  valid_from: z.string().nullable(),
  valid_until: z.string().nullable(),
  weekly_recurrence_info: z.object({
    ...Object.fromEntries(WEEKDAYS.map((d) => [d, z.boolean()])) as Record<Weekday, z.ZodBoolean>,
    start_time: z.string().nullable(),
    end_time: z.string().nullable(),
    time_zone: z.string().min(1),
  }),
});

export interface FragmentTiming {
  id: string;
  /** false for a disabled deal (only a value written before disabled deals were left out holds one) */
  enabled: boolean;
  timeZone: string;
  timing: CompiledTiming;
}

export function fragmentTiming(fragment: string): FragmentTiming {
  const f = fragmentTimingSchema.parse(JSON.parse(fragment));
  const w = f.weekly_recurrence_info;
  const days = Object.fromEntries(WEEKDAYS.map((d) => [d, w[d]])) as Record<Weekday, boolean>;
  return {
    id: f.id,
    enabled: f.is_active,
    timeZone: w.time_zone,
    timing: compileTiming({
      validFrom: f.valid_from === null ? null : Date.parse(f.valid_from),
      validUntil: f.valid_until === null ? null : Date.parse(f.valid_until),
      startTime: w.start_time, endTime: w.end_time, days,
    }),
  };
}
