import { aDeal } from '../../test/support/matching';
import { isDealLive, liveAt } from './live';

const at = (iso: string): number => Date.parse(iso);
const ONLY = (day: string) => ({ monday: false, tuesday: false, wednesday: false, thursday: false, friday: false, saturday: false, sunday: false, [day]: true });

describe('day/time windows in the store time zone', () => {
  // Illinois: DST starts Sunday 2026-03-08 02:00 local (UTC-6 -> UTC-5)
  const chicagoSundayEvening = aDeal({ timeZone: 'America/Chicago', days: ONLY('sunday'), startTime: '16:00:00', endTime: '20:00:00' });

  it('keeps the local window across the spring DST change (the UTC window moves by an hour)', () => {
    // before: CST, 16:00 local = 22:00Z
    expect(isDealLive(chicagoSundayEvening, at('2026-03-01T21:30:00Z'))).toBe(false); // 15:30 CST
    expect(isDealLive(chicagoSundayEvening, at('2026-03-01T22:30:00Z'))).toBe(true); // 16:30 CST
    expect(isDealLive(chicagoSundayEvening, at('2026-03-02T01:30:00Z'))).toBe(true); // 19:30 CST
    // after: CDT, 16:00 local = 21:00Z
    expect(isDealLive(chicagoSundayEvening, at('2026-03-08T21:30:00Z'))).toBe(true); // 16:30 CDT
    expect(isDealLive(chicagoSundayEvening, at('2026-03-09T01:30:00Z'))).toBe(false); // 20:30 CDT
  });

  it('keeps the local window across the autumn DST change', () => {
    // DST ends Sunday 2026-11-01 02:00 local (UTC-5 -> UTC-6)
    expect(isDealLive(chicagoSundayEvening, at('2026-11-01T21:30:00Z'))).toBe(false); // 15:30 CST
    expect(isDealLive(chicagoSundayEvening, at('2026-11-01T22:30:00Z'))).toBe(true); // 16:30 CST
    expect(isDealLive(chicagoSundayEvening, at('2026-10-25T21:30:00Z'))).toBe(true); // 16:30 CDT
  });

  it('Arizona has no DST: the same UTC instants give the same answer in March', () => {
    const phoenix = aDeal({ timeZone: 'America/Phoenix', days: ONLY('sunday'), startTime: '16:00:00', endTime: '20:00:00' });
    expect(isDealLive(phoenix, at('2026-03-01T23:30:00Z'))).toBe(true); // 16:30 MST
    expect(isDealLive(phoenix, at('2026-03-08T23:30:00Z'))).toBe(true);
    expect(isDealLive(phoenix, at('2026-03-08T22:30:00Z'))).toBe(false); // 15:30 MST
  });

  it('takes the weekday from the store date, not the UTC date (Arizona afternoon rollover)', () => {
    const mondays = aDeal({ timeZone: 'America/Phoenix', days: ONLY('monday') });
    expect(isDealLive(mondays, at('2026-03-09T02:00:00Z'))).toBe(false); // Sunday 19:00 MST, Monday in UTC
    expect(isDealLive(mondays, at('2026-03-09T08:00:00Z'))).toBe(true); // Monday 01:00 MST
  });

  it('validUntil is exclusive and validFrom inclusive', () => {
    const d = aDeal({ validFrom: at('2026-03-01T07:00:00Z'), validUntil: at('2026-03-09T07:10:00Z') });
    expect(isDealLive(d, at('2026-03-01T06:59:59Z'))).toBe(false);
    expect(isDealLive(d, at('2026-03-01T07:00:00Z'))).toBe(true);
    expect(isDealLive(d, at('2026-03-09T07:09:59Z'))).toBe(true);
    expect(isDealLive(d, at('2026-03-09T07:10:00Z'))).toBe(false);
  });

  it('a window crossing midnight is live late and early', () => {
    const late = aDeal({ timeZone: 'America/Phoenix', startTime: '22:00:00', endTime: '02:00:00' });
    expect(isDealLive(late, at('2026-03-10T06:00:00Z'))).toBe(true); // 23:00 MST
    expect(isDealLive(late, at('2026-03-10T08:30:00Z'))).toBe(true); // 01:30 MST
    expect(isDealLive(late, at('2026-03-10T19:00:00Z'))).toBe(false); // 12:00 MST
  });
});

describe('matching liveness is total', () => {
  it('a deal with an unknown zone or a malformed time is simply not live (never throws)', () => {
    expect(isDealLive(aDeal({ timeZone: 'Mars/Olympus' }), at('2026-03-10T19:00:00Z'))).toBe(false);
    expect(isDealLive(aDeal({ startTime: '25:99' }), at('2026-03-10T19:00:00Z'))).toBe(false);
    expect(liveAt(at('2026-03-10T19:00:00Z'))(aDeal({ timeZone: 'Mars/Olympus' }))).toBe(false);
  });

  it('liveAt (clock cached per zone) agrees with isDealLive', () => {
    const instants = ['2026-03-01T21:30:00Z', '2026-03-08T21:30:00Z', '2026-03-09T02:00:00Z', '2026-11-01T22:30:00Z'].map(at);
    const deals = [
      aDeal({ timeZone: 'America/Chicago', days: ONLY('sunday'), startTime: '16:00:00', endTime: '20:00:00' }),
      aDeal({ timeZone: 'America/Phoenix', days: ONLY('monday') }),
      aDeal({ timeZone: 'America/Detroit', startTime: '22:00:00', endTime: '02:00:00' }),
    ];
    for (const t of instants) {
      const live = liveAt(t);
      for (const d of deals) expect(live(d)).toBe(isDealLive(d, t));
    }
  });
});
