import { createTestWorld, type TestWorld } from '../test/support/integration';
import { claimPartition, createPartitionFence, redisFenceKey, StaleOwnerError } from './fencing';

describe('partition fencing (real Postgres and Redis)', () => {
  let world: TestWorld;
  beforeAll(async () => { world = await createTestWorld('fencing'); });
  afterAll(async () => { await world.close(); });

  const fences = (group: string) => [
    createPartitionFence({ db: world.db, redis: world.redis, redisPrefix: world.redisPrefix, group, logger: world.logger, owner: 'a' }),
    createPartitionFence({ db: world.db, redis: world.redis, redisPrefix: world.redisPrefix, group, logger: world.logger, owner: 'b' }),
  ] as const;

  it('a stale owner\'s Postgres and Redis writes are refused once another instance claimed the partition', async () => {
    const [a, b] = fences('g1');
    const ownA = (await a.acquire('t', 0))!;
    expect(ownA.epoch).toBe(1);
    expect(await a.acquire('t', 0)).toBe(ownA); // kept until the next join
    // a owns it: its writes go through
    await world.db.transaction().execute((tx) => a.check(tx, ownA));
    await a.redisSet(ownA, [[`${world.redisPrefix}k`, 'from a']]);

    const ownB = (await b.acquire('t', 0))!;
    expect(ownB.epoch).toBe(2);
    // a's Postgres transaction aborts, its side-effect pre-check fails, its Redis write is refused
    const inTx = world.db.transaction().execute(async (tx) => { await a.check(tx, ownA); await tx.insertInto('location_sync').values({ location_id: 'x', last_sync: new Date(), deal_count: 1 }).execute(); });
    await expect(inTx).rejects.toBeInstanceOf(StaleOwnerError);
    expect(await world.db.selectFrom('location_sync').selectAll().execute()).toEqual([]);
    await expect(a.verify(ownA)).rejects.toBeInstanceOf(StaleOwnerError);
    await expect(a.redisSet(ownA, [[`${world.redisPrefix}k`, 'late a']])).rejects.toBeInstanceOf(StaleOwnerError);
    expect(await world.redis.get(`${world.redisPrefix}k`)).toBe('from a'); // the claim alone already fences Redis
    await b.redisSet(ownB, [[`${world.redisPrefix}k`, 'from b']]);
    expect(await world.redis.get(`${world.redisPrefix}k`)).toBe('from b');
    expect(await world.redis.get(redisFenceKey(world.redisPrefix, ownB))).toBe('2');

    // a leaves the partition alone after a refusal (until it joins the group again)
    let error: unknown;
    try { await a.verify(ownA); } catch (e) { error = e; }
    expect(a.refused(error, 't', 0)).toBe(true);
    expect(a.refused(new Error('other'), 't', 0)).toBe(false);
    expect(await a.acquire('t', 0)).toBeUndefined();
    a.reset(); // GROUP_JOIN
    expect((await a.acquire('t', 0))!.epoch).toBe(3);
    // other partitions and groups are independent
    expect((await b.acquire('t', 1))!.epoch).toBe(1);
    expect((await fences('g2')[0].acquire('t', 0))!.epoch).toBe(1);
  });

  it('a claim waits for the old owner\'s open write transaction: its write lands before the claim or not at all', async () => {
    const [a] = fences('g3');
    const ownA = (await a.acquire('t', 0))!;
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    let checked!: () => void;
    const inside = new Promise<void>((r) => { checked = r; });
    const write = world.db.transaction().execute(async (tx) => {
      await a.check(tx, ownA);
      checked();
      await held;
      await tx.insertInto('location_sync').values({ location_id: 'y', last_sync: new Date(), deal_count: 1 }).execute();
    });
    await inside;
    let claimed: number | undefined;
    const claim = claimPartition(world.db, { group: 'g3', topic: 't', partition: 0 }, 'b').then((e) => { claimed = e; });
    await new Promise((r) => setTimeout(r, 300));
    expect(claimed).toBeUndefined(); // blocked by a's share lock
    release();
    await write;
    await claim;
    expect(claimed).toBe(2);
    expect(await world.db.selectFrom('location_sync').select('location_id').where('location_id', '=', 'y').execute()).toHaveLength(1);
    await expect(a.verify(ownA)).rejects.toBeInstanceOf(StaleOwnerError);
  });
});
