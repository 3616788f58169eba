/** What every source mapping shares: the validated raw event and the outcome of mapping one record. */
import { createHash } from 'node:crypto';
import type { Deal, DealRawEvent } from '../../shared/events';
import { dealKey } from '../../shared/topics';
import { assertTimeZone } from './rules';

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
