/**
 * Pure mapping of a canonical Dutchie deal to the values of one Odoo `mint.discount` record
 * (external-apis.md §3), and the diff against what Odoo already holds.
 *
 * Decimals stay decimal strings here; they become JSON numbers only at the JSON-RPC edge
 * (Odoo float fields), and the diff compares them as decimals (decimal.js), never as floats or text.
 */
import Decimal from 'decimal.js';
import { DateTime } from 'luxon';
import { WEEKDAYS, type Deal, type DealKind, type Restriction, type Weekday } from '../../shared/events';

/** Odoo's `discount_type` selection, keyed by the canonical kind. */
export const ODOO_DISCOUNT_TYPE: Record<DealKind, string> = {
  percent: 'percent',
  flat: 'fixed',
  price_to_amount: 'price_to_amount',
  amount_off_total: 'dollar_off_total',
  bundle: 'bundle',
  bogo: 'bogo',
  loyalty: 'loyalty',
};

/** Dutchie calculation methods whose value Odoo keeps in `discount_value`, not `discount_amount` (rule 8). */
export const VALUE_IN_DISCOUNT_VALUE = new Set([1, 5, 15]);
const PERCENT_METHOD = 2;

/**
 * How long after local midnight an exclusive `validUntil` still counts as "midnight": Dutchie stores
 * the end with a few minutes of slop (07:10Z instead of 07:00Z for Arizona). Beyond this the deal
 * ends partway through that day, which is then its last valid day.
 */
export const VALID_UNTIL_SLOP_MINUTES = 60;

/** One `mint.discount` as the sink writes it. Decimal fields hold decimal strings. */
export interface OdooDiscountValues {
  name: string;
  code: string | false;
  description: string | false;
  discount_type: string;
  discount_amount: string;
  discount_value: string;
  calculation_method_id: number | false;
  is_active: boolean;
  is_available_online: boolean;
  valid_from: string | false;
  valid_until: string | false;
  start_time: number;
  end_time: number;
  monday: boolean; tuesday: boolean; wednesday: boolean; thursday: boolean; friday: boolean; saturday: boolean; sunday: boolean;
  threshold_type: 'none' | 'items' | 'order_total' | 'subtotal';
  threshold_min: string;
  threshold_max: string;
  minimum_items_required: number;
  apply_to_only_one_item: boolean;
  is_bundled_discount: boolean;
  first_time_customer_only: boolean;
  can_stack_automatically: boolean;
  online_name: string;
  menu_display_name: string | false;
  menu_display_image_url: string | false;
  menu_display_rank: number;
  external_id: string | false;
  dutchie_discount_id: string;
  dutchie_is_deleted: boolean;
  store_ids: number[];
  brand_restriction_ids_raw: string | false;
  category_restriction_ids_raw: string | false;
  product_restriction_ids_raw: string | false;
  raw_payload: string;
  source: 'dutchie';
  synced_at: string;
}
export type OdooField = keyof OdooDiscountValues;

/** Fields holding decimals: compared with decimal.js and sent as JSON numbers. */
export const DECIMAL_FIELDS = ['discount_amount', 'discount_value', 'threshold_min', 'threshold_max'] as const satisfies readonly OdooField[];
/** Fields that are bookkeeping, not content: never a reason to write. */
export const BOOKKEEPING_FIELDS = ['synced_at'] as const satisfies readonly OdooField[];
/** Every field the sink reads back from Odoo to diff. */
export const ODOO_FIELDS: OdooField[] = [
  'name', 'code', 'description', 'discount_type', 'discount_amount', 'discount_value', 'calculation_method_id', 'is_active',
  'is_available_online', 'valid_from', 'valid_until', 'start_time', 'end_time', ...WEEKDAYS, 'threshold_type', 'threshold_min',
  'threshold_max', 'minimum_items_required', 'apply_to_only_one_item', 'is_bundled_discount', 'first_time_customer_only',
  'can_stack_automatically', 'online_name', 'menu_display_name', 'menu_display_image_url', 'menu_display_rank', 'external_id',
  'dutchie_discount_id', 'dutchie_is_deleted', 'store_ids', 'brand_restriction_ids_raw', 'category_restriction_ids_raw',
  'product_restriction_ids_raw', 'raw_payload', 'source', 'synced_at',
];

export class MappingError extends Error {}

/** `include: 1 | 2` / `exclude: 54`; false when the type does not constrain. */
export function restrictionText(r: Restriction | undefined): string | false {
  if (!r || r.ids.length === 0) return false;
  return `${r.isExclusion ? 'exclude' : 'include'}: ${r.ids.join(' | ')}`;
}

/** Local `HH:MM[:SS]` → Odoo float hours (0/0 = all day). */
export function floatHours(time: string): number {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(time);
  if (!m) throw new MappingError(`unreadable time ${JSON.stringify(time)}`);
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (h > 24 || min > 59 || s > 59) throw new MappingError(`time out of range ${JSON.stringify(time)}`);
  // Rounded to the second (1/3600 h): what Odoo's float_time widget can show anyway.
  return Math.round((h + min / 60 + s / 3600) * 1e6) / 1e6;
}

/** start/end: both null = all day (0/0); an open end means "to the end of the day" (24.0). */
export function timeWindow(startTime: string | null, endTime: string | null): { start_time: number; end_time: number } {
  if (startTime === null && endTime === null) return { start_time: 0, end_time: 0 };
  return { start_time: startTime === null ? 0 : floatHours(startTime), end_time: endTime === null ? 24 : floatHours(endTime) };
}

/** The store's local date (YYYY-MM-DD) of an inclusive start instant. */
export function validFromDate(ms: number | null, zone: string): string | false {
  if (ms === null) return false;
  return local(ms, zone).toISODate() ?? false;
}

/** The last valid local day of an exclusive end instant (midnight of the next day, give or take slop). */
export function validUntilDate(ms: number | null, zone: string): string | false {
  if (ms === null) return false;
  const end = local(ms, zone);
  const minutesIntoDay = end.hour * 60 + end.minute + (end.second > 0 || end.millisecond > 0 ? 1 : 0);
  const lastDay = minutesIntoDay <= VALID_UNTIL_SLOP_MINUTES ? end.minus({ days: 1 }) : end;
  return lastDay.toISODate() ?? false;
}

function local(ms: number, zone: string): DateTime {
  const dt = DateTime.fromMillis(ms, { zone });
  if (!dt.isValid) throw new MappingError(`unknown time zone ${JSON.stringify(zone)}`);
  return dt;
}

/** Odoo datetime text (UTC, no zone suffix). */
export function odooDatetime(ms: number): string {
  return DateTime.fromMillis(ms, { zone: 'utc' }).toFormat('yyyy-LL-dd HH:mm:ss');
}

function decimalText(v: string | null, what: string): string {
  if (v === null) return '0';
  try {
    return new Decimal(v).toString();
  } catch {
    throw new MappingError(`${what} is not a decimal: ${JSON.stringify(v)}`);
  }
}

/**
 * Where the deal's value goes: methods 1, 5, 15 carry it in `discount_value` (rule 8), methods 3 and 6
 * in `discount_amount`; the other field is 0. Percents become whole percents (0.25 → 25) and go in
 * both fields: rule 8 puts them in `discount_amount`, while Odoo's own percent deals (PTL) keep the
 * whole percent in `discount_value`; writing both means neither reader sees a 0 % deal.
 */
export function amountFields(deal: Deal): { discount_amount: string; discount_value: string } {
  const value = new Decimal(decimalText(deal.value, 'value'));
  const isPercent = deal.calculationMethodId === PERCENT_METHOD || (deal.calculationMethodId === null && deal.kind === 'percent');
  if (isPercent) {
    if (value.isNegative() || value.greaterThan(1)) throw new MappingError(`percent ${value.toString()} is outside 0-1`);
    const whole = value.times(100).toString();
    return { discount_amount: whole, discount_value: whole };
  }
  const text = value.toString();
  return deal.calculationMethodId !== null && VALUE_IN_DISCOUNT_VALUE.has(deal.calculationMethodId)
    ? { discount_amount: '0', discount_value: text }
    : { discount_amount: text, discount_value: '0' };
}

function thresholdType(t: string | null): OdooDiscountValues['threshold_type'] {
  switch (t) {
    case null: case '': return 'none';
    case 'items': return 'items';
    // Dutchie SPENDING_AMOUNT counts the spend on the qualifying items: Odoo's `subtotal`.
    case 'spend': return 'subtotal';
    default: throw new MappingError(`unknown threshold type ${JSON.stringify(t)}`);
  }
}

function days(deal: Deal): Record<Weekday, boolean> {
  const out = Object.fromEntries(WEEKDAYS.map((d) => [d, deal.days[d]])) as Record<Weekday, boolean>;
  // All-false means "inactive" in Odoo; the canonical deal never carries it, so refuse rather than switch the deal off.
  if (WEEKDAYS.every((d) => !out[d])) throw new MappingError('deal runs on no weekday (all day flags false)');
  return out;
}

/** The full `mint.discount` values of a Dutchie deal for one Odoo store. Throws MappingError on input Odoo must not get. */
export function toOdooValues(deal: Deal, storeId: number, nowMs: number): OdooDiscountValues {
  return {
    name: deal.name,
    code: deal.code ?? false,
    description: deal.internalName ?? false,
    discount_type: ODOO_DISCOUNT_TYPE[deal.kind],
    ...amountFields(deal),
    calculation_method_id: deal.calculationMethodId ?? false,
    is_active: deal.isActive,
    is_available_online: deal.isAvailableOnline,
    valid_from: validFromDate(deal.validFrom, deal.timeZone),
    valid_until: validUntilDate(deal.validUntil, deal.timeZone),
    ...timeWindow(deal.startTime, deal.endTime),
    ...days(deal),
    threshold_type: thresholdType(deal.thresholdType),
    threshold_min: decimalText(deal.thresholdMin, 'thresholdMin'),
    threshold_max: decimalText(deal.thresholdMax, 'thresholdMax'),
    minimum_items_required: deal.minimumItemsRequired ?? 0,
    apply_to_only_one_item: deal.applyToOnlyOneItem,
    is_bundled_discount: deal.isBundledDiscount,
    first_time_customer_only: deal.firstTimeCustomerOnly,
    can_stack_automatically: deal.canStackAutomatically,
    online_name: deal.name,
    menu_display_name: deal.menuDisplay?.name ?? false,
    menu_display_image_url: deal.menuDisplay?.imageUrl ?? false,
    menu_display_rank: deal.menuDisplay?.rank ?? 0,
    external_id: deal.externalId || false,
    dutchie_discount_id: deal.discountId,
    dutchie_is_deleted: false,
    store_ids: [storeId],
    brand_restriction_ids_raw: restrictionText(deal.restrictions.brand),
    category_restriction_ids_raw: restrictionText(deal.restrictions.category),
    product_restriction_ids_raw: restrictionText(deal.restrictions.product),
    raw_payload: deal.rawRecord,
    source: 'dutchie',
    synced_at: odooDatetime(nowMs),
  };
}

/** What a removal writes (never an unlink). */
export function removalValues(nowMs: number): Pick<OdooDiscountValues, 'is_active' | 'dutchie_is_deleted' | 'synced_at'> {
  return { is_active: false, dutchie_is_deleted: true, synced_at: odooDatetime(nowMs) };
}

/** A record as `search_read` returns it (Odoo: `false` for empty fields, many2many as id arrays). */
export type OdooRecord = { id: number } & Record<string, unknown>;

function sameDecimal(a: string, b: unknown): boolean {
  if (b === false || b === null || b === undefined) return new Decimal(a).isZero();
  if (typeof b !== 'number' && typeof b !== 'string') return false;
  try {
    return new Decimal(a).equals(new Decimal(b));
  } catch {
    return false;
  }
}

function sameValue(field: OdooField, want: unknown, have: unknown): boolean {
  if ((DECIMAL_FIELDS as readonly string[]).includes(field)) return sameDecimal(want as string, have);
  if (field === 'store_ids') {
    const a = [...(want as number[])].sort((x, y) => x - y);
    const b = Array.isArray(have) ? [...(have as number[])].sort((x, y) => x - y) : [];
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (typeof want === 'number') return typeof have === 'number' && Math.abs(want - have) < 1e-6;
  // Odoo returns false for an empty char; '' and false mean the same there.
  if (want === false && (have === '' || have === null || have === undefined)) return true;
  return want === have;
}

/** Only the fields whose value differs from the record (bookkeeping fields ignored). Empty = nothing to write. */
export function diffValues(want: Partial<OdooDiscountValues>, have: OdooRecord): Partial<OdooDiscountValues> {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(want) as Array<[OdooField, unknown]>) {
    if ((BOOKKEEPING_FIELDS as readonly string[]).includes(field)) continue;
    if (!sameValue(field, value, have[field])) out[field] = value;
  }
  return out;
}
