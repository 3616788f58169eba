/**
 * The deals API's outage decisions, pure (issue 13): where a location's value comes from when Redis
 * or Postgres is out, and what health says. app.ts and inventory-routes.ts do the I/O.
 *
 *   Redis up                     -> Redis (a miss rebuilds from Postgres and writes it back)
 *   Redis out, value in memory   -> memory, re-checked against Postgres every `fallbackRefreshMs`
 *   Redis out, nothing in memory -> built from Postgres as the projector builds it
 *   Redis and Postgres out       -> memory however old; nothing held -> 503 (cache not ready)
 */
import type { HealthStatus } from '../../shared/ops';

/** ioredis states in which a command would only queue (reconnecting) or fail: skip Redis at once. */
const REDIS_DOWN_STATES = new Set(['reconnecting', 'end', 'close']);

/** Whether to ask Redis at all (a command sent while it reconnects waits for its retries: seconds). */
export function redisUsable(status: string): boolean {
  return !REDIS_DOWN_STATES.has(status);
}

/**
 * With Redis out: serve what memory holds while Postgres confirmed it (or Redis did) less than
 * `fallbackRefreshMs` ago, so deals changed in Postgres meanwhile still show; else ask Postgres.
 */
export function whileRedisOut(held: { confirmedAgoMs: number } | undefined, fallbackRefreshMs: number): 'memory' | 'postgres' {
  return held !== undefined && held.confirmedAgoMs < fallbackRefreshMs ? 'memory' : 'postgres';
}

/** Postgres failed too: anything held is better than nothing (the projector cannot write either). */
export function whenPostgresFails(held: boolean): 'memory' | 'unavailable' {
  return held ? 'memory' : 'unavailable';
}


/**
 * ok: Redis and Postgres answer. degraded: it can still serve (one of them answers, or memory holds
 * deals). down: nothing to serve from. A load balancer drains only on 503, so only `down` is one:
 * a Postgres outage alone must not take every instance out of rotation.
 */
export function healthOf(c: { redis: boolean; postgres: boolean; memory: boolean }): { status: HealthStatus; code: 200 | 503 } {
  if (c.redis && c.postgres) return { status: 'ok', code: 200 };
  if (c.redis || c.postgres || c.memory) return { status: 'degraded', code: 200 };
  return { status: 'down', code: 503 };
}

/** `p`, or a rejection with `timeoutError()` when it takes longer than `ms` (a hung Redis or Postgres must not hang requests). */
export function within<T>(p: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(timeoutError()), ms); });
  p.catch(() => undefined); // a late rejection is not unhandled
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
