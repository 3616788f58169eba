/**
 * The deal-semantics rules shared by every source mapping (see README "Normaliser"): money and
 * percents as decimal strings, instants and the year-4200 "no end", day flags, and the one place
 * that turns a calculation method id + thresholds into a canonical kind (BOGO, bundle, ...).
 * Everything here is pure; a record that breaks a rule throws a MappingError, which the handler
 * turns into a `reject` outcome.
 */
import Decimal from 'decimal.js';
import { DateTime, IANAZone } from 'luxon';
import { WEEKDAYS, type Deal, type DealKind, type RestrictionType, type Weekday } from '../../shared/events';

export class MappingError extends Error {
  override readonly name = 'MappingError';
}

export function fail(reason: string): never {
  throw new MappingError(reason);
}

// ---------------------------------------------------------------- money and numbers (rule 11)

/**
 * A JSON number or numeric text as a plain decimal string ("50.0" and 50.0 -> "50", 3.5 -> "3.5").
 * JSON numbers are read through their shortest round-trip text, which is the literal the source
 * sent, so no float arithmetic ever touches the value.
 */
export function decimalOf(x: number | string, what: string): Decimal {
  if (typeof x === 'number' && !Number.isFinite(x)) fail(`${what} is not a finite number`);
  if (typeof x === 'string' && !/^\s*-?\d+(\.\d+)?\s*$/.test(x)) fail(`${what} is not a decimal number`);
  return new Decimal(typeof x === 'number' ? String(x) : x.trim());
}

export const text = (d: Decimal): string => d.toFixed();

/** Dutchie calculation method ids (rule 6: keyed on the number, never on the wire string). */
export const CALCULATION_METHODS = {
  1: 'flat',
  2: 'percent',
  3: 'price_to_amount',
  5: 'amount_off_total',
  6: 'bundle',
  15: 'loyalty',
} as const satisfies Record<number, DealKind>;
export type CalculationMethodId = keyof typeof CALCULATION_METHODS;

export function calculationMethod(id: number | null | undefined): CalculationMethodId {
  if (id === null || id === undefined) fail('calculation method id is missing');
  if (!Object.hasOwn(CALCULATION_METHODS, id)) fail(`unknown calculation method id ${id}`);
  return id as CalculationMethodId; // checked on the line above
}

/** Rule 7: a percent as a 0-1 fraction; PTL sends whole percents (1 = 1 %). Above 100 % is rejected. */
export function percentFraction(value: Decimal, scale: 'fraction' | 'whole'): Decimal {
  const fraction = scale === 'whole' ? value.div(100) : value;
  if (fraction.gt(1)) fail(`percent above 100 % (${text(value)}${scale === 'whole' ? ' %' : ' as a fraction'})`);
  if (fraction.lte(0)) fail(`percent must be above 0 (${text(value)})`);
  return fraction;
}

// ---------------------------------------------------------------- time (rules 1-5)

/** Rule 3: a year of 4200 (or later) means "no end". */
export const NO_END_YEAR = 4200;

/** Zones already checked: luxon's check builds an Intl.DateTimeFormat, too slow per message. */
const knownZones = new Set<string>();

export function assertTimeZone(zone: string): string {
  if (knownZones.has(zone)) return zone;
  if (!IANAZone.isValidZone(zone)) fail(`unknown time zone ${JSON.stringify(zone)}`);
  if (knownZones.size < 1000) knownZones.add(zone);
  return zone;
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A Dutchie UTC instant (may carry a 7-digit fraction, or no zone: Dutchie's instants are UTC) to
 * epoch ms, kept exactly as sent: the exclusive end keeps its few minutes of slop (rule 2), and
 * no store date is ever derived from it (rule 5).
 */
const PLAIN_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** Date.parse rolls "02-30" over into March: check the day exists in its month. */
function dayExists(value: string): boolean {
  const [y, m, d] = [Number(value.slice(0, 4)), Number(value.slice(5, 7)), Number(value.slice(8, 10))];
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

export function parseInstant(value: string, what: string): number {
  if (PLAIN_UTC.test(value) && dayExists(value)) { // the common case, which Date.parse reads exactly
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return t;
  }
  const m = INSTANT.exec(value.trim());
  if (!m) fail(`${what} is not an ISO instant: ${JSON.stringify(value)}`);
  const [, y, mo, d, h, mi, s = '00', frac = '', zone = 'Z'] = m;
  const ms = frac.padEnd(3, '0').slice(0, 3);
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`;
  const t = Date.parse(iso);
  if (Number.isNaN(t) || !dayExists(iso)) fail(`${what} is not a valid instant: ${JSON.stringify(value)}`);
  return t;
}

export function isNoEnd(ms: number): boolean {
  return new Date(ms).getUTCFullYear() >= NO_END_YEAR;
}

/** Exclusive end instant; year 4200 -> null (no end). */
export function validUntilOf(value: string | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  const ms = parseInstant(value, 'validDateTo');
  return isNoEnd(ms) ? null : ms;
}

/** An Odoo date ('YYYY-MM-DD', a store-local day) as the instant its day starts in `zone`. */
export function startOfLocalDay(date: string, zone: string, what: string): DateTime {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) fail(`${what} is not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  const dt = DateTime.fromISO(date, { zone });
  if (!dt.isValid) fail(`${what} is not a valid date: ${JSON.stringify(date)}`);
  return dt;
}

/** Local "HH:MM[:SS]" -> "HH:MM:SS" (kept in the store's zone; never converted). */
export function localTime(value: string | null | undefined, what: string): string | null {
  if (value === null || value === undefined || value === '') return null;
  const m = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!m || Number(m[1]) > 24 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59) fail(`${what} is not a local HH:MM:SS time: ${JSON.stringify(value)}`);
  return `${m[1]}:${m[2]}:${m[3] ?? '00'}`;
}

/** Odoo float hours (13.5) -> "13:30:00"; 24 and above -> null (to the end of the day). */
export function hoursToTime(hours: number, what: string): string | null {
  if (!Number.isFinite(hours) || hours < 0 || hours > 24) fail(`${what} is not an hour of the day: ${hours}`);
  const seconds = Math.round(hours * 3600); // a clock time, not money: rounding to whole seconds is exact enough
  if (seconds >= 24 * 3600) return null;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
}

// ---------------------------------------------------------------- day flags (rule 4)

export type Days = Deal['days'];
export type DayFlags = Partial<Record<Weekday, boolean | null | undefined>>;

/** Only `true` selects a day (a literal, not built from WEEKDAYS: this runs for every message). */
function trueDays(f: DayFlags): Days {
  return {
    monday: f.monday === true, tuesday: f.tuesday === true, wednesday: f.wednesday === true, thursday: f.thursday === true,
    friday: f.friday === true, saturday: f.saturday === true, sunday: f.sunday === true,
  };
}
const anyDay = (d: Days): boolean => WEEKDAYS.some((w) => d[w]);

/** Dutchie: only `true` selects a day; all null/false means every day. */
export function dutchieDays(flags: DayFlags): Days {
  const days = trueDays(flags);
  return anyDay(days) ? days : { monday: true, tuesday: true, wednesday: true, thursday: true, friday: true, saturday: true, sunday: true };
}

/** Odoo `mint.discount`: all false means the deal runs on no day (inactive): null, never "every day". */
export function odooDays(flags: DayFlags): Days | null {
  const days = trueDays(flags);
  return anyDay(days) ? days : null;
}

// ---------------------------------------------------------------- kind and terms (rules 6-10)

export type ThresholdType = 'items' | 'spend';
export interface Threshold { type: ThresholdType; min: Decimal | null; max: Decimal | null }

export interface TermsInput {
  methodId: CalculationMethodId;
  /** The deal's value, percent already a 0-1 fraction. */
  value: Decimal;
  /** The reward's own threshold (Dutchie `reward.threshold*`; PTL's single threshold). */
  rewardThreshold: Threshold | null;
  /** Thresholds of the qualifying constraints, in order (Dutchie `constraints[]`). */
  constraintThresholds: Threshold[];
  applyToOnlyOneItem: boolean;
  /** An explicit "minimum items" from the source (PTL `minimum_items_required`), if any. */
  minimumItems?: number | null;
}

export type Terms = Pick<Deal, 'kind' | 'value' | 'bundleQuantity' | 'bogo' | 'thresholdType' | 'thresholdMin' | 'thresholdMax' | 'minimumItemsRequired'>;

const isWholeAtLeast = (d: Decimal | null | undefined, n: number): d is Decimal => !!d && d.isInteger() && d.gte(n);
const itemsMin = (t: Threshold | null | undefined): Decimal | null => (t?.type === 'items' ? t.min : null);

/**
 * Rule 10: N of "N for $X" sits in the reward's thresholdMin in some records and in the
 * constraints in others. The reward wins; else the constraints' item thresholds are summed
 * (one constraint: constraints[0].thresholdMin; "buy 1 of A and 1 of B for $X": 2).
 */
export function bundleQuantity(input: TermsInput): number | null {
  const fromReward = itemsMin(input.rewardThreshold); // a spend threshold ($100) is not an item count
  if (isWholeAtLeast(fromReward, 1)) return fromReward.toNumber();
  const mins = input.constraintThresholds.map(itemsMin).filter((d): d is Decimal => isWholeAtLeast(d, 1));
  if (mins.length) return mins.reduce((a, b) => a.plus(b), new Decimal(0)).toNumber();
  return input.minimumItems ?? null;
}

/**
 * Rule 9: Dutchie has no BOGO method. "Buy N-1, get one free / half off" is PERCENT_OFF 1.0 or 0.5
 * on one item once N items are in the cart; "buy one, get one for a penny" is PRICE_TO_AMOUNT
 * 0.01 with an item threshold of 2.
 */
export function bogoTerms(input: TermsInput): Deal['bogo'] {
  // Like a bundle's N, the item count sits in the reward in some records and in the first
  // constraint in others (the reward wins): N items in the cart, one of them discounted.
  const n = itemsMin(input.rewardThreshold) ?? itemsMin(input.constraintThresholds[0]);
  if (input.methodId === 2 && (input.value.eq(1) || input.value.eq(0.5)) && input.applyToOnlyOneItem && isWholeAtLeast(n, 2)) {
    return { buyQuantity: n.toNumber() - 1, getQuantity: 1, getPercentOff: text(input.value) };
  }
  if (input.methodId === 3 && input.value.eq('0.01') && n?.eq(2)) {
    return { buyQuantity: 1, getQuantity: 1, getPercentOff: '1' };
  }
  return null;
}

/**
 * The qualifying threshold a customer must reach: a constraint's (the "buy" side) wins over the
 * reward's, so "spend $75, get one free" keeps its $75.
 */
function qualifyingThreshold(input: TermsInput): Threshold | null {
  return input.constraintThresholds[0] ?? input.rewardThreshold ?? null;
}

export function dealTerms(input: TermsInput): Terms {
  const { methodId, value } = input;
  if (value.isNegative()) fail(`negative value ${text(value)}`);
  // Rule 8: an effective value of 0 on an amount/percent-off deal would show a sale badge with no cut.
  if (value.isZero() && (methodId === 1 || methodId === 2 || methodId === 5 || methodId === 15)) {
    fail(`effective value is 0 for calculation method ${methodId}`);
  }
  const threshold = qualifyingThreshold(input);
  const bogo = bogoTerms(input);
  const bundle = methodId === 6 ? bundleQuantity(input) : null;
  const itemCounts = [itemsMin(input.rewardThreshold), ...input.constraintThresholds.map(itemsMin)]
    .filter((d): d is Decimal => isWholeAtLeast(d, 1)).map((d) => d.toNumber());
  const minimumItemsRequired = bogo ? bogo.buyQuantity + bogo.getQuantity
    : bundle ?? input.minimumItems ?? (itemCounts.length ? Math.max(...itemCounts) : null);
  return {
    kind: bogo ? 'bogo' : CALCULATION_METHODS[methodId],
    value: text(value),
    bundleQuantity: bundle,
    bogo,
    thresholdType: threshold?.type ?? null,
    thresholdMin: threshold?.min ? text(threshold.min) : null,
    thresholdMax: threshold?.max ? text(threshold.max) : null,
    minimumItemsRequired,
  };
}

// ---------------------------------------------------------------- restrictions (rules 12-13)

/** Source restriction type names (first letter lower-cased: Product -> product) to canonical types. */
export const RESTRICTION_TYPE_BY_NAME: Readonly<Record<string, RestrictionType>> = {
  product: 'product', category: 'category', brand: 'brand', weight: 'weight', strain: 'strain',
  tag: 'tag', inventoryTag: 'inventoryTag', tier: 'tier', vendor: 'vendor',
};

/** "include: 1 | 2" / "exclude: 54" (Odoo's raw targeting text); false/empty = no constraint. */
export function parseRawRestriction(raw: string | false | null | undefined, what: string): { ids: string[]; isExclusion: boolean } | null {
  if (raw === false || raw === null || raw === undefined || raw.trim() === '') return null;
  const m = /^\s*(include|exclude)\s*:\s*(.*?)\s*$/i.exec(raw);
  if (!m) fail(`${what} is not "include: a | b" or "exclude: a | b": ${JSON.stringify(raw)}`);
  const body = m[2] ?? '';
  const ids = body === '' ? [] : body.split('|').map((s) => s.trim());
  if (ids.some((id) => !/^\d+(\.\d+)?$/.test(id))) fail(`${what} has an id that is not a number: ${JSON.stringify(raw)}`);
  if (ids.length === 0) return null; // an empty list does not constrain (rule 12)
  return { ids: [...new Set(ids)], isExclusion: m[1]!.toLowerCase() === 'exclude' }; // group 1 always matches
}
