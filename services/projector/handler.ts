/**
 * Projector decisions, pure: a canonical deal event (already Avro-decoded) becomes an upsert of
 * its `discounts` row, a removal (tombstone), or a rejection for the DLQ; a batch of outcomes
 * becomes one plan (last event per deal wins, every touched location rebuilt once).
 */
import { IANAZone } from 'luxon';
import { parseLocalTime } from '../../shared/deal-time';
import type { NewDiscountRow, RestrictionJson } from '../../shared/db/schema';
import { DEAL_KINDS, RESTRICTION_TYPES, WEEKDAYS, type Deal } from '../../shared/events';
import { isLocationId } from '../../shared/location-id';
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

const LOCAL_TIME = (t: string): boolean => { try { parseLocalTime(t); return true; } catch { return false; } };
const DECIMAL = /^-?\d+(\.\d+)?$/;
const DISCOUNT_ID = /^(ptl_)?\d+$/;
const KINDS: ReadonlySet<unknown> = new Set(DEAL_KINDS);
const RESTRICTIONS: ReadonlySet<string> = new Set(RESTRICTION_TYPES);

/** The fields of a deal the projector relies on, as checked by `dealIssues`. */
type CheckedDeal = Pick<Deal, 'id' | 'locationId' | 'discountId' | 'source' | 'timeZone' | 'name' | 'code' | 'calculationMethodId' | 'kind' | 'value'
  | 'isActive' | 'isAvailableOnline' | 'validFrom' | 'validUntil' | 'startTime' | 'endTime' | 'days' | 'restrictions' | 'firstTimeCustomerOnly'
  | 'minimumItemsRequired' | 'version'>;

const isInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v);
const nullOr = (ok: (v: unknown) => boolean) => (v: unknown): boolean => v === null || ok(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isBool = (v: unknown): boolean => typeof v === 'boolean';

/**
 * The fields the projector relies on, checked by hand (this runs per event: a zod object parse cost
 * more than the rest of the decision). Avro already gives most of the types; the checks still cover
 * any value (a test's, a foreign writer schema's). Each problem is `path: message`, as the zod schema
 * this replaces said it; the rest of the Avro record is kept in `payload` as it is.
 */
function dealIssues(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [': expected a deal record'];
  const v = value as Record<string, unknown>;
  const issues: string[] = [];
  const want = (field: string, ok: boolean, message: string): void => { if (!ok) issues.push(`${field}: ${message}`); };
  want('id', isString(v.id) && v.id.length > 0, 'expected a non-empty string');
  want('locationId', isLocationId(v.locationId), 'a location id is 1-64 letters, digits or "-"');
  want('discountId', isString(v.discountId) && DISCOUNT_ID.test(v.discountId), 'discount id must be numeric or ptl_{n}');
  want('source', v.source === 'dutchie' || v.source === 'ptl', 'expected "dutchie" or "ptl"');
  want('timeZone', isString(v.timeZone) && isValidZone(v.timeZone), 'unknown IANA time zone');
  want('name', isString(v.name), 'expected a string');
  want('code', nullOr(isString)(v.code), 'expected a string or null');
  want('calculationMethodId', nullOr(isInt)(v.calculationMethodId), 'expected an integer or null');
  want('kind', KINDS.has(v.kind), `expected one of ${DEAL_KINDS.join(', ')}`);
  want('value', v.value === null || (isString(v.value) && DECIMAL.test(v.value)), 'not a decimal string');
  want('isActive', isBool(v.isActive), 'expected a boolean');
  want('isAvailableOnline', isBool(v.isAvailableOnline), 'expected a boolean');
  want('validFrom', nullOr(isInt)(v.validFrom), 'expected an integer or null');
  want('validUntil', nullOr(isInt)(v.validUntil), 'expected an integer or null');
  want('startTime', v.startTime === null || (isString(v.startTime) && LOCAL_TIME(v.startTime)), 'not a local HH:MM[:SS] time');
  want('endTime', v.endTime === null || (isString(v.endTime) && LOCAL_TIME(v.endTime)), 'not a local HH:MM[:SS] time');
  const days = v.days as Record<string, unknown> | null | undefined;
  if (typeof days !== 'object' || days === null) issues.push('days: expected the weekdays');
  else {
    let any = false;
    for (const d of WEEKDAYS) { want(`days.${d}`, isBool(days[d]), 'expected a boolean'); any ||= days[d] === true; }
    want('days', any, 'a deal must run on at least one weekday');
  }
  const restrictions = v.restrictions as Record<string, unknown> | null | undefined;
  if (typeof restrictions !== 'object' || restrictions === null || Array.isArray(restrictions)) issues.push('restrictions: expected a map');
  else {
    for (const type of Object.keys(restrictions)) {
      const r = restrictions[type] as { ids?: unknown; isExclusion?: unknown } | undefined | null;
      if (!RESTRICTIONS.has(type)) { issues.push(`restrictions.${type}: unknown restriction type`); continue; }
      if (r === undefined) continue;
      want(`restrictions.${type}.ids`, r !== null && Array.isArray(r.ids) && r.ids.every(isString), 'expected an array of strings');
      want(`restrictions.${type}.isExclusion`, r !== null && isBool(r.isExclusion), 'expected a boolean');
    }
  }
  want('firstTimeCustomerOnly', isBool(v.firstTimeCustomerOnly), 'expected a boolean');
  want('minimumItemsRequired', nullOr(isInt)(v.minimumItemsRequired), 'expected an integer or null');
  want('version', isInt(v.version) && (v.version as number) >= 0, 'expected a non-negative integer');
  return issues;
}

function numericRestriction(r: { ids: string[]; isExclusion: boolean } | undefined, type: string): RestrictionJson | null {
  if (!r) return null;
  const ids = r.ids.map(Number);
  if (ids.some((n) => !Number.isFinite(n))) throw new Error(`${type} restriction has non-numeric ids`);
  return { ids, isExclusion: r.isExclusion };
}

/**
 * Whether a decimal string (DECIMAL) does not fit numeric(20,6): |x| >= 1e14, i.e. 15 or more
 * digits before the point once leading zeros are gone (no Decimal built per event).
 */
function outOfNumericRange(decimal: string): boolean {
  let i = decimal.charCodeAt(0) === 45 ? 1 : 0; // '-'
  while (decimal.charCodeAt(i) === 48 && i < decimal.length - 1) i++; // leading '0'
  const point = decimal.indexOf('.', i);
  return (point < 0 ? decimal.length : point) - i >= 15;
}

/**
 * Whether a string anywhere in the value holds U+0000: Postgres text (and json_to_recordset) cannot
 * take it, so such a deal would fail its whole slice on every retry. `rawRecord` is not stored.
 */
function holdsNul(value: unknown, key?: string): boolean {
  if (typeof value === 'string') return key !== 'rawRecord' && value.includes('\u0000');
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (const v of value) if (holdsNul(v)) return true;
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const k of Object.keys(record)) if (holdsNul(record[k], k)) return true; // own keys: avsc records inherit enumerable methods
  return false;
}

/** Decides what one message of deals.discounts.v1 means. `value` null = tombstone, removing the state of `removalVersion`. */
export function decideDeal(key: string | null, value: unknown, removalVersion = 0): DealOutcome {
  if (key === null || key === '') return { kind: 'reject', reason: 'message has no key' };
  if (value === null) return { kind: 'remove', id: key, locationId: locationOfKey(key), version: removalVersion };
  const issues = dealIssues(value);
  if (issues.length > 0) return { kind: 'reject', reason: issues.join('; ') };
  const deal = value as CheckedDeal;
  if (deal.id !== key) return { kind: 'reject', reason: `key ${key} differs from deal id ${deal.id}` };
  if (deal.id !== `${deal.locationId}_${deal.discountId}`) return { kind: 'reject', reason: 'deal id is not {locationId}_{discountId}' };
  if (deal.value !== null && outOfNumericRange(deal.value)) return { kind: 'reject', reason: 'value out of range' };
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
