import { randomUUID } from 'node:crypto';
import { decideDeal } from '../projector/handler';
import { DEAL_KINDS } from '../../shared/events';
import { discountFragment, locationValue, STOREFRONT_DISCOUNT_TYPES, storefrontDiscountType, toStorefrontDiscount } from '../../shared/storefront';
import type { DiscountRow } from '../../shared/db/schema';
import { makeDeal } from '../../test/support/deals';
import { compileLocation, etagMatches, fragmentsOf, liveBody } from './handler';

const loc = randomUUID();
const ONLY_TUESDAY = { monday: false, tuesday: true, wednesday: false, thursday: false, friday: false, saturday: false, sunday: false };

/** What Postgres gives back for a projected deal (jsonb parsed, times as text). */
function asRow(deal: ReturnType<typeof makeDeal>): DiscountRow {
  const out = decideDeal(deal.id, deal);
  if (out.kind !== 'upsert') throw new Error(out.kind);
  const r = out.row;
  return {
    ...r, discount_code: r.discount_code ?? null, calculation_method_id: r.calculation_method_id ?? null, discount_amount: r.discount_amount ?? null,
    valid_from: r.valid_from === null ? null : new Date(r.valid_from), valid_until: r.valid_until === null ? null : new Date(r.valid_until), start_time: r.start_time ?? null, end_time: r.end_time ?? null,
    products: r.products, brands: r.brands, product_categories: r.product_categories,
    first_time_customer_only: r.first_time_customer_only ?? false, minimum_items_required: r.minimum_items_required ?? null,
    payload: JSON.parse(JSON.stringify(r.payload)) as Record<string, unknown>, version: String(r.version), removed: false, synced_at: new Date(r.synced_at),
  };
}

const deals = [
  makeDeal(loc, 1), // always
  makeDeal(loc, 2, { validUntil: Date.parse('2026-03-01T07:10:00Z') }), // expired on 2026-03-10
  makeDeal(loc, 3, { days: ONLY_TUESDAY, startTime: '09:00:00', endTime: '17:00:00' }),
];
const fragments = deals.map((d) => discountFragment(toStorefrontDiscount(asRow(d))));
const raw = Buffer.from(locationValue(fragments));

describe('liveBody', () => {
  it('splices exactly the stored fragments of the live deals into {data, count}', () => {
    const tuesdayNoonPhoenix = Date.parse('2026-03-10T19:00:00Z');
    const live = liveBody(compileLocation(raw), tuesdayNoonPhoenix);
    expect(live.body.toString()).toBe(`{"data":[${fragments[0]},${fragments[2]}],"count":2}`);
    expect((JSON.parse(live.body.toString()) as { data: Array<{ discount_id: number }> }).data.map((d) => d.discount_id)).toEqual([1, 3]);
  });

  it('drops deals outside their hours, weekday or window, in the store zone', () => {
    const compiled = compileLocation(raw);
    // Tuesday 18:00 in Phoenix (Wednesday 01:00 UTC): after hours.
    expect(liveBody(compiled, Date.parse('2026-03-11T01:00:00Z')).count).toBe(1);
    // Before the expiry: deal 2 is live too.
    expect(liveBody(compiled, Date.parse('2026-02-24T19:00:00Z')).count).toBe(3);
  });

  it('memoises per liveness mask: same body and ETag object while nothing changes', () => {
    const compiled = compileLocation(raw);
    const a = liveBody(compiled, Date.parse('2026-03-10T19:00:00Z'));
    const b = liveBody(compiled, Date.parse('2026-03-10T19:30:00Z'));
    expect(b).toBe(a);
    expect(liveBody(compiled, Date.parse('2026-03-11T19:00:00Z')).etag).not.toBe(a.etag);
  });

  it('writes money as JSON numbers from decimal strings, without floats', () => {
    const f = discountFragment(toStorefrontDiscount(asRow(makeDeal(loc, 9, { value: '12345678.123456', kind: 'flat', calculationMethodId: 1 }))));
    expect(f).toContain('"discount_amount":12345678.123456,');
  });

  it('serves an empty location as an empty list', () => {
    expect(liveBody(compileLocation(Buffer.from('[]')), 0).body.toString()).toBe('{"data":[],"count":0}');
  });
});

describe('etagMatches', () => {
  it.each([['"abc"', true], ['W/"abc"', true], ['"x", "abc"', true], ['*', true], ['"x"', false], [undefined, false]])('%s -> %s', (h, ok) => {
    expect(etagMatches(h, '"abc"')).toBe(ok);
  });
});

describe('liveBody reuses its last answer only while liveness cannot change', () => {
  it('within one second, but not across a validUntil or validFrom inside that second', () => {
    const until = Date.parse('2026-03-01T07:10:00.500Z');
    const from = Date.parse('2026-03-01T07:10:00.250Z');
    const parts = [
      makeDeal(loc, 1),
      makeDeal(loc, 2, { validUntil: until }),
      makeDeal(loc, 3, { validFrom: from }),
    ].map((d) => discountFragment(toStorefrontDiscount(asRow(d))));
    const compiled = compileLocation(Buffer.from(locationValue(parts)));
    expect(liveBody(compiled, from - 100).count).toBe(2); // 1, 2
    expect(liveBody(compiled, from - 1).count).toBe(2);
    expect(liveBody(compiled, from).count).toBe(3); // 3 starts
    expect(liveBody(compiled, until - 1).count).toBe(3);
    expect(liveBody(compiled, until).count).toBe(2); // 2 ended
    expect(liveBody(compiled, from - 1).count).toBe(2); // going back in time (?at=) too
  });

  it('follows the local clock across a second boundary', () => {
    const compiled = compileLocation(raw);
    // deal 3: Tuesdays 09:00-17:00 Phoenix (UTC-7) -> ends 2026-03-11T00:00:00Z
    expect(liveBody(compiled, Date.parse('2026-03-10T23:59:59.999Z')).count).toBe(2);
    expect(liveBody(compiled, Date.parse('2026-03-11T00:00:00.000Z')).count).toBe(1);
  });
});

describe('discount_type in the storefront\'s vocabulary', () => {
  // the storefront prices a deal only when the lower-cased type CONTAINS these (storefront-contract.md)
  it.each(DEAL_KINDS)('%s: "percent" only for percent deals, "price to amount" only for new-unit-price deals', (kind) => {
    const type = storefrontDiscountType(kind).toLowerCase();
    expect(type.includes('percent')).toBe(kind === 'percent');
    expect(type.includes('price to amount')).toBe(kind === 'price_to_amount');
    expect(type.length).toBeGreaterThan(0);
  });

  it('uses Dutchie\'s own display strings where the storefront prices, and serves our kind beside it', () => {
    expect(STOREFRONT_DISCOUNT_TYPES.percent).toBe('Percent');
    expect(STOREFRONT_DISCOUNT_TYPES.price_to_amount).toBe('Price To Amount');
    const bundle = toStorefrontDiscount(asRow(makeDeal(loc, 9, { kind: 'bundle', calculationMethodId: 6, value: '99', bundleQuantity: 2 })));
    expect(bundle).toMatchObject({ discount_type: 'Bundle', deal_kind: 'bundle' });
    expect(storefrontDiscountType('something new')).toBe('Other');
  });
});

describe('compileLocation', () => {
  it('leaves a disabled deal out even when an older stored value still holds it', () => {
    const disabled = discountFragment(toStorefrontDiscount(asRow(makeDeal(loc, 4, { isActive: false }))));
    const c = compileLocation(Buffer.from(locationValue([...fragments, disabled])));
    expect(c.ids).toEqual(deals.map((d) => d.id));
    const at = Date.parse('2026-01-02T19:00:00Z');
    expect(liveBody(c, at).body.toString()).toBe(liveBody(compileLocation(raw), at).body.toString());
    expect(fragmentsOf(c, [`${loc}_4`])).toEqual([]);
  });

  it('gives the fragments of the wanted deal ids, in the value\'s order', () => {
    const c = compileLocation(raw);
    expect(fragmentsOf(c, [deals[2]!.id, deals[0]!.id])).toEqual([fragments[0], fragments[2]]);
    expect(fragmentsOf(c, [])).toEqual([]);
  });
});
