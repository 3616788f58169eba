import { randomUUID } from 'node:crypto';
import { makeDeal } from '../../test/support/deals';
import { decideDeal, planBatch, type DealOutcome } from './handler';

const loc = randomUUID();

describe('decideDeal', () => {
  it('maps a canonical deal to its discounts row, keeping money as a decimal string', () => {
    const deal = makeDeal(loc, 7, { value: '0.125', startTime: '09:00:00', endTime: '17:00:00', version: 1_767_000_000_123 });
    const out = decideDeal(deal.id, deal);
    expect(out.kind).toBe('upsert');
    if (out.kind !== 'upsert') return;
    expect(out.row).toMatchObject({
      id: `${loc}_7`, location_id: loc, discount_id: '7', discount_amount: '0.125', discount_type: 'percent',
      start_time: '09:00:00', version: 1_767_000_000_123, removed: false, brands: { ids: [12, 13], isExclusion: false },
      products: null, time_zone: 'America/Phoenix',
    });
    expect(out.row.synced_at).toBe(1_767_000_000_123); // the source fetch time, epoch ms
    // the payload as written to Postgres: the canonical deal without its raw source text
    const written = JSON.parse(JSON.stringify(out.row.payload)) as Record<string, unknown>;
    expect(written).not.toHaveProperty('rawRecord');
    expect(written).toHaveProperty('timeZone', 'America/Phoenix');
    expect(deal.rawRecord).toEqual(expect.any(String)); // the decoded event itself is left as it was
  });

  it('rejects a deal with a NUL character in its text (Postgres cannot store it: it would fail its slice forever)', () => {
    const named = makeDeal(loc, 8, { name: 'half\u0000off' });
    expect(decideDeal(named.id, named)).toEqual({ kind: 'reject', reason: expect.stringMatching(/NUL character/) });
    const nested = makeDeal(loc, 8, { menuDisplay: { name: 'x\u0000', description: null, imageUrl: null, rank: null } });
    expect(decideDeal(nested.id, nested).kind).toBe('reject');
    // the raw source text is not stored, so a NUL there does not matter
    const raw = makeDeal(loc, 8, { rawRecord: '{"name":"\u0000"}' });
    expect(decideDeal(raw.id, raw).kind).toBe('upsert');
  });

  it('reads a tombstone as a removal of the keyed deal', () => {
    expect(decideDeal(`${loc}_9`, null, 42)).toEqual({ kind: 'remove', id: `${loc}_9`, locationId: loc, version: 42 });
  });

  it.each<[string, string | null, unknown]>([
    ['no key', null, makeDeal(loc, 1)],
    ['key differs from the id', `${loc}_2`, makeDeal(loc, 1)],
    ['unknown zone', `${loc}_1`, makeDeal(loc, 1, { timeZone: 'Mars/Base' })],
    ['float-looking value', `${loc}_1`, makeDeal(loc, 1, { value: '1e-3' })],
    ['bad local time', `${loc}_1`, makeDeal(loc, 1, { startTime: '9am' })],
    ['all days false', `${loc}_1`, makeDeal(loc, 1, { days: { monday: false, tuesday: false, wednesday: false, thursday: false, friday: false, saturday: false, sunday: false } })],
    ['non-numeric brand id', `${loc}_1`, makeDeal(loc, 1, { restrictions: { brand: { ids: ['abc'], isExclusion: true } } })],
    ['not a deal at all', `${loc}_1`, { hello: 'world' }],
  ])('rejects a deal with %s', (_label, key, value) => {
    expect(decideDeal(key, value).kind).toBe('reject');
  });
});

describe('planBatch', () => {
  it('keeps the last event per deal and touches each location once', () => {
    const other = randomUUID();
    const outcomes: DealOutcome[] = [
      decideDeal(`${loc}_1`, makeDeal(loc, 1, { value: '0.1' })),
      decideDeal(`${loc}_2`, makeDeal(loc, 2)),
      decideDeal(`${loc}_1`, makeDeal(loc, 1, { value: '0.2' })),
      decideDeal(`${loc}_2`, null, Date.now()),
      decideDeal(`${other}_3`, makeDeal(other, 3)),
      { kind: 'reject', reason: 'x' },
    ];
    const plan = planBatch(outcomes);
    expect(plan.upserts.map((r) => [r.id, r.discount_amount])).toEqual([[`${loc}_1`, '0.2'], [`${other}_3`, '0.25']]);
    expect(plan.removals.map((r) => r.id)).toEqual([`${loc}_2`]);
    expect(plan.locations).toEqual([loc, other].sort());
    expect(plan.rejected).toBe(1);
  });

  it('keeps the newer version when an older one comes later in the batch', () => {
    const plan = planBatch([decideDeal(`${loc}_1`, makeDeal(loc, 1, { value: '0.5', version: 20 })), decideDeal(`${loc}_1`, makeDeal(loc, 1, { value: '0.1', version: 10 }))]);
    expect(plan.upserts.map((r) => r.discount_amount)).toEqual(['0.5']);
  });

  it('lets a re-add after a removal win, an equal version included', () => {
    const plan = planBatch([decideDeal(`${loc}_1`, null, 10), decideDeal(`${loc}_1`, makeDeal(loc, 1, { version: 10 }))]);
    expect(plan.removals).toEqual([]);
    expect(plan.upserts).toHaveLength(1);
  });

  it('ignores a removal older than the upsert before it (a replayed old tombstone), and an upsert older than a removal', () => {
    const kept = planBatch([decideDeal(`${loc}_1`, makeDeal(loc, 1, { version: 30 })), decideDeal(`${loc}_1`, null, 20)]);
    expect(kept.upserts.map((r) => r.version)).toEqual([30]);
    expect(kept.removals).toEqual([]);
    const gone = planBatch([decideDeal(`${loc}_1`, null, 20), decideDeal(`${loc}_1`, makeDeal(loc, 1, { version: 10 }))]);
    expect(gone.removals).toEqual([{ id: `${loc}_1`, version: 20 }]);
    expect(gone.upserts).toEqual([]);
  });
});

describe('the numeric(20,6) range check', () => {
  it.each<[string, boolean]>([
    ['99999999999999.999999', true], ['-99999999999999', true], ['00000099999999999999.5', true], ['0.000001', true], ['0', true],
    ['100000000000000', false], ['-100000000000000.0', false], ['000100000000000000', false],
  ])('%s fits: %s', (value, fits) => {
    expect(decideDeal(`${loc}_1`, makeDeal(loc, 1, { value })).kind).toBe(fits ? 'upsert' : 'reject');
  });
});
