/** What every source mapping shares: the validated raw event and the outcome of mapping one record. */
import { createHash } from 'node:crypto';
import type { Deal, DealRawEvent } from '../../shared/events';
import { dealKey } from '../../shared/topics';
import { assertTimeZone, type Terms } from './rules';

/** A mapped deal, or "this deal does not exist for this store" (published as a tombstone). */
export type MapResult = { kind: 'deal'; deal: Deal } | { kind: 'absent'; reason: string };

/** The fields of a canonical deal that come from the raw event, not from the source record. */
export type EventFields = Pick<Deal, 'id' | 'locationId' | 'discountId' | 'source' | 'sourceApi' | 'market' | 'timeZone' | 'contentHash' | 'rawRecord' | 'version'>;

export function eventFields(event: DealRawEvent, record: string): EventFields {
  return {
    id: dealKey(event.locationId, event.discountId),
    locationId: event.locationId,
    discountId: event.discountId,
    source: event.source,
    sourceApi: event.api,
    market: event.market,
    timeZone: assertTimeZone(event.timeZone),
    // The poller sends the hash; recompute it only if an older producer left it out.
    contentHash: event.contentHash ?? createHash('sha256').update(record).digest('hex'),
    rawRecord: record,
    version: event.fetchedAt,
  };
}

export const blankToNull = (s: string | null | undefined | false): string | null => {
  if (s === false || s === null || s === undefined) return null;
  const t = s.trim();
  return t === '' ? null : t;
};

/** The fields a source mapping decides itself. */
export type SourceFields = Omit<Deal, keyof EventFields | keyof Terms>;

/**
 * Builds the deal as one object literal with every field spelled out: spreading several parts
 * into a 45-field literal made V8 build it property by property (measured ~6,000 deals/s
 * against millions with a literal).
 */
export function assembleDeal(e: EventFields, t: Terms, s: SourceFields): Deal {
  return {
    id: e.id, locationId: e.locationId, discountId: e.discountId, source: e.source, sourceApi: e.sourceApi,
    market: e.market, timeZone: e.timeZone, name: s.name, internalName: s.internalName, code: s.code,
    externalId: s.externalId, calculationMethodId: s.calculationMethodId, kind: t.kind, value: t.value,
    bundleQuantity: t.bundleQuantity, bogo: t.bogo, applicationMethod: s.applicationMethod, isActive: s.isActive,
    isAvailableOnline: s.isAvailableOnline, validFrom: s.validFrom, validUntil: s.validUntil, startTime: s.startTime,
    endTime: s.endTime, days: s.days, restrictions: s.restrictions, thresholdType: t.thresholdType,
    thresholdMin: t.thresholdMin, thresholdMax: t.thresholdMax, minimumItemsRequired: t.minimumItemsRequired,
    applyToOnlyOneItem: s.applyToOnlyOneItem, isBundledDiscount: s.isBundledDiscount, highestOrLowest: s.highestOrLowest,
    firstTimeCustomerOnly: s.firstTimeCustomerOnly, canStackAutomatically: s.canStackAutomatically,
    maxRedemptions: s.maxRedemptions, redemptionLimit: s.redemptionLimit, customerGroupIds: s.customerGroupIds,
    menuDisplay: s.menuDisplay, contentHash: e.contentHash, rawRecord: e.rawRecord, version: e.version,
  };
}
