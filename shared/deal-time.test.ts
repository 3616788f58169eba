import { compileTiming, isDealLive, isLiveOnClock, localClock, parseLocalTime, type DealTiming } from './deal-time';

const EVERY_DAY = { monday: true, tuesday: true, wednesday: true, thursday: true, friday: true, saturday: true, sunday: true };
const ONLY = (day: keyof typeof EVERY_DAY) => ({ ...Object.fromEntries(Object.keys(EVERY_DAY).map((d) => [d, false])), [day]: true }) as typeof EVERY_DAY;
const deal = (over: Partial<DealTiming> = {}): DealTiming => ({
  validFrom: null, validUntil: null, startTime: null, endTime: null, days: EVERY_DAY, timeZone: 'America/Phoenix', ...over,
});
const at = (iso: string) => Date.parse(iso);

// 2026-03-08 (Sunday) is the US spring-forward day: Chicago goes from UTC-6 to UTC-5; Phoenix stays UTC-7.
describe('isDealLive', () => {
  it('is open on both ends when validFrom/validUntil are null', () => {
    expect(isDealLive(deal(), at('2026-03-10T12:00:00Z'))).toBe(true);
  });

  it('treats validFrom as inclusive and validUntil as exclusive', () => {
    const d = deal({ validFrom: at('2026-03-01T07:00:00Z'), validUntil: at('2026-03-10T07:10:00Z') });
    expect(isDealLive(d, at('2026-03-01T07:00:00Z'))).toBe(true);
    expect(isDealLive(d, at('2026-03-01T06:59:59.999Z'))).toBe(false);
    expect(isDealLive(d, at('2026-03-10T07:09:59.999Z'))).toBe(true);
    expect(isDealLive(d, at('2026-03-10T07:10:00Z'))).toBe(false);
  });

  it('uses the store weekday, not the UTC one (the afternoon UTC rollover in Arizona)', () => {
    const tuesdayOnly = deal({ days: ONLY('tuesday') });
    // Monday 19:00 in Phoenix, already Tuesday in UTC.
    expect(isDealLive(tuesdayOnly, at('2026-03-10T02:00:00Z'))).toBe(false);
    // Tuesday 18:30 in Phoenix, already Wednesday in UTC.
    expect(isDealLive(tuesdayOnly, at('2026-03-11T01:30:00Z'))).toBe(true);
    // Tuesday 17:00 UTC = Tuesday 10:00 Phoenix.
    expect(isDealLive(tuesdayOnly, at('2026-03-10T17:00:00Z'))).toBe(true);
  });

  it('follows DST in Chicago and not in Arizona across the change', () => {
    const nineToFive = { startTime: '09:00:00', endTime: '17:00:00' };
    const phoenix = deal({ ...nineToFive, timeZone: 'America/Phoenix' });
    const chicago = deal({ ...nineToFive, timeZone: 'America/Chicago' });
    // Friday before the change, 14:30Z: Chicago (CST) 08:30, Phoenix 07:30 -> neither.
    expect(isDealLive(chicago, at('2026-03-06T14:30:00Z'))).toBe(false);
    expect(isDealLive(phoenix, at('2026-03-06T14:30:00Z'))).toBe(false);
    // Monday after the change, same UTC time: Chicago (CDT) 09:30 -> live; Phoenix still 07:30.
    expect(isDealLive(chicago, at('2026-03-09T14:30:00Z'))).toBe(true);
    expect(isDealLive(phoenix, at('2026-03-09T14:30:00Z'))).toBe(false);
    // End is exclusive in local time: 17:00 CDT = 22:00Z after the change.
    expect(isDealLive(chicago, at('2026-03-09T21:59:59Z'))).toBe(true);
    expect(isDealLive(chicago, at('2026-03-09T22:00:00Z'))).toBe(false);
    // ... while Phoenix's 17:00 is 00:00Z whatever the season.
    expect(isDealLive(phoenix, at('2026-03-09T23:59:59Z'))).toBe(true);
    expect(isDealLive(phoenix, at('2026-03-10T00:00:00Z'))).toBe(false);
  });

  it('keeps a whole-day deal on the right local day across the change', () => {
    const sundayOnly = deal({ days: ONLY('sunday'), timeZone: 'America/Chicago' });
    // Sunday 2026-03-08 23:30 CDT = Monday 04:30Z.
    expect(isDealLive(sundayOnly, at('2026-03-09T04:30:00Z'))).toBe(true);
    // Monday 00:00 CDT = 05:00Z.
    expect(isDealLive(sundayOnly, at('2026-03-09T05:00:00Z'))).toBe(false);
  });

  it('runs a window that ends before it starts across midnight, on the day it started', () => {
    const thursdayNight = deal({ days: ONLY('thursday'), startTime: '22:00:00', endTime: '02:00:00' });
    // Phoenix = UTC-7. Thursday 2026-03-12 23:00 local = Friday 06:00Z.
    expect(isDealLive(thursdayNight, at('2026-03-13T06:00:00Z'))).toBe(true);
    // Friday 01:59 local (still Thursday's night).
    expect(isDealLive(thursdayNight, at('2026-03-13T08:59:00Z'))).toBe(true);
    // Friday 02:00 local: over.
    expect(isDealLive(thursdayNight, at('2026-03-13T09:00:00Z'))).toBe(false);
    // Thursday 01:00 local belongs to Wednesday's night: not allowed.
    expect(isDealLive(thursdayNight, at('2026-03-12T08:00:00Z'))).toBe(false);
    // Thursday 21:59 local: not yet.
    expect(isDealLive(thursdayNight, at('2026-03-13T04:59:00Z'))).toBe(false);
  });

  it('treats a null start or end as the start or end of the day, and equal times as the whole day', () => {
    // Phoenix = UTC-7: 18:59:59Z is 11:59:59 local, 19:00Z is noon, 06:59Z is 23:59 local the day before.
    expect(isDealLive(deal({ startTime: '12:00:00' }), at('2026-03-10T18:59:59Z'))).toBe(false);
    expect(isDealLive(deal({ startTime: '12:00:00' }), at('2026-03-10T19:00:00Z'))).toBe(true);
    expect(isDealLive(deal({ startTime: '12:00:00' }), at('2026-03-11T06:59:00Z'))).toBe(true);
    expect(isDealLive(deal({ endTime: '12:00' }), at('2026-03-10T18:59:00Z'))).toBe(true);
    expect(isDealLive(deal({ endTime: '12:00' }), at('2026-03-10T19:00:00Z'))).toBe(false);
    expect(isDealLive(deal({ startTime: '00:00:00', endTime: '00:00:00' }), at('2026-03-10T18:00:00Z'))).toBe(true);
  });

  it('throws on an unknown zone and on malformed times', () => {
    expect(() => isDealLive(deal({ timeZone: 'Mars/Olympus' }), 0)).toThrow(/unknown time zone/);
    expect(() => parseLocalTime('25:00')).toThrow();
    expect(parseLocalTime('07:30:15')).toBe(27_015);
  });

  it('gives the same answer through the compiled fast path', () => {
    const d = deal({ days: ONLY('friday'), startTime: '22:00:00', endTime: '02:00:00', timeZone: 'America/Detroit' });
    const compiled = compileTiming(d);
    for (let t = at('2026-03-05T00:00:00Z'); t < at('2026-03-12T00:00:00Z'); t += 17 * 60_000) {
      expect(isLiveOnClock(compiled, localClock(t, d.timeZone))).toBe(isDealLive(d, t));
    }
  });
});
