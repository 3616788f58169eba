import type { ApprovalView } from './approval';
import {
  decideDiscount, decideLoyalty, inWindow, type ApplyDiscountRequest, type DiscountContext, type DiscountDecision, type DiscountLayer,
  type EmployeeView, type PromotionView, type RuleView,
} from './handler';

const BIZ = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const NOW = new Date('2026-11-21T12:00:00Z');

const employee = (over: Partial<EmployeeView> = {}): EmployeeView => ({
  id: 'e-cashier', businessId: BIZ, subject: 'sub-cashier', role: 'cashier', canApproveDiscounts: false, canOverridePrices: false, isActive: true, ...over,
});
const manager = (over: Partial<EmployeeView> = {}): EmployeeView =>
  employee({ id: 'e-mgr', subject: 'sub-mgr', role: 'manager', canApproveDiscounts: true, ...over });
const rule = (over: Partial<RuleView> = {}): RuleView => ({
  id: 'r-1', businessId: BIZ, name: '10% off', scope: 'line', type: 'manual', method: 'percent', value: '10', maxValue: null,
  requiresReason: false, requiresApproval: false, minRoleLevel: null, isActive: true, validFrom: null, validTo: null, ...over,
});
const promotion = (over: Partial<PromotionView> = {}): PromotionView => ({
  id: 'p-1', businessId: BIZ, name: 'Green Friday', method: 'amount', value: '5', maxValue: null, isActive: true, validFrom: null, validTo: null, ...over,
});

const request = (over: Partial<ApplyDiscountRequest> = {}): ApplyDiscountRequest => ({
  businessId: BIZ, entityType: 'sale', entityId: 'sale-1', scope: 'line', lineId: 'line-1', baseAmount: '100.00', current: [],
  actor: { kind: 'subject', subject: 'sub-cashier', employeeId: null }, approval: null, reason: null, discount: { kind: 'rule', ruleId: 'r-1' }, ...over,
});
const context = (over: Partial<DiscountContext> = {}): DiscountContext => ({
  employee: employee(), approval: null, approver: null, rule: rule(), promotion: null, now: NOW,
  applicationId: 'app-1', applicationEventId: 'ev-1', promotionEventId: 'ev-2', ...over,
});

function applied(d: DiscountDecision) {
  if (d.kind !== 'apply') throw new Error(`expected apply, got ${d.error.code}: ${d.error.message}`);
  return d;
}
const code = (d: DiscountDecision): string | null => (d.kind === 'reject' ? d.error.code : null);

const layer = (over: Partial<DiscountLayer>): DiscountLayer => ({
  layer: 'price_list', applicationId: null, type: null, method: 'amount', value: '0', amount: '0', ruleId: null, promotionId: null,
  label: null, reason: null, appliedBy: null, approvedBy: null, appliedAt: null, ...over,
});

describe('step 1: the acting employee, proven, and permissions', () => {
  it('the acting employee is the one linked to the token subject, and is what the audit row records', () => {
    const d = applied(decideDiscount(request(), context()));
    expect(d.application).toMatchObject({ createdBy: 'e-cashier', approvedBy: null, approvalId: null });
    expect(d.layer.appliedBy).toBe('e-cashier');
  });
  it("a token whose subject is not linked to an employee of the business is 403", () => {
    expect(code(decideDiscount(request(), context({ employee: null })))).toBe('CALLER_NOT_EMPLOYEE');
    expect(code(decideDiscount(request(), context({ employee: employee({ businessId: OTHER }) })))).toBe('CALLER_NOT_EMPLOYEE');
    expect(code(decideDiscount(request(), context({ employee: employee({ subject: 'someone-else' }) })))).toBe('CALLER_NOT_EMPLOYEE');
  });
  it('an employeeId in the request that is not the token\'s employee is 403; the same one is fine', () => {
    const claimed = (employeeId: string) => request({ actor: { kind: 'subject', subject: 'sub-cashier', employeeId } });
    expect(code(decideDiscount(claimed('e-owner'), context()))).toBe('EMPLOYEE_NOT_CALLER');
    expect(code(decideDiscount(claimed('e-cashier'), context()))).toBeNull();
  });
  it('an in-process caller names its employee: unknown or of another business is not found', () => {
    const inProcess = request({ actor: { kind: 'employee', employeeId: 'e-cashier' } });
    expect(code(decideDiscount(inProcess, context({ employee: null })))).toBe('EMPLOYEE_NOT_FOUND');
    expect(code(decideDiscount(inProcess, context({ employee: employee({ businessId: OTHER }) })))).toBe('EMPLOYEE_NOT_FOUND');
    expect(code(decideDiscount(inProcess, context()))).toBeNull();
  });
  it('rejects an inactive employee', () => {
    expect(code(decideDiscount(request(), context({ employee: employee({ isActive: false }) })))).toBe('EMPLOYEE_INACTIVE');
  });
  it('an override needs canOverridePrices (manual override and override rules)', () => {
    const manual = request({ discount: { kind: 'manual', type: 'override', method: 'amount', value: '20' } });
    expect(code(decideDiscount(manual, context()))).toBe('OVERRIDE_NOT_PERMITTED');
    const d = applied(decideDiscount(manual, context({ employee: employee({ canOverridePrices: true }) })));
    expect(d.layer.layer).toBe('override');
    expect(code(decideDiscount(request(), context({ rule: rule({ type: 'override' }) })))).toBe('OVERRIDE_NOT_PERMITTED');
  });
  it('enforces minRoleLevel cashier < manager < owner', () => {
    const managerRule = context({ rule: rule({ minRoleLevel: 'manager' }) });
    expect(code(decideDiscount(request(), managerRule))).toBe('ROLE_TOO_LOW');
    expect(code(decideDiscount(request(), { ...managerRule, employee: employee({ role: 'manager' }) }))).toBeNull();
    expect(code(decideDiscount(request(), { ...managerRule, employee: employee({ role: 'owner' }) }))).toBeNull();
    const ownerRule = context({ rule: rule({ minRoleLevel: 'owner' }), employee: employee({ role: 'manager' }) });
    expect(code(decideDiscount(request(), ownerRule))).toBe('ROLE_TOO_LOW');
  });
});

describe('step 2-3: rule or promotion, active and in its window', () => {
  it('an unknown rule or one of another business is not found', () => {
    expect(code(decideDiscount(request(), context({ rule: null })))).toBe('RULE_NOT_FOUND');
    expect(code(decideDiscount(request(), context({ rule: rule({ businessId: OTHER }) })))).toBe('RULE_NOT_FOUND');
  });
  it('an inactive rule is refused', () => {
    expect(code(decideDiscount(request(), context({ rule: rule({ isActive: false }) })))).toBe('RULE_INACTIVE');
  });
  it('the validity window is [validFrom, validTo)', () => {
    const at = (validFrom: string | null, validTo: string | null) =>
      code(decideDiscount(request(), context({ rule: rule({ validFrom: validFrom ? new Date(validFrom) : null, validTo: validTo ? new Date(validTo) : null }) })));
    expect(at('2026-11-22T00:00:00Z', null)).toBe('RULE_NOT_IN_WINDOW');
    expect(at(null, '2026-11-21T12:00:00Z')).toBe('RULE_NOT_IN_WINDOW');
    expect(at('2026-11-21T12:00:00Z', '2026-11-21T12:00:01Z')).toBeNull();
    expect(inWindow(NOW, null, null)).toBe(true);
  });
  it('a cart rule cannot be applied to a line', () => {
    expect(code(decideDiscount(request(), context({ rule: rule({ scope: 'cart' }) })))).toBe('RULE_SCOPE_MISMATCH');
  });
  it('validates the promotion and emits PROMOTION_DISCOUNT_APPLIED', () => {
    const req = request({ discount: { kind: 'promotion', promotionId: 'p-1' } });
    expect(code(decideDiscount(req, context({ promotion: null })))).toBe('PROMOTION_NOT_FOUND');
    expect(code(decideDiscount(req, context({ promotion: promotion({ businessId: OTHER }) })))).toBe('PROMOTION_NOT_FOUND');
    expect(code(decideDiscount(req, context({ promotion: promotion({ isActive: false }) })))).toBe('PROMOTION_INACTIVE');
    expect(code(decideDiscount(req, context({ promotion: promotion({ validTo: new Date('2026-01-01T00:00:00Z') }) })))).toBe('PROMOTION_NOT_IN_WINDOW');
    const d = applied(decideDiscount(req, context({ promotion: promotion() })));
    expect(d.application).toMatchObject({ type: 'promotion', promotionId: 'p-1', ruleId: null, amountApplied: '5' });
    expect(d.events.map((e) => e.topic)).toEqual(['discountApplications', 'promotionDiscountApplied']);
    expect(d.events[1]).toMatchObject({ id: 'ev-2', key: 'p-1', payload: { eventId: 'ev-2', promotionId: 'p-1', amountApplied: '5', applicationId: 'app-1' } });
  });
  it('a non-promotion discount emits only the application event, keyed by entity', () => {
    const d = applied(decideDiscount(request(), context()));
    expect(d.events).toHaveLength(1);
    expect(d.events[0]).toMatchObject({ topic: 'discountApplications', id: 'ev-1', key: 'sale:sale-1' });
  });
});

describe('approval gate with proof, and reason', () => {
  const approval = (over: Partial<ApprovalView> = {}): ApprovalView => ({
    id: 'apv-1', businessId: BIZ, approverId: 'e-mgr', entityType: 'sale', entityId: 'sale-1', scope: 'line', lineId: 'line-1',
    discount: { kind: 'rule', ruleId: 'r-1' }, maxAmount: '10', expiresAt: new Date(NOW.getTime() + 60_000), usedAt: null, ...over,
  });
  const approvalRule = context({ rule: rule({ requiresApproval: true }) });
  const approved = (over: Partial<DiscountContext> = {}) => ({ ...approvalRule, approval: approval(), approver: manager(), ...over });
  const withCode = request({ approval: 'apv_code' });

  it('an approval-required rule needs an approval code unless the acting employee has canApproveDiscounts', () => {
    expect(code(decideDiscount(request(), approvalRule))).toBe('APPROVAL_REQUIRED');
    expect(code(decideDiscount(request(), { ...approvalRule, employee: employee({ canApproveDiscounts: true }) }))).toBeNull();
  });
  it('a valid approval: both identities in the audit row and the layer', () => {
    const d = applied(decideDiscount(withCode, approved()));
    expect(d.application).toMatchObject({ createdBy: 'e-cashier', approvedBy: 'e-mgr', approvalId: 'apv-1' });
    expect(d.layer).toMatchObject({ appliedBy: 'e-cashier', approvedBy: 'e-mgr' });
    expect(d.events[0]!.payload).toMatchObject({ createdBy: 'e-cashier', approvedBy: 'e-mgr' });
  });
  it('self-approval is 403: the approver cannot be the acting employee', () => {
    const self = manager({ id: 'e-cashier', subject: 'sub-cashier' });
    expect(code(decideDiscount(withCode, approved({ employee: self, approver: self, approval: approval({ approverId: 'e-cashier' }) })))).toBe('SELF_APPROVAL');
  });
  it('an approver without canApproveDiscounts (or no longer active) is 403', () => {
    expect(code(decideDiscount(withCode, approved({ approver: manager({ canApproveDiscounts: false }) })))).toBe('APPROVER_NOT_PERMITTED');
    expect(code(decideDiscount(withCode, approved({ approver: manager({ isActive: false }) })))).toBe('APPROVER_NOT_PERMITTED');
    expect(code(decideDiscount(withCode, approved({ approver: null })))).toBe('APPROVER_NOT_PERMITTED');
  });
  it('an unknown, foreign, used or expired code is refused: used is 409 (a replay), the others 403', () => {
    expect(code(decideDiscount(withCode, approved({ approval: null })))).toBe('APPROVAL_INVALID');
    expect(code(decideDiscount(withCode, approved({ approval: approval({ businessId: OTHER }) })))).toBe('APPROVAL_INVALID');
    expect(code(decideDiscount(withCode, approved({ approval: approval({ usedAt: NOW }) })))).toBe('APPROVAL_USED');
    expect(code(decideDiscount(withCode, approved({ approval: approval({ expiresAt: NOW }) })))).toBe('APPROVAL_EXPIRED');
  });
  it('an approval is bound to its application: entity, line, discount, and at most its amount', () => {
    expect(code(decideDiscount(withCode, approved({ approval: approval({ entityId: 'sale-2' }) })))).toBe('APPROVAL_MISMATCH');
    expect(code(decideDiscount(withCode, approved({ approval: approval({ entityType: 'quote' }) })))).toBe('APPROVAL_MISMATCH');
    expect(code(decideDiscount(withCode, approved({ approval: approval({ lineId: 'line-2' }) })))).toBe('APPROVAL_MISMATCH');
    expect(code(decideDiscount(withCode, approved({ approval: approval({ scope: 'cart', lineId: null }) })))).toBe('APPROVAL_MISMATCH');
    expect(code(decideDiscount(withCode, approved({ approval: approval({ discount: { kind: 'rule', ruleId: 'r-2' } }) })))).toBe('APPROVAL_MISMATCH');
    // 10% of 100 = 10: an approval up to 9.99 does not cover it, one up to 10 does
    const over = decideDiscount(withCode, approved({ approval: approval({ maxAmount: '9.99' }) }));
    expect(over.kind === 'reject' && over.error.message).toBe('the discount (10) exceeds the approved amount (9.99)');
    expect(code(decideDiscount(withCode, approved({ approval: approval({ maxAmount: '10.000' }) })))).toBeNull();
  });
  it('a manual discount is matched by type, method and value, the value as a decimal', () => {
    const manual = request({ approval: 'apv_code', discount: { kind: 'manual', type: 'comp', method: 'amount', value: '5' } });
    const bound = (value: string) => approved({ approval: approval({ discount: { kind: 'manual', type: 'comp', method: 'amount', value } }) });
    expect(code(decideDiscount(manual, bound('5.00')))).toBeNull();
    expect(code(decideDiscount(manual, bound('6')))).toBe('APPROVAL_MISMATCH');
  });
  it('an approval does not stand in for canOverridePrices', () => {
    const override = request({ approval: 'apv_code', discount: { kind: 'manual', type: 'override', method: 'amount', value: '5' } });
    expect(code(decideDiscount(override, approved({ approval: approval({ discount: override.discount }) })))).toBe('OVERRIDE_NOT_PERMITTED');
  });
  it('requiresReason refuses a missing or blank reason', () => {
    const c = context({ rule: rule({ requiresReason: true }) });
    expect(code(decideDiscount(request(), c))).toBe('REASON_REQUIRED');
    expect(code(decideDiscount(request({ reason: '  ' }), c))).toBe('REASON_REQUIRED');
    expect(applied(decideDiscount(request({ reason: 'damaged box' }), c)).application.reason).toBe('damaged box');
  });
});

describe('step 4-5: amount, ceiling, negative-price guard', () => {
  it('a percent is taken of the base, rounded half-up to cents, in decimals', () => {
    const d = applied(decideDiscount(request({ baseAmount: '19.99' }), context({ rule: rule({ value: '15' }) })));
    expect(d.application.amountApplied).toBe('3'); // 2.9985 -> 3.00
    expect(d.detail).toMatchObject({ baseAmount: '19.99', totalDiscount: '3', finalAmount: '16.99' });
    const tiny = applied(decideDiscount(request({ baseAmount: '0.3' }), context({ rule: rule({ value: '33.333333' }) })));
    expect(tiny.application.amountApplied).toBe('0.1');
  });
  it('caps a percent at maxValue', () => {
    const d = applied(decideDiscount(request({ baseAmount: '1000' }), context({ rule: rule({ value: '10', maxValue: '50' }) })));
    expect(d.application.amountApplied).toBe('50');
    expect(d.detail.finalAmount).toBe('950');
  });
  it('refuses an amount that would make the price negative, counting the existing stack', () => {
    const c = context({ rule: rule({ method: 'amount', value: '30' }) });
    expect(code(decideDiscount(request({ baseAmount: '29.99' }), c))).toBe('NEGATIVE_PRICE');
    expect(applied(decideDiscount(request({ baseAmount: '30' }), c)).detail.finalAmount).toBe('0');
    const stacked = request({ baseAmount: '50', current: [layer({ layer: 'price_list', amount: '25' })] });
    expect(code(decideDiscount(stacked, c))).toBe('NEGATIVE_PRICE');
  });
  it('refuses a percent over 100 from a manual discount', () => {
    const req = request({ discount: { kind: 'manual', type: 'manual', method: 'percent', value: '101' } });
    expect(code(decideDiscount(req, context()))).toBe('INVALID_DISCOUNT');
  });
});

describe('step 8: the snapshot keeps the stacking order', () => {
  it('price_list -> price_rule -> discount_rule -> manual -> override, each computed on what precedes it', () => {
    const current = [
      layer({ layer: 'override', applicationId: 'a-ovr', type: 'override', amount: '1' }),
      layer({ layer: 'price_list', amount: '10' }),
      layer({ layer: 'price_rule', amount: '10' }),
    ];
    // 10% of what is left after price_list and price_rule (100 - 20 = 80): 8; the override is not counted as preceding.
    const d = applied(decideDiscount(request({ current }), context()));
    expect(d.detail.discounts.map((l) => l.layer)).toEqual(['price_list', 'price_rule', 'discount_rule', 'override']);
    expect(d.layer.amount).toBe('8');
    expect(d.detail).toMatchObject({ totalDiscount: '29', finalAmount: '71' });
    const manual = applied(decideDiscount(
      request({ current: d.detail.discounts, discount: { kind: 'manual', type: 'comp', method: 'amount', value: '2.5' } }),
      context({ applicationId: 'app-2' }),
    ));
    expect(manual.detail.discounts.map((l) => l.layer)).toEqual(['price_list', 'price_rule', 'discount_rule', 'manual', 'override']);
    expect(manual.detail.finalAmount).toBe('68.5');
  });
  it('is pure: the same input gives the same result and the input is not mutated', () => {
    const current = [layer({ layer: 'price_list', amount: '10' })];
    const req = request({ current });
    const a = decideDiscount(req, context());
    const b = decideDiscount(req, context());
    expect(a).toEqual(b);
    expect(current).toHaveLength(1);
  });
  it('a line discount needs a lineId and a cart discount has none', () => {
    expect(code(decideDiscount(request({ lineId: null }), context()))).toBe('BAD_REQUEST');
    expect(code(decideDiscount(request({ scope: 'cart' }), context({ rule: rule({ scope: 'cart' }) })))).toBe('BAD_REQUEST');
    const cart = applied(decideDiscount(request({ scope: 'cart', lineId: null }), context({ rule: rule({ scope: 'cart' }) })));
    expect(cart.application).toMatchObject({ scope: 'cart', lineId: null });
  });
});

describe('loyalty', () => {
  const base = { redemptionId: 'red-1', businessId: BIZ, entityType: 'sale', entityId: 's-1', lineId: null, amount: '4.50', points: 450, employeeId: null, reason: null };
  const ctx = { employee: null, now: NOW, applicationId: 'app-l', applicationEventId: 'ev-l' };
  it('records a cart loyalty application with the redemption id', () => {
    const d = decideLoyalty(base, ctx);
    expect(d.kind).toBe('apply');
    if (d.kind !== 'apply') return;
    expect(d.application).toMatchObject({ type: 'loyalty', method: 'amount', scope: 'cart', amountApplied: '4.5', redemptionId: 'red-1' });
    expect(d.events[0]).toMatchObject({ topic: 'discountApplications', payload: { redemptionId: 'red-1' } });
  });
  it('rejects a zero amount and an unknown employee', () => {
    expect(decideLoyalty({ ...base, amount: '0' }, ctx).kind).toBe('reject');
    expect(decideLoyalty({ ...base, employeeId: 'e-x' }, ctx).kind).toBe('reject');
  });
});
