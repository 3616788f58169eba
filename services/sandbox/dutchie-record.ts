/**
 * The Dutchie POS discount record (external-apis.md §1) as a zod schema — the shape the sandbox
 * stores and serves, and checks admin input against — and its Backoffice (PascalCase) form.
 */
import { z } from 'zod';

const RestrictionEntry = z.object({ restrictionIds: z.array(z.number()), isExclusion: z.boolean() });
export const Restrictions = z.record(z.string(), RestrictionEntry);

const Constraint = z.object({
  discountConstraintId: z.number().int(), discountId: z.number().int(), thresholdMin: z.number().nullable(),
  includeNonCannabis: z.boolean().nullable(), thresholdTypeId: z.number().int().nullable(), thresholdType: z.string().nullable(),
  hasThreshold: z.boolean(), discountItemGroupTypeId: z.number().int().nullable(), itemGroupType: z.string().nullable(), restrictions: Restrictions,
}).passthrough();

const Reward = z.object({
  discountRewardId: z.number().int(), discountId: z.number().int(), calculationMethodId: z.number().int(), calculationMethod: z.string(),
  discountValue: z.number(), includeNonCannabis: z.boolean().nullable(), highestOrLowest: z.string().nullable(),
  thresholdTypeId: z.number().int().nullable(), thresholdType: z.string().nullable(), hasThreshold: z.boolean(),
  itemGroupTypeId: z.number().int().nullable(), itemGroupType: z.string().nullable(), thresholdMin: z.number().nullable(),
  thresholdMax: z.number().nullable(), applyToOnlyOneItem: z.boolean(), restrictions: Restrictions,
}).passthrough();

// Dutchie sends true or null; a few real records carry false too.
const day = z.boolean().nullable();

export const PosDiscount = z.object({
  id: z.number().int(),
  externalId: z.string().nullable(),
  validDateFrom: z.string().nullable(),
  validDateTo: z.string().nullable(),
  maxRedemptions: z.number().int().nullable(),
  redemptionLimit: z.number().int().nullable(),
  firstTimeCustomerOnly: z.union([z.literal(0), z.literal(1)]),
  discountDescription: z.string(),
  discountCode: z.string().nullable(),
  applicationMethodId: z.number().int(),
  applicationMethod: z.string(),
  canStackAutomatically: z.boolean(),
  onlineName: z.string().nullable(),
  locationRestrictions: z.array(z.number().int()),
  restrictToGroupIds: z.array(z.number().int()),
  startTime: z.string().nullable(),
  endTime: z.string().nullable(),
  monday: day, tuesday: day, wednesday: day, thursday: day, friday: day, saturday: day, sunday: day,
  isActive: z.boolean(),
  isBundledDiscount: z.boolean(),
  constraints: z.array(Constraint),
  reward: Reward,
  menuDisplay: z.object({
    menuDisplayDescription: z.string().nullable(), menuDisplayImageUrl: z.string().nullable(),
    menuDisplayName: z.string().nullable(), menuDisplayRank: z.number().nullable(),
  }).nullable(),
  paymentRestrictions: z.object({ payByBankSignupIncentive: z.unknown() }).passthrough().nullable(),
}).passthrough();
export type PosDiscount = z.infer<typeof PosDiscount>;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const pascal = (k: string): string => (k === 'menuDisplay' ? 'DiscountMenuDisplayDetails' : k.charAt(0).toUpperCase() + k.slice(1));
// Record keys are a small fixed vocabulary: each is converted once (bounded in case of odd input).
const pascalNames = new Map<string, string>();
const pascalOf = (k: string): string => {
  let p = pascalNames.get(k);
  if (p === undefined) { p = pascal(k); if (pascalNames.size < 10_000) pascalNames.set(k, p); }
  return p;
};

/**
 * The Backoffice form of a POS record (the lead's contract): every key PascalCased recursively,
 * `menuDisplay` named `DiscountMenuDisplayDetails`. Restriction type keys (`Product`…) are already so.
 */
export function toBackoffice(value: unknown): Json {
  if (Array.isArray(value)) return value.map(toBackoffice);
  if (value !== null && typeof value === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) {
      const name = pascalOf(k);
      // An own property even for "__proto__" (plain assignment would set the prototype).
      if (name === '__proto__') Object.defineProperty(out, name, { value: toBackoffice(v), enumerable: true, writable: true, configurable: true });
      else out[name] = toBackoffice(v);
    }
    return out;
  }
  return value as Json;
}

/** The record as served without `includeInclusionExclusionData`: every `restrictions` is `{}`. */
export function withoutRestrictions(d: PosDiscount): PosDiscount {
  return { ...d, constraints: d.constraints.map((c) => ({ ...c, restrictions: {} })), reward: { ...d.reward, restrictions: {} } };
}
