import { healthOf, redisUsable, whenPostgresFails, whileRedisOut, within } from './fallback';

describe('deals API outage decisions', () => {
  it('skips Redis at once while ioredis reconnects or is closed, asks it otherwise', () => {
    expect(['ready', 'connect', 'connecting', 'wait'].map(redisUsable)).toEqual([true, true, true, true]);
    expect(['reconnecting', 'end', 'close'].map(redisUsable)).toEqual([false, false, false]);
  });

  it('with Redis out serves memory while a source confirmed it recently, else asks Postgres', () => {
    expect(whileRedisOut({ confirmedAgoMs: 1_000 }, 5_000)).toBe('memory');
    expect(whileRedisOut({ confirmedAgoMs: 5_000 }, 5_000)).toBe('postgres');
    expect(whileRedisOut(undefined, 5_000)).toBe('postgres');
  });

  it('with Postgres failing too, serves whatever memory holds, else nothing', () => {
    expect(whenPostgresFails(true)).toBe('memory');
    expect(whenPostgresFails(false)).toBe('unavailable');
  });

  it('health: ok with both, degraded (200) while it can serve, down (503) with nothing to serve from', () => {
    expect(healthOf({ redis: true, postgres: true, memory: false })).toEqual({ status: 'ok', code: 200 });
    expect(healthOf({ redis: true, postgres: false, memory: false })).toEqual({ status: 'degraded', code: 200 }); // Postgres alone out: no drain
    expect(healthOf({ redis: false, postgres: true, memory: false })).toEqual({ status: 'degraded', code: 200 });
    expect(healthOf({ redis: false, postgres: false, memory: true })).toEqual({ status: 'degraded', code: 200 });
    expect(healthOf({ redis: false, postgres: false, memory: false })).toEqual({ status: 'down', code: 503 });
  });

  it('bounds a call that hangs', async () => {
    await expect(within(new Promise(() => undefined), 20, () => new Error('late'))).rejects.toThrow('late');
    await expect(within(Promise.resolve(7), 1_000, () => new Error('late'))).resolves.toBe(7);
  });
});
