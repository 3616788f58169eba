/**
 * What keeps the public deals API cheap to attack (issue 17): bounded metric labels, a rate limit
 * per client address, and a negative cache of unknown location ids.
 */
import net from 'node:net';
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';

/**
 * The route template of a path, for metric labels: one of a fixed set, never anything the client
 * chose (a label per made-up SKU or sub-path grew /metrics by ~1 MB per 900 requests, never freed).
 */
const TEMPLATES: Array<[RegExp, string]> = [
  [/^\/api\/locations\/[^/]+\/discounts\/?$/, '/api/locations/:id/discounts'],
  [/^\/api\/locations\/[^/]+\/inventory\/?$/, '/api/locations/:id/inventory'],
  [/^\/api\/locations\/[^/]+\/inventory\/[^/]+\/?$/, '/api/locations/:id/inventory/:sku'],
  [/^\/api\/locations\/[^/]+\/categories\/?$/, '/api/locations/:id/categories'],
  [/^\/api\/locations\/[^/]+\/brands\/?$/, '/api/locations/:id/brands'],
  [/^\/api\/locations\/[^/]+\/sync-status\/?$/, '/api/locations/:id/sync-status'],
  [/^\/api\/locations\/?$/, '/api/locations'],
  [/^\/health\/?$/, '/health'],
  [/^\/health\/live\/?$/, '/health/live'],
  [/^\/health\/ready\/?$/, '/health/ready'],
  [/^\/metrics\/?$/, '/metrics'],
  [/^\/openapi\.json$/, '/openapi.json'],
];

export function routeTemplate(path: string): string {
  for (const [re, template] of TEMPLATES) if (re.test(path)) return template;
  return 'unmatched';
}

/** Location ids known not to exist, for a while: answering them again costs no Redis or Postgres. */
export interface NegativeCache {
  has(id: string): boolean;
  add(id: string): void;
  readonly size: number;
}

export function createNegativeCache(opts: { ttlMs: number; max: number; now: () => number }): NegativeCache {
  const until = new Map<string, number>();
  return {
    has(id) {
      const t = until.get(id);
      if (t === undefined) return false;
      if (t > opts.now()) return true;
      until.delete(id);
      return false;
    },
    add(id) {
      if (opts.ttlMs <= 0) return;
      until.delete(id);
      // bounded: a flood of made-up ids pushes out the oldest, it never grows the process
      if (until.size >= opts.max) until.delete(until.keys().next().value!);
      until.set(id, opts.now() + opts.ttlMs);
    },
    get size() { return until.size; },
  };
}

export interface RateLimitOptions {
  /** requests per minute per client address; 0 = no limit */
  perMinute: number;
  /** addresses or CIDR blocks that are never limited (the storefront's own egress, a CDN) */
  exempt: readonly string[];
  onLimited?: () => void;
}

/** A BlockList of `1.2.3.4`, `10.0.0.0/8`, `2001:db8::/32` entries; throws on a malformed one. */
export function addressList(entries: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/');
    const type = net.isIPv6(address ?? '') ? 'ipv6' : 'ipv4';
    if (!net.isIP(address ?? '')) throw new Error(`not an IP address or CIDR block: ${entry}`);
    if (bits === undefined) list.addAddress(address!, type);
    else list.addSubnet(address!, Number(bits), type);
  }
  return list;
}

/**
 * A fixed one-minute window per client address (express-rate-limit's memory store); past it a 429
 * with `Retry-After` and a reason. The client address is express's `req.ip`, so behind a proxy set
 * TRUST_PROXY for it to be the real one.
 */
export function rateLimiter(opts: RateLimitOptions): RequestHandler {
  const exempt = addressList(opts.exempt);
  return rateLimit({
    windowMs: 60_000,
    limit: opts.perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // X-Forwarded-For is only believed with TRUST_PROXY (express's 'trust proxy'); the library's
    // console warning about it would be noise in our JSON logs, the README says how to set it
    validate: { xForwardedForHeader: false },
    skip: (req) => opts.perMinute <= 0 || (req.ip !== undefined && net.isIP(req.ip) !== 0 && exempt.check(req.ip, net.isIPv6(req.ip) ? 'ipv6' : 'ipv4')),
    handler: (_req, res, _next, options) => {
      opts.onLimited?.();
      res.status(options.statusCode).json({ error: 'rate_limited', reason: `more than ${opts.perMinute} requests a minute from this address: retry after the time Retry-After gives` });
    },
  });
}
