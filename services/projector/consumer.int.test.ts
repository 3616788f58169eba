import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { redisKeys } from '../../shared/redis';
import { buildLocationValue, splitLocationValue } from '../../shared/storefront';
import { TOPICS, topicName } from '../../shared/topics';
import { dealProducer, makeDeal, waitFor } from '../../test/support/deals';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { DLQ_HEADERS } from './dlq';
import { createProjector, type Projector } from './projector';

describe('projector against real Kafka, registry, Postgres and Redis', () => {
  let world: TestWorld;
  let projector: Projector | undefined;
  let dlqConsumer: Consumer | undefined;
  const batches: number[] = [];
  beforeAll(async () => { world = await createTestWorld('projector'); });
  afterAll(async () => { await projector?.stop(); await dlqConsumer?.disconnect(); await world.close(); }, 60_000);

  it('projects deals, ignores older versions, applies tombstones, dead-letters poison and goes on', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const { send, producer, topic } = await dealProducer(world);
    // instants exact to the millisecond, also far from 1970 (they travel as epoch ms)
    const from = Date.parse('2026-01-01T07:00:00.123Z');
    const until = Date.parse('4199-12-31T06:59:59.999Z');
    await send([
      makeDeal(a, 1, { value: '0.1', version: 2000, validFrom: from, validUntil: until }),
      makeDeal(a, 2, { kind: 'flat', calculationMethodId: 1, value: '5.00', version: 2000 }),
      makeDeal(a, 3, { version: 2000 }),
      makeDeal(b, 'ptl_7', { version: 2000 }),
    ]);
    // poison: not Avro at all, and Avro of another schema (no deal in it)
    await producer.send({ topic, messages: [{ key: `${a}_9`, value: Buffer.from('{"not":"avro"}') }] });
    const other = `${world.topicPrefix}other`;
    await world.serde.register(other, TOPICS.rawDutchie.schema);
    const raw = {
      eventId: randomUUID(), source: 'dutchie', api: 'pos', locationId: a, discountId: '10', op: 'upsert', fetchedAt: 1,
      contentHash: null, record: '{}', market: 'AZ', timeZone: 'America/Phoenix', posLocId: null,
    };
    await producer.send({ topic, messages: [{ key: `${a}_10`, value: await world.serde.encode(other, raw) }] });
    await send([
      makeDeal(a, 1, { value: '0.3', version: 1000 }), // older: ignored
      makeDeal(a, 2, { kind: 'flat', calculationMethodId: 1, value: '7.50', version: 3000 }), // newer: applied
      { tombstone: `${a}_3` },
    ]);

    projector = createProjector({
      kafka: world.kafka, serde: world.serde, db: world.db, redis: world.redis, logger: world.logger,
      topicPrefix: world.topicPrefix, redisPrefix: world.redisPrefix, groupId: 'projector', onBatch: (i) => batches.push(i.events),
    });
    await projector.start();

    const key = redisKeys(world.redisPrefix).discounts(a);
    const value = await waitFor(async () => {
      const v = await world.redis.get(key);
      return v && v.includes('"discount_amount":7.5') ? v : undefined;
    }, 30_000, 'location a rebuilt');
    const data = JSON.parse(value) as Array<Record<string, unknown>>;
    expect(data.map((d) => [d.id, d.discount_amount])).toEqual([[`${a}_1`, 0.1], [`${a}_2`, 7.5]]);
    expect(data[0]).toMatchObject({
      location_id: a, discount_id: 1, source: 'dutchie', discount_type: 'Percent', deal_kind: 'percent', is_active: true,
      brands: { ids: [12, 13], isExclusion: false }, products: null, first_time_customer_only: false,
      weekly_recurrence_info: expect.objectContaining({ monday: true, time_zone: 'America/Phoenix' }),
      synced_at: new Date(2000).toISOString(), valid_from: '2026-01-01T07:00:00.123Z', valid_until: '4199-12-31T06:59:59.999Z',
    });
    // One fragment per line, exactly what Postgres rebuilds.
    expect(splitLocationValue(value)).toHaveLength(2);
    expect((await buildLocationValue(world.db, a)).value).toBe(value);

    const rows = await world.db.selectFrom('discounts').select(['id', 'removed', 'version', 'discount_amount']).orderBy('id').execute();
    // (deal 3's upsert and tombstone may share a batch: then the row is never written at all)
    expect(rows.filter((r) => r.id.startsWith(a) && !r.removed)).toEqual([
      { id: `${a}_1`, removed: false, version: '2000', discount_amount: '0.100000' },
      { id: `${a}_2`, removed: false, version: '3000', discount_amount: '7.500000' },
    ]);
    const ptl = JSON.parse((await waitFor(() => world.redis.get(redisKeys(world.redisPrefix).discounts(b)).then((v) => v ?? undefined)))) as Array<Record<string, unknown>>;
    expect(ptl).toEqual([expect.objectContaining({ id: `${b}_ptl_7`, discount_id: 7, source: 'ptl' })]);

    const sync = await world.db.selectFrom('location_sync').selectAll().where('location_id', '=', a).executeTakeFirstOrThrow();
    expect(sync.deal_count).toBe(2);
    expect(await world.redis.get(redisKeys(world.redisPrefix).sync(a))).toBe(sync.last_sync.toISOString());

    // The poison message is on the DLQ with reason and origin.
    dlqConsumer = world.kafka.consumer({ groupId: `${world.topicPrefix}dlq-reader` });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: topicName(world.topicPrefix, TOPICS.dlq), fromBeginning: true });
    const letters = await new Promise<Array<Record<string, string>>>((resolve) => {
      const seen: Array<Record<string, string>> = [];
      void dlqConsumer!.run({ eachMessage: ({ message }) => {
        seen.push(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])));
        if (seen.length === 2) resolve(seen);
        return Promise.resolve();
      } });
    });
    const reasons = letters.map((h) => h[DLQ_HEADERS.reason]);
    expect(reasons).toEqual(expect.arrayContaining([expect.stringMatching(/magic byte/), expect.stringMatching(/^id: /)]));
    for (const headers of letters) {
      expect(headers[DLQ_HEADERS.topic]).toBe(topic);
      expect(headers[DLQ_HEADERS.offset]).toMatch(/^\d+$/);
    }

    // Offsets were committed up to the end of what was consumed.
    const admin = world.kafka.admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId: `${world.topicPrefix}projector`, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    for (const p of committed[0]!.partitions) {
      const end = ends.find((e) => e.partition === p.partition)!;
      if (end.high !== '0') expect(p.offset).toBe(end.high);
    }
    expect(batches.length).toBeGreaterThan(0);
    await producer.disconnect();
  });
});

describe('projector: a batch larger than one Postgres slice', () => {
  let world: TestWorld;
  let projector: Projector | undefined;
  beforeAll(async () => { world = await createTestWorld('projector-slices'); });
  afterAll(async () => { await projector?.stop(); await world.close(); }, 60_000);

  it('applies the slices in offset order and rebuilds the location once per batch', async () => {
    const loc = randomUUID();
    const { send, producer } = await dealProducer(world);
    const filler = (from: number, n: number) => Array.from({ length: n }, (_, i) => makeDeal(loc, 100 + from + i, { version: 2000 }));
    // one location = one partition, produced before the projector starts: one batch of 1,204 events
    await send([
      makeDeal(loc, 1, { version: 2000 }), // removed two slices later
      makeDeal(loc, 2, { version: 2000 }), { tombstone: `${loc}_2` }, // removed, then back with a newer version later
      makeDeal(loc, 3, { value: '0.25', version: 3000 }), // an older version of it comes later
      ...filler(0, 600),
      { tombstone: `${loc}_1` },
      ...filler(600, 600),
      makeDeal(loc, 2, { value: '0.5', version: 4000 }),
      makeDeal(loc, 3, { value: '0.75', version: 1000 }),
    ]);
    await producer.disconnect();
    const batches: Array<{ events: number; locations: number }> = [];
    projector = createProjector({
      kafka: world.kafka, serde: world.serde, db: world.db, redis: world.redis, logger: world.logger,
      topicPrefix: world.topicPrefix, redisPrefix: world.redisPrefix, groupId: 'projector', onBatch: (i) => batches.push(i),
    });
    await projector.start();
    await waitFor(() => Promise.resolve(batches.reduce((n, b) => n + b.events, 0) >= 1204 ? true : undefined), 60_000, 'all events projected');

    expect(Math.max(...batches.map((b) => b.events))).toBeGreaterThan(500); // the multi-slice path ran
    expect(batches.every((b) => b.locations === 1)).toBe(true);
    const live = await world.db.selectFrom('discounts').select(['discount_id', 'discount_amount']).where('location_id', '=', loc).where('removed', '=', false)
      .where('discount_id', 'in', ['1', '2', '3']).orderBy('discount_id').execute();
    expect(live).toEqual([{ discount_id: '2', discount_amount: '0.500000' }, { discount_id: '3', discount_amount: '0.250000' }]);
    const value = (await world.redis.get(redisKeys(world.redisPrefix).discounts(loc)))!;
    expect(splitLocationValue(value)).toHaveLength(1202);
    expect((await buildLocationValue(world.db, loc)).value).toBe(value);
  });
});
