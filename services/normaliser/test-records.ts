/** Given-helpers for the normaliser's tests: raw events around POS, Backoffice and PTL records. */
import type { DealRawEvent } from '../../shared/events';

export const LOCATION = '7f0e7a4e-1d1c-4b35-9d43-2f6f6f0a1a11';

type Json = Record<string, unknown>;

/** A minimal real-shaped Dutchie POS record: 20 % off, every day, store-wide. */
export function posRecord(overrides: Json = {}, reward: Json = {}): Json {
  return {
    id: 1001, externalId: '', validDateFrom: '2025-05-07T07:00:00Z', validDateTo: '2025-11-01T07:10:00Z',
    maxRedemptions: null, redemptionLimit: null, firstTimeCustomerOnly: 0, discountDescription: '20% off SS',
    discountCode: null, applicationMethodId: 1, applicationMethod: 'Automatic', canStackAutomatically: false,
    onlineName: '20% off', locationRestrictions: [], restrictToGroupIds: [], startTime: null, endTime: null,
    monday: null, tuesday: null, wednesday: null, thursday: null, friday: null, saturday: null, sunday: null,
    isActive: true, isBundledDiscount: false, constraints: [],
    reward: {
      discountRewardId: 9, discountId: 1001, calculationMethodId: 2, calculationMethod: 'PERCENT_OFF', discountValue: 0.2,
      includeNonCannabis: true, highestOrLowest: 'low', thresholdTypeId: null, thresholdType: null, hasThreshold: false,
      itemGroupTypeId: 5, itemGroupType: 'ALL', thresholdMin: null, thresholdMax: null, applyToOnlyOneItem: false,
      restrictions: {}, ...reward,
    },
    menuDisplay: null, paymentRestrictions: null,
    ...overrides,
  };
}

export function constraint(thresholdTypeId: number | null, thresholdMin: number | null, restrictions: Json = {}): Json {
  return {
    discountConstraintId: 1, discountId: 1001, thresholdMin, includeNonCannabis: true, thresholdTypeId,
    thresholdType: thresholdTypeId === 1 ? 'NUMBER_OF_ITEMS' : thresholdTypeId === 2 ? 'SPENDING_AMOUNT' : null,
    hasThreshold: thresholdTypeId !== null, discountItemGroupTypeId: 5, itemGroupType: 'ALL', restrictions,
  };
}

/** A `mint.discount` PTL record as Odoo's search_read returns it: 25 % off, Mon-Fri, AZ. */
export function ptlRecord(overrides: Json = {}): Json {
  return {
    id: 77, name: 'PTL 25% off Mint carts', code: false, description: false, discount_type: 'percent',
    discount_amount: 0, discount_value: 25, calculation_method_id: 2, is_active: true, is_available_online: true,
    valid_from: '2025-05-07', valid_until: '2025-05-31', start_time: 0, end_time: 0,
    monday: true, tuesday: true, wednesday: true, thursday: true, friday: true, saturday: false, sunday: false,
    threshold_type: 'none', threshold_min: 0, threshold_max: 0, minimum_items_required: 0,
    apply_to_only_one_item: false, is_bundled_discount: false, first_time_customer_only: false, can_stack_automatically: false,
    online_name: false, menu_display_name: false, menu_display_image_url: false, menu_display_rank: 0,
    external_id: false, dutchie_discount_id: 'ptl_77', dutchie_is_deleted: false, store_ids: [],
    market_id: [3, 'AZ'], brand_restriction_ids_raw: 'include: 12 | 14', category_restriction_ids_raw: false,
    product_restriction_ids_raw: 'exclude: 54', raw_payload: false, source: 'ptl', synced_at: false,
    ...overrides,
  };
}

export function rawEvent(record: Json | null, overrides: Partial<DealRawEvent> = {}): DealRawEvent {
  const id = record && typeof record.id === 'number' ? record.id : record && typeof record.Id === 'number' ? record.Id : 1001;
  const isPtl = overrides.api === 'odoo';
  return {
    eventId: `e-${id}`, source: isPtl ? 'ptl' : 'dutchie', api: 'pos', locationId: LOCATION,
    discountId: isPtl ? `ptl_${id}` : String(id), op: record ? 'upsert' : 'remove', fetchedAt: 1_760_000_000_000,
    contentHash: 'hash', record: record ? JSON.stringify(record) : null, market: 'AZ', timeZone: 'America/Phoenix',
    posLocId: 1568, ...overrides,
  };
}

export const ptlEvent = (record: Json, overrides: Partial<DealRawEvent> = {}): DealRawEvent => rawEvent(record, { api: 'odoo', ...overrides });
