import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import request from 'supertest';
import type { Deal } from '../../shared/events';
import { redisKeys } from '../../shared/redis';
import { makeDeal, projectDeals } from '../../test/support/deals';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { createApp } from './app';

const ONLY_TUESDAY = { monday: false, tuesday: true, wednesday: false, thursday: false, friday: false, saturday: false, sunday: false };
const TUESDAY_NOON_PHOENIX = '2026-03-10T19:00:00Z';
const WEDNESDAY_NOON_PHOENIX = '2026-03-11T19:00:00Z';

describe('deals API against real Postgres and Redis', () => {
  let world: TestWorld;
  let app: ReturnType<typeof createApp>;
  const synced = randomUUID();
  const neverSynced = randomUUID();
  const hexStore = '5f3a9c0e1b2d4a6f8c7e9d01'; // one real store's CMS id is 24 hex digits, not a UUID

  const project = (deals: Deal[]): Promise<void> => projectDeals(world, deals, new Date(Date.parse(TUESDAY_NOON_PHOENIX) - 60_000));

  beforeAll(async () => {
    world = await createTestWorld('deals-api');
    await world.db.insertInto('locations').values([
      { id: synced, name: 'Mint Tempe', state: 'AZ', time_zone: 'America/Phoenix', lsp_id: 1, pos_loc_id: 11, dutchie_api: 'pos', org_id: null },
      { id: neverSynced, name: 'Mint Phoenix', city: 'Phoenix', slug: 'mint-phoenix', state: 'AZ', time_zone: 'America/Phoenix', lsp_id: 1, pos_loc_id: 12, dutchie_api: 'pos', org_id: null },
      { id: hexStore, name: 'Mint Las Vegas', city: 'Las Vegas', slug: 'mint-las-vegas', state: 'NV', time_zone: 'America/Los_Angeles', lsp_id: 2, pos_loc_id: 13, dutchie_api: 'pos', org_id: null },
    ]).execute();
    await project([
      makeDeal(synced, 1, { value: '0.2' }),
      makeDeal(synced, 2, { days: ONLY_TUESDAY }),
      makeDeal(synced, 3, { validUntil: Date.parse('2026-03-01T07:10:00Z') }),
      makeDeal(synced, 4, { isActive: false }), // disabled in Dutchie: never served
      makeDeal(hexStore, 7, { timeZone: 'America/Los_Angeles' }),
    ]);
    app = createApp({
      db: world.db, redis: world.redis, redisPrefix: world.redisPrefix, logger: world.logger, metrics: new Registry(),
      corsOrigins: ['https://shop.example.com'], cacheMaxAgeS: 15, retryAfterS: 7, now: () => Date.parse(TUESDAY_NOON_PHOENIX),
    });
  });
  afterAll(async () => { await world.close(); });

  it('serves only the deals live now in the store zone, in the storefront shape', async () => {
    const res = await request(app).get(`/api/locations/${synced}/discounts`).set('Accept', 'application/json').expect(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.headers['cache-control']).toBe('public, max-age=15');
    expect(res.body.count).toBe(2);
    expect((res.body.data as Array<{ id: string }>).map((d) => d.id)).toEqual([`${synced}_1`, `${synced}_2`]);
    expect(Object.keys(res.body.data[0]).sort()).toEqual([
      'brands', 'calculation_method_id', 'deal_kind', 'discount_amount', 'discount_code', 'discount_id', 'discount_name', 'discount_type',
      'first_time_customer_only', 'id', 'is_active', 'is_available_online', 'location_id', 'minimum_items_required',
      'product_categories', 'products', 'source', 'synced_at', 'valid_from', 'valid_until', 'weekly_recurrence_info',
    ]);
    expect(res.body.data[0]).toMatchObject({ discount_id: 1, discount_amount: 0.2, discount_type: 'Percent', deal_kind: 'percent', first_time_customer_only: false, brands: { ids: [12, 13], isExclusion: false } });
    // The stored per-deal bytes are sent as they are.
    const stored = (await world.redis.get(redisKeys(world.redisPrefix).discounts(synced)))!;
    expect(stored.split('\n')[1]!.replace(/,$/, '')).toBe(res.text.slice('{"data":['.length, res.text.indexOf(`},{"id":"${synced}_2"`) + 1));
  });

  it('previews another instant with ?at=', async () => {
    const res = await request(app).get(`/api/locations/${synced}/discounts?at=${WEDNESDAY_NOON_PHOENIX}`).expect(200);
    expect((res.body.data as Array<{ discount_id: number }>).map((d) => d.discount_id)).toEqual([1]);
    const before = await request(app).get(`/api/locations/${synced}/discounts?at=2026-02-24T19:00:00Z`).expect(200);
    expect(before.body.count).toBe(3);
  });

  it('never serves a disabled deal, at any instant', async () => {
    for (const at of ['', `?at=${WEDNESDAY_NOON_PHOENIX}`, '?at=2026-02-24T19:00:00Z', '?at=2030-01-01T00:00:00Z']) {
      const res = await request(app).get(`/api/locations/${synced}/discounts${at}`).expect(200);
      expect((res.body.data as Array<{ discount_id: number }>).map((d) => d.discount_id)).not.toContain(4);
    }
  });

  it('serves a store whose id is not a UUID', async () => {
    const res = await request(app).get(`/api/locations/${hexStore}/discounts`).expect(200);
    expect((res.body.data as Array<{ id: string }>).map((d) => d.id)).toEqual([`${hexStore}_7`]);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await request(app).get(`/api/locations/${synced}/discounts`).expect(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^".+"$/);
    await request(app).get(`/api/locations/${synced}/discounts`).set('If-None-Match', etag).expect(304);
    await request(app).get(`/api/locations/${synced}/discounts?at=${WEDNESDAY_NOON_PHOENIX}`).set('If-None-Match', etag).expect(200);
  });

  it('404 with the original\'s body for an unknown or malformed id (never 400), 400 for a malformed instant, 503 with Retry-After before the first sync', async () => {
    for (const id of ['not_a_store', 'a%20b', 'x'.repeat(65), '%E2%9C%93', randomUUID(), 'abcdef0123456789abcdef01', '%zz', '%', '%E0%A4%A']) {
      const res = await request(app).get(`/api/locations/${id}/discounts`).expect(404);
      expect(res.body).toEqual({ error: 'Location not found or cache not ready' });
      await request(app).get(`/api/locations/${id}/sync-status`).expect(404);
    }
    expect((await request(app).get(`/api/locations/${synced}/discounts?at=yesterday`).expect(400)).body.error).toBe('bad_request');
    expect((await request(app).get(`/api/locations/${synced}/inventory/%E0%A4%A`).expect(404)).body).toEqual({ error: 'Item not found' });
    const notReady = await request(app).get(`/api/locations/${neverSynced}/discounts`).expect(503);
    expect(notReady.headers['retry-after']).toBe('7');
    expect(notReady.body.error).toBe('not_ready');
    await request(app).get('/api/nope').expect(404);
  });

  it('keeps answering from Postgres when Redis loses every key of our prefix (FLUSHALL emulated), and the keys come back', async () => {
    const key = redisKeys(world.redisPrefix).discounts(synced);
    const before = await request(app).get(`/api/locations/${synced}/discounts`).expect(200);
    const valueBefore = await world.redis.get(key);
    // FLUSHALL on the shared Redis would hit everyone: delete every key of this test's prefix instead.
    const keys = await world.redis.keys(`${world.redisPrefix}*`);
    expect(keys.length).toBeGreaterThan(0);
    await world.redis.del(...keys);
    expect(await world.redis.exists(key)).toBe(0);
    const after = await request(app).get(`/api/locations/${synced}/discounts`).expect(200);
    expect(after.text).toBe(before.text);
    expect(after.headers.etag).toBe(before.headers.etag);
    expect(await world.redis.get(key)).toBe(valueBefore);
  });

  it('sees a new value as soon as the projector wrote it (the in-memory copy follows the version key)', async () => {
    await request(app).get(`/api/locations/${synced}/discounts`).expect(200);
    await project([makeDeal(synced, 1, { value: '0.2', name: 'renamed', version: 1_767_000_000_001 })]);
    const res = await request(app).get(`/api/locations/${synced}/discounts`).expect(200);
    expect(res.body.data[0].discount_name).toBe('renamed');
  });

  it('reports sync status, with a Postgres fallback', async () => {
    const res = await request(app).get(`/api/locations/${synced}/sync-status`).expect(200);
    expect(res.body).toEqual({ locationId: synced, lastSync: new Date(Date.parse(TUESDAY_NOON_PHOENIX) - 60_000).toISOString(), ageSeconds: 60 });
    expect((await request(app).get(`/api/locations/${neverSynced}/sync-status`).expect(200)).body.lastSync).toBeNull();
    await request(app).get(`/api/locations/${randomUUID()}/sync-status`).expect(404);
  });

  it('lists locations, allows configured origins only, and serves health, OpenAPI and metrics', async () => {
    const list = await request(app).get('/api/locations').expect(200);
    expect(list.body).toEqual({
      data: [
        { id: hexStore, name: 'Mint Las Vegas', city: 'Las Vegas', state: 'NV', slug: 'mint-las-vegas' },
        { id: neverSynced, name: 'Mint Phoenix', city: 'Phoenix', state: 'AZ', slug: 'mint-phoenix' },
        { id: synced, name: 'Mint Tempe', city: null, state: 'AZ', slug: null },
      ],
      count: 3,
    });
    const allowed = await request(app).get('/api/locations').set('Origin', 'https://shop.example.com');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.example.com');
    const other = await request(app).get('/api/locations').set('Origin', 'https://evil.example.com');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    await request(app).options(`/api/locations/${synced}/discounts`).set('Origin', 'https://shop.example.com').expect(204);
    expect((await request(app).get('/health').expect(200)).body).toMatchObject({ status: 'ok', timestamp: expect.any(String) });
    expect((await request(app).get('/openapi.json').expect(200)).body.paths).toHaveProperty(['/api/locations/{id}/discounts']);
    expect((await request(app).get('/metrics').expect(200)).text).toMatch(/deals_api_requests_total/);
  });
});
