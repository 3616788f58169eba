/**
 * Issue 17, item 1, over HTTP on real Postgres: the acting employee is the one the token names,
 * approvals are proven by a one-time code the approver issued, and the audit row records both.
 */
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { createMetricsRegistry } from '../../shared/ops';
import { TEST_AUTH, givenEmployee, givenRule, tokenAs, tokenFor } from '../../test/support/discounts';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { createVerifier } from './auth';
import { createApp } from './http';
import { createDiscounts } from './service';

describe('who acts is proven (HTTP, real Postgres)', () => {
  let world: TestWorld;
  let app: Express;
  const biz = randomUUID();
  let cashier: string; let manager: string; let owner: string; let clerk: string;
  let approvalRule: string;

  beforeAll(async () => {
    world = await createTestWorld('discounts-identity');
    app = createApp({ db: world.db, discounts: createDiscounts({ db: world.db }), verify: createVerifier(TEST_AUTH), logger: world.logger, metrics: createMetricsRegistry('t'), checks: {} });
    cashier = await givenEmployee(world.db, biz, 'cashier');
    clerk = await givenEmployee(world.db, biz, 'manager'); // a manager without canApproveDiscounts
    manager = await givenEmployee(world.db, biz, 'manager', { approve: true });
    owner = await givenEmployee(world.db, biz, 'owner', { approve: true, override: true });
    approvalRule = await givenRule(world.db, biz, { name: 'Manager 25%', value: '25', requires_approval: true });
  }, 60_000);
  afterAll(async () => { await world.close(); }, 60_000);

  const as = async (employeeId: string) => ({ authorization: `Bearer ${await tokenAs(employeeId, [biz])}` });
  const applyLine = async (who: string, body: Record<string, unknown>) =>
    request(app).post(`/discounts/applications/line?businessId=${biz}`).set(await as(who)).send({ baseAmount: '40.00', lineId: 'L1', entityType: 'sale', ...body });
  const approve = async (who: string, body: Record<string, unknown>) =>
    request(app).post(`/discounts/approvals?businessId=${biz}`).set(await as(who)).send({ entityType: 'sale', lineId: 'L1', discount: { kind: 'rule', ruleId: approvalRule }, maxAmount: '10', ...body });
  const auditRow = (id: string) => world.db.selectFrom('discount_application').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  describe('the acting employee', () => {
    it('is the employee linked to the token subject: the audit row says so without the body naming anyone', async () => {
      const r = await applyLine(cashier, { entityId: randomUUID(), discount: { kind: 'manual', type: 'comp', method: 'amount', value: '1' } });
      expect(r.status).toBe(201);
      expect(await auditRow(r.body.application.id)).toMatchObject({ created_by: cashier, approved_by: null });
    });

    it('a body employeeId other than the token\'s employee is 403, and nothing is written', async () => {
      const entityId = randomUUID();
      const r = await applyLine(cashier, { entityId, employeeId: owner, discount: { kind: 'manual', type: 'override', method: 'amount', value: '30' } });
      expect([r.status, r.body.code]).toEqual([403, 'EMPLOYEE_NOT_CALLER']);
      expect(await world.db.selectFrom('discount_application').select('id').where('entity_id', '=', entityId).execute()).toEqual([]);
      // naming oneself is fine
      expect((await applyLine(cashier, { entityId, employeeId: cashier, discount: { kind: 'manual', type: 'comp', method: 'amount', value: '1' } })).status).toBe(201);
    });

    it('a token whose subject is no employee of the business is 403, even when it covers the business', async () => {
      const stranger = await tokenFor([biz]);
      const r = await request(app).post(`/discounts/applications/line?businessId=${biz}`).set('authorization', `Bearer ${stranger}`)
        .send({ entityType: 'sale', entityId: randomUUID(), lineId: 'L1', baseAmount: '10', employeeId: owner, discount: { kind: 'manual', type: 'comp', method: 'amount', value: '1' } });
      expect([r.status, r.body.code]).toEqual([403, 'CALLER_NOT_EMPLOYEE']);
    });

    it('the rule catalog is changed only by an employee with canApproveDiscounts, recorded as creator', async () => {
      const rule = { name: 'Staff 5%', scope: 'line', type: 'manual', method: 'percent', value: '5' };
      const byCashier = await request(app).post(`/discounts/rules?businessId=${biz}`).set(await as(cashier)).send(rule);
      expect([byCashier.status, byCashier.body.code]).toEqual([403, 'CATALOG_NOT_PERMITTED']);
      const forged = await request(app).post(`/discounts/rules?businessId=${biz}&createdBy=${owner}`).set(await as(manager)).send(rule);
      expect([forged.status, forged.body.code]).toEqual([403, 'EMPLOYEE_NOT_CALLER']);
      const ok = await request(app).post(`/discounts/rules?businessId=${biz}`).set(await as(manager)).send(rule);
      expect([ok.status, ok.body.createdBy]).toEqual([201, manager]);
    });
  });

  describe('approval with proof', () => {
    it('the approver issues a code for one application; the cashier applies with it; the audit row records both', async () => {
      const entityId = randomUUID();
      const issued = await approve(manager, { entityId, note: 'loyal customer' });
      expect(issued.status).toBe(201);
      expect(issued.body).toMatchObject({ approverId: manager, entityId, lineId: 'L1', maxAmount: '10' });
      expect(issued.body.code).toMatch(/^apv_/);
      // only the hash is stored
      const stored = await world.db.selectFrom('discount_approval').selectAll().where('id', '=', issued.body.id).executeTakeFirstOrThrow();
      expect(JSON.stringify(stored)).not.toContain(issued.body.code);

      const r = await applyLine(cashier, { entityId, approval: issued.body.code, discount: { kind: 'rule', ruleId: approvalRule } });
      expect(r.status).toBe(201);
      expect(r.body.application).toMatchObject({ createdBy: cashier, approvedBy: manager, approvalId: issued.body.id, amountApplied: '10' });
      expect(await auditRow(r.body.application.id)).toMatchObject({ created_by: cashier, approved_by: manager, approval_id: issued.body.id });
      const event = await world.db.selectFrom('discount_outbox').select('payload').where('key', '=', `sale:${entityId}`).executeTakeFirstOrThrow();
      expect(event.payload).toMatchObject({ createdBy: cashier, approvedBy: manager });
    });

    it('a replayed code is 409, and so are all but one of the same code used at once', async () => {
      const entityId = randomUUID();
      const { body: { code } } = await approve(manager, { entityId });
      const use = () => applyLine(cashier, { entityId, approval: code, discount: { kind: 'rule', ruleId: approvalRule } });
      const results = await Promise.all(Array.from({ length: 5 }, use));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
      const replay = await use();
      expect([replay.status, replay.body.code]).toEqual([409, 'APPROVAL_USED']);
      expect(await world.db.selectFrom('discount_application').select('id').where('entity_id', '=', entityId).execute()).toHaveLength(1);
    });

    it('self-approval is 403: a manager cannot use a code they issued', async () => {
      const entityId = randomUUID();
      const { body: { code } } = await approve(manager, { entityId });
      const r = await applyLine(manager, { entityId, approval: code, discount: { kind: 'rule', ruleId: approvalRule } });
      expect([r.status, r.body.code]).toEqual([403, 'SELF_APPROVAL']);
      // and the code is not used up by the refusal: the cashier can still use it
      expect((await applyLine(cashier, { entityId, approval: code, discount: { kind: 'rule', ruleId: approvalRule } })).status).toBe(201);
    });

    it('an employee without canApproveDiscounts cannot issue a code (403), nor can one whose permission was withdrawn before use', async () => {
      const refused = await approve(clerk, { entityId: randomUUID() });
      expect([refused.status, refused.body.code]).toEqual([403, 'APPROVER_NOT_PERMITTED']);
      const entityId = randomUUID();
      const approver = await givenEmployee(world.db, biz, 'manager', { approve: true });
      const { body: { code } } = await approve(approver, { entityId });
      await world.db.updateTable('employee').set({ can_approve_discounts: false }).where('id', '=', approver).execute();
      const r = await applyLine(cashier, { entityId, approval: code, discount: { kind: 'rule', ruleId: approvalRule } });
      expect([r.status, r.body.code]).toEqual([403, 'APPROVER_NOT_PERMITTED']);
    });

    it('a code is bound to its application: another entity, line, discount or a larger amount is 403', async () => {
      const entityId = randomUUID();
      const { body: { code } } = await approve(manager, { entityId, maxAmount: '9.99' });
      const tries: Array<[Record<string, unknown>, string]> = [
        [{ entityId: randomUUID() }, 'the approval was issued for another entity'],
        [{ entityId, lineId: 'L2' }, 'the approval was issued for another line'],
        [{ entityId, discount: { kind: 'manual', type: 'comp', method: 'percent', value: '25' } }, 'the approval was issued for another discount'],
        [{ entityId }, 'the discount (10) exceeds the approved amount (9.99)'],
      ];
      for (const [over, detail] of tries) {
        const r = await applyLine(cashier, { approval: code, discount: { kind: 'rule', ruleId: approvalRule }, ...over });
        expect({ over, status: r.status, code: r.body.code, detail: r.body.detail }).toEqual({ over, status: 403, code: 'APPROVAL_MISMATCH', detail });
      }
      // none of the refusals used it up
      expect((await applyLine(cashier, { entityId, baseAmount: '39.96', approval: code, discount: { kind: 'rule', ruleId: approvalRule } })).status).toBe(201);
    });

    it('an expired code is 403; a code of another business is not valid here', async () => {
      const entityId = randomUUID();
      const { body: { code, id } } = await approve(manager, { entityId });
      await world.db.updateTable('discount_approval').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', id).execute();
      const r = await applyLine(cashier, { entityId, approval: code, discount: { kind: 'rule', ruleId: approvalRule } });
      expect([r.status, r.body.code]).toEqual([403, 'APPROVAL_EXPIRED']);

      const other = randomUUID();
      const otherManager = await givenEmployee(world.db, other, 'manager', { approve: true });
      const foreign = await request(app).post(`/discounts/approvals?businessId=${other}`).set('authorization', `Bearer ${await tokenAs(otherManager, [other])}`)
        .send({ entityType: 'sale', entityId, lineId: 'L1', discount: { kind: 'rule', ruleId: approvalRule }, maxAmount: '10' });
      expect(foreign.status).toBe(201);
      const r2 = await applyLine(cashier, { entityId, approval: foreign.body.code, discount: { kind: 'rule', ruleId: approvalRule } });
      expect([r2.status, r2.body.code]).toEqual([403, 'APPROVAL_INVALID']);
    });
  });
});
