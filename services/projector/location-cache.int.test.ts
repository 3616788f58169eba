import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { makeDeal } from '../../test/support/deals';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { buildLocationValue } from '../../shared/storefront';
import { decideDeal, planBatch, type DealOutcome } from './handler';
import { LocationCache } from './location-cache';
import { createShadow, switchTo } from './shadow';
import { applyToPostgres } from './store';

/** One change of a deal of a location, as the projector gets it. */
const change = (loc: string) => fc.record({
  deal: fc.integer({ min: 1, max: 4 }),
  version: fc.integer({ min: 1, max: 6 }),
  remove: fc.boolean(),
  // mostly values Postgres stores as they are (the memory keeps the location), sometimes not (it drops it)
  value: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(null, '0.25', '5', '5.0', '99999999999999.999999', '-3.5', '0.000001') },
    { weight: 1, arbitrary: fc.constantFrom('-0', '-0.000', '1.1234565', '12.3456789') }),
  start: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(null, '09:00', '09:00:00', '23:59:59') }, { weight: 1, arbitrary: fc.constantFrom('09:00:00.5', '09:00:00.1234567') }),
  active: fc.boolean(),
  validFrom: fc.constantFrom(null, 0, Date.parse('2026-01-01T07:00:00.123Z'), Date.parse('9999-12-31T23:59:59.999Z'), Date.parse('0900-01-01T00:00:00Z')),
}).map((c): DealOutcome => (c.remove
  ? decideDeal(`${loc}_${c.deal}`, null, c.version)
  : decideDeal(`${loc}_${c.deal}`, makeDeal(loc, c.deal, { value: c.value, startTime: c.start, isActive: c.active, validFrom: c.validFrom, version: c.version, name: `v${c.version}` }))));

describe('the projector memory of its locations (location-cache.ts)', () => {
  let world: TestWorld;
  beforeAll(async () => { world = await createTestWorld('loccache'); });
  afterAll(async () => { await world.close(); });

  it('builds exactly the value Postgres reads back, whatever the changes (versions, removals, disabled deals, values Postgres normalises)', async () => {
    let comparisons = 0;
    await fc.assert(fc.asyncProperty(fc.constant(null).map(() => randomUUID()).chain((loc) => fc.tuple(fc.constant(loc), fc.array(fc.array(change(loc), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }))),
      async ([loc, slices]) => {
        const cache = new LocationCache();
        let compared = 0;
        for (const outcomes of slices) {
          const plan = planBatch(outcomes);
          await cache.load(world.db, plan.locations);
          await applyToPostgres(world.db, plan);
          cache.apply(plan);
          const fromPostgres = await buildLocationValue(world.db, loc);
          // not in memory: a value Postgres normalises otherwise dropped it (it is then read back)
          const fromMemory = cache.value(loc);
          if (fromMemory) { expect(fromMemory).toEqual(fromPostgres); compared++; }
        }
        comparisons += compared;
      }), { numRuns: 80 });
    expect(comparisons).toBeGreaterThan(100); // the memory was really used, not always dropped
  });

  it('keeps the locations in memory for the values Postgres stores as they are', async () => {
    const loc = randomUUID();
    const cache = new LocationCache();
    const batches = [
      [makeDeal(loc, 1, { value: '0.25', startTime: '09:00', version: 5 }), makeDeal(loc, 2, { isActive: false, version: 5 }), makeDeal(loc, 3, { version: 5 })],
      [makeDeal(loc, 1, { value: '0.5', version: 4 }), makeDeal(loc, 2, { isActive: true, value: '7.500000', version: 6 })],
    ];
    for (const deals of batches) {
      const plan = planBatch(deals.map((d) => decideDeal(d.id, d)));
      await cache.load(world.db, plan.locations);
      await applyToPostgres(world.db, plan);
      cache.apply(plan);
    }
    const removal = planBatch([decideDeal(`${loc}_3`, null, 7)]);
    await applyToPostgres(world.db, removal);
    cache.apply(removal);
    expect(cache.has(loc)).toBe(true);
    const value = cache.value(loc)!;
    expect(value).toEqual(await buildLocationValue(world.db, loc));
    expect(value.count).toBe(2); // deal 1 (its older change ignored) and deal 2 (enabled again); 3 removed
    expect(value.value).toContain('"discount_amount":0.25,');
  });

  it('forgets everything once the discounts table was swapped by a rebuild', async () => {
    const loc = randomUUID();
    const cache = new LocationCache();
    await cache.checkTable(world.db);
    await cache.load(world.db, [loc]);
    await cache.checkTable(world.db);
    expect(cache.has(loc)).toBe(true); // same table: kept
    const shadow = await createShadow(world.db, world.databaseUrl, world.redisPrefix, ['discounts']);
    await switchTo(world.db, world.redis, world.redisPrefix, shadow);
    await cache.checkTable(world.db);
    expect(cache.has(loc)).toBe(false);
  });

  it('drops the least recently used locations beyond its budget, never the ones a batch is loading', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const plan = planBatch([a, b, c].flatMap((l) => Array.from({ length: 20 }, (_, i) => makeDeal(l, i + 1))).map((d) => decideDeal(d.id, d)));
    await applyToPostgres(world.db, plan);
    const cache = new LocationCache(30_000); // about 1.5 locations of 20 deals
    await cache.load(world.db, [a]);
    await cache.load(world.db, [b, c]);
    expect([cache.has(a), cache.has(b), cache.has(c)]).toEqual([false, true, true]);
    expect(cache.value(b)).toEqual(await buildLocationValue(world.db, b));
  });
});
