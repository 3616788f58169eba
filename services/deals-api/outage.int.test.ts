/**
 * The deals API through a Redis outage and a Postgres outage (issue 13), against a private
 * redis-server and a private Postgres cluster that this file starts, stops and restarts on ports
 * of its own (never the machine's shared ones). Each outage lasts OUTAGE_S seconds (default 8:
 * longer than every window inside the API; `OUTAGE_S=60` for the full minute) under steady requests,
 * and every answer must be a 200 with the same body as before the outage.
 */
import { randomUUID } from 'node:crypto';
import { makeDeal } from '../../test/support/deals';
import { anItem } from '../../test/support/inventory';
import { givenOutageWorld, type OutageWorld } from '../../test/support/outage-api';
import { givenPrivatePostgres, givenPrivateRedis, type PrivatePostgres, type PrivateRedis } from '../../test/support/private-servers';
import { redisKeys } from '../../shared/redis';

const NOW = Date.parse('2026-03-10T19:00:00Z');
const OUTAGE_MS = Number(process.env.OUTAGE_S ?? 8) * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Api = Awaited<ReturnType<OutageWorld['startApi']>>;

describe('deals API outages (private Redis and Postgres)', () => {
  let redisServer: PrivateRedis | undefined;
  let pgServer: PrivatePostgres | undefined;
  let w: OutageWorld | undefined;
  const [a, b] = [randomUUID(), randomUUID()];
  const paths = (id: string) => [`/api/locations/${id}/discounts`, `/api/locations/${id}/inventory?limit=500`, `/api/locations/${id}/inventory/SKU-${id.slice(0, 4)}1`, `/api/locations/${id}/categories`];
  const expected = new Map<string, string>();
  const storeItems = (id: string) => [anItem({ locationId: id, productId: '101', sku: `SKU-${id.slice(0, 4)}1`, name: 'A', version: 1 }), anItem({ locationId: id, productId: '102', sku: `SKU-${id.slice(0, 4)}2`, name: 'B', category: 'Edibles', version: 1 })];

  /** Requests every path every 100 ms for `ms`; every answer must be the expected 200. Returns the figures. */
  async function steady(api: Api, ids: string[], ms: number): Promise<{ requests: number; maxMs: number }> {
    const until = Date.now() + ms;
    let requests = 0;
    let maxMs = 0;
    while (Date.now() < until) {
      for (const id of ids) {
        for (const path of paths(id)) {
          const t = performance.now();
          const res = await api.get(path);
          maxMs = Math.max(maxMs, performance.now() - t);
          requests += 1;
          expect({ path, status: res.status }).toEqual({ path, status: 200 });
          expect(res.text).toBe(expected.get(path));
        }
      }
      await sleep(100);
    }
    return { requests, maxMs };
  }
  const health = async (api: Api, path = '/health') => { const r = await api.get(path); return { code: r.status, ...(JSON.parse(r.text) as { status: string; checks: Record<string, boolean> }) }; };

  beforeAll(async () => {
    [redisServer, pgServer] = await Promise.all([givenPrivateRedis(), givenPrivatePostgres({ migrate: true })]);
    w = await givenOutageWorld({ redis: redisServer, pg: pgServer }, NOW);
    for (const id of [a, b]) {
      await w.givenStore(id, [makeDeal(id, 1, { value: '0.2' }), makeDeal(id, 2, { restrictions: { product: { ids: ['101'], isExclusion: false } } })], storeItems(id));
    }
    // what a healthy API serves: the bodies every outage answer must equal
    const reference = await w.startApi();
    for (const id of [a, b]) {
      for (const path of paths(id)) {
        const res = await reference.get(path);
        expect(res.status).toBe(200);
        expected.set(path, res.text);
      }
    }
    expect(JSON.parse(expected.get(paths(a)[0]!)!).count).toBe(2);
    expect(JSON.parse(expected.get(paths(a)[2]!)!).discounts).toHaveLength(1); // the item matched its product deal
  });
  afterAll(async () => {
    await w?.close();
    await Promise.all([redisServer?.destroy(), pgServer?.destroy()]);
  });

  it('Redis out: serves from memory, then builds from Postgres what it never held; back to Redis when it returns', async () => {
    const api = await w!.startApi();
    for (const path of paths(a)) expect((await api.get(path)).text).toBe(expected.get(path)); // a is held, b is not
    await redisServer!.stop();
    const started = Date.now();
    expect(await health(api)).toMatchObject({ code: 200, status: 'degraded', checks: { redis: false, postgres: true } });
    expect((await health(api, '/health/ready')).code).toBe(200);
    const during = await steady(api, [a, b], OUTAGE_MS);
    expect((await api.get(`/api/locations/${randomUUID()}/discounts`)).status).toBe(404);
    console.log(`Redis outage ${(Date.now() - started) / 1000}s: ${during.requests} requests, all 200 with the same body, slowest ${during.maxMs.toFixed(0)} ms`);

    await redisServer!.start(); // empty (no persistence): deals are rebuilt and written back, inventory built from Postgres
    const back = Date.now();
    while ((await health(api)).status !== 'ok') await sleep(100);
    const recoverMs = Date.now() - back;
    await steady(api, [a, b], 1_000);
    // it reads Redis again: a value only Redis holds (as the projector would write it) is what it serves
    const keys = redisKeys(w!.redisPrefix);
    const first = (JSON.parse(expected.get(paths(a)[0]!)!) as { data: unknown[] }).data[0];
    const onlyInRedis = `[\n${JSON.stringify(first)}\n]`;
    await w!.redis.multi().set(keys.discounts(a), onlyInRedis).set(keys.discountsVersion(a), 'v-only-in-redis').exec();
    await sleep(300);
    expect(JSON.parse((await api.get(paths(a)[0]!)).text).count).toBe(1);
    console.log(`Redis back: health ok after ${recoverMs} ms`);
    await w!.redis.multi().del(keys.discounts(a)).del(keys.discountsVersion(a)).exec(); // rebuilt from Postgres on the next miss
  });

  it('Postgres out: serves from Redis and memory, health degraded (200), unknown ids still 404; a store added after it returns is served', async () => {
    // the projector has written every store's deals and snapshot to Redis again since it came back empty
    for (const id of [a, b]) await w!.givenStore(id, [makeDeal(id, 1, { value: '0.2' }), makeDeal(id, 2, { restrictions: { product: { ids: ['101'], isExclusion: false } } })], storeItems(id));
    const api = await w!.startApi();
    expect((await api.get(paths(a)[0]!)).text).toBe(expected.get(paths(a)[0]!)); // loads the known stores, holds a
    const locations = await api.get('/api/locations');
    await pgServer!.stop();
    const started = Date.now();
    expect(await health(api)).toMatchObject({ code: 200, status: 'degraded', checks: { redis: true, postgres: false } });
    expect((await health(api, '/health/ready')).code).toBe(200);
    expect((await health(api, '/health/live')).code).toBe(200);
    const during = await steady(api, [a, b], OUTAGE_MS);
    expect((await api.get(`/api/locations/${randomUUID()}/discounts`)).status).toBe(404);
    expect(await api.get('/api/locations')).toEqual(locations); // the last loaded list
    expect((await api.get(`/api/locations/${a}/sync-status`)).status).toBe(200);
    console.log(`Postgres outage ${(Date.now() - started) / 1000}s: ${during.requests} requests, all 200 with the same body, slowest ${during.maxMs.toFixed(0)} ms`);

    // both out: what memory holds is still served; readiness stays up while memory is warm
    await redisServer!.stop();
    expect((await api.get(paths(a)[0]!)).text).toBe(expected.get(paths(a)[0]!));
    expect(await health(api, '/health/ready')).toMatchObject({ code: 200, status: 'degraded', checks: { redis: false, postgres: false, memory: true } });
    await redisServer!.start();

    await pgServer!.start();
    while ((await health(api)).status !== 'ok') await sleep(100);
    const c = randomUUID();
    expect((await api.get(`/api/locations/${c}/discounts`)).status).toBe(404);
    await w!.givenStore(c, [makeDeal(c, 1)], [anItem({ locationId: c, productId: 'c1', version: 1 })]);
    const added = Date.now();
    while ((await api.get(`/api/locations/${c}/discounts`)).status !== 200) {
      expect(Date.now() - added).toBeLessThan(2_000); // the known-stores refresh is 500 ms here
      await sleep(50);
    }
    await steady(api, [a, b], 1_000);
  });

  it('Redis hung (paused, connections open): each request waits at most the dependency timeout, then memory and Postgres serve', async () => {
    const api = await w!.startApi({ dependencyTimeoutMs: 300 });
    for (const path of paths(a)) expect((await api.get(path)).text).toBe(expected.get(path));
    redisServer!.pause();
    try {
      const during = await steady(api, [a, b], Math.min(OUTAGE_MS, 4_000));
      expect(during.maxMs).toBeLessThan(1_500);
      console.log(`Redis hung: ${during.requests} requests, all 200 with the same body, slowest ${during.maxMs.toFixed(0)} ms`);
    } finally {
      redisServer!.resume();
    }
    while ((await health(api)).status !== 'ok') await sleep(100);
  });

  it('a fresh instance with Redis and Postgres both out is down (503), and live', async () => {
    const api = await w!.startApi();
    await Promise.all([redisServer!.stop(), pgServer!.stop()]);
    try {
      expect(await health(api)).toMatchObject({ code: 503, status: 'down', checks: { redis: false, postgres: false, memory: false } });
      expect((await health(api, '/health/ready')).code).toBe(503);
      expect((await health(api, '/health/live')).code).toBe(200);
      expect((await api.get(paths(a)[0]!)).status).toBe(503); // "cache not ready - please try again", never a 500
    } finally {
      await Promise.all([redisServer!.start(), pgServer!.start()]);
    }
  });
});
