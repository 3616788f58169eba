/**
 * Retries with exponential backoff and full jitter, honouring a server's Retry-After. A call is
 * retried only when it failed with a RetryableError; anything else fails at once.
 */
export class RetryableError extends Error {
  constructor(message: string, readonly retryAfterMs?: number) { super(message); }
}

export interface RetryPolicy {
  retries: number;
  baseMs: number;
  maxMs: number;
  /** cap on an honoured Retry-After (a server asking for an hour does not stall the cycle) */
  maxRetryAfterMs: number;
}

export interface RetryDeps {
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  onRetry?: (attempt: number, delayMs: number, error: RetryableError) => void;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The wait before retry number `attempt` (1-based): Retry-After when given, else full jitter. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, deps: RetryDeps): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (!(e instanceof RetryableError) || attempt >= policy.retries) throw e;
      const delay = backoffDelay(policy, attempt + 1, deps.random, e.retryAfterMs);
      deps.onRetry?.(attempt + 1, delay, e);
      await deps.sleep(delay);
    }
  }
}

/** Parses Retry-After (seconds or an HTTP date) into ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * At most `perMinute` calls per key in any sliding minute (Dutchie: 120/min per POS key).
 * `acquire` waits until a slot is free.
 */
export class KeyRateLimiter {
  private readonly hits = new Map<string, number[]>();
  constructor(private readonly perMinute: number, private readonly now: () => number, private readonly wait: (ms: number) => Promise<void> = sleep) {}

  async acquire(key: string): Promise<void> {
    for (;;) {
      const t = this.now();
      const recent = (this.hits.get(key) ?? []).filter((x) => x > t - 60_000);
      if (recent.length < this.perMinute) {
        recent.push(t);
        this.hits.set(key, recent);
        return;
      }
      this.hits.set(key, recent);
      await this.wait(recent[0]! + 60_000 - t + 1);
    }
  }
}
