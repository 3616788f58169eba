/**
 * The storefront's inventory endpoints (external-apis.md §4), read from the precomputed Redis
 * snapshot `inventory:{locationUUID}` (services/projector/inventory-projection.ts):
 *
 *   GET /api/locations/:id/inventory?category&brand&search&limit&offset -> {data, total, limit, offset}
 *   GET /api/locations/:id/inventory/:sku                              -> {data, discounts}
 *   GET /api/locations/:id/categories                                  -> {categories, masterCategories}
 *   GET /api/locations/:id/brands                                      -> {brands}
 *
 * Bad input is a 400 with a JSON reason; a location without a snapshot is a 404 (unknown or not
 * ready, as for /discounts). The parsed snapshot is cached per location by its etag, so a
 * request costs one HGET of a short field unless the snapshot changed.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Redis } from '../../shared/redis';
import type { InventorySnapshot } from '../../shared/inventory/snapshot';
import { SNAPSHOT_FORMAT } from '../../shared/inventory/snapshot';
import { brandsOf, categoriesOf, LiveSnapshot } from '../../shared/inventory/storefront';

export interface InventoryRoutesDeps {
  redis: Redis;
  inventoryKey: (locationId: string) => string;
  now: () => number;
}

const locationId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a location id');
const text = z.string().trim().min(1).max(200);
const listQuery = z.object({
  category: text.optional(),
  brand: text.optional(),
  search: text.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
const skuParam = z.string().min(1).max(100);

/** parsed snapshots kept in memory (one per location; the oldest goes first) */
const MAX_CACHED = 200;

type Loaded = { kind: 'ok'; snapshot: InventorySnapshot } | { kind: 'bad'; reason: string } | { kind: 'missing' };

export function inventoryRoutes(deps: InventoryRoutesDeps): Router {
  const cache = new Map<string, { etag: string; snapshot: InventorySnapshot }>();

  async function load(rawId: unknown): Promise<Loaded> {
    const id = locationId.safeParse(rawId);
    if (!id.success) return { kind: 'bad', reason: 'location id must be a UUID-like id' };
    const key = deps.inventoryKey(id.data);
    const etag = await deps.redis.hget(key, 'etag');
    if (etag === null) return { kind: 'missing' };
    const cached = cache.get(id.data);
    if (cached?.etag === etag) return { kind: 'ok', snapshot: cached.snapshot };
    const [etagNow, text] = await deps.redis.hmget(key, 'etag', 'snapshot');
    if (etagNow == null || text == null) return { kind: 'missing' };
    const snapshot = JSON.parse(text) as InventorySnapshot; // written by our own projector
    if (snapshot.format !== SNAPSHOT_FORMAT) return { kind: 'missing' };
    cache.delete(id.data);
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!); // bounded: drop the oldest
    cache.set(id.data, { etag: etagNow, snapshot });
    return { kind: 'ok', snapshot };
  }

  const bad = (res: Response, reason: string): void => void res.status(400).json({ error: 'bad_request', reason });
  const missing = (res: Response): void => void res.status(404).json({ error: 'not_found', reason: 'unknown location or inventory not ready' });

  /** Loads the snapshot or answers 400/404; runs `then` with it. */
  const withSnapshot = (then: (req: Request, res: Response, s: InventorySnapshot) => void) => async (req: Request, res: Response): Promise<void> => {
    const loaded = await load(req.params.id);
    switch (loaded.kind) {
      case 'bad': return bad(res, loaded.reason);
      case 'missing': return missing(res);
      case 'ok': return then(req, res, loaded.snapshot);
      default: {
        const _exhaustive: never = loaded;
        return _exhaustive;
      }
    }
  };

  const router = Router();
  router.get('/api/locations/:id/inventory', withSnapshot((req, res, s) => {
    const q = listQuery.safeParse(req.query);
    if (!q.success) return bad(res, q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    res.json(new LiveSnapshot(s, deps.now()).list(q.data));
  }));
  router.get('/api/locations/:id/inventory/:sku', withSnapshot((req, res, s) => {
    const sku = skuParam.safeParse(req.params.sku);
    if (!sku.success) return bad(res, 'sku must be 1-100 characters');
    const item = new LiveSnapshot(s, deps.now()).bySku(sku.data);
    if (item === null) return void res.status(404).json({ error: 'not_found', reason: 'no item with this sku' });
    res.json({ data: item, discounts: item.deals });
  }));
  router.get('/api/locations/:id/categories', withSnapshot((_req, res, s) => void res.json(categoriesOf(s))));
  router.get('/api/locations/:id/brands', withSnapshot((_req, res, s) => void res.json(brandsOf(s))));
  return router;
}
