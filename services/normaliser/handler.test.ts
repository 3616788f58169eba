import fs from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { loadSchemas } from '../../shared/serde';
import type { Deal } from '../../shared/events';
import { handle, type Outcome } from './handler';
import { LOCATION, constraint, posRecord, ptlEvent, ptlRecord, rawEvent } from './test-records';

function emitted(o: Outcome): Deal {
  if (o.kind !== 'emit') throw new Error(`expected emit, got ${JSON.stringify(o)}`);
  return o.deal;
}
const pos = (overrides: Record<string, unknown> = {}, reward: Record<string, unknown> = {}) => emitted(handle(rawEvent(posRecord(overrides, reward))));
const rejectOf = (o: Outcome): string => {
  if (o.kind !== 'reject') throw new Error(`expected reject, got ${o.kind}`);
  return o.error;
};
const everyDay = { monday: true, tuesday: true, wednesday: true, thursday: true, friday: true, saturday: true, sunday: true };

describe('normaliser handler: events', () => {
  it('keys the deal {locationId}_{discountId} and carries event fields through', () => {
    const d = pos();
    expect(d.id).toBe(`${LOCATION}_1001`);
    expect(d).toMatchObject({ locationId: LOCATION, discountId: '1001', source: 'dutchie', sourceApi: 'pos', market: 'AZ', version: 1_760_000_000_000, contentHash: 'hash' });
    expect(JSON.parse(d.rawRecord)).toEqual(posRecord());
  });

  it('turns a remove into a tombstone under the deal key, versioned by the fetch that saw it gone', () => {
    expect(handle(rawEvent(null, { discountId: '55', fetchedAt: 1_760_000_000_777 })))
      .toEqual({ kind: 'tombstone', key: `${LOCATION}_55`, reason: 'removed at the source', version: 1_760_000_000_777 });
  });

  it('rejects what it cannot read instead of throwing', () => {
    expect(rejectOf(handle({ ...rawEvent(posRecord()), record: '{not json' }))).toMatch(/not valid JSON/);
    expect(rejectOf(handle({ hello: 'world' }))).toMatch(/invalid raw event/);
    expect(rejectOf(handle(rawEvent(posRecord(), { locationId: 'a_b' })))).toMatch(/locationId/);
    expect(rejectOf(handle(rawEvent(posRecord(), { source: 'ptl' })))).toMatch(/cannot come from api pos/);
    expect(rejectOf(handle(rawEvent(posRecord(), { discountId: '999' })))).toMatch(/not the event's discountId/);
    expect(rejectOf(handle(rawEvent(posRecord({ reward: undefined }))))).toMatch(/invalid record: reward/);
    expect(rejectOf(handle({ ...rawEvent(posRecord()), record: null }))).toMatch(/without a record/);
  });
});

describe('rule 1: isActive only means enabled', () => {
  it('keeps isActive as the source says and does not drop the deal', () => {
    expect(pos({ isActive: false }).isActive).toBe(false);
    expect(pos().isActive).toBe(true);
  });
});

describe('rules 2, 3, 5: instants', () => {
  it('keeps the exclusive end instant as sent, slop included, with no store-date arithmetic', () => {
    const d = pos({ validDateTo: '2025-11-01T07:10:00Z', validDateFrom: '2025-05-07T07:00:00Z' });
    expect(d.validUntil).toBe(Date.UTC(2025, 10, 1, 7, 10));
    expect(d.validFrom).toBe(Date.UTC(2025, 4, 7, 7, 0));
  });

  it('reads a 7-digit fraction and treats a zone-less Dutchie instant as UTC', () => {
    expect(pos({ validDateTo: '2025-11-01T07:15:00.1234567Z' }).validUntil).toBe(Date.UTC(2025, 10, 1, 7, 15, 0, 123));
    expect(pos({ validDateTo: '2025-11-01T07:15:00' }).validUntil).toBe(Date.UTC(2025, 10, 1, 7, 15));
  });

  it('withdraws a deal whose window is empty (tombstone: it can never be live)', () => {
    expect(handle(rawEvent(posRecord({ validDateFrom: '2025-06-01T07:00:00Z', validDateTo: '2025-06-01T07:00:00Z' }))))
      .toMatchObject({ kind: 'tombstone', reason: expect.stringMatching(/empty validity window/) });
    expect(handle(ptlEvent(ptlRecord({ valid_from: '2025-06-02', valid_until: '2025-05-31' }))).kind).toBe('tombstone');
  });

  it('reads year 4200 as no end', () => {
    expect(pos({ validDateTo: '4200-01-01T00:00:00Z' }).validUntil).toBeNull();
  });

  it('rejects an instant it cannot read', () => {
    expect(rejectOf(handle(rawEvent(posRecord({ validDateTo: 'next tuesday' }))))).toMatch(/validDateTo/);
    expect(rejectOf(handle(rawEvent(posRecord({ validDateTo: '2025-02-30T07:00:00Z' }))))).toMatch(/validDateTo/);
  });

  it('keeps the store time zone and local times, and rejects an unknown zone', () => {
    const d = pos({ startTime: '16:00:00', endTime: '18:30' });
    expect(d).toMatchObject({ timeZone: 'America/Phoenix', startTime: '16:00:00', endTime: '18:30:00' });
    expect(rejectOf(handle(rawEvent(posRecord(), { timeZone: 'Mars/Olympus' })))).toMatch(/time zone/);
  });

  it('turns PTL dates into local midnights of the store (exclusive end = the day after the last day)', () => {
    const az = emitted(handle(ptlEvent(ptlRecord())));
    expect(az.validFrom).toBe(Date.UTC(2025, 4, 7, 7)); // Phoenix is UTC-7 all year
    expect(az.validUntil).toBe(Date.UTC(2025, 5, 1, 7));
    const fl = emitted(handle(ptlEvent(ptlRecord({ market_id: [4, 'FL'] }), { market: 'FL', timeZone: 'America/New_York' })));
    expect(fl.validUntil).toBe(Date.UTC(2025, 5, 1, 4)); // EDT, UTC-4
    expect(emitted(handle(ptlEvent(ptlRecord({ valid_until: '4200-12-31' })))).validUntil).toBeNull();
    expect(emitted(handle(ptlEvent(ptlRecord({ valid_until: false })))).validUntil).toBeNull();
  });

  it('turns PTL float hours into local times (0/0 = all day)', () => {
    expect(emitted(handle(ptlEvent(ptlRecord({ start_time: 16.5, end_time: 20 }))))).toMatchObject({ startTime: '16:30:00', endTime: '20:00:00' });
    expect(emitted(handle(ptlEvent(ptlRecord())))).toMatchObject({ startTime: null, endTime: null });
  });
});

describe('rule 4: day flags', () => {
  it('Dutchie all-null or all-false means every day', () => {
    expect(pos().days).toEqual(everyDay);
    const allFalse = Object.fromEntries(Object.keys(everyDay).map((d) => [d, false]));
    expect(pos(allFalse).days).toEqual(everyDay);
  });

  it('Dutchie true flags select those days only (null and false are off)', () => {
    expect(pos({ tuesday: true, friday: true, saturday: false }).days)
      .toEqual({ monday: false, tuesday: true, wednesday: false, thursday: false, friday: true, saturday: false, sunday: false });
  });

  it('PTL flags are taken as they are', () => {
    expect(emitted(handle(ptlEvent(ptlRecord()))).days).toEqual({ ...everyDay, saturday: false, sunday: false });
  });

  it('PTL all-false is inactive: a tombstone, never "every day"', () => {
    const none = Object.fromEntries(Object.keys(everyDay).map((d) => [d, false]));
    expect(handle(ptlEvent(ptlRecord(none)))).toEqual({ kind: 'tombstone', key: `${LOCATION}_ptl_77`, reason: expect.stringMatching(/no weekday/), version: expect.any(Number) });
  });
});

describe('rule 6: calculation methods keyed on the numeric id', () => {
  it.each([[1, 'flat'], [2, 'percent'], [3, 'price_to_amount'], [5, 'amount_off_total'], [6, 'bundle'], [15, 'loyalty']])('id %i -> %s', (id, kind) => {
    const d = pos({}, { calculationMethodId: id, calculationMethod: 'WHATEVER', discountValue: 0.5 });
    expect(d.kind).toBe(kind);
    expect(d.calculationMethodId).toBe(id);
  });

  it('ignores the wire string (a swapped string does not change the kind)', () => {
    expect(pos({}, { calculationMethodId: 1, calculationMethod: 'PERCENT_OFF', discountValue: 5 })).toMatchObject({ kind: 'flat', value: '5' });
  });

  it('rejects an unknown or missing id', () => {
    expect(rejectOf(handle(rawEvent(posRecord({}, { calculationMethodId: 4 }))))).toMatch(/unknown calculation method id 4/);
    expect(rejectOf(handle(rawEvent(posRecord({}, { calculationMethodId: null }))))).toMatch(/missing/);
    expect(rejectOf(handle(ptlEvent(ptlRecord({ calculation_method_id: false }))))).toMatch(/missing/);
  });
});

describe('rule 7: percents as 0-1 fractions', () => {
  it('keeps a Dutchie fraction', () => {
    expect(pos({}, { discountValue: 0.25 }).value).toBe('0.25');
  });

  it('divides a PTL whole percent by 100; a PTL 1 is 1 %', () => {
    expect(emitted(handle(ptlEvent(ptlRecord({ discount_value: 25 })))).value).toBe('0.25');
    expect(emitted(handle(ptlEvent(ptlRecord({ discount_value: 1 })))).value).toBe('0.01');
    expect(emitted(handle(ptlEvent(ptlRecord({ discount_value: 100 })))).value).toBe('1');
  });

  it('rejects above 100 % and 0 or below', () => {
    expect(rejectOf(handle(rawEvent(posRecord({}, { discountValue: 1.5 }))))).toMatch(/above 100/);
    expect(rejectOf(handle(ptlEvent(ptlRecord({ discount_value: 150 }))))).toMatch(/above 100/);
    expect(rejectOf(handle(rawEvent(posRecord({}, { discountValue: -0.1 }))))).toMatch(/above 0/);
  });
});

describe('rule 8: where the value lives', () => {
  it.each([1, 5, 15])('PTL method %i reads discount_value', (id) => {
    expect(emitted(handle(ptlEvent(ptlRecord({ calculation_method_id: id, discount_value: 10, discount_amount: 0 })))).value).toBe('10');
  });

  it('PTL methods 3 and 6 read discount_amount', () => {
    expect(emitted(handle(ptlEvent(ptlRecord({ calculation_method_id: 3, discount_amount: 19.99, discount_value: 0 })))).value).toBe('19.99');
  });

  it('rejects a deal whose value sits in the wrong field (effective value 0 = badge with no cut)', () => {
    expect(rejectOf(handle(ptlEvent(ptlRecord({ calculation_method_id: 1, discount_value: 0, discount_amount: 10 }))))).toMatch(/discount_value/);
    expect(rejectOf(handle(rawEvent(posRecord({}, { calculationMethodId: 1, discountValue: 0 }))))).toMatch(/effective value is 0/);
  });
});

describe('rule 9: BOGO encodings', () => {
  const items = (min: number, one = true) => ({ thresholdTypeId: 1, thresholdType: 'NUMBER_OF_ITEMS', hasThreshold: true, thresholdMin: min, applyToOnlyOneItem: one });

  it('PERCENT_OFF 1.0 + 2 items + one item -> buy 1 get 1 free', () => {
    expect(pos({}, { discountValue: 1, ...items(2) })).toMatchObject({ kind: 'bogo', bogo: { buyQuantity: 1, getQuantity: 1, getPercentOff: '1' }, minimumItemsRequired: 2 });
  });

  it('PERCENT_OFF 0.5 -> buy 1 get 1 half off', () => {
    expect(pos({}, { discountValue: 0.5, ...items(2) }).bogo).toEqual({ buyQuantity: 1, getQuantity: 1, getPercentOff: '0.5' });
  });

  it('thresholds 3 and 4 -> buy 2 / buy 3, get 1 (constraint "buy" side kept as the threshold)', () => {
    expect(pos({ constraints: [constraint(1, 2)] }, { discountValue: 1, ...items(3) }).bogo).toEqual({ buyQuantity: 2, getQuantity: 1, getPercentOff: '1' });
    const b3g1 = pos({ constraints: [constraint(1, 3)] }, { discountValue: 1, ...items(4) });
    expect(b3g1).toMatchObject({ kind: 'bogo', bogo: { buyQuantity: 3, getQuantity: 1 }, thresholdType: 'items', thresholdMin: '3', minimumItemsRequired: 4 });
  });

  it('reads N from the first constraint when the reward has no threshold (the sandbox\'s encoding)', () => {
    const d = pos({ constraints: [constraint(1, 2)] }, { discountValue: 1, applyToOnlyOneItem: true });
    expect(d).toMatchObject({ kind: 'bogo', bogo: { buyQuantity: 1, getQuantity: 1, getPercentOff: '1' }, minimumItemsRequired: 2 });
  });

  it('PRICE_TO_AMOUNT 0.01 with threshold 2 -> bogo (penny = free)', () => {
    expect(pos({}, { calculationMethodId: 3, discountValue: 0.01, ...items(2, false) })).toMatchObject({ kind: 'bogo', value: '0.01', bogo: { buyQuantity: 1, getQuantity: 1, getPercentOff: '1' } });
  });

  it('is not a BOGO without applyToOnlyOneItem, with one item, or at another percent', () => {
    expect(pos({}, { discountValue: 0.5, ...items(2, false) })).toMatchObject({ kind: 'percent', thresholdMin: '2', minimumItemsRequired: 2 });
    const spend = pos({ constraints: [constraint(2, 75)] }, { discountValue: 1, ...items(1, false) });
    expect(spend).toMatchObject({ kind: 'percent', value: '1', thresholdType: 'spend', thresholdMin: '75' });
    expect(pos({}, { discountValue: 0.3, ...items(2) }).kind).toBe('percent');
    expect(pos({}, { calculationMethodId: 3, discountValue: 5, ...items(2) }).kind).toBe('price_to_amount');
  });
});

describe('rule 10: bundle N from either place', () => {
  const bundle = { calculationMethodId: 6, calculationMethod: 'PRICE_TO_AMOUNT_TOTAL', discountValue: 50 };
  it('reads N from constraints[0].thresholdMin', () => {
    expect(pos({ isBundledDiscount: true, constraints: [constraint(1, 5)] }, bundle)).toMatchObject({ kind: 'bundle', bundleQuantity: 5, value: '50', minimumItemsRequired: 5, isBundledDiscount: true });
  });
  it('reads N from reward.thresholdMin', () => {
    expect(pos({}, { ...bundle, thresholdTypeId: 1, hasThreshold: true, thresholdMin: 2 }).bundleQuantity).toBe(2);
  });
  it('adds up one item from each of two constraints', () => {
    expect(pos({ constraints: [constraint(1, 1), constraint(1, 1)] }, bundle).bundleQuantity).toBe(2);
  });
  it('leaves N unknown (null) rather than inventing one, and never reads a spend threshold as N', () => {
    expect(pos({}, bundle)).toMatchObject({ kind: 'bundle', bundleQuantity: null });
    expect(pos({}, { ...bundle, thresholdTypeId: 2, hasThreshold: true, thresholdMin: 100 })).toMatchObject({ bundleQuantity: null, thresholdType: 'spend', thresholdMin: '100' });
  });
});

describe('rule 11: money without floats', () => {
  it('writes decimal strings: 50.0 -> "50", 26.4 -> "26.4", "19.990" -> "19.99"', () => {
    expect(pos({}, { calculationMethodId: 3, discountValue: 50.0 }).value).toBe('50');
    expect(pos({}, { calculationMethodId: 3, discountValue: 26.4 }).value).toBe('26.4');
    expect(pos({}, { calculationMethodId: 1, discountValue: '19.990' }).value).toBe('19.99');
    expect(pos({}, { calculationMethodId: 1, discountValue: 0.1 + 0.2 }).value).toBe('0.30000000000000004'); // what was sent, not rounded away
  });
  it('rejects a value that is not a number', () => {
    expect(rejectOf(handle(rawEvent(posRecord({}, { calculationMethodId: 1, discountValue: 'ten' }))))).toMatch(/decimal/);
  });
});

describe('firstTimeCustomerOnly 0/1', () => {
  it('reads 0 and 1 as booleans and rejects anything else', () => {
    expect(pos({ firstTimeCustomerOnly: 1 }).firstTimeCustomerOnly).toBe(true);
    expect(pos({ firstTimeCustomerOnly: 0 }).firstTimeCustomerOnly).toBe(false);
    expect(rejectOf(handle(rawEvent(posRecord({ firstTimeCustomerOnly: 2 }))))).toMatch(/firstTimeCustomerOnly/);
  });
});

describe('rule 12: restrictions per type', () => {
  it('maps each type to {ids, isExclusion} with ids as text (weights in grams)', () => {
    const d = pos({}, { restrictions: { Brand: { restrictionIds: [12, 14], isExclusion: false }, Weight: { restrictionIds: [3.5], isExclusion: true }, InventoryTag: { restrictionIds: [7], isExclusion: false } } });
    expect(d.restrictions).toEqual({ brand: { ids: ['12', '14'], isExclusion: false }, weight: { ids: ['3.5'], isExclusion: true }, inventoryTag: { ids: ['7'], isExclusion: false } });
  });

  it('no restriction or an empty list is store-wide', () => {
    expect(pos().restrictions).toEqual({});
    expect(pos({}, { restrictions: { Product: { restrictionIds: [], isExclusion: true } } }).restrictions).toEqual({});
  });

  it('merges: the reward wins per type, other types come from the constraints', () => {
    const d = pos({ constraints: [constraint(1, 1, { Brand: { restrictionIds: [1], isExclusion: false }, Category: { restrictionIds: [9], isExclusion: false } })] },
      { restrictions: { Brand: { restrictionIds: [2], isExclusion: true } } });
    expect(d.restrictions).toEqual({ brand: { ids: ['2'], isExclusion: true }, category: { ids: ['9'], isExclusion: false } });
  });

  it('rejects an unknown restriction type rather than widening the deal', () => {
    expect(rejectOf(handle(rawEvent(posRecord({}, { restrictions: { Planet: { restrictionIds: [1], isExclusion: false } } }))))).toMatch(/unknown restriction type/);
  });

  it('parses PTL raw restriction text', () => {
    const d = emitted(handle(ptlEvent(ptlRecord({ category_restriction_ids_raw: 'include: 3' }))));
    expect(d.restrictions).toEqual({ brand: { ids: ['12', '14'], isExclusion: false }, category: { ids: ['3'], isExclusion: false }, product: { ids: ['54'], isExclusion: true } });
    expect(rejectOf(handle(ptlEvent(ptlRecord({ brand_restriction_ids_raw: 'only: 1,2' }))))).toMatch(/brand_restriction_ids_raw/);
  });
});

describe('rules 13-14: which stores', () => {
  it('an empty locationRestrictions means every store of the LSP', () => {
    expect(handle(rawEvent(posRecord({ locationRestrictions: [] }), { posLocId: 42 })).kind).toBe('emit');
  });
  it('respects locationRestrictions by the POS LocId: another store gets a tombstone', () => {
    expect(handle(rawEvent(posRecord({ locationRestrictions: [1568, 1570] }), { posLocId: 1570 })).kind).toBe('emit');
    expect(handle(rawEvent(posRecord({ locationRestrictions: [1568, 1570] }), { posLocId: 42 }))).toMatchObject({ kind: 'tombstone', reason: expect.stringMatching(/not for this store/) });
    expect(rejectOf(handle(rawEvent(posRecord({ locationRestrictions: [1568] }), { posLocId: null })))).toMatch(/posLocId/);
  });
  it('never maps a PTL deal of another market to this store', () => {
    expect(rejectOf(handle(ptlEvent(ptlRecord({ market_id: [5, 'NV'] }))))).toMatch(/market NV .* market AZ/);
    expect(rejectOf(handle(ptlEvent(ptlRecord({ market_id: [9, 'Atlantis'] }))))).toMatch(/names no market/);
    // The real mint.discount has no market: the poller matched its PTL deal's market to the store.
    expect(handle(ptlEvent(ptlRecord({ market_id: undefined }))).kind).toBe('emit');
    expect(handle(ptlEvent(ptlRecord({ market_id: [3, 'Arizona'] }))).kind).toBe('emit');
  });
});

describe('PTL record', () => {
  it('maps a mint.discount record to a ptl deal', () => {
    expect(emitted(handle(ptlEvent(ptlRecord())))).toMatchObject({
      id: `${LOCATION}_ptl_77`, discountId: 'ptl_77', source: 'ptl', sourceApi: 'odoo', kind: 'percent', value: '0.25',
      name: 'PTL 25% off Mint carts', code: null, applicationMethod: 'automatic', isAvailableOnline: true, firstTimeCustomerOnly: false,
    });
  });
  it('checks the ptl_{id} identity and withdraws a deal deleted in Odoo', () => {
    expect(rejectOf(handle(ptlEvent(ptlRecord({ dutchie_discount_id: '77' }))))).toMatch(/not ptl_\{id\}/);
    expect(rejectOf(handle(ptlEvent(ptlRecord(), { discountId: 'ptl_5' })))).toMatch(/not the event's discountId/);
    // mint.discount id 77 of PTL deal 12: the event may name either
    expect(handle(ptlEvent(ptlRecord({ dutchie_discount_id: 'ptl_12' }))).kind).toBe('emit');
    expect(handle(ptlEvent(ptlRecord({ dutchie_is_deleted: true }))).kind).toBe('tombstone');
  });
  it('reads a PTL BOGO through the same encodings', () => {
    const bogo = ptlRecord({ discount_type: 'bogo', discount_value: 100, threshold_type: 'items', threshold_min: 2, apply_to_only_one_item: true });
    expect(emitted(handle(ptlEvent(bogo)))).toMatchObject({ kind: 'bogo', bogo: { buyQuantity: 1, getQuantity: 1, getPercentOff: '1' } });
  });
  it('rejects a PTL "bogo" whose encoding is not one (it would be 100 % off everything)', () => {
    expect(rejectOf(handle(ptlEvent(ptlRecord({ discount_type: 'bogo', discount_value: 100 }))))).toMatch(/discount_type bogo but the record encodes a percent deal/);
  });
});

describe('Dutchie Backoffice record (PascalCase)', () => {
  const pascal = (v: unknown): unknown => Array.isArray(v) ? v.map(pascal)
    : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k === 'menuDisplay' ? 'DiscountMenuDisplayDetails' : k[0]!.toUpperCase() + k.slice(1), pascal(x)])) : v;

  it('maps to the same deal as the POS record it mirrors', () => {
    const record = posRecord({ tuesday: true, constraints: [constraint(1, 2, { Brand: { restrictionIds: [5], isExclusion: true } })],
      menuDisplay: { menuDisplayName: 'Menu', menuDisplayDescription: '', menuDisplayImageUrl: 'https://x/y.png', menuDisplayRank: 3 } });
    const fromPos = emitted(handle(rawEvent(record)));
    const fromBackoffice = emitted(handle(rawEvent(pascal(record) as Record<string, unknown>, { api: 'backoffice' })));
    expect({ ...fromBackoffice, sourceApi: 'pos', rawRecord: '' }).toEqual({ ...fromPos, rawRecord: '' });
    expect(fromBackoffice.menuDisplay).toEqual({ name: 'Menu', description: null, imageUrl: 'https://x/y.png', rank: 3 });
    expect(fromBackoffice.restrictions).toEqual({ brand: { ids: ['5'], isExclusion: true } });
  });
});

describe('the real AZ fixture (691 deals)', () => {
  const fixture = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../sandbox/data/az-store-discounts.json'), 'utf8')) as Array<Record<string, unknown>>;

  it('maps every deal without a reject, and the kinds are what the records encode', () => {
    expect(fixture).toHaveLength(691);
    const kinds: Record<string, number> = {};
    const withdrawn: string[] = [];
    for (const record of fixture) {
      const o = handle(rawEvent(record, { posLocId: 1568 }));
      expect(o.kind === 'reject' ? `${String(record.id)}: ${o.error}` : 'mapped').toBe('mapped');
      if (o.kind === 'emit') kinds[o.deal.kind] = (kinds[o.deal.kind] ?? 0) + 1;
      if (o.kind === 'tombstone') withdrawn.push(`${String(record.id)}: ${o.reason}`);
    }
    expect(kinds).toEqual({ bogo: 228, bundle: 232, percent: 140, price_to_amount: 85, amount_off_total: 5 });
    // 365034 "BOGO Indica Cannabis Co" runs from 2025-09-19T07:00Z to 2025-09-19T07:00Z: never live.
    expect(withdrawn).toEqual(['365034: empty validity window (end at or before start)']);
  });

  it('every mapped deal (and a PTL one) fits the registered Avro Deal schema', () => {
    const type = avro.Type.forSchema(JSON.parse(loadSchemas().get('dealstream.Deal')!), { wrapUnions: false });
    const deals = [...fixture.filter((r) => r.id !== 365034).map((r) => emitted(handle(rawEvent(r, { posLocId: 1568 })))), emitted(handle(ptlEvent(ptlRecord())))];
    const invalid = deals.filter((d) => !type.isValid(d)).map((d) => d.id);
    expect(invalid).toEqual([]);
    const d = deals[0]!;
    expect(type.fromBuffer(type.toBuffer(d))).toEqual(d);
  });

  it('a store outside the four location-restricted deals gets tombstones for them', () => {
    const outcomes = fixture.map((r) => handle(rawEvent(r, { posLocId: 9999 })).kind);
    expect(outcomes.filter((k) => k === 'emit')).toHaveLength(686);
    expect(outcomes.filter((k) => k === 'tombstone')).toHaveLength(5); // 4 for other stores, 1 empty window
  });
});

describe('normaliser handler: the raw event checks', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an empty event id', { eventId: '' }, /eventId: expected a non-empty string/],
    ['an unknown source', { source: 'leafly' }, /source: expected "dutchie" or "ptl"/],
    ['an unknown api', { api: 'graphql' }, /api: expected/],
    ['a location id with "_"', { locationId: 'a_b' }, /locationId: must not contain "_"/],
    ['an empty discount id', { discountId: '' }, /discountId: expected a non-empty string/],
    ['an unknown op', { op: 'delete' }, /op: expected "upsert" or "remove"/],
    ['a negative fetch time', { fetchedAt: -1 }, /fetchedAt: expected a non-negative integer/],
    ['a fractional fetch time', { fetchedAt: 1.5 }, /fetchedAt: expected a non-negative integer/],
    ['a lower-case market', { market: 'az' }, /market: must be a two-letter market/],
    ['an empty time zone', { timeZone: '' }, /timeZone: expected a non-empty string/],
    ['a fractional POS location', { posLocId: 1.5 }, /posLocId: expected an integer or null/],
    ['a record that is not text', { record: 42 }, /record: expected a string or null/],
  ])('rejects %s, saying which field', (_label, over, reason) => {
    expect(rejectOf(handle({ ...rawEvent(posRecord()), ...over }))).toMatch(reason);
  });

  it('names every bad field of an event at once', () => {
    expect(rejectOf(handle({ ...rawEvent(posRecord()), eventId: '', market: 'x' }))).toMatch(/^invalid raw event: .*eventId: .*; market: /);
  });
});
