/**
 * The public deals API resists abuse (issue 17, item 3), against real Postgres and Redis, through
 * the HTTP server it runs with: route-template metric labels only, a rate limit per client address
 * (429 + Retry-After), unknown location ids answered from a negative cache, request limits.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import request from 'supertest';
import { createHttpServer } from '../../shared/http-server';
import { makeDeal, projectDeals } from '../../test/support/deals';
import { givenDealsApi } from '../../test/support/deals-api';
import { createTestWorld, type TestWorld } from '../../test/support/integration';

describe('deals API under abuse', () => {
  let world: TestWorld;
  const store = randomUUID();

  beforeAll(async () => {
    world = await createTestWorld('deals-api-abuse');
    await world.db.insertInto('locations').values({ id: store, name: 'Mint Tempe', state: 'AZ', time_zone: 'America/Phoenix', lsp_id: 1, pos_loc_id: 11, dutchie_api: 'pos', org_id: null }).execute();
    await projectDeals(world, [makeDeal(store, 1)], new Date());
  });
  afterAll(async () => { await world.close(); });

  it('keeps /metrics bounded: 900 requests for made-up SKUs and sub-paths add no label', async () => {
    const metrics = new Registry();
    const app = givenDealsApi(world, { metrics });
    for (let i = 0; i < 30; i += 1) await request(app).get(`/api/locations/${store}/discounts`);
    const before = (await request(app).get('/metrics')).text.length;
    for (let i = 0; i < 900; i += 1) {
      await request(app).get(i % 2 ? `/api/locations/${store}/inventory/made-up-${i}` : `/api/locations/${store}/${'x/'.repeat(i % 7)}nope-${i}`);
    }
    const after = (await request(app).get('/metrics')).text;
    expect(after.length - before).toBeLessThan(10_000); // a few new label sets (404s of two templates), not 900
    expect(after).not.toMatch(/made-up|nope-/);
  });

  it('limits requests per client address with 429, Retry-After and a reason; exempt addresses and probes pass', async () => {
    const metrics = new Registry();
    const limited = givenDealsApi(world, { metrics, rateLimit: { perMinute: 5, exempt: [] } });
    for (let i = 0; i < 5; i += 1) await request(limited).get(`/api/locations/${store}/discounts`).expect(200);
    const refused = await request(limited).get(`/api/locations/${store}/discounts`).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body).toEqual({ error: 'rate_limited', reason: expect.stringMatching(/5 requests a minute/) });
    await request(limited).get('/health').expect(200); // probes are not limited
    expect((await request(limited).get('/metrics')).text).toMatch(/deals_api_rate_limited_total 1/);

    const exempt = givenDealsApi(world, { metrics: new Registry(), rateLimit: { perMinute: 2, exempt: ['127.0.0.0/8', '::1/128', '::ffff:127.0.0.1/128'] } });
    for (let i = 0; i < 6; i += 1) await request(exempt).get(`/api/locations/${store}/discounts`).expect(200);
  });

  it('behind a trusted proxy, limits by the forwarded client address', async () => {
    const app = givenDealsApi(world, { metrics: new Registry(), trustProxy: 1, rateLimit: { perMinute: 2, exempt: [] } });
    const as = (ip: string) => request(app).get(`/api/locations/${store}/discounts`).set('X-Forwarded-For', ip);
    await as('203.0.113.1').expect(200);
    await as('203.0.113.1').expect(200);
    await as('203.0.113.1').expect(429);
    await as('203.0.113.2').expect(200); // another shopper behind the same proxy
  });

  it('answers an unknown location id from memory after the first time: no more Postgres or Redis', async () => {
    const metrics = new Registry();
    const app = givenDealsApi(world, { metrics });
    const ghost = randomUUID();
    await request(app).get(`/api/locations/${ghost}/discounts`).expect(404); // asks Redis, then Postgres
    const reads = async () => (await request(app).get('/metrics')).text.match(/deals_api_cache_reads_total\{from="\w+"\} \d+/g)?.join() ?? '';
    const readsBefore = await reads();
    for (const path of ['discounts', 'sync-status', 'inventory', 'categories', 'brands', 'inventory/SKU-1']) {
      for (let i = 0; i < 20; i += 1) expect((await request(app).get(`/api/locations/${ghost}/${path}`).expect(404)).body).toEqual({ error: 'Location not found or cache not ready' });
    }
    const text = (await request(app).get('/metrics')).text;
    expect(text).toMatch(/deals_api_unknown_location_total\{from="postgres"\} 1\b/);
    expect(text).toMatch(/deals_api_unknown_location_total\{from="memory"\} 120\b/); // every one of the 120 from memory
    expect(await reads()).toBe(readsBefore);
    // a store that exists is never put there
    await request(app).get(`/api/locations/${store}/discounts`).expect(200);
  });

  it('refuses a request body (413) and a huge request head (431), and keeps serving', async () => {
    const server = createHttpServer(givenDealsApi(world, { metrics: new Registry() }), { maxHeaderBytes: 8 * 1024 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const send = (headers: http.OutgoingHttpHeaders, body?: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: `/api/locations/${store}/discounts`, method: 'GET', headers }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => { text += c.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
    try {
      const body = JSON.stringify({ x: 'y'.repeat(10_000) });
      const withBody = await send({ 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, body);
      expect(withBody.status).toBe(413);
      expect(JSON.parse(withBody.body)).toMatchObject({ reason: expect.stringMatching(/no request body/) });
      expect((await send({ 'transfer-encoding': 'chunked' }, 'abc')).status).toBe(413);
      expect((await send({ 'x-big': 'a'.repeat(20_000) })).status).toBe(431);
      expect((await send({})).status).toBe(200);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
