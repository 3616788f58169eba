import { randomUUID } from 'node:crypto';
import type { Deal } from '../../shared/events';
import { createPartitionFence, type PartitionFence } from '../../shared/fencing';
import { redisKeys } from '../../shared/redis';
import { dealProducer, makeDeal, projectDeals, waitFor } from '../../test/support/deals';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { caughtUp, eventually } from '../../test/support/odoo-sink';
import { projectedState } from '../../test/support/snapshot';
import { decideDeal, planBatch } from './handler';
import { createProjector, type Projector } from './projector';
import { applyToPostgres, rebuildLocation } from './store';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('several projector instances in one group (real Kafka, registry, Postgres, Redis)', () => {
  const worlds: TestWorld[] = [];
  const running: Projector[] = [];
  const world = async (label: string) => { const w = await createTestWorld(label); worlds.push(w); return w; };
  afterAll(async () => {
    for (const p of running) await p.stop().catch(() => undefined);
    for (const w of worlds) await w.close();
  }, 60_000);

  const fenceOf = (w: TestWorld, owner: string) => createPartitionFence({ db: w.db, redis: w.redis, redisPrefix: w.redisPrefix, group: `${w.topicPrefix}projector`, logger: w.logger, owner });
  const start = async (w: TestWorld, fence: PartitionFence) => {
    const p = createProjector({ kafka: w.kafka, serde: w.serde, db: w.db, redis: w.redis, logger: w.logger, topicPrefix: w.topicPrefix, redisPrefix: w.redisPrefix, groupId: 'projector', fence });
    running.push(p);
    await p.start();
    return p;
  };

  it('an instance that lost its partition cannot write its stale Redis value over the new owner\'s, nor commit, and leaves the partition alone', async () => {
    const w = await world('proj-fence');
    const location = randomUUID();
    const key = redisKeys(w.redisPrefix).discounts(location);
    const { send, topic, producer } = await dealProducer(w, 1);
    await send([makeDeal(location, 1, { value: '0.10', version: 1000 })]);

    // instance A stops between reading Postgres and writing Redis (its value computed: 0.1)
    const fenceA = fenceOf(w, 'a');
    let reached!: () => void;
    const atWrite = new Promise<void>((r) => { reached = r; });
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let paused = false;
    const slowA: PartitionFence = {
      ...fenceA,
      async redisSet(own, pairs) {
        if (!paused) { paused = true; reached(); await gate; }
        return fenceA.redisSet(own, pairs);
      },
    };
    const a = await start(w, slowA);
    await atWrite;

    // meanwhile the partition moved to B (a rebalance), which wrote a newer version everywhere
    const fenceB = fenceOf(w, 'b');
    const ownB = (await fenceB.acquire(topic, 0))!;
    expect(ownB.epoch).toBe(2);
    const plan = planBatch([decideDeal(`${location}_1`, makeDeal(location, 1, { value: '0.50', version: 2000 }))]);
    await applyToPostgres(w.db, plan, (tx) => fenceB.check(tx, ownB));
    await rebuildLocation(w.db, w.redis, w.redisPrefix, location, new Date(), undefined, (pairs) => fenceB.redisSet(ownB, pairs));
    const fromB = await w.redis.get(key);
    expect(fromB).toContain('"discount_amount":0.5');

    // A goes on: its write is refused, nothing is committed
    release();
    await sleep(1500);
    expect(await w.redis.get(key)).toBe(fromB);
    const admin = w.kafka.admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId: `${w.topicPrefix}projector`, topics: [topic] });
    await admin.disconnect();
    expect(committed!.partitions[0]!.offset).toBe('-1');

    // A (still assigned, no rebalance) leaves the partition alone: a new deal is not written by it
    await send([makeDeal(location, 2, { version: 3000 })]);
    await sleep(2000);
    expect(await w.db.selectFrom('discounts').select('id').where('id', '=', `${location}_2`).execute()).toEqual([]);

    // A stops; the next instance claims the partition and carries on from the last commit
    await a.stop();
    await start(w, fenceOf(w, 'c'));
    const final = await waitFor(async () => { const v = await w.redis.get(key); return v?.includes(`${location}_2`) ? v : undefined; }, 60_000, 'instance c caught up');
    expect(final).toContain('"discount_amount":0.5'); // the replayed older version 1000 is ignored
    const owner = await w.db.selectFrom('partition_owners').selectAll().executeTakeFirstOrThrow();
    expect(owner).toMatchObject({ owner: 'c', epoch: '3' });
    await producer.disconnect();
  });

  it('two instances with rebalances mid-stream (one joins, one leaves) end in the state of a single instance', async () => {
    const w = await world('proj-two');
    const reference = await world('proj-ref');
    const locations = Array.from({ length: 24 }, () => randomUUID());
    const rounds: Array<Array<Deal | { tombstone: string }>> = [1, 2, 3, 4].map((round) => locations.flatMap((l, i) => [
      ...[1, 2, 3, 4, 5].map((d) => makeDeal(l, d, { value: `0.${round}${d}`, version: 1_767_000_000_000 + round * 1000 + d, name: `r${round}` })),
      // some deals go away in round 3, one comes back in round 4
      ...(round === 3 && i % 3 === 0 ? [{ tombstone: `${l}_5` }] : []),
      ...(round === 4 && i % 6 === 0 ? [makeDeal(l, 6, { version: 1_767_000_000_000 + round * 1000 })] : []),
    ]));
    const { send, topic, producer } = await dealProducer(w, 3);
    const group = `${w.topicPrefix}projector`;

    await send(rounds[0]!);
    const p1 = await start(w, fenceOf(w, 'p1'));
    await sleep(1000);
    await send(rounds[1]!);
    const p2 = await start(w, fenceOf(w, 'p2')); // rebalance: the partitions are shared
    await send(rounds[2]!);
    await sleep(2000);
    await p1.stop(); // rebalance: p2 takes every partition
    await send(rounds[3]!);
    await eventually(() => caughtUp(w.kafka, group, topic), 90_000, 'the group caught up');

    // the single-instance state: every event applied in order, the projector's way
    await projectDeals(reference, rounds.flat(), new Date());
    const [two, one] = [await projectedState(w), await projectedState(reference)];
    const strip = (s: typeof two, prefix: string) => ({ rows: s.rows, redis: Object.fromEntries(Object.entries(s.redis).map(([k, v]) => [k.slice(prefix.length), v])) });
    expect(Object.keys(two.redis)).toHaveLength(locations.length);
    expect(strip(two, w.redisPrefix)).toEqual(strip(one, reference.redisPrefix));
    // both instances owned partitions, and the claims were counted
    const owners = await w.db.selectFrom('partition_owners').select(['partition', 'owner', 'epoch']).orderBy('partition').execute();
    expect(owners).toHaveLength(3);
    expect(owners.every((o) => o.owner === 'p2')).toBe(true);
    expect(owners.some((o) => Number(o.epoch) >= 2)).toBe(true);
    await p2.stop();
    await producer.disconnect();
  });
});
