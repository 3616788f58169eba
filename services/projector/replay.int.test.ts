import { randomUUID } from 'node:crypto';
import { redisKeys } from '../../shared/redis';
import { dealProducer, makeDeal, waitFor } from '../../test/support/deals';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { projectedState } from '../../test/support/snapshot';
import { createProjector } from './projector';
import { runReplay } from './replay';
import { verifyLocations } from './verify';

describe('replay from deals.discounts.v1', () => {
  let world: TestWorld;
  beforeAll(async () => { world = await createTestWorld('replay'); });
  afterAll(async () => { await world.close(); });

  it('rebuilds byte-identical Redis values and the same rows, from scratch and for one location', async () => {
    const locations = [randomUUID(), randomUUID(), randomUUID()];
    const { send, producer } = await dealProducer(world);
    const deals = locations.flatMap((l) => Array.from({ length: 40 }, (_, i) => makeDeal(l, i + 1, { value: `0.${i + 10}`, version: 1000 + i })));
    await send(deals);
    await send([
      ...locations.map((l) => makeDeal(l, 5, { name: 'changed', value: '0.5', version: 5000 })),
      ...locations.map((l) => ({ tombstone: `${l}_7` })),
    ]);
    await producer.disconnect();

    // The live projector's result.
    const live = createProjector({
      kafka: world.kafka, serde: world.serde, db: world.db, redis: world.redis, logger: world.logger,
      topicPrefix: world.topicPrefix, redisPrefix: world.redisPrefix, groupId: 'projector',
    });
    await live.start();
    await waitFor(async () => {
      const checks = await verifyLocations(world.db, world.redis, world.redisPrefix);
      return checks.length === 3 && checks.every((c) => c.ok && c.postgres.count === 39) && (await world.redis.get(redisKeys(world.redisPrefix).discounts(locations[2]!)))?.includes('changed') ? true : undefined;
    }, 60_000, 'live projection');
    await live.stop();
    const before = await projectedState(world);
    expect(Object.keys(before.redis)).toHaveLength(3);

    // Corrupt things, as a bad deploy would: a wrong value and a lost key.
    await world.redis.set(redisKeys(world.redisPrefix).discounts(locations[0]!), '[]');
    await world.redis.del(redisKeys(world.redisPrefix).discounts(locations[1]!));
    expect((await verifyLocations(world.db, world.redis, world.redisPrefix)).filter((c) => !c.ok)).toHaveLength(2);

    const progress: number[] = [];
    const rebuilt = new Set<string>(); // the CLI recomputes each location's inventory snapshot there
    const result = await runReplay({
      kafka: world.kafka, serde: world.serde, db: world.db, redis: world.redis, logger: world.logger,
      topicPrefix: world.topicPrefix, redisPrefix: world.redisPrefix, onProgress: (done) => progress.push(done),
      onLocationRebuilt: (id) => { rebuilt.add(id); return Promise.resolve(); },
    });
    expect(result.ok).toBe(true);
    expect([...rebuilt].sort()).toEqual([...locations].sort());
    expect(result.events).toBe(126);
    expect(progress.at(-1)).toBe(126);
    const after = await projectedState(world);
    expect(after.redis).toEqual(before.redis); // byte-identical strings
    expect(after.rows).toEqual(before.rows);

    // One location only: the others are left alone.
    await world.redis.set(redisKeys(world.redisPrefix).discounts(locations[2]!), 'garbage');
    const one = await runReplay({
      kafka: world.kafka, serde: world.serde, db: world.db, redis: world.redis, logger: world.logger,
      topicPrefix: world.topicPrefix, redisPrefix: world.redisPrefix, location: locations[2],
    });
    expect(one.ok).toBe(true);
    expect(one.checks.map((c) => c.locationId)).toEqual([locations[2]]);
    expect((await projectedState(world)).redis).toEqual(before.redis);
  }, 120_000);
});
