/**
 * Sandbox Dutchie inventory endpoints:
 *  - POS `GET /reporting/inventory`: HTTP Basic (username = the API key, empty password), 60
 *    requests/min per key like every `/reporting/*` call, 429 with Retry-After beyond it; replies
 *    with a bare camelCase array. The sandbox issues one key per LSP (not per location as real
 *    Dutchie does), so an LSP with several stores names the store with `?LocId=`; a key is never
 *    allowed another LSP's store.
 *  - Backoffice `POST /api/v2/inventory/get-inventory`: body {SessionId, LspId, OrgId, UserId,
 *    LocId}; the session is checked by the sandbox's Backoffice login (a dependency here);
 *    replies `{Result: true, Data: [PascalCase records], Message: null}`.
 * Mounted by the sandbox's POS and Backoffice apps once the sandbox lands.
 */
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { toBackoffice, type DutchieInventoryRecord } from './inventory';

export interface SandboxInventoryDeps {
  /** the POS LocIds a POS API key may read (undefined: unknown key) */
  storesOfKey: (key: string) => readonly number[] | undefined;
  /** the inventory of a store by POS LocId (undefined: unknown store) */
  inventory: (posLocId: number) => DutchieInventoryRecord[] | undefined;
  now: () => number;
  /** requests per minute per key (Dutchie: 60 for /reporting/*) */
  reportingPerMinute?: number;
  /** Backoffice: whether this session may read this LocId (the sandbox's login decides) */
  backofficeSession?: (body: BackofficeInventoryRequest, req: Request) => boolean;
}

const locIdQuery = z.coerce.number().int().optional();

export const backofficeInventoryRequest = z.object({
  SessionId: z.string().min(1), LspId: z.number().int(), OrgId: z.number().int(), UserId: z.number().int(), LocId: z.number().int(),
});
export type BackofficeInventoryRequest = z.infer<typeof backofficeInventoryRequest>;

/** Sliding one-minute window per key. */
export function createRateLimiter(perMinute: number, now: () => number) {
  const hits = new Map<string, number[]>();
  return (key: string): { ok: true } | { ok: false; retryAfterS: number } => {
    const t = now();
    const recent = (hits.get(key) ?? []).filter((x) => x > t - 60_000);
    if (recent.length >= perMinute) {
      hits.set(key, recent);
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((recent[0]! + 60_000 - t) / 1000)) };
    }
    recent.push(t);
    hits.set(key, recent);
    return { ok: true };
  };
}

function basicUser(header: string | undefined): string | null {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i === -1 ? null : decoded.slice(0, i);
}

export function sandboxInventoryRoutes(deps: SandboxInventoryDeps): Router {
  const limit = createRateLimiter(deps.reportingPerMinute ?? 60, deps.now);
  const router = Router();

  router.get('/reporting/inventory', (req, res) => {
    const key = basicUser(req.headers.authorization);
    const stores = key === null ? undefined : deps.storesOfKey(key);
    if (key === null || stores === undefined) return void res.status(401).json({ message: 'Authorization has been denied for this request.' });
    const allowed = limit(key);
    if (!allowed.ok) return void res.status(429).set('Retry-After', String(allowed.retryAfterS)).json({ message: 'Too many requests' });
    const asked = locIdQuery.safeParse(req.query.LocId);
    if (!asked.success) return void res.status(400).json({ message: 'LocId must be an integer' });
    const locId = asked.data ?? (stores.length === 1 ? stores[0] : undefined);
    if (locId === undefined) return void res.status(400).json({ message: 'this key has several stores: name one with LocId' });
    if (!stores.includes(locId)) return void res.status(403).json({ message: 'this key may not read that store' });
    const items = deps.inventory(locId);
    if (items === undefined) return void res.status(404).json({ message: 'Location not found' });
    res.json(items);
  });

  router.post('/api/v2/inventory/get-inventory', express.json(), (req, res) => {
    const body = backofficeInventoryRequest.safeParse(req.body);
    if (!body.success) return void res.status(400).json({ Result: false, Data: null, Message: 'Invalid request' });
    if (deps.backofficeSession === undefined || !deps.backofficeSession(body.data, req)) {
      return void res.status(401).json({ Result: false, Data: null, Message: 'Invalid session' });
    }
    const items = deps.inventory(body.data.LocId);
    if (items === undefined) return void res.json({ Result: false, Data: null, Message: 'Location not found' });
    res.json({ Result: true, Data: toBackoffice(items), Message: null });
  });
  return router;
}
