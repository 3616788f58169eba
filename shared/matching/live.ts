/**
 * Deal liveness for matching: `isDealLive` of shared/deal-time.ts (inside [validFrom, validUntil),
 * allowed weekday, inside startTime-endTime, all in deal.timeZone), made total and fast:
 *
 * - a deal whose timing cannot be evaluated (unknown zone, malformed time) is not live, rather
 *   than failing the whole location (the normaliser should never let one through);
 * - `liveAt(atMs)` computes the local clock once per time zone, so checking 1,000 deals costs
 *   one Luxon conversion per zone instead of one per deal.
 */
import { compileTiming, isDealLive as sharedIsDealLive, isLiveOnClock, localClock, type DealTiming, type LocalClock } from '../deal-time';

export type LiveFields = DealTiming;

export function isDealLive(deal: LiveFields, atMs: number): boolean {
  try {
    return sharedIsDealLive(deal, atMs);
  } catch {
    return false;
  }
}

/** A liveness check for one instant, caching the local clock per zone. */
export function liveAt(atMs: number): (deal: LiveFields) => boolean {
  const clocks = new Map<string, LocalClock | null>();
  return (deal) => {
    let clock = clocks.get(deal.timeZone);
    if (clock === undefined) {
      try {
        clock = localClock(atMs, deal.timeZone);
      } catch {
        clock = null;
      }
      clocks.set(deal.timeZone, clock);
    }
    if (clock === null) return false;
    try {
      return isLiveOnClock(compileTiming(deal), clock);
    } catch {
      return false;
    }
  };
}
