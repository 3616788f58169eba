/**
 * Who acts, proven. Over HTTP the acting employee is the employee record linked to the verified
 * token's subject in the business of the request; a body or query that names another employee is
 * refused, never believed. In-process modules (index.ts) authenticate their employee themselves
 * and name it. Pure: the employee row is loaded by the caller.
 */
import type { EmployeeRole } from '../../shared/db/schema';
import { fail, type DiscountError } from './errors';

export type Actor =
  /** a verified token's subject; `employeeId` is what the request claimed, if anything */
  | { kind: 'subject'; subject: string; employeeId: string | null }
  /** an in-process module's authenticated employee */
  | { kind: 'employee'; employeeId: string };

export interface EmployeeView {
  id: string; businessId: string; subject: string | null; role: EmployeeRole;
  canApproveDiscounts: boolean; canOverridePrices: boolean; isActive: boolean;
}

/** How to find the acting employee's row: by the subject, or by the id an in-process caller gave. */
export const actorLookup = (a: Actor): { employeeId: string | null; subject: string | null } =>
  (a.kind === 'subject' ? { employeeId: null, subject: a.subject } : { employeeId: a.employeeId, subject: null });

/** The acting employee, given the row found for `actor` (null when none). */
export function actingEmployee(actor: Actor, employee: EmployeeView | null, businessId: string): EmployeeView | DiscountError {
  switch (actor.kind) {
    case 'subject':
      if (!employee || employee.businessId !== businessId || employee.subject !== actor.subject) {
        return fail('CALLER_NOT_EMPLOYEE', "the token's subject is not linked to an employee of this business");
      }
      if (actor.employeeId !== null && actor.employeeId !== employee.id) {
        return fail('EMPLOYEE_NOT_CALLER', 'employeeId must be the employee the token names (or be left out)');
      }
      break;
    case 'employee':
      if (!employee || employee.businessId !== businessId || employee.id !== actor.employeeId) return fail('EMPLOYEE_NOT_FOUND', `employee ${actor.employeeId} not found`);
      break;
    default: {
      const _exhaustive: never = actor;
      return _exhaustive;
    }
  }
  if (!employee.isActive) return fail('EMPLOYEE_INACTIVE', 'the employee is not active');
  return employee;
}

/**
 * Who may change the rule catalog: an active employee with canApproveDiscounts. A rule without
 * requiresApproval is a standing approval, so writing one needs the right to approve.
 */
export function catalogEditor(actor: Actor, employee: EmployeeView | null, businessId: string): EmployeeView | DiscountError {
  const e = actingEmployee(actor, employee, businessId);
  if ('code' in e) return e;
  if (!e.canApproveDiscounts) return fail('CATALOG_NOT_PERMITTED', 'changing the rule catalog needs canApproveDiscounts');
  return e;
}
