import { decideIssue, hashApprovalCode, newApprovalCode, type IssueApprovalRequest } from './approval';
import { catalogEditor, type EmployeeView } from './identity';

const BIZ = '11111111-1111-4111-8111-111111111111';
const NOW = new Date('2026-11-21T12:00:00Z');
const manager = (over: Partial<EmployeeView> = {}): EmployeeView => ({
  id: 'e-mgr', businessId: BIZ, subject: 'sub-mgr', role: 'manager', canApproveDiscounts: true, canOverridePrices: false, isActive: true, ...over,
});
const issue = (over: Partial<IssueApprovalRequest> = {}): IssueApprovalRequest => ({
  businessId: BIZ, actor: { kind: 'subject', subject: 'sub-mgr', employeeId: null }, entityType: 'sale', entityId: 'sale-1', scope: 'line',
  lineId: 'line-1', discount: { kind: 'rule', ruleId: 'r-1' }, maxAmount: '12.50', note: null, ttlSeconds: 300, ...over,
});
const code = (d: ReturnType<typeof decideIssue>) => (d.kind === 'reject' ? d.error.code : null);

describe('issuing an approval', () => {
  it('the token\'s employee issues it, bound to one application and for a few minutes', () => {
    const d = decideIssue(issue(), { employee: manager(), now: NOW, id: 'apv-1' });
    expect(d).toEqual({
      kind: 'issue', note: null,
      approval: {
        id: 'apv-1', businessId: BIZ, approverId: 'e-mgr', entityType: 'sale', entityId: 'sale-1', scope: 'line', lineId: 'line-1',
        discount: { kind: 'rule', ruleId: 'r-1' }, maxAmount: '12.5', expiresAt: new Date(NOW.getTime() + 300_000), usedAt: null,
      },
    });
  });
  it('only an active employee with canApproveDiscounts may approve', () => {
    expect(code(decideIssue(issue(), { employee: manager({ canApproveDiscounts: false }), now: NOW, id: 'x' }))).toBe('APPROVER_NOT_PERMITTED');
    expect(code(decideIssue(issue(), { employee: manager({ isActive: false }), now: NOW, id: 'x' }))).toBe('EMPLOYEE_INACTIVE');
    expect(code(decideIssue(issue(), { employee: null, now: NOW, id: 'x' }))).toBe('CALLER_NOT_EMPLOYEE');
  });
  it('codes are random, prefixed, and stored as their SHA-256 only', () => {
    const a = newApprovalCode();
    expect(a).toMatch(/^apv_[A-Za-z0-9_-]{32}$/);
    expect(newApprovalCode()).not.toBe(a);
    expect(hashApprovalCode(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApprovalCode(a)).not.toContain(a.slice(4));
  });
});

describe('who may change the rule catalog', () => {
  const actor = { kind: 'subject' as const, subject: 'sub-mgr', employeeId: null };
  it('an active employee with canApproveDiscounts, proven by the token', () => {
    expect(catalogEditor(actor, manager(), BIZ)).toMatchObject({ id: 'e-mgr' });
    expect(catalogEditor(actor, manager({ canApproveDiscounts: false }), BIZ)).toMatchObject({ code: 'CATALOG_NOT_PERMITTED' });
    expect(catalogEditor({ ...actor, employeeId: 'e-owner' }, manager(), BIZ)).toMatchObject({ code: 'EMPLOYEE_NOT_CALLER' });
  });
});
