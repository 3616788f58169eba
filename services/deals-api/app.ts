/**
 * The storefront's deals API (external-apis.md §4), express 5. Redis first; on a miss the value
 * is rebuilt from Postgres with the same mapping as the projector and written back (SET NX, so a
 * newer value the projector wrote meanwhile is never overwritten with an older one).
 * Outages (fallback.ts): with Redis out it serves what memory holds, then Postgres; with Postgres
 * out, Redis and memory. Only ids in `locations` are served (known-stores.ts), when configured.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';
import { z } from 'zod';
import type { Kysely } from '../../shared/db/db';
import type { Database } from '../../shared/db/schema';
import type { Logger } from '../../shared/logger';
import { redisKeys, type Redis } from '../../shared/redis';
import { buildLocationValue, valueVersion } from '../../shared/storefront';
import { isLocationId } from '../../shared/location-id';
import { loadDealsFromDb, loadInventoryItems, snapshotFromDb } from '../../shared/inventory/from-db';
import { createNegativeCache, rateLimiter, routeTemplate, type RateLimitOptions } from './abuse';
import { healthOf, redisUsable, whenPostgresFails, whileRedisOut, within } from './fallback';
import { compileLocation, etagMatches, fragmentsOf, liveBody, type CompiledLocation } from './handler';
import { inventoryRoutes, NOT_FOUND } from './inventory-routes';
import { createKnownStores, type KnownStores, type StoreVerdict } from './known-stores';
import { openApiDocument } from './openapi';

export interface DealsApiDeps {
  db: Kysely<Database>;
  redis: Redis;
  redisPrefix: string;
  logger: Logger;
  metrics: Registry;
  corsOrigins: string[];
  cacheMaxAgeS: number;
  retryAfterS: number;
  now?: () => number;
  /**
   * How long (ms) a location's version check may be reused: within it, requests for that location
   * are served from memory without a Redis round trip. 0 (default) = check on every request.
   * Safe because the projector swaps value and version atomically and Cache-Control already lets
   * clients keep a list for cacheMaxAgeS; main.ts sets it from VERSION_CHECK_MS (default 200).
   */
  versionCheckMs?: number;
  /** requests per client address on /api/* (default: none) */
  rateLimit?: Omit<RateLimitOptions, 'onLimited'>;
  /** express 'trust proxy' (who the client is behind a load balancer); default false */
  trustProxy?: boolean | number | string;
  /** how long an unknown location id is answered from memory (default 30 s; 0 = never) */
  unknownLocationTtlMs?: number;
  /**
   * Serve only the stores in `locations`, that set refreshed at most this often (ms): an id not in
   * it is a 404 (a withdrawn store too), a store added shows within it. 0/absent: ids are judged
   * by what Redis and Postgres hold (main.ts sets KNOWN_STORES_REFRESH_MS, default 5000).
   */
  knownStoresRefreshMs?: number;
  /** while Redis is out, how long a value held in memory is served before Postgres is asked again (default 5000) */
  fallbackRefreshMs?: number;
  /** how long a Redis or Postgres call may take before it counts as failed (default 1000) */
  dependencyTimeoutMs?: number;
}

/** The error vocabulary and its one mapping to HTTP. */
const ERRORS = {
  bad_request: 400, not_found: 404, not_ready: 503,
} as const;
export class ApiError extends Error {
  constructor(
    readonly code: keyof typeof ERRORS, readonly reason: string, readonly headers: Record<string, string> = {},
    /** a body of its own instead of {error, reason} (the original's, where the storefront expects it) */
    readonly body?: object,
  ) { super(reason); }
}

/** A location the API cannot serve: malformed, unknown or not ready. Always a 404 with the original's body, never a 400. */
const unknownLocation = (reason: string): ApiError => new ApiError('not_found', reason, {}, NOT_FOUND.location);

const discountsQuery = z.object({
  at: z.string().datetime({ offset: true, message: 'at must be an ISO instant, e.g. 2026-03-10T17:00:00Z' }).optional(),
}).passthrough();

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (!r.success) throw new ApiError('bad_request', r.error.issues.map((i) => i.message).join('; '));
  return r.data;
}

const MAX_COMPILED = 2000;
/** how long Redis is left alone after it failed or timed out (its client reconnects meanwhile) */
const REDIS_RETRY_MS = 1000;
const STARTED = Symbol('requestStarted');
const ROUTE = Symbol('requestRoute');
type Timed = Response & { [STARTED]?: number; [ROUTE]?: string };

export function createApp(deps: DealsApiDeps): express.Express {
  const { db, redis, logger } = deps;
  const keys = redisKeys(deps.redisPrefix);
  const now = deps.now ?? Date.now;
  const compiled = new Map<string, CompiledLocation>();
  const versionCheckMs = deps.versionCheckMs ?? 0;
  /** per location: when its version was last confirmed (monotonic ms), and a check in flight */
  const checkedAt = new Map<string, number>();
  const inFlight = new Map<string, Promise<CompiledLocation>>();
  const requests = new Counter({ name: 'deals_api_requests_total', help: 'requests', labelNames: ['route', 'status'], registers: [deps.metrics] });
  const cacheReads = new Counter({ name: 'deals_api_cache_reads_total', help: 'location value reads', labelNames: ['from'], registers: [deps.metrics] });
  const latency = new Histogram({ name: 'deals_api_request_seconds', help: 'latency', labelNames: ['route'], registers: [deps.metrics], buckets: [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5] });
  const origins = new Set(deps.corsOrigins);
  const cacheControl = `public, max-age=${deps.cacheMaxAgeS}`;
  const timeoutMs = deps.dependencyTimeoutMs ?? 1000;
  const fallbackRefreshMs = deps.fallbackRefreshMs ?? 5000;
  const redisCall = <T>(p: Promise<T>): Promise<T> => within(p, timeoutMs, () => new Error(`Redis did not answer within ${timeoutMs} ms`));
  const pgCall = <T>(p: Promise<T>): Promise<T> => within(p, timeoutMs, () => new Error(`Postgres did not answer within ${timeoutMs} ms`));
  const retryLater = (reason: string): ApiError => new ApiError('not_ready', reason, { 'Retry-After': String(deps.retryAfterS) });
  /** per location: when Redis or Postgres last confirmed the compiled value (monotonic ms) */
  const confirmedAt = new Map<string, number>();
  let redisOut = false;
  /** after a Redis error or timeout, Redis is not asked again before this (monotonic ms): a hung Redis costs one timeout per second, not one per request */
  let redisSkipUntil = 0;
  /** A Redis error: logged once per outage (the requests go on from memory and Postgres). */
  function onRedisError(err: unknown): void {
    if (!redisOut) logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'Redis unavailable: serving from memory and Postgres');
    redisOut = true;
    redisSkipUntil = performance.now() + REDIS_RETRY_MS;
  }
  function onRedisAnswer(): void {
    if (redisOut) logger.info('Redis answers again: serving from Redis');
    redisOut = false;
    redisSkipUntil = 0;
  }
  const redisReady = (): boolean => redisUsable(redis.status) && performance.now() >= redisSkipUntil;
  const known: KnownStores | undefined = deps.knownStoresRefreshMs ? createKnownStores({
    load: () => pgCall(db.selectFrom('locations').select(['id', 'name', 'city', 'state', 'slug']).orderBy('name').orderBy('id').execute()),
    refreshMs: deps.knownStoresRefreshMs, logger,
  }) : undefined;

  const rateLimited = new Counter({ name: 'deals_api_rate_limited_total', help: 'requests refused with 429 (per-address limit)', registers: [deps.metrics] });
  const unknownAnswers = new Counter({ name: 'deals_api_unknown_location_total', help: 'unknown location ids answered 404', labelNames: ['from'], registers: [deps.metrics] });
  /** unknown location ids answered from memory for a while: made-up ids cost no Redis or Postgres */
  const unknown = createNegativeCache({ ttlMs: deps.unknownLocationTtlMs ?? 30_000, max: 10_000, now: () => performance.now() });
  // One shared listener (no closure per request); the start time rides on the response.
  function onFinish(this: Timed): void {
    const route = this[ROUTE] ?? '';
    latency.observe({ route }, (performance.now() - (this[STARTED] ?? 0)) / 1000);
    requests.inc({ route, status: String(this.statusCode) });
  }
  /**
   * The path's location id; a malformed one, or one known not to be a store, is a 404 (never 400).
   * Synchronous unless the known-stores set must be refreshed first (an id not in a stale set).
   */
  function locationId(params: unknown): string | Promise<string> {
    const id = (params as { id?: unknown }).id;
    if (!isLocationId(id)) throw unknownLocation('malformed location id');
    if (known === undefined) {
      if (isKnownUnknown(id)) throw unknownLocation(`unknown location ${id}`);
      return id;
    }
    const verdict = known.verdict(id);
    return verdict instanceof Promise ? verdict.then((v) => admit(id, v)) : admit(id, verdict);
  }
  function admit(id: string, verdict: StoreVerdict): string {
    switch (verdict) {
      case 'known': return id;
      case 'unknown':
        unknownAnswers.inc({ from: 'known_stores' });
        throw unknownLocation(`unknown location ${id}`);
      case 'unchecked': // the set was never loaded (Postgres out since start): judged as without it
        if (isKnownUnknown(id)) throw unknownLocation(`unknown location ${id}`);
        return id;
    }
  }
  /** For the inventory routes: whether the id is no store (false when it may be one). */
  function isNotAStore(id: string): boolean | Promise<boolean> {
    try {
      const r = locationId({ id });
      return r instanceof Promise ? r.then(() => false, () => true) : false;
    } catch {
      return true;
    }
  }
  function isKnownUnknown(id: string): boolean {
    const known = unknown.has(id);
    if (known) unknownAnswers.inc({ from: 'memory' });
    return known;
  }
  /** An id that neither Redis nor Postgres knows: remembered for a while, then a 404. */
  function notAStore(id: string): ApiError {
    unknown.add(id);
    unknownAnswers.inc({ from: 'postgres' });
    return unknownLocation(`unknown location ${id}`);
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy ?? false);

  app.use((req, res: Timed, next) => {
    const origin = req.headers.origin;
    if (origin && origins.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', 'ETag, Retry-After');
    }
    res.setHeader('Vary', 'Origin');
    if (req.method === 'OPTIONS' && origin && origins.has(origin)) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Accept, If-None-Match, Content-Type');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    res[STARTED] = performance.now();
    res[ROUTE] = routeTemplate(req.path);
    res.on('finish', onFinish);
    // the API reads no request body: one is refused rather than read (GET only, nothing to upload)
    if (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0) {
      res.setHeader('Connection', 'close');
      res.status(413).json({ error: 'payload_too_large', reason: 'this API takes no request body' });
      return;
    }
    next();
  });
  if (deps.rateLimit !== undefined && deps.rateLimit.perMinute > 0) app.use('/api', rateLimiter({ ...deps.rateLimit, onLimited: () => rateLimited.inc() }));

  /**
   * The compiled value of a location. Per request only the small version key is read; the value
   * itself (hundreds of KB) is fetched, with its version in one atomic MGET, only when the version
   * changed. On a miss it is rebuilt from Postgres (404 unknown, 503 never synced) and written
   * back with NX, so a newer value the projector wrote meanwhile is never overwritten.
   */
  function locationValue(locationId: string): CompiledLocation | Promise<CompiledLocation> {
    if (versionCheckMs <= 0) return loadLocationValue(locationId);
    const known = compiled.get(locationId);
    if (known && performance.now() - (checkedAt.get(locationId) ?? -Infinity) < versionCheckMs) { cacheReads.inc({ from: 'memory' }); return known; }
    let pending = inFlight.get(locationId);
    if (!pending) {
      const started = performance.now();
      pending = loadLocationValue(locationId).then(
        (c) => { inFlight.delete(locationId); checkedAt.set(locationId, started); if (checkedAt.size > MAX_COMPILED) checkedAt.delete(checkedAt.keys().next().value!); return c; },
        (err: unknown) => { inFlight.delete(locationId); throw err; },
      );
      inFlight.set(locationId, pending);
    }
    return pending;
  }

  async function loadLocationValue(locationId: string): Promise<CompiledLocation> {
    const held = compiled.get(locationId);
    const read = redisReady() ? await readRedis(locationId, held) : 'out';
    if (read !== 'miss' && read !== 'out') return read;
    if (read === 'out' && held !== undefined
      && whileRedisOut({ confirmedAgoMs: performance.now() - (confirmedAt.get(locationId) ?? -Infinity) }, fallbackRefreshMs) === 'memory') {
      cacheReads.inc({ from: 'memory_fallback' });
      return held;
    }
    try {
      return await rebuildFromPostgres(locationId, held, read === 'miss');
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (whenPostgresFails(held !== undefined) === 'memory' && held !== undefined) { cacheReads.inc({ from: 'memory_fallback' }); return held; }
      logger.warn({ locationId, err: err instanceof Error ? err.message : String(err), redis: read }, 'deals unavailable: Postgres failed and nothing is held');
      throw retryLater('deals for this location cannot be read now');
    }
  }

  /** The value from Redis; 'miss' when Redis has none, 'out' when Redis failed. */
  async function readRedis(locationId: string, held: CompiledLocation | undefined): Promise<CompiledLocation | 'miss' | 'out'> {
    const versionKey = keys.discountsVersion(locationId);
    try {
      const version = await redisCall(redis.get(versionKey));
      onRedisAnswer();
      if (held && version !== null && held.version === version) { cacheReads.inc({ from: 'memory' }); return confirmed(locationId, held); }
      const [raw, rawVersion] = await redisCall(redis.mgetBuffer(keys.discounts(locationId), versionKey));
      if (!raw) return 'miss';
      cacheReads.inc({ from: 'redis' });
      return confirmed(locationId, remember(locationId, compileLocation(raw, rawVersion?.toString() ?? null)));
    } catch (err) {
      onRedisError(err);
      return 'out';
    }
  }

  /** The value as the projector builds it from Postgres; written back to Redis (NX) after a miss. */
  async function rebuildFromPostgres(locationId: string, held: CompiledLocation | undefined, writeBack: boolean): Promise<CompiledLocation> {
    const [location, sync] = await pgCall(Promise.all([
      db.selectFrom('locations').select('id').where('id', '=', locationId).executeTakeFirst(),
      db.selectFrom('location_sync').select('location_id').where('location_id', '=', locationId).executeTakeFirst(),
    ]));
    if (!location && !sync) throw notAStore(locationId);
    if (!sync) throw retryLater('deals for this location are not synced yet');
    const { value } = await pgCall(buildLocationValue(db, locationId));
    cacheReads.inc({ from: 'postgres' });
    const rebuiltVersion = valueVersion(value);
    if (writeBack) {
      // a failed write-back is no reason not to serve what was read
      await redisCall(redis.multi().set(keys.discounts(locationId), value, 'NX').set(keys.discountsVersion(locationId), rebuiltVersion, 'NX').exec()).catch(onRedisError);
    }
    if (held !== undefined && held.version === rebuiltVersion) return confirmed(locationId, held);
    return confirmed(locationId, remember(locationId, compileLocation(Buffer.from(value, 'utf8'), rebuiltVersion)));
  }

  function confirmed(locationId: string, c: CompiledLocation): CompiledLocation {
    confirmedAt.set(locationId, performance.now());
    if (confirmedAt.size > MAX_COMPILED) confirmedAt.delete(confirmedAt.keys().next().value!);
    return c;
  }

  function remember(locationId: string, c: CompiledLocation): CompiledLocation {
    compiled.delete(locationId);
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
    // Without a version (a value written by something else) the next request fetches it again.
    if (c.version !== null) compiled.set(locationId, c);
    return c;
  }

  /**
   * /health and /health/ready: ok (Redis and Postgres answer), degraded (it can still serve: one of
   * them answers or memory holds deals; 200, so a load balancer keeps the instance), down (503).
   */
  const health = async (_req: Request, res: Response): Promise<void> => {
    const [pg, rd] = await Promise.all([
      pgCall(db.selectFrom('locations').select('id').limit(1).execute()).then(() => true, () => false),
      // the probe asks Redis even within the retry pause (a PONG ends the pause)
      redisUsable(redis.status) ? redisCall(redis.ping()).then((p) => { if (p === 'PONG') onRedisAnswer(); return p === 'PONG'; }, () => false) : Promise.resolve(false),
    ]);
    const memory = compiled.size > 0;
    const h = healthOf({ redis: rd, postgres: pg, memory });
    // the shape of the other services' health (shared/ops.ts healthReport), but degraded is a 200 here: the API still serves
    res.status(h.code).json({ status: h.status, ok: h.status === 'ok', live: true, ready: h.code === 200, checks: { postgres: pg, redis: rd, memory }, timestamp: new Date(now()).toISOString() });
  };
  app.get('/health', health);
  app.get('/health/ready', health);
  /** liveness: the process answers (a restart would not bring Redis or Postgres back) */
  app.get('/health/live', (_req, res) => { res.json({ status: 'ok', live: true, checks: {}, timestamp: new Date(now()).toISOString() }); });

  app.get('/openapi.json', (_req, res) => { res.json(openApiDocument); });

  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.metrics.contentType);
    res.send(await deps.metrics.metrics());
  });

  app.get('/api/locations', async (_req, res) => {
    let rows;
    try {
      rows = await pgCall(db.selectFrom('locations').select(['id', 'name', 'city', 'state', 'slug']).orderBy('name').orderBy('id').execute());
    } catch (err) {
      // Postgres out: the stores of the known-stores set's last load
      if (known?.rows == null) throw retryLater(`stores cannot be read now: ${err instanceof Error ? err.message : 'Postgres failed'}`);
      rows = known.rows;
    }
    res.setHeader('Cache-Control', `public, max-age=${deps.cacheMaxAgeS}`);
    res.json({ data: rows, count: rows.length });
  });

  app.get('/api/locations/:id/discounts', (req: Request, res: Response) => {
    const id = locationId(req.params);
    return id instanceof Promise ? id.then((i) => discounts(req, res, i)) : discounts(req, res, id);
  });

  function discounts(req: Request, res: Response, id: string): Promise<void> | undefined {
    // The common request has no query string: skip parsing it and the schema (which only checks `at`).
    const at = !req.url.includes('?') || req.query.at === undefined ? undefined : parse(discountsQuery, req.query).at;
    const atMs = at === undefined ? now() : Date.parse(at);
    const value = locationValue(id);
    // In memory the answer is synchronous: no promise per request on the hot path.
    if (!(value instanceof Promise)) { sendLive(req, res, value, atMs); return undefined; }
    return value.then((v) => { sendLive(req, res, v, atMs); });
  }

  function sendLive(req: Request, res: Response, value: CompiledLocation, atMs: number): void {
    const live = liveBody(value, atMs);
    res.setHeader('ETag', live.etag);
    res.setHeader('Cache-Control', cacheControl);
    if (etagMatches(req.headers['if-none-match'], live.etag)) { res.status(304).end(); return; }
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(live.body);
  }

  app.get('/api/locations/:id/sync-status', async (req, res) => {
    const id = await locationId(req.params);
    let lastSync: string | null = null;
    if (redisReady()) lastSync = await redisCall(redis.get(keys.sync(id))).then((v) => { onRedisAnswer(); return v; }, (err: unknown) => { onRedisError(err); return null; });
    if (lastSync === null) {
      const [sync, location] = await pgCall(Promise.all([
        db.selectFrom('location_sync').select('last_sync').where('location_id', '=', id).executeTakeFirst(),
        db.selectFrom('locations').select('id').where('id', '=', id).executeTakeFirst(),
      ])).catch(() => { throw retryLater('the sync status cannot be read now'); });
      if (!sync && !location) throw notAStore(id);
      lastSync = sync ? sync.last_sync.toISOString() : null;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.json({ locationId: id, lastSync, ageSeconds: lastSync === null ? null : Math.max(0, Math.floor((now() - Date.parse(lastSync)) / 1000)) });
  });

  /** `/inventory/:sku`'s discounts: the live deals it matched, exactly as `/discounts` serves them. */
  async function discountsOf(id: string, dealIds: readonly string[]): Promise<string[]> {
    if (dealIds.length === 0) return [];
    try {
      return fragmentsOf(await locationValue(id), dealIds);
    } catch (e) {
      if (e instanceof ApiError) return []; // the deals are not synced yet: the item has none to show
      throw e;
    }
  }

  // inventory with server-computed deal prices: read from the projector's snapshot
  app.use(inventoryRoutes({
    redis, inventoryKey: keys.inventory, now, discountsOf, versionCheckMs, cacheControl, isKnownUnknown: isNotAStore,
    fallback: {
      redisUsable: redisReady,
      redisCall: (p) => redisCall(p).then((v) => { onRedisAnswer(); return v; }),
      onRedisError, refreshMs: fallbackRefreshMs,
      // the snapshot the projector would write (shared/inventory/from-db.ts); no package: not synced (404)
      build: async (id) => {
        try {
          const items = await pgCall(loadInventoryItems(db, id));
          if (items.length === 0) return null;
          return await pgCall(snapshotFromDb(db, id, items, await pgCall(loadDealsFromDb(db, id)), now()));
        } catch (err) {
          logger.warn({ locationId: id, err: err instanceof Error ? err.message : String(err) }, 'inventory unavailable: Redis out and Postgres failed');
          throw retryLater('inventory for this location cannot be read now');
        }
      },
    },
  }));

  app.use((req, _res, next) => { next(new ApiError('not_found', `no route ${req.method} ${req.path}`)); });

  // express recognises an error handler by its four parameters
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof URIError && req.path.startsWith('/api/locations/')) {
      // a path segment that is not valid percent-encoding: a malformed id (or SKU) is a 404, never a 400
      const idSegment = req.path.split('/')[3] ?? '';
      res.status(404).json(decodes(idSegment) ? NOT_FOUND.item : NOT_FOUND.location);
      return;
    }
    if (err instanceof ApiError) {
      for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
      res.status(ERRORS[err.code]).json(err.body ?? { error: err.code, reason: err.reason });
      return;
    }
    const status = (err as { status?: unknown }).status; // body-parser / express client errors
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: 'bad_request', reason: 'malformed request' });
      return;
    }
    logger.error({ err }, 'unhandled error');
    res.status(500).json({ error: 'internal', reason: 'internal error' });
  });

  return app;
}

function decodes(segment: string): boolean {
  try { decodeURIComponent(segment); return true; } catch { return false; }
}
