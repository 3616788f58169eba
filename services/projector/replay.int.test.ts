import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
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

  it('rebuilds byte-identical Redis values and the same rows in a shadow, and refuses a rebuild with far fewer deals unless told', async () => {
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
    const deps = {
      kafka: world.kafka, serde: world.serde, databaseUrl: world.databaseUrl, redis: world.redis, logger: world.logger,
      topicPrefix: world.topicPrefix, redisPrefix: world.redisPrefix,
    };
    const result = await runReplay({ ...deps, onProgress: (done) => progress.push(done) });
    expect(result).toMatchObject({ switched: true, events: 126, liveRecords: 117, rebuiltRecords: 117 });
    expect(result.locations.map((l) => [l.locationId, l.topic?.count, l.ok])).toEqual([...locations].sort().map((l) => [l, 39, true]));
    expect(progress.at(-1)).toBe(126);
    const after = await projectedState(world);
    expect(after.redis).toEqual(before.redis); // byte-identical strings
    expect(after.rows).toEqual(before.rows);
    // the shadow is gone: no schema, no keys
    expect((await sql<{ n: string }>`select count(*)::text as n from pg_namespace where nspname like 'rebuild_%'`.execute(world.db)).rows[0]!.n).toBe('0');
    expect(await world.redis.keys(`${world.redisPrefix}rebuild:*`)).toEqual([]);

    // The live data holds far more deals than the topic (the topic lost records): not switched unless told.
    const extra = randomUUID();
    await world.db.insertInto('discounts').values(Array.from({ length: 200 }, (_, i) => {
      const row = { ...before.rows[0] as Record<string, unknown> };
      return { ...row, id: `${extra}_${i}`, location_id: extra, discount_id: String(i), source: 'dutchie', discount_type: 'percent', is_active: true, is_available_online: true,
        monday: true, tuesday: true, wednesday: true, thursday: true, friday: true, saturday: true, sunday: true, first_time_customer_only: false, time_zone: 'America/Phoenix',
        payload: JSON.stringify(row.payload) } as never;
    })).execute();
    const refused = await runReplay(deps);
    expect(refused).toMatchObject({ switched: false, liveRecords: 317, rebuiltRecords: 117, reason: expect.stringMatching(/holds 117 records against 317 live/) });
    expect(await world.db.selectFrom('discounts').select('id').where('location_id', '=', extra).execute()).toHaveLength(200); // untouched
    const forced = await runReplay({ ...deps, allowFewer: true });
    expect(forced.switched).toBe(true);
    expect(await world.db.selectFrom('discounts').select('id').where('location_id', '=', extra).execute()).toHaveLength(0);
    expect((await projectedState(world)).redis).toEqual(before.redis);
  }, 120_000);
});
