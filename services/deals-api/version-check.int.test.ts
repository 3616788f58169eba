import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import request from 'supertest';
import type { Deal } from '../../shared/events';
import { makeDeal, projectDeals } from '../../test/support/deals';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { createApp } from './app';

describe('deals API with a reused version check (versionCheckMs)', () => {
  let world: TestWorld;
  const location = randomUUID();

  const project = (deals: Deal[]): Promise<void> => projectDeals(world, deals, new Date());

  beforeAll(async () => {
    world = await createTestWorld('deals-api-version-check');
    await world.db.insertInto('locations').values({ id: location, name: 'Mint Mesa', state: 'AZ', time_zone: 'America/Phoenix', lsp_id: 1, pos_loc_id: 21, dutchie_api: 'pos', org_id: null }).execute();
    await project([makeDeal(location, 1, { name: 'first' })]);
  });
  afterAll(async () => { await world.close(); });

  it('serves from memory within the window and picks up a new projection after it', async () => {
    const app = createApp({
      db: world.db, redis: world.redis, redisPrefix: world.redisPrefix, logger: world.logger, metrics: new Registry(),
      corsOrigins: [], cacheMaxAgeS: 15, retryAfterS: 1, versionCheckMs: 300,
    });
    const name = async (): Promise<string> => (await request(app).get(`/api/locations/${location}/discounts`).expect(200)).body.data[0].discount_name as string;
    expect(await name()).toBe('first');
    await project([makeDeal(location, 1, { name: 'second', version: Date.now() + 1 })]);
    await new Promise((r) => { setTimeout(r, 400); });
    expect(await name()).toBe('second');
    // Concurrent requests share one version check and all get the same bytes.
    const bodies = await Promise.all(Array.from({ length: 5 }, () => request(app).get(`/api/locations/${location}/discounts`).expect(200)));
    expect(new Set(bodies.map((b) => b.text)).size).toBe(1);
  });
});
