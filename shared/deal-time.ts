/**
 * Whether a deal is live at an instant (deal-semantics.md rules 1-5). Everything is decided in
 * the deal's own IANA time zone (Luxon), never from a UTC date:
 *
 * - `[validFrom, validUntil)`: epoch ms; `validFrom` inclusive, `validUntil` EXCLUSIVE; null = open.
 * - weekday flags: the local weekday of the instant must be allowed.
 * - `startTime`-`endTime` (local `HH:MM[:SS]`): the start is inclusive, the end exclusive.
 *   null start = from 00:00, null end = to the end of the day; both null = the whole day.
 *   Equal start and end (e.g. Odoo's 0/0) = the whole day.
 *   An end BEFORE the start spans midnight (e.g. 22:00-02:00): the part after midnight belongs
 *   to the day the window started, so Friday 01:00 is live when THURSDAY is an allowed day.
 *
 * For hot paths (the deals API filters hundreds of deals per request) `localClock` computes the
 * zone-dependent part once per zone and `isLiveOnClock` is then plain integer comparisons.
 */
import { DateTime } from 'luxon';
import { WEEKDAYS, type Deal, type Weekday } from './events';

/** The fields liveness depends on (a canonical Deal has them all). */
export type DealTiming = Pick<Deal, 'validFrom' | 'validUntil' | 'startTime' | 'endTime' | 'days' | 'timeZone'>;

/** Local facts about one instant in one zone. */
export interface LocalClock {
  atMs: number;
  weekday: Weekday;
  /** the local weekday before `weekday` (for windows that span midnight) */
  previousWeekday: Weekday;
  /** seconds since local midnight, 0..86399 */
  secondOfDay: number;
}

export class UnknownTimeZoneError extends Error {
  constructor(readonly zone: string) { super(`unknown time zone: ${zone}`); }
}

export function localClock(atMs: number, timeZone: string): LocalClock {
  const t = DateTime.fromMillis(atMs, { zone: timeZone });
  if (!t.isValid) throw new UnknownTimeZoneError(timeZone);
  const weekday = WEEKDAYS[t.weekday - 1]!; // Luxon: 1 = Monday ... 7 = Sunday
  const previousWeekday = WEEKDAYS[(t.weekday + 5) % 7]!;
  return { atMs, weekday, previousWeekday, secondOfDay: t.hour * 3600 + t.minute * 60 + t.second };
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d+)?)?$/;

/** `HH:MM[:SS]` -> seconds since midnight; throws on anything else. */
export function parseLocalTime(text: string): number {
  const m = TIME.exec(text);
  if (!m) throw new Error(`invalid local time: ${text}`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
}

/** A deal's timing with the local times parsed once (seconds since midnight). */
export interface CompiledTiming {
  validFrom: number | null;
  validUntil: number | null;
  startSecond: number; // 0 when the deal has no start time
  endSecond: number; // 86400 when the deal has no end time
  days: Record<Weekday, boolean>;
}

export function compileTiming(deal: Omit<DealTiming, 'timeZone'>): CompiledTiming {
  return {
    validFrom: deal.validFrom,
    validUntil: deal.validUntil,
    startSecond: deal.startTime === null ? 0 : parseLocalTime(deal.startTime),
    endSecond: deal.endTime === null ? 86_400 : parseLocalTime(deal.endTime),
    days: deal.days,
  };
}

/** Liveness with the clock already computed for the deal's zone (no allocation, no parsing). */
export function isLiveOnClock(deal: CompiledTiming, clock: LocalClock): boolean {
  if (deal.validFrom !== null && clock.atMs < deal.validFrom) return false;
  if (deal.validUntil !== null && clock.atMs >= deal.validUntil) return false;
  const start = deal.startSecond;
  const end = deal.endSecond;
  const s = clock.secondOfDay;
  if (start === end || (start === 0 && end === 86_400)) return deal.days[clock.weekday];
  if (start < end) return deal.days[clock.weekday] && s >= start && s < end;
  // Spans midnight: the evening part belongs to today, the early-morning part to yesterday.
  if (s >= start) return deal.days[clock.weekday];
  if (s < end) return deal.days[clock.previousWeekday];
  return false;
}

export function isDealLive(deal: DealTiming, atMs: number): boolean {
  return isLiveOnClock(compileTiming(deal), localClock(atMs, deal.timeZone));
}
