/** Canonical deals for the sink's tests and benchmark (given-helpers; no I/O). */
import type { Deal } from '../../shared/events';
import { makeDeal } from './deals';

export const AZ_LOCATION = '5b0f6f0e-8c1a-4d1e-9a57-0a6f3f1a2b01';

/** A Dutchie 25 %-off deal of an Arizona store, 2026-11-01 .. 2026-11-30 (exclusive end 2026-12-01 07:10Z). */
export function givenDeal(overrides: Partial<Deal> = {}): Deal {
  const locationId = overrides.locationId ?? AZ_LOCATION;
  const discountId = overrides.discountId ?? '1001';
  const raw = { id: Number(discountId) || 0, onlineName: overrides.name ?? '25% off Brand X' };
  return makeDeal(locationId, discountId, {
    source: 'dutchie', sourceApi: 'pos', name: '25% off Brand X', internalName: '25% Brand X SS', externalId: '',
    validFrom: Date.parse('2026-11-01T07:00:00Z'), validUntil: Date.parse('2026-12-01T07:10:00Z'),
    restrictions: { brand: { ids: ['1', '2'], isExclusion: false }, product: { ids: ['54'], isExclusion: true } },
    canStackAutomatically: true, rawRecord: JSON.stringify(raw), version: 1_763_000_000_000,
    ...overrides,
  });
}
