/**
 * zod check of a decoded `dealstream.Deal` at the sink's edge: Avro already guarantees the shape of
 * what the registry knew, this guards the values the mapping relies on (decimals, zone, times).
 */
import Decimal from 'decimal.js';
import { z } from 'zod';
import { DEAL_KINDS, RESTRICTION_TYPES, type Deal } from '../../shared/events';

const decimal = z.string().refine((s) => { try { return new Decimal(s).isFinite(); } catch { return false; } }, 'not a decimal');
const localTime = z.string().regex(/^\d{1,2}:\d{2}(:\d{2})?$/, 'not HH:MM:SS');
const zone = z.string().refine((z_) => { try { new Intl.DateTimeFormat('en-US', { timeZone: z_ }); return true; } catch { return false; } }, 'unknown time zone');
const restriction = z.object({ ids: z.array(z.string()), isExclusion: z.boolean() });
const bool = z.boolean();

export const dealSchema = z.object({
  id: z.string(), locationId: z.string().min(1), discountId: z.string().min(1), source: z.enum(['dutchie', 'ptl']), sourceApi: z.string(),
  market: z.string(), timeZone: zone, name: z.string(), internalName: z.string().nullable(), code: z.string().nullable(),
  externalId: z.string().nullable(), calculationMethodId: z.number().int().nullable(), kind: z.enum(DEAL_KINDS), value: decimal.nullable(),
  bundleQuantity: z.number().int().nullable(),
  bogo: z.object({ buyQuantity: z.number().int(), getQuantity: z.number().int(), getPercentOff: decimal }).nullable(),
  applicationMethod: z.string(), isActive: bool, isAvailableOnline: bool,
  validFrom: z.number().int().nullable(), validUntil: z.number().int().nullable(),
  startTime: localTime.nullable(), endTime: localTime.nullable(),
  days: z.object({ monday: bool, tuesday: bool, wednesday: bool, thursday: bool, friday: bool, saturday: bool, sunday: bool }),
  restrictions: z.partialRecord(z.enum(RESTRICTION_TYPES), restriction),
  thresholdType: z.string().nullable(), thresholdMin: decimal.nullable(), thresholdMax: decimal.nullable(),
  minimumItemsRequired: z.number().int().nullable(), applyToOnlyOneItem: bool, isBundledDiscount: bool,
  highestOrLowest: z.string().nullable(), firstTimeCustomerOnly: bool, canStackAutomatically: bool,
  maxRedemptions: z.number().int().nullable(), redemptionLimit: z.number().int().nullable(), customerGroupIds: z.array(z.number()),
  menuDisplay: z.object({ name: z.string().nullable(), description: z.string().nullable(), imageUrl: z.string().nullable(), rank: z.number().int().nullable() }).nullable(),
  contentHash: z.string(), rawRecord: z.string(), version: z.number(),
}) satisfies z.ZodType<Deal>;

export function parseDeal(value: unknown): { ok: true; deal: Deal } | { ok: false; error: string } {
  const r = dealSchema.safeParse(value);
  return r.success ? { ok: true, deal: r.data } : { ok: false, error: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}
