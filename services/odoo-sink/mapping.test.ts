import { givenDeal } from '../../test/support/odoo-fixtures';
import {
  amountFields, diffValues, floatHours, restrictionText, timeWindow, toOdooValues, validFromDate, validUntilDate,
  type OdooRecord,
} from './mapping';

const NOW = Date.parse('2026-11-21T18:00:00Z');
const PHX = 'America/Phoenix';

describe('toOdooValues: a Dutchie deal as one mint.discount', () => {
  it('maps every contract field of a percent deal', () => {
    const v = toOdooValues(givenDeal(), 7, NOW);
    expect(v).toMatchObject({
      name: '25% off Brand X', description: '25% Brand X SS', code: false, discount_type: 'percent',
      discount_amount: '25', discount_value: '25', calculation_method_id: 2, is_active: true, is_available_online: true,
      valid_from: '2026-11-01', valid_until: '2026-11-30', start_time: 0, end_time: 0,
      monday: true, sunday: true, threshold_type: 'none', threshold_min: '0', minimum_items_required: 0,
      can_stack_automatically: true, external_id: false, dutchie_discount_id: '1001', dutchie_is_deleted: false,
      store_ids: [7], brand_restriction_ids_raw: 'include: 1 | 2', product_restriction_ids_raw: 'exclude: 54',
      category_restriction_ids_raw: false, source: 'dutchie', synced_at: '2026-11-21 18:00:00', online_name: '25% off Brand X',
    });
    expect(JSON.parse(v.raw_payload)).toEqual({ id: 1001, onlineName: '25% off Brand X' });
  });

  it('puts methods 1, 5 and 15 in discount_value, 3 and 6 in discount_amount, a percent in both', () => {
    expect(amountFields(givenDeal({ value: '0.25' }))).toEqual({ discount_amount: '25', discount_value: '25' });
    expect(amountFields(givenDeal({ calculationMethodId: 1, kind: 'flat', value: '5.50' }))).toEqual({ discount_amount: '0', discount_value: '5.5' });
    expect(amountFields(givenDeal({ calculationMethodId: 5, kind: 'amount_off_total', value: '10' }))).toEqual({ discount_amount: '0', discount_value: '10' });
    expect(amountFields(givenDeal({ calculationMethodId: 15, kind: 'loyalty', value: '2' }))).toEqual({ discount_amount: '0', discount_value: '2' });
    expect(amountFields(givenDeal({ calculationMethodId: 3, kind: 'price_to_amount', value: '0.01' }))).toEqual({ discount_amount: '0.01', discount_value: '0' });
    expect(amountFields(givenDeal({ calculationMethodId: 6, kind: 'bundle', value: '99' }))).toEqual({ discount_amount: '99', discount_value: '0' });
  });

  it('turns a percent fraction into a whole percent without float error and rejects above 100 %', () => {
    expect(amountFields(givenDeal({ value: '0.07' })).discount_amount).toBe('7'); // 0.07 * 100 = 7.000000000000001 in floats
    expect(() => amountFields(givenDeal({ value: '1.5' }))).toThrow(/outside 0-1/);
  });

  it('maps kinds to Odoo discount types', () => {
    expect(toOdooValues(givenDeal({ kind: 'flat', calculationMethodId: 1, value: '5' }), 1, NOW).discount_type).toBe('fixed');
    expect(toOdooValues(givenDeal({ kind: 'amount_off_total', calculationMethodId: 5, value: '5' }), 1, NOW).discount_type).toBe('dollar_off_total');
    expect(toOdooValues(givenDeal({ kind: 'bogo', value: '1', thresholdType: 'items', thresholdMin: '2' }), 1, NOW))
      .toMatchObject({ discount_type: 'bogo', threshold_type: 'items', threshold_min: '2' });
  });

  it('keeps weekday flags and refuses a deal that would be all-false (inactive in Odoo)', () => {
    const weekends = { monday: false, tuesday: false, wednesday: false, thursday: false, friday: false, saturday: true, sunday: true };
    expect(toOdooValues(givenDeal({ days: weekends }), 1, NOW)).toMatchObject(weekends);
    const none = { ...weekends, saturday: false, sunday: false };
    expect(() => toOdooValues(givenDeal({ days: none }), 1, NOW)).toThrow(/no weekday/);
  });

  it('maps menu display and a spend threshold', () => {
    const v = toOdooValues(givenDeal({
      menuDisplay: { name: 'Menu', description: null, imageUrl: 'https://x/y.png', rank: 3 }, thresholdType: 'spend', thresholdMin: '50.00',
    }), 1, NOW);
    expect(v).toMatchObject({ menu_display_name: 'Menu', menu_display_image_url: 'https://x/y.png', menu_display_rank: 3, threshold_type: 'subtotal', threshold_min: '50' });
  });
});

describe('dates and times in the store time zone', () => {
  it('reads the start date locally, never from UTC', () => {
    // 2026-11-02 02:00Z is still Nov 1 in Phoenix (UTC-7).
    expect(validFromDate(Date.parse('2026-11-02T02:00:00Z'), PHX)).toBe('2026-11-01');
    expect(validFromDate(null, PHX)).toBe(false);
  });

  it('turns the exclusive end instant into the last valid day, with Dutchie slop', () => {
    expect(validUntilDate(Date.parse('2026-12-01T07:00:00Z'), PHX)).toBe('2026-11-30');
    expect(validUntilDate(Date.parse('2026-12-01T07:10:00Z'), PHX)).toBe('2026-11-30');
    expect(validUntilDate(Date.parse('2026-12-01T07:15:00Z'), PHX)).toBe('2026-11-30');
    // 23:18Z = 16:18 local: the deal ends partway through Dec 1, its last day.
    expect(validUntilDate(Date.parse('2026-12-01T23:18:00Z'), PHX)).toBe('2026-12-01');
    expect(validUntilDate(null, PHX)).toBe(false);
  });

  it('follows DST in zones that have it', () => {
    // Chicago midnight is 05:00Z in summer, 06:00Z in winter.
    expect(validUntilDate(Date.parse('2026-07-02T05:00:00Z'), 'America/Chicago')).toBe('2026-07-01');
    expect(validUntilDate(Date.parse('2026-12-02T06:00:00Z'), 'America/Chicago')).toBe('2026-12-01');
  });

  it('gives float hours, 0/0 for all day and 24 for an open end', () => {
    expect(floatHours('16:30:00')).toBe(16.5);
    expect(floatHours('09:15')).toBe(9.25);
    expect(timeWindow(null, null)).toEqual({ start_time: 0, end_time: 0 });
    expect(timeWindow('16:00:00', null)).toEqual({ start_time: 16, end_time: 24 });
    expect(() => floatHours('4pm')).toThrow(/unreadable/);
  });
});

describe('restriction text', () => {
  it('writes include/exclude lists and nothing for no constraint', () => {
    expect(restrictionText({ ids: ['1', '2'], isExclusion: false })).toBe('include: 1 | 2');
    expect(restrictionText({ ids: ['54'], isExclusion: true })).toBe('exclude: 54');
    expect(restrictionText({ ids: [], isExclusion: true })).toBe(false);
    expect(restrictionText(undefined)).toBe(false);
  });
});

describe('diffValues', () => {
  const want = toOdooValues(givenDeal(), 7, NOW);
  // What Odoo's search_read gives back for the same record: numbers for floats, false for empty.
  const asOdoo = (): OdooRecord => ({
    ...want, id: 11, discount_amount: 25, discount_value: 25, threshold_min: 0, threshold_max: 0, code: false, synced_at: '2026-01-01 00:00:00',
  });

  it('finds nothing to write when Odoo already holds the deal (decimals compared as decimals, synced_at ignored)', () => {
    expect(diffValues(want, asOdoo())).toEqual({});
    expect(diffValues({ ...want, discount_amount: '25.000' }, asOdoo())).toEqual({});
  });

  it('returns only the changed fields', () => {
    const have = { ...asOdoo(), discount_amount: 20, friday: false, store_ids: [7], product_restriction_ids_raw: false };
    expect(diffValues(want, have)).toEqual({ discount_amount: '25', friday: true, product_restriction_ids_raw: 'exclude: 54' });
  });

  it('compares store sets, not order, and treats an empty char as false', () => {
    expect(diffValues({ store_ids: [3, 7], external_id: false }, { id: 1, store_ids: [7, 3], external_id: '' })).toEqual({});
    expect(diffValues({ store_ids: [7] }, { id: 1, store_ids: [7, 8] })).toEqual({ store_ids: [7] });
  });
});
