/** Canonical deals for the sink's tests and benchmark (given-helpers; no I/O). */
import type { Deal } from '../../shared/events';
import { dealKey } from '../../shared/topics';

export const AZ_LOCATION = '5b0f6f0e-8c1a-4d1e-9a57-0a6f3f1a2b01';
const EVERY_DAY = { monday: true, tuesday: true, wednesday: true, thursday: true, friday: true, saturday: true, sunday: true };

/** A Dutchie 25 %-off deal of an Arizona store, 2026-11-01 .. 2026-11-30 (exclusive end 2026-12-01 07:10Z). */
export function givenDeal(overrides: Partial<Deal> = {}): Deal {
  const locationId = overrides.locationId ?? AZ_LOCATION;
  const discountId = overrides.discountId ?? '1001';
  const raw = { id: Number(discountId) || 0, onlineName: overrides.name ?? '25% off Brand X' };
  return {
    id: dealKey(locationId, discountId),
    locationId,
    discountId,
    source: 'dutchie',
    sourceApi: 'pos',
    market: 'AZ',
    timeZone: 'America/Phoenix',
    name: '25% off Brand X',
    internalName: '25% Brand X SS',
    code: null,
    externalId: '',
    calculationMethodId: 2,
    kind: 'percent',
    value: '0.25',
    bundleQuantity: null,
    bogo: null,
    applicationMethod: 'automatic',
    isActive: true,
    isAvailableOnline: true,
    validFrom: Date.parse('2026-11-01T07:00:00Z'),
    validUntil: Date.parse('2026-12-01T07:10:00Z'),
    startTime: null,
    endTime: null,
    days: EVERY_DAY,
    restrictions: { brand: { ids: ['1', '2'], isExclusion: false }, product: { ids: ['54'], isExclusion: true } },
    thresholdType: null,
    thresholdMin: null,
    thresholdMax: null,
    minimumItemsRequired: null,
    applyToOnlyOneItem: false,
    isBundledDiscount: false,
    highestOrLowest: null,
    firstTimeCustomerOnly: false,
    canStackAutomatically: true,
    maxRedemptions: null,
    redemptionLimit: null,
    customerGroupIds: [],
    menuDisplay: null,
    contentHash: `h${discountId}`,
    rawRecord: JSON.stringify(raw),
    version: 1_763_000_000_000,
    ...overrides,
  };
}
