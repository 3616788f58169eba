import { createTestWorld, type TestWorld } from '../test/support/integration';
import { redisKeys } from './redis';

describe('Redis', () => {
  let world: TestWorld;
  beforeAll(async () => { world = await createTestWorld('redis'); });
  afterAll(async () => { await world.close(); });

  it('round-trips a location value under the test prefix', async () => {
    const key = redisKeys(world.redisPrefix).discounts('loc-1');
    expect(key).toBe(`${world.redisPrefix}discounts:loc-1`);
    await world.redis.set(key, JSON.stringify([{ id: 'loc-1_7' }]));
    expect(JSON.parse((await world.redis.get(key))!)).toEqual([{ id: 'loc-1_7' }]);
    expect(await world.redis.exists(`discounts:loc-1`)).toBe(0);
  });
});
