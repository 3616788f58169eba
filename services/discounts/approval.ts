/**
 * Approvals with proof. An approving employee, signed in with their own token, issues a one-time
 * code for ONE application: this business, this entity and line, this discount, at most this
 * amount, for a few minutes. The employee applying the discount presents the code; the service
 * checks it here (pure) and uses it up in the same transaction as the audit row, which records
 * both employees. Only the code's SHA-256 is stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import Decimal from 'decimal.js';
import type { DiscountScope } from '../../shared/db/schema';
import { fail, type DiscountError } from './errors';
import type { DiscountSource } from './handler';
import { actingEmployee, type Actor, type EmployeeView } from './identity';

/** Lifetime of a code, in seconds: long enough to walk to the till, short enough to be useless later. */
export const APPROVAL_TTL_S = { default: 300, min: 30, max: 900 } as const;

/** The approval a code stands for, as loaded for a request. */
export interface ApprovalView {
  id: string; businessId: string; approverId: string;
  entityType: string; entityId: string; scope: DiscountScope; lineId: string | null;
  discount: DiscountSource; maxAmount: string; expiresAt: Date; usedAt: Date | null;
}

/** `apv_` and 32 base64url characters (192 random bits): not guessable, easy to read out or paste. */
export function newApprovalCode(): string {
  return `apv_${randomBytes(24).toString('base64url')}`;
}

export const hashApprovalCode = (code: string): string => createHash('sha256').update(code).digest('hex');

export interface IssueApprovalRequest {
  businessId: string;
  actor: Actor;
  entityType: string; entityId: string; scope: DiscountScope; lineId: string | null;
  discount: DiscountSource;
  /** the most discount (money) the approval allows */
  maxAmount: string;
  note: string | null;
  ttlSeconds: number;
}

export type IssueDecision =
  | { kind: 'issue'; approval: ApprovalView; note: string | null }
  | { kind: 'reject'; error: DiscountError };

/** May the acting employee issue this approval? Only an active employee with canApproveDiscounts may. */
export function decideIssue(req: IssueApprovalRequest, ctx: { employee: EmployeeView | null; now: Date; id: string }): IssueDecision {
  const approver = actingEmployee(req.actor, ctx.employee, req.businessId);
  if ('code' in approver) return { kind: 'reject', error: approver };
  if (!approver.canApproveDiscounts) return { kind: 'reject', error: fail('APPROVER_NOT_PERMITTED', 'only an employee with canApproveDiscounts can approve discounts') };
  if ((req.scope === 'line') !== (req.lineId !== null)) return { kind: 'reject', error: fail('BAD_REQUEST', 'lineId: required for a line approval, absent for a cart approval') };
  return {
    kind: 'issue', note: req.note,
    approval: {
      id: ctx.id, businessId: req.businessId, approverId: approver.id, entityType: req.entityType, entityId: req.entityId, scope: req.scope,
      lineId: req.lineId, discount: req.discount, maxAmount: new Decimal(req.maxAmount).toFixed(),
      expiresAt: new Date(ctx.now.getTime() + req.ttlSeconds * 1000), usedAt: null,
    },
  };
}

function sameDiscount(a: DiscountSource, b: DiscountSource): boolean {
  switch (a.kind) {
    case 'rule': return b.kind === 'rule' && a.ruleId === b.ruleId;
    case 'promotion': return b.kind === 'promotion' && a.promotionId === b.promotionId;
    case 'manual': return b.kind === 'manual' && a.type === b.type && a.method === b.method && new Decimal(a.value).equals(b.value);
    default: {
      const _exhaustive: never = a;
      return _exhaustive;
    }
  }
}

/** What an application is, for comparing it with what was approved. */
export interface ApprovalUse { businessId: string; entityType: string; entityId: string; scope: DiscountScope; lineId: string | null; discount: DiscountSource }

/**
 * Checks a presented approval before the amount is known: it exists in this business, is unused and
 * unexpired, its approver still may approve and is not the acting employee, and it was issued for
 * this application. Used up is a 409 (a replay); everything else a 403.
 */
export function checkApproval(use: ApprovalUse, approval: ApprovalView | null, approver: EmployeeView | null, acting: EmployeeView, now: Date): DiscountError | null {
  if (!approval || approval.businessId !== use.businessId) return fail('APPROVAL_INVALID', 'the approval code is not valid in this business');
  if (approval.usedAt !== null) return fail('APPROVAL_USED', 'the approval code has already been used');
  if (approval.expiresAt.getTime() <= now.getTime()) return fail('APPROVAL_EXPIRED', 'the approval code has expired');
  if (!approver || approver.id !== approval.approverId || !approver.isActive || !approver.canApproveDiscounts) {
    return fail('APPROVER_NOT_PERMITTED', 'the employee who issued the approval may not approve discounts');
  }
  if (approver.id === acting.id) return fail('SELF_APPROVAL', 'an employee cannot approve their own discount');
  const other = (what: string) => fail('APPROVAL_MISMATCH', `the approval was issued for another ${what}`);
  if (approval.entityType !== use.entityType || approval.entityId !== use.entityId) return other('entity');
  if (approval.scope !== use.scope || approval.lineId !== use.lineId) return other('line');
  if (!sameDiscount(approval.discount, use.discount)) return other('discount');
  return null;
}

/** Checks the computed amount against the most the approval allows. */
export function checkApprovedAmount(approval: ApprovalView, amount: Decimal): DiscountError | null {
  return amount.greaterThan(approval.maxAmount)
    ? fail('APPROVAL_MISMATCH', `the discount (${amount.toFixed()}) exceeds the approved amount (${new Decimal(approval.maxAmount).toFixed()})`)
    : null;
}
