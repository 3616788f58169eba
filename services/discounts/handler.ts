/**
 * The discount engine, pure: given a request and what the service loaded for it (employee, rule or
 * promotion, approver, now, fresh ids), decide. Steps 1-5 and 8 of the document are computed
 * here; steps 6-7 (audit row, promotion event) come back as DATA (the application row and the
 * outbox events) for the apply step to write in one transaction. Re-running gives the same result.
 */
import Decimal from 'decimal.js';
import {
  EMPLOYEE_ROLES, type DiscountMethod, type DiscountScope, type DiscountType, type EmployeeRole,
} from '../../shared/db/schema';
import type { DiscountApplicationEvent, PromotionDiscountApplied } from '../../shared/events';
import { checkApproval, checkApprovedAmount, type ApprovalView } from './approval';
import { fail, type DiscountError } from './errors';
import { actingEmployee, type Actor, type EmployeeView } from './identity';

export type { EmployeeView } from './identity';

/** Stacking order of a discount stack; each layer may add discounts. */
export const STACK_LAYERS = ['price_list', 'price_rule', 'discount_rule', 'manual', 'override'] as const;
export type StackLayer = (typeof STACK_LAYERS)[number];

/** Percent-computed amounts are rounded half-up to cents; amounts given by value keep their scale (≤ 6). */
export const AMOUNT_DECIMALS = 2;

/** One entry of a discount stack (a JSONB snapshot on the parent entity). Money is decimal strings. */
export interface DiscountLayer {
  layer: StackLayer;
  /** the audit row; null for price_list / price_rule layers computed by pricing, not by this service */
  applicationId: string | null;
  type: DiscountType | null;
  method: DiscountMethod;
  value: string;
  amount: string;
  ruleId: string | null;
  promotionId: string | null;
  label: string | null;
  reason: string | null;
  appliedBy: string | null;
  approvedBy: string | null;
  appliedAt: string | null;
}

interface StackTotals { baseAmount: string; discounts: DiscountLayer[]; totalDiscount: string; finalAmount: string }
export interface LineDiscountDetail extends StackTotals { lineId: string }
export type CartDiscountDetail = StackTotals;

/** What is being applied: a catalog rule, a promotion, or an ad-hoc discount keyed in by the employee. */
export type DiscountSource =
  | { kind: 'rule'; ruleId: string }
  | { kind: 'promotion'; promotionId: string }
  | { kind: 'manual'; type: Exclude<DiscountType, 'promotion' | 'loyalty'>; method: DiscountMethod; value: string };

export interface ApplyDiscountRequest {
  businessId: string;
  entityType: string;
  entityId: string;
  scope: DiscountScope;
  /** required for line discounts, null for cart discounts */
  lineId: string | null;
  /** line total or cart total before any discount (the caller pre-computes it) */
  baseAmount: string;
  /** the stack already on the line / cart (empty when none) */
  current: DiscountLayer[];
  /** who applies the discount (identity.ts) */
  actor: Actor;
  /** a one-time approval code issued by an approving employee (approval.ts), or null */
  approval: string | null;
  reason: string | null;
  discount: DiscountSource;
}
export interface RuleView {
  id: string; businessId: string; name: string; scope: DiscountScope; type: DiscountType; method: DiscountMethod;
  value: string; maxValue: string | null; requiresReason: boolean; requiresApproval: boolean;
  minRoleLevel: EmployeeRole | null; isActive: boolean; validFrom: Date | null; validTo: Date | null;
}
export interface PromotionView {
  id: string; businessId: string; name: string; method: DiscountMethod; value: string; maxValue: string | null;
  isActive: boolean; validFrom: Date | null; validTo: Date | null;
}

/** Everything the engine needs besides the request; loaded by the service, null when not found. */
export interface DiscountContext {
  /** the row found for the actor */
  employee: EmployeeView | null;
  /** the approval the code stands for, and the employee who issued it */
  approval: ApprovalView | null;
  approver: EmployeeView | null;
  rule: RuleView | null;
  promotion: PromotionView | null;
  now: Date;
  applicationId: string;
  applicationEventId: string;
  promotionEventId: string;
}

/** The audit row to write (discount_application). */
export interface ApplicationRecord {
  id: string; businessId: string; entityType: string; entityId: string; lineId: string | null;
  scope: DiscountScope; type: DiscountType; method: DiscountMethod; value: string; amountApplied: string;
  ruleId: string | null; promotionId: string | null; reason: string | null;
  /** the approving employee, proven by the approval code they issued; null without one */
  approvedBy: string | null;
  /** the acting employee, proven by the token (or named by an in-process module); null for an online loyalty redemption */
  createdBy: string | null; redemptionId: string | null; createdAt: Date;
  approvalId: string | null;
}

export type OutboxEvent =
  | { topic: 'discountApplications'; id: string; key: string; payload: DiscountApplicationEvent }
  | { topic: 'promotionDiscountApplied'; id: string; key: string; payload: PromotionDiscountApplied };

export type DiscountDecision =
  | { kind: 'apply'; application: ApplicationRecord; events: OutboxEvent[]; layer: DiscountLayer; detail: StackTotals }
  | { kind: 'reject'; error: DiscountError };

const reject = (error: DiscountError): DiscountDecision => ({ kind: 'reject', error });
const isError = (x: object): x is DiscountError => 'code' in x;

export const roleLevel = (role: EmployeeRole): number => EMPLOYEE_ROLES.indexOf(role);
const rank = (layer: StackLayer): number => STACK_LAYERS.indexOf(layer);

/** Inside [validFrom, validTo); null bounds are open. */
export function inWindow(now: Date, from: Date | null, to: Date | null): boolean {
  return (from === null || now.getTime() >= from.getTime()) && (to === null || now.getTime() < to.getTime());
}

/** What the resolved discount is, whatever its source. */
interface Discount { layer: StackLayer; type: DiscountType; method: DiscountMethod; value: string; maxValue: string | null; ruleId: string | null; promotionId: string | null; label: string | null }
/** ... and who applies it, with whose approval. */
interface Resolved extends Discount { employee: EmployeeView; approval: ApprovalView | null }

/** Steps 1-3: employee and permissions, rule or promotion, activity and window, approval, reason. */
function resolve(req: ApplyDiscountRequest, ctx: DiscountContext): Resolved | DiscountError {
  // 1. the acting employee is proven, of this business, and active
  const employee = actingEmployee(req.actor, ctx.employee, req.businessId);
  if (isError(employee)) return employee;

  let resolved: Discount;
  let requiresApproval = false;
  let requiresReason = false;
  const src = req.discount;
  switch (src.kind) {
    case 'rule': {
      // 2. resolve the rule, 3. active and within its window
      const { rule } = ctx;
      if (!rule || rule.businessId !== req.businessId) return fail('RULE_NOT_FOUND', `rule ${src.ruleId} not found`);
      if (!rule.isActive) return fail('RULE_INACTIVE', 'the rule is not active');
      if (!inWindow(ctx.now, rule.validFrom, rule.validTo)) return fail('RULE_NOT_IN_WINDOW', 'the rule is outside its validity window');
      if (rule.scope !== req.scope) return fail('RULE_SCOPE_MISMATCH', `the rule is a ${rule.scope} rule`);
      if (rule.minRoleLevel && roleLevel(employee.role) < roleLevel(rule.minRoleLevel)) {
        return fail('ROLE_TOO_LOW', `the rule needs role ${rule.minRoleLevel} or above`);
      }
      requiresApproval = rule.requiresApproval;
      requiresReason = rule.requiresReason;
      resolved = {
        layer: rule.type === 'override' ? 'override' : 'discount_rule', type: rule.type, method: rule.method, value: rule.value,
        maxValue: rule.maxValue, ruleId: rule.id, promotionId: null, label: rule.name,
      };
      break;
    }
    case 'promotion': {
      // 2. validate the promotion, 3. active and within its window
      const { promotion } = ctx;
      if (!promotion || promotion.businessId !== req.businessId) return fail('PROMOTION_NOT_FOUND', `promotion ${src.promotionId} not found`);
      if (!promotion.isActive) return fail('PROMOTION_INACTIVE', 'the promotion is not active');
      if (!inWindow(ctx.now, promotion.validFrom, promotion.validTo)) return fail('PROMOTION_NOT_IN_WINDOW', 'the promotion is outside its validity window');
      resolved = {
        layer: 'discount_rule', type: 'promotion', method: promotion.method, value: promotion.value,
        maxValue: promotion.maxValue, ruleId: null, promotionId: promotion.id, label: promotion.name,
      };
      break;
    }
    case 'manual':
      resolved = {
        layer: src.type === 'override' ? 'override' : 'manual', type: src.type, method: src.method, value: src.value,
        maxValue: null, ruleId: null, promotionId: null, label: null,
      };
      break;
    default: {
      const _exhaustive: never = src;
      return _exhaustive;
    }
  }

  // A presented approval is checked whether or not the rule needs one: it is used up either way.
  if (req.approval !== null) {
    const problem = checkApproval(req, ctx.approval, ctx.approver, employee, ctx.now);
    if (problem) return problem;
  }
  const approval = req.approval === null ? null : ctx.approval;
  // Permission layering: an override needs canOverridePrices of the employee applying it ...
  if (resolved.type === 'override' && !employee.canOverridePrices) return fail('OVERRIDE_NOT_PERMITTED', 'a price override needs canOverridePrices');
  // ... and an approval-required rule an employee with canApproveDiscounts: the one applying it, or another who issued an approval.
  if (requiresApproval && !employee.canApproveDiscounts && approval === null) {
    return fail('APPROVAL_REQUIRED', 'the rule requires approval: an approval code from an employee with canApproveDiscounts (POST /discounts/approvals)');
  }
  if (requiresReason && (req.reason === null || req.reason.trim() === '')) return fail('REASON_REQUIRED', 'the rule requires a reason');
  return { ...resolved, employee, approval };
}

function validValue(method: DiscountMethod, value: Decimal): string | null {
  if (value.isNegative()) return 'the discount value must not be negative';
  if (method === 'percent' && value.greaterThan(100)) return 'a percent discount must be between 0 and 100';
  return null;
}

export function totals(baseAmount: string, discounts: DiscountLayer[]): StackTotals {
  const total = discounts.reduce((sum, d) => sum.plus(d.amount), new Decimal(0));
  return { baseAmount, discounts, totalDiscount: total.toFixed(), finalAmount: new Decimal(baseAmount).minus(total).toFixed() };
}

/**
 * Steps 4-5: the amount of the new layer, computed on what is left of the base after the layers
 * that precede it in the stacking order, capped by the ceiling; then the whole stack must not
 * take the price below zero.
 */
function compute(req: ApplyDiscountRequest, r: Resolved): { amount: Decimal; stack: DiscountLayer[] } | DiscountError {
  const value = new Decimal(r.value);
  const bad = validValue(r.method, value);
  if (bad) return fail('INVALID_DISCOUNT', bad);
  const base = new Decimal(req.baseAmount);
  const before = req.current.filter((d) => rank(d.layer) <= rank(r.layer));
  const remaining = before.reduce((left, d) => left.minus(d.amount), base);
  let amount: Decimal;
  switch (r.method) {
    case 'percent': {
      amount = Decimal.max(remaining, 0).times(value).dividedBy(100).toDecimalPlaces(AMOUNT_DECIMALS, Decimal.ROUND_HALF_UP);
      if (r.maxValue !== null) amount = Decimal.min(amount, r.maxValue);
      break;
    }
    case 'amount':
      amount = value;
      break;
    default: {
      const _exhaustive: never = r.method;
      return _exhaustive;
    }
  }
  const totalAfter = req.current.reduce((sum, d) => sum.plus(d.amount), amount);
  if (base.minus(totalAfter).isNegative()) {
    return fail('NEGATIVE_PRICE', `the discounts (${totalAfter.toFixed()}) would exceed the amount (${base.toFixed()})`);
  }
  const overApproved = r.approval && checkApprovedAmount(r.approval, amount);
  if (overApproved) return overApproved;
  return { amount, stack: before };
}

/** buildLineDiscount / buildCartDiscount, computed: steps 1-5 decided, 6-8 returned as data. */
export function decideDiscount(req: ApplyDiscountRequest, ctx: DiscountContext): DiscountDecision {
  if (req.scope === 'line' && req.lineId === null) return reject(fail('BAD_REQUEST', 'a line discount needs a lineId'));
  if (req.scope === 'cart' && req.lineId !== null) return reject(fail('BAD_REQUEST', 'a cart discount has no lineId'));
  const resolved = resolve(req, ctx);
  if (isError(resolved)) return reject(resolved);
  const computed = compute(req, resolved);
  if (isError(computed)) return reject(computed);

  const amount = computed.amount.toFixed();
  const value = new Decimal(resolved.value).toFixed();
  const createdAt = ctx.now;
  const employeeId = resolved.employee.id;
  const approvedBy = resolved.approval?.approverId ?? null;
  const application: ApplicationRecord = {
    id: ctx.applicationId, businessId: req.businessId, entityType: req.entityType, entityId: req.entityId, lineId: req.lineId,
    scope: req.scope, type: resolved.type, method: resolved.method, value, amountApplied: amount,
    ruleId: resolved.ruleId, promotionId: resolved.promotionId, reason: req.reason, approvedBy,
    createdBy: employeeId, redemptionId: null, createdAt, approvalId: resolved.approval?.id ?? null,
  };
  const layer: DiscountLayer = {
    layer: resolved.layer, applicationId: application.id, type: resolved.type, method: resolved.method, value, amount,
    ruleId: resolved.ruleId, promotionId: resolved.promotionId, label: resolved.label, reason: req.reason,
    appliedBy: employeeId, approvedBy, appliedAt: createdAt.toISOString(),
  };
  // The new layer goes after every layer of the same or an earlier rank: the stack stays in stacking order.
  const after = req.current.filter((d) => rank(d.layer) > rank(resolved.layer));
  const detail = totals(req.baseAmount, [...computed.stack, layer, ...after]);

  const events: OutboxEvent[] = [applicationEvent(application, ctx.applicationEventId)];
  if (resolved.promotionId !== null) {
    events.push({
      topic: 'promotionDiscountApplied', id: ctx.promotionEventId, key: resolved.promotionId,
      payload: {
        eventId: ctx.promotionEventId, promotionId: resolved.promotionId, businessId: req.businessId, applicationId: application.id,
        entityType: req.entityType, entityId: req.entityId, lineId: req.lineId, scope: req.scope, amountApplied: amount,
        employeeId, occurredAt: createdAt.getTime(),
      },
    });
  }
  return { kind: 'apply', application, events, layer, detail };
}

/** Every application is announced on discounts.applications.v1, keyed by its entity (per-entity order). */
export function applicationEvent(a: ApplicationRecord, eventId: string): OutboxEvent {
  return {
    topic: 'discountApplications', id: eventId, key: `${a.entityType}:${a.entityId}`,
    payload: {
      eventId, applicationId: a.id, businessId: a.businessId, entityType: a.entityType, entityId: a.entityId, lineId: a.lineId,
      scope: a.scope, type: a.type, method: a.method, value: a.value, amountApplied: a.amountApplied, ruleId: a.ruleId,
      promotionId: a.promotionId, reason: a.reason, createdBy: a.createdBy, approvedBy: a.approvedBy, redemptionId: a.redemptionId,
      createdAt: a.createdAt.getTime(),
    },
  };
}

export interface LoyaltyRequest {
  redemptionId: string; businessId: string; entityType: string; entityId: string; lineId: string | null;
  amount: string; points: number; employeeId: string | null; reason: string | null;
}
export interface LoyaltyContext { employee: EmployeeView | null; now: Date; applicationId: string; applicationEventId: string }
export type LoyaltyDecision =
  | { kind: 'apply'; application: ApplicationRecord; events: OutboxEvent[] }
  | { kind: 'reject'; error: DiscountError };

/** applyLoyaltyDiscount, computed: an audit record of a loyalty point redemption. */
export function decideLoyalty(req: LoyaltyRequest, ctx: LoyaltyContext): LoyaltyDecision {
  const amount = new Decimal(req.amount);
  if (amount.isNegative() || amount.isZero()) return { kind: 'reject', error: fail('INVALID_DISCOUNT', 'a loyalty redemption amount must be positive') };
  if (req.employeeId !== null && (!ctx.employee || ctx.employee.businessId !== req.businessId)) {
    return { kind: 'reject', error: fail('EMPLOYEE_NOT_FOUND', `employee ${req.employeeId} not found`) };
  }
  const application: ApplicationRecord = {
    id: ctx.applicationId, businessId: req.businessId, entityType: req.entityType, entityId: req.entityId, lineId: req.lineId,
    scope: req.lineId === null ? 'cart' : 'line', type: 'loyalty', method: 'amount', value: amount.toFixed(), amountApplied: amount.toFixed(),
    ruleId: null, promotionId: null, reason: req.reason ?? `loyalty redemption of ${req.points} points`, approvedBy: null,
    createdBy: req.employeeId, redemptionId: req.redemptionId, createdAt: ctx.now, approvalId: null,
  };
  return { kind: 'apply', application, events: [applicationEvent(application, ctx.applicationEventId)] };
}
