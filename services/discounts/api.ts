/**
 * The HTTP edge, as zod schemas: every body and query is validated once here and the types come
 * from the same schemas. Money arrives as a decimal string (or a JSON number, converted to its
 * shortest decimal text at once) and never becomes a float afterwards.
 */
import Decimal from 'decimal.js';
import { z } from 'zod';
import { DISCOUNT_METHODS, DISCOUNT_SCOPES, DISCOUNT_TYPES, EMPLOYEE_ROLES } from '../../shared/db/schema';
import { APPROVAL_TTL_S } from './approval';
import { STACK_LAYERS } from './handler';

const DECIMAL = /^\d{1,14}(\.\d{1,6})?$/;

/** Text Postgres can store: its text types refuse the NUL character, so it is refused here, as bad input. */
const pgText = () => z.string().refine((s) => !s.includes('\u0000'), { message: 'must not contain the NUL character' });

/** A non-negative decimal that fits numeric(20,6), as its canonical string. */
export const money = z
  .union([pgText(), z.number().finite()])
  .transform((v) => (typeof v === 'number' ? String(v) : v.trim()))
  .refine((s) => DECIMAL.test(s), { message: 'must be a non-negative decimal with at most 14 integer and 6 fraction digits' })
  .transform((s) => new Decimal(s).toFixed())
  .meta({ description: 'decimal string (a JSON number is accepted)', example: '10.50' });

const timestamp = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

/** Rule fields as the document lists them (camelCase over the snake_case columns). */
const ruleFields = {
  name: pgText().trim().min(1).max(255),
  description: pgText().max(10_000).nullable(),
  scope: z.enum(DISCOUNT_SCOPES),
  appliesTo: pgText().trim().min(1).max(255),
  type: z.enum(DISCOUNT_TYPES),
  method: z.enum(DISCOUNT_METHODS),
  value: money,
  maxValue: money.nullable(),
  requiresReason: z.boolean(),
  requiresApproval: z.boolean(),
  minRoleLevel: z.enum(EMPLOYEE_ROLES).nullable(),
  isActive: z.boolean(),
  validFrom: timestamp.nullable(),
  validTo: timestamp.nullable(),
};

const isDecimal = (v: string): boolean => { try { return new Decimal(v).isFinite(); } catch { return false; } };

export interface RuleShape { method: 'percent' | 'amount'; value: string; maxValue: string | null; validFrom: Date | null; validTo: Date | null }

/**
 * The cross-field rules of a discount rule; used on create and on the merged result of a PATCH.
 * zod runs it even when a field already failed its own check, so it must not trust the fields.
 */
export function ruleProblem(r: RuleShape): string | null {
  if (r.method === 'percent' && typeof r.value === 'string' && isDecimal(r.value) && new Decimal(r.value).greaterThan(100)) return 'value: a percent must be between 0 and 100';
  if (r.method === 'amount' && r.maxValue !== null) return 'maxValue: the ceiling applies to percent rules only';
  if (r.validFrom instanceof Date && r.validTo instanceof Date && r.validFrom.getTime() >= r.validTo.getTime()) return 'validTo: must be after validFrom';
  return null;
}

export const createRuleBody = z.strictObject({
  ...ruleFields,
  description: ruleFields.description.optional().default(null),
  appliesTo: ruleFields.appliesTo.optional().default('all'),
  maxValue: ruleFields.maxValue.optional().default(null),
  requiresReason: ruleFields.requiresReason.optional().default(false),
  requiresApproval: ruleFields.requiresApproval.optional().default(false),
  minRoleLevel: ruleFields.minRoleLevel.optional().default(null),
  isActive: ruleFields.isActive.optional().default(true),
  validFrom: ruleFields.validFrom.optional().default(null),
  validTo: ruleFields.validTo.optional().default(null),
}).superRefine((r, ctx) => {
  const p = ruleProblem(r);
  if (p) ctx.addIssue({ code: 'custom', message: p });
});
export type CreateRuleBody = z.infer<typeof createRuleBody>;

export const updateRuleBody = z.strictObject(ruleFields).partial()
  .refine((r) => Object.keys(r).length > 0, { message: 'nothing to update' });
export type UpdateRuleBody = z.infer<typeof updateRuleBody>;

const uuid = z.uuid();
const boolString = z.enum(['true', 'false']).transform((s) => s === 'true');
const limit = z.coerce.number().int().min(1).max(200).default(50);
const offset = z.coerce.number().int().min(0).max(1_000_000).default(0);

export const businessQuery = z.object({ businessId: uuid });
export const createRuleQuery = businessQuery.extend({ createdBy: uuid.optional() });
export const listRulesQuery = businessQuery.extend({ active: boolString.optional(), scope: z.enum(DISCOUNT_SCOPES).optional(), limit, offset });
export const byEntityQuery = businessQuery.extend({ entityType: pgText().min(1).max(100), entityId: uuid, limit, offset });
export const byEmployeeQuery = businessQuery.extend({ employeeId: uuid, from: timestamp.optional(), to: timestamp.optional(), limit, offset });

const layer = z.strictObject({
  layer: z.enum(STACK_LAYERS),
  applicationId: uuid.nullable().default(null),
  type: z.enum(DISCOUNT_TYPES).nullable().default(null),
  method: z.enum(DISCOUNT_METHODS),
  value: money,
  amount: money,
  ruleId: uuid.nullable().default(null),
  promotionId: uuid.nullable().default(null),
  label: pgText().max(255).nullable().default(null),
  reason: pgText().max(2000).nullable().default(null),
  appliedBy: uuid.nullable().default(null),
  approvedBy: uuid.nullable().default(null),
  appliedAt: pgText().max(64).nullable().default(null),
});

/** The stack already on the line/cart; totals are recomputed by the engine, so only the layers matter. */
const currentDetail = z.object({ discounts: z.array(layer).max(100) }).nullable().default(null);

export const discountSource = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('rule'), ruleId: uuid }),
  z.strictObject({ kind: z.literal('promotion'), promotionId: uuid }),
  z.strictObject({
    kind: z.literal('manual'),
    type: z.enum(['manual', 'markdown', 'override', 'comp']),
    method: z.enum(DISCOUNT_METHODS),
    value: money,
  }),
]);

const entityFields = { entityType: pgText().trim().min(1).max(100), entityId: uuid };
const lineId = pgText().trim().min(1).max(255);

const applicationFields = {
  ...entityFields,
  baseAmount: money,
  /** the acting employee is the one the token names; naming another one is refused */
  employeeId: uuid.nullable().default(null).meta({ description: 'optional: must be the employee linked to the token' }),
  /** a one-time approval code issued by an approving employee (POST /discounts/approvals) */
  approval: pgText().min(1).max(200).nullable().default(null),
  approvedBy: z.never({ error: 'no longer accepted: the approver issues a code (POST /discounts/approvals), sent here as approval' }).optional(),
  reason: pgText().max(2000).nullable().default(null),
  discount: discountSource,
};

export const lineApplicationBody = z.strictObject({ ...applicationFields, lineId, current: currentDetail });
export const cartApplicationBody = z.strictObject({ ...applicationFields, current: currentDetail });
export type LineApplicationBody = z.infer<typeof lineApplicationBody>;
export type CartApplicationBody = z.infer<typeof cartApplicationBody>;

/** An approval for one line (with lineId) or cart (without) application of `discount`, up to `maxAmount`. */
export const approvalBody = z.strictObject({
  ...entityFields,
  lineId: lineId.nullable().default(null),
  discount: discountSource,
  maxAmount: money.meta({ description: 'the most discount (money) approved' }),
  note: pgText().max(500).nullable().default(null),
  ttlSeconds: z.number().int().min(APPROVAL_TTL_S.min).max(APPROVAL_TTL_S.max).default(APPROVAL_TTL_S.default),
});
export type ApprovalBody = z.infer<typeof approvalBody>;
