import { dealKey } from '../../shared/topics';
import { AZ_LOCATION, givenDeal } from '../../test/support/odoo-fixtures';
import { isStale, planTarget, selectTargets, toCalls, type Action, type SinkMessage, type Target } from './handler';
import { memoryAppliedStore } from './applied';
import { toOdooValues, type OdooRecord } from './mapping';

const NOW = Date.parse('2026-11-21T18:00:00Z');
const STORE = 7;
let offset = 0;
const msg = (key: string, deal = givenDeal()): SinkMessage => ({ key, deal, version: deal.version, origin: { topic: 't', partition: 0, offset: String(offset++) } });
const tombstone = (key: string, version = Date.now()): SinkMessage => ({ key, deal: null, version, origin: { topic: 't', partition: 0, offset: String(offset++) } });
const target = (m: SinkMessage): Target => {
  const [s] = selectTargets([m]);
  if (s?.kind !== 'target') throw new Error('not a target');
  return s.target;
};
const inOdoo = (id: number, deal = givenDeal(), over: Partial<OdooRecord> = {}): OdooRecord => {
  const v = toOdooValues(deal, STORE, NOW - 60_000);
  return { ...v, id, discount_amount: Number(v.discount_amount), discount_value: Number(v.discount_value), threshold_min: 0, threshold_max: 0, ...over };
};

describe('selectTargets', () => {
  it('keeps only the last message of a key and skips PTL deals by source or by id', () => {
    const k = dealKey(AZ_LOCATION, '1001');
    const ptlKey = dealKey(AZ_LOCATION, 'ptl_9');
    const out = selectTargets([msg(k), tombstone(k), msg(ptlKey, givenDeal({ discountId: 'ptl_9', source: 'ptl' })), tombstone(ptlKey),
      msg(dealKey(AZ_LOCATION, '5'), givenDeal({ discountId: '5', source: 'ptl' }))]);
    expect(out.map((s) => (s.kind === 'skip' ? s.reason : 'target'))).toEqual(['superseded', 'target', 'superseded', 'ptl', 'ptl']);
    const t = out[1];
    expect(t?.kind === 'target' && t.target).toMatchObject({ locationId: AZ_LOCATION, discountId: '1001', deal: null });
  });

  it('skips a key without a location part', () => {
    expect(selectTargets([msg('nounderscore')])[0]).toMatchObject({ kind: 'skip', reason: 'bad_key' });
  });
});

describe('planTarget', () => {
  const key = dealKey(AZ_LOCATION, '1001');

  it('creates a deal Odoo does not have', () => {
    const [a] = planTarget(target(msg(key)), STORE, [], NOW);
    expect(a).toMatchObject({ kind: 'create', values: { dutchie_discount_id: '1001', store_ids: [STORE], source: 'dutchie' } });
  });

  it('does nothing for an unchanged deal, even though synced_at differs', () => {
    expect(planTarget(target(msg(key)), STORE, [inOdoo(11)], NOW)).toEqual([{ kind: 'unchanged', target: expect.anything() }]);
  });

  it('writes only changed fields (plus synced_at) to the record of this store', () => {
    const other = inOdoo(12, givenDeal(), { store_ids: [99] });
    const actions = planTarget(target(msg(key, givenDeal({ value: '0.30' }))), STORE, [other, inOdoo(11)], NOW);
    expect(actions).toEqual([{ kind: 'write', why: 'changed', target: expect.anything(), ids: [11], values: { discount_amount: '30', discount_value: '30', synced_at: '2026-11-21 18:00:00' } }]);
  });

  it('deactivates a removed deal (never unlinks) and skips removing one Odoo never had', () => {
    expect(planTarget(target(tombstone(key)), STORE, [inOdoo(11)], NOW)).toEqual([{
      kind: 'write', why: 'removed', target: expect.anything(), ids: [11], values: { is_active: false, dutchie_is_deleted: true, synced_at: '2026-11-21 18:00:00' },
    }]);
    expect(planTarget(target(tombstone(key)), STORE, [inOdoo(11, givenDeal(), { is_active: false, dutchie_is_deleted: true })], NOW))
      .toEqual([{ kind: 'unchanged', target: expect.anything() }]);
    expect(planTarget(target(tombstone(key)), STORE, [], NOW)).toMatchObject([{ kind: 'skip', reason: 'removal_of_unknown_deal' }]);
  });

  it('revives a removed deal that comes back', () => {
    const [a] = planTarget(target(msg(key)), STORE, [inOdoo(11, givenDeal(), { is_active: false, dutchie_is_deleted: true })], NOW);
    expect(a).toMatchObject({ kind: 'write', values: { is_active: true, dutchie_is_deleted: false } });
  });

  it('keeps the oldest of duplicate records and deactivates the rest', () => {
    const actions = planTarget(target(msg(key)), STORE, [inOdoo(15), inOdoo(11)], NOW);
    expect(actions).toMatchObject([{ kind: 'write', why: 'duplicate', ids: [15] }, { kind: 'unchanged' }]);
  });

  it('rejects a deal Odoo must not get, and a deal of a store Odoo does not know', () => {
    expect(planTarget(target(msg(key, givenDeal({ value: '2' }))), STORE, [], NOW)).toMatchObject([{ kind: 'reject', error: expect.stringMatching(/outside 0-1/) }]);
    expect(planTarget(target(msg(key)), undefined, [], NOW)).toMatchObject([{ kind: 'reject', error: expect.stringMatching(/no Odoo store/) }]);
  });
});

describe('toCalls', () => {
  const creates = (n: number): Action[] => Array.from({ length: n }, (_, i) => planTarget(target(msg(dealKey(AZ_LOCATION, String(i + 1)), givenDeal({ discountId: String(i + 1) }))), STORE, [], NOW)[0]!);

  it('creates in chunks of at most the batch size', () => {
    const calls = toCalls(creates(120), 50);
    expect(calls.map((c) => (c.kind === 'create' ? c.actions.length : -1))).toEqual([50, 50, 20]);
  });

  it('groups writes with identical values into one call and keeps different values apart', () => {
    const removals = Array.from({ length: 60 }, (_, i) => planTarget(target(tombstone(dealKey(AZ_LOCATION, String(i)))), STORE, [inOdoo(100 + i, givenDeal({ discountId: String(i) }))], NOW)[0]!);
    const changed = planTarget(target(msg(dealKey(AZ_LOCATION, '1001'), givenDeal({ value: '0.3' }))), STORE, [inOdoo(11)], NOW)[0]!;
    const calls = toCalls([...removals, changed], 50);
    expect(calls.map((c) => (c.kind === 'write' ? c.ids.length : -1))).toEqual([50, 10, 1]);
    for (const c of calls) expect(c.kind === 'write' && c.ids.length).toBeLessThanOrEqual(50);
  });
});

describe('stale deals (replay of an uncompacted log)', () => {
  const v = (version: number) => givenDeal({ version });

  it('skips a change older than the applied one, a removal as much as a deal (shared/versioned.ts)', () => {
    expect(isStale(v(5).version, undefined)).toBe(false);
    expect(isStale(v(5).version, { version: 5, removed: false })).toBe(false); // same state again: planned, and found unchanged
    expect(isStale(v(4).version, { version: 5, removed: false })).toBe(true);
    expect(isStale(v(5).version, { version: 5, removed: true })).toBe(false); // an equal-version re-add after a removal
    expect(isStale(v(6).version, { version: 5, removed: true })).toBe(false); // the deal came back
    expect(isStale(4, { version: 5, removed: false })).toBe(true); // a replayed old removal never deactivates a newer deal
    expect(isStale(5, { version: 5, removed: true })).toBe(false); // removals are idempotent
  });

  it('remembers the newest version and removals', async () => {
    const applied = memoryAppliedStore();
    await applied.save([{ key: 'a', version: 5, removed: false }]);
    await applied.save([{ key: 'a', version: 3, removed: false }]);
    expect((await applied.load(['a'])).get('a')).toEqual({ version: 5, removed: false });
    await applied.save([{ key: 'a', version: 5, removed: true }]);
    expect((await applied.load(['a', 'b'])).get('a')).toEqual({ version: 5, removed: true });
    await applied.save([{ key: 'a', version: 4, removed: false }]);
    expect((await applied.load(['a'])).get('a')).toEqual({ version: 5, removed: true });
    await applied.save([{ key: 'a', version: 6, removed: false }]);
    expect((await applied.load(['a'])).get('a')).toEqual({ version: 6, removed: false });
  });
});
