/**
 * Dutchie POS record (`GET /discounts/v2/list`, camelCase) -> canonical deal. The Backoffice shape
 * is renamed to this one in map-backoffice.ts and then mapped here, so Dutchie's rules live once.
 */
import { z } from 'zod';
import type { Deal, DealRawEvent, RestrictionType } from '../../shared/events';
import { assembleDeal, blankToNull, eventFields, type MapResult } from './mapping';
import {
  RESTRICTION_TYPE_BY_NAME, calculationMethod, dealTerms, decimalOf, dutchieDays, fail, localTime, parseInstant,
  percentFraction, text, validUntilOf, type Threshold,
} from './rules';

const idValue = z.union([z.number(), z.string()]);
const restrictionsSchema = z.record(z.string(), z.object({
  restrictionIds: z.array(idValue).nullish(),
  isExclusion: z.boolean().nullish(),
}).nullable()).nullish();

const thresholdFields = {
  thresholdTypeId: z.number().int().nullish(),
  thresholdMin: z.union([z.number(), z.string()]).nullish(),
  thresholdMax: z.union([z.number(), z.string()]).nullish(),
  hasThreshold: z.boolean().nullish(),
};

const constraintSchema = z.object({ ...thresholdFields, restrictions: restrictionsSchema });

const rewardSchema = z.object({
  ...thresholdFields,
  calculationMethodId: z.number().int().nullish(),
  discountValue: z.union([z.number(), z.string()]).nullish(),
  highestOrLowest: z.string().nullish(),
  applyToOnlyOneItem: z.boolean().nullish(),
  restrictions: restrictionsSchema,
});

const day = z.boolean().nullish();

/** The fields the normaliser reads; the rest travels untouched in `rawRecord`. */
export const dutchieRecordSchema = z.object({
  id: z.number().int(),
  externalId: z.string().nullish(),
  validDateFrom: z.string().nullish(),
  validDateTo: z.string().nullish(),
  maxRedemptions: z.number().int().nullish(),
  redemptionLimit: z.number().int().nullish(),
  /** int 0/1 on the wire, not a boolean (a boolean is tolerated). */
  firstTimeCustomerOnly: z.union([z.literal(0), z.literal(1), z.boolean()]).nullish(),
  discountDescription: z.string().nullish(),
  onlineName: z.string().nullish(),
  discountCode: z.string().nullish(),
  applicationMethodId: z.number().int().nullish(),
  canStackAutomatically: z.boolean().nullish(),
  isActive: z.boolean(),
  isBundledDiscount: z.boolean().nullish(),
  locationRestrictions: z.array(z.number().int()).nullish(),
  restrictToGroupIds: z.array(z.number().int()).nullish(),
  startTime: z.string().nullish(),
  endTime: z.string().nullish(),
  monday: day, tuesday: day, wednesday: day, thursday: day, friday: day, saturday: day, sunday: day,
  constraints: z.array(constraintSchema).nullish(),
  reward: rewardSchema,
  menuDisplay: z.object({
    menuDisplayDescription: z.string().nullish(),
    menuDisplayImageUrl: z.string().nullish(),
    menuDisplayName: z.string().nullish(),
    menuDisplayRank: z.number().nullish(),
  }).nullish(),
});
export type DutchieRecord = z.infer<typeof dutchieRecordSchema>;

const APPLICATION_METHODS: Readonly<Record<number, string>> = { 1: 'automatic', 2: 'manual', 3: 'code' };

/** Threshold type ids: 1 NUMBER_OF_ITEMS, 2 SPENDING_AMOUNT; null/0 none. */
function thresholdOf(t: z.infer<typeof constraintSchema>, what: string): Threshold | null {
  if (t.hasThreshold === false || t.thresholdTypeId === null || t.thresholdTypeId === undefined || t.thresholdTypeId === 0) return null;
  if (t.thresholdTypeId !== 1 && t.thresholdTypeId !== 2) fail(`${what} has unknown threshold type id ${t.thresholdTypeId}`);
  const dec = (v: number | string | null | undefined, name: string) => (v === null || v === undefined ? null : decimalOf(v, `${what}.${name}`));
  return { type: t.thresholdTypeId === 1 ? 'items' : 'spend', min: dec(t.thresholdMin, 'thresholdMin'), max: dec(t.thresholdMax, 'thresholdMax') };
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/**
 * Restrictions `{ids, isExclusion}` per type. The reward's restrictions (which items get the
 * discount) win per type; a type the reward does not restrict is taken from the first constraint
 * that does (which items must be bought), so the storefront shows the deal on the products that
 * take part in it. An empty list does not constrain; an unknown type is rejected (dropping it
 * would widen the deal).
 */
export function dutchieRestrictions(record: Pick<DutchieRecord, 'reward' | 'constraints'>): Deal['restrictions'] {
  const out: Deal['restrictions'] = {};
  const sources = [record.reward.restrictions, ...(record.constraints ?? []).map((c) => c.restrictions)];
  for (const restrictions of sources) {
    for (const [name, entry] of Object.entries(restrictions ?? {})) {
      const ids = (entry?.restrictionIds ?? []).map((id) => (typeof id === 'number' ? text(decimalOf(id, `restriction ${name}`)) : id.trim()));
      if (ids.length === 0) continue;
      const type: RestrictionType | undefined = RESTRICTION_TYPE_BY_NAME[lowerFirst(name)];
      if (!type) fail(`unknown restriction type ${JSON.stringify(name)}`);
      out[type] ??= { ids: [...new Set(ids)], isExclusion: entry?.isExclusion === true };
    }
  }
  return out;
}

export function mapDutchieRecord(event: DealRawEvent, recordText: string, record: DutchieRecord): MapResult {
  if (String(record.id) !== event.discountId) fail(`record id ${record.id} is not the event's discountId ${event.discountId}`);

  // Rule 13: an empty list means every store of the LSP; else the store's POS LocId must be listed.
  const locs = record.locationRestrictions ?? [];
  if (locs.length > 0) {
    if (event.posLocId === null) fail('deal is restricted to some stores but the event carries no posLocId');
    if (!locs.includes(event.posLocId)) return { kind: 'absent', reason: `not for this store (LocId ${event.posLocId} not in locationRestrictions)` };
  }

  const methodId = calculationMethod(record.reward.calculationMethodId);
  const raw = record.reward.discountValue;
  if (raw === null || raw === undefined) fail('reward.discountValue is missing');
  const amount = decimalOf(raw, 'reward.discountValue');
  const value = methodId === 2 ? percentFraction(amount, 'fraction') : amount;

  const applicationMethod = APPLICATION_METHODS[record.applicationMethodId ?? 1];
  if (!applicationMethod) fail(`unknown application method id ${record.applicationMethodId}`);
  const validFrom = record.validDateFrom ? parseInstant(record.validDateFrom, 'validDateFrom') : null;
  const menu = record.menuDisplay;
  const ftco = record.firstTimeCustomerOnly;

  const terms = dealTerms({
    methodId,
    value,
    rewardThreshold: thresholdOf(record.reward, 'reward'),
    constraintThresholds: (record.constraints ?? []).map((c, i) => thresholdOf(c, `constraints[${i}]`)).filter((t): t is Threshold => t !== null),
    applyToOnlyOneItem: record.reward.applyToOnlyOneItem === true,
  });

  const deal = assembleDeal(eventFields(event, recordText), terms, {
    name: blankToNull(record.onlineName) ?? blankToNull(menu?.menuDisplayName) ?? blankToNull(record.discountDescription) ?? `Deal ${record.id}`,
    internalName: blankToNull(record.discountDescription),
    code: blankToNull(record.discountCode),
    externalId: blankToNull(record.externalId),
    calculationMethodId: methodId,
    applicationMethod,
    isActive: record.isActive,
    // Dutchie has no "online" flag: every deal it returns is shown online, as the batch job did.
    isAvailableOnline: true,
    validFrom,
    validUntil: validUntilOf(record.validDateTo),
    startTime: localTime(record.startTime, 'startTime'),
    endTime: localTime(record.endTime, 'endTime'),
    days: dutchieDays(record),
    restrictions: dutchieRestrictions(record),
    applyToOnlyOneItem: record.reward.applyToOnlyOneItem === true,
    isBundledDiscount: record.isBundledDiscount === true,
    highestOrLowest: blankToNull(record.reward.highestOrLowest),
    firstTimeCustomerOnly: ftco === 1 || ftco === true,
    canStackAutomatically: record.canStackAutomatically === true,
    maxRedemptions: record.maxRedemptions ?? null,
    redemptionLimit: record.redemptionLimit ?? null,
    customerGroupIds: record.restrictToGroupIds ?? [],
    menuDisplay: menu ? {
      name: blankToNull(menu.menuDisplayName),
      description: blankToNull(menu.menuDisplayDescription),
      imageUrl: blankToNull(menu.menuDisplayImageUrl),
      rank: menu.menuDisplayRank === null || menu.menuDisplayRank === undefined ? null : Math.round(menu.menuDisplayRank), // a sort rank: whole numbers in practice
    } : null,
  });
  return { kind: 'deal', deal };
}

/** Maps one POS record (JSON text). */
export function mapPos(event: DealRawEvent, recordText: string, json: unknown): MapResult {
  return mapDutchieRecord(event, recordText, dutchieRecordSchema.parse(json));
}
