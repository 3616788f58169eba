/**
 * Deal liveness, as the contract of shared/deal-time.ts defines it: inside [validFrom, validUntil),
 * on an allowed weekday, inside startTime-endTime, all in deal.timeZone.
 *
 * TEMPORARY local adapter: shared/deal-time.ts is written by the projector/deals-api engineer.
 * When it lands on main this file re-exports it and the implementation below goes.
 */
import { DateTime } from 'luxon';
import type { Deal, Weekday } from '../events';

export type LiveFields = Pick<Deal, 'validFrom' | 'validUntil' | 'startTime' | 'endTime' | 'days' | 'timeZone'>;

// luxon weekday: 1 = Monday ... 7 = Sunday
const LUXON_WEEKDAY: readonly Weekday[] = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

function secondsOfDay(hms: string): number {
  const [h = '0', m = '0', s = '0'] = hms.split(':');
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
}

export function isDealLive(deal: LiveFields, atMs: number): boolean {
  if (deal.validFrom !== null && atMs < deal.validFrom) return false;
  if (deal.validUntil !== null && atMs >= deal.validUntil) return false;
  const local = DateTime.fromMillis(atMs, { zone: deal.timeZone });
  if (!local.isValid) return false;
  const day = LUXON_WEEKDAY[local.weekday - 1];
  if (day === undefined || !deal.days[day]) return false;
  const now = local.hour * 3600 + local.minute * 60 + local.second;
  const start = deal.startTime === null ? 0 : secondsOfDay(deal.startTime);
  const end = deal.endTime === null ? 86400 : secondsOfDay(deal.endTime);
  if (start === end) return true; // 00:00-00:00: all day
  // a window that crosses midnight (22:00-02:00) is live late and early on an allowed day
  return start < end ? now >= start && now < end : now >= start || now < end;
}
