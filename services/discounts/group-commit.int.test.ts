import { randomUUID } from 'node:crypto';
import { givenEmployee, givenRule } from '../../test/support/discounts';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { createDiscounts, type LineDiscountInput } from './service';

describe('group commit of applications on real Postgres', () => {
  let world: TestWorld;
  const business = randomUUID();
  let employee: string;
  let ruleId: string;

  beforeAll(async () => {
    world = await createTestWorld('discounts-group-commit');
    employee = await givenEmployee(world.db, business, 'manager');
    ruleId = await givenRule(world.db, business, { method: 'amount', value: '1' });
  }, 60_000);
  afterAll(async () => { await world.close(); }, 60_000);

  const input = (entityId: string = randomUUID()): LineDiscountInput => ({
    businessId: business, entityType: 'sale', entityId, lineId: 'L1', baseAmount: '10', current: null, actor: { kind: 'employee', employeeId: employee },
    approval: null, reason: null, discount: { kind: 'rule', ruleId },
  });
  const settle = <T>(p: Promise<T>) => p.then((v) => ({ ok: true as const, v }), (e: Error) => ({ ok: false as const, e }));

  it('concurrent applications share statements; each is answered with its own committed row and event', async () => {
    const sizes: number[] = [];
    const discounts = createDiscounts({ db: world.db, groupCommit: { concurrency: 1, onBatch: (n) => { sizes.push(n); } } });
    await discounts.buildLineDiscount(input()); // loads the context once; the burst below decides from the cache
    const results = await Promise.all(Array.from({ length: 30 }, () => discounts.buildLineDiscount(input())));
    expect(sizes.slice(1)).toEqual([1, 29]); // one went at once, the rest together
    const ids = results.map((r) => r.application.id);
    const rows = await world.db.selectFrom('discount_application').select('id').where('id', 'in', ids).execute();
    expect(rows).toHaveLength(30);
    const events = await world.db.selectFrom('discount_outbox').select(['payload']).where('key', 'in', results.map((r) => `sale:${r.application.entityId}`)).execute();
    expect(events.map((e) => (e.payload as { applicationId: string }).applicationId).sort()).toEqual([...ids].sort());
  });

  it('a request that fails inside a batch fails alone: the others of its batch commit', async () => {
    // The 6th request of the burst reuses an event id already in the outbox: its insert fails, which
    // rolls back its whole batch; the batch is then written request by request.
    const taken = randomUUID();
    await world.db.insertInto('discount_outbox').values({ id: taken, topic: 'discountApplications', key: 'k', payload: '{}', published_at: new Date() }).execute();
    let calls = 0;
    const sizes: number[] = [];
    const discounts = createDiscounts({
      db: world.db, groupCommit: { concurrency: 1, onBatch: (n) => { sizes.push(n); } },
      // three ids per decision (application, its event, a promotion event): call 3k+1 is request k's event id
      newId: () => (calls++ === 3 * 6 + 1 ? taken : randomUUID()),
    });
    await discounts.buildLineDiscount(input()); // request 0 (warms the cache)
    const entities = Array.from({ length: 9 }, () => randomUUID());
    const results = await Promise.all(entities.map((e) => settle(discounts.buildLineDiscount(input(e)))));
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, true, false, true, true, true]);
    const failed = results[5]!;
    expect(!failed.ok && failed.e.message).toMatch(/duplicate key/);
    expect(sizes.slice(1)).toEqual([1, 8, 1, 1, 1, 1, 1, 1, 1, 1]); // the failed batch of 8, then one by one
    const rows = await world.db.selectFrom('discount_application').select('entity_id').where('entity_id', 'in', entities).execute();
    expect(rows.map((r) => r.entity_id).sort()).toEqual(entities.filter((_, i) => i !== 5).sort());
  });

  it('one entity\'s applications commit and take their outbox seq in the order they were made, even when concurrent', async () => {
    const discounts = createDiscounts({ db: world.db, groupCommit: { concurrency: 4, maxBatch: 3 } });
    await discounts.buildLineDiscount(input());
    const entity = randomUUID();
    // the entity's applications interleaved with other entities', all in flight at once
    const calls = Array.from({ length: 24 }, (_, i) => discounts.buildLineDiscount(input(i % 2 === 0 ? entity : randomUUID())));
    const made = (await Promise.all(calls)).filter((r) => r.application.entityId === entity).map((r) => r.application.id);
    const events = await world.db.selectFrom('discount_outbox').select(['payload']).where('key', '=', `sale:${entity}`).orderBy('seq').execute();
    expect(events.map((e) => (e.payload as { applicationId: string }).applicationId)).toEqual(made);
  });
});
