/** Given-helpers for matching tests and benches: a canonical deal and a product with defaults. */
import type { Deal, Restriction, RestrictionType } from '../../shared/events';
import type { MatchableProduct } from '../../shared/matching';

const EVERY_DAY = { monday: true, tuesday: true, wednesday: true, thursday: true, friday: true, saturday: true, sunday: true };

export function aDeal(over: Partial<Deal> & { discountId?: string } = {}): Deal {
  const discountId = over.discountId ?? '1';
  const locationId = over.locationId ?? 'loc-1';
  return {
    id: `${locationId}_${discountId}`,
    locationId,
    discountId,
    source: 'dutchie',
    sourceApi: 'pos',
    market: 'AZ',
    timeZone: 'America/Phoenix',
    name: `deal ${discountId}`,
    internalName: null,
    code: null,
    externalId: null,
    calculationMethodId: 2,
    kind: 'percent',
    value: '0.25',
    bundleQuantity: null,
    bogo: null,
    applicationMethod: 'automatic',
    isActive: true,
    isAvailableOnline: true,
    validFrom: null,
    validUntil: null,
    startTime: null,
    endTime: null,
    days: { ...EVERY_DAY },
    restrictions: {},
    thresholdType: null,
    thresholdMin: null,
    thresholdMax: null,
    minimumItemsRequired: null,
    applyToOnlyOneItem: false,
    isBundledDiscount: false,
    highestOrLowest: null,
    firstTimeCustomerOnly: false,
    canStackAutomatically: false,
    maxRedemptions: null,
    redemptionLimit: null,
    customerGroupIds: [],
    menuDisplay: null,
    contentHash: 'h',
    rawRecord: '{}',
    version: 1,
    ...over,
  };
}

export const include = (...ids: string[]): Restriction => ({ ids, isExclusion: false });
export const exclude = (...ids: string[]): Restriction => ({ ids, isExclusion: true });
export const restricted = (r: Partial<Record<RestrictionType, Restriction>>): Pick<Deal, 'restrictions'> => ({ restrictions: r });

export function aProduct(over: Partial<MatchableProduct> = {}): MatchableProduct {
  return {
    productId: 'p1',
    price: '20.00',
    categoryId: 'c1',
    brandId: 'b1',
    weightGrams: '3.5',
    strainId: 's1',
    vendorId: 'v1',
    tierId: 't1',
    tagIds: ['tag1'],
    inventoryTagIds: ['it1'],
    ...over,
  };
}
