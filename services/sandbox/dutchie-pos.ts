/**
 * Sandbox Dutchie POS API: `GET /discounts/v2/list` with HTTP Basic (username = the LSP's key,
 * empty password), `includeInactive`, `includeInclusionExclusionData`, `includePaymentRestrictions`,
 * a bare camelCase array, and 120 requests/min per key (429 + Retry-After beyond).
 */
import { Router } from 'express';
import type { FaultBox } from './faults';
import { selectionIsIdentity } from './handler';
import type { DutchieState } from './state';

/** Sliding one-minute window per key. */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();
  constructor(private readonly perMinute: number, private readonly now: () => number = Date.now) {}

  /** 0 when allowed (and counted), else the seconds to wait. */
  take(key: string): number {
    const t = this.now();
    const recent = (this.hits.get(key) ?? []).filter((x) => x > t - 60_000);
    if (recent.length >= this.perMinute) {
      this.hits.set(key, recent);
      return Math.max(1, Math.ceil((recent[0]! + 60_000 - t) / 1000));
    }
    recent.push(t);
    this.hits.set(key, recent);
    return 0;
  }
}

const flag = (v: unknown): boolean => typeof v === 'string' && v.toLowerCase() === 'true';

export function basicUser(header: string | undefined): string | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i === -1 ? decoded : decoded.slice(0, i);
}

export function posRouter(state: DutchieState, faults: FaultBox, limiter: RateLimiter): Router {
  const r = Router();
  // GET /whoami: the key's store (external-apis.md §5), how a store with a POS key finds its LocId.
  r.get('/whoami', (req, res) => {
    const key = basicUser(req.headers.authorization);
    const who = key === undefined ? undefined : state.whoami(key);
    if (key === undefined || who === undefined) {
      res.status(401).set('WWW-Authenticate', 'Basic realm="Dutchie"').json({ message: 'Authorization has been denied for this request.' });
      return;
    }
    const wait = limiter.take(key);
    if (wait > 0) { res.status(429).set('Retry-After', String(wait)).json({ message: 'API calls quota exceeded! maximum admitted 120 per 1m.' }); return; }
    res.json(who);
  });
  r.get('/discounts/v2/list', async (req, res) => {
    const key = basicUser(req.headers.authorization);
    const lspId = key === undefined ? undefined : state.lspOfKey(key);
    if (key === undefined || lspId === undefined) {
      res.status(401).set('WWW-Authenticate', 'Basic realm="Dutchie"').json({ message: 'Authorization has been denied for this request.' });
      return;
    }
    const fault = await faults.apply('pos.list', { lspId }, res);
    if (fault === 'answered') return;
    const wait = limiter.take(key);
    if (wait > 0) {
      res.status(429).set('Retry-After', String(wait)).json({ message: 'API calls quota exceeded! maximum admitted 120 per 1m.' });
      return;
    }
    const feed = state.feed(lspId)!;
    const flags = {
      includeInactive: flag(req.query.includeInactive), includeInclusionExclusionData: flag(req.query.includeInclusionExclusionData),
      includePaymentRestrictions: flag(req.query.includePaymentRestrictions),
    };
    // The recorded feed is served byte for byte when nothing would change it.
    if (feed.verbatim !== undefined && fault === 'go' && selectionIsIdentity([...feed.deals.values()], flags)) {
      res.status(200).type('application/json').send(feed.verbatim);
      return;
    }
    // Records never changed keep their recorded text (as the real API would keep its formatting).
    const text = state.posListBody(lspId, flags);
    res.status(200).type('application/json').send(fault === 'truncate' ? text.slice(0, Math.floor(text.length / 2)) : text);
  });
  return r;
}
