/**
 * Odoo PTL deal (`mint.discount`, `source = 'ptl'`, exactly as `search_read` returns it: `false`
 * for empty fields, many2one as `[id, name]`, dates 'YYYY-MM-DD', float hours) -> canonical deal.
 */
import { z } from 'zod';
import type { Deal, DealRawEvent } from '../../shared/events';
import { assembleDeal, blankToNull, eventFields, type MapResult } from './mapping';
import {
  NO_END_YEAR, calculationMethod, dealTerms, decimalOf, fail, hoursToTime, odooDays, parseRawRestriction,
  percentFraction, startOfLocalDay, type Threshold,
} from './rules';

/** Odoo sends `false` for an empty char/date/number/many2one field. */
const orFalse = <T extends z.ZodType>(t: T) => z.union([t, z.literal(false)]).nullish();
const flag = z.union([z.boolean(), z.literal(0), z.literal(1)]).nullish();
const day = z.boolean().nullish();

export const ptlRecordSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  code: orFalse(z.string()),
  discount_type: orFalse(z.string()),
  discount_amount: orFalse(z.number()),
  discount_value: orFalse(z.number()),
  /** The Dutchie numeric id: the deal's kind is keyed on it, never on `discount_type`. */
  calculation_method_id: orFalse(z.number().int()),
  is_active: z.boolean(),
  is_available_online: z.boolean().nullish(),
  valid_from: orFalse(z.string()),
  valid_until: orFalse(z.string()),
  start_time: orFalse(z.number()),
  end_time: orFalse(z.number()),
  monday: day, tuesday: day, wednesday: day, thursday: day, friday: day, saturday: day, sunday: day,
  threshold_type: orFalse(z.string()),
  threshold_min: orFalse(z.number()),
  threshold_max: orFalse(z.number()),
  minimum_items_required: orFalse(z.number().int()),
  apply_to_only_one_item: flag,
  is_bundled_discount: flag,
  first_time_customer_only: flag,
  can_stack_automatically: flag,
  online_name: orFalse(z.string()),
  menu_display_name: orFalse(z.string()),
  menu_display_image_url: orFalse(z.string()),
  menu_display_rank: orFalse(z.number().int()),
  external_id: orFalse(z.string()),
  dutchie_discount_id: z.string(),
  dutchie_is_deleted: z.boolean().nullish(),
  store_ids: z.array(z.number().int()).nullish(),
  market_id: orFalse(z.union([z.tuple([z.number().int(), z.string()]), z.string()])),
  brand_restriction_ids_raw: orFalse(z.string()),
  category_restriction_ids_raw: orFalse(z.string()),
  product_restriction_ids_raw: orFalse(z.string()),
  source: z.literal('ptl'),
});
export type PtlRecord = z.infer<typeof ptlRecordSchema>;

const MARKET_NAMES: Readonly<Record<string, string>> = {
  arizona: 'AZ', florida: 'FL', illinois: 'IL', michigan: 'MI', missouri: 'MO', nevada: 'NV',
};

/** The two-letter market of `market_id` ([id, "AZ"], [id, "Arizona"], [id, "AZ - Arizona"]), or null. */
export function marketCode(marketId: PtlRecord['market_id']): string | null {
  if (marketId === false || marketId === null || marketId === undefined) return null;
  const name = (Array.isArray(marketId) ? marketId[1] : marketId).trim();
  if (/^[A-Za-z]{2}$/.test(name)) return name.toUpperCase();
  const byName = MARKET_NAMES[name.toLowerCase()];
  if (byName) return byName;
  return /^([A-Z]{2})\b/.exec(name)?.[1] ?? null;
}

const nonZero = (n: number | false | null | undefined): number | null => (typeof n === 'number' && n !== 0 ? n : null);
const isTrue = (f: boolean | 0 | 1 | null | undefined): boolean => f === true || f === 1;

/**
 * Rule 8: methods 1, 2, 5 and 15 carry their value in `discount_value`; price-to (3) and bundle
 * totals (6) in `discount_amount`. A value found only in the other field is the pitfall that
 * showed sale badges with no price cut: rejected, not guessed.
 */
function valueField(methodId: number, r: PtlRecord): number {
  const inValue = methodId === 1 || methodId === 2 || methodId === 5 || methodId === 15;
  const [own, other, ownName, otherName] = inValue
    ? [r.discount_value, r.discount_amount, 'discount_value', 'discount_amount']
    : [r.discount_amount, r.discount_value, 'discount_amount', 'discount_value'];
  if (nonZero(own) === null && nonZero(other) !== null) fail(`calculation method ${methodId} carries its value in ${ownName}, which is empty (${otherName} is set)`);
  if (typeof own !== 'number') fail(`${ownName} is missing`);
  return own;
}

function thresholdOf(r: PtlRecord): Threshold | null {
  const type = r.threshold_type;
  if (type === false || type === null || type === undefined || type === 'none') return null;
  if (type !== 'items' && type !== 'order_total' && type !== 'subtotal') fail(`unknown threshold_type ${JSON.stringify(type)}`);
  const dec = (n: number | false | null | undefined, what: string) => (nonZero(n) === null ? null : decimalOf(n as number, what)); // nonZero: a number
  return { type: type === 'items' ? 'items' : 'spend', min: dec(r.threshold_min, 'threshold_min'), max: dec(r.threshold_max, 'threshold_max') };
}

function validity(r: PtlRecord, zone: string): Pick<Deal, 'validFrom' | 'validUntil'> {
  const from = r.valid_from ? startOfLocalDay(r.valid_from, zone, 'valid_from').toMillis() : null;
  // valid_until is the last day the deal runs (inclusive): the exclusive end is the next local midnight.
  const lastDay = r.valid_until ? startOfLocalDay(r.valid_until, zone, 'valid_until') : null;
  const until = lastDay === null || lastDay.year >= NO_END_YEAR ? null : lastDay.plus({ days: 1 }).toMillis();
  return { validFrom: from, validUntil: until };
}

export function mapPtl(event: DealRawEvent, recordText: string, json: unknown): MapResult {
  const r = ptlRecordSchema.parse(json);
  // The event names the record by `ptl_{mint.discount id}` (the poller's key); `dutchie_discount_id`
  // is `ptl_{PTL deal id}`, which the contracts also call the PTL id: either identifies the record.
  if (!/^ptl_\d+$/.test(r.dutchie_discount_id)) fail(`PTL record ${r.id}: dutchie_discount_id ${JSON.stringify(r.dutchie_discount_id)} is not ptl_{id}`);
  if (event.discountId !== `ptl_${r.id}` && event.discountId !== r.dutchie_discount_id) {
    fail(`PTL record ${r.id} (${r.dutchie_discount_id}) is not the event's discountId ${event.discountId}`);
  }
  // Rule 14: a deal of one market never reaches another market's store. `mint.discount` itself
  // has no market (the poller matches the market of its PTL deal to the store's before publishing);
  // when a record does carry one, it must be readable and the store's.
  if (r.market_id !== undefined && r.market_id !== null && r.market_id !== false) {
    const market = marketCode(r.market_id);
    if (market === null) fail(`PTL record ${r.id} has a market_id that names no market (${JSON.stringify(r.market_id)})`);
    if (market !== event.market) fail(`PTL deal of market ${market} published for a store of market ${event.market}`);
  }

  if (r.dutchie_is_deleted === true) return { kind: 'absent', reason: 'deleted in Odoo (dutchie_is_deleted)' };
  // Rule 4: in Odoo all-false day flags mean the deal is inactive: it is withdrawn (tombstone),
  // never published as "every day" and never left live at its previous state.
  const days = odooDays(r);
  if (days === null) return { kind: 'absent', reason: 'no weekday set (Odoo all-false day flags = inactive)' };

  const methodId = calculationMethod(r.calculation_method_id === false ? null : r.calculation_method_id);
  const amount = decimalOf(valueField(methodId, r), methodId === 2 ? 'discount_value' : 'discount_amount');
  const value = methodId === 2 ? percentFraction(amount, 'whole') : amount;
  const base = eventFields(event, recordText);

  const restrictions: Deal['restrictions'] = {};
  const brand = parseRawRestriction(r.brand_restriction_ids_raw, 'brand_restriction_ids_raw');
  const category = parseRawRestriction(r.category_restriction_ids_raw, 'category_restriction_ids_raw');
  const product = parseRawRestriction(r.product_restriction_ids_raw, 'product_restriction_ids_raw');
  if (brand) restrictions.brand = brand;
  if (category) restrictions.category = category;
  if (product) restrictions.product = product;

  const code = blankToNull(r.code);
  const start = nonZero(r.start_time);
  const end = nonZero(r.end_time);
  const terms = dealTerms({
    methodId,
    value,
    rewardThreshold: thresholdOf(r),
    constraintThresholds: [],
    applyToOnlyOneItem: isTrue(r.apply_to_only_one_item),
    minimumItems: nonZero(r.minimum_items_required),
  });
  // The kind comes from the numeric id and the thresholds (rule 6), never from `discount_type`; but a
  // record whose type says BOGO/bundle and whose encoding does not is inconsistent: a "bogo" with
  // discount_value 100 and no item threshold would otherwise go out as 100 % off everything.
  for (const [type, kind] of [['bogo', 'bogo'], ['bundle', 'bundle']] as const) {
    if (r.discount_type === type && terms.kind !== kind) fail(`discount_type ${type} but the record encodes a ${terms.kind} deal (calculation_method_id ${methodId}, threshold ${r.threshold_type || 'none'})`);
  }
  const { validFrom, validUntil } = validity(r, base.timeZone);
  const deal = assembleDeal(base, terms, {
    name: blankToNull(r.online_name) ?? blankToNull(r.name) ?? `PTL deal ${r.id}`,
    internalName: blankToNull(r.name),
    code,
    externalId: blankToNull(r.external_id),
    calculationMethodId: methodId,
    applicationMethod: code ? 'code' : 'automatic',
    isActive: r.is_active,
    isAvailableOnline: r.is_available_online !== false,
    validFrom,
    validUntil,
    // 0/0 is all day; 0 as an end is the end of the day.
    startTime: start === null ? null : hoursToTime(start, 'start_time'),
    endTime: end === null ? null : hoursToTime(end, 'end_time'),
    days,
    restrictions,
    applyToOnlyOneItem: isTrue(r.apply_to_only_one_item),
    isBundledDiscount: isTrue(r.is_bundled_discount),
    highestOrLowest: null,
    firstTimeCustomerOnly: isTrue(r.first_time_customer_only),
    canStackAutomatically: isTrue(r.can_stack_automatically),
    maxRedemptions: null,
    redemptionLimit: null,
    customerGroupIds: [],
    menuDisplay: r.menu_display_name || r.menu_display_image_url || r.menu_display_rank ? {
      name: blankToNull(r.menu_display_name),
      description: null,
      imageUrl: blankToNull(r.menu_display_image_url),
      rank: r.menu_display_rank === false ? null : r.menu_display_rank ?? null,
    } : null,
  });
  return { kind: 'deal', deal };
}
