/**
 * The storefront's inventory endpoints (storefront-contract.md), read from the precomputed Redis
 * snapshot `inventory:{locationId}` (services/projector/inventory-projection.ts):
 *
 *   GET /api/locations/:id/inventory?category&brand&search&limit&offset -> {data, total, limit, offset}
 *   GET /api/locations/:id/inventory/:sku                              -> {data, discounts}
 *   GET /api/locations/:id/categories                                  -> {categories, masterCategories}
 *   GET /api/locations/:id/brands                                      -> {brands}
 *
 * A location id that is malformed, unknown or has no snapshot yet is a 404 with the original's body
 * (the storefront shows "Location not found or cache not ready"; it never gets a 400 for a path id).
 * A malformed query value is a 400 with a reason. A request costs one HGET of the short etag field;
 * the snapshot is fetched and compiled (shared/inventory/storefront.ts) only when it changed.
 * While Redis is out (`fallback`), or holds no snapshot for the location (it came back empty), the
 * held snapshot is served, re-checked against the one built from Postgres every `fallback.refreshMs`;
 * a location not held is built from Postgres; one with no package there is not synced (404).
 */
import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Redis } from '../../shared/redis';
import { isLocationId } from '../../shared/location-id';
import { SNAPSHOT_FORMAT, type InventorySnapshot } from '../../shared/inventory/snapshot';
import { ServedInventory, type InventoryQuery } from '../../shared/inventory/storefront';
import { whenPostgresFails, whileRedisOut } from './fallback';

export interface InventoryRoutesDeps {
  redis: Redis;
  inventoryKey: (locationId: string) => string;
  now: () => number;
  /** the location's live deals with these ids, as `/discounts` serves them (JSON texts) */
  discountsOf: (locationId: string, dealIds: readonly string[], nowMs: number) => Promise<string[]>;
  /** bytes of compiled snapshots kept in memory (the least recently used go first) */
  cacheBytes?: number;
  /** the Cache-Control of a 200 (as /discounts sends it) */
  cacheControl?: string;
  /** ids the API knows are no store (its known-stores set, its negative cache): answered 404 without asking Redis */
  isKnownUnknown?: (locationId: string) => boolean | Promise<boolean>;
  /** serving while Redis is out (fallback.ts); without it a Redis error is the request's error */
  fallback?: InventoryFallback;
  /** how long (ms) a location's snapshot etag check may be reused, as for /discounts (0: every request) */
  versionCheckMs?: number;
}

export interface InventoryFallback {
  /** false while Redis is known to be out (skip it at once) */
  redisUsable: () => boolean;
  /** a Redis call bounded in time */
  redisCall: <T>(p: Promise<T>) => Promise<T>;
  onRedisError: (err: unknown) => void;
  /** the snapshot the projector would write, from Postgres (shared/inventory/from-db.ts); null = nothing synced */
  build: (locationId: string) => Promise<InventorySnapshot | null>;
  /** while Redis is out, how long a held snapshot is served before Postgres is asked again */
  refreshMs: number;
}

/** The original service's error bodies (never read by the storefront, kept for fidelity). */
export const NOT_FOUND = { location: { error: 'Location not found or cache not ready' }, item: { error: 'Item not found' } } as const;

/** A query value: absent or empty = no filter (as the original's `if (category)`), repeated = 400. */
const filterText = z.string().max(200, 'at most 200 characters').optional().transform((v) => (v === undefined || v === '' ? undefined : v));
export const inventoryQuery = z.object({
  category: filterText,
  brand: filterText,
  search: filterText,
  // the pages ask for 500 per page; the original had no cap, ours keeps one page's JSON bounded
  limit: z.coerce.number().int('limit must be an integer').min(0).max(10_000).default(100),
  offset: z.coerce.number().int('offset must be an integer').min(0).max(10_000_000).default(0),
});

const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

export function inventoryRoutes(deps: InventoryRoutesDeps): Router {
  const cache = new Map<string, ServedInventory>();
  const budget = deps.cacheBytes ?? DEFAULT_CACHE_BYTES;
  const versionCheckMs = deps.versionCheckMs ?? 0;
  /** per location: when its etag was last confirmed (monotonic ms) */
  const checkedAt = new Map<string, number>();
  let held = 0;

  function remember(id: string, served: ServedInventory): void {
    const old = cache.get(id);
    if (old !== undefined) { cache.delete(id); held -= old.size; }
    cache.set(id, served);
    held += served.size;
    while (held > budget && cache.size > 1) {
      const [oldestId, oldest] = cache.entries().next().value!;
      cache.delete(oldestId);
      checkedAt.delete(oldestId);
      held -= oldest.size;
    }
  }

  async function load(rawId: unknown): Promise<ServedInventory | null> {
    if (!isLocationId(rawId)) return null;
    const notAStore = deps.isKnownUnknown?.(rawId);
    if (notAStore === true || (notAStore instanceof Promise && (await notAStore))) return null;
    const cached = cache.get(rawId);
    // within the window the projector's last snapshot is served from memory (it replaces the
    // snapshot atomically; Cache-Control lets clients keep a page for longer anyway)
    if (cached !== undefined && versionCheckMs > 0 && performance.now() - (checkedAt.get(rawId) ?? -Infinity) < versionCheckMs) return cached;
    const started = performance.now();
    const f = deps.fallback;
    if (f === undefined) { const r = await fromRedis(rawId, cached, started, (p) => p); return r === 'miss' ? null : r; }
    if (f.redisUsable()) {
      try {
        const r = await fromRedis(rawId, cached, started, f.redisCall);
        // a miss (a Redis that came back empty) is built from Postgres like an outage, until the projector writes the snapshot again
        if (r !== 'miss') return r;
      } catch (err) {
        f.onRedisError(err);
      }
    }
    return fromPostgres(f, rawId, cached, started);
  }

  /** Redis out or without the snapshot: the held snapshot for a while, else the projector's snapshot built from Postgres. */
  async function fromPostgres(f: InventoryFallback, id: string, cached: ServedInventory | undefined, started: number): Promise<ServedInventory | null> {
    if (cached !== undefined && whileRedisOut({ confirmedAgoMs: started - (checkedAt.get(id) ?? -Infinity) }, f.refreshMs) === 'memory') return cached;
    let snapshot: InventorySnapshot | null;
    try {
      snapshot = await f.build(id);
    } catch (err) {
      if (whenPostgresFails(cached !== undefined) === 'memory' && cached !== undefined) return cached;
      throw err;
    }
    if (snapshot === null) return null;
    // its own etag, from the content (not computedAt): an unchanged snapshot is not compiled again
    const etag = `pg:${createHash('sha1').update(JSON.stringify({ ...snapshot, computedAt: 0 })).digest('base64url')}`;
    checkedAt.set(id, started);
    if (cached?.etag === etag) return cached;
    const served = new ServedInventory(snapshot, etag);
    remember(id, served);
    return served;
  }

  async function fromRedis(rawId: string, cached: ServedInventory | undefined, started: number, call: <T>(p: Promise<T>) => Promise<T>): Promise<ServedInventory | null | 'miss'> {
    const key = deps.inventoryKey(rawId);
    const etag = await call(deps.redis.hget(key, 'etag'));
    if (etag === null) return 'miss';
    if (cached?.etag === etag) {
      cache.delete(rawId); cache.set(rawId, cached); // most recently used last
      checkedAt.set(rawId, started);
      return cached;
    }
    const [etagNow, text] = await call(deps.redis.hmget(key, 'etag', 'snapshot'));
    if (etagNow == null || text == null) return 'miss';
    const snapshot = JSON.parse(text) as InventorySnapshot; // written by our own projector
    if (snapshot.format !== SNAPSHOT_FORMAT) return null; // an older projector's: not ready for this API
    const served = new ServedInventory(snapshot, etagNow);
    remember(rawId, served);
    checkedAt.set(rawId, started);
    return served;
  }

  const sendJson = (res: Response, text: string | Buffer): void => {
    if (deps.cacheControl !== undefined) res.setHeader('Cache-Control', deps.cacheControl);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(text);
  };
  const bad = (res: Response, reason: string): void => void res.status(400).json({ error: 'bad_request', reason });
  const missing = (res: Response): void => void res.status(404).json(NOT_FOUND.location);

  /** Loads the snapshot or answers 404; runs `then` with it. */
  const withInventory = (then: (req: Request, res: Response, s: ServedInventory) => void | Promise<void>) => async (req: Request, res: Response): Promise<void> => {
    const served = await load(req.params.id);
    if (served === null) return missing(res);
    return then(req, res, served);
  };

  const router = Router();
  router.get('/api/locations/:id/inventory', withInventory((req, res, s) => {
    const q = inventoryQuery.safeParse(req.query);
    if (!q.success) return bad(res, q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    sendJson(res, s.list(q.data satisfies InventoryQuery, deps.now()));
  }));
  router.get('/api/locations/:id/inventory/:sku', withInventory(async (req, res, s) => {
    const sku = req.params.sku;
    const now = deps.now();
    const found = typeof sku === 'string' ? s.bySku(sku, now) : null;
    if (found === null) return void res.status(404).json(NOT_FOUND.item);
    const discounts = await deps.discountsOf(req.params.id as string, found.dealIds, now);
    sendJson(res, `{"data":${found.text},"discounts":[${discounts.join(',')}]}`);
  }));
  router.get('/api/locations/:id/categories', withInventory((_req, res, s) => sendJson(res, s.categories())));
  router.get('/api/locations/:id/brands', withInventory((_req, res, s) => sendJson(res, s.brands())));
  return router;
}
