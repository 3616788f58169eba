/**
 * Issue 17, item 4: hostile input at every route of the discounts service (real Postgres behind
 * it), through the HTTP server it runs with (header limits included). Never a 5xx, always a reason.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { createHttpServer } from '../../shared/http-server';
import { createMetricsRegistry } from '../../shared/ops';
import { TEST_AUTH, givenEmployee, givenRule, tokenAs } from '../../test/support/discounts';
import { fuzzRawHttp, fuzzRoutes, fuzzTarget, type FuzzTarget, type RouteSpec } from '../../test/support/http-fuzz';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { createVerifier } from './auth';
import { createApp } from './http';
import { createDiscounts } from './service';

describe('discounts service under hostile input', () => {
  let world: TestWorld;
  let target: FuzzTarget;
  let routes: RouteSpec[];
  let authorization: fc.Arbitrary<string | undefined>;
  const biz = randomUUID();

  beforeAll(async () => {
    world = await createTestWorld('discounts-fuzz');
    const app = createApp({
      db: world.db, discounts: createDiscounts({ db: world.db }), verify: createVerifier(TEST_AUTH), logger: world.logger,
      metrics: createMetricsRegistry('fuzz'), checks: { postgres: async () => true },
    });
    target = await fuzzTarget(createHttpServer(app, { maxHeaderBytes: 16 * 1024 }));
    const cashier = await givenEmployee(world.db, biz, 'cashier');
    const manager = await givenEmployee(world.db, biz, 'manager', { approve: true, override: true });
    const ruleIds = [await givenRule(world.db, biz), await givenRule(world.db, biz, { requires_approval: true, requires_reason: true }), await givenRule(world.db, biz, { scope: 'cart' })];
    const staff = fc.constantFrom(`Bearer ${await tokenAs(cashier, [biz])}`, `Bearer ${await tokenAs(manager, [biz])}`);
    const strangers = fc.constantFrom(`Bearer ${await tokenAs(manager, [randomUUID()])}`, undefined);
    authorization = fc.oneof({ weight: 6, arbitrary: staff }, { weight: 1, arbitrary: strangers });

    const business = fc.oneof({ weight: 5, arbitrary: fc.constant(biz) }, { weight: 1, arbitrary: fc.uuid() });
    const employee = fc.constantFrom(cashier, manager, randomUUID());
    const ruleId = fc.oneof(fc.constantFrom(...ruleIds), fc.uuid());
    const money = fc.oneof(fc.constantFrom('0', '10', '0.5', '99999999999999.999999', '100.00'), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 1e8 }).map((c) => (c / 100).toFixed(2)), fc.double({ min: 0, max: 1e6, noNaN: true }));
    const date = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
    // mostly plain, sometimes what Postgres refuses (NUL) or chokes on (lone surrogates, binary)
    const text = fc.oneof({ weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 50 }) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
      { weight: 1, arbitrary: fc.constantFrom('a\u0000b', '\u0000', '\ud800', ' ', 'x'.repeat(300)) });
    const discount = fc.oneof(
      ruleId.map((id) => ({ kind: 'rule', ruleId: id })),
      fc.uuid().map((id) => ({ kind: 'promotion', promotionId: id })),
      fc.record({ kind: fc.constant('manual'), type: fc.constantFrom('manual', 'markdown', 'override', 'comp'), method: fc.constantFrom('percent', 'amount'), value: money }),
    );
    const layer = fc.record({ layer: fc.constantFrom('price_list', 'price_rule', 'discount_rule', 'manual', 'override'), method: fc.constantFrom('percent', 'amount'), value: money, amount: money });
    const application = {
      entityType: fc.constantFrom('sale', 'order', 'quote'), entityId: fc.uuid(), baseAmount: money, discount,
      employeeId: fc.option(employee, { freq: 2 }), approval: fc.oneof({ weight: 1, arbitrary: fc.constantFrom('apv_x', 'apv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA') }, { weight: 5, arbitrary: fc.constant(null) }), reason: fc.option(text),
      current: fc.option(fc.record({ discounts: fc.array(layer, { maxLength: 4 }) })),
    };
    const optional = { requiredKeys: ['entityType', 'entityId', 'baseAmount', 'discount'] as Array<keyof typeof application> };
    const rule = fc.record({
      name: text, scope: fc.constantFrom('line', 'cart'), type: fc.constantFrom('manual', 'markdown', 'override', 'comp', 'promotion', 'loyalty'),
      method: fc.constantFrom('percent', 'amount'), value: money, maxValue: fc.option(money), description: fc.option(text), appliesTo: text,
      requiresReason: fc.boolean(), requiresApproval: fc.boolean(), minRoleLevel: fc.option(fc.constantFrom('cashier', 'manager', 'owner')),
      isActive: fc.boolean(), validFrom: fc.option(date), validTo: fc.option(date),
    }, { requiredKeys: ['name', 'scope', 'type', 'method', 'value'] });
    const page = { limit: fc.nat(300).map(String), offset: fc.nat(2_000_000).map(String) };

    routes = [
      { method: 'GET', path: '/health' },
      { method: 'GET', path: '/metrics' },
      { method: 'GET', path: '/openapi.json' },
      { method: 'POST', path: '/discounts/rules', ok: [201], query: { businessId: business, createdBy: employee }, body: rule },
      { method: 'GET', path: '/discounts/rules', query: { businessId: business, active: fc.constantFrom('true', 'false'), scope: fc.constantFrom('line', 'cart'), ...page } },
      { method: 'GET', path: '/discounts/rules/:id', params: { id: ruleId }, query: { businessId: business } },
      { method: 'PATCH', path: '/discounts/rules/:id', params: { id: ruleId }, query: { businessId: business }, body: rule.map((r) => Object.fromEntries(Object.entries(r).slice(0, 3))) },
      { method: 'DELETE', path: '/discounts/rules/:id', params: { id: ruleId }, query: { businessId: business } },
      { method: 'GET', path: '/discounts/applications', query: { businessId: business, entityType: fc.constantFrom('sale', 'order'), entityId: fc.uuid(), ...page } },
      { method: 'GET', path: '/discounts/applications/by-employee', query: { businessId: business, employeeId: employee, from: date, to: date, ...page } },
      { method: 'POST', path: '/discounts/applications/line', ok: [201], query: { businessId: business }, body: fc.record({ ...application, lineId: text }, { requiredKeys: [...optional.requiredKeys, 'lineId'] }) },
      { method: 'POST', path: '/discounts/applications/cart', ok: [201], query: { businessId: business }, body: fc.record(application, optional) },
      {
        method: 'POST', path: '/discounts/approvals', ok: [201], query: { businessId: business },
        body: fc.record({ entityType: text, entityId: fc.uuid(), lineId: fc.option(text), discount, maxAmount: money, note: fc.option(text), ttlSeconds: fc.integer({ min: 0, max: 2000 }) }, { requiredKeys: ['entityType', 'entityId', 'discount', 'maxAmount'] }),
      },
      { method: 'GET', path: '/:anything' },
    ];
  }, 60_000);
  afterAll(async () => { await target.close(); await world.close(); }, 60_000);

  it('random and hostile requests at every route: a documented 2xx or a 4xx with a reason, never a 5xx; still healthy', async () => {
    await fuzzRoutes(target, routes, { runs: 500, authorization, alive: '/health', seed: process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED) });
  });

  it('malformed HTTP: a 4xx with a reason, never a crash', async () => {
    await fuzzRawHttp(target, { runs: 30 });
  });
});
