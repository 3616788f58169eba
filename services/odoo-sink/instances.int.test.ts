/**
 * Two odoo-sink instances in one group, with a rebalance when the second joins and another when the
 * first leaves, against a single instance over the same stream: the sandbox Odoo ends in the same state
 * (no deal created twice, none left behind), and a stale owner's pre-call check refuses.
 */
import type { Deal } from '../../shared/events';
import { createPartitionFence } from '../../shared/fencing';
import { TOPICS, topicName } from '../../shared/topics';
import { givenDeal } from '../../test/support/odoo-fixtures';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { caughtUp, dealPublisher, eventually, givenMoreStores, startSandboxOdoo, type SandboxOdoo } from '../../test/support/odoo-sink';
import { parseOdooSinkConfig } from './config';
import { startOdooSink } from './main';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Item = Deal | { tombstone: string };

/** Four rounds of changes to 6 deals of each store; round 3 removes one, round 4 adds one to every other store. */
function stream(locations: readonly string[]): Item[][] {
  return [1, 2, 3, 4].map((round) => locations.flatMap((locationId, i) => [
    // (a removed deal is not sent again: a tombstone without a version header counts as of its message time)
    ...(round === 4 ? [1, 2, 3, 4, 5] : [1, 2, 3, 4, 5, 6]).map((d) => givenDeal({ locationId, discountId: String(100 * i + d), name: `Deal ${d} r${round}`, value: `0.${round}${d}`, version: 1_763_000_000_000 + round * 1000 + d })),
    ...(round === 3 ? [{ tombstone: `${locationId}_${100 * i + 6}` }] : []),
    ...(round === 4 && i % 2 === 0 ? [givenDeal({ locationId, discountId: String(100 * i + 7), version: 1_763_000_000_000 + round * 1000 })] : []),
  ]));
}

describe('several odoo-sink instances in one group (real Kafka, registry, Postgres + sandbox Odoo)', () => {
  const worlds: TestWorld[] = [];
  const odoos: SandboxOdoo[] = [];
  const sinks: Array<Awaited<ReturnType<typeof startOdooSink>>> = [];
  afterAll(async () => {
    for (const s of sinks) await s.stop().catch(() => undefined);
    for (const o of odoos) await o.close();
    for (const w of worlds) await w.close();
  }, 60_000);

  async function setUp(label: string, partitions = 3) {
    const world = await createTestWorld(label);
    worlds.push(world);
    const odoo = await startSandboxOdoo();
    odoos.push(odoo);
    const locations = await givenMoreStores(world.db, odoo, 6);
    const publisher = await dealPublisher(world.kafka, world.serde, world.topicPrefix, partitions);
    const startSink = async () => {
      const s = await startOdooSink(parseOdooSinkConfig({ ...world.env, ...odoo.env, SINK_SLICE_SIZE: '20', SINK_RETRY_BASE_MS: '200', SINK_RETRY_CAP_MS: '2000' }), { withOps: false });
      sinks.push(s);
      return s;
    };
    const done = () => eventually(() => caughtUp(world.kafka, `${world.topicPrefix}odoo-sink`, publisher.topic), 120_000, 'the sink group caught up');
    /**
     * Odoo's Dutchie deals, stores by name (the two sandboxes number them differently). A removed deal's
     * other fields are whatever it last had in Odoo, which depends on how messages fell into slices (an
     * upsert and the removal in one slice: only the removal is applied), so only its removal counts.
     */
    const state = () => {
      const storeName = new Map(odoo.store.records('mint.store', []).map((s) => [s.id, s.name]));
      return odoo.dutchieRecords()
        .map((r) => ({ id: r.dutchie_discount_id, stores: (r.store_ids as number[]).map((s) => storeName.get(s)), active: r.is_active, deleted: r.dutchie_is_deleted,
          ...(r.dutchie_is_deleted ? {} : { name: r.name, amount: r.discount_amount }) }))
        .sort((a, b) => String(a.id).localeCompare(String(b.id)));
    };
    return { world, odoo, locations, publisher, startSink, done, state };
  }

  it('two instances with a rebalance mid-stream leave Odoo as one instance does', async () => {
    // the single instance
    const one = await setUp('sink-one');
    const single = await one.startSink();
    for (const round of stream(one.locations)) await one.publisher.publish(round);
    await one.done();
    await single.stop();
    await one.publisher.close();

    // two instances: the second joins after round 1, the first leaves after round 3
    const two = await setUp('sink-two');
    const rounds = stream(two.locations);
    const s1 = await two.startSink();
    await two.publisher.publish(rounds[0]!);
    await sleep(500);
    const s2 = await two.startSink();
    await two.publisher.publish(rounds[1]!);
    await two.publisher.publish(rounds[2]!);
    await sleep(1500);
    await s1.stop();
    await two.publisher.publish(rounds[3]!);
    await two.done();

    const expected = one.state();
    expect(two.state()).toHaveLength(6 * 6 + 3);
    expect(two.state()).toEqual(expected);
    const owners = await two.world.db.selectFrom('partition_owners').select(['partition', 'epoch']).execute();
    expect(owners).toHaveLength(3);
    expect(owners.some((o) => Number(o.epoch) >= 2)).toBe(true); // a partition changed hands
    await s2.stop();
    await two.publisher.close();
  });

  it('an instance whose partition was claimed by another makes no Odoo call for it and commits nothing', async () => {
    const w = await setUp('sink-stale', 1);
    const topic = topicName(w.world.topicPrefix, TOPICS.discounts);
    const group = `${w.world.topicPrefix}odoo-sink`;
    const sink = await w.startSink();
    await w.publisher.publish(stream(w.locations)[0]!);
    await w.done();
    const before = w.state();
    expect(before.length).toBe(6 * 6);
    // another instance takes the partition (a rebalance this one has not seen yet)
    const other = createPartitionFence({ db: w.world.db, group, logger: w.world.logger, owner: 'other' });
    expect((await other.acquire(topic, 0))!.epoch).toBe(2);
    w.odoo.store.resetCalls();
    await w.publisher.publish(stream(w.locations)[1]!);
    await sleep(3000);
    // nothing of round 2 reached Odoo (not even a read), nothing was committed
    expect(Object.entries(w.odoo.calls()).filter(([k]) => k.startsWith('mint.discount'))).toEqual([]);
    expect(w.state()).toEqual(before);
    expect(await caughtUp(w.world.kafka, group, topic)).toBe(false);
    await sink.stop();
    await w.publisher.close();
  });
});
