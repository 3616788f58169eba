import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { sql } from 'kysely';
import request from 'supertest';
import { createMetricsRegistry } from '../../shared/ops';
import { makeTestKey, signClaims } from '../../test/support/auth';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { TEST_AUDIENCE, TEST_AUTH, TEST_ISSUER, TEST_KEY, givenEmployee, givenPromotion, givenRule, tokenAs, tokenFor } from '../../test/support/discounts';
import { createVerifier } from './auth';
import { createApp } from './http';
import { createDiscounts } from './service';

describe('discounts HTTP API on real Postgres', () => {
  let world: TestWorld;
  let app: Express;
  const A = randomUUID();
  const B = randomUUID();
  let token: string; // the cashier's, covers A and B
  let tokenA: string; // covers A only
  let managerToken: string; // may change the catalog of A
  let cashier: string; let manager: string; let owner: string; let employeeB: string;

  beforeAll(async () => {
    world = await createTestWorld('discounts-http');
    app = createApp({
      db: world.db, discounts: createDiscounts({ db: world.db }), verify: createVerifier(TEST_AUTH), logger: world.logger,
      metrics: createMetricsRegistry('discounts-test'), checks: { postgres: async () => { await sql`select 1`.execute(world.db); return true; } },
    });
    cashier = await givenEmployee(world.db, A, 'cashier');
    manager = await givenEmployee(world.db, A, 'manager', { approve: true, override: true });
    owner = await givenEmployee(world.db, A, 'owner', { approve: true, override: true });
    employeeB = await givenEmployee(world.db, B, 'owner', { approve: true, override: true });
    token = await tokenAs(cashier, [A, B]);
    tokenA = await tokenAs(cashier, [A]);
    managerToken = await tokenAs(manager, [A]);
  }, 60_000);
  afterAll(async () => { await world.close(); }, 60_000);

  const get = (path: string, t = token) => request(app).get(path).set('authorization', `Bearer ${t}`);
  const post = (path: string, body: unknown, t = token) => request(app).post(path).set('authorization', `Bearer ${t}`).send(body as object);
  const patch = (path: string, body: unknown, t = managerToken) => request(app).patch(path).set('authorization', `Bearer ${t}`).send(body as object);
  const del = (path: string, t = managerToken) => request(app).delete(path).set('authorization', `Bearer ${t}`);

  const line = (over: Record<string, unknown>) => ({ entityType: 'sale', entityId: randomUUID(), lineId: 'L1', baseAmount: '100.00', ...over });
  /** Applies a line discount with the token of employee `as` (default the cashier) covering A and B. */
  const applyLine = async ({ as, ...body }: Record<string, unknown>, business = A) =>
    post(`/discounts/applications/line?businessId=${business}`, line(body), as ? await tokenAs(as as string, [A, B]) : token);
  const countRows = async (table: 'discount_application' | 'discount_outbox') =>
    Number((await world.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

  describe('authentication', () => {
    it('401 without a token, with a bad signature, an expired token or a foreign issuer', async () => {
      const r1 = await request(app).get(`/discounts/rules?businessId=${A}`);
      expect(r1.status).toBe(401);
      expect(r1.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(r1.body.code).toBe('UNAUTHENTICATED');
      const unknownKey = await tokenAs(cashier, [A], { key: makeTestKey('ES256') });
      expect((await get(`/discounts/rules?businessId=${A}`, unknownKey)).status).toBe(401);
      const now = Math.floor(Date.now() / 1000);
      const claims = { sub: `sub-${cashier}`, businesses: [A], iss: TEST_ISSUER, aud: TEST_AUDIENCE };
      const r3 = await get(`/discounts/rules?businessId=${A}`, await signClaims(TEST_KEY, { ...claims, exp: now - 60 }));
      expect(r3.status).toBe(401);
      expect(r3.body.code).toBe('TOKEN_EXPIRED');
      const noExp = await get(`/discounts/rules?businessId=${A}`, await signClaims(TEST_KEY, claims));
      expect(noExp.status).toBe(401);
      expect(noExp.body.detail).toBe("the token's exp claim is missing");
      const foreign = await tokenAs(cashier, [A], { issuer: 'someone-else' });
      expect((await get(`/discounts/rules?businessId=${A}`, foreign)).status).toBe(401);
      expect((await get(`/discounts/rules?businessId=${A}`, 'not.a.jwt')).status).toBe(401);
      const noBusinesses = await signClaims(TEST_KEY, { ...claims, businesses: undefined, exp: now + 300 });
      expect((await get(`/discounts/rules?businessId=${A}`, noBusinesses)).status).toBe(401);
    });

    it('400 without businessId, 403 for a business the token does not cover', async () => {
      expect((await get('/discounts/rules')).status).toBe(400);
      const r = await get(`/discounts/rules?businessId=${B}`, tokenA);
      expect(r.status).toBe(403);
      expect(r.body.code).toBe('BUSINESS_NOT_PERMITTED');
    });

    it('ops and the contract are public: /health, /metrics, /openapi.json', async () => {
      expect((await request(app).get('/health')).body.status).toBe('ok');
      const doc = await request(app).get('/openapi.json');
      expect(doc.body.openapi).toBe('3.1.0');
      expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/discounts/rules', '/discounts/rules/{id}', '/discounts/applications/line', '/discounts/applications/cart', '/discounts/approvals']));
      expect((await request(app).get('/metrics')).text).toContain('discounts_http_request_duration_seconds');
    });
  });

  describe('rule catalog', () => {
    const body = { name: '10% Off Manual', description: 'Manual discount for staff', scope: 'line', appliesTo: 'all', type: 'manual', method: 'percent', value: 10, maxValue: 50, requiresReason: false, requiresApproval: false, minRoleLevel: 'cashier', isActive: true };

    it('creates the document example and reads it back with decimal strings', async () => {
      const r = await post(`/discounts/rules?businessId=${A}&createdBy=${manager}`, body, managerToken);
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ businessId: A, name: '10% Off Manual', value: '10', maxValue: '50', minRoleLevel: 'cashier', isActive: true, createdBy: manager, updatedBy: manager });
      const back = await get(`/discounts/rules/${r.body.id}?businessId=${A}`);
      expect(back.status).toBe(200);
      expect(back.body.value).toBe('10');
    });

    it('rejects bad rules with 400 and a reason, never a 500', async () => {
      const bad: unknown[] = [
        { ...body, value: 150 }, { ...body, method: 'amount' }, { ...body, scope: 'basket' }, { ...body, value: '1e3' }, { ...body, value: -5 },
        { ...body, extra: true }, { ...body, name: '' }, { ...body, validFrom: '2026-02-01T00:00:00Z', validTo: '2026-01-01T00:00:00Z' },
        { ...body, value: '123456789012345.1' }, [], { ...body, minRoleLevel: 'janitor' }, { ...body, name: 'a\u0000b' },
      ];
      for (const b of bad) {
        const r = await post(`/discounts/rules?businessId=${A}`, b, managerToken);
        expect({ b, status: r.status }).toEqual({ b, status: 400 });
        expect(typeof r.body.detail).toBe('string');
      }
      const malformed = await request(app).post(`/discounts/rules?businessId=${A}`).set('authorization', `Bearer ${managerToken}`)
        .set('content-type', 'application/json').send('{"name":');
      expect(malformed.status).toBe(400);
      const notJson = await request(app).post(`/discounts/rules?businessId=${A}`).set('authorization', `Bearer ${managerToken}`)
        .set('content-type', 'text/plain').send('name=x');
      expect([notJson.status, notJson.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      expect((await get(`/discounts/rules?businessId=${A}&limit=abc`)).status).toBe(400);
      expect((await get(`/discounts/rules?businessId=${A}&businessId=${B}`)).status).toBe(400);
      const huge = await post(`/discounts/rules?businessId=${A}`, { ...body, description: 'x'.repeat(300_000) }, managerToken);
      expect([huge.status, huge.body.code]).toEqual([413, 'BODY_TOO_LARGE']);
      expect((await post(`/discounts/applications/line?businessId=${A}`, null)).status).toBe(400);
      expect((await request(app).get('/nowhere')).status).toBe(404);
      expect((await get(`/discounts/rules?businessId=not-a-uuid`)).status).toBe(400);
    });

    it('lists with active/scope filters and pagination, only of the business', async () => {
      const biz = randomUUID();
      const t = await tokenFor([biz]);
      for (let i = 0; i < 5; i++) await givenRule(world.db, biz, { name: `r${i}`, scope: i % 2 ? 'cart' : 'line', is_active: i !== 4 });
      await givenRule(world.db, B, { name: 'other business' });
      const all = await get(`/discounts/rules?businessId=${biz}`, t);
      expect(all.body.total).toBe(5);
      const activeLine = await get(`/discounts/rules?businessId=${biz}&active=true&scope=line`, t);
      expect((activeLine.body.items as Array<{ name: string }>).map((r) => r.name).sort()).toEqual(['r0', 'r2']);
      const page = await get(`/discounts/rules?businessId=${biz}&limit=2&offset=4`, t);
      expect(page.body).toMatchObject({ total: 5, limit: 2, offset: 4 });
      expect(page.body.items).toHaveLength(1);
    });

    it('patches a rule and re-checks the merged rule', async () => {
      const id = await givenRule(world.db, A, { value: '10' });
      const r = await patch(`/discounts/rules/${id}?businessId=${A}`, { value: '12.5', requiresReason: true });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ value: '12.5', requiresReason: true });
      expect((await patch(`/discounts/rules/${id}?businessId=${A}`, { value: 120 })).status).toBe(400);
      expect((await patch(`/discounts/rules/${id}?businessId=${A}`, {})).status).toBe(400);
    });

    it('tenant isolation: a rule of another business is 404 for get, patch, delete and use', async () => {
      const foreign = await givenRule(world.db, B, { name: 'B only' });
      expect((await get(`/discounts/rules/${foreign}?businessId=${A}`)).status).toBe(404);
      expect((await patch(`/discounts/rules/${foreign}?businessId=${A}`, { name: 'hijack' })).status).toBe(404);
      expect((await del(`/discounts/rules/${foreign}?businessId=${A}`)).status).toBe(404);
      const use = await applyLine({ discount: { kind: 'rule', ruleId: foreign } });
      expect(use.status).toBe(404);
      expect(use.body.code).toBe('RULE_NOT_FOUND');
      expect((await get(`/discounts/rules/${foreign}?businessId=${B}`)).body.name).toBe('B only');
      expect((await get(`/discounts/rules/not-a-uuid?businessId=${A}`)).status).toBe(404);
      // an employee of B cannot act in A, even with a token covering A, and is not visible from A
      const r = await applyLine({ as: employeeB, discount: { kind: 'manual', type: 'manual', method: 'amount', value: '1' } });
      expect([r.status, r.body.code]).toEqual([403, 'CALLER_NOT_EMPLOYEE']);
      expect((await get(`/discounts/applications/by-employee?businessId=${A}&employeeId=${employeeB}`)).status).toBe(404);
    });

    it('deletes a rule without history; deactivates one with history (soft delete)', async () => {
      const unused = await givenRule(world.db, A);
      const d1 = await del(`/discounts/rules/${unused}?businessId=${A}`);
      expect(d1.body).toEqual({ id: unused, outcome: 'deleted' });
      expect((await get(`/discounts/rules/${unused}?businessId=${A}`)).status).toBe(404);

      const used = await givenRule(world.db, A);
      expect((await applyLine({ discount: { kind: 'rule', ruleId: used } })).status).toBe(201);
      const d2 = await del(`/discounts/rules/${used}?businessId=${A}`);
      expect(await world.db.selectFrom('discount_rule').select('updated_by').where('id', '=', used).executeTakeFirstOrThrow()).toEqual({ updated_by: manager });
      expect(d2.body).toEqual({ id: used, outcome: 'deactivated' });
      const after = await get(`/discounts/rules/${used}?businessId=${A}`);
      expect(after.body.isActive).toBe(false);
      const history = await world.db.selectFrom('discount_application').select('rule_id').where('rule_id', '=', used).execute();
      expect(history).toHaveLength(1);
      // and a deactivated rule can no longer be applied
      expect((await applyLine({ discount: { kind: 'rule', ruleId: used } })).body.code).toBe('RULE_INACTIVE');
    });
  });

  describe('line and cart application: the eight steps', () => {
    it('applies a rule: audit row and outbox event in the database, LineDiscountDetail returned', async () => {
      const ruleId = await givenRule(world.db, A, { value: '15', max_value: '10' });
      const entityId = randomUUID();
      const current = { discounts: [{ layer: 'price_list', method: 'amount', value: '20', amount: '20' }] };
      const r = await applyLine({ entityId, baseAmount: '120', current, discount: { kind: 'rule', ruleId } });
      expect(r.status).toBe(201);
      // 15% of (120 - 20) = 15, capped at 10
      expect(r.body.detail).toMatchObject({ lineId: 'L1', baseAmount: '120', totalDiscount: '30', finalAmount: '90' });
      expect((r.body.detail.discounts as Array<{ layer: string }>).map((l) => l.layer)).toEqual(['price_list', 'discount_rule']);
      const row = await world.db.selectFrom('discount_application').selectAll().where('id', '=', r.body.application.id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ business_id: A, entity_type: 'sale', entity_id: entityId, line_id: 'L1', scope: 'line', type: 'manual', method: 'percent', value: '15.000000', amount_applied: '10.000000', rule_id: ruleId, created_by: cashier });
      const events = await world.db.selectFrom('discount_outbox').selectAll().where('key', '=', `sale:${entityId}`).execute();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ topic: 'discountApplications', published_at: null, payload: { applicationId: row.id, amountApplied: '10' } });
    });

    it('maps every refusal to its status and code, and writes nothing for it', async () => {
      const before = [await countRows('discount_application'), await countRows('discount_outbox')];
      const rid = (over: Parameters<typeof givenRule>[2]) => givenRule(world.db, A, over);
      const cases: Array<[Record<string, unknown>, number, string]> = [
        [{ employeeId: randomUUID(), discount: { kind: 'manual', type: 'manual', method: 'amount', value: '1' } }, 403, 'EMPLOYEE_NOT_CALLER'],
        [{ as: randomUUID(), discount: { kind: 'manual', type: 'manual', method: 'amount', value: '1' } }, 403, 'CALLER_NOT_EMPLOYEE'],
        [{ discount: { kind: 'rule', ruleId: randomUUID() } }, 404, 'RULE_NOT_FOUND'],
        [{ discount: { kind: 'rule', ruleId: await rid({ is_active: false }) } }, 422, 'RULE_INACTIVE'],
        [{ discount: { kind: 'rule', ruleId: await rid({ valid_to: new Date(Date.now() - 60_000) }) } }, 422, 'RULE_NOT_IN_WINDOW'],
        [{ discount: { kind: 'rule', ruleId: await rid({ valid_from: new Date(Date.now() + 3_600_000) }) } }, 422, 'RULE_NOT_IN_WINDOW'],
        [{ discount: { kind: 'rule', ruleId: await rid({ scope: 'cart' }) } }, 422, 'RULE_SCOPE_MISMATCH'],
        [{ discount: { kind: 'rule', ruleId: await rid({ min_role_level: 'manager' }) } }, 403, 'ROLE_TOO_LOW'],
        [{ as: manager, discount: { kind: 'rule', ruleId: await rid({ min_role_level: 'owner' }) } }, 403, 'ROLE_TOO_LOW'],
        [{ discount: { kind: 'manual', type: 'override', method: 'amount', value: '5' } }, 403, 'OVERRIDE_NOT_PERMITTED'],
        [{ discount: { kind: 'rule', ruleId: await rid({ requires_approval: true }) } }, 403, 'APPROVAL_REQUIRED'],
        [{ discount: { kind: 'rule', ruleId: await rid({ requires_approval: true }) }, approvedBy: manager }, 400, 'BAD_REQUEST'],
        [{ discount: { kind: 'rule', ruleId: await rid({ requires_approval: true }) }, approval: 'apv_made_up' }, 403, 'APPROVAL_INVALID'],
        [{ discount: { kind: 'rule', ruleId: await rid({ requires_reason: true }) } }, 400, 'REASON_REQUIRED'],
        [{ baseAmount: '9.99', discount: { kind: 'rule', ruleId: await rid({ method: 'amount', value: '10' }) } }, 422, 'NEGATIVE_PRICE'],
        [{ discount: { kind: 'promotion', promotionId: randomUUID() } }, 404, 'PROMOTION_NOT_FOUND'],
        [{ discount: { kind: 'promotion', promotionId: await givenPromotion(world.db, A, { active: false }) } }, 422, 'PROMOTION_INACTIVE'],
        [{ discount: { kind: 'promotion', promotionId: await givenPromotion(world.db, A, { validTo: new Date(Date.now() - 1000) }) } }, 422, 'PROMOTION_NOT_IN_WINDOW'],
        [{ discount: { kind: 'promotion', promotionId: await givenPromotion(world.db, B) } }, 404, 'PROMOTION_NOT_FOUND'],
        [{ discount: { kind: 'manual', type: 'manual', method: 'percent', value: '100.5' } }, 400, 'INVALID_DISCOUNT'],
        [{ discount: { kind: 'manual', type: 'loyalty', method: 'amount', value: '1' } }, 400, 'BAD_REQUEST'],
        [{ lineId: undefined, discount: { kind: 'manual', type: 'manual', method: 'amount', value: '1' } }, 400, 'BAD_REQUEST'],
        [{ entityId: 'sale-7', discount: { kind: 'manual', type: 'manual', method: 'amount', value: '1' } }, 400, 'BAD_REQUEST'],
        [{ baseAmount: 1e300, discount: { kind: 'manual', type: 'manual', method: 'amount', value: '1' } }, 400, 'BAD_REQUEST'],
        [{ discount: { kind: 'rule' } }, 400, 'BAD_REQUEST'],
      ];
      for (const [body, status, errorCode] of cases) {
        const r = await applyLine(body);
        expect({ body, status: r.status, code: r.body.code }).toEqual({ body, status, code: errorCode });
      }
      expect([await countRows('discount_application'), await countRows('discount_outbox')]).toEqual(before);
    });

    it('passes each gate with the right employee: role, approval by the employee\'s own permission, override, reason', async () => {
      const managerRule = await givenRule(world.db, A, { min_role_level: 'manager' });
      expect((await applyLine({ as: manager, discount: { kind: 'rule', ruleId: managerRule } })).status).toBe(201);
      expect((await applyLine({ as: owner, discount: { kind: 'rule', ruleId: managerRule } })).status).toBe(201);
      const approval = await givenRule(world.db, A, { requires_approval: true });
      const own = await applyLine({ as: manager, discount: { kind: 'rule', ruleId: approval } });
      expect(own.status).toBe(201);
      expect(own.body.application).toMatchObject({ createdBy: manager, approvedBy: null });
      const override = await applyLine({ as: manager, discount: { kind: 'manual', type: 'override', method: 'amount', value: '25' } });
      expect(override.status).toBe(201);
      expect(override.body.detail.discounts[0]).toMatchObject({ layer: 'override', amount: '25' });
      const reasoned = await givenRule(world.db, A, { requires_reason: true });
      expect((await applyLine({ reason: 'expired soon', discount: { kind: 'rule', ruleId: reasoned } })).status).toBe(201);
    });

    it('changes made elsewhere (another instance, another module) apply at once: cached rows are version-guarded', async () => {
      const emp = await givenEmployee(world.db, A, 'manager');
      const ruleId = await givenRule(world.db, A, { value: '10', min_role_level: 'manager' });
      const apply = () => applyLine({ as: emp, discount: { kind: 'rule', ruleId } });
      expect((await apply()).body.application.amountApplied).toBe('10');
      expect((await apply()).status).toBe(201); // served from the cached context
      await world.db.updateTable('discount_rule').set({ value: '20' }).where('id', '=', ruleId).execute();
      expect((await apply()).body.application.amountApplied).toBe('20');
      await world.db.updateTable('employee').set({ role: 'cashier' }).where('id', '=', emp).execute();
      expect((await apply()).body.code).toBe('ROLE_TOO_LOW');
      await world.db.updateTable('employee').set({ role: 'owner' }).where('id', '=', emp).execute();
      expect((await apply()).status).toBe(201);
      await world.db.updateTable('discount_rule').set({ is_active: false }).where('id', '=', ruleId).execute();
      expect((await apply()).body.code).toBe('RULE_INACTIVE');
    });

    it('a promotion discount writes the PROMOTION_DISCOUNT_APPLIED event to the outbox with the application', async () => {
      const promotionId = await givenPromotion(world.db, A, { value: '20' });
      const r = await applyLine({ discount: { kind: 'promotion', promotionId } });
      expect(r.status).toBe(201);
      expect(r.body.application).toMatchObject({ type: 'promotion', promotionId, ruleId: null, amountApplied: '20' });
      const events = await world.db.selectFrom('discount_outbox').selectAll().where('key', '=', promotionId).execute();
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ topic: 'promotionDiscountApplied', payload: { promotionId, applicationId: r.body.application.id, amountApplied: '20' } });
    });

    it('applies a cart discount to the pre-computed cart total', async () => {
      const ruleId = await givenRule(world.db, A, { scope: 'cart', method: 'amount', value: '7.5' });
      const r = await post(`/discounts/applications/cart?businessId=${A}`, {
        entityType: 'order', entityId: randomUUID(), baseAmount: '45.25', employeeId: cashier, discount: { kind: 'rule', ruleId },
      });
      expect(r.status).toBe(201);
      expect(r.body.detail).toMatchObject({ baseAmount: '45.25', totalDiscount: '7.5', finalAmount: '37.75' });
      expect(r.body.application).toMatchObject({ scope: 'cart', lineId: null });
      const withLine = await post(`/discounts/applications/cart?businessId=${A}`, {
        entityType: 'order', entityId: randomUUID(), lineId: 'x', baseAmount: '1', employeeId: cashier, discount: { kind: 'rule', ruleId },
      });
      expect(withLine.status).toBe(400);
    });

    it('the audit row and its events commit together: a failing outbox insert leaves no application', async () => {
      // An event id that already exists in the outbox makes the second insert of the transaction fail.
      const existing = randomUUID();
      await world.db.insertInto('discount_outbox').values({ id: existing, topic: 'discountApplications', key: 'k', payload: '{}', published_at: new Date() }).execute();
      const ids = [randomUUID(), existing, randomUUID()];
      const discounts = createDiscounts({ db: world.db, newId: () => ids.shift() ?? randomUUID() });
      const appId = ids[0]!;
      await expect(discounts.buildLineDiscount({
        businessId: A, entityType: 'sale', entityId: randomUUID(), lineId: 'L', baseAmount: '10', current: null, actor: { kind: 'employee', employeeId: cashier },
        approval: null, reason: null, discount: { kind: 'manual', type: 'manual', method: 'amount', value: '1' },
      })).rejects.toThrow(/duplicate key/);
      expect(await world.db.selectFrom('discount_application').select('id').where('id', '=', appId).executeTakeFirst()).toBeUndefined();
    });
  });

  describe('audit queries', () => {
    it('by entity and by employee in [from, to), paginated and scoped to the business', async () => {
      const emp = await givenEmployee(world.db, A, 'manager', { approve: true, override: true });
      const entityId = randomUUID();
      for (let i = 0; i < 3; i++) {
        expect((await applyLine({ as: emp, entityId, lineId: `L${i}`, discount: { kind: 'manual', type: 'comp', method: 'amount', value: '1' } })).status).toBe(201);
      }
      const byEntity = await get(`/discounts/applications?businessId=${A}&entityType=sale&entityId=${entityId}&limit=2`);
      expect(byEntity.status).toBe(200);
      expect(byEntity.body.total).toBe(3);
      expect(byEntity.body.items).toHaveLength(2);
      expect(byEntity.body.items[0]).toMatchObject({ entityId, createdBy: emp, amountApplied: '1', type: 'comp' });
      // the same entity seen from business B shows nothing
      expect((await get(`/discounts/applications?businessId=${B}&entityType=sale&entityId=${entityId}`)).body.total).toBe(0);

      const byEmployee = await get(`/discounts/applications/by-employee?businessId=${A}&employeeId=${emp}&from=${new Date(Date.now() - 60_000).toISOString()}`);
      expect(byEmployee.body.total).toBe(3);
      const future = await get(`/discounts/applications/by-employee?businessId=${A}&employeeId=${emp}&from=${new Date(Date.now() + 60_000).toISOString()}`);
      expect(future.body.total).toBe(0);
      const past = await get(`/discounts/applications/by-employee?businessId=${A}&employeeId=${emp}&to=${new Date(Date.now() - 60_000).toISOString()}`);
      expect(past.body.total).toBe(0);
      expect((await get(`/discounts/applications/by-employee?businessId=${A}&employeeId=${randomUUID()}`)).status).toBe(404);
      expect((await get(`/discounts/applications/by-employee?businessId=${A}&employeeId=${emp}&from=yesterday`)).status).toBe(400);
    });
  });
});
